"""A blank ledger workbook for clerks to fill in, built from the column definitions.

Sheets: 办件台账 and 办理环节 (bold, frozen headers; required headers shaded;
drop-down lists; text format on number-like columns so Excel keeps all 18
characters of an ID number), 填写说明 (what each column takes, and one example
row per sheet) and 下拉选项 (the lists the drop-downs offer). Nothing is hidden.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from pipeline.catalog import Catalog
from pipeline.errors import OutputError
from pipeline.intake.columns import CHOICES, INSTRUCTIONS, SHEETS, Column, SheetSpec
from pipeline.intake.messages import TEMPLATE_NOT_WRITTEN
from pipeline.organisations import Directory

TEMPLATE_ROWS = 2000
"""Data rows that get drop-down lists and input prompts."""

_BOLD = Font(bold=True)
_REQUIRED = PatternFill("solid", fgColor="FFF2CC")
_WRAP = Alignment(wrap_text=True, vertical="top")

_NOTES = (
    "1. 每件办件在“办件台账”中填一行；办理过的每个环节在“办理环节”中按先后各填一行，"
    "用“办件编号”对应到办件。",
    "2. 黄色表头的列必填；其余列有则填写。",
    "3. 请直接输入值：不要合并单元格，不要用公式，不要隐藏工作表或行，不要改动表头。",
    "4. 身份证号、电话、办件编号列已设为文本格式，请勿改成数值，"
    "否则 Excel 会丢掉身份证号的后几位。",
    "5. 日期可写 2026-11-03、2026/11/3 或 2026年11月3日；金额以元为单位，如 1200.50。",
    "6. 导入：xwql intake 台账.xlsx。有错的办件整件退回并在错误报告中标明工作表、行和列，"
    "其余办件照常导入。",
)


def write_template_ledger(path: Path, catalog: Catalog, directory: Directory) -> None:
    """Write a blank ledger workbook to ``path``.

    Args:
        path: The ``.xlsx`` file to write.
        catalog: Its current items fill the 事项编码 drop-down list.
        directory: Its villages fill the 村（社区） drop-down list.

    Raises:
        OutputError: if the file cannot be written.

    """
    book = Workbook()
    lists = book.active
    lists.title = CHOICES
    ranges = _write_choices(lists, catalog, directory)
    for index, spec in enumerate(SHEETS):
        _write_data_sheet(book.create_sheet(spec.name, index), spec, ranges)
    _write_instructions(book.create_sheet(INSTRUCTIONS, len(SHEETS)))
    book.active = 0
    try:
        book.save(path)
    except OSError as exc:
        raise OutputError(TEMPLATE_NOT_WRITTEN(path=path, error=exc)) from exc


def _write_choices(sheet: Any, catalog: Catalog, directory: Directory) -> dict[Column, str]:
    """One column per drop-down list; returns each ledger column's list range."""
    ranges: dict[Column, str] = {}
    seen: dict[Any, str] = {}
    for spec in SHEETS:
        for column in spec.columns:
            if column.choices is None:
                continue
            if column.choices not in seen:
                letter = get_column_letter(len(seen) + 1)
                values = column.choices(catalog, directory)
                sheet[f"{letter}1"] = column.header
                sheet[f"{letter}1"].font = _BOLD
                for row, value in enumerate(values, start=2):
                    sheet[f"{letter}{row}"] = value
                sheet.column_dimensions[letter].width = max(map(len, values), default=4) * 2 + 2
                seen[column.choices] = f"'{CHOICES}'!${letter}$2:${letter}${len(values) + 1}"
            ranges[column] = seen[column.choices]
    sheet.freeze_panes = "A2"
    return ranges


def _write_data_sheet(sheet: Any, spec: SheetSpec, ranges: dict[Column, str]) -> None:
    sheet.append([column.header for column in spec.columns])
    for index, column in enumerate(spec.columns, start=1):
        letter = get_column_letter(index)
        head = sheet.cell(1, index)
        head.font = _BOLD
        if column.required:
            head.fill = _REQUIRED
        dimension = sheet.column_dimensions[letter]
        dimension.width = column.width
        if column.number_format:
            dimension.number_format = column.number_format
        validation = DataValidation(
            type="list" if column in ranges else None,
            formula1=ranges.get(column),
            allow_blank=True,
            showInputMessage=True,
            showErrorMessage=column in ranges,
            errorStyle="warning",
            promptTitle=column.header[:32],
            prompt=column.guide.zh[:255],
            errorTitle="不在下拉列表中" if column in ranges else None,
            error=column.guide.zh[:225] if column in ranges else None,  # Excel's limit: 225
        )
        validation.add(f"{letter}2:{letter}{TEMPLATE_ROWS + 1}")
        sheet.add_data_validation(validation)
    sheet.freeze_panes = "A2"


def _write_instructions(sheet: Any) -> None:
    sheet.append(["村级小微权力办件台账 填写说明"])
    sheet["A1"].font = Font(bold=True, size=14)
    for note in _NOTES:
        sheet.append([note])
    sheet.append([])
    sheet.append(["工作表", "列名", "必填", "填写说明", "示例"])
    for cell in sheet[sheet.max_row]:
        cell.font = _BOLD
    for spec in SHEETS:
        for column in spec.columns:
            sheet.append(
                [spec.name, column.header, "必填" if column.required else "", column.guide.zh,
                 column.example]
            )  # fmt: skip
    for spec in SHEETS:
        sheet.append([])
        sheet.append([f"填写示例：“{spec.name}”（只是示例，请在“{spec.name}”中填写）"])
        sheet.cell(sheet.max_row, 1).font = _BOLD
        sheet.append([column.header for column in spec.columns])
        for cell in sheet[sheet.max_row]:
            cell.font = _BOLD
        sheet.append([column.example or None for column in spec.columns])
    for cells in sheet.iter_rows(min_row=2):
        for cell in cells:
            cell.alignment = _WRAP
            if isinstance(cell.value, str):
                cell.data_type = "s"
    for letter, width in zip("ABCDE", (16, 16, 8, 60, 24), strict=True):
        sheet.column_dimensions[letter].width = width
