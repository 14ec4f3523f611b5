"""Archiving the units other than case files: notices as posted, catalog editions.

* A **notice** (公示 / 结果公开) is archived when it is issued: the sheet as posted
  (masked, stamped, with its verification code 核验码) and the internal copy with
  the full data. Its unit is the case's notice of that kind on that day; its
  source is the notice's verification payload (the public facts it states), its
  item and village, so reprinting it adds nothing.
* A **monthly pack** (月度公开材料) is archived after it is built and signed by its
  village: the pack and its record (contents by section, amounts, irregularities,
  the month's numbers). Its source is the pack's own source digest (the cases as
  they stood, the items, the seal register lines, the catalog edition).
* An **objection** (异议) or report (反映问题) is archived when received and again,
  as a new version, once the supervision committee has answered: its record's
  public copy (the objector not named) and internal copy (with the contact details
  given), and the photo sent with it. Its source is the objection's own data.
* A **catalog edition** (清单版本) is archived when it is published: the booklet
  (目录及流程图汇编, the main file), the directory (附件1) and the edition's data
  snapshot. Its archival code is the district's (the district's fonds and code).
* The **district summary** (区月度汇总表) of a month is archived once, after every
  village's month is done: the PDF and its workbook. Its source is what it counts
  (each village's line, each item's tally, the totals), not the day it was
  printed, so a re-run adds nothing; its archival code is the district's.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from pathlib import Path

from pipeline.archive.archiver import Archived, Archiver, Outcome
from pipeline.archive.metadata import (
    Amount,
    ArchivalCode,
    ArchiveRecord,
    ContentEntry,
    FileRole,
    ItemRef,
    Links,
    OrgRef,
    PreviousVersion,
    UnitKind,
    case_record,
)
from pipeline.archive.package import Package, build_package
from pipeline.archive.signing import KeyStore, sign_pdf
from pipeline.cases.objections import Objection
from pipeline.cases.privacy import mask_text
from pipeline.cases.verification import verification_payload
from pipeline.catalog import Catalog
from pipeline.catalog.model import CatalogItem, DocumentKind, Retention
from pipeline.errors import InputInvalid
from pipeline.organisations import District, Place
from pipeline.units.booklet import PublishedCatalog
from pipeline.units.messages import DISTRICT_NOT_CODED
from pipeline.units.notices import IssuedFiles, NoticeJob
from pipeline.units.objections import (
    ObjectionRecordFiles,
    objection_title,
    supervision_committee,
    write_objection_record,
)
from pipeline.units.packs.month import month_text
from pipeline.units.packs.pack import MonthlyPack
from pipeline.units.packs.summary import DistrictSummary
from pipeline.units.writer import StampedWriter
from pipeline.workfolder import work_folder

_NOTICE_NAMES = {DocumentKind.PUBLIC_NOTICE: "公示", DocumentKind.RESULT_NOTICE: "结果公开"}


def _sha256_json(data: object) -> str:
    canonical = json.dumps(data, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def place_data(place: Place) -> list[object]:
    """A village as a unit's source hash takes it: the names and numbers it prints.

    Its bodies' sizes (kept since for meetings' quorums) are left out, so units
    made before hash as they did.
    """
    return [
        place.district.name,
        place.town.model_dump(mode="json", exclude={"villages"}),
        place.village.model_dump(mode="json", exclude={"bodies"}),
    ]


def notice_source_sha256(job: NoticeJob) -> str:
    """What a notice is made from: its verification payload, item and village."""
    payload = verification_payload(
        job.kind, job.case, issued_on=job.step.date, start=job.start, end=job.end
    )
    data: dict[str, object] = {
        "payload": payload.decode("utf-8"),
        "item": job.item.model_dump(mode="json"),
        "place": place_data(job.place),
    }
    if job.meeting is not None:  # a notice without one hashes as before meetings were kept
        data["meeting"] = job.meeting.model_dump(mode="json")
    return _sha256_json(data)


def notice_unit(job: NoticeJob) -> str:
    """The unit key of a notice: ``notice/NM-2026-11-001/public_notice/2026-11-09``."""
    return f"notice/{job.case.case_id}/{job.kind.value}/{job.step.date.isoformat()}"


def archive_notice(issued: IssuedFiles, archiver: Archiver) -> Archived:
    """Archive one issued notice: the sheet as posted (masked, stamped) and its internal copy.

    Args:
        issued: The notice issued: its job, verification code (核验码) and files.
        archiver: Files the package.
    """
    job, public_pdf, internal_pdf = issued.job, issued.public_pdf, issued.internal_pdf
    verification = issued.notice.verification_code
    case, item, place = job.case, job.item, job.place
    name = _NOTICE_NAMES[job.kind]
    source = notice_source_sha256(job)
    base = ArchivalCode(
        place.village.fonds, job.step.date.year, item.retention, place.village.code, item.code, 1
    )

    def build(code: ArchivalCode, previous: PreviousVersion | None, folder: Path) -> Package:
        record = case_record(
            case, item, place, title=f"{place.full_name}{item.name}{name}（{case.applicant.name}）",
            date=job.step.date, sequence=code.sequence, year=code.year, kind=UnitKind.NOTICE,
            previous=previous, source_sha256=source, worm_override=archiver.worm_override,
            document=job.kind, verification_code=verification,
        )  # fmt: skip
        internal = f"{name}-内部存档件.pdf"
        files = [
            (f"{name}-张贴件.pdf", public_pdf, FileRole.MAIN),
            (internal, internal_pdf, FileRole.ATTACHMENT),
        ]
        return build_package(folder, files, record, sealer=archiver.sealer, personal={internal})

    return archiver.archive(notice_unit(job), source, base, build)


def edition_source_sha256(snapshot: object) -> str:
    """What a catalog edition is made from: its data snapshot (``catalog_snapshot``)."""
    return _sha256_json(snapshot)


def _district_code(district: District, year: int, retention: Retention) -> ArchivalCode:
    """The archival code of a unit of the district's (a catalog edition, a summary).

    Raises:
        InputInvalid: The district has no code or fonds (``district.yaml``).
    """
    if not (district.code and district.fonds):
        raise InputInvalid(DISTRICT_NOT_CODED(district=district.name))
    return ArchivalCode(district.fonds, year, retention, district.code, None, 1)


def archive_edition(
    catalog: Catalog,
    published: PublishedCatalog,
    district: District,
    archiver: Archiver,
    *,
    published_on: dt.date,
) -> Archived:
    """Archive a published catalog edition (booklet, directory and data snapshot).

    Raises:
        InputInvalid: The district has no code or fonds (``district.yaml``).
    """
    base = _district_code(district, published_on.year, Retention.PERMANENT)
    edition = catalog.edition
    source = edition_source_sha256(json.loads(published.snapshot.read_text(encoding="utf-8")))

    changes = "；".join(change.summary for change in edition.changes)
    abstract = f"{edition.document_number}；{changes}"[:500]

    def build(code: ArchivalCode, previous: PreviousVersion | None, folder: Path) -> Package:
        record = ArchiveRecord(
            kind=UnitKind.CATALOG_EDITION,
            title=f"{edition.district}村级小微权力事项基本目录及流程图（版本 {edition.version}）",
            responsible_body=edition.publisher,
            date=published_on,
            archival_code=str(code),
            retention=Retention.PERMANENT,
            district=district.name,
            edition=edition.version,
            abstract=abstract,
            source_sha256=source,
            links=Links(previous_version=previous),
            worm_override=archiver.worm_override,
        )
        files = [
            (published.booklet_pdf.name, published.booklet_pdf, FileRole.MAIN),
            (published.directory_pdf.name, published.directory_pdf, FileRole.ATTACHMENT),
            (published.snapshot.name, published.snapshot, FileRole.SOURCE),
        ]
        return build_package(folder, files, record)

    return archiver.archive(f"catalog_edition/{edition.version}", source, base, build)


PACK_RETENTION = Retention.YEARS_30


def pack_unit(place: Place, month: str) -> str:
    """The unit key of a village's monthly pack (``monthly_pack/QL-NM/2026-11``)."""
    return f"monthly_pack/{place.village.code}/{month}"


