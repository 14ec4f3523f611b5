"""The case file (案卷): cover, contents list (卷内目录) and every document in order.

The documents of a case — application, notification, receipt, proxy
authorisation, the notices as posted — are collated after a cover and a
contents list with page numbers, into one PDF/A with bookmarks, ready to be
signed and archived.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from pipeline.archive.archiver import Archived, Archiver
from pipeline.archive.metadata import (
    SCHEMA_VERSION,
    ArchivalCode,
    ContentEntry,
    FileRole,
    PreviousVersion,
    case_record,
)
from pipeline.archive.package import Package, build_package
from pipeline.archive.signing import KeyStore, sign_pdf
from pipeline.cases.meetings import Meeting, meetings_deciding
from pipeline.cases.model import Case, CaseStatus
from pipeline.cases.objections import Objection
from pipeline.cases.store import content_hash
from pipeline.catalog.model import CatalogItem, DocumentKind, MeetingRules
from pipeline.documents.collate import DocumentInfo, Part, collate, page_count
from pipeline.documents.engine import DocumentEngine
from pipeline.documents.render import chinese_date
from pipeline.errors import InputInvalid
from pipeline.organisations import Place
from pipeline.units.case_documents import CaseDocument, write_case_documents
from pipeline.units.filing import notice_source_sha256, notice_unit, place_data
from pipeline.units.messages import CASE_HAS_NO_DOCUMENTS, CASE_STILL_OPEN
from pipeline.units.notices import NoticeIssuer, NoticeJob, notice_jobs
from pipeline.units.objections import supervision_committee, write_objection_record
from pipeline.workfolder import work_folder


@dataclass(frozen=True)
class FiledDocument:
    """A document filed in the case file."""

    title: str
    author: str
    date: dt.date
    pdf: Path
    kind: DocumentKind | None = None
    note: str = ""


@dataclass(frozen=True)
class CaseFilePdf:
    """The collated case file."""

    path: Path
    pages: int
    documents: int
    contents: list[ContentEntry]


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
        raise InputInvalid(CASE_HAS_NO_DOCUMENTS(case=case.case_id))
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
    at_page = page_count(cover) + page_count(contents) + 1
    entries = []
    for number, (document, count) in enumerate(zip(ordered, counts, strict=True), start=1):
        entries.append(
            ContentEntry(
                number=number, title=document.title, author=document.author,
                date=document.date, first_page=at_page, pages=count, document=document.kind,
                note=document.note,
            )
        )  # fmt: skip
        at_page += count
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
    return CaseFilePdf(path=target, pages=total, documents=len(ordered), contents=entries)


def collect_documents(
    case: Case,
    item: CatalogItem,
    place: Place,
    issuer: NoticeIssuer,
    out: Path,
    *,
    posted: Callable[[NoticeJob], Path | None] = lambda job: None,
    meetings: Sequence[Meeting] = (),
    rules: MeetingRules | None = None,
) -> list[FiledDocument]:
    """Write every document of the case into ``out`` and list them for filing.

    The internal documents (full data), the minutes of the meetings that decided
    it (from the village's register), the notices as posted (masked), each stamped
    where the village issues it, and the record of every objection to the case's
    notices with the supervision committee's handling (the objector not named). A
    notice for which ``posted`` gives the sheet that was put up is filed as it is,
    not printed again.
    """
    filed = [_filed(document, case, place) for document in write_case_documents(
        case, item, place, issuer, out, meetings=meetings, rules=rules
    )]  # fmt: skip
    for kept in case.objections:
        objection = Objection.of_case(case, kept)
        record = write_objection_record(objection, place, item, issuer, out, internal=False)
        state = f"异议{kept.answer.decision.value}" if kept.answer else "尚未答复"
        filed.append(
            FiledDocument(f"异议处理记录（回执 {kept.receipt}）", supervision_committee(place),
                          kept.received_on, record.public_pdf, note=state)
        )  # fmt: skip
    for job in notice_jobs(case, item, place, {meeting.number: meeting for meeting in meetings}):
        sheet = posted(job) or issuer.issue(job, out).public_pdf
        title = f"{item.name}{'公示' if job.kind == DocumentKind.PUBLIC_NOTICE else '结果公开'}"
        filed.append(
            FiledDocument(title, place.village.committee, job.step.date, sheet,
                          kind=job.kind, note=f"张贴件，核验码 {job.verification_code}")
        )  # fmt: skip
    return filed


def _filed(document: CaseDocument, case: Case, place: Place) -> FiledDocument:
    """The case file's entry of a document, with its 责任者 (who is responsible for it).

    The applicant for what they sign, the meeting for its minutes, the committee
    for what it issues.
    """
    meeting = document.meeting
    if meeting is not None:
        author = f"{place.village.name}{meeting.kind.value}"
        return FiledDocument(document.title, author, meeting.held_on, document.pdf,
                             kind=document.kind, note=meeting.number)  # fmt: skip
    author = place.village.committee
    if document.kind in (DocumentKind.APPLICATION, DocumentKind.PROXY_AUTHORISATION):
        author = case.applicant.name
    return FiledDocument(document.title, author, case.received_on, document.pdf,
                         kind=document.kind)  # fmt: skip


CASE_FILE_NAME = "案卷.pdf"
_FINAL = frozenset({CaseStatus.CLOSED, CaseStatus.REJECTED, CaseStatus.WITHDRAWN})


def case_source_sha256(
    case: Case, item: CatalogItem, place: Place, meetings: Sequence[Meeting] = ()
) -> str:
    """The hash of what a case file is made from: the case, its item, its village, its minutes.

    The same case under the same catalog item and village names (and the same
    meetings) gives the same hash, so archiving it again adds nothing; any change
    gives a new version. A case decided by no registered meeting hashes as before
    meetings were kept.
    """
    parts: dict[str, object] = {
        "schema": SCHEMA_VERSION,
        "case": content_hash(case),
        "item": item.model_dump(mode="json"),
        "place": place_data(place),
    }
    if meetings:
        parts["meetings"] = [meeting.model_dump(mode="json") for meeting in meetings]
    canonical = json.dumps(parts, ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def case_unit(case: Case) -> str:
    """The unit key of a case's file (``case_file/NM-2026-11-001``)."""
    return f"case_file/{case.case_id}"


@dataclass
class CaseFiler:
    """Files finished cases: documents → case file (案卷) → village signature → archive.

    Attributes:
        issuer: Writes the documents and notices (engine, case store, seals).
        keys: The villages' signing keys.
        archiver: Files the packages.
        work: Scratch folder (one sub-folder per case, removed when filed).
        keep_work: Keep a case's sub-folder when filing it fails (for diagnosis).
        filed_on: The filing date printed on the cover (归档日期).
        posted: Folder of the notices as issued, per village name
            (``<posted>/<村名>/<file stem>.pdf``); those are filed as they are.
        register: A village's meeting register by its code: the minutes of the
            meetings that decided a case are filed with it.
        rules: The meeting rules (the minutes state whether the meeting was quorate).
    """

    issuer: NoticeIssuer
    keys: KeyStore
    archiver: Archiver
    work: Path
    filed_on: dt.date
    posted: Path | None = None
    keep_work: bool = False
    register: Callable[[str], Mapping[str, Meeting]] = lambda village: {}
    rules: MeetingRules | None = None

    def file(
        self,
        case: Case,
        item: CatalogItem,
        place: Place,
        register: Mapping[str, Meeting] | None = None,
    ) -> Archived:
        """Archive the case file of ``case`` (nothing is written if it is archived unchanged).

        ``register`` is the village's meeting register when the caller read it
        once for all its cases; else it is read here.

        Raises:
            InputInvalid: The case is still open.
            StorageError: The bucket failed; the next run finishes the package.
        """
        if case.status not in _FINAL:
            raise InputInvalid(CASE_STILL_OPEN(case=case.case_id, status=case.status.value))
        if register is None:
            register = self.register(case.village)
        meetings = meetings_deciding(case, register)
        source = case_source_sha256(case, item, place, meetings)
        formed = max([case.received_on, *(step.date for step in case.steps)])
        base = ArchivalCode(
            place.village.fonds, formed.year, item.retention, place.village.code, item.code, 1
        )

        def build(code: ArchivalCode, previous: PreviousVersion | None, folder: Path) -> Package:
            with work_folder(self.work / case.case_id, keep_on_failure=self.keep_work) as work:
                documents = collect_documents(
                    case, item, place, self.issuer, work / "documents", posted=self.posted_sheet,
                    meetings=meetings, rules=self.rules,
                )  # fmt: skip
                collated = assemble_case_file(
                    case, item, place, documents, self.issuer.engine, work / "collated.pdf",
                    archival_code=str(code), filed_on=self.filed_on, work=work / "parts",
                )  # fmt: skip
                signed = work / CASE_FILE_NAME
                sign_pdf(
                    collated.path, signed, self.keys.signer_for(place),
                    reason="归档 / archived case file", location=place.full_name,
                )  # fmt: skip
                record = case_record(
                    case, item, place, title=case_file_title(case, item, place), date=formed,
                    sequence=code.sequence, year=code.year, previous=previous,
                    contents=collated.contents, source_sha256=source,
                    worm_override=self.archiver.worm_override,
                )  # fmt: skip
                # the application forms in it carry full ID numbers and addresses
                return build_package(
                    folder, [(CASE_FILE_NAME, signed, FileRole.MAIN)], record,
                    sealer=self.archiver.sealer, personal={CASE_FILE_NAME},
                )  # fmt: skip

        return self.archiver.archive(case_unit(case), source, base, build)

    def posted_sheet(self, job: NoticeJob) -> Path | None:
        """The sheet of ``job`` as issued and archived, if it is current; else None."""
        if self.posted is None:
            return None
        sheet = self.posted / job.place.village.name / f"{job.file_stem}.pdf"
        current = self.archiver.current(notice_unit(job), notice_source_sha256(job))
        return sheet if current is not None and sheet.is_file() else None
