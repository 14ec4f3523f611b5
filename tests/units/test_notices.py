"""Notices for posting, end to end: real templates, LibreOffice, seals, store."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pikepdf
import pytest

from pipeline.cases.model import Case, Person, StepRecord
from pipeline.cases.store import CaseStore
from pipeline.catalog import Catalog
from pipeline.catalog.model import CatalogItem, DayUnit, StepKind
from pipeline.config import Settings
from pipeline.database import database_url
from pipeline.documents.engine import DocumentEngine
from pipeline.documents.render import Image
from pipeline.organisations import Directory, load_district
from pipeline.rules.actors import actor_alternatives
from pipeline.rules.calendar import add_days
from pipeline.rules.flow import apply_step
from pipeline.units.notices import (
    NoticeIssuer,
    NoticeJob,
    PrivacyLeak,
    check_public_text,
    notice_jobs,
)
from tests.conftest import assert_fonts_embedded_sc, pdf_text

ID = "370305199001011237"
PHONE = "13812345678"


def walk(case: Case, item: CatalogItem, until: StepKind) -> Case:
    """Record the item's steps in order, legally, up to and including the first ``until``."""
    day = case.received_on
    for step in item.steps:
        record = StepRecord(
            step=step.id, actor=actor_alternatives(step.actor)[0], date=day, operator="李四",
            meeting_record="2026-11 村民代表会议记录" if step.kind == StepKind.DECISION else None,
        )  # fmt: skip
        case = apply_step(case, item, record)
        if step.kind == until:
            return case
        # After a notice, wait for its period to run out.
        day = add_days(day, 8 if step.kind == StepKind.NOTICE else 1, DayUnit.CALENDAR)
    raise AssertionError(f"{item.code} has no {until} step")


@pytest.fixture(scope="module")
def directory(settings: Settings) -> Directory:
    return load_district(settings.district_path)


@pytest.fixture
def dibao(catalog: Catalog) -> Case:
    return Case(
        case_id="NM-2026-001", item_code="xwql-022", village="QL-NM",
        applicants=[Person(name="张𠮷<script>&", id_number=ID, phone=PHONE,
                           address="南马村东街8号", household_size=3)],
        first_contact_officer="李四", received_on=dt.date(2026, 11, 2),
        reason="因病致贫", amount=Decimal("1260.00"), decision="拟纳入低保，月补助1260元",
    )  # fmt: skip


@pytest.fixture
def issuer(settings: Settings, tmp_path: Path, pool) -> NoticeIssuer:  # type: ignore[no-untyped-def]
    from pipeline.documents.engine import DocumentEngine
    from pipeline.documents.render import TemplateSet
    from pipeline.programs.fonts import ensure_sc_fonts

    engine = DocumentEngine(
        settings=settings, fonts=ensure_sc_fonts(settings.data),
        templates=TemplateSet(settings.templates_dir), pool=pool,
    )  # fmt: skip
    store = CaseStore(database_url(tmp_path, None))
    return NoticeIssuer(
        engine, store, supervision_phone="0533-7211234", operator="李四", work=tmp_path / "work"
    )


@pytest.mark.soffice
def test_public_notice_is_masked_stamped_dated_and_registered(
    issuer: NoticeIssuer, dibao: Case, catalog: Catalog, directory: Directory, tmp_path: Path
) -> None:
    item = catalog.get("xwql-022")
    case = walk(dibao, item, StepKind.NOTICE)
    (job,) = notice_jobs(case, item, directory.get("QL-NM"))
    assert job.end == job.start + dt.timedelta(days=6)  # 7 calendar days, posting day included
    files = issuer.issue_all([job], tmp_path / "out").issued[0]

    public = "".join(pdf_text(files.public_pdf).split())
    assert ID not in public and PHONE not in public and "东街8号" not in public
    assert "370305********1237" in public
    assert "张𠮷<script>" in public  # the narrow name cell wraps before "&"
    start, end = job.start, job.end
    assert f"{start.year}年{start.month}月{start.day}日" in public
    assert f"{end.year}年{end.month}月{end.day}日" in public
    assert "0533-7211234" in public and "南马村民委员会" in public
    assert files.notice.verification_code in public
    assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}", files.notice.verification_code)

    internal = "".join(pdf_text(files.internal_pdf).split())
    assert ID in internal

    for pdf in (files.public_pdf, files.internal_pdf):
        assert_fonts_embedded_sc(pdf)
        with pikepdf.open(pdf) as document:
            images = [x for x in document.pages[0].Resources.XObject.values() if "/SMask" in x]
            assert images, "no seal on the sheet"
    register = issuer.store.seal_uses()
    assert [row["document"] for row in register] == [files.public_pdf.name, files.internal_pdf.name]
    assert all(row["organisation"] == "临淄区齐陵街道南马村民委员会" for row in register)
    assert issuer.store.notice(files.notice.verification_code) == files.notice


