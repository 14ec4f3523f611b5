"""The village's board online (村务公开栏): what its public pages show, read from the workspace.

Plain functions over a :class:`~pipeline.workspace.Workspace` and the day, so the
web pages and the tests read the same facts: the notices a village posted (公示 in
their period with the days left, 结果公开 results), the board of a village, the
district's and a town's villages, and the monthly packs (月度公开材料) filed in
the archive. Only public data leaves here: an applicant is named as a headline
names them (``张*``), never with an ID number or a phone.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from pipeline.archive.index import MAX_LIMIT, ArchiveIndex
from pipeline.archive.metadata import UnitKind
from pipeline.cases.model import Case
from pipeline.cases.store import IssuedNotice
from pipeline.catalog.model import CatalogItem, DayUnit, DocumentKind, StepKind
from pipeline.documents.pdftext import page_count, page_png
from pipeline.organisations import District, Place, Town
from pipeline.rules.calendar import working_days_between
from pipeline.rules.flow import notice_period
from pipeline.workspace import Workspace

NOTICE = "公示"
RESULT = "结果公开"
"""The kinds of notices as the board names them."""
RESULTS_SHOWN_MONTHS = 3
"""How far back a village's board shows results (结果公开)."""
_ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class BoardNotice:
    """A posted notice as the board shows it: public facts only.

    Attributes:
        code: Its verification code (核验码, ``XXXX-XXXX``).
        case_id: The case it belongs to.
        kind: ``公示`` or ``结果公开`` (the notices table's ``public_notice``,
            ``result_notice``).
        village: The village's code.
        item_code: The power-list item's code.
        item_name: The item's name.
        posted_on: The day it was issued and posted.
        start: First day of its period (公示 only).
        end: Last day of its period (公示 only).
        working_days: Whether the period counts working days (the item's rule).
        days_left: Days of the period left, today included, in its unit; None
            outside the period or without one.
        in_period: Whether today is within the period.
        title: The public headline (``关于张*低保申请的公示``).
        sheet_sha256: SHA-256 of the sheet as posted (what its archived copy must match).
    """

    code: str
    case_id: str
    kind: str
    village: str
    item_code: str
    item_name: str
    posted_on: dt.date
    start: dt.date | None
    end: dt.date | None
    working_days: bool
    days_left: int | None
    in_period: bool
    title: str
    sheet_sha256: str = ""


_BODIES = ("委员会", "支部", "村", "社区", "公司", "合作社", "小组", "中心", "学校", "站", "队")
"""How the names of organisations end (an applicant may be the committee itself)."""
_LONGEST_NAME = 4


def masked_name(name: str) -> str:
    """An applicant's name as a headline shows it: ``张*`` (organisations in full).

    A person keeps the surname and one star, whatever the name's length; a name
    longer than four characters ending like an organisation's (``南马村民委员会``)
    is no person's and stays.
    """
    name = name.strip()
    if len(name) > _LONGEST_NAME and "·" not in name and name.endswith(_BODIES):
        return name
    return f"{name[:1]}*" if name else "*"


def notice_title(case: Case, item: CatalogItem, kind: str) -> str:
    """The public headline of a notice: ``关于张*低保申请的公示``, ``关于王*等2人…``."""
    who = masked_name(case.applicant.name)
    if len(case.applicants) > 1:
        who += f"等{len(case.applicants)}人"
    return f"关于{who}{item.name}的{kind}"


def _unit(case: Case, item: CatalogItem, posted_on: dt.date) -> DayUnit:
    """How the notice posted on ``posted_on`` counts its days (its step's rule)."""
    steps = {step.id: step for step in item.steps if step.kind == StepKind.NOTICE}
    for record in case.steps:
        step = steps.get(record.step)
        if step is not None and record.date == posted_on:
            period = notice_period(item, step, posted_on)
            if period is not None:
                return period[3]
    return item.public_notice.unit


def days_left(end: dt.date, today: dt.date, *, working_days: bool) -> int:
    """Days from ``today`` to ``end``, both counted, in working or calendar days."""
    if working_days:
        return working_days_between(today - _ONE_DAY, end)
    return (end - today).days + 1


def _in_period(notice: IssuedNotice, today: dt.date) -> bool:
    start, end = notice.period_start, notice.period_end
    return start is not None and end is not None and start <= today <= end


def _case(workspace: Workspace, case_id: str, read: dict[str, Case]) -> Case:
    """The case ``case_id``, read once into ``read`` (a case may have several notices)."""
    if case_id not in read:
        read[case_id] = workspace.store.get(case_id)
    return read[case_id]


