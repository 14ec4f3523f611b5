"""Read a village's case ledger (台账) into cases, rejecting bad rows and keeping good ones.

A ledger is a workbook (``.xlsx``: sheets 办件台账 and 办理环节), a CSV file of
cases (steps beside it in ``<stem>-办理环节.csv``) or JSON (``{"cases": [...]}``
in the case model's form). Whatever the form, every value goes through the same
column parsers (``columns.CASES`` and ``columns.STEPS``), every case through the
case model, and every problem is reported where the clerk can find it. A case
with any problem is rejected whole, with its steps; all other cases are imported.
"""

from __future__ import annotations

import copy
import json
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from pipeline.cases.model import Case
from pipeline.catalog import Catalog, CatalogItem
from pipeline.errors import Bilingual, InputInvalid, UnknownItem
from pipeline.intake.columns import CASES, MEETINGS, STEPS, Loc, column_for
from pipeline.intake.meetings import read_json_meetings, read_meetings
from pipeline.intake.messages import (
    DUPLICATE_CASE_NUMBER,
    JSON_INVALID,
    JSON_MEETINGS_NOT_A_LIST,
    JSON_NOT_UTF8,
    JSON_UNKNOWN_FIELD,
    JSON_WITHOUT_CASES,
    MODEL_CHECK_OTHER_ZH,
    MODEL_CHECKS_ZH,
    NO_SUCH_LEDGER,
    NO_SUFFIX,
    ORPHAN_STEP,
    SEE_INSTRUCTIONS,
    STEP_ROWS_WRONG,
    UNSUPPORTED_LEDGER,
    BadValue,
    Finding,
    finding,
)
from pipeline.intake.result import IntakeResult, Issue, Location
from pipeline.intake.sources import MAX_ROWS, csv_tables, too_many_rows, xlsx_tables
from pipeline.intake.tables import ParsedTable, Row, Table, parse_table, parse_value
from pipeline.intake.values import Context, resolve_step, show
from pipeline.organisations import Directory

SUFFIXES = (".xlsx", ".xlsm", ".csv", ".json")
_SHEET_ORDER = {STEPS.name: 1, MEETINGS.name: 2}  # problems listed cases first


def read_ledger(path: Path, catalog: Catalog, directory: Directory) -> IntakeResult:
    """Read a ledger file into cases; bad rows are rejected and reported, never fatal.

    Args:
        path: An ``.xlsx``/``.xlsm`` workbook, a ``.csv`` file or a ``.json`` file.
        catalog: The catalog item codes are resolved against.
        directory: The villages named in the ledger.

    Returns:
        The cases imported, every error and warning located by file, sheet, row
        and column, and the row counts (``rows_in == rows_imported + rows_rejected``).

    Raises:
        InputInvalid: if the file does not exist or is not of a supported type.

    """
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        shown = Bilingual(path.suffix, path.suffix) if path.suffix else NO_SUFFIX
        raise InputInvalid(UNSUPPORTED_LEDGER(suffix_zh=shown.zh, suffix_en=shown.en))
    if not path.is_file():
        raise InputInvalid(NO_SUCH_LEDGER(path=path))
    ctx = Context(catalog, directory)
    result = IntakeResult(path.name)
    if suffix == ".json":
        _read_json(path, ctx, result)
    else:
        reader = csv_tables if suffix == ".csv" else xlsx_tables
        tables = reader(path, result)
        _read_tables(tables.cases, tables.steps, ctx, result)
        if tables.meetings is not None and not tables.meetings.empty:
            result.meetings = read_meetings(tables.meetings, ctx, result)
    for issues in (result.errors, result.warnings):
        issues.sort(
            key=lambda i: (i.file != result.file, _SHEET_ORDER.get(i.sheet or "", 0), i.row or 0)
        )
    return result


def _reading_order(file: str) -> Callable[[Issue], tuple[bool, int, int]]:
    """Problems in the order a clerk reads them: this file, cases, steps, meetings, by row."""
    return lambda i: (i.file != file, _SHEET_ORDER.get(i.sheet or "", 0), i.row or 0)


class _Locator(Protocol):
    """Maps locations in a case's JSON form back to where the clerk typed them."""

    def where(self, loc: Loc) -> Location: ...

    def shown(self, loc: Loc) -> str: ...

    def note(self, errors: list[Issue]) -> Issue | None: ...


@dataclass
class _Candidate:
    """A case on its way into the model: its data, where it came from, its errors."""

    data: Any
    locator: _Locator
    errors: list[Issue] = field(default_factory=list)
    step_count: int = 0


# --- workbooks and CSV ---------------------------------------------------------------------


