"""The town office's month job: each village's disclosure pack (五公开) and the district summary.

:func:`write_packs` prints; :func:`file_packs` signs and files the packs written (the
month page does, when asked; the monthly-packs flow files each village's pack through
:func:`file_pack`). ``xwql monthly`` and the workspace's month page call these and
show their result.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pipeline.archive.archiver import Archived
from pipeline.archive.session import ArchiveSession
from pipeline.config import Settings
from pipeline.documents.engine import DocumentEngine
from pipeline.errors import XwqlError
from pipeline.units.filing import archive_monthly_pack
from pipeline.units.packs.month import Month
from pipeline.units.packs.pack import MonthlyPack, build_monthly_pack
from pipeline.units.packs.summary import DistrictSummary, build_district_summary, select_villages
from pipeline.workspace import Workspace


@dataclass(frozen=True)
class MonthPacks:
    """What the month job wrote.

    Attributes:
        packs: The packs written.
        failed: The villages whose pack failed (full name), with why; the others were written.
        summary: The summary of every village chosen, a failed one included.
    """

    packs: list[MonthlyPack]
    failed: list[tuple[str, XwqlError]]
    summary: DistrictSummary


def write_packs(
    settings: Settings,
    month: Month,
    out: Path,
    *,
    town: str | None = None,
    village: str | None = None,
    villages: Sequence[str] = (),
    issued_on: dt.date,
    operator: str,
    progress: Callable[[str, int, int], None] = lambda message, done, total: None,
) -> MonthPacks:
    """Write the pack of each village chosen (a town's, one, some, or all), then their summary.

    Args:
        settings: The settings.
        month: The month the packs disclose.
        out: Where the PDFs (and the summary's .xlsx) go.
        town: Only this town's villages (name or code).
        village: Only this village (name or code).
        villages: Only these villages (names or codes, each checked against ``town``),
            in this order; instead of ``village``.
        issued_on: The date of issue printed on the covers.
        operator: Who places the seals (用印经办人).
        progress: Told what is being done, and how many of how many are done.

    Raises:
        XwqlError: The villages cannot be chosen, or the summary cannot be written.
    """
    packs: list[MonthlyPack] = []
    failed: list[tuple[str, XwqlError]] = []
    with Workspace.open(settings) as workspace:
        chosen: Sequence[str | None] = villages or [village]
        places = [
            place
            for one in chosen
            for place in select_villages(workspace.directory, town=town, village=one)
        ]
        with DocumentEngine.open(settings) as engine:
            for done, place in enumerate(places):
                progress(place.full_name, done, len(places))
                try:
                    packs.append(
                        build_monthly_pack(
                            workspace, engine, place, month, out,
                            flowchart_cache_dir=settings.data / "cache" / "flowcharts",
                            issued_on=issued_on, operator=operator,
                        )
                    )  # fmt: skip
                except XwqlError as exc:
                    failed.append((place.full_name, exc))
            progress("区汇总 district summary", len(places), len(places))
            summary = build_district_summary(
                workspace, engine, month, out, places=places, issued_on=issued_on
            )
    return MonthPacks(packs, failed, summary)


def file_pack(session: ArchiveSession, pack: MonthlyPack) -> Archived:
    """Sign a built pack with its village's key and file it, unless it is filed already.

    A pack made from the same source as its month's current version adds nothing
    (outcome unchanged); a changed source files a new version.

    Raises:
        XwqlError: The pack could not be signed or filed.
    """
    work = session.settings.data / "work" / "packs"
    return archive_monthly_pack(pack, session.keys, session.archiver, work=work)


def file_packs(settings: Settings, packs: Sequence[MonthlyPack]) -> list[Archived]:
    """Sign and file each pack written (see :func:`file_pack`), in their order.

    Raises:
        XwqlError: The archive cannot be reached or refused a pack (WORM not enforced,
            store down); a package begun stays in the outbox and the next run files it.
    """
    with ArchiveSession.open(settings, writing=True) as session:
        return [file_pack(session, pack) for pack in packs]
