"""The village's board, an objection and the supervision desk, in headless Chromium.

The real app served by uvicorn (its clock on Monday 9 November 2026), Debian's Chromium,
real LibreOffice and the session's S3 server, over the board's district: 南马村's
notices really issued and filed. A villager scans a 公示's QR code on a phone, reads
the sheet and objects (a hostile text, a rare character, a photo); the clerk's next
step of the case is held; nobody but 南马村's supervision committee may read the
objection; the committee answers it at a desk and the answer is filed under lock; the
villager reads the answer; the clerk goes on; the town office's pack of the month
counts the objection.

The screenshots, ``board-NN-<step>-phone.png`` or ``-desk.png``, are written to
``tests/web/screenshots/`` for review; ``board-village-phone.png`` (the board's first
screen on a phone) is the picture of ``docs/board-phone.png``.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from PIL import Image, ImageDraw

from pipeline.accounts.model import AccountRole, Scope
from pipeline.accounts.store import AccountStore
from pipeline.web import create_app
from pipeline.web.config import WebConfig
from pipeline.workspace import Workspace
from tests.conftest import pdf_text
from tests.s3 import assert_locked
from tests.web.board.conftest import Board, BoardClock, board  # noqa: F401
from tests.web.browser import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS, serve
from tests.web.workspace.conftest import PASSWORD, district  # noqa: F401

if TYPE_CHECKING:
    from playwright.sync_api import ViewportSize

pytestmark = [pytest.mark.s3, pytest.mark.soffice, pytest.mark.slow]

CASE = "NM-2026-11-001"  # 低保申请 of 南马村, its 公示 posted 2026-11-07 for 7 days
NOTICE = (CASE, "public_notice")
NEXT_STEP = {"actor": "区民政局", "date": "2026-11-16"}  # 审核确认, after the period
HOSTILE = "他家有两辆车，不符合低保条件。<script>alert(1)</script> 𠮷"
NAME, PHONE = "赵异议", "13955556666"
FINDINGS = "经核实，两辆车均登记在其子名下，其子已分户，不影响认定。"
SUMMARY = "本月收到异议1件、反映问题0件，已答复1件，成立0件"  # the pack's 八、异议与反映
CLERK, COMMITTEE, OFFICE = "nm-clerk", "nm-supervisor", "ql-office"
OTHER_COMMITTEE = "dz-supervisor"  # 东周家村's committee, added by the test
DESK: ViewportSize = {"width": 1280, "height": 800}
PHONE_SCREEN: ViewportSize = {"width": 390, "height": 844}
RECEIPT = re.compile(r"/objection/([0-9A-Z]{4}-[0-9A-Z]{4})\?new=1$")
ARCHIVAL_CODE = re.compile(r"LZ-QL-[0-9A-Z.\-]+")
STEP_BUTTON = "form.step button:has-text('记录')"
SLOW = 180_000  # ms: LibreOffice writes the objection's record, then the pack
CONFIG = WebConfig(
    session_idle=1800, session_lifetime=8 * 3600, page_size=20, lookups_per_minute=1000,
    logins_per_minute=1000, objections_per_hour=100, objections_per_notice=100,
    secure_cookies=False,
)  # fmt: skip


@dataclass
class Shots:
    """The screenshots taken, each full page, named by step and screen."""

    taken: list[Path] = field(default_factory=list)

    def __call__(self, page: Any, name: str) -> Path:
        page.wait_for_load_state("load")
        screen = "phone" if page.viewport_size["width"] < 600 else "desk"
        path = SCREENSHOTS / f"board-{name}-{screen}.png"
        page.screenshot(path=str(path), full_page=True)
        self.taken.append(path)
        return path


def fits(page: Any) -> None:
    """The page does not scroll sideways on its screen."""
    width = page.evaluate("document.scrollingElement.scrollWidth")
    screen = page.viewport_size["width"]
    assert width <= screen, f"{page.url} scrolls sideways at {screen}px ({width}px)"


def images_loaded(page: Any, selector: str) -> list[int]:
    """The natural widths of the images at ``selector``, each scrolled to and loaded."""
    images = page.locator(selector)
    assert images.count() > 0, f"no {selector} on {page.url}"
    for image in images.all():
        image.scroll_into_view_if_needed()
    page.wait_for_function(
        "s => [...document.querySelectorAll(s)].every(i => i.complete && i.naturalWidth > 0)",
        arg=selector,
    )
    return [int(width) for width in images.evaluate_all("all => all.map(i => i.naturalWidth)")]


def log_in(page: Any, base: str, name: str) -> None:
    """Log in through the login page, as a clerk does."""
    page.goto(f"{base}/login")
    page.fill("#name", name)
    page.fill("#password", PASSWORD)
    page.click("button:has-text('登录工作台')")
    page.wait_for_url(f"{base}/w")


def photo(folder: Path) -> Path:
    """A small real JPEG, as a phone's camera would send (smaller)."""
    picture = Image.new("RGB", (320, 240), "#7aa7d8")
    ImageDraw.Draw(picture).rectangle((40, 120, 280, 200), fill="#444")  # a car, roughly
    path = folder / "车辆.jpg"
    picture.save(path, "JPEG", quality=80)
    return path


