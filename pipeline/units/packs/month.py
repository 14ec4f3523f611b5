"""Months, and what a village's month holds, as the pack and the district summary read it.

Cases are read as they stood at the end of the month (:func:`as_of`): steps dated
later are left out, so a pack rebuilt later shows the same month.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from pipeline.cases.meetings import Meeting, meetings_deciding
from pipeline.cases.model import Case, CaseStatus, Irregularity
from pipeline.cases.objections import Objection
from pipeline.cases.privacy import mask_text
from pipeline.catalog.model import CatalogItem
from pipeline.errors import InputInvalid
from pipeline.organisations import Place
from pipeline.rules.calendar import CHINA
from pipeline.rules.deadlines import Overdue, overdue
from pipeline.units.messages import MONTH_FORM, SEAL_USE_TIME_INVALID
from pipeline.workspace import Workspace

Month = tuple[int, int]
"""A calendar month as ``(year, month)``, e.g. ``(2026, 11)``."""

_MONTH_RE = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$")


# --- months ------------------------------------------------------------------------------


def parse_month(text: str) -> Month:
    """``2026-11`` → ``(2026, 11)``; a clear error for anything else."""
    match = _MONTH_RE.match(text)
    if match is None or not 1 <= int(match.group(2)) <= 12:
        raise InputInvalid(MONTH_FORM(text=text))
    return int(match.group(1)), int(match.group(2))


def month_days(month: Month) -> tuple[dt.date, dt.date]:
    """The first and the last day of ``month``."""
    year, number = month
    first = dt.date(year, number, 1)
    following = dt.date(year + number // 12, number % 12 + 1, 1)
    return first, following - dt.timedelta(days=1)


def previous_month(day: dt.date) -> Month:
    """The month before ``day``'s (what the schedule on the 1st and the month page publish)."""
    last = day.replace(day=1) - dt.timedelta(days=1)
    return last.year, last.month


def month_text(month: Month) -> str:
    """``(2026, 11)`` → ``2026-11`` (file names, archive records)."""
    return f"{month[0]:04d}-{month[1]:02d}"


def month_label(month: Month) -> str:
    """``(2026, 11)`` → ``2026年11月`` (printed)."""
    return f"{month[0]}年{month[1]}月"


def pack_file_name(place: Place, month: Month) -> str:
    """``QL-NM-2026-11-南马村月度公开材料.pdf``."""
    return f"{place.village.code}-{month_text(month)}-{place.village.name}月度公开材料.pdf"


# --- what happened in a village in a month ----------------------------------------------


def closed_on(case: Case) -> dt.date | None:
    """The day a case was concluded (its last step), ``None`` while it is open."""
    if case.status is CaseStatus.OPEN:
        return None
    return max((record.date for record in case.steps), default=case.received_on)


def as_of(case: Case, day: dt.date) -> Case | None:
    """The case as it stood at the end of ``day``; ``None`` if not yet received.

    Steps and irregularities dated later are dropped, and a case concluded later
    is still open (办理中).
    """
    if case.received_on > day:
        return None
    if all(record.date <= day for record in case.steps):
        return case
    return case.model_copy(
        update={
            "steps": [record for record in case.steps if record.date <= day],
            "irregularities": [entry for entry in case.irregularities if entry.date <= day],
            "status": CaseStatus.OPEN,  # its last step (which closes a case) came later
        }
    )


@dataclass(frozen=True)
class MonthCounts:
    """The month of one village (or a total) in numbers."""

    cases_active: int
    cases_closed: int
    overdue: int
    irregular: int
    seal_uses: int
    items_used: int
    objections: int = 0
    objections_answered: int = 0
    objections_upheld: int = 0

    def __add__(self, other: MonthCounts) -> MonthCounts:
        """Field-by-field sum (``items_used`` too: distinct items are counted by the caller)."""
        pairs = zip(dataclasses.astuple(self), dataclasses.astuple(other), strict=True)
        return MonthCounts(*(a + b for a, b in pairs))


@dataclass(frozen=True)
class ItemTally:
    """One item's cases in the month: active, closed, overdue, irregular."""

    code: str
    name: str
    category: str
    cases: int
    closed: int
    overdue: int
    irregular: int


