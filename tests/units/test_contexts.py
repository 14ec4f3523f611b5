from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import qrcode
from docx import Document
from docx.oxml.ns import qn

from pipeline.cases.meetings import Meeting, TopicVote
from pipeline.cases.model import Case, Person, Proxy, StepRecord
from pipeline.cases.verification import (
    CROCKFORD,
    parse_verification_code,
    verification_code,
    verification_payload,
)
from pipeline.catalog import Catalog, CatalogItem
from pipeline.catalog.model import DocumentKind, MeetingKind
from pipeline.config import Settings
from pipeline.documents.render import Image, TemplateSet
from pipeline.errors import InputInvalid
from pipeline.organisations import Place, load_district
from pipeline.units.contexts import (
    DOCUMENTS,
    PUBLIC_KINDS,
    DocumentRequest,
    document_context,
    handling_phone,
    meeting_record_context,
    minutes_context,
    proxy_authorisation_context,
    public_notice_context,
    receipt_context,
    result_notice_context,
    time_limit_text,
)

NASTY = "张𠮷䶮😀<script>&"
ID_NUMBER = "370305199001011234"
CO_ID_NUMBER = "37030519880505123X"
MOBILE = "13812345678"
ADDRESS = "齐陵街道南马村幸福路18号"
CASE_TEMPLATES = {
    "application", "notification", "receipt", "proxy_authorisation",
    "meeting_record", "public_notice", "result_notice",
}  # fmt: skip
FULL_ID = re.compile(r"(?<![0-9])(?:[0-9]{17}[0-9Xx]|[0-9]{15})(?![0-9])")
FULL_MOBILE = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")
CODE = re.compile(rf"^[{CROCKFORD}]{{4}}-[{CROCKFORD}]{{4}}$")


@pytest.fixture(scope="module")
def place(settings: Settings) -> Place:
    return load_district(settings.district_path).get("QL-NM")


@pytest.fixture(scope="module")
def item(catalog: Catalog) -> CatalogItem:
    return catalog.get("xwql-022")  # 低保申请: every case document kind


@pytest.fixture(scope="module")
def qr(tmp_path_factory: pytest.TempPathFactory) -> Image:
    path = tmp_path_factory.mktemp("qr") / "qr.png"
    qrcode.make("https://xwql.example/v/ABCD-1234").save(path)
    return Image(path, width_mm=18)


def make_case(**overrides: Any) -> Case:
    values: dict[str, Any] = {
        "case_id": "QL-NM-2026-0007",
        "item_code": "xwql-022",
        "village": "QL-NM",
        "applicants": [
            Person(name=NASTY, id_number=ID_NUMBER, phone=MOBILE, address=ADDRESS,
                   household_size=3),
            Person(name="李四{{ title }}", id_number=CO_ID_NUMBER, phone="0533-7123456",
                   address=ADDRESS),
        ],
        "first_contact_officer": "王芳😀",
        "proxy": Proxy(name="赵𠮷强", authorised_on=dt.date(2026, 10, 20)),
        "received_on": dt.date(2026, 10, 20),
        # Free text that a clerk filled with personal data: public documents must mask it.
        "reason": f"因病致贫 <b>&amp; 联系{MOBILE}，住{ADDRESS}",
        "materials_received": ["低保申请书"],
        "amount": Decimal("1234.5"),
        "steps": [
            StepRecord(step="apply", actor="申请人", date=dt.date(2026, 10, 20)),
            StepRecord(step="accept", actor="村便民服务室民政协理员", date=dt.date(2026, 10, 20)),
            StepRecord(step="investigate", actor="镇（街道）调查人员、村民委员会",
                       date=dt.date(2026, 10, 25)),
            StepRecord(step="town_review", actor="镇（街道）", date=dt.date(2026, 10, 30)),
        ],
        "decision": f"拟纳入低保，月保障金额1234.50元（{ID_NUMBER}，{MOBILE}）",
        "result": f"已纳入低保 <ok>，户主{NASTY}，住{ADDRESS}",
    }  # fmt: skip
    return Case.model_validate(values | overrides)


