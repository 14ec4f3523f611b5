"""The internal documents of a case: application, one-time notice, receipt, proxy.

For each case, per its item (the catalog lists the document kinds an item
produces): the application form (申请表), the one-time notification of required
materials (一次性告知单), the acceptance receipt with the first-contact officer and
the due date (受理回执), and the proxy authorisation (代办委托书) when a proxy acts.
Documents the village issues (notification, receipt) carry its seal. The minutes
(会议记录) of the registered meetings that decided the case follow, each the whole
meeting's, to sign and to file; a decision whose meeting is not in the register
has its minutes on paper, never invented here. Notices for posting are written by
``pipeline.units.notices``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from pipeline.cases.meetings import Meeting
from pipeline.cases.model import Case
from pipeline.catalog.model import CatalogItem, DocumentKind, MeetingRules
from pipeline.organisations import Place
from pipeline.rules.deadlines import case_due_date
from pipeline.rules.documents import planned_kinds
from pipeline.rules.meetings import quorum_statement
from pipeline.units.contexts import DOCUMENTS, DocumentRequest, document_context
from pipeline.units.writer import StampedWriter

# The village issues these, so they carry its seal.
_STAMPED = frozenset({DocumentKind.NOTIFICATION, DocumentKind.RECEIPT})


@dataclass(frozen=True)
class CaseDocument:
    """A document written for a case (``meeting``: the minutes' meeting)."""

    kind: DocumentKind
    title: str
    pdf: Path
    sha256: str
    meeting: Meeting | None = None


def write_case_documents(
    case: Case,
    item: CatalogItem,
    place: Place,
    writer: StampedWriter,
    out: Path,
    *,
    meetings: Sequence[Meeting] = (),
    rules: MeetingRules | None = None,
) -> list[CaseDocument]:
    """Write the case's internal documents into ``out`` (full personal data: not public).

    Args:
        case: The case.
        item: Its catalog item.
        place: Its village.
        writer: Renders, converts and stamps (the notification and receipt).
        out: The folder written.
        meetings: The registered meetings that decided the case
            (:func:`pipeline.cases.meetings.meetings_deciding`): their minutes follow.
        rules: The meeting rules (the minutes state whether the meeting was quorate).
    """
    request = DocumentRequest(
        case=case, item=item, place=place, issued_on=case.received_on,
        supervision_phone=writer.supervision_phone, due_on=case_due_date(case, item),
    )  # fmt: skip
    planned: list[tuple[DocumentKind, Meeting | None]] = [
        (kind, None) for kind in planned_kinds(case, item)
    ]
    planned += [(DocumentKind.MEETING_RECORD, meeting) for meeting in meetings]
    written: list[CaseDocument] = []
    for kind, meeting in planned:
        quorum = quorum_statement(meeting, place.village, rules) if meeting and rules else ""
        template, context = document_context(kind, replace(request, meeting=meeting, quorum=quorum))
        title = DOCUMENTS[kind].title
        target = out / f"{case.case_id}-{title}.pdf"
        if meeting is not None:
            title = f"{title}（{meeting.kind.value}）"
            target = out / f"{case.case_id}-{DOCUMENTS[kind].title}-{len(written) + 1}.pdf"
        digest = writer.write(
            template, context, target, case=case, place=place,
            purpose=f"{item.name}{title}" if kind in _STAMPED else None,
            dated=meeting.held_on if meeting else case.received_on,
        )  # fmt: skip
        written.append(
            CaseDocument(kind=kind, title=title, pdf=target, sha256=digest, meeting=meeting)
        )
    return written
