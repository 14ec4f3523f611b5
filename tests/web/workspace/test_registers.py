"""The registers page: seal uses and overdue cases of each scope, as a page and as workbooks."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from pipeline.catalog.model import DayUnit
from pipeline.documents.stamp import SealUse
from pipeline.jobs.cases import case_overview
from pipeline.rules.calendar import CHINA, add_days
from pipeline.workspace import Workspace
from tests.web.workspace.conftest import Clock, District, activity, log_in

TODAY = dt.date(2026, 11, 30)  # the clock fixture's day
SEALS = {  # village code → (the seal's text, the stamped document)
    "QL-NM": ("临淄区齐陵街道南马村民委员会", "NM-2026-11-001-公示.pdf"),
    "QL-DZ": ("临淄区齐陵街道东周家村民委员会", "DZ-2026-11-001-公示.pdf"),
    "JX-BY": ("临淄区稷下街道北杨村民委员会", "BY-2026-11-001-公示.pdf"),
}
TYPED_OPERATOR = '=HYPERLINK("http://x")'  # what a spreadsheet would run if it were a formula


@pytest.fixture(scope="module")
def sealed(district: District) -> District:
    """The sample district with one seal placed in each of three villages (two towns)."""
    with Workspace.open(district.settings) as workspace:
        for code, (organisation, document) in SEALS.items():
            use = SealUse(
                organisation=organisation, document=document, page=1, purpose="公示",
                operator=TYPED_OPERATOR if code == "QL-NM" else "刘芳",
                placed_at=dt.datetime(2026, 11, 20, 9, 30, tzinfo=CHINA),
            )  # fmt: skip
            case_id = document.rsplit("-", 1)[0]
            workspace.store.record_seal_use(use, document_sha256="ab" * 32, case_id=case_id)
    return district


def _late(district: District, village: str, day: dt.date) -> set[str]:
    """The village's late cases as the cases pages see them (a second opinion)."""
    with Workspace.open(district.settings) as workspace:
        return {
            case.case_id
            for case in workspace.store.find(village=village)
            if case_overview(workspace, case, day).late
        }


def test_a_clerk_sees_only_her_villages_seals_and_late_cases(
    app_client: TestClient, sealed: District
) -> None:
    log_in(app_client, "nm-clerk")
    registers = app_client.get("/w/registers?format=json").json()
    assert registers["scope"] == "齐陵街道南马村"
    assert [s["document"] for s in registers["seals"]] == [SEALS["QL-NM"][1]]
    assert registers["seals"][0]["village"] == "南马村"
    late = {row["case_id"] for row in registers["overdue"]}
    assert late and late == _late(sealed, "QL-NM", TODAY)
    assert {row["village"] for row in registers["overdue"]} == {"南马村"}
    page = app_client.get("/w/registers")
    assert page.status_code == 200 and SEALS["QL-NM"][1] in page.text
    assert SEALS["QL-DZ"][1] not in page.text and "东周家村" not in page.text
    assert "=HYPERLINK(&#34;http://x&#34;)" in page.text  # typed text shows literally


def test_a_clerk_cannot_ask_for_another_village_in_any_form(
    app_client: TestClient, sealed: District
) -> None:
    log_in(app_client, "nm-clerk")
    for path in ("/w/registers", "/w/registers/seals.xlsx", "/w/registers/overdue.xlsx"):
        for village in ("QL-DZ", "东周家村", "JX-BY"):
            answer = app_client.get(path, params={"village": village})
            assert answer.status_code == 403, (path, village)
            assert "无权" in answer.text and SEALS["QL-DZ"][1] not in answer.text
    refusals = [what for action, what in activity(sealed, "nm-clerk") if action == "refused"]
    assert len(refusals) >= 9 and all("view-registers" in what for what in refusals[-9:])
    unknown = app_client.get("/w/registers", params={"village": "没有这个村"})
    assert unknown.status_code == 400 and "没有这个村" in unknown.text


