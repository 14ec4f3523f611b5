"""A village clerk's day in the workspace, in headless Chromium at a desk and on a phone.

The real app served by uvicorn (its clock injected), Debian's Chromium, real LibreOffice
and the session's S3 server, in a fresh data folder with two accounts: 南马村's clerk and
齐陵街道's office. The clerk logs in, uploads her month's ledger with two bad cells and
sees them located, fixes them and uploads it again, records a step the rules refuse and
then the right one, prints the board's notices of a day and opens their one PDF; the next
working day after a deadline she finds the case late; the office builds the month's pack.

Each step is seen at 1280×900 and at 390×844 (a second browser context, logged in on
its own); the screenshots, ``ws-NN-<step>-desk.png`` and ``-phone.png``, are written to
``tests/web/screenshots/`` for review. No page may scroll sideways on the phone (a
table scrolls inside its ``.table-wrap``).
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from pipeline.accounts.store import AccountStore
from pipeline.archive.objectstore import ObjectStore
from pipeline.catalog.model import DayUnit
from pipeline.config import Settings
from pipeline.jobs.cases import case_overview
from pipeline.programs.s3server import EmbeddedS3
from pipeline.rules.calendar import CHINA, add_days
from pipeline.web import create_app
from pipeline.web.config import WebConfig
from pipeline.web.workspace import month as month_module
from pipeline.workspace import Workspace
from tests.conftest import pdf_text
from tests.web.browser import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS, serve
from tests.web.conftest import archive_settings
from tests.web.workspace.conftest import ACCOUNTS, LEDGERS, PASSWORD, Clock, District
from tests.web.workspace.test_cases import _valid_step as valid_step
from tests.web.workspace.test_notices import ID_18, MOBILE
from tests.web.workspace.test_notices import _pages_with_a_seal as pages_with_a_seal

pytestmark = [pytest.mark.s3, pytest.mark.soffice, pytest.mark.slow]

LEDGER = LEDGERS / "南马村-2026-11-台账.xlsx"
CASES_SHEET = "办件台账"
BAD_ID_CASE, BAD_DATE_CASE = "NM-2026-11-002", "NM-2026-11-005"
"""The rows broken: one ID number's check digit, one date (neither case is used later)."""
POSTED = "2026-11-05"  # 南马村 posts a 公示 and a 结果公开 that day
CLERK, OFFICE = "nm-clerk", "ql-office"
DESK = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
CODE = re.compile(r"[0-9A-Z]{4}-[0-9A-Z]{4}$")  # a notice's 核验码
PRINT_TIMEOUT = 180_000  # ms: LibreOffice starts for the notices, then for the pack
CONFIG = WebConfig(
    session_idle=1800, session_lifetime=8 * 3600, page_size=20, lookups_per_minute=20,
    logins_per_minute=1000, secure_cookies=False,
)  # fmt: skip


@dataclass
class Day:
    """The app's address, the two pages (desk, phone) and the screenshots taken."""

    base: str
    desk: Any
    phone: Any
    shots: list[Path] = field(default_factory=list)

    def shot(self, page: Any, name: str) -> None:
        """A full-page screenshot, ``ws-<name>-desk.png`` or ``-phone.png``."""
        page.wait_for_load_state("load")
        width = "phone" if page is self.phone else "desk"
        path = SCREENSHOTS / f"ws-{name}-{width}.png"
        page.screenshot(path=str(path), full_page=True)
        self.shots.append(path)

    def both(self, path: str, name: str) -> None:
        """The page at ``path`` on both screens (the desk's already there), shot and fitted."""
        self.phone.goto(self.base + path)
        self.shot(self.desk, name)
        self.shot(self.phone, name)
        fits(self.phone)


def fits(page: Any) -> None:
    """The page does not scroll sideways on the phone (tables scroll inside their box)."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"] + 1, f"{page.url} scrolls sideways on a phone ({width}px)"


def on_screen(page: Any, selector: str) -> None:
    """The button or link is shown, whole, within the screen's width."""
    target = page.locator(selector).first
    assert target.is_visible(), f"{selector} is not shown on {page.url}"
    box = target.bounding_box()
    assert box is not None and box["x"] >= 0, selector
    assert box["x"] + box["width"] <= page.viewport_size["width"] + 1, f"{selector} is cut off"


def log_in(page: Any, base: str, name: str) -> None:
    """Log in through the login page, as the clerk does."""
    if not page.url.startswith(f"{base}/login"):
        page.goto(f"{base}/login")
    page.fill("#name", name)
    page.fill("#password", PASSWORD)
    page.click("button:has-text('登录工作台')")
    page.wait_for_url(f"{base}/w")


