"""Build real ledger workbooks for the intake tests (and nothing else: no mocks)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from pipeline.intake.columns import CASES, MEETINGS, STEPS
from pipeline.intake.result import IntakeResult, Issue

CASE_HEADERS = [column.header for column in CASES.columns]
STEP_HEADERS = [column.header for column in STEPS.columns]
MEETING_HEADERS = [column.header for column in MEETINGS.columns]
ID_A = "370305199003150040"  # valid, GB 11643 check digit 0
ID_X = "37030519850201118X"  # valid, check digit X
NASTY_TEXT = "张𠮷䶮﨑😀 <script>alert(1)</script> & {{ x }}"


def case_row(case_id: str, changes: dict[str, Any] | None = None) -> dict[str, Any]:
    """A good case row (item xwql-026 临时救助, village 南马村), with ``changes``."""
    row: dict[str, Any] = {
        "办件编号": case_id,
        "事项编码": "xwql-026",
        "村（社区）": "南马村",
        "申请人": "张三",
        "身份证号": ID_A,
        "联系电话": "13805331234",
        "首问负责人": "李四",
        "受理日期": "2026-11-03",
    }
    return row | (changes or {})


def step_row(case_id: str, changes: dict[str, Any] | None = None) -> dict[str, Any]:
    """A good step row (受理 of xwql-026), with ``changes``."""
    row: dict[str, Any] = {
        "办件编号": case_id,
        "环节": "accept",
        "办理主体": "村便民服务室民政协理员",
        "日期": "2026-11-04",
    }
    return row | (changes or {})


def meeting_row(number: str, changes: dict[str, Any] | None = None) -> dict[str, Any]:
    """A good topic row of 南马村's 村民代表会议 (15 in office from June 2026), with ``changes``."""
    row: dict[str, Any] = {
        "会议编号": number, "村（社区）": "南马村", "会议类别": "村民代表会议",
        "会议日期": "2026-11-04", "地点": "村委会会议室", "主持人": "王建国", "记录人": "刘芳",
        "应到人数": 15, "实到人数": 11, "议题": "临时用工", "同意": 10, "反对": 1,
    }  # fmt: skip
    return row | (changes or {})


def workbook(
    cases: list[dict[str, Any] | None],
    steps: list[dict[str, Any] | None] | None = None,
    meetings: list[dict[str, Any] | None] | None = None,
) -> Workbook:
    """Sheets 办件台账 (and 办理环节, 会议记录) with the template's headers; ``None``: blank."""
    book = Workbook()
    sheet = book.active
    sheet.title = CASES.name
    _fill(sheet, CASE_HEADERS, cases)
    if steps is not None:
        _fill(book.create_sheet(STEPS.name), STEP_HEADERS, steps)
    if meetings is not None:
        _fill(book.create_sheet(MEETINGS.name), MEETING_HEADERS, meetings)
    return book


def _fill(sheet: Any, headers: list[str], rows: list[dict[str, Any] | None]) -> None:
    for column, header in enumerate(headers, start=1):
        sheet.cell(1, column, header)
    for number, row in enumerate(rows, start=2):
        for column, header in enumerate(headers, start=1):
            if row is not None and row.get(header) is not None:
                sheet.cell(number, column, row[header])


def save(book: Workbook, folder: Path, name: str = "台账.xlsx") -> Path:
    path = folder / name
    book.save(path)
    return path


def cell(header: str, row: int, headers: list[str] = CASE_HEADERS) -> str:
    """The coordinate of ``header``'s cell in ``row``, e.g. ``E3``."""
    return f"{get_column_letter(headers.index(header) + 1)}{row}"


def where(issues: list[Issue]) -> set[tuple[str | None, int | None, str | None]]:
    return {(issue.sheet, issue.row, issue.column) for issue in issues}


def only(issues: list[Issue], sheet: str | None, row: int | None, column: str | None) -> Issue:
    """The one issue at this place (fails if there is none or several)."""
    found = [i for i in issues if (i.sheet, i.row, i.column) == (sheet, row, column)]
    assert len(found) == 1, [str(issue) for issue in issues]
    return found[0]


def imported(result: IntakeResult) -> list[str]:
    return [case.case_id for case in result.cases]