def archive_monthly_pack(
    pack: MonthlyPack, keys: KeyStore, archiver: Archiver, *, work: Path
) -> Archived:
    """Sign a built monthly pack with its village's key and archive it.

    Args:
        pack: The pack (``pipeline.units.packs.pack.build_monthly_pack``).
        keys: The villages' signing keys.
        archiver: Files the package.
        work: Scratch folder for the signed copy.
    """
    place, counts = pack.place, pack.counts
    base = ArchivalCode(
        place.village.fonds, pack.month[0], PACK_RETENTION, place.village.code, None, 1
    )
    abstract = (
        f"本月办件 {counts.cases_active} 件，办结 {counts.cases_closed} 件，"
        f"逾期 {counts.overdue} 件，违规 {counts.irregular} 件，"
        f"用印 {counts.seal_uses} 次，涉及事项 {counts.items_used} 项"
    )

    def build(code: ArchivalCode, previous: PreviousVersion | None, folder: Path) -> Package:
        signed = work / f"{code}.pdf"
        sign_pdf(pack.path, signed, keys.signer_for(place), reason="归档 / archived monthly pack",
                 location=place.full_name)  # fmt: skip
        try:
            record = ArchiveRecord(
                kind=UnitKind.MONTHLY_PACK, title=pack.title,
                responsible_body=pack.responsible_body, date=pack.issued_on,
                archival_code=str(code), retention=PACK_RETENTION, district=place.district.name,
                town=OrgRef(code=place.town.code, name=place.town.name),
                village=OrgRef(code=place.village.code, name=place.village.name),
                month=pack.month_text, abstract=abstract,
                amounts=[Amount(label=f"{a.case_id} {a.label}", value=a.value)
                         for a in pack.amounts],
                irregularities=[irregularity for _, irregularity in pack.irregularities],
                contents=[
                    ContentEntry(number=n, title=section.title, author=pack.responsible_body,
                                 date=pack.issued_on, first_page=section.first_page,
                                 pages=section.pages)
                    for n, section in enumerate(pack.sections, start=1)
                ],
                source_sha256=pack.source_sha256, links=Links(previous_version=previous),
                worm_override=archiver.worm_override,
            )  # fmt: skip
            return build_package(folder, [(pack.path.name, signed, FileRole.MAIN)], record)
        finally:
            signed.unlink(missing_ok=True)

    work.mkdir(parents=True, exist_ok=True)
    unit = pack_unit(place, pack.month_text)
    return archiver.archive(unit, pack.source_sha256, base, build)


