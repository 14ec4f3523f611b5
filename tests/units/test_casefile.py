"""The case file (案卷) assembled from a real sample case, with real LibreOffice."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pikepdf
import pytest

from pipeline.archive.metadata import archival_code
from pipeline.catalog.model import DocumentKind
from pipeline.config import Settings
from pipeline.documents.engine import DocumentEngine
from pipeline.documents.render import TemplateSet
from pipeline.intake.importing import import_ledger
from pipeline.programs.fonts import ensure_sc_fonts
from pipeline.programs.soffice import ConverterPool
from pipeline.units.casefile import assemble_case_file, case_source_sha256, collect_documents
from pipeline.units.notices import NoticeIssuer
from pipeline.workspace import Workspace
from tests.conftest import ROOT, assert_fonts_embedded_sc, pdf_text

pytestmark = pytest.mark.soffice


@dataclass(frozen=True)
class Filing:
    """The 南马村 sample imported into a case store of its own, and an issuer on it."""

    workspace: Workspace
    engine: DocumentEngine
    issuer: NoticeIssuer
    folder: Path


@pytest.fixture(scope="module")
def filing(
    settings: Settings, pool: ConverterPool, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Filing]:
    folder = tmp_path_factory.mktemp("casefile")
    local = Settings(home=settings.home, data=folder / "data", converter_workers=2)
    with Workspace.open(local) as workspace:
        import_ledger(ROOT / "examples" / "linzi" / "南马村-2026-11-台账.xlsx", workspace)
        engine = DocumentEngine(
            settings=local, fonts=ensure_sc_fonts(settings.data),
            templates=TemplateSet(settings.templates_dir), pool=pool,
        )  # fmt: skip
        issuer = NoticeIssuer(
            engine, workspace.store, supervision_phone="0533-7211234", operator="测试",
            work=folder / "work",
        )  # fmt: skip
        yield Filing(workspace, engine, issuer, folder)


def test_case_file_has_cover_contents_and_every_document(filing: Filing, tmp_path: Path) -> None:
    workspace = filing.workspace
    case = workspace.store.get("NM-2026-11-002")
    item = workspace.catalog.get(case.item_code)
    place = workspace.directory.get(case.village)
    documents = collect_documents(case, item, place, filing.issuer, tmp_path / "docs")
    code = archival_code(place.village.fonds, 2026, item.retention, place.village.code,
                         item.code, 1)  # fmt: skip
    result = assemble_case_file(
        case, item, place, documents, filing.engine, tmp_path / "案卷.pdf",
        archival_code=code, filed_on=dt.date(2026, 11, 24), work=tmp_path / "work",
    )  # fmt: skip
    titles = [d.title for d in documents]
    assert titles[:3] == ["申请表", "一次性告知单", "受理回执"]
    assert "临时救助公示" in titles and "临时救助结果公开" in titles
    assert result.documents == len(documents)
    with pikepdf.open(result.path) as pdf:
        assert pdf.open_metadata().pdfa_status == "2B"
        with pdf.open_outline() as outline:
            bookmarks = [item.title for item in outline.root]
    assert bookmarks[:2] == ["案卷封面", "卷内目录"]
    assert len(bookmarks) == 2 + len(documents)
    text = "".join(pdf_text(result.path).split())
    assert "卷内目录" in text and code in text
    assert "2026年11月24日" in text and "临淄区齐陵街道南马村临时救助（王𠮷）办件材料" in text
    assert_fonts_embedded_sc(result.path)


def test_a_decided_case_files_the_minutes_of_its_meetings(filing: Filing, tmp_path: Path) -> None:
    workspace = filing.workspace
    case = workspace.store.get("NM-2026-11-004")  # 四议两公开
    item = workspace.catalog.get(case.item_code)
    place = workspace.directory.get(case.village)
    register = workspace.meetings.of_village(place.village.code)
    meetings = [register[r.meeting_record] for r in case.steps if r.meeting_record]
    rules = workspace.catalog.meetings
    documents = collect_documents(case, item, place, filing.issuer, tmp_path / "docs",
                                  meetings=meetings, rules=rules)  # fmt: skip
    minutes = [d for d in documents if d.kind is DocumentKind.MEETING_RECORD]
    assert [d.title for d in minutes] == [
        "会议记录（村“两委”联席会议）", "会议记录（党员大会）", "会议记录（村民代表会议）",
    ]  # fmt: skip
    assert [d.note for d in minutes] == [m.number for m in meetings]
    representatives = meetings[-1]
    text = "".join(pdf_text(minutes[-1].pdf).split())
    assert f"应到15人，实到{representatives.present}人，符合三分之二以上要求" in text
    assert representatives.number in text and "NM-2026-11-004" in text
    # The village's bodies (kept for quorums) do not change what its units hash as.
    assert rules is not None
    bare = place.village.model_copy(update={"bodies": []})
    same = case_source_sha256(case, item, replace(place, village=bare))
    assert case_source_sha256(case, item, place) == same
    assert case_source_sha256(case, item, place, meetings) != same
