"""The clerk's notice job: print the notices (公示, 结果公开) of cases for posting.

One function for every face: ``xwql notice`` prints what it returns, the converter
service runs it for the command's thin client, the workspace's notices page calls it
too (and collates the day's sheets into one PDF to print, :func:`collate_for_posting`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.cases.meetings import Meeting
from pipeline.cases.model import Case
from pipeline.config import Settings
from pipeline.documents.engine import DocumentEngine
from pipeline.errors import InputInvalid, XwqlError
from pipeline.jobs.messages import NAME_CASES_OR_VILLAGE, NOTHING_TO_POST
from pipeline.programs.converter_service.pool import Converter
from pipeline.units.notices import IssuedFiles, NoticeIssuer, NoticeJob, notice_jobs
from pipeline.workspace import Workspace

if TYPE_CHECKING:  # the archive (pyHanko, minio) is imported only when notices are filed
    from pipeline.archive.archiver import Archived


@dataclass(frozen=True)
class NoticeRequest:
    """Which notices to print, and where.

    Attributes:
        case_ids: The named cases: the latest notice of each (empty: all notices
            of ``village``).
        village: Village name or code, when no case is named.
        day: Only the notices of this day, with ``village``.
        out: The output folder (the internal copies go to ``out/internal``).
        operator: Who places the seal (用印经办人).
    """

    case_ids: list[str]
    village: str | None
    day: dt.date | None
    out: Path
    operator: str

    def check(self) -> None:
        """Raise ``InputInvalid`` unless cases or a village are named."""
        if not self.case_ids and not self.village:
            raise InputInvalid(NAME_CASES_OR_VILLAGE())


@dataclass(frozen=True)
class IssuedNotices:
    """What the notice job did.

    Attributes:
        issued: The notices written (sheet and internal copy each).
        failed: The notices that could not be written, with why; the others were.
    """

    issued: list[IssuedFiles]
    failed: list[tuple[NoticeJob, XwqlError]]


def notices_of(
    workspace: Workspace, cases: Iterable[Case], day: dt.date | None = None
) -> list[NoticeJob]:
    """Every notice (公示, 结果公开) recorded on ``cases``, in their order; ``day``'s only if given.

    Raises:
        InputInvalid: An item's notice step has no notice period.
    """
    registers: dict[str, Mapping[str, Meeting]] = {}
    jobs = []
    for case in cases:
        if case.village not in registers:
            registers[case.village] = workspace.meetings.of_village(case.village)
        jobs += [
            job
            for job in notice_jobs(
                case, workspace.catalog.get(case.item_code),
                workspace.directory.get(case.village), registers[case.village],
            )
            if day is None or job.step.date == day
        ]  # fmt: skip
    return jobs


def select_notices(workspace: Workspace, request: NoticeRequest) -> list[NoticeJob]:
    """The notices ``request`` names, in the cases' order.

    Raises:
        InputInvalid: Nothing is named, or no notice or result step is recorded.
    """
    request.check()
    if request.case_ids:
        cases = [workspace.store.get(case_id) for case_id in request.case_ids]
    else:
        assert request.village is not None
        cases = workspace.store.find(village=workspace.directory.get(request.village).village.code)
    jobs = notices_of(workspace, cases, request.day)
    if request.case_ids:
        # For named cases, the latest notice of each (a reprint gives the same sheet).
        jobs = list({job.case.case_id: job for job in jobs}.values())
    if not jobs:
        raise InputInvalid(NOTHING_TO_POST())
    return jobs


def issue_notices(
    settings: Settings,
    request: NoticeRequest,
    *,
    converters: Converter | None = None,
    progress: Callable[[str], None] = lambda message: None,
) -> IssuedNotices:
    """Print the notices ``request`` names: masked, stamped, their seals registered.

    A notice that fails (bad data, a document LibreOffice cannot convert) is
    reported in ``failed``; the others are still written. ``converters`` (the
    service's, or a pool started early) are used and stopped at the end, as a
    document engine does; else the engine finds its own.

    Raises:
        XwqlError: Nothing to print, or the store, catalog or archive cannot be used.
    """
    with Workspace.open(settings) as workspace:
        jobs = select_notices(workspace, request)
        with DocumentEngine.open(settings, converters=converters) as engine:
            issuer = NoticeIssuer(
                engine,
                workspace.store,
                supervision_phone=workspace.directory.district.shown(
                    workspace.directory.district.supervision_phone
                ),
                operator=request.operator,
                work=settings.data / "work" / "notices",
            )
            batch = issuer.issue_all(jobs, request.out, progress=progress)
    return IssuedNotices(batch.issued, batch.failed)


def collate_for_posting(
    issued: Sequence[IssuedFiles], target: Path, *, title: str, author: str
) -> int:
    """One PDF of the issued sheets (never their internal copies), to print in one go.

    The sheets follow in ``issued``'s order (the posting order: the cases' order,
    a case's notices in step order), each page as issued (its size, its seal, no
    page number added, nothing rasterised), with a bookmark per sheet.

    Returns:
        The PDF's page count.

    Raises:
        OutputError: Nothing was issued.
    """
    from pipeline.documents.collate import DocumentInfo, Part, collate  # pikepdf, reportlab

    parts = [Part(files.public_pdf, files.public_pdf.stem, numbered=False) for files in issued]
    return collate(parts, target, DocumentInfo(title=title, author=author))


def archive_notices(settings: Settings, issued: list[IssuedFiles]) -> list[Archived]:
    """File each issued notice as posted, with its internal copy; once (a reprint adds nothing).

    Raises:
        WormNotEnforced: The store does not enforce WORM (and no override).
        StorageError: The store cannot be reached; the next run finishes what was begun.
    """
    from pipeline.archive.session import ArchiveSession
    from pipeline.units.filing import archive_notice

    with ArchiveSession.open(settings, writing=True) as session:
        return [archive_notice(files, session.archiver) for files in issued]
