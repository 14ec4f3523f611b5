from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from pipeline.cases.model import Advisory, Case, Person, StepRecord
from pipeline.cases.store import CaseStore, Change, IssuedNotice, case_data, content_hash
from pipeline.database import database_url
from pipeline.documents.stamp import SealUse
from pipeline.errors import InputInvalid


def make_case(case_id: str = "NM-2026-001", **changes: object) -> Case:
    case = Case(
        case_id=case_id,
        item_code="xwql-022",
        village="QL-NM",
        applicants=[
            Person(
                name="张𠮷䶮😀<script>&",
                id_number="370305199001011237",
                phone="13812345678",
                address="南马村东街8号",
                household_size=3,
            )
        ],
        first_contact_officer="李四",
        received_on=dt.date(2026, 11, 3),
        reason="因病致贫，申请低保",
        amount=Decimal("1200.50"),
    )
    return case.model_copy(update=changes)


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[CaseStore]:
    """The same tests on SQLite (default) and on a real PostgreSQL."""
    if request.param == "sqlite":
        url = database_url(tmp_path, None)
    else:
        url = request.getfixturevalue("postgres_url")
    opened = CaseStore(url)
    yield opened
    # Each test starts from empty tables, on either database.
    with opened.engine.begin() as db:
        for name in ("notices", "seal_uses", "case_versions", "cases"):
            db.execute(sa.text(f"DELETE FROM {name}"))
    opened.close()


def test_save_is_idempotent_and_keeps_every_version(store: CaseStore) -> None:
    case = make_case()
    assert store.save(case, source="ledger.xlsx") == Change.ADDED
    assert store.save(case, source="ledger.xlsx") == Change.UNCHANGED
    stepped = case.model_copy(
        update={"steps": [StepRecord(step="apply", actor="申请人", date=dt.date(2026, 11, 3))]}
    )
    assert store.save(stepped, source="xwql cases step") == Change.UPDATED
    assert store.get(case.case_id) == stepped
    history = store.history(case.case_id)
    assert [v.source for v in history] == ["ledger.xlsx", "xwql cases step"]
    assert history[0].case == case and history[1].case == stepped
    assert history[1].content_hash == content_hash(stepped)


def test_unicode_round_trips_literally(store: CaseStore) -> None:
    store.save(make_case(), source="t")
    assert store.get("NM-2026-001").applicant.name == "张𠮷䶮😀<script>&"


def test_find_filters(store: CaseStore) -> None:
    store.save_all(
        [
            make_case("A1"),
            make_case("A2", village="QL-DZ"),
            make_case("A3", item_code="xwql-040", received_on=dt.date(2026, 11, 1)),
        ],
        source="t",
    )
    assert [c.case_id for c in store.find()] == ["A3", "A1", "A2"]
    assert [c.case_id for c in store.find(village="QL-DZ")] == ["A2"]
    assert [c.case_id for c in store.find(item_code="xwql-040")] == ["A3"]


def test_unknown_case_is_a_clear_error(store: CaseStore) -> None:
    with pytest.raises(InputInvalid, match="xwql cases list"):
        store.get("nope")


def test_seal_register_and_notice_registry(store: CaseStore) -> None:
    use = SealUse(
        organisation="临淄区齐陵街道南马村民委员会", document="NM-2026-001-公示.pdf", page=1,
        purpose="公示", operator="李四", placed_at=dt.datetime(2026, 11, 24, 9, 0, tzinfo=dt.UTC),
    )  # fmt: skip
    store.record_seal_use(use, document_sha256="ab" * 32, case_id="NM-2026-001")
    (row,) = store.seal_uses()
    assert row["organisation"] == use.organisation and row["case_id"] == "NM-2026-001"
    notice = IssuedNotice(
        verification_code="ABCD-EFGH", case_id="NM-2026-001", kind="public_notice",
        village="QL-NM", item_code="xwql-022", period_start=dt.date(2026, 11, 3),
        period_end=dt.date(2026, 11, 9), issued_on=dt.date(2026, 11, 3),
        public_sha256="cd" * 32, public_file="NM-2026-001-公示.pdf",
    )  # fmt: skip
    store.register_notice(notice)
    store.register_notice(notice)
    assert store.notice(" abcd-efgh ") == notice
    assert store.notice("ZZZZ-ZZZZ") is None


def test_a_case_hashes_as_before_objections_and_advice_were_kept() -> None:
    # Regression: the advisories field, empty on every case stored before it, made
    # every stored case look changed to the next import of the same ledger.
    case = make_case()
    data = case.model_dump(mode="json")
    older = {key: value for key, value in data.items() if key not in ("objections", "advisories")}
    canonical = json.dumps(older, ensure_ascii=False, sort_keys=True)
    assert content_hash(case) == hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    advised = case.model_copy(
        update={"advisories": [Advisory(step="accept", date=dt.date(2026, 11, 3), rule="actor",
                                        message="提示")]}
    )  # fmt: skip
    assert content_hash(advised) != content_hash(case)
    # The monthly packs hashed every case with its (empty) objections, never with advice.
    assert set(case_data(case, objections=True)) == set(data) - {"advisories"}
    assert "advisories" in case_data(advised, objections=True)
