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
"""

from __future__ import annotations

import csv
import io
import warnings
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.utils.exceptions import InvalidFileException

from pipeline.intake.columns import CASES, STEPS, TEMPLATE_ONLY
from pipeline.intake.messages import finding
from pipeline.intake.result import IntakeResult, Location
from pipeline.intake.tables import Cell, Merge, Table

ENCODINGS = ("utf-8-sig", "gb18030")


def steps_csv(path: Path) -> Path:
    """Where the steps of the CSV ledger ``path`` are kept."""
    return path.with_name(f"{path.stem}-{STEPS.name}.csv")


def xlsx_tables(path: Path, result: IntakeResult) -> tuple[Table, Table | None]:
    """The case and step sheets of a workbook; problems opening it go to ``result``."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # unsupported extensions: harmless
            book = openpyxl.load_workbook(path, data_only=False)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        result.errors.append(
            Location(path.name).issue(
                "",
                finding(
                    f"无法打开工作簿（{type(exc).__name__}）：文件已损坏、加密或不是 .xlsx",
                    f"cannot open the workbook ({exc}): damaged, encrypted or not .xlsx",
                    "在 Excel 中打开后另存为“Excel 工作簿(.xlsx)”，不设密码",
                    "open it in Excel and save as Excel Workbook (.xlsx) without a password",
                ),
            )
        )
        return Table(path.name, CASES.name, broken=True), None
    sheets = {sheet.title: sheet for sheet in book.worksheets}
    cases = sheets.get(CASES.name)
    if cases is None:
        candidates = [
            s
            for s in book.worksheets
            if s.sheet_state == "visible" and s.title not in TEMPLATE_ONLY | {STEPS.name}
        ]
        cases = candidates[0] if candidates else book.worksheets[0]
        result.warnings.append(
            Location(path.name, cases.title).issue(
                "",
                finding(
                    f"没有名为“{CASES.name}”的工作表，按办件台账读取了“{cases.title}”",
                    f"no sheet named {CASES.name}; read {cases.title!r} as the case sheet",
                    f"把办件台账所在的工作表改名为“{CASES.name}”",
                    f"rename the case sheet to {CASES.name}",
                ),
            )
        )
    steps = sheets.get(STEPS.name)
    for sheet in book.worksheets:
        _warn_about_sheet(sheet, path, result, read=sheet in (cases, steps))
    return _table(path, cases), (_table(path, steps) if steps is not None else None)


def _warn_about_sheet(sheet: Any, path: Path, result: IntakeResult, *, read: bool) -> None:
    hidden = sheet.sheet_state != "visible"
    where = Location(path.name, sheet.title)
    if read and hidden:
        note = finding(
            "工作表是隐藏的，已照常读取",
            "the sheet is hidden; it was read all the same",
            "取消隐藏并核对其中的内容",
            "unhide the sheet and check what it holds",
        )
    elif not read and sheet.title not in TEMPLATE_ONLY:
        note = finding(
            "这个工作表" + ("（隐藏）" if hidden else "") + "不属于台账，未读取",
            ("this hidden sheet" if hidden else "this sheet") + " is not part of the ledger; "
            "it was not read",
            f"办件请填在“{CASES.name}”，办理环节请填在“{STEPS.name}”",
            f"put cases in {CASES.name} and steps in {STEPS.name}",
        )
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


def csv_tables(path: Path, result: IntakeResult) -> tuple[Table, Table | None]:
    """The cases of a CSV ledger and, if the steps file exists, its steps."""
    steps = steps_csv(path)
    return _csv_table(path, result), (_csv_table(steps, result) if steps.is_file() else None)


def _csv_table(path: Path, result: IntakeResult) -> Table:
    where = Location(path.name)
    try:
        data = path.read_bytes()
    except OSError as exc:
        result.errors.append(
            where.issue(
                "",
                finding(
                    f"无法读取文件：{exc}",
                    f"cannot read the file: {exc}",
                    "检查文件是否存在、能否打开",
                    "check that the file exists and can be opened",
                ),
            )
        )
        return Table(path.name, None, broken=True)
    for encoding in ENCODINGS:
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        result.errors.append(
            where.issue(
                "",
                finding(
                    "无法识别文件编码（既不是 UTF-8 也不是 GBK/GB18030），整个文件未导入",
                    "the file is neither UTF-8 nor GBK/GB 18030 text; nothing was imported",
                    "在 Excel 中另存为“CSV UTF-8（逗号分隔）”后重新导入",
                    "in Excel, save as CSV UTF-8 (comma delimited) and import again",
                ),
            )
        )
        return Table(path.name, None, broken=True)
    rows: list[tuple[int, list[Cell]]] = []
    reader = csv.reader(io.StringIO(text, newline=""))
    line = 1
    try:
        for record in reader:
            rows.append((line, [Cell(value or None) for value in record]))
            line = reader.line_num + 1
    except csv.Error as exc:
        result.errors.append(
            Location(path.name, None, line).issue(
                "",
                finding(
                    f"CSV 格式有误：{exc}；整个文件未导入",
                    f"malformed CSV: {exc}; nothing was imported",
                    "检查这一行的引号是否成对，或在 Excel 中重新另存为 CSV",
                    "check this line's quotes, or save the CSV again from Excel",
                ),
            )
        )
        return Table(path.name, None, broken=True)
    return Table(path.name, None, rows)
