"""A case follows its item's steps, in catalog order, under seven rules.

Each rule has a stable id (``RuleId``), used in refusals, in the irregularities a
forced step leaves on the case, and in the monthly pack for the supervision
committee (村务监督委员会):

``step-order``
    The step is the next one of the item after the last recorded step (the first
    step first); an unknown step id or a step already recorded is refused.
``notice-period``
    A step after a notice (公示) step is dated after the last day of the notice
    period. The period starts on the notice step's date (day one, when it is a day
    of the period's unit) and lasts the notice step's own ``time_limit`` when set,
    else the item's ``public_notice.days`` in ``public_notice.unit``: seven
    calendar days posted on 1 October end on 7 October, so the next step may be
    dated 8 October at the earliest.
``meeting-record``
    A decision (会议决定) step names its meeting record.
``proxy-authorisation``
    A step filed by proxy (代办) needs the villager's written authorisation dated on
    or before the step.
``actor``
    The acting body is one of the catalog step's actors (see ``actor_alternatives``).
``date-order``
    A step is not dated before the case was received nor before the previous step.
``objection``
    An objection (异议) received while a notice period ran blocks every step until
    the supervision committee records its handling. An objection found upheld (成立,
    部分成立) sends the case back, as the catalog's flows say (有异议的重新核实): the
    step the notice step's ``on_objection`` names (else the step before the notice)
    is recorded again, and every step after it, the notice posted again with a new
    period, then the case goes on.

Drafts advise, confirmed rules refuse. Four rules rest on the catalog's flow: the
order of its steps (``step-order`` for a step out of its place), the length of a
notice (``notice-period``), its decision steps (``meeting-record``) and its actors
(``actor``). Where that flow is a draft written for xwql and not yet confirmed by the
district on the step's date (``CatalogItem.drafted``), breaking them is advice
(``Violation.advisory``): the step is recorded with an ``Advisory`` on the case, shown
to the clerk and the supervision committee, and refuses nothing. The other rules
(unknown or repeated steps, proxy authorisation, dates, objections) do not depend
on a draft and always refuse.

All functions are pure: ``apply_step`` returns a new ``Case``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pipeline.cases.model import (
    Advisory,
    Case,
    CaseObjection,
    CaseStatus,
    Irregularity,
    ObjectionDecision,
    StepRecord,
)
from pipeline.catalog.model import CatalogItem, DayUnit, Step, StepKind
from pipeline.errors import InputInvalid, StepRefused
from pipeline.rules.actors import actor_allowed, actor_alternatives
from pipeline.rules.calendar import add_days
from pipeline.rules.meetings import MeetingBook, check_meeting
from pipeline.rules.messages import (
    AFTER_LAST_STEP,
    AUTHORISED_AFTER_STEP,
    BEFORE_PREVIOUS_STEP,
    BEFORE_RECEIVED,
    CALENDAR_DAYS,
    FILED_BY_PROXY_BUT,
    FIRST_STEP,
    FORCE_WITHOUT_REASON,
    INSIDE_NOTICE_PERIOD,
    MEETING_RECORD_MISSING,
    NEXT_STEP,
    NO_AUTHORISATION_DATE,
    NO_PROXY,
    NO_SUCH_STEP,
    OBJECTION_PENDING,
    OBJECTION_UPHELD,
    STEP_ALREADY_RECORDED,
    STEP_OUT_OF_ORDER,
    STEP_REFUSED,
    WORKING_DAYS,
    WRONG_ACTOR,
)
from pipeline.rules.violations import RuleId, Violation, flow_violation

_DECISIONS_EN = {
    ObjectionDecision.UPHELD: "upheld",
    ObjectionDecision.PARTLY_UPHELD: "partly upheld",
    ObjectionDecision.NOT_UPHELD: "not upheld",
}


def _notice_length(item: CatalogItem, step: Step) -> tuple[int, DayUnit] | None:
    """How long the notice of ``step`` runs; ``None`` where the catalog sets no length."""
    if step.time_limit is not None:
        return step.time_limit.days, step.time_limit.unit
    if item.public_notice.days is not None:
        return item.public_notice.days, item.public_notice.unit
    return None


def notice_period(
    item: CatalogItem, step: Step, posted_on: dt.date
) -> tuple[dt.date, dt.date, int, DayUnit] | None:
    """First and last day of a notice posted on ``posted_on``, its length and unit.

    The posting day is day one: a 7-calendar-day notice posted on 1 October runs to
    7 October. ``None`` where the catalog sets no length.
    """
    length = _notice_length(item, step)
    if length is None:
        return None
    days, unit = length
    return posted_on, add_days(posted_on - dt.timedelta(days=1), days, unit), days, unit


def _label(step: Step) -> str:
    return f"“{step.name}”（{step.id}）"


@dataclass(frozen=True)
class _Restart:
    """Where an upheld objection sent the case back: the steps since, and the first one due."""

    objection: CaseObjection
    since: int
    step_index: int


def _restart(case: Case, item: CatalogItem) -> _Restart | None:
    """The latest sending back of ``case`` by an upheld objection, if one applies yet."""
    ids = [step.id for step in item.steps]
    found: _Restart | None = None
    for objection in case.objections:
        answer = objection.answer
        if answer is None or not answer.decision.sends_back or objection.notice_step not in ids:
            continue
        if answer.steps_before > len(case.steps):
            continue  # answered after the steps seen so far (a replay of the history)
        if found is None or answer.steps_before >= found.since:
            notice = item.steps[ids.index(objection.notice_step)]
            back = (
                ids.index(notice.on_objection)
                if notice.on_objection in ids
                else max(ids.index(notice.id) - 1, 0)
            )
            found = _Restart(objection, answer.steps_before, back)
    return found


def _current_steps(case: Case, item: CatalogItem) -> list[StepRecord]:
    """The steps of the case's current pass: all, or those since it was sent back."""
    restart = _restart(case, item)
    return case.steps if restart is None else case.steps[restart.since :]