def upload(page: Any, base: str, ledger: Path) -> dict[str, str]:
    """Upload ``ledger`` on the ledger page; the result's facts (读入, 改动…)."""
    page.goto(f"{base}/w/ledger")
    page.set_input_files("#ledger", str(ledger))
    page.click("button:has-text('上传并导入')")
    page.wait_for_selector("#result")
    terms = page.locator("#result dl.facts dt").all_inner_texts()
    return dict(zip(terms, page.locator("#result dl.facts dd").all_inner_texts(), strict=True))


def problems(page: Any) -> set[tuple[str, int, str]]:
    """The located problems the ledger page lists: (sheet, row, column)."""
    rows = page.locator("table.issues tbody tr").all()
    cells = [row.locator("td").all_inner_texts() for row in rows]
    return {(cell[1], int(cell[2]), cell[3]) for cell in cells}


def broken_ledger(folder: Path) -> tuple[Path, dict[str, Any], set[tuple[str, int, str]]]:
    """The sample ledger with two bad cells; the cells' right values; where they are."""
    book = openpyxl.load_workbook(LEDGER)
    sheet = book[CASES_SHEET]
    header = [cell.value for cell in sheet[1]]
    rows = {row[0].value: row[0].row for row in sheet.iter_rows(min_row=2)}
    id_cell = sheet.cell(rows[BAD_ID_CASE], header.index("身份证号") + 1)
    date_cell = sheet.cell(rows[BAD_DATE_CASE], header.index("受理日期") + 1)
    right = {id_cell.coordinate: id_cell.value, date_cell.coordinate: date_cell.value}
    digit = id_cell.value[-1]
    id_cell.value = id_cell.value[:-1] + ("1" if digit == "0" else "0")  # a wrong check digit
    date_cell.value = "2026-11-31"  # typed, and no such day
    path = folder / LEDGER.name
    book.save(path)
    located = {(CASES_SHEET, id_cell.row, "身份证号"), (CASES_SHEET, date_cell.row, "受理日期")}
    return path, right, located


def fixed_ledger(broken: Path, right: dict[str, Any], folder: Path) -> Path:
    """The broken ledger with its two cells typed again right (same name, as a clerk saves)."""
    book = openpyxl.load_workbook(broken)
    for coordinate, value in right.items():
        book[CASES_SHEET][coordinate] = value
    folder.mkdir()
    path = folder / broken.name
    book.save(path)
    return path


def add_accounts(settings: Settings) -> None:
    """The clerk of 南马村 and the office of its town, in the fresh data folder."""
    with Workspace.open(settings) as workspace:
        store = AccountStore.of(settings)
        try:
            for name in (CLERK, OFFICE):
                role, scope = ACCOUNTS[name]
                store.add(name, role, scope, PASSWORD, workspace.directory)
        finally:
            store.close()


def next_deadline(settings: Settings, today: dt.date) -> tuple[str, dt.date]:
    """An open case of 南马村 not late today, and the working day after its step is due."""
    with Workspace.open(settings) as workspace:
        seen = [case_overview(workspace, c, today) for c in workspace.store.find(village="QL-NM")]
        waiting = sorted(
            (s.step_due, s.case.case_id) for s in seen if s.step_due is not None and not s.late
        )
        assert waiting, "no case of 南马村 has a deadline ahead"
        due, case_id = waiting[0]
        after = add_days(due, 1, DayUnit.WORKING)
        late = case_overview(workspace, workspace.store.get(case_id), after)
    assert late.late, (case_id, due, after)
    return case_id, after


