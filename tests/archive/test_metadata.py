"""The archive record: archival codes, the model's rules, its JSON Schema, S3 tags and metadata."""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal
from typing import Any

import jsonschema
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from pydantic import ValidationError

from pipeline.archive.metadata import (
    RETENTION_CODES,
    SCHEMA_FILE,
    ArchivalCode,
    ArchivalCodeInvalid,
    ArchiveRecord,
    PublicRecord,
    UnitKind,
    archival_code,
    case_record,
    parse_archival_code,
    record_json,
    record_schema_text,
    s3_metadata,
    s3_tags,
    tag_text,
)
from pipeline.archive.objectstore import check_metadata, check_tags
from pipeline.cases.model import Case, Person, StepRecord
from pipeline.catalog import Catalog
from pipeline.catalog.model import Retention
from pipeline.errors import InputInvalid
from pipeline.organisations import load_district
from tests.archive.records import ID_NUMBER, PHONE, sample_record
from tests.conftest import ROOT

SCHEMA = ROOT / "archive_schema" / SCHEMA_FILE
_ID_RUN = re.compile(r"\d{17}[\dXx]")
_PHONE_RUN = re.compile(r"\d{11}")
_TAG_ALPHABET = re.compile(r"[\w .:/=+\-@]*")

# --- archival codes ---------------------------------------------------------------------------


def test_archival_code_form() -> None:
    code = archival_code("LZ-QL-001", 2026, Retention.YEARS_30, "QL-NM", "xwql-022", 7)
    assert code == "LZ-QL-001-2026-D30-QL.NM-022-0007"
    assert archival_code("LZ-QL-001", 2026, "永久", "QL-NM", "xwql-040", 12).endswith(
        "-2026-Y-QL.NM-040-0012"
    )
    assert archival_code("LZ", 2027, "10年", "LZ", None, 1) == "LZ-2027-D10-LZ-000-0001"
    parsed = parse_archival_code(code)
    assert parsed == ArchivalCode("LZ-QL-001", 2026, Retention.YEARS_30, "QL-NM", "xwql-022", 7)
    assert str(parsed) == code


@pytest.mark.parametrize(
    ("fonds", "year", "retention", "village", "item", "sequence"),
    [
        ("lz-ql", 2026, "30年", "QL-NM", "xwql-022", 1),  # lower case fonds
        ("LZ--QL", 2026, "30年", "QL-NM", "xwql-022", 1),  # empty fonds group
        ("临淄", 2026, "30年", "QL-NM", "xwql-022", 1),
        ("L" * 25, 2026, "30年", "QL-NM", "xwql-022", 1),
        ("LZ", 999, "30年", "QL-NM", "xwql-022", 1),
        ("LZ", 2026, "20年", "QL-NM", "xwql-022", 1),
        ("LZ", 2026, "30年", "QL.NM", "xwql-022", 1),  # '.' is the code's escape for '-'
        ("LZ", 2026, "30年", "ql-nm", "xwql-022", 1),
        ("LZ", 2026, "30年", "QL-NM", "xwql-000", 1),
        ("LZ", 2026, "30年", "QL-NM", "022", 1),
        ("LZ", 2026, "30年", "QL-NM", "xwql-022", 0),
        ("LZ", 2026, "30年", "QL-NM", "xwql-022", 10000),
    ],
)
def test_archival_code_refuses_bad_parts(
    fonds: str, year: int, retention: str, village: str, item: str, sequence: int
) -> None:
    with pytest.raises(ArchivalCodeInvalid) as caught:
        archival_code(fonds, year, retention, village, item, sequence)
    assert isinstance(caught.value, InputInvalid)
    assert "LZ-QL-001-2026-D30-QL.NM-022-0007" in str(caught.value)  # shows the form


