"""The record of an objection (异议处理记录): what a villager sent, what the committee found.

Written twice, like a notice: a public copy (the objector not named, ID and mobile
numbers in the text masked: it goes into the case file and the archive's public
part) and an internal copy with the contact details the villager gave, for the
archive's internal part only.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.cases.objections import Objection, ObjectionKind
from pipeline.cases.privacy import mask_text
from pipeline.catalog.model import CatalogItem
from pipeline.documents.render import chinese_date
from pipeline.organisations import Place
from pipeline.units.notices import check_public_text
from pipeline.units.writer import StampedWriter

_TITLES = {ObjectionKind.OBJECTION: "异议处理记录", ObjectionKind.REPORT: "反映问题处理记录"}
_NOTES = {
    "成立": "异议成立：该办件退回公示前一步重新办理，并重新公示。",
    "部分成立": "异议部分成立：该办件退回公示前一步重新办理，并重新公示。",
    "不成立": "异议不成立：该办件继续办理。",
}


def supervision_committee(place: Place) -> str:
    """The village's supervision committee: 南马村村务监督委员会."""
    return f"{place.village.name}村务监督委员会"


def objection_title(objection: Objection, place: Place) -> str:
    """题名: 临淄区齐陵街道南马村异议处理记录（回执 7K3D-Q9XM）."""
    return f"{place.full_name}{_TITLES[objection.kind]}（回执 {objection.receipt}）"


def objection_subject(objection: Objection, item: CatalogItem | None) -> str:
    """What it is about: the item, case and notice; a report's is the village's affairs."""
    if item is None or objection.case_id is None:
        return "村务"
    return f"{item.name}（办件 {objection.case_id}，公示核验码 {objection.notice_code}）"


def objection_context(
    objection: Objection,
    place: Place,
    item: CatalogItem | None,
    *,
    internal: bool,
) -> dict[str, Any]:
    """The template's values: the internal copy names the objector, the public one masks.

    The record is dated on its answer (or, unanswered, on its receipt): the same
    objection always gives the same record.
    """
    answer = objection.answer
    issued_on = answer.answered_on if answer else objection.received_on
    shown = (lambda text: text) if internal else mask_text
    if internal:
        name, phone = objection.contact_name or "未留", objection.contact_phone or "未留"
    else:
        name = phone = "不公开"
    return {
        "place_name": place.full_name,
        "title": _TITLES[objection.kind],
        "receipt": objection.receipt,
        "kind": objection.kind.value,
        "subject": objection_subject(objection, item),
        "received_on": chinese_date(objection.received_on),
        "contact_name": name,
        "contact_phone": phone,
        "text": shown(objection.text),
        "due_on": chinese_date(objection.due_on),
        "findings": shown(answer.findings) if answer else "尚未答复",
        "decision": f"异议{answer.decision.value}" if answer else "尚未答复",
        "answered_on": chinese_date(answer.answered_on) if answer else "",
        "answered_by": answer.answered_by if answer else "",
        "note": _NOTES[answer.decision.value] if answer else "村务监督委员会尚未答复。",
        "issuer": supervision_committee(place),
        "issued_on": chinese_date(issued_on),
    }


@dataclass(frozen=True)
class ObjectionRecordFiles:
    """The two copies of an objection's record."""

    public_pdf: Path
    internal_pdf: Path


def write_objection_record(
    objection: Objection,
    place: Place,
    item: CatalogItem | None,
    writer: StampedWriter,
    out: Path,
    *,
    internal: bool = True,
) -> ObjectionRecordFiles:
    """Write the public copy (privacy-checked) and, with ``internal``, the internal copy.

    Raises:
        PrivacyLeak: The public copy would show an ID or mobile number.
        ConversionFailed: LibreOffice could not convert it.
    """
    stem = f"{objection.receipt}-{_TITLES[objection.kind]}"
    public = writer.convert(
        "objection_record",
        objection_context(objection, place, item, internal=False),
        out / f"{stem}.pdf",
        stamped=False,
    )
    check_public_text(public)
    private = out / "internal" / f"{stem}-内部.pdf"
    if internal:
        writer.convert(
            "objection_record",
            objection_context(objection, place, item, internal=True),
            private,
            stamped=False,
        )
    return ObjectionRecordFiles(public, private)
