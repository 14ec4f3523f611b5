"""The internal documents of a case: application, one-time notice, receipt, proxy.

For each case, per its item (the catalog lists the document kinds an item
produces): the application form (申请表), the one-time notification of required
materials (一次性告知单), the acceptance receipt with the first-contact officer and
the due date (受理回执), and the proxy authorisation (代办委托书) when a proxy acts.
Documents the village issues (notification, receipt) carry its seal. Notices for
posting are written by ``pipeline.notices``; meeting records need the meeting's
own details (attendance, votes), which the ledger does not carry, so they are
reported as not written rather than invented.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pipeline.cases.model import Case
from pipeline.cases.writer import StampedWriter
from pipeline.catalog.model import CatalogItem, DocumentKind, StepKind
from pipeline.documents.case_documents import DOCUMENTS, DocumentRequest, document_context
from pipeline.organisations import Place
from pipeline.rules.deadlines import case_due_date

# The village issues these, so they carry its seal.
_STAMPED = frozenset({DocumentKind.NOTIFICATION, DocumentKind.RECEIPT})
_INTERNAL = (
    DocumentKind.APPLICATION,
    DocumentKind.NOTIFICATION,
    DocumentKind.RECEIPT,
    DocumentKind.PROXY_AUTHORISATION,
)


@dataclass(frozen=True)
class CaseDocument:
    """A document written for a case."""

    kind: DocumentKind
    title: str
    pdf: Path
    sha256: str


def planned_kinds(case: Case, item: CatalogItem) -> list[DocumentKind]:
    """The internal documents this case gets, in filing order."""
    return required_documents(item, (), proxy=case.proxy is not None)


def required_documents(
    item: CatalogItem, steps_taken: Iterable[str], *, proxy: bool
) -> list[DocumentKind]:
    """The documents a complete case file of ``item`` holds, given the steps taken.

    The internal documents the item produces (the proxy authorisation only when
    a proxy acted), a meeting record (会议记录) for a decision step, a notice (公示)
    for a notice step and a result notice (结果公开) for a result step.

    Args:
        item: The catalog item.
        steps_taken: Ids of the steps recorded on the case.
        proxy: Whether a proxy (代办人) acted.
    """
    taken = {step.kind for step in item.steps if step.id in set(steps_taken)}
    by_step = {
        DocumentKind.MEETING_RECORD: StepKind.DECISION,
        DocumentKind.PUBLIC_NOTICE: StepKind.NOTICE,
        DocumentKind.RESULT_NOTICE: StepKind.RESULT,
    }
    required = [
        kind
        for kind in _INTERNAL
        if kind in item.documents and (kind != DocumentKind.PROXY_AUTHORISATION or proxy)
    ]
    required += [kind for kind, step in by_step.items() if step in taken]
    return required


def skipped_kinds(case: Case, item: CatalogItem) -> list[DocumentKind]:
    """Documents the item produces that are not written here (meeting records)."""
    decided = any(
        step.kind == "decision" for step in item.steps if step.id in {r.step for r in case.steps}
    )
    return [DocumentKind.MEETING_RECORD] if decided else []


def write_case_documents(
    case: Case, item: CatalogItem, place: Place, writer: StampedWriter, out: Path
) -> list[CaseDocument]:
    """Write the case's internal documents into ``out`` (full personal data: not public)."""
    request = DocumentRequest(
        case=case, item=item, place=place, issued_on=case.received_on,
        supervision_phone=writer.supervision_phone, due_on=case_due_date(case, item),
    )  # fmt: skip
    written = []
    for kind in planned_kinds(case, item):
        template, context = document_context(kind, request)
        title = DOCUMENTS[kind].title
        target = out / f"{case.case_id}-{title}.pdf"
        digest = writer.write(
            template, context, target, case=case, place=place,
            purpose=f"{item.name}{title}" if kind in _STAMPED else None,
        )  # fmt: skip
        written.append(CaseDocument(kind=kind, title=title, pdf=target, sha256=digest))
    return written