def board_notice(
    workspace: Workspace, notice: IssuedNotice, today: dt.date, *, case: Case | None = None
) -> BoardNotice:
    """One issued notice as the board shows it on ``today`` (``case``: its case, if read)."""
    case = case if case is not None else workspace.store.get(notice.case_id)
    item = workspace.catalog.get(notice.item_code)
    working = _unit(case, item, notice.issued_on) is DayUnit.WORKING
    kind = NOTICE if notice.kind == DocumentKind.PUBLIC_NOTICE.value else RESULT
    start, end = notice.period_start, notice.period_end
    in_period = _in_period(notice, today)
    return BoardNotice(
        code=notice.verification_code,
        case_id=notice.case_id,
        kind=kind,
        village=notice.village,
        item_code=item.code,
        item_name=item.name,
        posted_on=notice.issued_on,
        start=start,
        end=end,
        working_days=working,
        days_left=days_left(end, today, working_days=working) if in_period and end else None,
        in_period=in_period,
        title=notice_title(case, item, kind),
        sheet_sha256=notice.public_sha256,
    )


def find_notice(workspace: Workspace, code: str, today: dt.date) -> BoardNotice | None:
    """The notice issued under verification code ``code`` (normalised), if any."""
    notice = workspace.store.notice(code)
    return board_notice(workspace, notice, today) if notice is not None else None


def village_notices(workspace: Workspace, village: str, today: dt.date) -> list[BoardNotice]:
    """Every notice the village (its code) posted, newest first."""
    return [
        board_notice(workspace, notice, today)
        for notice in workspace.store.notices_of_village(village)
    ]


def town_of(workspace: Workspace, code: str) -> Town | None:
    """The town or street with ``code`` (case-insensitive), if the district has one."""
    wanted = code.strip().upper()
    return next((t for t in workspace.directory.district.towns if t.code == wanted), None)


def village_place(workspace: Workspace, code: str) -> Place | None:
    """The village with ``code`` (case-insensitive, ``ql-nm``), if the district has one."""
    wanted = code.strip().upper()
    return next((p for p in workspace.directory.villages if p.village.code == wanted), None)