OBJECTION_RETENTION = Retention.YEARS_30
"""Kept as long as a monthly pack; an objection to a case is kept as long as the case."""


def objection_unit(objection: Objection) -> str:
    """The unit key of an objection (``objection/7K3D-Q9XM``)."""
    return f"objection/{objection.receipt}"


def objection_source_sha256(objection: Objection) -> str:
    """What an objection's record is made from: everything kept of it (an answer changes it)."""
    return _sha256_json(objection.as_data())


def archive_objection(
    objection: Objection,
    written: ObjectionRecordFiles,
    photo: Path | None,
    place: Place,
    item: CatalogItem | None,
    archiver: Archiver,
) -> Archived:
    """Archive an objection's record (public and internal copies, and its photo).

    Args:
        objection: The objection as kept (its answer too, once given).
        written: Its record's copies (:func:`~pipeline.units.objections.write_objection_record`).
        photo: The photo sent with it, if any (a file named for its type).
        place: Its village.
        item: The item of the case objected to (None for a report).
        archiver: Files the package.
    """
    source = objection_source_sha256(objection)
    retention = item.retention if item is not None else OBJECTION_RETENTION
    base = ArchivalCode(
        place.village.fonds, objection.received_on.year, retention, place.village.code,
        item.code if item is not None else None, 1,
    )  # fmt: skip
    answer = objection.answer
    state = f"已答复，异议{answer.decision.value}" if answer else "待答复"
    abstract = f"{objection.kind.value}（{state}）：{mask_text(objection.text)}"[:500]

    def build(code: ArchivalCode, previous: PreviousVersion | None, folder: Path) -> Package:
        record = ArchiveRecord(
            kind=UnitKind.OBJECTION, title=objection_title(objection, place),
            responsible_body=supervision_committee(place), date=objection.received_on,
            archival_code=str(code), retention=retention, district=place.district.name,
            town=OrgRef(code=place.town.code, name=place.town.name),
            village=OrgRef(code=place.village.code, name=place.village.name),
            item=ItemRef(code=item.code, name=item.name) if item is not None else None,
            case_id=objection.case_id, receipt=objection.receipt,
            abstract=abstract, source_sha256=source, links=Links(previous_version=previous),
            worm_override=archiver.worm_override,
        )  # fmt: skip
        files = [
            (written.public_pdf.name, written.public_pdf, FileRole.MAIN),
            (written.internal_pdf.name, written.internal_pdf, FileRole.ATTACHMENT),
        ]
        if photo is not None:
            files.append((f"照片{photo.suffix}", photo, FileRole.ATTACHMENT))
        # the internal copy names the objector; a photo may show people or homes
        personal = {name for name, _, _ in files[1:]}
        return build_package(folder, files, record, sealer=archiver.sealer, personal=personal)

    return archiver.archive(objection_unit(objection), source, base, build)