def make_request(
    item: CatalogItem, place: Place, qr: Image, case: Case | None = None
) -> DocumentRequest:
    case = case or make_case()
    return DocumentRequest(
        case=case, item=item, place=place, issued_on=dt.date(2026, 11, 2),
        start=dt.date(2026, 11, 3), end=dt.date(2026, 11, 9), result_on=dt.date(2026, 11, 2),
        verification_code=verification_code(
            verification_payload(DocumentKind.PUBLIC_NOTICE, case, issued_on=dt.date(2026, 11, 2))
        ),
        qr=qr, due_on=dt.date(2026, 11, 30),
        meeting=Meeting(
            number="南马村〔2026〕8号", village="QL-NM", kind=MeetingKind.REPRESENTATIVES,
            held_on=dt.date(2026, 10, 28), place="村委会议室<1>", chair="周明", recorder="孙丽",
            members=27, present=25, resolution="同意上报 & 公示",
            topics=[TopicVote(topic=f"评议{NASTY}的低保申请", case_id=case.case_id,
                              in_favour=22, against=1, abstaining=2)],
        ),
    )  # fmt: skip


def strings(value: Any) -> Iterator[str]:
    """Every string inside a context (nested lists and dicts included)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for inner in value.values():
            yield from strings(inner)
    elif isinstance(value, list | tuple):
        for inner in value:
            yield from strings(inner)


def docx_paragraphs(path: Path) -> list[str]:
    """The text of every paragraph of the body (tables included) and of the footers."""
    document = Document(str(path))
    parts = [document.element.body]
    parts += [section.footer._element for section in document.sections]
    return [
        "".join(t.text or "" for t in p.iter(qn("w:t")))
        for part in parts
        for p in part.iter(qn("w:p"))
    ]


def render_all(
    templates: TemplateSet, request: DocumentRequest, folder: Path
) -> dict[str, tuple[dict[str, Any], str]]:
    rendered = {}
    for kind in DOCUMENTS:
        name, context = document_context(kind, request)
        target = templates.render(name, context, folder / f"{name}.docx")
        rendered[name] = (context, "\n".join(docx_paragraphs(target)))
    return rendered


def assert_no_personal_data(text: str) -> None:
    assert not FULL_ID.search(text), text
    assert not FULL_MOBILE.search(text), text
    for secret in (ID_NUMBER, CO_ID_NUMBER, MOBILE, "7123456", ADDRESS, "幸福路"):
        assert secret not in text, secret


# --- templates and registry -------------------------------------------------------------


def test_case_templates_declare_exactly_their_manifest_fields(templates: TemplateSet) -> None:
    assert set(templates.names) >= CASE_TEMPLATES
    for name in CASE_TEMPLATES:
        assert templates.declared_fields(name) == set(templates.spec(name).fields), name
        assert all(description.strip() for description in templates.spec(name).fields.values())


def test_registry_covers_every_document_kind_with_a_template(templates: TemplateSet) -> None:
    assert set(DOCUMENTS) == set(DocumentKind) - {DocumentKind.SEAL_REGISTER}
    assert {entry.template for entry in DOCUMENTS.values()} == CASE_TEMPLATES
    assert {kind for kind, entry in DOCUMENTS.items() if entry.public} == PUBLIC_KINDS
    for kind, entry in DOCUMENTS.items():
        assert entry.kind == kind and entry.template in templates.names


def test_every_context_gives_exactly_the_manifest_fields(
    templates: TemplateSet, item: CatalogItem, place: Place, qr: Image
) -> None:
    request = make_request(item, place, qr)
    for kind in DOCUMENTS:
        name, context = document_context(kind, request)
        assert set(context) == set(templates.spec(name).fields), name


def test_every_catalog_item_builds_each_of_its_documents(
    catalog: Catalog, place: Place, qr: Image, templates: TemplateSet
) -> None:
    built = 0
    for catalog_item in catalog.items:
        case = make_case(item_code=catalog_item.code)
        request = make_request(catalog_item, place, qr, case)
        for kind in catalog_item.documents:
            if kind in DOCUMENTS:
                name, context = document_context(kind, request)
                assert set(context) == set(templates.spec(name).fields)
                built += 1
    assert built > 100


# --- rendering: nasty values print literally, public documents hold no personal data ---


def test_each_document_renders_nasty_values_literally(
    templates: TemplateSet, item: CatalogItem, place: Place, qr: Image, tmp_path: Path
) -> None:
    rendered = render_all(templates, make_request(item, place, qr), tmp_path)
    assert set(rendered) == CASE_TEMPLATES
    for name, (_, text) in rendered.items():
        assert NASTY in text, name
        assert "{{" not in text.replace("李四{{ title }}", ""), name  # no tag left unrendered
    assert "李四{{ title }}" in rendered["application"][1]  # printed, not evaluated
    assert "同意上报 & 公示" in rendered["meeting_record"][1]
    assert "因病致贫 <b>&amp; 联系" in rendered["application"][1]


def test_internal_documents_keep_the_full_data(
    templates: TemplateSet, item: CatalogItem, place: Place, qr: Image, tmp_path: Path
) -> None:
    rendered = render_all(templates, make_request(item, place, qr), tmp_path)
    application = rendered["application"][1]
    for value in (ID_NUMBER, MOBILE, ADDRESS, CO_ID_NUMBER, "1,234.50", "2026年10月20日"):
        assert value in application, value
    proxy = rendered["proxy_authorisation"][1]
    assert all(value in proxy for value in (ID_NUMBER, MOBILE, ADDRESS, "赵𠮷强"))
    assert "委托期限：自2026年10月20日起" in proxy  # the authorisation's date, not issued_on
    receipt = rendered["receipt"][1]
    assert all(value in receipt for value in (ID_NUMBER, "2026年11月30日前办结", "王芳😀"))


def test_public_documents_contain_no_full_id_phone_or_address(
    templates: TemplateSet, item: CatalogItem, place: Place, qr: Image, tmp_path: Path
) -> None:
    rendered = render_all(templates, make_request(item, place, qr), tmp_path)
    for name in ("public_notice", "result_notice"):
        context, text = rendered[name]
        for value in strings(context):
            assert_no_personal_data(value)
        assert "address" not in context and all("address" not in row for row in context["rows"])
        assert_no_personal_data(text)
        assert "370305********1234" in text and "370305********123X" in text
        assert NASTY in text and "1,234.50" in text


def test_public_notice_text(
    templates: TemplateSet, item: CatalogItem, place: Place, qr: Image, tmp_path: Path
) -> None:
    request = make_request(item, place, qr)
    name, context = document_context(DocumentKind.PUBLIC_NOTICE, request)
    lines = docx_paragraphs(templates.render(name, context, tmp_path / "n.docx"))
    text = "\n".join(lines)
    assert "关于低保申请的公示" in text
    assert "经提出申请、村受理并一次性告知、入户调查、镇（街道）审核等程序" in text
    assert "现将低保申请有关情况予以公示" in text
    assert "公示期：2026年11月3日至2026年11月9日（共7天）" in text
    assert (
        "如有异议，请在公示期内向村务监督委员会反映，监督电话：0533-7301220（示例）；"
        "区监督电话：0533-7211234（示例）。"
    ) in text
    assert f"核验码：{request.verification_code}" in text
    # The seal is stamped over the committee's name: printed once, as its own paragraph,
    # followed by the date.
    assert text.count("南马村民委员会") == 1
    issuer = lines.index("南马村民委员会")
    assert lines[issuer + 1] == "2026年11月2日"
    assert "QL-NM-2026-0007" in text


def test_result_notice_text(
    templates: TemplateSet, item: CatalogItem, place: Place, qr: Image, tmp_path: Path
) -> None:
    case = make_case()
    context = result_notice_context(
        case, item, place, result_on=dt.date(2026, 11, 20), verification_code="7K3D-Q9XM",
        qr=qr, issued_on=dt.date(2026, 11, 21), supervision_phone="0533-1234567",
    )  # fmt: skip
    lines = docx_paragraphs(templates.render("result_notice", context, tmp_path / "r.docx"))
    text = "\n".join(lines)
    assert "低保申请办理结果公开" in text
    assert "已于2026年11月20日办理完毕" in text
    assert f"办理结果：已纳入低保 <ok>，户主{NASTY}，住（住址已隐去）" in text
    assert "区监督电话：0533-1234567" in text and "核验码：7K3D-Q9XM" in text
    assert text.count("南马村民委员会") == 1
    assert lines[lines.index("南马村民委员会") + 1] == "2026年11月21日"


def test_notification_lists_materials_and_what_is_missing(item: CatalogItem, place: Place) -> None:
    request_case = make_case()
    _, context = document_context(
        "notification", DocumentRequest(case=request_case, item=item, place=place)
    )
    materials = context["materials"]
    assert [m["name"] for m in materials] == [m.name for m in item.materials]
    assert materials[0] == {"number": "1", "name": "低保申请书", "note": "", "status": "已收"}
    assert {m["status"] for m in materials[1:]} == {"待补齐"}
    # {service_phone} filled in, marked: the sample district's phones are invented
    assert context["service_phone"] == "0533-7201110（示例）"
    assert context["time_limit"] == "村级公示7日"
    assert context["first_contact_officer"] == "王芳😀"
    assert context["issued_on"] == "2026年10月20日"


def test_application_title_and_proxy_line(item: CatalogItem, place: Place) -> None:
    _, context = document_context(
        DocumentKind.APPLICATION, DocumentRequest(case=make_case(), item=item, place=place)
    )
    assert context["title"] == "低保申请表"
    assert context["proxy_line"] == "由村民事务代办员赵𠮷强代办（委托日期：2026年10月20日）"
    assert context["co_applicants"] == f"李四{{{{ title }}}}（身份证号：{CO_ID_NUMBER}）"
    alone = make_case(proxy=None, applicants=[Person(name="王五")], amount=None)
    _, context = document_context(
        DocumentKind.APPLICATION, DocumentRequest(case=alone, item=item, place=place)
    )
    assert (context["proxy_line"], context["co_applicants"], context["amount"]) == (
        "本人办理", "无", "",
    )  # fmt: skip
    assert (context["id_number"], context["phone"], context["household_size"]) == ("", "", "")


def test_meeting_record_values(item: CatalogItem, place: Place, qr: Image) -> None:
    _, context = document_context("meeting_record", make_request(item, place, qr))
    assert context["attendance"] == "应到27人，实到25人"
    (topic,) = context["topics"]
    assert topic["topic"].startswith("评议") and context["meeting_kind"] == "村民代表会议"
    assert (topic["votes_for"], topic["votes_against"], topic["abstentions"]) == ("22", "1", "2")
    assert topic["case_id"] == "QL-NM-2026-0007"
    assert context["held_on"] == "2026年10月28日"
    # Nobody named: 25 blank numbered lines to sign, two to a row, 1–13 beside 14–25.
    signers = context["signers"]
    assert len(signers) == 13 and not context["signing_note"]
    assert (signers[0]["left_number"], signers[0]["right_number"]) == ("1", "14")
    assert (signers[-1]["left_number"], signers[-1]["right_number"]) == ("13", "")


def test_the_minutes_have_a_line_to_sign_for_each_one_present(place: Place) -> None:
    names = ["周明", "孙丽", "王𠮷", "李四", "赵五"]
    meeting = Meeting(
        number="南马村〔2026〕9号", village="QL-NM", kind=MeetingKind.COMMITTEES,
        held_on=dt.date(2026, 11, 3), place="村委会", chair="周明", recorder="孙丽",
        members=7, present=5, attendees=names,
        topics=[TopicVote(topic="议题一", in_favour=5), TopicVote(topic="议题二", in_favour=4)],
    )  # fmt: skip
    context = minutes_context(meeting, place, quorum="符合过半数要求")
    assert context["attendance"] == "应到7人，实到5人，符合过半数要求"
    pairs = [(r["left_name"], r["right_name"]) for r in context["signers"]]
    assert pairs == [("周明", "李四"), ("孙丽", "赵五"), ("王𠮷", "")]
    assert [t["case_id"] for t in context["topics"]] == ["—", "—"]
    assert context["resolution"] == "见各议题表决结果"
    assembly = meeting.model_copy(
        update={"kind": MeetingKind.VILLAGERS, "members": 900, "present": 600, "attendees": []}
    )
    crowd = minutes_context(assembly, place)
    assert len(crowd["signers"]) == 20 and "另附签到表" in crowd["signing_note"]
    other = meeting.model_copy(update={"village": "QL-DZ"})
    with pytest.raises(InputInvalid, match="不是南马村的会议"):
        minutes_context(other, place)


def test_receipt_without_a_village_time_limit(item: CatalogItem, place: Place) -> None:
    context = receipt_context(make_case(), item, place, due_on=None)
    assert context["due_on"] == "本事项无村级办结时限（村级公示7日）"
    assert context["materials_received"] == "低保申请书"


def test_time_limits_in_words(catalog: Catalog) -> None:
    assert time_limit_text(catalog.get("xwql-014")) == (
        "资格审核5个工作日；推荐人选公示7日；上报推荐材料3个工作日"
    )
    assert time_limit_text(catalog.get("xwql-036")).startswith("本事项清单未规定村级办理时限")


def test_handling_phone_placeholders(item: CatalogItem, place: Place) -> None:
    assert handling_phone(item, place) == f"{place.village.service_phone}（示例）"
    custom = item.model_copy(
        update={"handling": item.handling.model_copy(update={"phone": "{town_phone} 转 8"})}
    )
    assert handling_phone(custom, place) == "0533-7230001（示例） 转 8"
    # A district's real phones print as they are.
    real = place.district.model_copy(update={"sample_phones": False})
    assert handling_phone(item, replace(place, district=real)) == place.village.service_phone


# --- refusals ------------------------------------------------------------------------------


def test_refuses_a_case_of_another_item_or_village(
    catalog: Catalog, item: CatalogItem, place: Place
) -> None:
    with pytest.raises(InputInvalid, match=r"xwql-010.*xwql-022"):
        receipt_context(make_case(item_code="xwql-010"), item, place, due_on=None)
    with pytest.raises(InputInvalid, match="QL-DZ"):
        receipt_context(make_case(village="QL-DZ"), item, place, due_on=None)


def test_refuses_a_document_the_item_does_not_produce(catalog: Catalog, place: Place) -> None:
    item = catalog.get("xwql-036")  # 三属补助金申请: no public notice
    case = make_case(item_code="xwql-036")
    with pytest.raises(InputInvalid, match=r"xwql-036.*public_notice"):
        public_notice_context(
            case, item, place, start=dt.date(2026, 11, 3), end=dt.date(2026, 11, 9),
            verification_code="7K3D-Q9XM", qr=Image(Path("qr.png"), 18),
            issued_on=dt.date(2026, 11, 2),
        )  # fmt: skip


def test_refuses_bad_dates_votes_and_missing_values(
    item: CatalogItem, place: Place, qr: Image
) -> None:
    case = make_case()
    with pytest.raises(InputInvalid, match="公示结束日期"):
        public_notice_context(
            case, item, place, start=dt.date(2026, 11, 9), end=dt.date(2026, 11, 3),
            verification_code="7K3D-Q9XM", qr=qr, issued_on=dt.date(2026, 11, 2),
        )  # fmt: skip
    with pytest.raises(InputInvalid, match="早于办结日期"):
        result_notice_context(
            case, item, place, result_on=dt.date(2026, 11, 20), verification_code="7K3D-Q9XM",
            qr=qr, issued_on=dt.date(2026, 11, 19),
        )  # fmt: skip
    with pytest.raises(InputInvalid, match="没有办理结果"):
        result_notice_context(
            make_case(result=None, decision=None), item, place, result_on=dt.date(2026, 11, 20),
            verification_code="7K3D-Q9XM", qr=qr, issued_on=dt.date(2026, 11, 20),
        )  # fmt: skip
    with pytest.raises(InputInvalid, match="早于受理日期"):
        receipt_context(case, item, place, due_on=dt.date(2026, 10, 1))
    with pytest.raises(InputInvalid, match="没有代办人"):
        proxy_authorisation_context(make_case(proxy=None), item, place)
    meeting = make_request(item, place, qr).meeting
    assert meeting is not None
    other = meeting.model_copy(update={"topics": [
        meeting.topics[0].model_copy(update={"case_id": "NM-2026-999"})
    ]})  # fmt: skip
    with pytest.raises(InputInvalid, match="没有表决本办件"):
        meeting_record_context(case, item, place, meeting=other)
    bare = DocumentRequest(case=case, item=item, place=place)
    for kind, field in (
        ("public_notice", "start"), ("result_notice", "result_on"), ("meeting_record", "meeting"),
    ):  # fmt: skip
        with pytest.raises(InputInvalid, match=field):
            document_context(kind, bare)
    for kind in ("seal_register", "nope"):
        with pytest.raises(InputInvalid, match=kind):
            document_context(kind, bare)


# --- verification codes -------------------------------------------------------------------


def test_verification_code_is_short_stable_and_typable() -> None:
    code = verification_code(b"notice")
    assert CODE.match(code)
    assert code == verification_code(b"notice") != verification_code(b"notice.")
    # 40 bits of SHA-256("abc") = ba7816bf8f → Crockford base 32, split 4-4
    assert verification_code(b"abc") == "Q9W1-DFWF"
    assert parse_verification_code(code.lower().replace("-", " ")) == code
    assert parse_verification_code("q9wi-dfwf") == "Q9W1-DFWF"  # I reads as 1
    assert parse_verification_code("O000 0000") == "0000-0000"  # O reads as 0
    for bad in ("Q9W1-DFW", "Q9W1-DFWU", ""):
        with pytest.raises(InputInvalid):
            parse_verification_code(bad)


def test_verification_payload_holds_public_facts_only() -> None:
    case = make_case()
    payload = verification_payload(
        DocumentKind.PUBLIC_NOTICE, case, issued_on=dt.date(2026, 11, 2),
        start=dt.date(2026, 11, 3), end=dt.date(2026, 11, 9),
    )  # fmt: skip
    text = payload.decode()
    assert_no_personal_data(text)
    assert "QL-NM-2026-0007" in text and NASTY in text
    again = verification_payload(
        DocumentKind.PUBLIC_NOTICE, case, issued_on=dt.date(2026, 11, 2),
        start=dt.date(2026, 11, 3), end=dt.date(2026, 11, 9),
    )  # fmt: skip
    assert payload == again
    other = verification_payload(DocumentKind.RESULT_NOTICE, case, issued_on=dt.date(2026, 11, 2))
    assert verification_code(payload) != verification_code(other)


def test_a_resolution_notice_states_the_meetings_vote(
    item: CatalogItem, place: Place, qr: Image
) -> None:
    request = make_request(item, place, qr)
    assert request.meeting is not None and request.start and request.end
    context = public_notice_context(
        request.case, item, place, start=request.start, end=request.end,
        verification_code="7K3D-Q9XM", qr=qr, issued_on=dt.date(2026, 11, 2),
        meeting=request.meeting,
    )  # fmt: skip
    assert context["proposal"].endswith(
        "（经村民代表会议于2026年10月28日表决：应到27人，实到25人；同意22票，反对1票，弃权2票）"
    )
    plain = public_notice_context(
        request.case, item, place, start=request.start, end=request.end,
        verification_code="7K3D-Q9XM", qr=qr, issued_on=dt.date(2026, 11, 2),
    )  # fmt: skip
    assert "表决" not in plain["proposal"]
