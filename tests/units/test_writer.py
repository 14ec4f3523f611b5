"""The stamped writer keeps each village's drawn seal in the data folder."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from pipeline.cases.store import CaseStore
from pipeline.config import Settings
from pipeline.documents import stamp
from pipeline.documents.engine import DocumentEngine
from pipeline.documents.render import TemplateSet
from pipeline.organisations import load_district
from pipeline.programs.converter_service.pool import ServiceOrPool
from pipeline.programs.fonts import FontSetup
from pipeline.units.writer import StampedWriter


def _writer(settings: Settings, fonts: FontSetup, templates: TemplateSet) -> StampedWriter:
    engine = DocumentEngine(
        settings=settings, fonts=fonts, templates=templates, pool=ServiceOrPool(settings, fonts)
    )
    store = CaseStore(f"sqlite:///{settings.data / 'cases.sqlite3'}")
    return StampedWriter(
        engine, store, supervision_phone="0533-1234567", operator="test", work=settings.data
    )


def test_a_seal_is_drawn_once_then_read_as_drawn(
    settings: Settings,
    fonts: FontSetup,
    templates: TemplateSet,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    mine = replace(settings, data=tmp_path / "data")
    mine.data.mkdir()
    first, second = load_district(settings.district_path).villages[:2]
    drawn = _writer(mine, fonts, templates).seal(first)
    assert drawn == stamp.draw_seal(first.village.seal_text, fonts)
    assert len(list((mine.data / "seals").glob("*.png"))) == 1

    def no_drawing(text: str, fonts: FontSetup, *, subtitle: str = "") -> stamp.Seal:
        raise AssertionError(f"drew {text} again")

    monkeypatch.setattr(stamp, "draw_seal", no_drawing)
    assert _writer(mine, fonts, templates).seal(first) == drawn  # another command: read back
    monkeypatch.undo()
    other = _writer(mine, fonts, templates).seal(second)  # another village: drawn
    assert other.organisation == second.village.seal_text != first.village.seal_text
    assert len(list((mine.data / "seals").glob("*.png"))) == 2
