"""Import a ledger into the case store: read it, check each case's history, save.

A case whose recorded steps break its item's flow rules is rejected like a bad
row (the clerk corrects the ledger, or an administrator forces the step with
``xwql cases step --force``); every other case is saved. Saving is idempotent.
A step the ledger records as forced (its 强制理由, ``forced_reason``) is accepted,
and every rule it breaks becomes an irregularity of the case, as if it had been
forced with ``xwql cases step --force``. A step departing only from a drafted flow
is accepted with an advisory on the case and a located warning for the clerk. An
importer held to some villages (a clerk's, a town office's) has a ledger holding
any other village's case refused whole: nothing of it is saved.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, replace
from pathlib import Path

from pipeline.cases.model import Advisory, Case, CaseStatus, Irregularity, StepRecord
from pipeline.cases.store import Change
from pipeline.catalog import CatalogItem
from pipeline.errors import AccessDenied
from pipeline.intake import IntakeResult, Issue, Location, read_ledger, write_error_report
from pipeline.intake.messages import (
    ADD_STEPS_OR_REOPEN,
    CLOSED_BUT_STEPS_MISSING,
    CORRECT_OR_FORCE,
    FOLLOW_OR_CONFIRM,
    VILLAGES_OUTSIDE_SCOPE,
)
from pipeline.organisations import Directory
from pipeline.rules.flow import check_step, next_step, validate_history
from pipeline.rules.meetings import MeetingBook
from pipeline.rules.violations import MEETING_RULES, Violation
from pipeline.workspace import Workspace

_STEPS_SHEET = "办理环节"  # the step rows are not kept: the case's own row is named


@dataclass(frozen=True)
class ImportOutcome:
    """The ledger as read and checked, what saving it changed, and its error report.

    Attributes:
        result: The cases, the located errors and warnings, the counts.
        changes: How many cases saving added, updated or left unchanged.
        report: The error report written (None: none asked for, or nothing to report).
    """

    result: IntakeResult
    changes: dict[Change, int]
    report: Path | None = None


def _new_findings(
    case: Case, item: CatalogItem, book: MeetingBook | None = None
) -> list[tuple[StepRecord, Violation]]:
    """The forced steps' refusals and every step's advice the case does not carry yet."""
    # By message too: one step may break a rule more than one way (a meeting held late
    # and not voting on the case), and apply_step records each.
    known = {(i.step, i.date, i.rule, i.message) for i in [*case.irregularities, *case.advisories]}
    found: list[tuple[StepRecord, Violation]] = []
    replay = case.model_copy(update={"steps": []})
    for record in case.steps:
        forced = bool((record.forced_reason or "").strip())
        for violation in check_step(replay, item, record, book=book):
            key = (record.step, record.date, violation.rule, violation.message)
            if key not in known and (violation.advisory or forced):
                known.add(key)
                found.append((record, violation))
        replay = replay.model_copy(update={"steps": [*replay.steps, record]})
    return found


def _with_findings(case: Case, found: list[tuple[StepRecord, Violation]]) -> Case:
    if not found:
        return case
    irregularities = list(case.irregularities)
    advisories = list(case.advisories)
    for record, v in found:
        if v.advisory:
            advisories.append(
                Advisory(step=record.step, date=record.date, rule=v.rule, message=v.message)
            )
        else:
            reason = (record.forced_reason or "").strip()
            irregularities.append(
                Irregularity(step=record.step, date=record.date, rule=v.rule,
                             message=v.message, reason=reason)
            )  # fmt: skip
    return case.model_copy(update={"irregularities": irregularities, "advisories": advisories})


def with_rule_findings(case: Case, item: CatalogItem, book: MeetingBook | None = None) -> Case:
    """The case with the irregularities of its forced steps and the advice on its steps.

    Replays the steps as ``validate_history`` does. A forced step's refusals become
    irregularities with its ``forced_reason``, as ``apply_step`` records them; any
    step's departures from a drafted flow become advisories. Findings the case
    already carries (same step, date, rule and message) are not added again, so a
    case exported from the store imports unchanged.
    """
    return _with_findings(case, _new_findings(case, item, book))


def _steps_missing_if_closed(case: Case, item: CatalogItem) -> str:
    """The steps a case marked 已办结 still lacks (``、``-joined), or "" when none."""
    pending = next_step(case, item)
    if case.status is not CaseStatus.CLOSED or pending is None:
        return ""
    position = item.steps.index(pending)
    return "、".join(f"“{step.name}”（{step.id}）" for step in item.steps[position:])


def _status_column(case_id_column: str | None) -> str:
    """The status cell beside the case id's: 办理状态, or a JSON case's ``status``."""
    if case_id_column and case_id_column.endswith(".case_id"):
        return case_id_column.removesuffix("case_id") + "status"
    return "办理状态"


def _refused_value(case: Case, violation: Violation, result: IntakeResult) -> str:
    """The refused case and step; for a meeting's rule, where that meeting's rows are too."""
    value = f"{case.case_id}（{_STEPS_SHEET}: {violation.step}）"
    if violation.rule not in MEETING_RULES:  # a meeting's count is put right on its rows
        return value
    number = next(
        ((r.meeting_record or "").strip() for r in case.steps if r.step == violation.step), ""
    )
    held = result.meeting_locations.get((case.village, number))
    return f"{value}；{held.describe().zh}" if held else value


def check_histories(result: IntakeResult, workspace: Workspace) -> IntakeResult:
    """Move cases whose step history breaks the flow rules from imported to rejected.

    A case marked closed (已办结) whose flow's last step is not recorded is rejected too.

    The cases kept carry the irregularities of their forced steps and the advice on
    their steps; each new piece of advice is also a located warning for the clerk.
    """
    kept = []
    errors = list(result.errors)
    warnings = list(result.warnings)
    books = {village: workspace.meeting_book(village, result.meetings)
             for village in {case.village for case in result.cases}}  # fmt: skip
    for case in result.cases:
        item = workspace.catalog.get(case.item_code)
        book = books[case.village]
        violations = validate_history(case, item, book=book)
        where = result.case_locations.get(case.case_id, Location(result.file))
        missing = _steps_missing_if_closed(case, item)
        if missing:
            # Closed (已办结) asserts the flow's last step was taken: refused, never
            # imported as open, so no public list shows a case its clerk calls done.
            errors.append(
                Issue(
                    file=where.file, sheet=where.sheet, row=where.row,
                    column=_status_column(where.column), value=case.status.value,
                    problem=CLOSED_BUT_STEPS_MISSING.fill(case=case.case_id, missing=missing),
                    fix=ADD_STEPS_OR_REOPEN,
                )
            )  # fmt: skip
            continue
        if not violations:
            found = _new_findings(case, item, book)
            case = _with_findings(case, found)
            warnings += [
                Issue(
                    file=where.file, sheet=where.sheet, row=where.row, column=where.column,
                    value=f"{case.case_id}（{_STEPS_SHEET}: {violation.step}）",
                    problem=violation.text, fix=FOLLOW_OR_CONFIRM,
                )
                for _, violation in found
                if violation.advisory
            ]  # fmt: skip
            # A ledger row left 办理中 whose flow is complete is closed (办结).
            done = case.status == CaseStatus.OPEN and next_step(case, item) is None
            kept.append(case.model_copy(update={"status": CaseStatus.CLOSED}) if done else case)
            continue
        for violation in violations:
            errors.append(
                Issue(
                    file=where.file, sheet=where.sheet, row=where.row, column=where.column,
                    value=_refused_value(case, violation, result),
                    problem=violation.text,
                    fix=CORRECT_OR_FORCE,
                )
            )  # fmt: skip
    rejected = len(result.cases) - len(kept)
    return replace(
        result,
        cases=kept,
        errors=errors,
        warnings=warnings,
        rows_rejected=result.rows_rejected + rejected,
    )


def _refuse_other_villages(
    result: IntakeResult, villages: Collection[str], directory: Directory
) -> None:
    """Refuse a ledger holding a case of a village not in ``villages`` (codes).

    Raises:
        AccessDenied: Naming each other village found, with its number of cases.
    """
    cases = Counter(case.village for case in result.cases if case.village not in villages)
    meetings = Counter(m.village for m in result.meetings if m.village not in villages)
    if cases or meetings:
        found = []
        for code in sorted(cases | meetings):
            place = directory.get(code)
            held = [f"{cases[code]} 件"] if cases[code] else []
            held += [f"{meetings[code]} 次会议"] if meetings[code] else []
            found.append(f"{place.town.name}{place.village.name}（{'、'.join(held)}）")
        names = "、".join(found)
        raise AccessDenied(VILLAGES_OUTSIDE_SCOPE(villages=names))


def import_ledger(
    path: Path,
    workspace: Workspace,
    *,
    villages: Collection[str] | None = None,
    report: Path | None = None,
) -> ImportOutcome:
    """Read ``path``, reject cases with broken histories, save the rest.

    Args:
        path: The ledger (``.xlsx``, ``.csv`` with its steps beside it, ``.json``).
        workspace: The catalog, villages and case store.
        villages: The codes of the villages the importer answers for (a clerk's
            village, a town office's villages); None for the whole district.
        report: Where to write the error report if there are errors or warnings.

    Returns:
        The result, the changes saved, and the report if one was written.

    Raises:
        InputInvalid: The file does not exist or is of no ledger type.
        AccessDenied: ``villages`` is given and a case of the ledger belongs to
            another village; nothing is saved and no report written.
        OutputError: The report cannot be written (the cases are saved).
    """
    result = read_ledger(path, workspace.catalog, workspace.directory)
    if villages is not None:
        _refuse_other_villages(result, villages, workspace.directory)
    for meeting in result.meetings:  # the register first: the decisions are judged by it
        workspace.meetings.save(meeting, source=path.name)
    result = check_histories(result, workspace)
    changes = workspace.store.save_all(result.cases, source=path.name)
    if report is None or not (result.errors or result.warnings):
        return ImportOutcome(result=result, changes=changes)
    write_error_report(report, result)
    return ImportOutcome(result=result, changes=changes, report=report)