def _last_known_index(case: Case, item: CatalogItem) -> int | None:
    ids = [step.id for step in item.steps]
    for record in reversed(_current_steps(case, item)):
        if record.step in ids:
            return ids.index(record.step)
    restart = _restart(case, item)
    return None if restart is None else restart.step_index - 1


def next_step(case: Case, item: CatalogItem) -> Step | None:
    """The step the case is waiting for: the one after its last recorded step.

    After an upheld objection, the step before the objected notice (or the notice
    itself, when it is the first step), then on from there.

    Returns:
        The item's first step for a case with no steps; ``None`` when the item's
        last step is recorded.

    """
    last = _last_known_index(case, item)
    following = 0 if last is None else last + 1
    return item.steps[following] if following < len(item.steps) else None


def _check_order(
    case: Case, item: CatalogItem, record: StepRecord, *, draft: bool
) -> list[Violation]:
    step = next((s for s in item.steps if s.id == record.step), None)
    if step is None:
        known = "、".join(s.id for s in item.steps)
        return [
            Violation(
                RuleId.STEP_ORDER,
                record.step,
                NO_SUCH_STEP.fill(item=item.code, name=item.name, step=record.step, known=known),
            )
        ]
    done = next((r for r in _current_steps(case, item) if r.step == record.step), None)
    if done is not None:
        return [
            Violation(
                RuleId.STEP_ORDER,
                step.id,
                STEP_ALREADY_RECORDED.fill(step=_label(step), date=done.date),
            )
        ]
    expected = next_step(case, item)
    if expected is None:
        return [
            Violation(
                RuleId.STEP_ORDER,
                step.id,
                AFTER_LAST_STEP.fill(step=_label(step)),
            )
        ]
    restart = _restart(case, item)
    if expected.id != step.id and restart is not None and restart.since == len(case.steps):
        objection, answer = restart.objection, restart.objection.answer
        assert answer is not None
        return [
            Violation(
                RuleId.STEP_ORDER,
                step.id,
                OBJECTION_UPHELD.fill(
                    step=_label(step),
                    notice=_named(item, objection.notice_step),
                    receipt=objection.receipt,
                    answered=answer.answered_on,
                    decision=answer.decision.value,
                    decision_en=_DECISIONS_EN[answer.decision],
                    expected=_label(expected),
                ),
            )
        ]
    if expected.id != step.id:
        position = FIRST_STEP if not case.steps else NEXT_STEP
        return [
            flow_violation(
                RuleId.STEP_ORDER,
                step.id,
                STEP_OUT_OF_ORDER.fill(
                    step=_label(step),
                    position_zh=position.zh,
                    position_en=position.en,
                    expected=_label(expected),
                ),
                draft=draft,
            )
        ]
    return []