@pytest.mark.parametrize(
    "code",
    [
        "",
        "LZ-QL-001",
        "LZ-QL-001-26-D30-QL.NM-022-0007",
        "LZ-QL-001-2026-D20-QL.NM-022-0007",
        "LZ-QL-001-2026-D30-QL-NM-022-0007",  # a village with '-' would be ambiguous
        "LZ-QL-001-2026-D30-QL.NM-22-0007",
        "LZ-QL-001-2026-D30-QL.NM-022-7",
        "LZ-QL-001-2026-D30-QL.NM-022-0000",
        "lz-ql-001-2026-D30-QL.NM-022-0007",
        "-2026-D30-QL.NM-022-0007",
        "LZ-QL-001-2026-D30-QL.NM-022-0007 ",
        "LZ-QL-００１-2026-D30-QL.NM-022-0007",
    ],
)
def test_parser_refuses_what_is_not_a_code(code: str) -> None:
    with pytest.raises(ArchivalCodeInvalid):
        parse_archival_code(code)


_FONDS = st.from_regex(r"\A[A-Z0-9]{1,6}(-[A-Z0-9]{1,6}){0,3}\Z").filter(lambda f: len(f) <= 24)
_VILLAGE = st.from_regex(r"\A[A-Z][A-Z0-9-]{1,23}\Z")  # organisations.OrgCode
_ITEM = st.none() | st.integers(1, 999).map(lambda n: f"xwql-{n:03d}")
_RETENTION = st.sampled_from(list(Retention))
_CODE_PATTERN = ArchiveRecord.model_json_schema()["properties"]["archival_code"]["pattern"]


@given(
    _FONDS, st.integers(1000, 9999), _RETENTION, _VILLAGE, _ITEM, st.integers(1, 9999)
)  # fmt: skip
@example("LZ-QL-001", 2026, Retention.YEARS_30, "QL-NM", "xwql-022", 7)
@example("9", 1000, Retention.PERMANENT, "Q-", None, 9999)
@example("LZ-2026-Y", 2026, Retention.PERMANENT, "A-2026-Y-B", "xwql-001", 1)
def test_archival_code_round_trip(
    fonds: str, year: int, retention: Retention, village: str, item: str | None, sequence: int
) -> None:
    code = archival_code(fonds, year, retention, village, item, sequence)
    assert code.isascii() and " " not in code
    assert re.fullmatch(_CODE_PATTERN, code)
    assert parse_archival_code(code) == ArchivalCode(
        fonds, year, retention, village, item, sequence
    )


_PARTS = st.tuples(st.integers(1990, 2100), _RETENTION, _VILLAGE, _ITEM, st.integers(1, 9999))


@given(st.lists(_PARTS, min_size=2, max_size=8))
def test_codes_of_one_fonds_sort_by_their_fields(
    parts: list[tuple[int, Retention, str, str | None, int]],
) -> None:
    def fields(p: tuple[int, Retention, str, str | None, int]) -> tuple[int, str, str, str, int]:
        year, retention, village, item, sequence = p
        return year, RETENTION_CODES[retention], village.replace("-", "."), item or "", sequence

    codes = sorted(archival_code("LZ-QL-001", *p) for p in parts)
    assert [parse_archival_code(c) for c in codes] == [
        ArchivalCode("LZ-QL-001", *p) for p in sorted(parts, key=fields)
    ]


# --- the model --------------------------------------------------------------------------------


def test_record_round_trips_through_json() -> None:
    record = sample_record()
    text = record.to_json()
    assert ArchiveRecord.model_validate_json(text) == record
    data = json.loads(text)
    assert data["amounts"][0]["value"] == "1260.00"  # Decimal as a string
    assert data["schema_version"] == 1 and data["format"] == "PDF/A-2b"
    assert list(data) == sorted(data)
    assert record.code.village_code == "QL-NM"


