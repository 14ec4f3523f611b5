"""The catalog page: everyone sees what is drafted; the district's administrator confirms it."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator

import pytest
import yaml
from fastapi.testclient import TestClient

from pipeline.catalog.load import load_catalog
from pipeline.rules.flow import next_step
from pipeline.workspace import Workspace
from tests.conftest import ROOT
from tests.web.conftest import web_client
from tests.web.workspace.conftest import (
    Clock,
    District,
    activity,
    form_token,
    log_in,
    make_district,
)

DOCUMENT = "临民字〔2026〕3号"


@pytest.fixture(scope="module")
def confirming(tmp_path_factory: pytest.TempPathFactory) -> District:
    """The sample district on its own copy of the catalog, which the tests confirm."""
    catalog = tmp_path_factory.mktemp("edition") / "catalog"
    shutil.copytree(ROOT / "catalog", catalog)
    return make_district(tmp_path_factory.mktemp("confirming"), catalog=catalog)


@pytest.fixture
def client(confirming: District, clock: Clock) -> Iterator[TestClient]:
    with web_client(confirming.settings, clock) as opened:
        yield opened


def _seal_case(district: District) -> tuple[str, dict[str, str]]:
    """An open 南马村 case of 村级印章使用 (xwql-040) waiting for its approval, and that step."""
    with Workspace.open(district.settings) as workspace:
        for case in workspace.store.find(village="QL-NM", status="办理中"):
            item = workspace.catalog.get(case.item_code)
            step = next_step(case, item)
            if step is not None and case.steps and step.id not in ("apply",):
                return case.case_id, {"date": "2026-11-30", "actor": "村民委员会副主任"}
    raise AssertionError("no open case of 南马村")


def test_every_role_reads_which_fields_are_drafted(client: TestClient) -> None:
    for name in ("nm-clerk", "ql-office", "nm-supervisor", "district-admin"):
        client.cookies.clear()
        log_in(client, name)
        page = client.get("/w/catalog?format=json").json()
        assert page["counts"] == {"items": 50, "flows_drafted": 46, "with_drafts": 50}
        assert page["edition"]["effective_date_sample"] is True
        wages = next(item for item in page["items"] if item["code"] == "xwql-017")
        assert wages["steps_source"] == "起草，待确认" and wages["confirmations"] == []
        veterans = next(item for item in page["items"] if item["code"] == "xwql-032")
        assert veterans["steps_source"] == "原文（附件2）"
        assert page["may_confirm"] is (name == "district-admin")
        html = client.get("/w/catalog").text
        assert ("确认并发布新版本" in html) is (name == "district-admin")


@pytest.mark.parametrize("name", ["nm-clerk", "ql-office", "nm-supervisor"])
def test_only_the_district_administrator_confirms(
    client: TestClient, confirming: District, name: str
) -> None:
    log_in(client, name)
    token = form_token(client, "/w/catalog")
    form = {"document": DOCUMENT, "date": "2026-11-30", "fields": ["steps"], "form_token": token}
    assert client.post("/w/catalog/xwql-017/confirm", data=form).status_code == 403
    assert any(action == "refused" and what.startswith("confirm-catalog district")
               for action, what in activity(confirming, name))  # fmt: skip
    assert load_catalog(confirming.settings.catalog_dir).get("xwql-017").confirmations == []


def test_a_confirmation_form_refuses_what_it_cannot_record(client: TestClient) -> None:
    log_in(client, "district-admin")
    token = form_token(client, "/w/catalog")
    wrong = [
        ({"document": " ", "date": "2026-11-30", "fields": ["steps"]}, "请填写确认文件的文号"),
        ({"document": DOCUMENT, "date": "30/11/2026", "fields": ["steps"]}, "YYYY-MM-DD"),
        ({"document": DOCUMENT, "date": "2026-11-30", "fields": ["name"]}, "不能确认"),
        ({"document": DOCUMENT, "date": "2026-11-30"}, "请勾选要确认的内容"),
        # A field list smuggling YAML is refused, nothing written.
        (
            {
                "document": DOCUMENT,
                "date": "2026-11-30",
                "fields": ["materials]\n  - document: Y\n    date: 2020-01-01\n    fields: [steps"],
            },
            "不能确认",
        ),
        ({"document": DOCUMENT, "date": "2019-12-31", "fields": ["steps"]}, "早于本版施行日期"),
    ]
    for form, problem in wrong:
        answer = client.post("/w/catalog/xwql-017/confirm", data={**form, "form_token": token})
        assert answer.status_code == 400 and problem in answer.text, (form, answer.text[:300])
    missing = client.post(
        "/w/catalog/xwql-099/confirm",
        data={"document": DOCUMENT, "date": "2026-11-30", "form_token": token},
    )
    assert missing.status_code == 400
    assert client.post(
        "/w/catalog/xwql-017/confirm", data={"document": DOCUMENT, "date": "2026-11-30"}
    ).status_code in (400, 403)  # no form token: never written


def test_once_confirmed_the_flow_refuses_from_its_date(
    client: TestClient, confirming: District, clock: Clock
) -> None:
    case_id, wrong = _seal_case(confirming)
    with Workspace.open(confirming.settings) as workspace:
        code = workspace.store.get(case_id).item_code
    # A second worker process of the same site, its workspace open before the confirmation.
    other_worker = web_client(confirming.settings, clock).__enter__()
    log_in(other_worker, "ql-office")
    assert other_worker.get("/w/catalog").status_code == 200  # its workspace is open
    # Before: the office records a step with the wrong body: advice, recorded.
    log_in(client, "ql-office")
    token = form_token(client, f"/w/cases/{case_id}/step")
    advised = client.post(
        f"/w/cases/{case_id}/step", data={**wrong, "form_token": token}, follow_redirects=False
    )
    assert advised.status_code == 303 and "advice=1" in advised.headers["location"]
    # The administrator confirms the item's flow from today.
    client.cookies.clear()
    log_in(client, "district-admin")
    token = form_token(client, "/w/catalog")
    done = client.post(
        f"/w/catalog/{code}/confirm",
        data={"document": DOCUMENT, "date": "2026-11-30", "fields": ["steps"], "form_token": token},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text[done.text.find('role="alert"') :][:300]
    shown = client.get(done.headers["location"])
    assert f"已记录 {code} 的确认" in shown.text and "2020.2" in shown.text
    edition = yaml.safe_load((confirming.settings.catalog_dir / "edition.yaml").read_text("utf-8"))
    assert edition["version"] == "2020.2" and DOCUMENT in edition["changes"][-1]["summary"]
    item = load_catalog(confirming.settings.catalog_dir).get(code)
    assert [(c.document, c.date, c.fields) for c in item.confirmations] == [
        (DOCUMENT, dt.date(2026, 11, 30), ["steps"])
    ]
    assert any(action == "catalog-confirm" and code in what
               for action, what in activity(confirming, "district-admin"))  # fmt: skip
    # After: the same kind of departure on the next step is refused, without a restart,
    # by the other worker too.
    try:
        token = form_token(other_worker, f"/w/cases/{case_id}/step")
        refused = other_worker.post(f"/w/cases/{case_id}/step", data={**wrong, "form_token": token})
        assert refused.status_code == 409 and "“村民委员会副主任”" in refused.text
        assert "起草稿" not in refused.text
    finally:
        other_worker.__exit__(None, None, None)
