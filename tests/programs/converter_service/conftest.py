"""A converter service on real LibreOffice, for a data folder whose path is long."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from pipeline.config import Settings
from pipeline.programs.converter_service.lifecycle import ConverterService
from pipeline.programs.fonts import ensure_sc_fonts
from tests.conftest import ROOT

SAMPLE = ROOT / "examples" / "linzi" / "南马村-2026-11-台账.xlsx"
TEMPLATE = ROOT / "templates" / "result_notice.docx"  # a real DOCX (fields left unfilled)


def one_converter(data: Path) -> Settings:
    """Settings for ``data`` with one converter."""
    return replace(Settings(), data=data, converter_workers=1)


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder whose path is too long for a Unix socket address (over 108 bytes)."""
    folder = tmp_path_factory.mktemp("service") / ("a-long-data-folder-name-" * 3) / "data"
    folder.mkdir(parents=True)
    ensure_sc_fonts(folder)
    return folder


@pytest.fixture
def env(cli, data: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """The CLI on the long data folder; the service (and this side) with one converter."""
    monkeypatch.setenv("XWQL_DATA", str(data))
    monkeypatch.setenv("XWQL_CONVERTER_WORKERS", "1")
    return cli


@pytest.fixture
def service(data: Path, env) -> Iterator[ConverterService]:  # type: ignore[no-untyped-def]
    """A started service for ``data``; stopped (and checked stopped) afterwards."""
    settings = replace(Settings(), data=data)
    started = ConverterService(settings)
    started.start()
    try:
        yield started
    finally:
        started.stop()
        assert started.query() is None
        assert started.pool_processes() == []
