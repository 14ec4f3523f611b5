"""The error report a clerk opens: .xlsx or .csv (UTF-8 with BOM), formulas kept inert."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest

from pipeline.errors import OutputError
from pipeline.intake import IntakeResult, write_error_report
from pipeline.intake.report import HEADERS
from tests.conftest import CORPUS
from tests.intake.ledgers import case_row, save, workbook

Read = Callable[[Path], IntakeResult]


@pytest.fixture
def result(tmp_path: Path, read: Read) -> IntakeResult:
    book = workbook(
        [case_row("NM-1", {"受理日期": "=TODAY()"}), case_row("NM-2", {"事项编码": "xwql-035"}),
         case_row("NM-3", {"联系电话": "-12"})]
    )  # fmt: skip
    return read(save(book, tmp_path))


def test_the_xlsx_report(tmp_path: Path, result: IntakeResult) -> None:
    path = tmp_path / "错误报告.xlsx"
    write_error_report(path, result)
    book = openpyxl.load_workbook(path)
    sheet = book["导入问题"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == HEADERS and len(rows) == 1 + len(result.errors) + len(result.warnings)
    assert rows[1][:5] == ("台账.xlsx", "办件台账", 2, "受理日期", "=TODAY()")
    assert sheet["E2"].data_type == "s"  # the raw formula is shown, never run
    assert rows[1][5] == result.errors[0].problem.zh and rows[1][8] == result.errors[0].fix.en
    assert rows[-1][9] == "提醒 warning" and rows[-1][3] == "事项编码"
    assert sheet.freeze_panes == "A2" and all(c.font.bold for c in sheet[1])
    summary = dict(book["汇总"].iter_rows(values_only=True))
    assert (summary["读入 rows in"], summary["导入 imported"], summary["退回 rejected"]) == (
        3,
        1,
        2,
    )


def test_the_csv_report_opens_in_excel(tmp_path: Path, result: IntakeResult) -> None:
    path = tmp_path / "错误报告.csv"
    write_error_report(path, result)
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(path.open(encoding="utf-8-sig", newline="")))
    assert tuple(rows[0]) == HEADERS
    assert rows[1][:5] == ["台账.xlsx", "办件台账", "2", "受理日期", "'=TODAY()"]
    assert rows[2][4] == "'-12" and rows[2][3] == "联系电话"
    assert len(rows) == 1 + len(result.errors) + len(result.warnings)


def test_an_unwritable_report_is_an_output_error(tmp_path: Path, result: IntakeResult) -> None:
    for name in ("x.csv", "x.xlsx"):
        with pytest.raises(OutputError):
            write_error_report(tmp_path / "missing" / name, result)


def test_control_characters_in_values_are_shown_not_fatal(tmp_path: Path, read: Read) -> None:
    """A sheet cannot hold NUL: the report shows ␀ where it once failed to be written."""
    result = read(CORPUS / "ledgers" / "unsafe-ids.csv")
    for suffix in (".xlsx", ".csv"):
        write_error_report(tmp_path / f"问题{suffix}", result)
    sheet = openpyxl.load_workbook(tmp_path / "问题.xlsx")["导入问题"]
    shown = {row[4] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert {"NM␀-3", "张␀三"} <= shown
    assert "NM␀-3" in (tmp_path / "问题.csv").read_text(encoding="utf-8-sig")
