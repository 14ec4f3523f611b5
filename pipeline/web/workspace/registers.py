"""The registers of the scope: the seal-use register (用印登记) and the overdue list (限时办结).

=========================================  =============================================
``GET /w/registers?village``               both registers of the scope (or of one of
                                           its villages), on the app's today
``GET /w/registers/seals.xlsx?village``    the seal-use register as a workbook
``GET /w/registers/overdue.xlsx?village``  the overdue list as a workbook
=========================================  =============================================

The lines come from the same jobs as ``xwql seals`` and ``xwql cases overdue``
(:mod:`pipeline.jobs.registers`); the page has a JSON twin (``?format=json``).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font

from pipeline.accounts.permissions import Action
from pipeline.documents.render import chinese_date
from pipeline.jobs.registers import overdue_register, seal_register
from pipeline.organisations import Place
from pipeline.web.state import WebSession, file_response, page
from pipeline.web.workspace.base import AccountDep, open_workspace, places, places_for, today
from pipeline.workspace import Workspace

router = APIRouter(prefix="/w/registers")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Column:
    """A column of a register: its key in a row, its Chinese header, its width in a workbook."""

    key: str
    header: str
    width: int


SEAL_COLUMNS = (
    Column("placed_at", "用印时间", 18), Column("village", "村（社区）", 12),
    Column("organisation", "印章", 30), Column("document", "用印文件", 40),
    Column("page", "页", 5), Column("purpose", "事由", 24), Column("operator", "经办人", 14),
    Column("case_id", "办件编号", 18),
)  # fmt: skip
OVERDUE_COLUMNS = (
    Column("case_id", "办件编号", 18), Column("village", "村（社区）", 12),
    Column("item", "事项", 36), Column("step", "待办环节", 20), Column("due", "应办结日期", 12),
    Column("working_days_late", "超期（工作日）", 14),
    Column("calendar_days_late", "超期（自然日）", 14),
    Column("limit", "时限", 16),
)  # fmt: skip


@dataclass(frozen=True)
class Registers:
    """What a request asks to see: its villages, how the title names them, on which day."""

    villages: list[Place]
    label: str
    today: dt.date

    def seals(self, workspace: Workspace) -> list[dict[str, Any]]:
        """The seal-use register's lines, oldest first."""
        names = _names(self.villages)
        return [
            {
                "placed_at": line.placed_at, "village": names.get(line.village or "", ""),
                "organisation": line.organisation, "document": line.document, "page": line.page,
                "purpose": line.purpose, "operator": line.operator, "case_id": line.case_id or "",
            }
            for line in seal_register(workspace, self.villages)
        ]  # fmt: skip

    def overdue(self, workspace: Workspace) -> list[dict[str, Any]]:
        """The overdue list's lines, most late first."""
        names = _names(self.villages)
        return [
            {
                "case_id": late.case_id, "village": names.get(late.village, late.village),
                "item": f"{late.item_code} {late.item_name}", "step": late.step_name,
                "due": late.due, "working_days_late": late.working_days_late,
                "calendar_days_late": late.calendar_days_late,
                # A drafted limit is the district's to confirm: internal, not public.
                "limit": "起草，待确认（不公开）" if late.drafted else "已确认",
            }
            for late in overdue_register(workspace, self.today, self.villages)
        ]  # fmt: skip


def _names(villages: Sequence[Place]) -> dict[str, str]:
    return {place.village.code: place.village.name for place in villages}


def registers_of(request: Request, session: WebSession, village: str) -> Registers:
    """The villages of the session's scope, or the one asked for, if it may see its registers.

    Raises:
        InputInvalid: No such village.
        AccessDenied: The village is outside the scope, or the role has no registers (logged).
    """
    chosen = places_for(request, session, Action.VIEW_REGISTERS, village)
    if village:
        place = chosen[0]
        return Registers(chosen, f"{place.town.name}{place.village.name}", today(request))
    label = session.scope.label(open_workspace(request).directory)
    return Registers(chosen, label, today(request))


@router.get("")
def registers(request: Request, session: AccountDep, village: str = "") -> Response:
    """The seal-use register and the overdue list of the scope, or of one village."""
    asked = registers_of(request, session, village)
    workspace = open_workspace(request)
    scope = places(request, session, Action.VIEW_REGISTERS)
    context = {
        "scope": asked.label, "today": asked.today, "village": village,
        "villages": [(p.village.code, p.village.name) for p in scope],
        "seals": asked.seals(workspace), "overdue": asked.overdue(workspace),
        "_seal_columns": SEAL_COLUMNS, "_overdue_columns": OVERDUE_COLUMNS,
    }  # fmt: skip
    return page(request, "workspace/registers.html", context)


@router.get("/seals.xlsx")
def seals_workbook(request: Request, session: AccountDep, village: str = "") -> Response:
    """The seal-use register as an ``.xlsx`` workbook, titled with the scope and the day."""
    title = "{scope}用印登记（截至{day}）"
    return _download(request, session, village, "用印登记", title, SEAL_COLUMNS, Registers.seals)


@router.get("/overdue.xlsx")
def overdue_workbook(request: Request, session: AccountDep, village: str = "") -> Response:
    """The overdue list as an ``.xlsx`` workbook, titled with the scope and the day."""
    title = "{scope}逾期办件（限时办结，{day}）"
    rows = Registers.overdue
    return _download(request, session, village, "逾期办件", title, OVERDUE_COLUMNS, rows)


def _download(
    request: Request,
    session: WebSession,
    village: str,
    name: str,
    title: str,
    columns: Sequence[Column],
    rows: Callable[[Registers, Workspace], list[dict[str, Any]]],
) -> Response:
    """One register of the scope (or of ``village``) as a workbook titled ``title``."""
    asked = registers_of(request, session, village)
    heading = title.format(scope=asked.label, day=chinese_date(asked.today))
    data = workbook(heading, name, columns, rows(asked, open_workspace(request)))
    return file_response(data, f"{asked.label}-{name}-{asked.today}.xlsx", XLSX)


def workbook(
    title: str, sheet_name: str, columns: Sequence[Column], rows: Sequence[dict[str, Any]]
) -> bytes:
    """One sheet: a title row, the Chinese headers, the rows; widths set, headers frozen."""
    book = Workbook()
    sheet = book.active
    sheet.title = sheet_name
    sheet.append([title])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(columns))
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([column.header for column in columns])
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([_cell(row[column.key]) for column in columns])
    wrap = Alignment(wrap_text=True, vertical="top")
    for cells in sheet.iter_rows(min_row=3):
        for cell in cells:
            cell.alignment = wrap
            if isinstance(cell.value, str):
                cell.data_type = "s"  # typed text such as =SUM(…) stays text, never a formula
            elif isinstance(cell.value, dt.date):
                cell.number_format = "yyyy-mm-dd"
    for index, column in enumerate(columns):
        sheet.column_dimensions[sheet.cell(2, index + 1).column_letter].width = column.width
    sheet.freeze_panes = "A3"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _cell(value: object) -> object:
    """A value as a cell holds it.

    Times become text (a sheet has no time zones), control characters visible
    symbols (NUL as ␀: a sheet cannot hold them).
    """
    if isinstance(value, dt.datetime):
        return f"{value:%Y-%m-%d %H:%M}"
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub(lambda match: chr(0x2400 + ord(match[0])), value)
    return value
