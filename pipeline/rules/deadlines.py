"""Deadlines (限时办结): when each step and each case is due, and which cases are overdue.

The rules:

- A step with a ``time_limit`` is due that many days (working or calendar, on the
  PRC calendar) after the date of the step recorded before it, or after the
  case's ``received_on`` for the first step. A 5-working-day step following a step
  dated 30 September 2026 is due 13 October 2026: the National Day holiday
  (1–7 October) does not count and the adjusted Saturday 10 October does.
- A step right after a notice (公示) cannot be taken before the notice period has
  run (``flow.notice_period``), so its limit counts from the period's last day, not
  from the posting day: a 3-working-day 上报 after a 7-day notice posted on Monday
  2 November 2026 (to Sunday 8 November) is due Wednesday 11 November.
- A step without a ``time_limit`` has no due date of its own.
- Only recorded steps and the step the case is waiting for (``next_step``) have
  due dates; later steps count from dates not known yet.
- The case due date chains every step limit from ``received_on``, in catalog
  order: start from ``received_on``, add the first limited step's limit, add the
  next limited step's limit to that date, and so on. It is the date the case is
  done by if each limited step uses its whole limit and steps without a limit take
  no time; ``None`` when no step has a limit.
- A case is overdue when it is open (办理中) and today is after the due date of
  the step it is waiting for. A closed, rejected or withdrawn case is never overdue.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from pipeline.cases.model import Case, CaseStatus
from pipeline.catalog.load import Catalog
from pipeline.catalog.model import CatalogItem, Step, StepKind
from pipeline.rules.calendar import add_days, working_days_between
from pipeline.rules.flow import next_step, notice_period


@dataclass(frozen=True)
class StepDue:
    """A catalog step of a case, with when it was done and when it is due."""

    step: Step
    done_on: dt.date | None
    due: dt.date | None


@dataclass(frozen=True)
class Overdue:
    """An open case waiting on a step past its due date."""

    case_id: str
    village: str
    item_code: str
    item_name: str
    step_id: str
    step_name: str
    due: dt.date
    working_days_late: int
    calendar_days_late: int
    drafted: bool = False
    """The time limit is a draft the district has not confirmed: listed internally only."""


def _due_after(step: Step, start: dt.date) -> dt.date | None:
    limit = step.time_limit
    return None if limit is None else add_days(start, limit.days, limit.unit)


def _counts_from(case: Case, item: CatalogItem, step: Step, previous: dt.date) -> dt.date:
    """The day ``step``'s limit counts from.

    ``previous`` (the date of the step before it, or the day received), or the last
    day of the notice period when the catalog's step before is a notice the case has
    posted (its latest posting by ``previous``: a notice posted again after an
    objection counts anew for the steps after it).
    """
    position = item.steps.index(step)
    before = item.steps[position - 1] if position > 0 else None
    if before is None or before.kind is not StepKind.NOTICE:
        return previous
    # The posting the step followed: a later one (after an objection) is a later pass's.
    posted = [r.date for r in case.steps if r.step == before.id and r.date <= previous]
    period = notice_period(item, before, posted[-1]) if posted else None
    return previous if period is None else max(previous, period[1])


def _waiting_since(case: Case, item: CatalogItem, pending: Step) -> dt.date:
    """The date the pending step counts from (see :func:`_counts_from`)."""
    last = case.steps[-1].date if case.steps else case.received_on
    return _counts_from(case, item, pending, last)


def step_due_dates(case: Case, item: CatalogItem) -> list[StepDue]:
    """Each catalog step of the case's item, in order, with its done and due dates.

    Args:
        case: The case.
        item: Its catalog item.

    Returns:
        One entry per catalog step; ``due`` is ``None`` for a step without a time
        limit and for steps after the one the case is waiting for.

    Raises:
        CalendarNotCovered: a working-day limit falls in a year ``chinesecalendar`` lacks.

    """
    counted_from: dict[str, tuple[dt.date, dt.date]] = {}
    previous = case.received_on
    for record in case.steps:
        counted_from.setdefault(record.step, (record.date, previous))
        previous = record.date
    pending = next_step(case, item)
    dues: list[StepDue] = []
    for step in item.steps:
        if step.id in counted_from:
            done_on, start = counted_from[step.id]
            dues.append(
                StepDue(step, done_on, _due_after(step, _counts_from(case, item, step, start)))
            )
        elif pending is not None and step.id == pending.id:
            dues.append(StepDue(step, None, _due_after(step, _waiting_since(case, item, step))))
        else:
            dues.append(StepDue(step, None, None))
    return dues


def case_due_date(case: Case, item: CatalogItem) -> dt.date | None:
    """The case's due date: every step limit chained from ``received_on`` (see module doc).

    Raises:
        CalendarNotCovered: a working-day limit falls in a year ``chinesecalendar`` lacks.

    """
    due = case.received_on
    limited = False
    for step in item.steps:
        if step.time_limit is not None:
            due = add_days(due, step.time_limit.days, step.time_limit.unit)
            limited = True
    return due if limited else None


def overdue(cases: Iterable[Case], catalog: Catalog, today: dt.date) -> list[Overdue]:
    """The open cases whose pending step is past due on ``today``, most late first.

    Args:
        cases: Cases of any status and item.
        catalog: The catalog their item codes resolve in.
        today: The day to judge by; a step due today is not late.

    Returns:
        One entry per overdue case, earliest due date (most late) first.

    Raises:
        UnknownItem: a case's item code is not in the catalog.
        CalendarNotCovered: a working-day count falls in a year ``chinesecalendar`` lacks.

    """
    late: list[Overdue] = []
    for case in cases:
        if case.status is not CaseStatus.OPEN:
            continue
        item = catalog.get(case.item_code)
        pending = next_step(case, item)
        due = None if pending is None else _due_after(pending, _waiting_since(case, item, pending))
        if pending is None or due is None or today <= due:
            continue
        late.append(
            Overdue(
                case_id=case.case_id,
                village=case.village,
                item_code=item.code,
                item_name=item.name,
                step_id=pending.id,
                step_name=pending.name,
                due=due,
                working_days_late=working_days_between(due, today),
                calendar_days_late=(today - due).days,
                # Judged on the due date: late only against a limit confirmed by then.
                drafted=item.drafted("steps", on=due),
            )
        )
    return sorted(late, key=lambda entry: (entry.due, entry.case_id))