def test_money_is_never_a_float() -> None:
    assert sample_record(amounts=[{"label": "x", "value": Decimal("12.5")}]).amounts[0].value == (
        Decimal("12.5")
    )
    assert json.loads(sample_record(amounts=[{"label": "x", "value": "12.5"}]).to_json())[
        "amounts"
    ][0]["value"] == "12.50"  # fmt: skip
    with pytest.raises(ValidationError, match="never a float"):
        sample_record(amounts=[{"label": "x", "value": 12.5}])
    with pytest.raises(ValidationError):
        sample_record(amounts=[{"label": "x", "value": "12.345"}])


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"retention": "永久"}, "archival code says 30年"),
        ({"item": {"code": "xwql-026", "name": "临时救助"}}, "item is xwql-022"),
        ({"village": {"code": "QL-DZ", "name": "东周家村"}}, "village is QL-NM"),
        ({"case_id": None}, "needs case_id"),
        ({"kind": "monthly_pack"}, "needs month"),
        ({"month": "2026-11"}, "only a monthly_pack"),
        ({"files": [{"path": "b.pdf", "sha256": "0" * 64, "size": 1, "pages": 1, "role": "main"},
                    {"path": "a.pdf", "sha256": "0" * 64, "size": 1, "pages": 1, "role": "main"}],
          "page_count": 2}, "sorted"),
        ({"files": [{"path": "a.pdf", "sha256": "0" * 64, "size": 1, "pages": 3, "role": "main"}],
          "page_count": 2}, "page_count is 2"),
        ({"files": [{"path": "../a.pdf", "sha256": "0" * 64, "size": 1, "role": "main"}]}, "'..'"),
        ({"archival_code": "LZ-QL-001-2026-D30-QL-NM-022-0007"}, "archival_code"),
        ({"notice_period": {"start": dt.date(2026, 11, 10), "end": dt.date(2026, 11, 9),
                            "days": 7, "unit": "calendar"}}, "ends"),
        ({"internal": {"persons": [{"name": "王五", "id_number": ID_NUMBER}]}}, "not named"),
        ({"persons": [{"name": "张秀英", "role": "applicant", "id_number": ID_NUMBER}]},
         "Extra inputs"),
        ({"surprise": 1}, "Extra inputs"),
    ],
)  # fmt: skip
def test_model_refuses_inconsistent_records(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=re.escape(message)):
        sample_record(**changes)


def test_monthly_pack_and_catalog_edition_records() -> None:
    pack = sample_record(
        kind="monthly_pack", month="2026-11", item=None, case_id=None, persons=[], internal=None,
        archival_code=archival_code("LZ-QL-001", 2026, "30年", "QL-NM", None, 3),
        title="南马村2026年11月村务公开材料", classification={},
    )  # fmt: skip
    assert pack.code.item_code is None
    edition = sample_record(
        kind="catalog_edition", edition="2026.1", town=None, village=None, item=None,
        case_id=None, persons=[], internal=None, notice_period=None, irregularities=[],
        retention="永久", archival_code=archival_code("LZ", 2026, "永久", "LZ", None, 1),
        title="临淄区村级小微权力清单（2026.1版）", responsible_body="临淄区委组织部",
    )  # fmt: skip
    assert s3_tags(edition)["edition"] == "2026.1"
    assert "village" not in s3_tags(edition)


def test_public_projection_has_no_personal_data() -> None:
    record = sample_record()
    public = record.public()
    assert type(public) is PublicRecord
    assert "internal" not in public.model_dump()
    text = record_json(public)
    assert ID_NUMBER not in text and PHONE not in text and "一街3号" not in text
    assert ID_NUMBER in record.to_json()  # the internal record keeps them


