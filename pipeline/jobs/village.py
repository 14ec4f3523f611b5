"""The district's jobs at the grain of one village: plain functions the flows schedule.

Each job opens nothing itself: a :class:`JobContext` holds the case store,
the warm converters and the archive, opened once per run and shared by every
village's job (they run in threads). Every job is idempotent: it skips what is
archived from the same source already, so a re-run after a crash finishes
the work without doing it twice, and a second run does nothing.

Order within a month matters: notices and case files stamp documents, and
stamping writes the seal-use register, which the monthly pack prints; so a
village's pack is built after its notices and case files.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from pipeline.archive.archiver import Archived, Outcome
from pipeline.archive.session import ArchiveSession
from pipeline.cases.model import CaseStatus
from pipeline.cases.objections import Objection
from pipeline.catalog.load import catalog_snapshot
from pipeline.config import Settings
from pipeline.documents.engine import DocumentEngine
from pipeline.errors import XwqlError
from pipeline.intake.importing import ImportOutcome, import_ledger
from pipeline.jobs.month import file_pack
from pipeline.malloc import limit_arenas
from pipeline.organisations import Place
from pipeline.units.booklet import PublishedCatalog, publish_catalog
from pipeline.units.casefile import CaseFiler
from pipeline.units.filing import (
    archive_district_summary,
    archive_edition,
    archive_notice,
    edition_source_sha256,
    file_objection,
    notice_source_sha256,
    notice_unit,
    pack_unit,
)
from pipeline.units.notices import NoticeIssuer, NoticeJob, notice_jobs
from pipeline.units.packs.month import Month, month_days, month_text, village_month
from pipeline.units.packs.pack import build_monthly_pack, pack_path, source_digest
from pipeline.units.packs.summary import DistrictSummary, build_district_summary
from pipeline.workspace import Workspace

_T = TypeVar("_T")


def _quiet(message: str) -> None:
    """Progress nobody shows."""


@dataclass
class JobContext:
    """Everything a run's jobs share, opened once.

    Attributes:
        settings: The settings.
        workspace: Catalog, organisations, case store.
        engine: Templates and the warm converters (started on first use).
        session: The archive: bucket, index, archiver, signing keys.
        issuer: Writes stamped documents and notices.
        filer: Files case files.
        out: Where printable documents go (``notices/``, ``monthly/``, ``catalog/``).
        issued_on: Date printed on what is issued in this run.
        documents: Threads for a village's notices and case files, shared by all
            villages: as many as the converters' batches hold, so that enough
            documents wait for LibreOffice at once to be converted together
            (one village's documents alone would go one at a time).
    """

    settings: Settings
    workspace: Workspace
    engine: DocumentEngine
    session: ArchiveSession
    issuer: NoticeIssuer
    filer: CaseFiler
    out: Path
    issued_on: dt.date
    documents: ThreadPoolExecutor

    @classmethod
    @contextlib.contextmanager
    def open(
        cls, settings: Settings, out: Path, *, issued_on: dt.date, operator: str = "xwql"
    ) -> Iterator[JobContext]:
        """Open the store, the converters (lazily) and the archive (WORM-checked).

        Raises:
            WormNotEnforced: The store does not enforce WORM (and no override).
            StorageError: The store cannot be reached.
        """
        limit_arenas()  # before the run's threads start (see pipeline.malloc)
        with (
            Workspace.open(settings) as workspace,
            ArchiveSession.open(settings, writing=True) as session,
            DocumentEngine.open(settings) as engine,
            ThreadPoolExecutor(engine.pool.callers, thread_name_prefix="documents") as documents,
        ):
            issuer = NoticeIssuer(
                engine, workspace.store,
                supervision_phone=workspace.directory.district.shown(
                    workspace.directory.district.supervision_phone
                ),
                operator=operator, work=settings.data / "work" / "notices",
            )  # fmt: skip
            filer = CaseFiler(
                issuer, session.keys, session.archiver, settings.data / "work" / "case-files",
                filed_on=issued_on, posted=out / "notices", keep_work=settings.keep_work,
                register=workspace.meetings.of_village, rules=workspace.catalog.meetings,
            )  # fmt: skip
            yield cls(
                settings, workspace, engine, session, issuer, filer, out, issued_on, documents
            )

    def place(self, village: str) -> Place:
        """The village named by code or name."""
        return self.workspace.directory.get(village)


@dataclass(frozen=True)
class VillageResult:
    """What a job did for one village.

    Attributes:
        village: The village code.
        archived: One line per unit: what was archived (or left unchanged).
        failed: Units that could not be done, with the error; the rest went on.
    """

    village: str
    archived: list[Archived]
    failed: list[tuple[str, XwqlError]]

    @property
    def written(self) -> int:
        """Units archived now (not unchanged)."""
        return sum(1 for a in self.archived if a.outcome != Outcome.UNCHANGED)


def import_ledger_file(context: JobContext, path: Path) -> ImportOutcome:
    """Import one ledger (unchanged cases are skipped)."""
    return import_ledger(path, context.workspace)


def _in_month(day: dt.date, month: Month | None) -> bool:
    if month is None:
        return True
    first, last = month_days(month)
    return first <= day <= last


def village_notices(context: JobContext, village: str, month: Month | None) -> VillageResult:
    """Issue and archive every notice of the village's cases dated in ``month``.

    A notice archived from the same source already is not written again.
    """
    place = context.place(village)
    catalog, store = context.workspace.catalog, context.workspace.store
    out = context.out / "notices" / place.village.name
    archived: list[Archived] = []
    todo = []
    register = context.workspace.meetings.of_village(place.village.code)
    for case in store.find(village=place.village.code):
        for job in notice_jobs(case, catalog.get(case.item_code), place, register):
            if not _in_month(job.step.date, month):
                continue
            unit = notice_unit(job)
            current = context.session.archiver.current(unit, notice_source_sha256(job))
            if current is not None and (out / f"{job.file_stem}.pdf").is_file():
                archived.append(
                    Archived(unit, current.archival_code, current.version, Outcome.UNCHANGED)
                )
            else:
                todo.append(job)

    def issue(job: NoticeJob) -> Archived:
        return archive_notice(context.issuer.issue(job, out), context.session.archiver)

    done, failed = _each(context, issue, [(job.file_stem, job) for job in todo])
    return VillageResult(place.village.code, archived + done, failed)


def village_case_files(context: JobContext, village: str) -> VillageResult:
    """Archive the case file of every finished case of the village (once per source)."""
    place = context.place(village)
    catalog = context.workspace.catalog
    closed = [
        (case.case_id, case)
        for case in context.workspace.store.find(village=place.village.code)
        if case.status != CaseStatus.OPEN
    ]
    register = context.workspace.meetings.of_village(place.village.code)
    archived, failed = _each(
        context,
        lambda case: context.filer.file(case, catalog.get(case.item_code), place, register),
        closed,
    )
    return VillageResult(place.village.code, archived, failed)


def village_objections(context: JobContext, village: str) -> VillageResult:
    """Archive the record of every objection and report of the village, as it stands.

    One archived when received is archived again, as a new version, once answered;
    one archived as it stands is left alone.
    """
    place = context.place(village)
    workspace = context.workspace

    def file(objection: Objection) -> Archived:
        item = workspace.catalog.get(objection.item_code) if objection.item_code else None
        done = file_objection(
            objection, workspace.objections.photo(objection.receipt), place, item,
            context.issuer, context.session.archiver, work=context.settings.data / "work" /
            "objections", keep_work=context.settings.keep_work,
        )  # fmt: skip
        workspace.objections.mark_archived(objection.receipt, done.archival_code)
        return done

    kept = workspace.objections.find(villages=[place.village.code])
    archived, failed = _each(context, file, [(o.receipt, o) for o in kept])
    return VillageResult(place.village.code, archived, failed)


def _each(
    context: JobContext, work: Callable[[_T], Archived], items: Iterable[tuple[str, _T]]
) -> tuple[list[Archived], list[tuple[str, XwqlError]]]:
    """``work`` on each named item on the shared document threads, in order.

    An item that fails with an expected error is reported by name; the others go on.
    """

    def attempt(item: _T) -> Archived | XwqlError:
        try:
            return work(item)
        except XwqlError as exc:
            return exc

    named = list(items)
    outcomes = list(context.documents.map(attempt, [item for _, item in named]))
    done = [o for o in outcomes if isinstance(o, Archived)]
    failed = [
        (name, o) for (name, _), o in zip(named, outcomes, strict=True) if isinstance(o, XwqlError)
    ]
    return done, failed


def village_monthly_pack(context: JobContext, village: str, month: Month) -> Archived:
    """Build, sign and archive the village's pack for ``month``, unless it is current.

    Raises:
        XwqlError: The pack could not be built or archived.
    """
    place = context.place(village)
    out = context.out / "monthly"
    unit = pack_unit(place, month_text(month))
    source = source_digest(
        village_month(context.workspace, place, month), context.workspace.catalog
    )
    current = context.session.archiver.current(unit, source)
    if current is not None and pack_path(out, place, month).is_file():
        return Archived(unit, current.archival_code, current.version, Outcome.UNCHANGED)
    pack = build_monthly_pack(
        context.workspace, context.engine, place, month, out,
        flowchart_cache_dir=context.settings.data / "cache" / "flowcharts",
        issued_on=context.issued_on,
    )  # fmt: skip
    return file_pack(context.session, pack)


def district_summary(
    context: JobContext, month: Month, villages: list[str] | None = None
) -> tuple[DistrictSummary, Archived | None]:
    """Write the district summary of ``month`` (PDF and .xlsx), and archive it.

    Only the whole district's summary is archived (once for the same counts);
    one of some villages (``villages``) is written for reading, not filed.
    """
    places = [context.place(v) for v in villages] if villages is not None else None
    summary = build_district_summary(
        context.workspace, context.engine, month, context.out / "monthly",
        places=places, issued_on=context.issued_on,
    )  # fmt: skip
    if places is not None:
        return summary, None
    done = archive_district_summary(
        summary, context.workspace.directory.district, context.session.archiver,
        issuer=context.workspace.catalog.edition.publisher, issued_on=context.issued_on,
    )  # fmt: skip
    return summary, done


def publish_and_archive_catalog(context: JobContext) -> tuple[PublishedCatalog | None, Archived]:
    """Publish the catalog booklet and archive the edition, unless that edition is archived.

    Returns:
        What was published (None when the archived edition is current and its
        booklet is in ``out/catalog``) and the archive outcome.
    """
    catalog = context.workspace.catalog
    out = context.out / "catalog"
    edition = catalog.edition
    unit = f"catalog_edition/{edition.version}"
    source = edition_source_sha256(catalog_snapshot(catalog))
    current = context.session.archiver.current(unit, source)
    if current is not None and any(out.glob(f"*{edition.version}-流程图汇编.pdf")):
        return None, Archived(unit, current.archival_code, current.version, Outcome.UNCHANGED)
    published = publish_catalog(catalog, out, context.engine, published_on=context.issued_on)
    done = archive_edition(
        catalog, published, context.workspace.directory.district, context.session.archiver,
        published_on=context.issued_on,
    )  # fmt: skip
    return published, done


def file_cases(
    context: JobContext, case_ids: Sequence[str], *, progress: Callable[[str], None] = _quiet
) -> tuple[list[Archived], list[tuple[str, XwqlError]]]:
    """File the named cases' case files, after finishing what an interrupted run began.

    Returns:
        What was filed (the interrupted run's packages first), and the cases that
        could not be filed, with why; the others were.

    Raises:
        XwqlError: A named case is not in the store, or the archive cannot be used.
    """
    cases = [context.workspace.store.get(case_id) for case_id in case_ids]
    archiver = context.session.archiver
    done = [archiver.finish(folder) for folder in archiver.pending()]
    failed: list[tuple[str, XwqlError]] = []
    for case in cases:
        progress(case.case_id)
        try:
            item = context.workspace.catalog.get(case.item_code)
            done.append(context.filer.file(case, item, context.place(case.village)))
        except XwqlError as exc:
            failed.append((case.case_id, exc))
    return done, failed