@pytest.mark.soffice
def test_reissuing_gives_the_same_code(
    issuer: NoticeIssuer, dibao: Case, catalog: Catalog, directory: Directory, tmp_path: Path
) -> None:
    item = catalog.get("xwql-022")
    case = walk(dibao, item, StepKind.NOTICE)
    jobs = notice_jobs(case, item, directory.get("QL-NM"))
    first = issuer.issue_all(jobs, tmp_path / "a").issued[0].notice.verification_code
    second = issuer.issue_all(jobs, tmp_path / "b").issued[0].notice.verification_code
    assert first == second


@pytest.mark.soffice
def test_result_notice_after_the_notice_period(
    issuer: NoticeIssuer, dibao: Case, catalog: Catalog, directory: Directory, tmp_path: Path
) -> None:
    item = catalog.get("xwql-022")
    case = walk(dibao, item, StepKind.RESULT)
    jobs = notice_jobs(case, item, directory.get("QL-NM"))
    assert [j.kind.value for j in jobs] == ["public_notice", "result_notice"]
    files = issuer.issue_all(jobs, tmp_path / "out").issued
    assert "结果公开" in files[1].public_pdf.name
    assert ID not in "".join(pdf_text(files[1].public_pdf).split())


@pytest.mark.parametrize(
    "lines",
    [[f"ID {ID}"], [f"{ID} 3 1,260.00"], [f"ID {ID[:10]}", ID[10:]], [f"Tel {PHONE} 3"]],
    ids=["alone", "next-cell-a-number", "cut-by-a-line-break", "phone"],
)
def test_privacy_guard_deletes_a_leaking_sheet(tmp_path: Path, lines: list[str]) -> None:
    from reportlab.pdfgen import canvas

    leaking = tmp_path / "leak.pdf"
    sheet = canvas.Canvas(str(leaking))
    for number, line in enumerate(lines):
        sheet.drawString(100, 700 - 20 * number, line)
    sheet.save()
    with pytest.raises(PrivacyLeak):
        check_public_text(leaking)
    assert not leaking.exists()


class _LeakingIssuer(NoticeIssuer):
    """Prints the applicant's full ID number on the public sheet (a broken masking)."""

    def _context(self, job: NoticeJob, code: str, qr: Image) -> dict[str, Any]:
        context = super()._context(job, code, qr)
        return context | {"rows": [row | {"id_number": ID} for row in context["rows"]]}


@pytest.mark.soffice
def test_a_leaking_public_sheet_is_neither_posted_nor_stamped_nor_registered(
    issuer: NoticeIssuer, dibao: Case, catalog: Catalog, directory: Directory, tmp_path: Path
) -> None:
    leaking = _LeakingIssuer(
        issuer.engine, issuer.store, supervision_phone=issuer.supervision_phone,
        operator=issuer.operator, work=issuer.work,
    )  # fmt: skip
    item = catalog.get("xwql-022")
    jobs = notice_jobs(walk(dibao, item, StepKind.NOTICE), item, directory.get("QL-NM"))

    batch = leaking.issue_all(jobs, tmp_path / "out")

    assert not batch.issued
    assert [type(error) for _, error in batch.failed] == [PrivacyLeak]
    assert not list((tmp_path / "out").glob("*.pdf"))
    assert leaking.store.seal_uses() == []  # not even the internal copy was stamped
    assert leaking.store.notice(jobs[0].verification_code) is None


def test_engine_type_is_the_shared_one() -> None:
    assert DocumentEngine.__name__ == "DocumentEngine"
