"""The shared database under writers in several processes at once (SQLite by default)."""

from __future__ import annotations

import datetime as dt
import multiprocessing
from pathlib import Path

import sqlalchemy as sa

from pipeline.accounts.model import Scope
from pipeline.accounts.store import AccountStore
from pipeline.cases.store import CaseStore
from pipeline.database import add_missing_columns, create_tables, database_url
from pipeline.documents.stamp import SealUse
from pipeline.units.packs.month import seal_use_date

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


def test_a_store_opened_on_an_older_database_gains_its_new_columns(tmp_path: Path) -> None:
    """A data folder made before seal uses were dated: the register keeps its lines."""
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    engine = sa.create_engine(url)
    with engine.begin() as db:  # the register as it was, with one line in it
        db.execute(sa.text(
            "CREATE TABLE seal_uses (id INTEGER PRIMARY KEY, organisation VARCHAR(100) NOT NULL,"
            " document VARCHAR(300) NOT NULL, document_sha256 VARCHAR(64) NOT NULL,"
            " case_id VARCHAR(40), page INTEGER NOT NULL, purpose VARCHAR(300) NOT NULL,"
            " operator VARCHAR(60) NOT NULL, placed_at DATETIME NOT NULL)"
        ))  # fmt: skip
        db.execute(sa.text(
            "INSERT INTO seal_uses VALUES (1, '南马村民委员会', 'a.pdf', :sha, NULL, 1,"
            " '公示', '测试', '2026-12-01 09:00:00')"
        ), {"sha": "0" * 64})  # fmt: skip
    engine.dispose()
    store = CaseStore(url)
    try:
        (old,) = store.seal_uses()
        assert old["document_date"] is None and old["document"] == "a.pdf"
        placed = dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC)
        dated = dt.date(2026, 11, 10)
        use = SealUse("南马村民委员会", "b.pdf", 1, "公示", "测试", placed, dated=dated)
        store.record_seal_use(use, document_sha256="1" * 64, case_id=None)
        lines = store.seal_uses()
        # The month a line counts in: the document's date, else the day the seal was placed.
        assert [seal_use_date(line) for line in lines] == [
            dt.date(2026, 12, 1),
            dt.date(2026, 11, 10),
        ]
        assert add_missing_columns(store.engine, store.metadata) == []  # once only
    finally:
        store.close()


def test_a_table_made_by_another_opener_meanwhile_is_taken_as_made(tmp_path: Path) -> None:
    """Two openers of a new database both find a table missing; the second's CREATE fails."""
    url = f"sqlite:///{tmp_path / 'race.sqlite3'}"
    metadata = sa.MetaData()
    table = sa.Table("things", metadata, sa.Column("id", sa.Integer, primary_key=True))
    other = sa.create_engine(url)
    raced: list[bool] = []

    @sa.event.listens_for(table, "before_create")
    def the_other_opener_first(*_: object, **__: object) -> None:
        if not raced:  # between this opener's look and its CREATE, the other one's CREATE
            raced.append(True)
            with other.begin() as db:
                db.exec_driver_sql("CREATE TABLE things (id INTEGER PRIMARY KEY)")

    engine = sa.create_engine(url)
    create_tables(metadata, engine)
    assert raced == [True]
    assert sa.inspect(engine).has_table("things")
    engine.dispose()
    other.dispose()
