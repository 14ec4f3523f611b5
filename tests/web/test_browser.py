"""The web pages in headless Chromium (Debian's, driven by Playwright) against the real app
served by uvicorn, the real S3 server and a real archived sample: the 南马村 ledger imported,
its case files and notices archived through the CLI.

Screenshots of the main pages are written to ``tests/web/screenshots/`` for review.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from typing import Any

import bagit
import pytest

from pipeline.archive.objectstore import ObjectStore
from pipeline.cases.store import CaseStore
from pipeline.config import load_settings
from pipeline.database import database_url
from pipeline.programs.s3server import EmbeddedS3
from pipeline.web import create_app
from tests.conftest import ROOT, CliResult, pdf_text
from tests.web.browser import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS, serve

pytestmark = [pytest.mark.s3, pytest.mark.soffice, pytest.mark.slow]

LEDGER = ROOT / "examples" / "linzi" / "南马村-2026-11-台账.xlsx"
ISSUED = re.compile(r"(\S+)\.pdf\s+核验码 ([0-9A-Z]{4}-[0-9A-Z]{4})")


def _ok(result: CliResult) -> str:
    assert result.code == 0, result.err
    return result.out


def test_auditor_and_villager_pages_in_chromium(
    cli: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, s3_server: EmbeddedS3,
    fresh_store: ObjectStore,
) -> None:  # fmt: skip
    from playwright import sync_api  # a dev dependency: missing is a failure, never a skip

    endpoint = s3_server.endpoint()
    data = tmp_path / "data"
    for name, value in {
        "XWQL_DATA": str(data), "XWQL_S3_URL": endpoint.url,
        "XWQL_S3_ACCESS_KEY": endpoint.app.access_key,
        "XWQL_S3_SECRET_KEY": endpoint.app.secret_key, "XWQL_S3_BUCKET": fresh_store.bucket,
    }.items():  # fmt: skip
        monkeypatch.setenv(name, value)

    # The sample: the 南马村 ledger, its finished cases and its notices, archived.
    _ok(cli("intake", str(LEDGER)))
    _ok(cli("archive", "case", "--village", "南马村"))
    issued = ISSUED.findall(
        _ok(cli("notice", "--village", "南马村", "--out", str(tmp_path / "n"), "--archive"))
    )
    assert issued, "no notice issued"
    auditor = _ok(cli("auditors", "add", "审计甲")).strip().splitlines()[-1]
    admin = _ok(cli("auditors", "add", "管理员", "--role", "admin")).strip().splitlines()[-1]
    cases = CaseStore(database_url(data, None))
    try:
        notice = cases.notice(issued[0][1])
        assert notice is not None
        applicant = cases.get(notice.case_id).applicant
    finally:
        cases.close()
    assert applicant.id_number

    SCREENSHOTS.mkdir(exist_ok=True)
    shots: list[Path] = []

    def shot(page: Any, name: str) -> None:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        shots.append(path)

    with (
        serve(create_app(load_settings())) as base,
        sync_api.sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            desk = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
            page = desk.new_page()

            # No login: refused, with the login form.
            answer = page.goto(f"{base}/audit/search")
            assert answer is not None and answer.status == 401
            shot(page, "01-login")
            page.fill("#token", auditor)
            page.click("button:has-text('登录档案检索')")
            page.wait_for_url(f"{base}/audit/search")

            # Search by a two-character name: the case file and its notice.
            page.fill("input[name=person]", "赵䶮")
            page.click("button:has-text('检索')")
            page.wait_for_selector("table.results")
            assert "共 2 条" in page.inner_text("h2")
            page.select_option("select[name=kind]", "case_file")
            page.click("button:has-text('检索')")
            page.wait_for_selector("text=共 1 条")
            shot(page, "02-search")

            # The case file: metadata and the verification report, which passes; the
            # file itself carries the applicant's ID number, so it is sealed for the auditor.
            page.click("table.results a")
            page.wait_for_selector("#report")
            assert "✓ 通过" in page.inner_text("#report h2")
            assert "临淄区齐陵街道南马村民委员会" in page.inner_text("#report")
            assert page.locator("iframe.pdf").count() == 0
            assert "加密，仅内部角色可读" in page.inner_text("table.files")
            assert applicant.id_number not in page.content()
            code = page.inner_text("p.code").strip()

            # The package: a zip of the BagIt folder that the LoC validator accepts.
            with page.expect_download() as waiting:
                page.click("a:has-text('下载归档包')")
            download = waiting.value
            assert download.suggested_filename == f"{code}.zip"
            saved = tmp_path / "package.zip"
            download.save_as(saved)
            with zipfile.ZipFile(io.BytesIO(saved.read_bytes())) as archive:
                archive.extractall(tmp_path / "unzipped")
                assert not [n for n in archive.namelist() if n.startswith(f"{code}.internal/")]
            bagit.Bag(str(tmp_path / "unzipped" / code)).validate()
            unzipped = [p for p in (tmp_path / "unzipped").rglob("*") if p.is_file()]
            assert not [p for p in unzipped if applicant.id_number.encode() in p.read_bytes()]

            # The administrator (an internal role) reads the case file, opened for them.
            desk.clear_cookies()
            page.goto(f"{base}/login")
            page.fill("#token", admin)
            page.click("button:has-text('登录档案检索')")
            page.goto(f"{base}/audit/record/{code}")
            page.wait_for_selector("#report")
            assert page.locator("iframe.pdf").count() == 1
            assert "内部信息（仅内部审计可见）" in page.inner_text("main")
            page.wait_for_load_state("load")
            page.locator("iframe.pdf").scroll_into_view_if_needed()  # the viewer draws when seen
            page.wait_for_timeout(1000)
            shot(page, "03-case-file")

            # The access log names the auditor's accesses and the administrator's opening.
            page.goto(f"{base}/audit/log")
            log = page.inner_text("table.log")
            assert "审计甲" in log and "检索" in log and "下载" in log and code in log
            assert "查看个人信息（解密）" in log
            shot(page, "04-access-log")
            desk.close()

            # A villager's phone: the public page, no login.
            phone = browser.new_context(
                viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                has_touch=True, locale="zh-CN",
            )  # fmt: skip
            mobile = phone.new_page()
            mobile.goto(base + "/")
            shot(mobile, "05-public-form")
            mobile.fill("#code", issued[0][1].lower())
            mobile.click("button:has-text('核验')")
            # A code the case store registered opens that notice's page on the village board.
            mobile.wait_for_url(f"**/n/{issued[0][1]}")
            mobile.wait_for_selector(".badge.done")
            facts = mobile.inner_text("dl.facts")
            assert "南马村" in facts and issued[0][1] in facts
            mobile.wait_for_selector(".sheet-pages img")
            assert applicant.id_number not in mobile.content()
            sheet = mobile.request.get(f"{base}/verify/{issued[0][1]}/sheet.pdf")
            assert sheet.ok and sheet.headers["content-type"] == "application/pdf"
            (tmp_path / "sheet.pdf").write_bytes(sheet.body())
            text = pdf_text(tmp_path / "sheet.pdf")
            assert issued[0][1] in text and applicant.id_number not in text
            assert "*" in text  # the masked ID
            width = mobile.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, f"the public page scrolls sideways on a phone ({width}px)"
            shot(mobile, "06-public-notice")

            # An unknown code: a clear 未找到 page.
            mobile.goto(base + "/")
            mobile.fill("#code", "0000-0000")
            mobile.click("button:has-text('核验')")
            mobile.wait_for_selector(".verdict.bad")
            assert "未找到" in mobile.inner_text("main")
            shot(mobile, "07-public-not-found")
            phone.close()
        finally:
            browser.close()
    print("\nscreenshots:", *(str(path) for path in shots), sep="\n  ")
