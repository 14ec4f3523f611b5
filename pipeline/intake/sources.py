"""Workbooks and CSV files turned into tables of cells.

Workbooks are opened with ``data_only=False`` so formula cells are seen as
formulas, and with their merged ranges, hidden sheets and hidden rows known.
The sheets ``办件台账`` and ``办理环节`` are read whether hidden or not (with a
warning: hiding a sheet does not take its cases out of the ledger); any other
sheet, hidden or not, is not read and a warning names it (the template's own
``填写说明`` and ``下拉选项`` excepted).

CSV files hold the cases only; the steps, if any, sit beside them in
``<stem>-办理环节.csv``. Encodings tried: UTF-8 (with or without BOM), then
GB 18030 (a superset of GBK, what Chinese Excel saves by default).

A file that cannot be read is one error for the whole file saying what it is
(a password-protected workbook, an old ``.xls``, a CSV renamed ``.xlsx``, a
download cut short), never an exception. A sheet or CSV file of more than
``MAX_ROWS`` rows is refused before it is read, so memory and time stay bounded.
"""

from __future__ import annotations

import csv
import io
import itertools
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
from PIL import Image

from pipeline.filetypes import FileKind, sniff
from pipeline.intake.columns import CASES, MEETINGS, STEPS, TEMPLATE_ONLY
from pipeline.intake.messages import (
    COPY_AGAIN,
    FILE_UNREADABLE,
    HIDDEN_SHEET_NOT_READ,
    HIDDEN_SHEET_READ,
    LET_EXCEL_REPAIR,
    MALFORMED_CSV,
    NO_CASE_SHEET,
    NOT_A_WORKBOOK,
    OVERSIZED_PICTURE,
    RENAME_TO_CSV,
    SAVE_AS_XLSX,
    SAVE_WITHOUT_PASSWORD,
    SHEET_NOT_READ,
    TOO_MANY_ROWS,
    UNKNOWN_ENCODING,
    WORKBOOK_DAMAGED,
    Finding,
    finding,
)
from pipeline.intake.result import IntakeResult, Location
from pipeline.intake.tables import Cell, Merge, Table

ENCODINGS = ("utf-8-sig", "gb18030")
MAX_ROWS = 20_000
"""Rows a sheet or CSV file of a ledger may have (title and header rows included).

Reading takes about 0.6 ms and 10 KB a row (20 000 rows: about 12 s and 240 MB);
a village records a few hundred cases a year.
"""


def steps_csv(path: Path) -> Path:
    """Where the steps of the CSV ledger ``path`` are kept."""
    return path.with_name(f"{path.stem}-{STEPS.name}.csv")


def meetings_csv(path: Path) -> Path:
    """Where a CSV ledger's meetings are: ``<stem>-会议记录.csv`` beside it."""
    return path.with_name(f"{path.stem}-{MEETINGS.name}.csv")


@dataclass(frozen=True)
class LedgerTables:
    """A ledger's tables: its cases, and its steps and meetings where it has them."""

    cases: Table
    steps: Table | None = None
    meetings: Table | None = None