@dataclass(frozen=True)
class VillageMonth:
    """What a village's month holds, with cases as they stood on its last day.

    Attributes:
        place: The village.
        month: The month.
        cases: Cases active in the month (received by its end, not closed before it
            began), by received date.
        closed: Those of ``cases`` concluded in the month.
        overdue: Open cases past a step's due date on the month's last day, by a time
            limit the district has confirmed (or the source gives): the public list.
        overdue_drafted: Those late by a drafted time limit only: counted, not listed,
            until the district confirms the limit (a draft must not shame a clerk).
        irregularities: Irregularities dated in the month, with their case.
        seal_uses: The month's lines of the seal-use register of the village's seal.
        items: The catalog items of ``cases``, in catalog order.
        objections: Objections and reports (异议, 反映问题) received in the month, as
            they stood on its last day.
        addresses: Addresses of every applicant of the village's cases: masked
            wherever they occur in printed free text.
        meetings: The village's meeting register by number, as it stood on the
            month's last day (meetings held by then).

    """

    place: Place
    month: Month
    cases: list[Case]
    closed: list[Case]
    overdue: list[Overdue]
    irregularities: list[tuple[Case, Irregularity]]
    seal_uses: list[dict[str, Any]]
    items: list[CatalogItem]
    addresses: list[str]
    objections: list[Objection] = dataclasses.field(default_factory=list)
    overdue_drafted: list[Overdue] = dataclasses.field(default_factory=list)
    meetings: dict[str, Meeting] = dataclasses.field(default_factory=dict)

    def decided_meetings(self) -> list[Meeting]:
        """The meetings the month's cases were decided by (the process table prints them)."""
        found = {m.number: m for case in self.cases for m in meetings_deciding(case, self.meetings)}
        return list(found.values())

    @property
    def counts(self) -> MonthCounts:
        """The month in numbers."""
        return MonthCounts(
            cases_active=len(self.cases),
            cases_closed=len(self.closed),
            overdue=len(self.overdue),
            irregular=len({case.case_id for case, _ in self.irregularities}),
            seal_uses=len(self.seal_uses),
            items_used=len(self.items),
            objections=len(self.objections),
            objections_answered=sum(1 for o in self.objections if o.answer is not None),
            objections_upheld=sum(
                1 for o in self.objections if o.answer is not None and o.answer.decision.sends_back
            ),
        )

    def tallies(self) -> list[ItemTally]:
        """One line per item used, in catalog order."""
        late = {entry.case_id for entry in self.overdue}
        irregular = {case.case_id for case, _ in self.irregularities}
        closed = {case.case_id for case in self.closed}
        return [
            ItemTally(
                code=item.code,
                name=item.name,
                category=item.category,
                cases=len(ids := [c.case_id for c in self.cases if c.item_code == item.code]),
                closed=len(closed.intersection(ids)),
                overdue=len(late.intersection(ids)),
                irregular=len(irregular.intersection(ids)),
            )
            for item in self.items
        ]

    def mask(self, text: str | None) -> str:
        """Free text as the pack may print it (IDs, phones and addresses masked)."""
        return mask_text(text, addresses=self.addresses)


def placed_at(value: object) -> dt.datetime:
    """A register time in China time (PostgreSQL gives it aware, SQLite as written)."""
    if not isinstance(value, dt.datetime):
        raise InputInvalid(SEAL_USE_TIME_INVALID(value=value))
    return value.astimezone(CHINA) if value.tzinfo else value


def seal_use_date(row: dict[str, Any]) -> dt.date:
    """The day a seal-use line counts on: its document's date, else the day it was placed.

    A notice dated 10 November and printed on 1 December is November's use.
    """
    dated = row.get("document_date")
    return dated if isinstance(dated, dt.date) else placed_at(row["placed_at"]).date()


def village_month(workspace: Workspace, place: Place, month: Month) -> VillageMonth:
    """Read the village's month from the case store (no documents are made)."""
    first, last = month_days(month)
    stored = workspace.store.find(village=place.village.code)
    cases = []
    for case in stored:
        then = as_of(case, last)
        ended = None if then is None else closed_on(then)
        if then is not None and (ended is None or ended >= first):
            cases.append(then)
    used = {case.item_code for case in cases}
    own_pack = pack_file_name(place, month)  # its cover seal is not part of its own month
    lateness = overdue(cases, workspace.catalog, last)
    return VillageMonth(
        place=place,
        month=month,
        cases=cases,
        closed=[case for case in cases if closed_on(case) is not None],
        overdue=[late for late in lateness if not late.drafted],
        overdue_drafted=[late for late in lateness if late.drafted],
        irregularities=[
            (case, entry)
            for case in cases
            for entry in case.irregularities
            if first <= entry.date <= last
        ],
        seal_uses=[
            row
            for row in workspace.store.seal_uses(organisation=place.village.seal_text)
            if first <= seal_use_date(row) <= last and row["document"] != own_pack
        ],
        items=[item for item in workspace.catalog.items if item.code in used],
        addresses=sorted(
            {p.address for case in stored for p in case.applicants if p.address},
            key=len,
            reverse=True,  # a longer address first, before a shorter one inside it
        ),
        objections=[
            objection.as_of(last)
            for objection in workspace.objections.find(villages=[place.village.code])
            if first <= objection.received_on <= last
        ],
        meetings={
            number: meeting
            for number, meeting in workspace.meetings.of_village(place.village.code).items()
            if meeting.held_on <= last
        },
    )
