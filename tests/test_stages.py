"""The stage timer: counts and seconds per stage, nested stages, threads, reset."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from pipeline.stages import reset, snapshot, stage


@pytest.fixture(autouse=True)
def clean() -> Iterator[None]:
    reset()
    yield
    reset()


def test_a_stage_counts_its_uses_and_their_seconds() -> None:
    for _ in range(3):
        with stage("render"):
            time.sleep(0.01)
    totals = snapshot()
    assert set(totals) == {"render"}
    render = totals["render"]
    assert render.name == "render"
    assert render.count == 3
    assert 0.03 <= render.seconds < 1
    assert render.own_seconds == pytest.approx(render.seconds)


def test_a_stage_that_raises_is_still_counted() -> None:
    with pytest.raises(ValueError, match="bad"), stage("stamp"):
        raise ValueError("bad")
    assert snapshot()["stamp"].count == 1


def test_a_nested_stage_counts_in_both_but_once_in_own_seconds() -> None:
    with stage("archive"):
        time.sleep(0.01)
        with stage("index"):
            time.sleep(0.03)
    totals = snapshot()
    archive, index = totals["archive"], totals["index"]
    assert archive.seconds >= index.seconds >= 0.03
    assert archive.own_seconds == pytest.approx(archive.seconds - index.seconds)
    assert index.own_seconds == pytest.approx(index.seconds)
    assert archive.own_seconds + index.own_seconds == pytest.approx(archive.seconds)


def test_threads_add_up_and_do_not_share_their_nesting() -> None:
    barrier = threading.Barrier(4)

    def work() -> None:
        barrier.wait()
        with stage("convert"):
            time.sleep(0.05)

    with stage("flow"):
        threads = [threading.Thread(target=work) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    totals = snapshot()
    assert totals["convert"].count == 4
    # four threads at once: more thread-seconds than the wall time around them
    assert totals["convert"].seconds > totals["flow"].seconds
    # other threads' stages are not nested in this thread's open stage
    assert totals["flow"].own_seconds == pytest.approx(totals["flow"].seconds)


def test_reset_forgets_and_snapshot_is_a_copy() -> None:
    with stage("sign"):
        pass
    before = snapshot()
    reset()
    assert snapshot() == {}
    assert before["sign"].count == 1
    with stage("sign"):
        pass
    assert snapshot()["sign"].count == 1