@dataclass(frozen=True)
class _SheetLocator:
    case_row: Row
    step_rows: list[Row]

    def _row(self, loc: Loc) -> tuple[Row, Loc]:
        index = loc[1] if len(loc) > 1 and loc[0] == "steps" else None
        if isinstance(index, int) and index < len(self.step_rows):
            return self.step_rows[index], loc[2:]
        return self.case_row, loc

    def where(self, loc: Loc) -> Location:
        row, rest = self._row(loc)
        return row.locate(rest)

    def shown(self, loc: Loc) -> str:
        row, rest = self._row(loc)
        return row.shown(rest)

    def note(self, errors: list[Issue]) -> Issue | None:
        """An error on the case row naming its step rows that have errors, if any."""
        wrong = {issue.location.at(None) for issue in errors}
        rows = [str(step.where.row) for step in self.step_rows if step.where in wrong]
        if not rows:
            return None
        sheet = self.step_rows[0].where.sheet or self.step_rows[0].where.file
        return self.case_row.locate(("case_id",)).issue(
            self.case_row.raw.get(CASES.key, ""),
            finding(STEP_ROWS_WRONG, sheet=sheet, rows="、".join(rows)),
        )


def _read_tables(
    cases_table: Table, steps_table: Table | None, ctx: Context, result: IntakeResult
) -> None:
    cases = parse_table(cases_table, CASES, ctx, result)
    steps = (
        parse_table(steps_table, STEPS, ctx, result)
        if steps_table is not None and not steps_table.empty  # an empty sheet: no steps yet
        else ParsedTable()
    )
    result.blank_rows = cases.blank_rows + steps.blank_rows
    result.steps_in = len(steps.rows)
    owners: dict[object, Row] = {}
    for row in cases.rows:
        if row.key is not None:
            owners.setdefault(row.key, row)
    steps_of: dict[Row, list[Row]] = {row: [] for row in cases.rows}
    for step in steps.rows:
        owner = owners.get(step.key)
        if owner is not None:
            steps_of[owner].append(step)
            continue
        if step.key is not None:
            step.errors.append(step.where.at(STEPS.key).issue(str(step.key), _orphan(step.key)))
        result.errors.extend(step.errors)
        result.steps_rejected += 1
    candidates = [
        _Candidate(
            {**row.data(), "steps": [step.data() for step in own]},
            _SheetLocator(row, own),
            row.errors + [issue for step in own for issue in step.errors],
            len(own),
        )
        for row, own in steps_of.items()
    ]
    _conclude(candidates, ctx, result, blocked=cases.failed or steps.failed)


def _orphan(case_id: object) -> Finding:
    return finding(ORPHAN_STEP, cases=CASES.name, case_id=case_id)


# --- JSON ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _JsonLocator:
    file: str
    index: int
    original: Any

    def where(self, loc: Loc) -> Location:
        path = f"cases[{self.index}]"
        for key in loc:
            path += f"[{key}]" if isinstance(key, int) else f".{key}"
        return Location(self.file, column=path)

    def shown(self, loc: Loc) -> str:
        node = self.original
        for key in loc:
            in_dict = isinstance(node, dict) and key in node
            if in_dict or (isinstance(node, list) and isinstance(key, int) and key < len(node)):
                node = node[key]
            else:
                return ""
        return show(node)

    def note(self, errors: list[Issue]) -> Issue | None:
        return None


def _read_json(path: Path, ctx: Context, result: IntakeResult) -> None:
    where = Location(path.name)
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError as exc:
        result.errors.append(where.issue("", finding(JSON_NOT_UTF8, error=exc)))
        return
    except json.JSONDecodeError as exc:
        broken = finding(JSON_INVALID, line=exc.lineno, column=exc.colno, error=exc.msg)
        result.errors.append(Location(path.name, None, exc.lineno).issue("", broken))
        return
    cases = data.get("cases") if isinstance(data, dict) else None
    if not isinstance(cases, list):
        result.errors.append(where.issue("", finding(JSON_WITHOUT_CASES)))
        return
    if len(cases) > MAX_ROWS:
        result.errors.append(where.at("cases").issue("", too_many_rows()))
        return
    for key in sorted(set(data) - {"cases", "meetings"}):
        unknown = finding(JSON_UNKNOWN_FIELD, key=key)
        result.warnings.append(where.at(key).issue(show(data[key]), unknown))
    meetings = data.get("meetings", [])
    if not isinstance(meetings, list) or len(meetings) > MAX_ROWS:
        result.errors.append(where.at("meetings").issue("", finding(JSON_MEETINGS_NOT_A_LIST)))
    else:
        result.meetings = read_json_meetings(path.name, meetings, ctx, result)
    candidates = []
    for index, raw in enumerate(cases):
        candidate = _Candidate(raw, _JsonLocator(path.name, index, copy.deepcopy(raw)))
        _parse_json_values(candidate, ctx, result)
        steps = raw.get("steps") if isinstance(raw, dict) else None
        candidate.step_count = len(steps) if isinstance(steps, list) else 0
        candidates.append(candidate)
    result.steps_in = sum(candidate.step_count for candidate in candidates)
    _conclude(candidates, ctx, result, blocked=False)


