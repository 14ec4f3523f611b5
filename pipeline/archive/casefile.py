"""The case file (案卷): cover, contents list (卷内目录) and every document in order.

The documents of a case — application, notification, receipt, proxy
authorisation, the notices as posted — are collated after a cover and a
contents list with page numbers, into one PDF/A with bookmarks, ready to be
signed and archived.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pipeline.cases.documents import write_case_documents
from pipeline.cases.model import Case
from pipeline.catalog.model import CatalogItem, DocumentKind
from pipeline.documents.collate import DocumentInfo, Part, collate, page_count
from pipeline.documents.engine import DocumentEngine
from pipeline.documents.render import chinese_date
from pipeline.errors import InputInvalid
from pipeline.notices import NoticeIssuer, notice_jobs
from pipeline.organisations import Place


@dataclass(frozen=True)
class FiledDocument:
    """A document filed in the case file."""

    title: str
    author: str
    date: dt.date
    pdf: Path
    note: str = ""


@dataclass(frozen=True)
class CaseFilePdf:
    """The collated case file."""

    path: Path
    pages: int
    documents: int


def case_file_title(case: Case, item: CatalogItem, place: Place) -> str:
    """案卷题名: 临淄区齐陵街道南马村低保申请（张秀英）办件材料."""
    return f"{place.full_name}{item.name}（{case.applicant.name}）办件材料"


def assemble_case_file(
    case: Case,
    item: CatalogItem,
    place: Place,
    documents: Sequence[FiledDocument],
    engine: DocumentEngine,
    target: Path,
    *,
    archival_code: str,
    filed_on: dt.date,
    work: Path,
) -> CaseFilePdf:
    """Collate ``documents`` after a cover and a contents list into ``target``."""
    if not documents:
        raise InputInvalid(f"办件 {case.case_id} 没有可归档的文件 / the case has no documents")
    ordered = sorted(documents, key=lambda d: d.date)
    counts = [page_count(d.pdf) for d in ordered]
    rows, page = [], 1
    for number, (document, count) in enumerate(zip(ordered, counts, strict=True), start=1):
        rows.append(
            {
                "number": number, "author": document.author, "title": document.title,
                "date": chinese_date(document.date),
                "page": f"{page}" if count == 1 else f"{page}–{page + count - 1}",
                "note": document.note,
            }
        )  # fmt: skip
        page += count
    first, last = ordered[0].date, ordered[-1].date
    cover_context = {
        "fonds": place.village.fonds, "archival_code": archival_code,
        "place_name": place.full_name, "title": case_file_title(case, item, place),
        "case_id": case.case_id, "item": f"{item.code} {item.name}",
        "period": chinese_date(first) if first == last
        else f"{chinese_date(first)}—{chinese_date(last)}",
        "retention": item.retention.value, "document_count": len(ordered),
        "page_count": sum(counts), "issuer": place.village.committee,
        "filed_on": chinese_date(filed_on),
    }  # fmt: skip
    work.mkdir(parents=True, exist_ok=True)
    parts_in = []
    for name, context in (
        ("case_file_cover", cover_context),
        ("case_file_contents", {"archival_code": archival_code, "rows": rows}),
    ):
        docx = engine.templates.render(name, context, work / f"{case.case_id}-{name}.docx")
        parts_in.append(engine.pool.convert(docx, work / f"{case.case_id}-{name}.pdf"))
    cover, contents = parts_in
    parts = [
        Part(cover, title="案卷封面", numbered=False),
        Part(contents, title="卷内目录", numbered=False),
        *(Part(d.pdf, title=f"{i}. {d.title}") for i, d in enumerate(ordered, start=1)),
    ]
    total = collate(
        parts,
        target,
        DocumentInfo(
            title=case_file_title(case, item, place),
            author=place.village.committee,
            subject=archival_code,
            keywords=f"{item.code};{case.case_id};案卷",
        ),
    )
    return CaseFilePdf(path=target, pages=total, documents=len(ordered))


def collect_documents(
    case: Case, item: CatalogItem, place: Place, issuer: NoticeIssuer, out: Path
) -> list[FiledDocument]:
    """Write every document of the case into ``out`` and list them for filing.

    The internal documents (full data) and the notices as posted (masked), each
    stamped where the village issues it.
    """
    filed = [
        FiledDocument(document.title, _author(document.kind, case, place), case.received_on,
                      document.pdf)
        for document in write_case_documents(case, item, place, issuer, out)
    ]  # fmt: skip
    for job in notice_jobs(case, item, place):
        issued = issuer.issue(job, out)
        title = f"{item.name}{'公示' if job.kind == DocumentKind.PUBLIC_NOTICE else '结果公开'}"
        filed.append(
            FiledDocument(title, place.village.committee, job.step.date, issued.public_pdf,
                          note=f"张贴件，核验码 {issued.notice.verification_code}")
        )  # fmt: skip
    return filed


def _author(kind: DocumentKind, case: Case, place: Place) -> str:
    """责任者: the applicant for what they sign, the committee for what it issues."""
    if kind in (DocumentKind.APPLICATION, DocumentKind.PROXY_AUTHORISATION):
        return case.applicant.name
    return place.village.committee