def test_an_office_sees_its_town_and_each_of_its_villages(
    app_client: TestClient, sealed: District
) -> None:
    log_in(app_client, "ql-office")
    registers = app_client.get("/w/registers?format=json").json()
    assert registers["scope"] == "齐陵街道"
    assert {s["document"] for s in registers["seals"]} == {SEALS["QL-NM"][1], SEALS["QL-DZ"][1]}
    late = {row["case_id"] for row in registers["overdue"]}
    assert late == _late(sealed, "QL-NM", TODAY) | _late(sealed, "QL-DZ", TODAY)
    assert _late(sealed, "QL-DZ", TODAY) and not late & _late(sealed, "JX-BY", TODAY)
    one = app_client.get("/w/registers?village=QL-DZ&format=json").json()
    assert one["scope"] == "齐陵街道东周家村"
    assert [s["document"] for s in one["seals"]] == [SEALS["QL-DZ"][1]]
    assert {row["case_id"] for row in one["overdue"]} == _late(sealed, "QL-DZ", TODAY)
    assert app_client.get("/w/registers?village=JX-BY").status_code == 403
    # The supervision committee reads the registers of its village too.
    app_client.cookies.clear()
    log_in(app_client, "nm-supervisor")
    assert app_client.get("/w/registers?format=json").json()["scope"] == "齐陵街道南马村"


def test_the_registers_download_as_workbooks_with_their_rows(
    app_client: TestClient, sealed: District
) -> None:
    log_in(app_client, "ql-office")
    shown = app_client.get("/w/registers?format=json").json()
    seals = app_client.get("/w/registers/seals.xlsx")
    assert seals.status_code == 200 and seals.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml"
    )
    assert "filename*=UTF-8''" in seals.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(seals.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "齐陵街道用印登记（截至2026年11月30日）"
    assert rows[1][:4] == ("用印时间", "村（社区）", "印章", "用印文件")
    assert [r[3] for r in rows[2:]] == [s["document"] for s in shown["seals"]]
    assert rows[2][0] == "2026-11-20 09:30"
    assert TYPED_OPERATOR in {r[6] for r in rows[2:]}  # kept as text, not run as a formula
    assert all(cell.data_type == "s" for cell in sheet["G"][2:])
    assert sheet.column_dimensions["D"].width == 40 and sheet.freeze_panes == "A3"

    overdue = app_client.get("/w/registers/overdue.xlsx?village=QL-NM")
    sheet = load_workbook(io.BytesIO(overdue.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "齐陵街道南马村逾期办件（限时办结，2026年11月30日）"
    assert rows[1] == (
        "办件编号", "村（社区）", "事项", "待办环节", "应办结日期",
        "超期（工作日）", "超期（自然日）", "时限",
    )  # fmt: skip
    assert {r[0] for r in rows[2:]} == _late(sealed, "QL-NM", TODAY)
    assert all(isinstance(r[4], dt.datetime) and r[5] >= 1 for r in rows[2:])


def _due_soon(district: District) -> tuple[str, dt.date]:
    """An open case of 南马村 whose pending step falls due on or after today."""
    with Workspace.open(district.settings) as workspace:
        for case in workspace.store.find(village="QL-NM"):
            seen = case_overview(workspace, case, TODAY)
            if seen.step_due is not None and seen.step_due >= TODAY:
                return case.case_id, seen.step_due
    raise AssertionError("no case of 南马村 falls due after today")


def test_the_overdue_list_moves_with_the_clock(
    app_client: TestClient, sealed: District, clock: Clock
) -> None:
    case_id, due = _due_soon(sealed)

    def overdue_on(day: dt.date) -> dict[str, int]:
        clock.now = (day - TODAY).days * 86400.0
        log_in(app_client, "nm-clerk")  # a day later the last session has run out
        rows = app_client.get("/w/registers?format=json").json()["overdue"]
        return {row["case_id"]: row["working_days_late"] for row in rows}

    assert case_id not in overdue_on(due)  # due today is not late
    after = add_days(due, 1, DayUnit.WORKING)
    assert overdue_on(after)[case_id] == 1
    page = app_client.get("/w/registers")
    assert case_id in page.text and f"{after.year}年{after.month}月{after.day}日" in page.text
