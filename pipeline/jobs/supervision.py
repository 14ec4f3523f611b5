"""The supervision committee's desk (村务监督委员会, the town's 纪委 office): what to look at.

One function, :func:`supervision_desk`, gives the desk of the villages a supervisor
watches: the objections and reports to answer (with their last days), and across the
villages the cases past their deadlines, the irregularities (steps forced past a
rule), the objections answered late or not yet, and the notices posted late or
taken down early.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from pipeline.cases.objections import Objection
from pipeline.catalog.model import StepKind
from pipeline.jobs.objections import objections_of
from pipeline.jobs.registers import overdue_register
from pipeline.organisations import Place
from pipeline.rules.deadlines import Overdue, step_due_dates
from pipeline.rules.violations import RuleId
from pipeline.workspace import Workspace


@dataclass(frozen=True)
class Irregular:
    """A step recorded past a rule (forced) or off a drafted flow (advice, no reason)."""

    case_id: str
    village: str
    item: str
    step: str
    date: dt.date
    rule: str
    message: str
    reason: str


@dataclass(frozen=True)
class LateNotice:
    """A notice posted after its step's deadline, or taken down before its period ended."""

    case_id: str
    village: str
    item: str
    step: str
    posted_on: dt.date
    problem: str


@dataclass(frozen=True)
class SupervisionDesk:
    """What the desk shows for its villages on one day.

    Attributes:
        inbox: Objections and reports not answered yet, the earliest last day first.
        answered: Those answered, newest first.
        overdue_objections: Those past their last day without an answer.
        overdue_cases: Open cases past a step's deadline.
        irregularities: Steps recorded past a rule (forced), newest first.
        advisories: Steps recorded off a drafted flow (advice), newest first.
        late_notices: Notices posted late or taken down early.
    """

    inbox: list[Objection]
    answered: list[Objection]
    overdue_objections: list[Objection]
    overdue_cases: list[Overdue]
    irregularities: list[Irregular]
    advisories: list[Irregular]
    late_notices: list[LateNotice]


def supervision_desk(
    workspace: Workspace, villages: Sequence[Place], today: dt.date
) -> SupervisionDesk:
    """The desk of ``villages`` on ``today``.

    Raises:
        UnknownItem: A case's item is not in the catalog.
        CalendarNotCovered: A working-day count falls in a year the calendar lacks.
    """
    names = {place.village.code: place.village.name for place in villages}
    received = objections_of(workspace, villages)
    inbox = sorted((o for o in received if o.answer is None), key=lambda o: o.due_on)
    answered = [o for o in reversed(received) if o.answer is not None]
    irregular: list[Irregular] = []
    advised: list[Irregular] = []
    late: list[LateNotice] = []
    for code, name in names.items():
        for case in workspace.store.find(village=code):
            item = workspace.catalog.get(case.item_code)
            label = f"{item.code} {item.name}"
            irregular += [
                Irregular(case.case_id, name, label, i.step, i.date, i.rule, i.message, i.reason)
                for i in case.irregularities
            ]
            advised += [
                Irregular(case.case_id, name, label, a.step, a.date, a.rule, a.message, "")
                for a in case.advisories
            ]
            late += [
                LateNotice(case.case_id, name, label, due.step.name, due.done_on, "张贴晚于期限")
                for due in step_due_dates(case, item)
                if due.step.kind is StepKind.NOTICE
                and due.done_on is not None
                and due.due is not None
                and due.done_on > due.due
            ]
            late += [
                LateNotice(case.case_id, name, label, i.step, i.date, "公示期未满即办理下一步")
                for i in case.irregularities
                if i.rule == RuleId.NOTICE_PERIOD
            ]
    return SupervisionDesk(
        inbox=inbox,
        answered=answered,
        overdue_objections=[o for o in inbox if o.overdue(today)],
        overdue_cases=overdue_register(workspace, today, villages),
        irregularities=sorted(irregular, key=lambda i: i.date, reverse=True),
        advisories=sorted(advised, key=lambda i: i.date, reverse=True),
        late_notices=sorted(late, key=lambda n: n.posted_on, reverse=True),
    )