def _check_notice(
    case: Case, item: CatalogItem, step: Step, record: StepRecord, *, on: dt.date
) -> list[Violation]:
    position = item.steps.index(step)
    found: list[Violation] = []
    for notice in item.steps[:position]:
        if notice.kind is not StepKind.NOTICE:
            continue
        # The latest posting counts: an upheld objection has the notice posted again.
        posted = next((r for r in reversed(case.steps) if r.step == notice.id), None)
        period = notice_period(item, notice, posted.date) if posted is not None else None
        if posted is None or period is None:
            continue
        _, last, days, unit = period
        if record.date > last:
            continue
        unit_words = WORKING_DAYS if unit is DayUnit.WORKING else CALENDAR_DAYS
        # The length is the notice step's own (a step field) or the item's public_notice.
        source = "steps" if notice.time_limit is not None else "public_notice"
        found.append(
            flow_violation(
                RuleId.NOTICE_PERIOD,
                step.id,
                INSIDE_NOTICE_PERIOD.fill(
                    step=_label(step),
                    date=record.date,
                    notice=_label(notice),
                    posted=posted.date,
                    days=days,
                    unit_zh=unit_words.zh,
                    unit_en=unit_words.en,
                    last=last,
                    earliest=last + dt.timedelta(days=1),
                ),
                draft=item.drafted("steps", on=on) or item.drafted(source, on=on),
            )
        )
    return found


def _check_objections(case: Case, item: CatalogItem, record: StepRecord) -> list[Violation]:
    """An objection received in a notice period and not answered blocks every step."""
    return [
        Violation(
            RuleId.OBJECTION,
            record.step,
            OBJECTION_PENDING.fill(
                step=_named(item, record.step),
                received=objection.received_on,
                notice=_named(item, objection.notice_step),
                receipt=objection.receipt,
            ),
        )
        for objection in case.objections
        if objection.in_period
        and objection.answer is None
        and objection.steps_before <= len(case.steps)
    ]


def _check_meeting(step: Step, record: StepRecord, *, draft: bool) -> list[Violation]:
    if step.kind is not StepKind.DECISION or (record.meeting_record or "").strip():
        return []
    return [
        flow_violation(
            RuleId.MEETING_RECORD,
            step.id,
            MEETING_RECORD_MISSING.fill(step=_label(step)),
            draft=draft,
        )
    ]


def _check_proxy(case: Case, record: StepRecord) -> list[Violation]:
    if not record.by_proxy:
        return []
    proxy = case.proxy
    if proxy is None:
        problem = NO_PROXY
    elif proxy.authorised_on is None:
        problem = NO_AUTHORISATION_DATE.fill(proxy=proxy.name)
    elif proxy.authorised_on > record.date:
        problem = AUTHORISED_AFTER_STEP.fill(authorised=proxy.authorised_on, date=record.date)
    else:
        return []
    return [
        Violation(
            RuleId.PROXY_AUTHORISATION,
            record.step,
            FILED_BY_PROXY_BUT.fill(step=record.step, problem_zh=problem.zh, problem_en=problem.en),
        )
    ]


def _check_actor(step: Step, record: StepRecord, *, draft: bool) -> list[Violation]:
    if actor_allowed(step, record.actor):
        return []
    allowed = "、".join(f"“{alt}”" for alt in actor_alternatives(step.actor))
    return [
        flow_violation(
            RuleId.ACTOR,
            step.id,
            WRONG_ACTOR.fill(step=_label(step), allowed=allowed, actor=record.actor),
            draft=draft,
        )
    ]


def _named(item: CatalogItem, step_id: str) -> str:
    """A step as the messages name it, “村级公示”（notice）; its id when the item lacks it."""
    step = next((s for s in item.steps if s.id == step_id), None)
    return _label(step) if step is not None else step_id


def _check_dates(case: Case, item: CatalogItem, record: StepRecord) -> list[Violation]:
    found: list[Violation] = []
    if record.date < case.received_on:
        found.append(
            Violation(
                RuleId.DATE_ORDER,
                record.step,
                BEFORE_RECEIVED.fill(
                    step=_named(item, record.step), date=record.date, received=case.received_on
                ),
            )
        )
    if case.steps and record.date < case.steps[-1].date:
        previous = case.steps[-1]
        found.append(
            Violation(
                RuleId.DATE_ORDER,
                record.step,
                BEFORE_PREVIOUS_STEP.fill(
                    step=_named(item, record.step),
                    date=record.date,
                    previous=_named(item, previous.step),
                    previous_date=previous.date,
                ),
            )
        )
    return found


def _require_item(case: Case, item: CatalogItem) -> None:
    if item.code != case.item_code:
        raise ValueError(f"case {case.case_id} is of item {case.item_code}, not {item.code}")


