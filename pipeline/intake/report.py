"""The problems of an import as a sheet the clerk opens in Excel and works through."""

from __future__ import annotations

import csv
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from pipeline.errors import OutputError
from pipeline.intake.messages import REPORT_NOT_WRITTEN
from pipeline.intake.result import IntakeResult, Issue

HEADERS = ("文件", "工作表", "行", "列", "原值", "问题", "修改建议", "problem", "fix", "级别 level")
WIDTHS = (18, 12, 6, 14, 22, 40, 40, 40, 40, 12)
ERROR = "错误 error"
WARNING = "提醒 warning"


def write_error_report(path: Path, result: IntakeResult) -> None:
    """Write ``result``'s errors, then its warnings, one per row.

    Columns: 文件, 工作表, 行, 列, 原值, 问题, 修改建议, problem, fix, 级别 level.
    An ``.xlsx`` report also has a sheet 汇总 with the counts; a ``.csv`` report is
    UTF-8 with BOM so Excel opens it, and values that look like formulas are
    prefixed with ``'`` so no spreadsheet runs them.

    Raises:
        OutputError: if the file cannot be written.

    """
    rows = [_cells(issue, ERROR) for issue in result.errors]
    rows += [_cells(issue, WARNING) for issue in result.warnings]
    try:
        if path.suffix.lower() == ".csv":
            with path.open("w", encoding="utf-8-sig", newline="") as stream:
                writer = csv.writer(stream)
                writer.writerow(HEADERS)
                writer.writerows([[_inert(value) for value in row] for row in rows])
        else:
            _workbook(rows, result).save(path)
    except OSError as exc:
        raise OutputError(REPORT_NOT_WRITTEN(path=path, error=exc)) from exc


def _cells(issue: Issue, level: str) -> list[str | int]:
    return [
        issue.file,
        issue.sheet or "",
        issue.row if issue.row is not None else "",
        issue.column or "",
        _visible(issue.value),
        issue.problem.zh,
        issue.fix.zh,
        issue.problem.en,
        issue.fix.en,
        level,
    ]


def _visible(value: str) -> str:
    """The raw value with control characters as symbols (NUL as ␀): no sheet can hold them."""
    shown: str = ILLEGAL_CHARACTERS_RE.sub(lambda match: chr(0x2400 + ord(match[0])), value)
    return shown


def _inert(value: str | int) -> str | int:
    """Text no spreadsheet will take for a formula (CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _workbook(rows: list[list[str | int]], result: IntakeResult) -> Workbook:
    book = Workbook()
    sheet = book.active
    sheet.title = "导入问题"
    sheet.append(HEADERS)
    for row in rows:
        sheet.append(row)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    for cells in sheet.iter_rows(min_row=2):
        for cell in cells:
            cell.alignment = wrap
    for index, width in enumerate(WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    summary = book.create_sheet("汇总")
    line = result.summary()
    for label, value in (
        ("文件 file", result.file),
        ("读入 rows in", result.rows_in),
        ("导入 imported", result.rows_imported),
        ("退回 rejected", result.rows_rejected),
        ("空行 blank rows", result.blank_rows),
        ("办理环节 step rows", result.steps_in),
        ("错误 errors", len(result.errors)),
        ("提醒 warnings", len(result.warnings)),
        ("小结", line.zh),
        ("summary", line.en),
    ):
        summary.append((label, value))
    summary.column_dimensions["A"].width = 20
    summary.column_dimensions["B"].width = 90
    for cells in (*sheet.iter_rows(), *summary.iter_rows()):
        for cell in cells:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # a raw value such as =SUM(…) stays text, never a formula
    return book