def _months_before(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` months earlier (the month's last day where it is shorter)."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    month += 1
    for last in (31, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("every month has 28 days")


@dataclass(frozen=True)
class BoardPack:
    """A village's monthly pack (月度公开材料, 五公开) as filed in the archive.

    Attributes:
        month: ``2026-11``.
        title: Its title (题名).
        archival_code: Its archival code (档号), the latest version.
        filed_on: The record's date.
    """

    month: str
    title: str
    archival_code: str
    filed_on: dt.date


def village_packs(index: ArchiveIndex, village: str) -> list[BoardPack]:
    """The village's (code) monthly packs in the archive: the latest version each, newest first."""
    found = index.search(kind=UnitKind.MONTHLY_PACK.value, village=village, limit=MAX_LIMIT)
    latest: dict[str, BoardPack] = {}
    versions: dict[str, int] = {}
    for entry in found.entries:
        if entry.village_code != village or not entry.unit:
            continue
        month = entry.unit.rsplit("/", 1)[-1]
        if versions.get(month, 0) < entry.version:
            versions[month] = entry.version
            latest[month] = BoardPack(month, entry.title, entry.archival_code, entry.date)
    return [latest[month] for month in sorted(latest, reverse=True)]


def village_summary(place: Place) -> dict[str, str]:
    """A village as the board names it: code, name, town, committee and the public phones."""
    return {
        "code": place.village.code,
        "name": place.village.name,
        "full_name": place.full_name,
        "town_code": place.town.code,
        "town": place.town.name,
        "committee": place.village.committee,
        "supervision_phone": place.village.supervision_phone,
        "service_phone": place.village.service_phone,
        "town_phone": place.town.phone,
        "district_phone": place.district.supervision_phone,
        "phone_mark": place.district.phone_mark,
    }


def village_board(
    workspace: Workspace, village: str, today: dt.date, *, packs: Sequence[BoardPack] = ()
) -> dict[str, Any] | None:
    """A village's board on ``today``; None when the district has no such village (code).

    Returns:
        ``village`` (:func:`village_summary`), ``live`` (公示 in their period, the
        first to end first), ``results`` (结果公开 of the last three months, newest
        first), ``packs`` (the monthly packs given, as dicts) and ``today``.
    """
    place = village_place(workspace, village)
    if place is None:
        return None
    since = _months_before(today, RESULTS_SHOWN_MONTHS)
    # Only the notices shown are read with their cases: a village's notices of past
    # years stay in the store, unread.
    shown = [
        notice
        for notice in workspace.store.notices_of_village(place.village.code)
        if _in_period(notice, today)
        or (notice.kind != DocumentKind.PUBLIC_NOTICE.value and since <= notice.issued_on <= today)
    ]
    cases: dict[str, Case] = {}
    notices = [
        board_notice(workspace, notice, today, case=_case(workspace, notice.case_id, cases))
        for notice in shown
    ]
    live = sorted((n for n in notices if n.in_period), key=lambda n: (n.end, n.code))
    results = [n for n in notices if n.kind == RESULT and since <= n.posted_on <= today]
    return {
        "village": village_summary(place),
        "today": today,
        "live": [asdict(n) for n in live],
        "results": [asdict(n) for n in results],
        "packs": [asdict(p) for p in packs],
    }


def _district_summary(district: District) -> dict[str, Any]:
    return {
        "name": district.name,
        "supervision_phone": district.supervision_phone,
        "phone_mark": district.phone_mark,
    }


def _town_summary(town: Town) -> dict[str, Any]:
    return {
        "code": town.code,
        "name": town.name,
        "phone": town.phone,
        "villages": [{"code": v.code, "name": v.name} for v in town.villages],
    }


def district_board(workspace: Workspace) -> dict[str, Any]:
    """The district's towns and streets, each with its villages (in data order)."""
    district = workspace.directory.district
    return {
        "district": _district_summary(district),
        "towns": [_town_summary(town) for town in district.towns],
    }


def town_board(workspace: Workspace, code: str) -> dict[str, Any] | None:
    """A town's or street's villages; None when the district has no such town (code)."""
    town = town_of(workspace, code)
    if town is None:
        return None
    return {
        "district": _district_summary(workspace.directory.district),
        "town": _town_summary(town),
    }


_SHA256 = re.compile(r"[0-9a-f]{64}")
_KEY = re.compile(r"[0-9A-Za-z][0-9A-Za-z.-]{0,99}")


class PageImages:
    """Pages of public PDFs as PNG images, drawn once and kept by the PDF's SHA-256.

    For phones, which show nothing of a PDF in a page: a PDF is kept under
    ``folder/<sha256>/`` with its page count; each page is drawn the first time it
    is asked for (a monthly pack has many), and kept.

    Args:
        folder: Where the PDFs and their pages are kept (inside the data folder).
        width_px: How wide a page is drawn (enough for a phone's sharp screen).
    """

    def __init__(self, folder: Path, *, width_px: int = 1000) -> None:
        self.folder = folder
        self.width_px = width_px

    def _place(self, sha256: str) -> Path:
        if not _SHA256.fullmatch(sha256):
            raise ValueError(f"not a SHA-256: {sha256!r}")
        return self.folder / sha256

    def pages(self, sha256: str) -> int | None:
        """The page count of the PDF kept under ``sha256``; None when it is not kept."""
        count = self._place(sha256) / "pages"
        return int(count.read_text(encoding="ascii")) if count.is_file() else None

    def keep(self, data: bytes) -> tuple[str, int]:
        """Keep a PDF (once): its SHA-256 and page count.

        Raises:
            PdfUnreadable: PDFium cannot read it.
        """
        sha256 = hashlib.sha256(data).hexdigest()
        place = self._place(sha256)
        known = self.pages(sha256)
        if known is not None:
            return sha256, known
        place.mkdir(parents=True, exist_ok=True)
        _write(place / "document.pdf", data)
        count = page_count(place / "document.pdf")
        _write(place / "pages", str(count).encode("ascii"))
        return sha256, count

    def remember(self, key: str, sha256: str) -> None:
        """Note that the PDF filed under ``key`` (an archival code, never reused) is ``sha256``."""
        _write(self._key(key), sha256.encode("ascii"))

    def recall(self, key: str) -> str | None:
        """The SHA-256 of the PDF noted under ``key``, if its pages are kept."""
        noted = self._key(key)
        sha256 = noted.read_text(encoding="ascii") if noted.is_file() else None
        return sha256 if sha256 and self.pages(sha256) is not None else None

    def _key(self, key: str) -> Path:
        if not _KEY.fullmatch(key):
            raise ValueError(f"not a key of a kept PDF: {key!r}")
        folder = self.folder / "by-key"
        folder.mkdir(parents=True, exist_ok=True)
        return folder / key

    def png(self, sha256: str, number: int) -> bytes | None:
        """Page ``number`` (1 for the first) of the PDF kept under ``sha256``, as a PNG.

        None when the PDF is not kept or has no such page.
        """
        count = self.pages(sha256)
        if count is None or not 1 <= number <= count:
            return None
        place = self._place(sha256)
        image = place / f"page-{number}.png"
        if not image.is_file():
            _write(image, page_png(place / "document.pdf", number - 1, width_px=self.width_px))
        return image.read_bytes()


def _write(target: Path, data: bytes) -> None:
    """Write through a temporary file renamed into place (readers never see half a file)."""
    partial = target.with_name(f".{target.name}.{hashlib.sha256(data).hexdigest()[:8]}.part")
    partial.write_bytes(data)
    partial.replace(target)
