"""The shared database under writers in several processes at once (SQLite by default)."""

from __future__ import annotations

import datetime as dt
import multiprocessing
from pathlib import Path

from pipeline.accounts.model import Scope
from pipeline.accounts.store import AccountStore
from pipeline.database import database_url

ROUNDS = 40


def _sign_in_and_out(url: str, worker: int) -> None:
    """What a web worker does on each page: a session looked up (read, then written)."""
    store = AccountStore(url)
    try:
        for round_ in range(ROUNDS):
            session_id, _ = store.start_session(
                kind="auditor", name=f"w{worker}", role="auditor", scope=Scope()
            )
            assert store.session(session_id, idle=dt.timedelta(hours=1),
                                 lifetime=dt.timedelta(hours=8)) is not None  # fmt: skip
            store.limit("login", f"10.0.0.{round_ % 7}", per=dt.timedelta(minutes=1), most=10**6)
            store.end_session(session_id)
    finally:
        store.close()


def test_four_processes_writing_at_once_wait_their_turn(tmp_path: Path) -> None:
    """Four web workers' sessions and limits in one SQLite file, none refused by a lock."""
    url = database_url(tmp_path, None)
    AccountStore(url).close()  # the tables, made once
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_sign_in_and_out, args=(url, n)) for n in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert [worker.exitcode for worker in workers] == [0, 0, 0, 0]
    store = AccountStore(url)
    try:
        assert store.activity() == []  # nothing else was written
    finally:
        store.close()


def test_sqlite_writers_queue_and_readers_go_on(tmp_path: Path) -> None:
    """Under load two workers got "database is locked" (readers starving a writer's commit,
    then the driver's 5 s wait ran out): the write-ahead log lets readers go on while one
    writes, and a writer waits up to 30 s for another.
    """
    store = AccountStore(database_url(tmp_path, None))
    try:
        with store.engine.connect() as db:
            assert db.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert db.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30_000
    finally:
        store.close()