def check_step(
    case: Case, item: CatalogItem, record: StepRecord, *, book: MeetingBook | None = None
) -> list[Violation]:
    """Every rule the step ``record`` would break if appended to ``case``.

    Args:
        case: The case as it stands.
        item: The case's catalog item.
        record: The step to be recorded.
        book: The village's meeting register, to hold a decision's meeting to the
            meeting rules (:mod:`pipeline.rules.meetings`); None: not checked.

    Returns:
        The violations, in rule order (step-order, notice-period, meeting-record and
        the meeting rules, proxy-authorisation, actor, date-order, objection); empty
        when the step is in order.
        Those resting on a flow still drafted on the step's date are ``advisory``.
        Rules that need the catalog step are skipped for an unknown step id.

    Raises:
        ValueError: ``item`` is not the case's item.

    """
    _require_item(case, item)
    draft = item.drafted("steps", on=record.date)
    found = _check_order(case, item, record, draft=draft)
    step = next((s for s in item.steps if s.id == record.step), None)
    if step is not None:
        found += _check_notice(case, item, step, record, on=record.date)
        found += _check_meeting(step, record, draft=draft)
        if book is not None:
            found += check_meeting(
                case, item, step, record, book, draft=draft,
                earlier_steps=_current_steps(case, item),
            )  # fmt: skip
    found += _check_proxy(case, record)
    if step is not None:
        found += _check_actor(step, record, draft=draft)
    found += _check_dates(case, item, record)
    found += _check_objections(case, item, record)
    return found


def apply_step(
    case: Case,
    item: CatalogItem,
    record: StepRecord,
    *,
    force_reason: str | None = None,
    book: MeetingBook | None = None,
) -> Case:
    """The case with ``record`` appended, if the rules allow it or an administrator forces it.

    A step the rules refuse is recorded only with ``force_reason``, an
    administrator's written reason: the record then carries it as
    ``forced_reason`` and the case gains one ``Irregularity`` per broken rule, for
    the supervision committee's monthly pack. A step departing only from a drafted
    flow is recorded as it is, with one ``Advisory`` per rule. Recording the item's
    last step closes the case (已办结).

    Args:
        case: The case as it stands.
        item: The case's catalog item.
        record: The step to record.
        force_reason: Why the step is recorded despite the rules; ``None`` to refuse.
        book: The village's meeting register (see :func:`check_step`).

    Returns:
        A new case; ``case`` is unchanged.

    Raises:
        StepRefused: the step breaks rules and no ``force_reason`` is given.
        InputInvalid: ``force_reason`` is given but blank.
        ValueError: ``item`` is not the case's item.

    """
    reason = None if force_reason is None else force_reason.strip()
    if reason == "":
        raise InputInvalid(FORCE_WITHOUT_REASON())
    violations = check_step(case, item, record, book=book)
    refusals = [v for v in violations if not v.advisory]
    irregularities = list(case.irregularities)
    if refusals:
        if reason is None:
            raise StepRefused(
                STEP_REFUSED(case=case.case_id, step=record.step, count=len(refusals)),
                refusals,
            )
        record = record.model_copy(update={"forced_reason": reason})
        irregularities += [
            Irregularity(
                step=record.step, date=record.date, rule=v.rule, message=v.message, reason=reason
            )
            for v in refusals
        ]
    advice = [
        Advisory(step=record.step, date=record.date, rule=v.rule, message=v.message)
        for v in violations
        if v.advisory
    ]
    closes = record.step == item.steps[-1].id
    return case.model_copy(
        update={
            "steps": [*case.steps, record],
            "irregularities": irregularities,
            "advisories": [*case.advisories, *advice],
            "status": CaseStatus.CLOSED if closes else case.status,
        }
    )


def validate_history(
    case: Case, item: CatalogItem, *, book: MeetingBook | None = None
) -> list[Violation]:
    """Replay a case's recorded steps from scratch, as at intake of a ledger.

    Each step is checked against the steps before it. A step recorded with a
    ``forced_reason`` was forced by an administrator: its violations are
    irregularities already, not errors, and are not returned; nor is advice.

    Returns:
        The refusals of the steps recorded without a forced reason.

    Raises:
        ValueError: ``item`` is not the case's item.

    """
    _require_item(case, item)
    replay = case.model_copy(update={"steps": []})
    found: list[Violation] = []
    for record in case.steps:
        violations = check_step(replay, item, record, book=book)
        if not (record.forced_reason or "").strip():
            found += [v for v in violations if not v.advisory]
        replay = replay.model_copy(update={"steps": [*replay.steps, record]})
    return found
