"""Archiving the units other than case files: notices as posted, catalog editions.

* A **notice** (公示 / 结果公开) is archived when it is issued: the sheet as posted
  (masked, stamped, with its verification code 核验码) and the internal copy with
  the full data. Its unit is the case's notice of that kind on that day; its
  source is the notice's verification payload (the public facts it states), its
  item and village, so reprinting it adds nothing.
* A **catalog edition** (清单版本) is archived when it is published: the booklet
  (目录及流程图汇编, the main file), the directory (附件1) and the edition's data
  snapshot. Its archival code is the district's (the district's fonds and code).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

from pipeline.archive.archiver import Archived, Archiver
from pipeline.archive.metadata import (
    ArchivalCode,
    ArchiveRecord,
    FileRole,
    Links,
    PreviousVersion,
    UnitKind,
    case_record,
)
from pipeline.archive.package import Package, build_package
from pipeline.catalog import Catalog
from pipeline.catalog.booklet import PublishedCatalog
from pipeline.catalog.model import DocumentKind, Retention
from pipeline.documents.case_documents import verification_payload
from pipeline.errors import InputInvalid
from pipeline.notices import NoticeJob
from pipeline.organisations import District, Place

_NOTICE_NAMES = {DocumentKind.PUBLIC_NOTICE: "公示", DocumentKind.RESULT_NOTICE: "结果公开"}


def _sha256_json(data: object) -> str:
    canonical = json.dumps(data, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _place_data(place: Place) -> list[object]:
    return [
        place.district.name,
        place.town.model_dump(mode="json", exclude={"villages"}),
        place.village.model_dump(mode="json"),
    ]


def notice_source_sha256(job: NoticeJob) -> str:
    """What a notice is made from: its verification payload, item and village."""
    payload = verification_payload(
        job.kind, job.case, issued_on=job.step.date, start=job.start, end=job.end
    )
    return _sha256_json(
        {
            "payload": payload.decode("utf-8"),
            "item": job.item.model_dump(mode="json"),
            "place": _place_data(job.place),
        }
    )


def archive_notice(
    job: NoticeJob, public_pdf: Path, internal_pdf: Path, verification: str, archiver: Archiver
) -> Archived:
    """Archive one issued notice: the sheet as posted and its internal copy.

    Args:
        job: The notice issued.
        public_pdf: The sheet as posted (masked, stamped).
        internal_pdf: The internal copy (full data).
        verification: The notice's verification code (核验码).
        archiver: Files the package.
    """
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
        files = [
            (f"{name}-张贴件.pdf", public_pdf, FileRole.MAIN),
            (f"{name}-内部存档件.pdf", internal_pdf, FileRole.ATTACHMENT),
        ]
        return build_package(folder, files, record)

    unit = f"notice/{case.case_id}/{job.kind.value}/{job.step.date.isoformat()}"
    return archiver.archive(unit, source, base, build)


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
    if not (district.code and district.fonds):
        raise InputInvalid(
            f"{district.name} 缺少代码或全宗号 / the district needs `code` and `fonds` in its "
            "organisations file to archive catalog editions"
        )
    edition = catalog.edition
    source = _sha256_json(json.loads(published.snapshot.read_text(encoding="utf-8")))
    base = ArchivalCode(
        district.fonds, published_on.year, Retention.PERMANENT, district.code, None, 1
    )

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