def pdf_pages(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    found = re.search(r"^Pages:\s+(\d+)", info.stdout, re.MULTILINE)
    assert found, info.stdout
    return int(found.group(1))


def test_a_clerks_day_at_a_desk_and_on_a_phone(
    tmp_path: Path, s3_server: EmbeddedS3, fresh_store: ObjectStore
) -> None:
    from playwright import sync_api  # a dev dependency: missing is a failure, never a skip

    started = time.monotonic()
    data = archive_settings(tmp_path / "data", s3_server, fresh_store.bucket)
    settings = replace(data, converter_workers=1)
    add_accounts(settings)
    clock = Clock()  # 2026-11-30, 10:00 in China
    first_day = clock().astimezone(CHINA).date()
    broken, right, located = broken_ledger(tmp_path)
    fixed = fixed_ledger(broken, right, tmp_path / "fixed")
    SCREENSHOTS.mkdir(exist_ok=True)

    with (
        serve(create_app(settings, config=CONFIG, clock=clock)) as base,
        sync_api.sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            at_desk = browser.new_context(viewport=DESK, locale="zh-CN")
            on_phone = browser.new_context(
                viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
                locale="zh-CN",
            )  # fmt: skip
            day = Day(base, at_desk.new_page(), on_phone.new_page())
            desk, phone = day.desk, day.phone

            # 1. The login page, then the clerk's start page.
            desk.goto(f"{base}/login")
            day.both("/login", "01-login")
            on_screen(phone, "button:has-text('登录工作台')")
            log_in(desk, base, CLERK)
            log_in(phone, base, CLERK)
            assert "南马村" in desk.inner_text("main")

            # 2. The ledger with two bad cells: both located, the other rows imported.
            facts = upload(desk, base, broken)
            assert problems(desk) == located
            assert "读入" in facts and "退回 2 件" in facts["读入"]
            upload(phone, base, broken)
            assert problems(phone) == located
            day.shot(desk, "02-ledger-errors")
            day.shot(phone, "02-ledger-errors")
            fits(phone)

            # 3. Fixed and sent again: every row imported, the two new.
            facts = upload(desk, base, fixed)
            assert "全部 21 件已导入" in desk.inner_text("#result")
            assert facts["读入"].startswith("21 件 = 导入 21 件 + 退回 0 件")
            assert "新增 2 件" in facts["改动"]
            assert desk.locator("table.issues").count() == 0
            facts = upload(phone, base, fixed)
            assert "新增 0 件" in facts["改动"]  # the same ledger again changes nothing
            day.shot(desk, "03-ledger-imported")
            day.shot(phone, "03-ledger-imported")
            fits(phone)

            # … its meetings came with it: each with its quorum line, the minutes to sign.
            desk.click("header nav a:has-text('会议记录')")
            desk.wait_for_url(f"{base}/w/meetings")
            day.both("/w/meetings", "03-meetings")
            cards = phone.locator("section.meeting")
            assert cards.count() >= 3 and "符合三分之二以上要求" in phone.inner_text("main")
            on_screen(phone, "a.button:has-text('印出会议记录（签字用）')")

            # 4. A case waiting for a step: first a date before the step before it.
            case_id, form, last = valid_step(District(settings))
            desk.goto(f"{base}/w/cases")
            assert desk.locator("table.cases tbody tr").count() == 21
            day.both("/w/cases", "04-cases")
            desk.click(f"a:has-text('{case_id}')")
            desk.wait_for_url(f"{base}/w/cases/{case_id}")
            day.both(f"/w/cases/{case_id}", "05-case")
            on_screen(phone, "a.button:has-text('记录下一步')")
            early = {**form, "date": (last - dt.timedelta(days=1)).isoformat()}
            for page in (desk, phone):
                page.goto(f"{base}/w/cases/{case_id}")
                page.click("a.button:has-text('记录下一步')")
                enter_step(page, early)
                refusal = page.inner_text(".error[role=alert]")
                assert "未记录：不符合办理规则" in refusal and "早于" in refusal, refusal
                assert "强制办理理由" not in page.content()  # a clerk may not force
            day.shot(desk, "06-step-refused")
            day.shot(phone, "06-step-refused")
            fits(phone)

            # … then the right one.
            enter_step(desk, form)
            desk.wait_for_url(re.compile(rf"/w/cases/{case_id}\?recorded="))
            assert "已记录办理环节" in desk.inner_text("main")
            day.both(f"/w/cases/{case_id}", "07-step-recorded")

            # 5. The board's notices of a day: printed in one PDF, stamped, masked.
            desk.goto(f"{base}/w/notices?date={POSTED}")
            day.both(f"/w/notices?date={POSTED}", "08-notices")
            assert desk.locator("main table tbody tr").count() == 2
            on_screen(phone, "button:has-text('打印并归档')")
            desk.click("button:has-text('打印并归档')", timeout=PRINT_TIMEOUT)
            desk.wait_for_selector("#result", timeout=PRINT_TIMEOUT)
            assert "已生成 2 份公告" in desk.inner_text("#result")
            assert "未归档" not in desk.inner_text("#result")
            codes = [c for c in desk.locator("#result td.code").all_inner_texts() if CODE.match(c)]
            day.both(f"/w/notices?date={POSTED}", "09-notices-printed")
            on_screen(phone, "a:has-text('上次打印的合订 PDF')")
            printout = open_printout(desk, tmp_path / "printout.pdf")
            check_printout(printout, codes, settings)

            # 6. The next working day after a deadline: the case is late.
            late_case, next_day = next_deadline(settings, first_day)
            clock.now = (next_day - first_day).days * 86400.0
            for page in (desk, phone):
                answer = page.goto(f"{base}/w/cases")
                assert answer is not None and answer.status == 401  # the night ended the session
                assert "登录已过期" in page.inner_text("main")
            day.shot(desk, "10-next-day-login")
            day.shot(phone, "10-next-day-login")
            for page in (desk, phone):
                log_in(page, base, CLERK)
                page.goto(f"{base}/w/cases")
                row = page.locator("table.cases tbody tr", has_text=late_case)
                assert "late" in (row.get_attribute("class") or "")
                assert "逾期" in row.inner_text()
            day.shot(desk, "11-cases-late")
            day.shot(phone, "11-cases-late")
            fits(phone)

            # 7. The town office builds 南马村's pack of the month, in the background.
            for page in (desk, phone):
                page.click("header button:has-text('退出')")
                page.wait_for_url(f"{base}/login?bye=1")
                log_in(page, base, OFFICE)
            desk.goto(f"{base}/w/month")
            day.both("/w/month", "12-month")
            run_page = start_pack(desk, "2026-11", "QL-NM")
            try:
                assert "排队中" in desk.inner_text("p.verdict")
                day.both(run_page.removeprefix(base), "13-month-queued")
            finally:
                month_module._build_slot.release()
            for page in (desk, phone):
                page.locator("p.verdict", has_text="已完成").wait_for(timeout=PRINT_TIMEOUT)
            on_screen(phone, "a:has-text('南马村月度公开材料.pdf')")
            day.shot(desk, "14-month-done")
            day.shot(phone, "14-month-done")
            fits(phone)
            pack = desk.locator("a:has-text('南马村月度公开材料.pdf')").get_attribute("href")
            answer = at_desk.request.get(base + str(pack))
            assert answer.ok and answer.headers["content-type"] == "application/pdf"
            (tmp_path / "pack.pdf").write_bytes(answer.body())
            assert pdf_pages(tmp_path / "pack.pdf") >= 1
        finally:
            browser.close()
    took = time.monotonic() - started
    print(f"\nthe clerk's day took {took:.0f} s; screenshots:", *day.shots, sep="\n  ")


def enter_step(page: Any, form: dict[str, str]) -> None:
    """Fill the step form (actor, date, meeting record) and send it."""
    page.select_option("#actor", form["actor"])
    page.fill("#date", form["date"])
    if form["meeting_record"]:
        page.fill("#meeting_record", form["meeting_record"])
    page.click("form.step button:has-text('记录')")
    page.wait_for_load_state("load")


def open_printout(page: Any, target: Path) -> Path:
    """Open the day's one PDF from the print result's link; saved to ``target``."""
    link = page.locator("a:has-text('打开合订 PDF 打印')")
    href = link.get_attribute("href")
    assert href and link.get_attribute("target") == "_blank"
    with page.context.expect_page() as opening:
        link.click()
    opened = opening.value
    assert opened.url.endswith(href), opened.url
    opened.close()
    answer = page.context.request.get(page.url.split("/w/")[0] + href)
    assert answer.ok and answer.headers["content-type"] == "application/pdf"
    target.write_bytes(answer.body())
    return target


def check_printout(pdf: Path, codes: list[str], settings: Settings) -> None:
    """One page a notice or more, each stamped; the codes in it; no full ID or phone."""
    pages = pdf_pages(pdf)
    assert pages >= len(codes) == 2
    assert pages_with_a_seal(pdf) == set(range(1, pages + 1))
    text = pdf_text(pdf)
    joined = "".join(text.split())
    assert all(code in joined for code in codes)
    assert not ID_18.search(joined) and not MOBILE.search(joined)
    with Workspace.open(settings) as workspace:
        ids = [c.applicant.id_number for c in workspace.store.find(village="QL-NM")]
    assert not any(number and number in joined for number in ids)
    assert "*" in text  # the masked IDs


def start_pack(page: Any, month: str, village: str) -> str:
    """Start the month's pack of one village; the run's page, queued (the build slot held).

    The slot is held so the queued page is seen for certain; the caller releases it.
    """
    for box in page.locator("input[name=village]").all():
        box.set_checked(box.get_attribute("value") == village)
    page.fill("#month", month)
    month_module._build_slot.acquire()
    try:
        page.click("button:has-text('开始生成')")
        page.wait_for_url(re.compile(r"/w/month/runs/\d+$"))
    except BaseException:
        month_module._build_slot.release()
        raise
    return str(page.url)
