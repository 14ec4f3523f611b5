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
from pathlib import Path
from typing import Any

import openpyxl
from PIL import Image

from pipeline.filetypes import FileKind, sniff
from pipeline.intake.columns import CASES, STEPS, TEMPLATE_ONLY
from pipeline.intake.messages import Finding, finding
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


def xlsx_tables(path: Path, result: IntakeResult) -> tuple[Table, Table | None]:
    """The case and step sheets of a workbook; problems opening it go to ``result``."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # unsupported extensions: harmless
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # never decoded
            overlong = _overlong_sheet(path)
            book = None if overlong else openpyxl.load_workbook(path, data_only=False)
    except Exception as exc:  # openpyxl on a file from outside: any failure means a bad file
        result.errors.append(Location(path.name).issue("", _unopenable(path, exc)))
        return Table(path.name, CASES.name, broken=True), None
    if book is None:
        result.errors.append(Location(path.name, overlong).issue("", too_many_rows()))
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
    return finding(
        f"超过 {MAX_ROWS} 行的上限，整个文件未导入",
        f"more than {MAX_ROWS} rows, over the limit: nothing was imported",
        "按月拆分成几个台账分别导入；若数据下方有大量带格式的空行，请删去这些行",
        "split the ledger by month and import each part; delete any formatted empty rows "
        "below the data",
    )


_SAVE_AS_XLSX = (
    "在 Excel 中打开后另存为“Excel 工作簿(.xlsx)”，不设密码，再导入",
    "open it in Excel, save it as an Excel Workbook (.xlsx) without a password, import that",
)
_FIXES = {
    FileKind.ENCRYPTED: (
        "在 Excel 中打开（输入密码），另存一份不设密码的 .xlsx 再导入（文件→信息→保护工作簿"
        "→用密码进行加密，清空密码）",
        "open it in Excel with its password and save a copy without one (File → Info → "
        "Protect Workbook → Encrypt with Password: clear it), then import that copy",
    ),
    FileKind.DAMAGED_ZIP: (
        "从原处重新复制或下载一份完整的台账再导入",
        "copy or download the ledger again from where it came, then import it",
    ),
    FileKind.TEXT: (
        "若是 CSV 台账，把后缀改为 .csv 再导入；否则在 Excel 中另存为 .xlsx",
        "if it is a CSV ledger, rename it to .csv and import it; else save it as .xlsx in Excel",
    ),
    FileKind.XLSX: (
        "在 Excel 中打开（Excel 会提出修复），修复后另存为 .xlsx 再导入",
        "open it in Excel, let Excel repair it, save it as .xlsx and import again",
    ),
}


def _unopenable(path: Path, exc: Exception) -> Finding:
    """Why a workbook could not be opened, from what the file really is."""
    if isinstance(exc, Image.DecompressionBombError):
        return finding(
            "工作簿里嵌有超大的图片，为安全起见整个文件未读取",
            f"the workbook holds an oversized picture ({exc}); it was not read, for safety",
            "删去台账里的图片（xwql 不读取图片）后另存，再导入",
            "delete the pictures from the ledger (xwql does not read them), save, import again",
        )
    try:
        kind = sniff(path)
    except OSError:
        kind = FileKind.OTHER
    fix = _FIXES.get(kind, _SAVE_AS_XLSX)
    if kind is FileKind.XLSX:
        return finding(
            f"无法打开工作簿：内部已损坏（{type(exc).__name__}）",
            f"cannot open the workbook: it is damaged inside ({type(exc).__name__}: {exc})",
            *fix,
        )
    return finding(
        f"无法打开工作簿：这是{kind.zh}",
        f"cannot open the workbook: it is {kind.en}",
        *fix,
    )


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
        for record in itertools.islice(reader, MAX_ROWS + 1):
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
    if len(rows) > MAX_ROWS:
        result.errors.append(where.issue("", too_many_rows()))
        return Table(path.name, None, broken=True)
    return Table(path.name, None, rows)
