"""Drafts advise, the district confirms: the catalog page and a step's advice in Chromium.

The real app served by uvicorn on a sample district working on its own copy of the
catalog. On a phone (390×844) the clerk of 南马村 reads which flows are drafts, cannot
confirm (the form is not there, and a confirmation sent anyway is refused), and records
a step inside a drafted notice period: it is recorded, and she is told it is advice. At
a desk (1280×900) the district's administrator confirms that item's flow: a new edition.
Screenshots ``catalog-NN-<step>-desk.png`` / ``-phone.png`` go to ``tests/web/screenshots/``.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import pytest

from pipeline.cases.model import StepRecord
from pipeline.catalog.load import load_catalog
from pipeline.catalog.model import StepKind
from pipeline.rules.actors import actor_alternatives
from pipeline.rules.flow import check_step, next_step
from pipeline.web import create_app
from pipeline.workspace import Workspace
from tests.conftest import ROOT
from tests.web.browser import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS, serve
from tests.web.test_workspace_browser import CONFIG, DESK, PHONE, enter_step, fits, log_in
from tests.web.workspace.conftest import Clock, District, make_district

pytestmark = [pytest.mark.slow]

DOCUMENT = "临民字〔2026〕3号"


def inside_a_drafted_notice(district: District) -> tuple[str, str, dict[str, str]]:
    """An open 南马村 case whose next step follows a notice of a drafted flow; the item; a
    step form dated the day after the posting (inside the period: advice only)."""
    with Workspace.open(district.settings) as workspace:
        for case in workspace.store.find(village="QL-NM", status="办理中"):
            item = workspace.catalog.get(case.item_code)
            step = next_step(case, item)
            if (
                step is None
                or not case.steps
                or not item.drafted("steps", on=dt.date(2026, 11, 30))
            ):
                continue
            last = case.steps[-1]
            if item.steps[item.steps.index(step) - 1].kind is not StepKind.NOTICE:
                continue
            day = last.date + dt.timedelta(days=1)
            for actor in actor_alternatives(step.actor):
                found = check_step(case, item, StepRecord(step=step.id, actor=actor, date=day))
                if found and all(v.advisory for v in found):
                    form = {"actor": actor, "date": day.isoformat(), "meeting_record": ""}
                    return case.case_id, item.code, form
    raise AssertionError("no 南马村 case waits inside a drafted notice period")


def shot(page: Any, name: str) -> None:
    page.wait_for_load_state("load")
    width = "phone" if page.viewport_size["width"] == PHONE["width"] else "desk"
    page.screenshot(path=str(SCREENSHOTS / f"catalog-{name}-{width}.png"), full_page=True)


def test_a_clerk_is_advised_and_the_administrator_confirms(tmp_path: Path) -> None:
    from playwright import sync_api  # a dev dependency: missing is a failure, never a skip

    catalog = tmp_path / "catalog"
    shutil.copytree(ROOT / "catalog", catalog)
    district = make_district(tmp_path / "data", catalog=catalog)
    case_id, code, form = inside_a_drafted_notice(district)
    SCREENSHOTS.mkdir(exist_ok=True)
    with (
        serve(create_app(district.settings, config=CONFIG, clock=Clock())) as base,
        sync_api.sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            phone = browser.new_context(
                viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
                locale="zh-CN",
            ).new_page()  # fmt: skip
            desk = browser.new_context(viewport=DESK, locale="zh-CN").new_page()

            # 1. The clerk reads the catalog on her phone: which flows are drafts; no form.
            log_in(phone, base, "nm-clerk")
            phone.click("header nav a:text-is('权力清单')")
            phone.wait_for_url(f"{base}/w/catalog")
            assert "46 项事项的流程仍为起草稿" in phone.inner_text("main")
            assert "起草，待确认" in phone.inner_text(f"tr#{code}")
            assert phone.locator("button:has-text('确认并发布新版本')").count() == 0
            shot(phone, "01-catalog")
            fits(phone)
            token = phone.locator("header input[name=form_token]").first.get_attribute("value")
            sent = phone.request.post(
                f"{base}/w/catalog/{code}/confirm",
                form={"document": DOCUMENT, "date": "2026-11-30", "fields": "steps",
                      "form_token": token or ""},
            )  # fmt: skip
            assert sent.status == 403

            # 2. She records a step inside the drafted notice period: recorded, with advice.
            phone.goto(f"{base}/w/cases/{case_id}")
            phone.click("a.button:has-text('记录下一步')")
            enter_step(phone, form)
            phone.wait_for_url(f"{base}/w/cases/{case_id}?recorded=*")
            note = phone.inner_text("p.ok-note")
            assert "已记录办理环节" in note and "已记为提示" in note
            assert "公示期内" in phone.inner_text("#advice")
            shot(phone, "02-advice")
            fits(phone)

            # 3. The administrator confirms the item's flow at her desk: a new edition.
            log_in(desk, base, "district-admin")
            desk.goto(f"{base}/w/catalog#{code}")
            row = desk.locator(f"tr#{code}")
            row.locator("summary:has-text('记录确认')").click()
            row.locator("input[name=document]").fill(DOCUMENT)
            for box in row.locator("input[name=fields]").all():
                if box.get_attribute("value") != "steps":
                    box.uncheck()
            shot(desk, "03-confirm-form")
            row.locator("button:has-text('确认并发布新版本')").click()
            desk.wait_for_url(f"{base}/w/catalog?confirmed={code}*")
            assert f"已记录 {code} 的确认" in desk.inner_text("p.ok-note")
            confirmed = desk.inner_text(f"tr#{code}")
            assert DOCUMENT in confirmed and "办理流程及时限" in confirmed
            shot(desk, "04-confirmed")
        finally:
            browser.close()
    item = load_catalog(catalog).get(code)
    assert [(c.document, c.fields) for c in item.confirmations] == [(DOCUMENT, ["steps"])]
    assert not item.drafted("steps", on=dt.date(2026, 11, 30))
