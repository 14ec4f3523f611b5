"""The clerk's jobs on one case: record a step, write the case's own documents.

Each is one function that every face calls: ``xwql cases step`` and ``xwql cases
documents`` print what they return; the web pages will show it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.cases.meetings import meetings_deciding
from pipeline.cases.model import Advisory, Case, CaseStatus, Irregularity, StepRecord
from pipeline.catalog import CatalogItem
from pipeline.catalog.model import DayUnit, DocumentKind, Step
from pipeline.config import Settings
from pipeline.documents.engine import DocumentEngine
from pipeline.errors import InputInvalid
from pipeline.jobs.messages import NO_SUCH_STEP
from pipeline.organisations import Place
from pipeline.rules.calendar import working_days_between
from pipeline.rules.deadlines import case_due_date, step_due_dates
from pipeline.rules.documents import skipped_kinds
from pipeline.rules.flow import apply_step, next_step
from pipeline.units.case_documents import CaseDocument, write_case_documents
from pipeline.units.writer import StampedWriter
from pipeline.workspace import Workspace


@dataclass(frozen=True)
class CaseOverview:
    """Where a case stands: its next step, the deadlines, the days left.

    Attributes:
        case: The case.
        item: Its catalog item.
        place: Its village.
        next_step: The step it waits for (None: its flow is complete).
        step_due: When that step is due (None: no time limit, or the case is closed).
        case_due: When the whole case is due (限时办结; None: no limit).
        days_left: Days until ``step_due`` in the step's own unit (working days on
            the PRC calendar, or calendar days); negative when late.
        working_days: Whether ``days_left`` counts working days.
    """

    case: Case
    item: CatalogItem
    place: Place
    next_step: Step | None
    step_due: dt.date | None
    case_due: dt.date | None
    days_left: int | None
    working_days: bool

    @property
    def late(self) -> bool:
        """Whether the open case's pending step is past due."""
        return self.days_left is not None and self.days_left < 0


def case_overview(workspace: Workspace, case: Case, today: dt.date) -> CaseOverview:
    """Where ``case`` stands on ``today``.

    Raises:
        UnknownItem: The case's item is not in the catalog.
        CalendarNotCovered: A working-day count falls in a year the calendar lacks.
    """
    item = workspace.catalog.get(case.item_code)
    place = workspace.directory.get(case.village)
    pending = next_step(case, item) if case.status == CaseStatus.OPEN else None
    due = next(
        (d.due for d in step_due_dates(case, item) if pending and d.step.id == pending.id), None
    )
    working = (
        pending is not None
        and pending.time_limit is not None
        and (pending.time_limit.unit == DayUnit.WORKING)
    )
    left = None
    if due is not None:
        left = working_days_between(today, due) if working else (due - today).days
    return CaseOverview(case, item, place, pending, due, case_due_date(case, item), left, working)


@dataclass(frozen=True)
class StepEntry:
    """A step as the clerk enters it.

    Attributes:
        step: The step's id or name in the case's item.
        actor: The body acting, as the catalog names it.
        date: The day it was done.
        operator: Who entered it (经办人).
        outcome: Its result (结果).
        note: A remark (备注).
        meeting_record: The meeting record's number (decision steps).
        by_proxy: Done by a proxy (代办).
        force_reason: A refused step is recorded anyway, as an irregularity, for
            this written reason of an administrator.
    """

    step: str
    actor: str
    date: dt.date
    operator: str | None = None
    outcome: str = ""
    note: str = ""
    meeting_record: str | None = None
    by_proxy: bool = False
    force_reason: str | None = None


@dataclass(frozen=True)
class RecordedStep:
    """What recording a step did: the step, the case as saved, the findings it added."""

    step: Step
    case: Case
    irregularities: list[Irregularity]
    advisories: list[Advisory]


def record_step(workspace: Workspace, case_id: str, entry: StepEntry, *, via: str) -> RecordedStep:
    """Record the next step of a case, as its item's rules allow (or forced, as an irregularity).

    A step departing only from a drafted flow is recorded with advice (``advisories``).

    Args:
        workspace: The catalog and the case store.
        case_id: The case.
        entry: The step as entered.
        via: What recorded it (``xwql cases step``, a page), for the case's version
            history; the step's id is added.

    Raises:
        InputInvalid: The item has no such step.
        StepRefused: The step breaks the item's rules and is not forced.
    """
    case = workspace.store.get(case_id)
    item = workspace.catalog.get(case.item_code)
    wanted = next((s for s in item.steps if entry.step in (s.id, s.name)), None)
    if wanted is None:
        choices = "、".join(f"{s.id}（{s.name}）" for s in item.steps)
        raise InputInvalid(NO_SUCH_STEP(item=item.code, step=entry.step, choices=choices))
    record = StepRecord(
        step=wanted.id, actor=entry.actor, date=entry.date, operator=entry.operator,
        outcome=entry.outcome, note=entry.note, meeting_record=entry.meeting_record,
        by_proxy=entry.by_proxy,
    )  # fmt: skip
    # Only a step naming its meeting is held to the register: no read for the others.
    book = workspace.meeting_book(case.village) if record.meeting_record else None
    updated = apply_step(case, item, record, force_reason=entry.force_reason, book=book)
    workspace.store.save(updated, source=f"{via} {wanted.id}")
    return RecordedStep(
        wanted,
        updated,
        updated.irregularities[len(case.irregularities) :],
        updated.advisories[len(case.advisories) :],
    )


@dataclass(frozen=True)
class CaseDocuments:
    """The internal documents written for one case, and those the job cannot write."""

    case_id: str
    written: list[CaseDocument]
    skipped: list[DocumentKind] = field(default_factory=list)


def case_documents(
    settings: Settings, case_ids: list[str], out: Path, *, operator: str
) -> Iterator[CaseDocuments]:
    """Write each case's internal documents into ``out/<case id>/``, case after case.

    Application, one-time notification, receipt (stamped, registered) and proxy
    authorisation, with full personal data: for the case file, not for posting;
    then the minutes of the registered meetings that decided it, to sign. A
    decision whose meeting is not in the register is named in ``skipped``: its
    minutes are on paper.
    """
    with Workspace.open(settings) as workspace:
        cases = [workspace.store.get(case_id) for case_id in case_ids]
        with DocumentEngine.open(settings) as engine:
            writer = StampedWriter(
                engine,
                workspace.store,
                supervision_phone=workspace.directory.district.shown(
                    workspace.directory.district.supervision_phone
                ),
                operator=operator,
                work=settings.data / "work" / "cases",
            )
            for case in cases:
                item = workspace.catalog.get(case.item_code)
                place = workspace.directory.get(case.village)
                meetings = meetings_deciding(case, workspace.meetings.of_village(case.village))
                written = write_case_documents(
                    case, item, place, writer, out / case.case_id,
                    meetings=meetings, rules=workspace.catalog.meetings,
                )  # fmt: skip
                skipped = [] if meetings else skipped_kinds(case, item)
                yield CaseDocuments(case.case_id, written, skipped)
