"""Sheets as tables of cells, and rows read from them through the ledger's columns.

A ``Table`` is what a worksheet or a CSV file holds, cell by cell, with the
facts a clerk cannot see in a CSV export: which cells are formulas and which are
merged. ``parse_table`` finds the header row, maps headers to columns, skips
whole blank rows (counting those between data rows) and parses every cell; each
problem becomes an ``Issue`` located by sheet, row and column header.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from typing import Any

from openpyxl.utils import get_column_letter

from pipeline.errors import Bilingual
from pipeline.intake.columns import Column, Loc, SheetSpec
from pipeline.intake.messages import (
    BAD_HEADER,
    COLUMN_TWICE,
    FORMULA,
    HIDDEN_ROW,
    MERGED_CELLS,
    NO_HEADER,
    REQUIRED_COLUMN_MISSING,
    REQUIRED_EMPTY,
    UNHEADED_COLUMNS,
    UNKNOWN_COLUMN,
    BadValue,
    Finding,
    finding,
)
from pipeline.intake.result import IntakeResult, Issue, Location
from pipeline.intake.values import Context, fold, show

HEADER_SEARCH_ROWS = 10
"""The header row is looked for among a sheet's first rows (a title may sit above it)."""


@dataclass(frozen=True)
class Merge:
    """A merged range a cell lies in, and the value shown across it."""

    ref: str
    value: object


@dataclass(frozen=True)
class Cell:
    """One cell: its value (a formula's text for formula cells), and how it was entered."""

    value: object = None
    formula: bool = False
    merge: Merge | None = None

    @property
    def blank(self) -> bool:
        """Nothing typed, no formula, not part of a merged range."""
        return not self.formula and self.merge is None and _empty(self.value)


@dataclass
class Table:
    """The cells of one sheet (or CSV file), row by row with their row numbers.

    ``broken`` marks a sheet that could not be read at all; the reader has already
    recorded why.
    """

    file: str
    sheet: str | None
    rows: list[tuple[int, list[Cell]]] = field(default_factory=list)
    hidden_rows: frozenset[int] = frozenset()
    broken: bool = False

    @property
    def empty(self) -> bool:
        """Readable, and not a single cell filled in."""
        return not self.broken and all(_blank_row(cells) for _, cells in self.rows)


@dataclass(eq=False)
class Row:
    """One data row read through a sheet's columns."""

    spec: SheetSpec
    where: Location
    values: dict[str, object] = field(default_factory=dict)
    raw: dict[str, str] = field(default_factory=dict)
    errors: list[Issue] = field(default_factory=list)

    @property
    def key(self) -> object:
        """The case number this row names, if it was read."""
        return self.values.get(self.spec.key)

    def data(self) -> dict[str, Any]:
        """The row's values in the record's JSON form."""
        return nest(
            (column.path, self.values[column.header])
            for column in self.spec.columns
            if column.path and column.header in self.values
        )

    def locate(self, loc: Loc) -> Location:
        """The cell a location in the record's JSON form came from."""
        column = self.spec.column_for(loc)
        return self.where.at(column.header if column else None)

    def shown(self, loc: Loc) -> str:
        """The raw text of the cell a location came from."""
        column = self.spec.column_for(loc)
        return self.raw.get(column.header, "") if column else ""


@dataclass
class ParsedTable:
    """The data rows of a table; ``failed`` if its header made them unreadable."""

    rows: list[Row] = field(default_factory=list)
    blank_rows: int = 0
    failed: bool = False


def nest(items: Any) -> dict[str, Any]:
    """Build nested dicts (and lists, for int keys) from ``(path, value)`` pairs."""
    root: dict[str, Any] = {}
    for path, value in items:
        node: Any = root
        for key, following in itertools.pairwise(path):
            if isinstance(key, int):
                node.extend({} for _ in range(key + 1 - len(node)))
                node = node[key]
            else:
                node = node.setdefault(key, [] if isinstance(following, int) else {})
        node[path[-1]] = value
    return root


def parse_value(
    column: Column,
    raw: object,
    where: Location,
    ctx: Context,
    errors: list[Issue],
    warnings: list[Issue],
) -> object | None:
    """``column``'s value of ``raw``, or ``None`` after adding the error to ``errors``.

    Warnings the parser raises are added to ``warnings``, located at ``where``.
    """
    try:
        return column.parse(raw, ctx)
    except BadValue as exc:
        errors.append(where.issue(show(raw), exc.finding))
        return None
    finally:
        warnings.extend(where.issue(show(raw), note) for note in ctx.take_notes())