def _parse_json_values(candidate: _Candidate, ctx: Context, result: IntakeResult) -> None:
    """Run every column's parser over the values of a JSON case, in place."""
    for spec, prefix in ((CASES, ()), (STEPS, ("steps", 0))):
        for column in spec.columns:
            if not column.path:
                continue
            for loc, holder, key in _slots(candidate.data, (*prefix, *column.path)):
                raw = holder[key]
                if raw is None:
                    continue
                where = candidate.locator.where(loc)
                value = parse_value(column, raw, where, ctx, candidate.errors, result.warnings)
                if value is not None:
                    holder[key] = value


def _slots(node: object, path: Loc, prefix: Loc = ()) -> Iterator[tuple[Loc, dict[str, Any], str]]:
    """Each dict in ``node`` holding the end of ``path``; an int in ``path`` means every item."""
    key, rest = path[0], path[1:]
    if isinstance(key, int):
        if isinstance(node, list):
            for index, child in enumerate(node):
                yield from _slots(child, rest, (*prefix, index))
    elif isinstance(node, dict) and key in node:
        if rest:
            yield from _slots(node[key], rest, (*prefix, key))
        else:
            yield (*prefix, key), node, key


# --- both ----------------------------------------------------------------------------------


def _conclude(
    candidates: list[_Candidate], ctx: Context, result: IntakeResult, *, blocked: bool
) -> None:
    """Check case numbers are unique, validate each case, and count what came in."""
    result.rows_in = len(candidates)
    first: dict[str, Location] = {}
    for candidate in candidates:
        case_id = candidate.data.get("case_id") if isinstance(candidate.data, dict) else None
        if isinstance(case_id, str) and case_id in first:
            candidate.errors.append(
                candidate.locator.where(("case_id",)).issue(
                    case_id, _duplicate(case_id, first[case_id])
                )
            )
        elif isinstance(case_id, str):
            first[case_id] = candidate.locator.where(())
        case = None if blocked else _finish(candidate, ctx)
        result.errors.extend(candidate.errors)
        if case is None:
            result.rows_rejected += 1
            result.steps_rejected += candidate.step_count
        else:
            result.cases.append(case)
            result.case_locations[case.case_id] = candidate.locator.where(("case_id",))


def _duplicate(case_id: str, first: Location) -> Finding:
    place = first.describe()
    return finding(DUPLICATE_CASE_NUMBER, case_id=case_id, first_zh=place.zh, first_en=place.en)


def _finish(candidate: _Candidate, ctx: Context) -> Case | None:
    """Resolve the steps against the item, validate the case; ``None`` if it has errors."""
    item = _item_of(candidate.data, ctx)
    locator = candidate.locator
    for loc, holder, key in _slots(candidate.data, ("steps", 0, "step")):
        if item is not None and isinstance(holder[key], str):
            try:
                holder[key] = resolve_step(item, holder[key])
            except BadValue as exc:
                candidate.errors.append(locator.where(loc).issue(locator.shown(loc), exc.finding))
    flagged = {issue.location for issue in candidate.errors}
    case: Case | None = None
    try:
        case = Case.model_validate(candidate.data)
    except ValidationError as exc:
        for error in exc.errors():
            where = locator.where(tuple(error["loc"]))
            if where not in flagged:
                flagged.add(where)
                candidate.errors.append(
                    where.issue(locator.shown(tuple(error["loc"])), _model_finding(error))
                )
    note = locator.note(candidate.errors)
    if note is not None:
        candidate.errors.append(note)
    return None if candidate.errors else case


def _item_of(data: Any, ctx: Context) -> CatalogItem | None:
    code = data.get("item_code") if isinstance(data, dict) else None
    try:
        return ctx.catalog.get(code) if isinstance(code, str) else None
    except UnknownItem:
        return None


def _model_finding(error: ErrorDetails) -> Finding:
    template = MODEL_CHECKS_ZH.get(error["type"], MODEL_CHECK_OTHER_ZH)
    column = column_for(tuple(error["loc"]))
    fix = column.guide if column else SEE_INSTRUCTIONS
    problem = template.format_map(defaultdict(str, error.get("ctx", {})))
    return Finding(Bilingual(problem, error["msg"]), fix)