def test_case_record_from_a_real_case(catalog: Catalog) -> None:
    item = catalog.get("xwql-022")
    place = load_district(ROOT / "examples" / "linzi" / "district.yaml").get("QL-NM")
    case = Case(
        case_id="NM-2026-11-001", item_code=item.code, village="QL-NM",
        applicants=[Person(name="张秀英", id_number=ID_NUMBER, phone=PHONE)],
        first_contact_officer="刘芳", received_on=dt.date(2026, 11, 2),
        amount=Decimal("1260.00"),
        steps=[StepRecord(step=s, actor="村民委员会", date=dt.date(2026, 11, 2 + n))
               for n, s in enumerate(["apply", "accept", "investigate", "notice"])],
    )  # fmt: skip
    record = case_record(
        case, item, place, title="南马村低保申请（张秀英）办件材料", date=dt.date(2026, 11, 24),
        sequence=7,
    )  # fmt: skip
    assert record.archival_code == "LZ-QL-001-2026-D30-QL.NM-022-0007"
    assert record.kind == UnitKind.CASE_FILE and record.retention == Retention.YEARS_30
    assert record.classification.category == "保障救助"
    assert record.responsible_body == "南马村民委员会"
    assert [p.role for p in record.persons] == ["applicant", "first_contact_officer"]
    assert record.notice_period is not None and record.notice_period.start == dt.date(2026, 11, 5)
    assert record.notice_period.days == 7
    assert record.internal is not None and record.internal.persons[0].id_number == ID_NUMBER
    assert case_record(case, item, place, title="t", date=dt.date(2026, 11, 24), sequence=7,
                       internal=False).internal is None  # fmt: skip


# --- the JSON Schema --------------------------------------------------------------------------


def test_committed_schema_is_generated_from_the_model() -> None:
    # Regenerate with: python -c "from pipeline.archive.metadata import record_schema_text as t;
    #   open('archive_schema/archive-record.schema.json', 'w').write(t())"
    assert SCHEMA.read_text(encoding="utf-8") == record_schema_text()


def _validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$id"].endswith("/archive-record/v1")
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def test_schema_validates_records() -> None:
    validator = _validator()
    record = sample_record()
    for data in (json.loads(record.to_json()), json.loads(record_json(record.public()))):
        assert not [e.message for e in validator.iter_errors(data)]


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("amounts", 0, "value"), 1260.0),
        (("archival_code",), "LZ-QL-001-2026-D30-QL-NM-022-0007"),
        (("persons", 0, "id_number"), ID_NUMBER),
        (("retention",), "20年"),
        (("kind",), "letter"),
        (("schema_version",), 2),
        (("date",), "2026-13-01"),
    ],
)
def test_schema_rejects_broken_records(path: tuple[str | int, ...], value: object) -> None:
    data = json.loads(sample_record().to_json())
    target = data
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    assert not _validator().is_valid(data)


# --- S3 tags and metadata ---------------------------------------------------------------------


def _assert_tags_safe(tags: dict[str, str], secrets: list[str]) -> None:
    check_tags(tags)  # the object store's own limits
    assert len(tags) <= 10
    for key, value in tags.items():
        assert key.isascii() and len(value) <= 256
        assert _TAG_ALPHABET.fullmatch(value), (key, value)
        assert value == value.strip() and "  " not in value
        assert not _ID_RUN.search(value) and not _PHONE_RUN.search(value), (key, value)
        for secret in secrets:
            assert secret not in value


def _assert_metadata_safe(metadata: dict[str, str], secrets: list[str]) -> None:
    check_metadata(metadata)
    assert sum(len(k) + len(v) for k, v in metadata.items()) < 2048
    for key, value in metadata.items():
        assert value.isascii() and value.isprintable()
        if key not in {"manifest-sha256", "previous-manifest-sha256"}:
            assert not _PHONE_RUN.search(value), (key, value)
        for secret in secrets:
            assert secret not in value


