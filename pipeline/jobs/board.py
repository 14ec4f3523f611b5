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
from dataclasses import dataclass

from pipeline.cases.model import Case
from pipeline.cases.store import IssuedNotice
from pipeline.catalog.model import CatalogItem, DayUnit, StepKind
from pipeline.organisations import Place, Town
from pipeline.rules.calendar import working_days_between
from pipeline.rules.flow import notice_period
from pipeline.workspace import Workspace

NOTICE = "公示"
RESULT = "结果公开"
"""The kinds of notices, as the notices table stores them."""
RESULTS_SHOWN_MONTHS = 3
"""How far back a village's board shows results (结果公开)."""
_ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class BoardNotice:
    """A posted notice as the board shows it: public facts only.

    Attributes:
        code: Its verification code (核验码, ``XXXX-XXXX``).
        case_id: The case it belongs to.
        kind: ``公示`` or ``结果公开`` (as the notices table stores it).
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

    @property
    def days_left_text(self) -> str:
        """``还剩3个工作日`` or ``还剩5天``; empty outside the period."""
        if self.days_left is None:
            return ""
        return f"还剩{self.days_left}{'个工作日' if self.working_days else '天'}"


def masked_name(name: str) -> str:
    """A person's name as a headline shows it: the surname and one star (``张*``)."""
    name = name.strip()
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


def board_notice(workspace: Workspace, notice: IssuedNotice, today: dt.date) -> BoardNotice:
    """One issued notice as the board shows it on ``today``."""
    case = workspace.store.get(notice.case_id)
    item = workspace.catalog.get(notice.item_code)
    working = _unit(case, item, notice.issued_on) is DayUnit.WORKING
    start, end = notice.period_start, notice.period_end
    in_period = start is not None and end is not None and start <= today <= end
    return BoardNotice(
        code=notice.verification_code,
        case_id=notice.case_id,
        kind=notice.kind,
        village=notice.village,
        item_code=item.code,
        item_name=item.name,
        posted_on=notice.issued_on,
        start=start,
        end=end,
        working_days=working,
        days_left=days_left(end, today, working_days=working) if in_period and end else None,
        in_period=in_period,
        title=notice_title(case, item, notice.kind),
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