_PHOTO_SUFFIXES = {"image/jpeg": ".jpg", "image/png": ".png"}


def file_objection(
    objection: Objection,
    photo: bytes | None,
    place: Place,
    item: CatalogItem | None,
    writer: StampedWriter,
    archiver: Archiver,
    *,
    work: Path,
    keep_work: bool = False,
) -> Archived:
    """Write an objection's record and archive it, unless archived as it stands already.

    ``keep_work`` keeps the record's scratch folder when filing fails (for diagnosis).

    Raises:
        PrivacyLeak: The public copy would show an ID or mobile number.
        StorageError: The bucket failed; the next run finishes the package.
    """
    source = objection_source_sha256(objection)
    unit = objection_unit(objection)
    current = archiver.current(unit, source)
    if current is not None:
        return Archived(unit, current.archival_code, current.version, Outcome.UNCHANGED)
    with work_folder(work / objection.receipt, keep_on_failure=keep_work) as folder:
        written = write_objection_record(objection, place, item, writer, folder)
        picture = None
        if photo is not None and objection.photo_type in _PHOTO_SUFFIXES:
            picture = folder / f"photo{_PHOTO_SUFFIXES[objection.photo_type]}"
            picture.write_bytes(photo)
        return archive_objection(objection, written, picture, place, item, archiver)


def summary_unit(month: str) -> str:
    """The unit key of the district summary of ``month`` (``district_summary/2026-11``)."""
    return f"district_summary/{month}"


def summary_source_sha256(summary: DistrictSummary) -> str:
    """What the summary counts: each village's line, each item's tally, the totals."""
    return _sha256_json(
        {
            "month": month_text(summary.month),
            "villages": [dataclasses.asdict(line) for line in summary.villages],
            "items": [dataclasses.asdict(tally) for tally in summary.items],
            "totals": dataclasses.asdict(summary.totals),
        }
    )


def archive_district_summary(
    summary: DistrictSummary,
    district: District,
    archiver: Archiver,
    *,
    issuer: str,
    issued_on: dt.date,
) -> Archived:
    """Archive the district summary of a month, unless one from the same counts is.

    Raises:
        InputInvalid: The district has no code or fonds (``district.yaml``).
    """
    base = _district_code(district, summary.month[0], PACK_RETENTION)
    month = month_text(summary.month)
    source = summary_source_sha256(summary)
    totals = summary.totals
    abstract = (
        f"{len(summary.villages)} 个村：办件 {totals.cases_active} 件，"
        f"办结 {totals.cases_closed} 件，逾期 {totals.overdue} 件，"
        f"违规 {totals.irregular} 件，用印 {totals.seal_uses} 次，"
        f"涉及事项 {totals.items_used} 项"
    )

    def build(code: ArchivalCode, previous: PreviousVersion | None, folder: Path) -> Package:
        record = ArchiveRecord(
            kind=UnitKind.DISTRICT_SUMMARY, title=summary.title, responsible_body=issuer,
            date=issued_on, archival_code=str(code), retention=PACK_RETENTION,
            district=district.name, month=month, abstract=abstract, source_sha256=source,
            links=Links(previous_version=previous), worm_override=archiver.worm_override,
        )  # fmt: skip
        files = [
            (summary.pdf.name, summary.pdf, FileRole.MAIN),
            (summary.xlsx.name, summary.xlsx, FileRole.ATTACHMENT),
        ]
        return build_package(folder, files, record)

    return archiver.archive(summary_unit(month), source, base, build)