def test_tags_and_metadata_of_the_sample() -> None:
    record = sample_record()
    tags = s3_tags(record)
    assert tags == {
        "archival-code": "LZ-QL-001-2026-D30-QL.NM-022-0007",
        "kind": "case_file",
        "title": "临淄区齐陵街道南马村低保申请 张秀英 办件材料",
        "date": "2026-11-24",
        "retention": "30年",
        "town": "齐陵街道",
        "village": "南马村",
        "item": "xwql-022 低保申请",
        "case-id": "NM-2026-11-001",
        "persons": "张秀英 刘芳",
    }
    _assert_tags_safe(tags, [ID_NUMBER, PHONE])
    metadata = s3_metadata(record, manifest_sha256="ab" * 32)
    assert metadata["archival-code"] == tags["archival-code"]
    assert metadata["retention"] == "D30" and metadata["manifest-sha256"] == "ab" * 32
    assert metadata["village-code"] == "QL-NM" and metadata["item-code"] == "xwql-022"
    _assert_metadata_safe(metadata, [ID_NUMBER, PHONE])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("村民委员会（协助镇（街道）、区民政局）", "村民委员会 协助镇 街道 区民政局"),
        ("电话13805331021", "电话138____1021"),
        ("电话１３８０５３３１０２１", "电话138____1021"),  # full-width digits
        ("电话138 0533 1021", "电话138____1021"),
        ("身份证370305195803121234号", "身份证370305________1234号"),
        ("٣٧٠٣٠٥١٩٥٨٠٣١٢١٢٣٤", "370305________1234"),  # Arabic-Indic digits
        ("2026-11-24 公示", "2026-11-24 公示"),
        ("a\tb\nc", "a b c"),
        ("x" * 300, "x" * 256),
        ("《》“”！", ""),
    ],
)
def test_tag_text(text: str, expected: str) -> None:
    assert tag_text(text) == expected


_DIGITS = st.sampled_from("0123456789０１２３４５６７８９٠١٢٣")
_SEPARATOR = st.sampled_from(["", " ", "-", "—", "（", "、"])
_NUMBER = st.lists(_DIGITS, min_size=11, max_size=18).map("".join)
_FREE = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40
)  # fmt: skip
_NAME = st.builds(lambda a, n, b: (a + n + b).strip() or "某", _FREE, _NUMBER | st.just(""), _FREE)
_ID = st.from_regex(r"\A[1-6][0-9]{16}[0-9X]\Z")
_MOBILE = st.from_regex(r"\A1[3-9][0-9]{9}\Z")


@given(
    names=st.lists(_NAME.filter(lambda n: 1 <= len(n) <= 60), min_size=1, max_size=4),
    ids=st.lists(_ID, min_size=1, max_size=4),
    phones=st.lists(_MOBILE, min_size=1, max_size=4),
    title_parts=st.lists(_FREE | _NUMBER | _ID | _MOBILE, min_size=1, max_size=6),
    separator=_SEPARATOR,
)
@example(names=["张三"], ids=[ID_NUMBER], phones=[PHONE],
         title_parts=["张三", ID_NUMBER, "电话", PHONE], separator="")  # fmt: skip
@example(names=["138", "0533", "1021"], ids=[ID_NUMBER], phones=[PHONE],
         title_parts=[PHONE[:3], PHONE[3:7], PHONE[7:]], separator=" ")  # fmt: skip
def test_tags_never_carry_id_or_phone_numbers(
    names: list[str], ids: list[str], phones: list[str], title_parts: list[str], separator: str
) -> None:
    title = separator.join(title_parts).replace("\x00", "").strip() or "题名"
    title = "".join(c for c in title if c.isprintable())[:500] or "题名"
    persons = [{"name": n, "role": "applicant"} for n in names]
    internal = [
        {"name": n, "id_number": ids[i % len(ids)], "phone": phones[i % len(phones)]}
        for i, n in enumerate(names)
    ]
    try:
        record = sample_record(title=title, persons=persons, internal={"persons": internal})
    except ValidationError:
        return  # a title or name the model refuses never reaches the tags
    secrets = [*ids, *phones]
    _assert_tags_safe(s3_tags(record), secrets)
    _assert_tags_safe(s3_tags(record.public()), secrets)
    _assert_metadata_safe(s3_metadata(record, manifest_sha256="0" * 64), secrets)
