"""The runs the pages start, on a real SQLite file and a real PostgreSQL: held villages,
progress, the end, and runs whose process is gone."""

from __future__ import annotations

import datetime as dt
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from pipeline.config import Settings
from pipeline.database import database_url
from pipeline.errors import InputInvalid
from pipeline.jobs.runs import STALE, RunBusy, RunState, RunStore, build_month_run

RESULT = {
    "packs": [{"village": "QL-NM", "name": "南马村", "file": "QL-NM-2026-11.pdf", "pages": 31}],
    "summary": {"pdf": "汇总.pdf", "xlsx": "汇总.xlsx", "pages": 2},
    "failed": [{"village": "临淄区齐陵街道东周家村", "error": "模板有误 / bad template"}],
}


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = dt.datetime(2026, 12, 1, 1, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path, clock: Clock) -> Iterator[RunStore]:
    if request.param == "sqlite":
        url = database_url(tmp_path, None)
    else:
        url = request.getfixturevalue("postgres_url")
    opened = RunStore(url, clock=clock)
    yield opened
    with opened.engine.begin() as db:
        for name in ("web_runs", "web_run_locks"):
            db.execute(sa.text(f"DELETE FROM {name}"))
    opened.close()


def ended_process() -> str:
    """The owner name (``host/pid``) of a process of this host that has ended."""
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)  # fmt: skip
    return f"{socket.gethostname()}/{ended.stdout.strip()}"


def _start(store: RunStore, *villages: str, month: str = "2026-11", owner: str | None = None):
    return store.start(
        account="ql-office", scope="齐陵街道", month=month, villages=list(villages), owner=owner
    )


def test_a_run_is_recorded_queued_and_read_back(store: RunStore, clock: Clock) -> None:
    run = _start(store, "QL-NM", "QL-DZ")
    assert (run.state, run.done, run.total) == (RunState.QUEUED, 0, 2)
    assert run.villages == ("QL-NM", "QL-DZ") and run.month == "2026-11"
    assert run.started_at == clock.now and run.finished_at is None and run.result == {}
    assert store.get(run.id) == run
    assert [r.id for r in store.runs()] == [run.id]
    with pytest.raises(InputInvalid, match="没有生成任务"):
        store.get(run.id + 1000)


def test_a_run_holds_its_villages_for_its_month_until_it_ends(store: RunStore) -> None:
    first = _start(store, "QL-NM", "QL-DZ")
    with pytest.raises(RunBusy) as refused:
        _start(store, "QL-DZ", "QL-XG")
    assert refused.value.run_id == first.id and "正在生成" in str(refused.value)
    other_month = _start(store, "QL-DZ", month="2026-10")
    other_villages = _start(store, "QL-XG")
    assert len({first.id, other_month.id, other_villages.id}) == 3
    store.finish(first.id, RunState.DONE, result=RESULT)
    again = _start(store, "QL-NM", "QL-DZ")
    assert again.state is RunState.QUEUED


def test_progress_then_the_end_with_its_files_and_failures(store: RunStore, clock: Clock) -> None:
    run = _start(store, "QL-NM", "QL-DZ")
    store.progress(run.id, done=1, total=2, message="临淄区齐陵街道东周家村")
    running = store.get(run.id)
    assert (running.state, running.done, running.message) == (
        RunState.RUNNING,
        1,
        "临淄区齐陵街道东周家村",
    )
    clock.advance(seconds=12)
    done = store.finish(run.id, RunState.DONE, result=RESULT)
    assert (done.state, done.done, done.total) == (RunState.DONE, 2, 2)
    assert done.finished_at == clock.now and done.result == RESULT
    assert done.files() == ["QL-NM-2026-11.pdf", "汇总.pdf", "汇总.xlsx"]
    store.progress(run.id, done=0, total=2, message="late")  # an ended run stays as it ended
    assert store.get(run.id) == done


def test_a_failed_run_keeps_why(store: RunStore) -> None:
    run = _start(store, "QL-NM")
    failed = store.finish(run.id, RunState.FAILED, message="汇总表写不出 / cannot write")
    assert failed.state is RunState.FAILED and failed.message.startswith("汇总表写不出")
    assert failed.files() == []


def test_a_run_that_stops_beating_was_interrupted(store: RunStore, clock: Clock) -> None:
    run = _start(store, "QL-NM")
    for _ in range(3):  # beats keep it alive however long it takes
        clock.advance(seconds=STALE.total_seconds() - 1)
        store.beat(run.id)
        assert store.get(run.id).state is RunState.QUEUED
    clock.advance(seconds=STALE.total_seconds() + 1)
    interrupted = store.get(run.id)
    assert interrupted.state is RunState.FAILED and "interrupted" in interrupted.message
    assert interrupted.finished_at == clock.now
    assert _start(store, "QL-NM").state is RunState.QUEUED  # its village is free again


def test_a_run_whose_process_is_gone_was_interrupted_at_once(store: RunStore) -> None:
    elsewhere = _start(store, "QL-DZ", owner="another-host/1")
    mine = _start(store, "QL-XG")
    gone = _start(store, "QL-NM", owner=ended_process())
    assert gone.state is RunState.FAILED and "中断" in gone.message  # seen at its first look
    assert store.settle() == 0
    # Another host's process is judged by its beat alone; this process is alive.
    assert store.get(elsewhere.id).state is RunState.QUEUED
    assert store.get(mine.id).state is RunState.QUEUED


def test_a_run_whose_job_fails_ends_failed_with_why_and_frees_its_villages(
    store: RunStore, settings: Settings, tmp_path: Path
) -> None:
    run = _start(store, "不存在村")
    ended = build_month_run(store, run.id, settings, tmp_path, issued_on=dt.date(2026, 12, 1))
    assert ended.state is RunState.FAILED and "不存在村" in ended.message
    assert ended.finished_at is not None and ended.files() == []
    assert _start(store, "不存在村").state is RunState.QUEUED
