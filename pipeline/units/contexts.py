"""Template values for the documents of a case (办件), one pure function per kind.

Each ``*_context`` function turns a case, its catalog item and its village into
the values one template of ``templates/manifest.yaml`` needs; nothing is read or
written. Two kinds of documents:

* **Internal** (application 申请表, notification 一次性告知单, receipt 受理回执,
  proxy_authorisation 代办委托书, meeting_record 会议记录) keep the full personal
  data: they are handed to the applicant or archived.
* **Public** (public_notice 公示, result_notice 结果公开) are posted: their
  values come only from :mod:`pipeline.cases.privacy` (name kept, ID and
  phone masked, no address) and free text is masked as well. They carry a
  verification code (:func:`verification_code`) and its QR image in the footer;
  ``context["issuer"]`` (the village committee's name) is printed once, on its
  own line, for the seal to be stamped over.

:data:`DOCUMENTS` maps each :class:`~pipeline.catalog.model.DocumentKind` to its
template and a builder taking one :class:`DocumentRequest`; :func:`document_context`
is the single entry point for callers that handle every kind alike.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pipeline.cases.meetings import Meeting
from pipeline.cases.model import Case
from pipeline.cases.privacy import mask_text, public_person, public_text
from pipeline.catalog.model import CatalogItem, DayUnit, DocumentKind, StepKind
from pipeline.documents.render import Image, chinese_date
from pipeline.errors import InputInvalid
from pipeline.organisations import Place
from pipeline.units.messages import (
    CANNOT_BUILD_DOCUMENT,
    CASE_HAS_NO_PROXY,
    CASE_OF_ANOTHER_ITEM,
    CASE_OF_ANOTHER_VILLAGE,
    DOCUMENT_VALUE_MISSING,
    DUE_BEFORE_RECEIVED,
    ITEM_HAS_NO_SUCH_DOCUMENT,
    MEETING_OF_ANOTHER_VILLAGE,
    MEETING_RECORD_WRONG,
    NO_DOCUMENT_TEMPLATE,
    NO_RESULT_YET,
    NOT_VOTED,
    NOTICE_ENDS_BEFORE_START,
    PROBLEMS_JOINED,
    RESULT_BEFORE_REACHED,
)

Context = dict[str, Any]

PUBLIC_KINDS = frozenset({DocumentKind.PUBLIC_NOTICE, DocumentKind.RESULT_NOTICE})
"""Document kinds that are posted publicly and so carry masked data only."""


# --- values shared by several documents ----------------------------------------------


def format_amount(amount: Decimal | None, *, missing: str = "") -> str:
    """An amount in yuan as printed: ``1,234.50``; ``missing`` when there is none."""
    if amount is None:
        return missing
    return f"{amount:,.2f}"


def handling_phone(item: CatalogItem, place: Place) -> str:
    """The item's service phone with the village's numbers filled in.

    The catalog keeps placeholders (``{service_phone}``) because the number
    differs per village; unknown placeholders are left as written.
    """
    shown = place.district.shown
    values = {
        "{service_phone}": shown(place.village.service_phone),
        "{supervision_phone}": shown(place.village.supervision_phone),
        "{town_phone}": shown(place.town.phone),
        "{district_supervision_phone}": shown(place.district.supervision_phone),
    }
    phone = item.handling.phone
    for placeholder, value in values.items():
        phone = phone.replace(placeholder, value)
    return phone


def _days(days: int, unit: DayUnit) -> str:
    return f"{days}个工作日" if unit == DayUnit.WORKING else f"{days}日"


def time_limit_text(item: CatalogItem) -> str:
    """The item's time limits (限时办结) in words, step by step.

    Example: ``资格审核5个工作日；推荐人选公示7日；上报推荐材料3个工作日``.
    """
    parts: list[str] = []
    for step in item.steps:
        if step.time_limit is not None:
            parts.append(f"{step.name}{_days(step.time_limit.days, step.time_limit.unit)}")
        if step.time_limit_note:
            parts.append(f"{step.name}：{step.time_limit_note}")
    if not parts:
        return "本事项清单未规定村级办理时限，按上级部门规定时限办理"
    return "；".join(parts)


def _check(case: Case, item: CatalogItem, place: Place, kind: DocumentKind) -> None:
    problems = []
    if case.item_code != item.code:
        problems.append(
            CASE_OF_ANOTHER_ITEM.format(
                case=case.case_id, actual=case.item_code, expected=item.code
            )
        )
    if case.village != place.village.code:
        problems.append(
            CASE_OF_ANOTHER_VILLAGE.format(
                case=case.case_id, actual=case.village, expected=place.village.code
            )
        )
    if kind not in item.documents:
        produced = "、".join(item.documents)
        problems.append(
            ITEM_HAS_NO_SUCH_DOCUMENT.format(
                item=item.code, name=item.name, kind=kind.value, produced=produced
            )
        )
    if problems:
        raise InputInvalid(
            CANNOT_BUILD_DOCUMENT(
                kind=kind.value, case=case.case_id, problems=PROBLEMS_JOINED.join(problems)
            )
        )


def _common(case: Case, item: CatalogItem, place: Place) -> Context:
    return {
        "place_name": place.full_name,
        "item_name": item.name,
        "case_id": case.case_id,
    }


def _supervision(place: Place, district_phone: str | None) -> Context:
    shown = place.district.shown
    return {
        "village_supervision_phone": shown(place.village.supervision_phone),
        "district_supervision_phone": district_phone or shown(place.district.supervision_phone),
    }


def _co_applicants(case: Case) -> str:
    others = case.applicants[1:]
    if not others:
        return "无"
    return "、".join(
        f"{person.name}（身份证号：{person.id_number}）" if person.id_number else person.name
        for person in others
    )


# --- internal documents (full data) ---------------------------------------------------


def application_context(
    case: Case, item: CatalogItem, place: Place, *, applied_on: dt.date | None = None
) -> Context:
    """Values of the application form (申请表); full personal data.

    Args:
        case: The case; its first applicant is the one the form names.
        item: The case's catalog item.
        place: The case's village.
        applied_on: Date of the application; the case's ``received_on`` by default.

    Returns:
        The values of template ``application``.

    Raises:
        InputInvalid: The case is not of this item or village, or the item
            has no application form.

    """
    _check(case, item, place, DocumentKind.APPLICATION)
    person = case.applicant
    if case.proxy is None:
        proxy_line = "本人办理"
    else:
        when = (
            f"（委托日期：{chinese_date(case.proxy.authorised_on)}）"
            if case.proxy.authorised_on
            else ""
        )
        proxy_line = f"由村民事务代办员{case.proxy.name}代办{when}"
    title = f"{item.name}表" if item.name.endswith("申请") else f"{item.name}申请表"
    return _common(case, item, place) | {
        "title": title,
        "item_code": item.code,
        "name": person.name,
        "id_number": person.id_number or "",
        "phone": person.phone or "",
        "address": person.address or "",
        "household_size": str(person.household_size) if person.household_size else "",
        "co_applicants": _co_applicants(case),
        "reason": case.reason,
        "amount": format_amount(case.amount),
        "proxy_line": proxy_line,
        "applied_on": chinese_date(applied_on or case.received_on),
        "first_contact_officer": case.first_contact_officer,
    }


def notification_context(
    case: Case,
    item: CatalogItem,
    place: Place,
    *,
    issued_on: dt.date | None = None,
    supervision_phone: str | None = None,
) -> Context:
    """Values of the one-time notification (一次性告知单) of the materials to bring.

    Each of the item's materials is listed with its note and whether it was
    already received (``case.materials_received``), so what is missing is told
    once and in full (一次告知).

    Args:
        case: The case.
        item: The case's catalog item (materials, time limits, handling post).
        place: The case's village (service and supervision phones, committee).
        issued_on: Date of the notification; ``received_on`` by default.
        supervision_phone: District supervision phone; the district's by default.

    Returns:
        The values of template ``notification``.

    Raises:
        InputInvalid: The case is not of this item or village, or the item
            has no notification.

    """
    _check(case, item, place, DocumentKind.NOTIFICATION)
    received = set(case.materials_received)
    materials = [
        {
            "number": str(index),
            "name": material.name,
            "note": material.note or "",
            "status": "已收" if material.name in received else "待补齐",
        }
        for index, material in enumerate(item.materials, start=1)
    ]
    if not materials:
        status = "已收" if received else "待补齐"
        materials = [
            {"number": "1", "name": "书面申请", "note": "本事项清单未列其他材料", "status": status}
        ]
    return (
        _common(case, item, place)
        | _supervision(place, supervision_phone)
        | {
            "name": case.applicant.name,
            "materials": materials,
            "time_limit": time_limit_text(item),
            "handling_role": item.handling.role,
            "service_phone": handling_phone(item, place),
            "first_contact_officer": case.first_contact_officer,
            "issuer": place.village.committee,
            "issued_on": chinese_date(issued_on or case.received_on),
        }
    )


def receipt_context(
    case: Case,
    item: CatalogItem,
    place: Place,
    *,
    due_on: dt.date | None,
    issued_on: dt.date | None = None,
) -> Context:
    """Values of the acceptance receipt (受理回执), handed to the applicant.

    Args:
        case: The case.
        item: The case's catalog item.
        place: The case's village.
        due_on: The promised completion date (承诺办结时限), computed by the case
            rules from the item's time limits and the working-day calendar;
            ``None`` when the item sets no village-level limit.
        issued_on: Date of the receipt; ``received_on`` by default.

    Returns:
        The values of template ``receipt``.

    Raises:
        InputInvalid: The case is not of this item or village, the item has no
            receipt, or the due date is before the case was received.

    """
    _check(case, item, place, DocumentKind.RECEIPT)
    if due_on is not None and due_on < case.received_on:
        raise InputInvalid(
            DUE_BEFORE_RECEIVED(case=case.case_id, due=due_on, received=case.received_on)
        )
    due = (
        f"{chinese_date(due_on)}前办结"
        if due_on is not None
        else f"本事项无村级办结时限（{time_limit_text(item)}）"
    )
    return _common(case, item, place) | {
        "name": case.applicant.name,
        "id_number": case.applicant.id_number or "",
        "received_on": chinese_date(case.received_on),
        "materials_received": "、".join(case.materials_received) or "无",
        "first_contact_officer": case.first_contact_officer,
        "due_on": due,
        "service_phone": handling_phone(item, place),
        "village_supervision_phone": place.village.supervision_phone,
        "issuer": place.village.committee,
        "issued_on": chinese_date(issued_on or case.received_on),
    }


def proxy_authorisation_context(
    case: Case, item: CatalogItem, place: Place, *, authorised_on: dt.date | None = None
) -> Context:
    """Values of the proxy authorisation (代办委托书): the villager authorises the cadre.

    Args:
        case: The case; it must name its proxy (``case.proxy``).
        item: The case's catalog item.
        place: The case's village.
        authorised_on: Date of the authorisation; the proxy's ``authorised_on``,
            else the case's ``received_on``, by default.

    Returns:
        The values of template ``proxy_authorisation``.

    Raises:
        InputInvalid: The case has no proxy, or is not of this item or village.

    """
    _check(case, item, place, DocumentKind.PROXY_AUTHORISATION)
    if case.proxy is None:
        raise InputInvalid(CASE_HAS_NO_PROXY(case=case.case_id))
    person = case.applicant
    return _common(case, item, place) | {
        "name": person.name,
        "id_number": person.id_number or "",
        "phone": person.phone or "",
        "address": person.address or "",
        "proxy_name": case.proxy.name,
        "authorised_on": chinese_date(
            authorised_on or case.proxy.authorised_on or case.received_on
        ),
    }


SIGNING_ROWS = 20
"""Blank signing rows (two names each) when the minutes do not list who came."""


def minutes_context(meeting: Meeting, place: Place, *, quorum: str = "") -> Context:
    """Values of the minutes (会议记录) of a meeting, printed for signing and kept internal.

    Every topic with its vote, the attendance with the quorum line, and a place to
    sign for each person present: by name when the minutes list them, else blank
    numbered lines (a meeting of more than can sign on them attaches its own 签到表).

    Args:
        meeting: The meeting (its counts hold together: the model checks them).
        place: Its village.
        quorum: Whether it was quorate, as the minutes state it ("符合三分之二以上要求").

    Raises:
        InputInvalid: The meeting is another village's.
    """
    if meeting.village != place.village.code:
        raise InputInvalid(
            MEETING_OF_ANOTHER_VILLAGE(number=meeting.number, village=place.village.name)
        )
    attendance = f"应到{meeting.members}人，实到{meeting.present}人"
    names = list(meeting.attendees) or [""] * min(meeting.present, 2 * SIGNING_ROWS)
    numbered = [(str(index), name) for index, name in enumerate(names, start=1)]
    half = (len(numbered) + 1) // 2
    left, right = numbered[:half], numbered[half:] + [("", "")] * (half - len(numbered[half:]))
    signers = [
        {"left_number": ln, "left_name": lname, "right_number": rn, "right_name": rname}
        for (ln, lname), (rn, rname) in zip(left, right, strict=True)
    ]
    unlisted = not meeting.attendees and meeting.present > len(names)
    topics = [
        {
            "number": str(index), "topic": topic.topic, "case_id": topic.case_id or "—",
            "votes_for": str(topic.in_favour), "votes_against": str(topic.against),
            "abstentions": str(topic.abstaining),
        }
        for index, topic in enumerate(meeting.topics, start=1)
    ]  # fmt: skip
    return {
        "place_name": place.full_name,
        "meeting_kind": meeting.kind.value,
        "meeting_number": meeting.number,
        "held_on": chinese_date(meeting.held_on),
        "location": meeting.place,
        "chair": meeting.chair,
        "recorder": meeting.recorder,
        "attendance": f"{attendance}，{quorum}" if quorum else attendance,
        "topics": topics,
        "resolution": meeting.resolution or "见各议题表决结果",
        "signers": signers,
        "signing_note": f"实到{meeting.present}人，签到另附签到表。" if unlisted else "",
    }


def meeting_record_context(
    case: Case, item: CatalogItem, place: Place, *, meeting: Meeting, quorum: str = ""
) -> Context:
    """Values of the minutes of a meeting that decided ``case`` (filed in its case file).

    Raises:
        InputInvalid: The meeting did not vote on the case, or the case is not of
            this item or village.
    """
    _check(case, item, place, DocumentKind.MEETING_RECORD)
    if meeting.vote_on(case.case_id) is None:
        raise InputInvalid(
            MEETING_RECORD_WRONG(
                case=case.case_id, problems=NOT_VOTED.format(number=meeting.number)
            )
        )
    return minutes_context(meeting, place, quorum=quorum)


# --- public documents (masked data only) ----------------------------------------------


def public_rows(case: Case) -> list[dict[str, str]]:
    """The masked table rows of a public document: one per applicant.

    The case's amount is printed on the first applicant's row (the household
    head the notice names).
    """
    rows = []
    for index, person in enumerate(case.applicants, start=1):
        row = {"number": str(index)} | public_person(person)
        del row["phone"]  # a posted list has no use for even a masked phone
        row["amount"] = format_amount(case.amount, missing="—") if index == 1 else ""
        rows.append(row)
    return rows


def _procedure(case: Case, item: CatalogItem) -> str:
    """The steps already taken before the notice, by their catalog names."""
    recorded = {record.step for record in case.steps}
    notices = [index for index, step in enumerate(item.steps) if step.kind == StepKind.NOTICE]
    pending = [index for index in notices if item.steps[index].id not in recorded]
    # The notice being posted is the first one not yet recorded (or, on a reprint, the last).
    if pending:
        stop = pending[0]
    elif notices:
        stop = notices[-1]
    else:
        stop = len(item.steps)
    names = [
        step.name
        for step in item.steps[:stop]
        if step.id in recorded and step.kind not in (StepKind.NOTICE, StepKind.ARCHIVE)
    ]
    return "、".join(dict.fromkeys(names)) or "村民委员会审核"


def _public_common(
    case: Case,
    item: CatalogItem,
    place: Place,
    *,
    verification_code: str,
    qr: Image,
    issued_on: dt.date,
    supervision_phone: str | None,
) -> Context:
    return {
        "place_name": place.full_name,
        "item_name": item.name,
        "case_id": mask_text(case.case_id),
        "rows": public_rows(case),
        "issuer": place.village.committee,
        "issued_on": chinese_date(issued_on),
        "verification_code": verification_code,
        "qr": qr,
    } | _supervision(place, supervision_phone)


def public_notice_context(
    case: Case,
    item: CatalogItem,
    place: Place,
    *,
    start: dt.date,
    end: dt.date,
    verification_code: str,
    qr: Image,
    issued_on: dt.date,
    supervision_phone: str | None = None,
    meeting: Meeting | None = None,
) -> Context:
    """Values of the public notice (公示) for posting; personal data masked.

    Args:
        case: The case; its decision (拟办理意见), if any, is printed masked.
        item: The case's catalog item (its steps name the procedure followed).
        place: The case's village (committee, supervision phone).
        start: First day of the notice period.
        end: Last day of the notice period (inclusive).
        verification_code: The code printed in the footer (:func:`verification_code`).
        qr: The QR image printed beside the code, about 18 mm wide.
        issued_on: Date printed under the issuer.
        supervision_phone: District supervision phone; the district's by default.
        meeting: The meeting whose decision the notice publishes (决议公开): its
            kind, day, attendance and vote are stated with the proposal.

    Returns:
        The values of template ``public_notice``: no full ID number, phone
        number or address anywhere in them.

    Raises:
        InputInvalid: The period ends before it starts, or the case is not of
            this item or village, or the item has no public notice.

    """
    _check(case, item, place, DocumentKind.PUBLIC_NOTICE)
    if end < start:
        raise InputInvalid(NOTICE_ENDS_BEFORE_START(case=case.case_id, end=end, start=start))
    rule = item.public_notice
    if rule.unit == DayUnit.WORKING and rule.days:
        duration = f"共{rule.days}个工作日"
    else:
        duration = f"共{(end - start).days + 1}天"
    common = _public_common(
        case,
        item,
        place,
        verification_code=verification_code,
        qr=qr,
        issued_on=issued_on,
        supervision_phone=supervision_phone,
    )
    return common | {
        "procedure": _procedure(case, item),
        "proposal": _with_vote(public_text(case, case.decision) or "见下表", case, meeting),
        "start": chinese_date(start),
        "end": chinese_date(end),
        "duration": duration,
    }


def _with_vote(proposal: str, case: Case, meeting: Meeting | None) -> str:
    """The proposal, and the meeting that decided it: 决议公开 states who decided, and how."""
    vote = meeting.vote_on(case.case_id) if meeting is not None else None
    if meeting is None or vote is None:
        return proposal
    return (
        f"{proposal}（经{meeting.kind.value}于{chinese_date(meeting.held_on)}表决：应到"
        f"{meeting.members}人，实到{meeting.present}人；同意{vote.in_favour}票，"
        f"反对{vote.against}票，弃权{vote.abstaining}票）"
    )


def result_notice_context(
    case: Case,
    item: CatalogItem,
    place: Place,
    *,
    result_on: dt.date,
    verification_code: str,
    qr: Image,
    issued_on: dt.date,
    supervision_phone: str | None = None,
) -> Context:
    """Values of the result notice (办理结果公开) for posting; personal data masked.

    Args:
        case: The case; its ``result`` (else its ``decision``) is printed masked.
        item: The case's catalog item.
        place: The case's village.
        result_on: Date the case was concluded (办结日期).
        verification_code: The code printed in the footer (:func:`verification_code`).
        qr: The QR image printed beside the code, about 18 mm wide.
        issued_on: Date printed under the issuer.
        supervision_phone: District supervision phone; the district's by default.

    Returns:
        The values of template ``result_notice``: no full ID number, phone
        number or address anywhere in them.

    Raises:
        InputInvalid: The case has no result or decision yet, the notice is
            dated before the result, or the case is not of this item or village,
            or the item has no result notice.

    """
    _check(case, item, place, DocumentKind.RESULT_NOTICE)
    result = case.result or case.decision
    if issued_on < result_on:
        raise InputInvalid(
            RESULT_BEFORE_REACHED(case=case.case_id, issued=issued_on, result=result_on)
        )
    if not result:
        raise InputInvalid(NO_RESULT_YET(case=case.case_id))
    common = _public_common(
        case,
        item,
        place,
        verification_code=verification_code,
        qr=qr,
        issued_on=issued_on,
        supervision_phone=supervision_phone,
    )
    return common | {"result_on": chinese_date(result_on), "result": public_text(case, result)}


# --- the registry ------------------------------------------------------------------------


@dataclass(frozen=True)
class DocumentRequest:
    """Everything any case document may need; each kind uses its part.

    Attributes:
        case: The case.
        item: The case's catalog item.
        place: The case's village.
        issued_on: Date printed under the issuer: required for public documents;
            the case's ``received_on`` by default for the notification and receipt.
            The application and the proxy authorisation print their own dates
            (received, authorised).
        supervision_phone: District supervision phone; the district's by default.
        start: First day of the notice period (public_notice).
        end: Last day of the notice period (public_notice).
        result_on: Date the case was concluded (result_notice).
        verification_code: Footer code (public documents).
        qr: Footer QR image (public documents).
        due_on: Promised completion date (receipt); ``None`` if the item has none.
        meeting: The meeting (meeting_record).
        quorum: The minutes' quorum line (meeting_record), e.g. 符合三分之二以上要求.

    """

    case: Case
    item: CatalogItem
    place: Place
    issued_on: dt.date | None = None
    supervision_phone: str | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    result_on: dt.date | None = None
    verification_code: str | None = None
    qr: Image | None = None
    due_on: dt.date | None = None
    meeting: Meeting | None = None
    quorum: str = ""

    def need(self, field: str) -> Any:
        """The value of ``field``, or a clear error naming it when it was not given."""
        value = getattr(self, field)
        if value is None:
            raise InputInvalid(DOCUMENT_VALUE_MISSING(case=self.case.case_id, field=field))
        return value


@dataclass(frozen=True)
class DocumentType:
    """A case document kind: its template and how its values are built."""

    kind: DocumentKind
    template: str
    public: bool
    build: Callable[[DocumentRequest], Context]

    @property
    def title(self) -> str:
        """The document's title (:attr:`DocumentKind.label`)."""
        return self.kind.label