def add_other_committee(board: Board) -> None:  # noqa: F811
    """东周家村's supervision committee: a committee, of another village."""
    with Workspace.open(board.settings) as workspace:
        store = AccountStore.of(board.settings)
        try:
            store.add(
                OTHER_COMMITTEE, AccountRole.SUPERVISOR, Scope(village="QL-DZ"), PASSWORD,
                workspace.directory,
            )  # fmt: skip
        finally:
            store.close()


def submit(page: Any, path: str, button: str) -> Any:
    """Click the form's ``button``; the answer to the POST to ``path``."""
    with page.expect_response(
        lambda r: r.request.method == "POST" and r.url.split("?")[0].endswith(path),
        timeout=SLOW,
    ) as answer:
        page.click(button, timeout=SLOW)
    page.wait_for_load_state("load")
    return answer.value


def refused(page: Any, base: str, path: str) -> None:
    """``path`` is the 403 page (无权) for the page's account."""
    answer = page.goto(base + path)
    assert answer is not None and answer.status == 403, (path, answer and answer.status)
    assert "无权" in page.inner_text("main"), page.inner_text("main")


def test_a_villager_objects_and_the_committee_answers(
    tmp_path: Path,
    board: Board,  # noqa: F811
) -> None:
    from playwright import sync_api  # a dev dependency: missing is a failure, never a skip

    started = time.monotonic()
    code = board.codes[NOTICE]
    add_other_committee(board)
    shot = Shots()
    SCREENSHOTS.mkdir(exist_ok=True)
    dialogs: list[str] = []

    def no_dialog(dialog: Any) -> None:
        dialogs.append(dialog.message)  # a script ran: the test fails below
        dialog.dismiss()

    app = create_app(board.settings, config=CONFIG, clock=BoardClock())
    with serve(app) as base, sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:

            def desk() -> Any:
                opened = browser.new_context(viewport=DESK, locale="zh-CN").new_page()
                opened.on("dialog", no_dialog)
                return opened

            phone_context = browser.new_context(
                viewport=PHONE_SCREEN, device_scale_factor=2, is_mobile=True, has_touch=True,
                locale="zh-CN",
            )  # fmt: skip
            villager = phone_context.new_page()
            villager.on("dialog", no_dialog)

            # 0. The village's board on a phone (the README's picture) and at a desk.
            villager.goto(f"{base}/v/QL-NM")
            assert "还剩5天" in villager.locator(f"a[href='/n/{code}']").inner_text()
            fits(villager)
            villager.screenshot(path=str(SCREENSHOTS / "board-village-phone.png"))
            shot(villager, "00-village")
            at_desk = desk()
            for path in ("/v/QL-NM", f"/n/{code}"):
                at_desk.goto(base + path)
                fits(at_desk)
            images_loaded(at_desk, ".sheet-pages img")
            shot(at_desk, "00-notice")
            at_desk.context.close()

            # 1. The QR code of the 公示 opens its page: the sheet as images, code, days left.
            villager.goto(f"{base}/n/{code}")
            assert all(width > 0 for width in images_loaded(villager, ".sheet-pages img"))
            fits(villager)
            facts = villager.inner_text("dl.facts")
            assert "核验码" in facts and code in facts
            assert villager.inner_text("p.days-left") == "公示中 · 还剩5天"
            shot(villager, "01-notice")

            # 2. 提出异议: a hostile text, a rare character, name, phone and a photo.
            villager.tap("a.button:has-text('提出异议')")
            villager.wait_for_url(f"{base}/n/{code}/objection")
            fits(villager)
            villager.fill("#text", HOSTILE)
            villager.fill("#name", NAME)
            villager.fill("#phone", PHONE)
            villager.set_input_files("#photo", str(photo(tmp_path)))
            shot(villager, "02-objection-form")
            sent = submit(villager, f"/n/{code}/objection", "form.objection-form button")
            assert sent.status == 303, sent.status
            found = RECEIPT.search(villager.url)
            assert found, villager.url
            receipt = found.group(1)
            assert villager.inner_text("p.receipt-code") == receipt
            assert villager.inner_text("p.literal") == HOSTILE  # as text, not as a tag
            assert villager.locator("p.literal *").count() == 0
            page_html = villager.content()
            assert NAME not in page_html and PHONE not in page_html
            assert "待答复" in villager.inner_text("main") and not dialogs
            fits(villager)
            shot(villager, "03-receipt")
            with Workspace.open(board.settings) as workspace:
                due = workspace.objections.get(receipt).due_on
            assert due > dt.date(2026, 11, 9)

            # 3. The clerk's next step of the case is held until the committee answers.
            clerk = desk()
            log_in(clerk, base, CLERK)
            clerk.goto(f"{base}/w/cases/{CASE}/step")
            clerk.select_option("#actor", NEXT_STEP["actor"])
            clerk.fill("#date", NEXT_STEP["date"])
            held = submit(clerk, f"/w/cases/{CASE}/step", STEP_BUTTON)
            assert held.status == 409, held.status
            refusal = clerk.inner_text(".error[role=alert]")
            assert receipt in refusal and "尚未答复" in refusal, refusal
            assert NAME not in clerk.content()
            shot(clerk, "04-step-held")

            # 4. Nobody else reads the objection: no login, the clerk, another village.
            answer = villager.goto(f"{base}/w/supervision")
            assert answer is not None and answer.status == 401
            assert villager.locator("#password").is_visible()
            assert "请先用账号和密码登录" in villager.inner_text("main")
            shot(villager, "05-desk-needs-login")
            for path in ("/w/supervision", f"/w/supervision/{receipt}"):
                refused(clerk, base, path)
            shot(clerk, "05-desk-refused")
            for name in ("dz-clerk", OFFICE, OTHER_COMMITTEE):
                other = desk()
                log_in(other, base, name)
                refused(other, base, f"/w/supervision/{receipt}")
                refused(other, base, f"/w/supervision/{receipt}/photo")
                if name == OTHER_COMMITTEE:  # a desk of its own, without 南马村's objection
                    answer = other.goto(f"{base}/w/supervision")
                    assert answer is not None and answer.status == 200
                    assert receipt not in other.content() and NAME not in other.content()
                else:
                    refused(other, base, "/w/supervision")
                other.context.close()

            # 5. The committee reads who objected, sees the photo and answers.
            committee = desk()
            log_in(committee, base, COMMITTEE)
            committee.click("a:has-text('监督台')")
            committee.wait_for_url(f"{base}/w/supervision")
            row = committee.locator("#inbox tbody tr", has_text=receipt)
            assert row.count() == 1 and due.isoformat() in row.inner_text()
            assert CASE in row.inner_text() and "待答复" in row.inner_text()
            fits(committee)
            shot(committee, "06-desk")
            row.locator(f"a:has-text('{receipt}')").click()
            committee.wait_for_url(f"{base}/w/supervision/{receipt}")
            facts = committee.inner_text("dl.facts")
            assert NAME in facts and PHONE in facts and code in facts
            assert committee.inner_text("p.literal") == HOSTILE and not dialogs
            link = committee.locator("a:has-text('查看照片')").get_attribute("href")
            assert link == f"/w/supervision/{receipt}/photo"
            width = committee.evaluate(
                """src => new Promise((done, failed) => {
                    const image = new Image();
                    image.onload = () => done(image.naturalWidth);
                    image.onerror = () => failed(new Error("the photo does not load"));
                    image.src = src;
                })""",
                link,
            )
            assert width == 320
            shot(committee, "07-objection")
            committee.fill("#findings", FINDINGS)
            committee.select_option("#decision", "不成立")
            done = submit(committee, f"/w/supervision/{receipt}", "button:has-text('提交答复')")
            assert done.status == 303, done.status
            assert committee.url == f"{base}/w/supervision/{receipt}"  # not ?unfiled=1
            answered = committee.inner_text("main")
            assert "已答复" in answered and "异议不成立" in answered and FINDINGS in answered
            filed = ARCHIVAL_CODE.search(answered)
            assert filed, answered
            archival_code = filed.group(0)
            shot(committee, "08-answered")

            # 6. The villager reads the answer, never who gave it.
            villager.goto(f"{base}/objection/{receipt}")
            shown = villager.inner_text("main")
            assert "已答复（不成立）" in shown and FINDINGS in shown, shown
            assert COMMITTEE not in villager.content() and NAME not in villager.content()
            fits(villager)
            shot(villager, "09-answer")

            # 7. The clerk goes on.
            clerk.goto(f"{base}/w/cases/{CASE}/step")
            clerk.select_option("#actor", NEXT_STEP["actor"])
            clerk.fill("#date", NEXT_STEP["date"])
            went_on = submit(clerk, f"/w/cases/{CASE}/step", STEP_BUTTON)
            assert went_on.status == 303, went_on.status
            assert re.search(rf"/w/cases/{CASE}\?recorded=", clerk.url), clerk.url
            assert "已记录办理环节" in clerk.inner_text("main")
            shot(clerk, "10-step-recorded")

            # 8. The town office's pack of November counts the objection, and files it.
            office = desk()
            log_in(office, base, OFFICE)
            pack, pack_code = build_pack(office, base, tmp_path / "pack.pdf")
            shot(office, "11-pack")
            text = "".join(pdf_text(pack).split())
            assert "八、异议与反映" in text
            assert SUMMARY in text
            assert receipt in text and NAME not in text and PHONE not in text
            on_board = phone_context.request.get(f"{base}/v/QL-NM/packs/2026-11/pack.pdf")
            assert on_board.ok
            (tmp_path / "board-pack.pdf").write_bytes(on_board.body())  # the version just filed
            assert SUMMARY in "".join(pdf_text(tmp_path / "board-pack.pdf").split())

            # 9. The archive holds the objection's record and the pack under lock.
            assert_locked(board.settings, archival_code)
            assert_locked(board.settings, pack_code)
            assert not dialogs, f"a script ran on a page: {dialogs}"
        finally:
            browser.close()
    took = time.monotonic() - started
    print(f"\nthe objection's way took {took:.0f} s; screenshots:", *shot.taken, sep="\n  ")


def build_pack(page: Any, base: str, target: Path) -> tuple[Path, str]:
    """南马村's pack of November, built and filed on the month page; the PDF, its code."""
    page.goto(f"{base}/w/month")
    for box in page.locator("input[name=village]").all():
        box.set_checked(box.get_attribute("value") == "QL-NM")
    page.fill("#month", "2026-11")
    page.locator("input[name=archive]").set_checked(True)
    page.click("button:has-text('开始生成')")
    page.wait_for_url(re.compile(r"/w/month/runs/\d+$"))
    page.locator("p.verdict", has_text="已完成").wait_for(timeout=SLOW)
    row = page.locator("tbody tr", has_text="南马村")
    filed = ARCHIVAL_CODE.search(row.inner_text())
    assert filed, row.inner_text()
    href = row.locator("a:has-text('南马村月度公开材料.pdf')").get_attribute("href")
    answer = page.context.request.get(base + str(href))
    assert answer.ok and answer.headers["content-type"] == "application/pdf"
    target.write_bytes(answer.body())
    return target, filed.group(0)