def xlsx_tables(path: Path, result: IntakeResult) -> LedgerTables:
    """The case, step and meeting sheets of a workbook; problems opening it go to ``result``."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # unsupported extensions: harmless
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # never decoded
            overlong = _overlong_sheet(path)
            book = None if overlong else openpyxl.load_workbook(path, data_only=False)
    except Exception as exc:  # openpyxl on a file from outside: any failure means a bad file
        result.errors.append(Location(path.name).issue("", _unopenable(path, exc)))
        return LedgerTables(Table(path.name, CASES.name, broken=True))
    if book is None:
        result.errors.append(Location(path.name, overlong).issue("", too_many_rows()))
        return LedgerTables(Table(path.name, CASES.name, broken=True))
    sheets = {sheet.title: sheet for sheet in book.worksheets}
    cases = sheets.get(CASES.name)
    if cases is None:
        candidates = [
            s
            for s in book.worksheets
            if s.sheet_state == "visible"
            and s.title not in TEMPLATE_ONLY | {STEPS.name, MEETINGS.name}
        ]
        cases = candidates[0] if candidates else book.worksheets[0]
        result.warnings.append(
            Location(path.name, cases.title).issue(
                "", finding(NO_CASE_SHEET, cases=CASES.name, sheet=cases.title)
            )
        )
    steps, meetings = sheets.get(STEPS.name), sheets.get(MEETINGS.name)
    for sheet in book.worksheets:
        _warn_about_sheet(sheet, path, result, read=sheet in (cases, steps, meetings))
    return LedgerTables(
        _table(path, cases),
        _table(path, steps) if steps is not None else None,
        _table(path, meetings) if meetings is not None else None,
    )


def _overlong_sheet(path: Path) -> str | None:
    """The first sheet of more than ``MAX_ROWS`` rows, read without loading any sheet whole."""
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        for sheet in book.worksheets:
            rows = sheet.max_row  # the sheet's stored size (Excel, WPS and LibreOffice write it)
            if rows is None:  # not stored: count the rows, up to one past the limit
                rows = sum(1 for _ in itertools.islice(sheet.iter_rows(), MAX_ROWS + 1))
            if rows > MAX_ROWS:
                return str(sheet.title)
    finally:
        book.close()
    return None


def too_many_rows() -> Finding:
    """The whole file refused for having more than ``MAX_ROWS`` rows."""
    return finding(TOO_MANY_ROWS, limit=MAX_ROWS)


_FIXES = {  # how to get a readable workbook, by what the file is (else SAVE_AS_XLSX)
    FileKind.ENCRYPTED: SAVE_WITHOUT_PASSWORD,
    FileKind.DAMAGED_ZIP: COPY_AGAIN,
    FileKind.TEXT: RENAME_TO_CSV,
    FileKind.XLSX: LET_EXCEL_REPAIR,
}


def _unopenable(path: Path, exc: Exception) -> Finding:
    """Why a workbook could not be opened, from what the file really is."""
    if isinstance(exc, Image.DecompressionBombError):
        return finding(OVERSIZED_PICTURE, error=exc)
    try:
        kind = sniff(path)
    except OSError:
        kind = FileKind.OTHER
    if kind is FileKind.XLSX:
        damaged = WORKBOOK_DAMAGED.fill(error_type=type(exc).__name__, error=exc)
        return Finding(damaged, _FIXES[kind])
    return not_a_workbook(kind)


def not_a_workbook(kind: FileKind) -> Finding:
    """Why a file that holds ``kind`` (not a workbook) opens as none, and how to get one."""
    return Finding(
        NOT_A_WORKBOOK.fill(kind_zh=kind.zh, kind_en=kind.en), _FIXES.get(kind, SAVE_AS_XLSX)
    )


def _warn_about_sheet(sheet: Any, path: Path, result: IntakeResult, *, read: bool) -> None:
    hidden = sheet.sheet_state != "visible"
    where = Location(path.name, sheet.title)
    if read and hidden:
        note = HIDDEN_SHEET_READ
    elif not read and sheet.title not in TEMPLATE_ONLY:
        unread = HIDDEN_SHEET_NOT_READ if hidden else SHEET_NOT_READ
        note = finding(unread, cases=CASES.name, steps=STEPS.name)
    else:
        return
    result.warnings.append(where.issue("", note))


def _table(path: Path, sheet: Any) -> Table:
    merges: dict[tuple[int, int], Merge] = {}
    for cell_range in sheet.merged_cells.ranges:
        merge = Merge(cell_range.coord, sheet.cell(cell_range.min_row, cell_range.min_col).value)
        for coordinate in cell_range.cells:
            merges[coordinate] = merge
    rows = [
        (
            cells[0].row,
            [
                Cell(
                    _formula_text(cell.value) if cell.data_type == "f" else cell.value,
                    formula=cell.data_type == "f",
                    merge=merges.get((cell.row, cell.column)),
                )
                for cell in cells
            ],
        )
        for cells in sheet.iter_rows()
    ]
    hidden = frozenset(number for number, dim in sheet.row_dimensions.items() if dim.hidden)
    return Table(path.name, sheet.title, rows, hidden)


def _formula_text(value: object) -> str:
    """``=SUM(A1:A3)`` for plain, array and data-table formulas alike."""
    return value if isinstance(value, str) else str(getattr(value, "text", value))


def csv_tables(path: Path, result: IntakeResult) -> LedgerTables:
    """The cases of a CSV ledger and, if their files exist, its steps and meetings."""
    steps, meetings = steps_csv(path), meetings_csv(path)
    return LedgerTables(
        _csv_table(path, result),
        _csv_table(steps, result) if steps.is_file() else None,
        _csv_table(meetings, result) if meetings.is_file() else None,
    )


def _csv_table(path: Path, result: IntakeResult) -> Table:
    where = Location(path.name)
    try:
        data = path.read_bytes()
    except OSError as exc:
        result.errors.append(where.issue("", finding(FILE_UNREADABLE, error=exc)))
        return Table(path.name, None, broken=True)
    for encoding in ENCODINGS:
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        result.errors.append(where.issue("", UNKNOWN_ENCODING))
        return Table(path.name, None, broken=True)
    rows: list[tuple[int, list[Cell]]] = []
    reader = csv.reader(io.StringIO(text, newline=""))
    line = 1
    try:
        for record in itertools.islice(reader, MAX_ROWS + 1):
            rows.append((line, [Cell(value or None) for value in record]))
            line = reader.line_num + 1
    except csv.Error as exc:
        result.errors.append(
            Location(path.name, None, line).issue("", finding(MALFORMED_CSV, error=exc))
        )
        return Table(path.name, None, broken=True)
    if len(rows) > MAX_ROWS:
        result.errors.append(where.issue("", too_many_rows()))
        return Table(path.name, None, broken=True)
    return Table(path.name, None, rows)