def _public_notice(r: DocumentRequest) -> Context:
    return public_notice_context(
        r.case, r.item, r.place, start=r.need("start"), end=r.need("end"),
        verification_code=r.need("verification_code"), qr=r.need("qr"),
        issued_on=r.need("issued_on"), supervision_phone=r.supervision_phone,
    )  # fmt: skip


def _result_notice(r: DocumentRequest) -> Context:
    return result_notice_context(
        r.case, r.item, r.place, result_on=r.need("result_on"),
        verification_code=r.need("verification_code"), qr=r.need("qr"),
        issued_on=r.need("issued_on"), supervision_phone=r.supervision_phone,
    )  # fmt: skip


DOCUMENTS: Mapping[DocumentKind, DocumentType] = {
    entry.kind: entry
    for entry in (
        DocumentType(
            DocumentKind.APPLICATION, "application", False,
            lambda r: application_context(r.case, r.item, r.place),
        ),
        DocumentType(
            DocumentKind.NOTIFICATION, "notification", False,
            lambda r: notification_context(
                r.case, r.item, r.place, issued_on=r.issued_on,
                supervision_phone=r.supervision_phone,
            ),
        ),
        DocumentType(
            DocumentKind.RECEIPT, "receipt", False,
            lambda r: receipt_context(
                r.case, r.item, r.place, due_on=r.due_on, issued_on=r.issued_on
            ),
        ),
        DocumentType(
            DocumentKind.PROXY_AUTHORISATION, "proxy_authorisation", False,
            lambda r: proxy_authorisation_context(r.case, r.item, r.place),
        ),
        DocumentType(
            DocumentKind.MEETING_RECORD, "meeting_record", False,
            lambda r: meeting_record_context(
                r.case, r.item, r.place, meeting=r.need("meeting"), quorum=r.quorum
            ),
        ),
        DocumentType(DocumentKind.PUBLIC_NOTICE, "public_notice", True, _public_notice),
        DocumentType(
            DocumentKind.RESULT_NOTICE, "result_notice", True, _result_notice
        ),
    )
}  # fmt: skip
"""Every case document kind with a template; the seal register is a list, not a template."""


def document_context(kind: DocumentKind | str, request: DocumentRequest) -> tuple[str, Context]:
    """The template name and values of document ``kind`` for ``request``.

    Args:
        kind: A :class:`DocumentKind` or its value (``"public_notice"``).
        request: The case, item, village and the extra data the kind needs.

    Returns:
        ``(template name, context)`` ready for ``TemplateSet.render``.

    Raises:
        InputInvalid: The kind is unknown or has no template, a value the kind
            needs is missing, or the builder refuses the case.

    """
    try:
        entry = DOCUMENTS[DocumentKind(kind)]
    except (ValueError, KeyError):
        known = "、".join(DOCUMENTS)
        raise InputInvalid(NO_DOCUMENT_TEMPLATE(kind=str(kind), known=known)) from None
    return entry.template, entry.build(request)


__all__ = [
    "DOCUMENTS",
    "PUBLIC_KINDS",
    "Context",
    "DocumentRequest",
    "DocumentType",
    "application_context",
    "document_context",
    "format_amount",
    "handling_phone",
    "meeting_record_context",
    "minutes_context",
    "notification_context",
    "proxy_authorisation_context",
    "public_notice_context",
    "public_rows",
    "receipt_context",
    "result_notice_context",
    "time_limit_text",
]
