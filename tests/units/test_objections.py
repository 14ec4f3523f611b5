"""An objection's record written by real LibreOffice and filed into a real WORM bucket."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.archive.archiver import Archiver, Outcome
from pipeline.archive.idkey import IdKey
from pipeline.archive.index import ArchiveIndex
from pipeline.archive.metadata import UnitKind
from pipeline.archive.objectstore import ObjectStore
from pipeline.cases.model import ObjectionAnswer, ObjectionDecision
from pipeline.cases.objections import Objection, ObjectionKind
from pipeline.catalog import load_catalog
from pipeline.config import Settings
from pipeline.documents.engine import DocumentEngine
from pipeline.documents.render import TemplateSet
from pipeline.organisations import load_district
from pipeline.programs.fonts import ensure_sc_fonts
from pipeline.programs.soffice import ConverterPool
from pipeline.units.filing import file_objection
from pipeline.units.notices import NoticeIssuer
from pipeline.units.objections import write_objection_record
from tests.conftest import assert_fonts_embedded_sc, pdf_text
from tests.keys import sealer_in

pytestmark = [pytest.mark.soffice, pytest.mark.s3]

NAME, PHONE = "赵异议", "13955556666"
TYPED_ID = "370305198001011234"  # an ID number the villager typed into the text


def objection(answer: ObjectionAnswer | None = None) -> Objection:
    return Objection(
        receipt="7K3D-Q9XM", kind=ObjectionKind.OBJECTION, village="QL-NM",
        case_id="NM-2026-10-004", notice_code="ABCD-EFGH", notice_step="notice",
        item_code="xwql-022", text=f"申请人（身份证 {TYPED_ID}）家里有轿车。",
        contact_name=NAME, contact_phone=PHONE, photo_type=None,
        received_at=dt.datetime(2026, 11, 30, 2, tzinfo=dt.UTC),
        received_on=dt.date(2026, 11, 30), in_period=True, due_on=dt.date(2026, 12, 7),
        answer=answer,
    )  # fmt: skip


ANSWER = ObjectionAnswer(
    findings="经入户核实，车辆登记在其已分户的儿子名下。", decision=ObjectionDecision.NOT_UPHELD,
    answered_on=dt.date(2026, 12, 2), answered_by="王监督", steps_before=5,
)  # fmt: skip


@pytest.fixture
def issuer(settings: Settings, pool: ConverterPool, tmp_path: Path) -> NoticeIssuer:
    engine = DocumentEngine(
        settings=settings, fonts=ensure_sc_fonts(settings.data),
        templates=TemplateSet(settings.templates_dir), pool=pool,
    )  # fmt: skip
    return NoticeIssuer(
        engine, None, supervision_phone="0533-7211234", operator="测试",  # type: ignore[arg-type]
        work=tmp_path / "work",
    )  # fmt: skip


@pytest.fixture
def archiver(fresh_store: ObjectStore, tmp_path: Path) -> Iterator[Archiver]:
    key = IdKey(b"test key of the ID-number hashes, 32+ bytes")
    with ArchiveIndex(f"sqlite:///{tmp_path / 'index.sqlite3'}", id_key=key) as index:
        yield Archiver(fresh_store, index, tmp_path / "outbox", sealer=sealer_in(tmp_path))


def test_the_public_copy_names_no_one_and_the_internal_one_keeps_the_contact(
    settings: Settings, issuer: NoticeIssuer, tmp_path: Path
) -> None:
    place = load_district(settings.district_path).get("QL-NM")
    item = load_catalog(settings.catalog_dir).get("xwql-022")
    written = write_objection_record(objection(ANSWER), place, item, issuer, tmp_path)

    public = "".join(pdf_text(written.public_pdf).split())
    assert "异议处理记录" in public and "7K3D-Q9XM" in public and "异议不成立" in public
    assert "南马村村务监督委员会" in public and "2026年12月2日" in public
    assert NAME not in public and PHONE not in public and TYPED_ID not in public
    internal = "".join(pdf_text(written.internal_pdf).split())
    assert NAME in internal and PHONE in internal and TYPED_ID in internal
    assert_fonts_embedded_sc(written.public_pdf)


def test_filed_when_received_and_again_once_answered(
    settings: Settings, issuer: NoticeIssuer, archiver: Archiver, tmp_path: Path
) -> None:
    place = load_district(settings.district_path).get("QL-NM")
    item = load_catalog(settings.catalog_dir).get("xwql-022")

    def filed(kept: Objection) -> tuple[Outcome, int]:
        done = file_objection(kept, b"", place, item, issuer, archiver, work=tmp_path / "w")
        return done.outcome, done.version

    assert filed(objection()) == (Outcome.ADDED, 1)
    assert filed(objection())[0] is Outcome.UNCHANGED  # a second run adds nothing
    assert filed(objection(ANSWER)) == (Outcome.NEW_VERSION, 2)  # the answer: a new version
    page = archiver.index.search(text="7K3D-Q9XM", kind=UnitKind.OBJECTION.value, limit=5)
    assert {entry.version for entry in page.entries} == {1, 2}