def parse_table(table: Table, spec: SheetSpec, ctx: Context, result: IntakeResult) -> ParsedTable:
    """Read ``table``'s data rows through ``spec``'s columns.

    File-level problems (no header, a required column missing, a column twice)
    go to ``result`` once and mark the table failed; its non-blank rows are still
    listed, unread, so they are counted. Cell problems go to each ``Row.errors``.
    """
    if table.broken:
        return ParsedTable(failed=True)
    header = _Header.find(table, spec, result)
    body = table.rows[header.index + 1 :]
    filled = [index for index, (_, cells) in enumerate(body) if not _blank_row(cells)]
    parsed = ParsedTable(failed=not header.ok)
    for number, cells in body[: filled[-1] + 1] if filled else []:
        if _blank_row(cells):
            parsed.blank_rows += 1
            continue
        row = Row(spec, Location(table.file, table.sheet, number))
        if header.ok:
            _read_row(row, cells, header, ctx, result)
        if number in table.hidden_rows:
            result.warnings.append(row.where.issue("", HIDDEN_ROW))
        parsed.rows.append(row)
    return parsed


def _read_row(
    row: Row, cells: list[Cell], header: _Header, ctx: Context, result: IntakeResult
) -> None:
    """Parse every mapped cell of a row; problems go to ``row.errors``."""
    reported: set[str] = set()
    for position, column in header.columns.items():
        cell = cells[position] if position < len(cells) else Cell()
        where = row.where.at(column.header)
        raw = cell.merge.value if cell.merge else cell.value
        row.raw[column.header] = show(raw)
        if cell.merge:
            if cell.merge.ref not in reported:
                reported.add(cell.merge.ref)
                row.errors.append(where.issue(show(raw), _merged(cell.merge)))
        elif cell.formula:
            row.errors.append(where.issue(show(raw), FORMULA))
        elif _empty(raw):
            if column.required:
                row.errors.append(where.issue("", _required(column)))
        else:
            value = parse_value(column, raw, where, ctx, row.errors, result.warnings)
            if value is not None:
                row.values[column.header] = value
    stray = [
        get_column_letter(position + 1)
        for position, cell in enumerate(cells)
        if position not in header.named and not cell.blank
    ]
    if stray:
        unheaded = finding(UNHEADED_COLUMNS, letters="、".join(stray))
        result.warnings.append(row.where.issue("", unheaded))


@dataclass
class _Header:
    """Where the header row is, and which column each cell position holds."""

    index: int
    columns: dict[int, Column]
    named: frozenset[int]
    ok: bool

    @classmethod
    def find(cls, table: Table, spec: SheetSpec, result: IntakeResult) -> _Header:
        known = {
            _header_key(name): column
            for column in spec.columns
            for name in (column.header, *column.aliases)
        }
        rows = [
            (index, number, cells, [_header_key(show(cell.value)) for cell in cells])
            for index, (number, cells) in enumerate(table.rows[:HEADER_SEARCH_ROWS])
        ]
        found = next((row for row in rows if sum(key in known for key in row[3]) >= 2), None)
        if found is None:
            required = "、".join(c.header for c in spec.columns if c.required)
            no_header = finding(NO_HEADER, rows=HEADER_SEARCH_ROWS, key=spec.key, required=required)
            result.errors.append(Location(table.file, table.sheet).issue("", no_header))
            return cls(-1, {}, frozenset(), ok=False)
        index, number, cells, keys = found
        columns: dict[int, Column] = {}
        problems: list[Bilingual] = []
        for position, (key, cell) in enumerate(zip(keys, cells, strict=True)):
            column = known.get(key)
            if not key:
                continue
            if column is None:
                where = Location(table.file, table.sheet, number, show(cell.value))
                result.warnings.append(where.issue(show(cell.value), UNKNOWN_COLUMN))
            elif column in columns.values():
                problems.append(COLUMN_TWICE.fill(header=column.header))
            else:
                columns[position] = column
        problems.extend(
            REQUIRED_COLUMN_MISSING.fill(header=c.header)
            for c in spec.columns
            if c.required and c not in columns.values()
        )
        if problems:
            bad_header = finding(
                BAD_HEADER,
                problems_zh="；".join(p.zh for p in problems),
                problems_en="; ".join(p.en for p in problems),
            )
            result.errors.append(Location(table.file, table.sheet, number).issue("", bad_header))
        named = frozenset(position for position, key in enumerate(keys) if key)
        return cls(index, columns, named, ok=not problems)


def _header_key(text: str) -> str:
    """A header as compared: NFKC-folded, without spaces, ``*`` or ``(必填)``."""
    return re.sub(r"\s+|\*|\(必填\)", "", fold(text))


def _empty(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _blank_row(cells: list[Cell]) -> bool:
    return all(cell.blank for cell in cells)


def _required(column: Column) -> Finding:
    return Finding(REQUIRED_EMPTY.fill(header=column.header), column.guide)


def _merged(merge: Merge) -> Finding:
    return finding(MERGED_CELLS, ref=merge.ref, value=show(merge.value))
