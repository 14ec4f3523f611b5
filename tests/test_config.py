"""Settings defaults: how many converters, how many documents a call joins, kept work folders."""

from __future__ import annotations

import os

import pytest

from pipeline.config import Settings, default_converters


@pytest.fixture
def unset(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    monkeypatch.delenv("XWQL_CONVERTER_WORKERS", raising=False)
    monkeypatch.delenv("XWQL_CONVERSION_BATCH", raising=False)
    return monkeypatch


@pytest.mark.parametrize(("cores", "converters", "batch"), [(1, 1, 16), (2, 1, 16), (4, 3, 8)])
def test_one_converter_a_core_but_one_and_sixteen_documents_in_flight(
    unset: pytest.MonkeyPatch, cores: int, converters: int, batch: int
) -> None:
    unset.setattr(os, "sched_getaffinity", lambda pid: set(range(cores)))
    assert default_converters() == converters
    settings = Settings()
    assert (settings.converter_workers, settings.conversion_batch) == (converters, batch)


def test_the_environment_wins(unset: pytest.MonkeyPatch) -> None:
    unset.setenv("XWQL_CONVERTER_WORKERS", "2")
    assert (Settings().converter_workers, Settings().conversion_batch) == (2, 8)
    unset.setenv("XWQL_CONVERSION_BATCH", "1")
    assert Settings().conversion_batch == 1


@pytest.mark.parametrize(("value", "kept"), [(None, False), ("", False), ("0", False), ("1", True)])
def test_work_folders_of_failed_units_are_kept_on_request(
    monkeypatch: pytest.MonkeyPatch, value: str | None, kept: bool
) -> None:
    if value is None:
        monkeypatch.delenv("XWQL_KEEP_WORK", raising=False)
    else:
        monkeypatch.setenv("XWQL_KEEP_WORK", value)
    assert Settings().keep_work is kept
