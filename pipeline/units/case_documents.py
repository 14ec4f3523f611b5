"""The internal documents of a case: application, one-time notice, receipt, proxy.

For each case, per its item (the catalog lists the document kinds an item
produces): the application form (申请表), the one-time notification of required
materials (一次性告知单), the acceptance receipt with the first-contact officer and
the due date (受理回执), and the proxy authorisation (代办委托书) when a proxy acts.
Documents the village issues (notification, receipt) carry its seal. Notices for
posting are written by ``pipeline.units.notices``; meeting records need the meeting's
own details (attendance, votes), which the ledger does not carry, so they are
reported as not written rather than invented.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipeline.cases.model import Case
from pipeline.catalog.model import CatalogItem, DocumentKind
from pipeline.organisations import Place
from pipeline.rules.deadlines import case_due_date
from pipeline.rules.documents import planned_kinds
from pipeline.units.contexts import DOCUMENTS, DocumentRequest, document_context
from pipeline.units.writer import StampedWriter

# The village issues these, so they carry its seal.
_STAMPED = frozenset({DocumentKind.NOTIFICATION, DocumentKind.RECEIPT})


@dataclass(frozen=True)
class CaseDocument:
    """A document written for a case."""

    kind: DocumentKind
    title: str
    pdf: Path
    sha256: str


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
            dated=case.received_on,
        )  # fmt: skip
        written.append(CaseDocument(kind=kind, title=title, pdf=target, sha256=digest))
    return written
