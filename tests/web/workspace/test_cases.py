"""The workspace's cases pages, by people of each role, each trying what they may not do."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi.testclient import TestClient

from pipeline.cases.model import StepRecord
from pipeline.catalog.model import StepKind
from pipeline.rules.actors import actor_alternatives
from pipeline.rules.flow import check_step, next_step
from pipeline.workspace import Workspace
from tests.web.workspace.conftest import (
    District,
    activity,
    form_token,
    log_in,
    session_token,
    village_case,
)

TODAY = dt.date(2026, 11, 30)


def _valid_step(
    district: District, *, drafted: bool = False
) -> tuple[str, dict[str, str], dt.date]:
    """An open case of 南马村 and a step the rules accept today; the last step's date.

    With ``drafted``, a case whose item's flow is a draft the district has not confirmed.
    """
    with Workspace.open(district.settings) as workspace:
        for case in workspace.store.find(village="QL-NM", status="办理中"):
            item = workspace.catalog.get(case.item_code)
            step = next_step(case, item)
            if step is None or not case.steps or (drafted and not item.drafted("steps", on=TODAY)):
                continue
            meeting = "村民代表会议-2026-11" if step.kind == StepKind.DECISION else None
            for actor in actor_alternatives(step.actor):
                record = StepRecord(step=step.id, actor=actor, date=TODAY, meeting_record=meeting)
                if not check_step(case, item, record):
                    form = {
                        "actor": actor,
                        "date": TODAY.isoformat(),
                        "meeting_record": meeting or "",
                    }
                    return case.case_id, form, case.steps[-1].date
    raise AssertionError("no case of 南马村 takes a step today")


def test_a_clerk_sees_only_her_village(app_client: TestClient, district: District) -> None:
    log_in(app_client, "nm-clerk")
    home = app_client.get("/w?format=json").json()
    assert [v["name"] for v in home["villages"]] == ["南马村"]
    assert home["scope"] == "齐陵街道南马村"
    rows = app_client.get("/w/cases?format=json").json()["rows"]
    assert rows and {r["village"] for r in rows} == {"南马村"}
    page = app_client.get("/w/cases")
    assert page.status_code == 200 and "南马村" in page.text and "东周家村" not in page.text


def test_another_villages_case_is_refused_on_every_route_and_logged(
    app_client: TestClient, district: District
) -> None:
    other = village_case(district, "QL-DZ")
    log_in(app_client, "nm-clerk")
    token = session_token(app_client)
    attempts: list[tuple[str, str, dict[str, Any]]] = [
        ("GET", f"/w/cases/{other}", {}),
        ("GET", f"/w/cases/{other}/step", {}),
        ("POST", f"/w/cases/{other}/step", {"actor": "村民委员会", "date": "2026-11-30"}),
        ("POST", f"/w/cases/{other}/documents", {}),
        ("GET", f"/w/cases/{other}/files/x.pdf", {}),
        ("GET", "/w/cases?village=QL-DZ", {}),
        ("GET", "/w/cases?village=东周家村", {}),
    ]
    for method, path, data in attempts:
        if method == "GET":
            answer = app_client.get(path)
        else:
            answer = app_client.post(path, data={**data, "form_token": token})
        assert answer.status_code == 403, (path, answer.status_code)
        assert "无权" in answer.text and other not in answer.text  # not even its id
    refusals = [what for action, what in activity(district, "nm-clerk") if action == "refused"]
    assert len(refusals) >= len(attempts)
    assert all("QL-DZ" in what for what in refusals[-len(attempts) :])
    with Workspace.open(district.settings) as workspace:
        assert all(v.source != "web nm-clerk" for v in workspace.store.history(other)[-1:])


def test_a_town_office_sees_its_villages_and_no_other_town(
    app_client: TestClient, district: District
) -> None:
    log_in(app_client, "ql-office")
    names = {v["name"] for v in app_client.get("/w?format=json").json()["villages"]}
    assert {"南马村", "东周家村"} <= names and "北杨村" not in names
    assert app_client.get(f"/w/cases/{village_case(district, 'JX-BY')}").status_code == 403


def test_a_refused_step_says_why_then_the_right_one_is_recorded(
    app_client: TestClient, district: District
) -> None:
    case_id, form, last = _valid_step(district)
    log_in(app_client, "nm-clerk")
    token = form_token(app_client, f"/w/cases/{case_id}/step")
    early = {**form, "date": (last - dt.timedelta(days=1)).isoformat(), "form_token": token}
    refused = app_client.post(f"/w/cases/{case_id}/step", data=early)
    assert refused.status_code == 409
    assert "未记录：不符合办理规则" in refused.text and "早于" in refused.text
    # A clerk cannot force it.
    forced = app_client.post(f"/w/cases/{case_id}/step", data={**early, "force_reason": "村里急用"})
    assert forced.status_code == 403
    done = app_client.post(
        f"/w/cases/{case_id}/step", data={**form, "form_token": token}, follow_redirects=False
    )
    assert done.status_code == 303, done.text
    page = app_client.get(done.headers["location"])
    assert "已记录办理环节" in page.text
    assert ("step", f"{case_id} {_step_id(district, case_id, form)}") in activity(
        district, "nm-clerk"
    )


def _step_id(district: District, case_id: str, form: dict[str, str]) -> str:
    with Workspace.open(district.settings) as workspace:
        case = workspace.store.get(case_id)
    return case.steps[-1].step


def test_an_office_forces_a_refused_step_as_an_irregularity(
    app_client: TestClient, district: District
) -> None:
    case_id, form, last = _valid_step(district)
    log_in(app_client, "ql-office")
    token = form_token(app_client, f"/w/cases/{case_id}/step")
    early = {**form, "date": (last - dt.timedelta(days=1)).isoformat(), "form_token": token}
    refused = app_client.post(f"/w/cases/{case_id}/step", data=early)
    assert refused.status_code == 409 and "强制办理理由" in refused.text
    forced = app_client.post(
        f"/w/cases/{case_id}/step", data={**early, "force_reason": "补录纸质台账"},
        follow_redirects=False,
    )  # fmt: skip
    assert forced.status_code == 303
    case = app_client.get(f"/w/cases/{case_id}?format=json").json()
    assert case["irregularities"][-1]["reason"] == "补录纸质台账"


def test_a_step_off_a_drafted_flow_is_recorded_with_advice_for_clerk_and_committee(
    app_client: TestClient, district: District
) -> None:
    case_id, form, _ = _valid_step(district, drafted=True)
    log_in(app_client, "nm-clerk")
    token = form_token(app_client, f"/w/cases/{case_id}/step")
    wrong = {**form, "actor": "村民委员会副主任", "form_token": token}
    done = app_client.post(f"/w/cases/{case_id}/step", data=wrong, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"].endswith("&advice=1")
    page = app_client.get(done.headers["location"]).text
    assert "已记为提示" in page and "流程提示" in page and "“村民委员会副主任”" in page
    case = app_client.get(f"/w/cases/{case_id}?format=json").json()
    assert [a["step"] for a in case["advisories"]][-1] == _step_id(district, case_id, form)
    assert "起草稿" in case["advisories"][-1]["message"]
    assert not any(i["date"] == TODAY.isoformat() for i in case["irregularities"])
    app_client.cookies.clear()
    log_in(app_client, "nm-supervisor")
    desk = app_client.get("/w/supervision").text
    advice = desk[desk.index('id="advice"') : desk.index('id="late-notices"')]
    assert case_id in advice and "村民委员会副主任" in advice


def test_forms_without_the_sessions_token_are_refused(
    app_client: TestClient, district: District
) -> None:
    case_id, form, _ = _valid_step(district)
    log_in(app_client, "nm-clerk")
    stale = app_client.post(f"/w/cases/{case_id}/step", data={**form, "form_token": "forged"})
    assert stale.status_code == 403 and "表单已失效" in stale.text


def test_each_kind_of_user_reaches_only_its_own_pages(
    app_client: TestClient, district: District
) -> None:
    assert app_client.get("/w").status_code == 401  # nobody logged in: the login page
    log_in(app_client, "nm-clerk")
    assert app_client.get("/audit/search").status_code == 401  # a clerk is no auditor


def test_a_supervisor_reads_but_records_nothing(app_client: TestClient, district: District) -> None:
    case_id, form, _ = _valid_step(district)
    log_in(app_client, "nm-supervisor")
    assert app_client.get(f"/w/cases/{case_id}").status_code == 200
    assert app_client.get(f"/w/cases/{case_id}/step").status_code == 403
    token = session_token(app_client)
    answer = app_client.post(f"/w/cases/{case_id}/step", data={**form, "form_token": token})
    assert answer.status_code == 403


def test_text_typed_by_a_clerk_shows_literally(app_client: TestClient, district: District) -> None:
    case_id = village_case(district, "QL-NM", open_only=False)
    with Workspace.open(district.settings) as workspace:
        case = workspace.store.get(case_id)
        hostile = case.model_copy(update={"reason": "<script>alert('x')</script> & 𠮷"})
        workspace.store.save(hostile, source="test")
    log_in(app_client, "nm-clerk")
    page = app_client.get(f"/w/cases/{case_id}")
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; 𠮷" in page.text
    assert "<script>alert" not in page.text


def test_a_case_page_names_its_notices_and_where_to_print_them(
    app_client: TestClient, district: District
) -> None:
    from pipeline.units.notices import notice_jobs

    with Workspace.open(district.settings) as workspace:
        posted = next(
            case
            for case in workspace.store.find(village="QL-NM")
            if notice_jobs(
                case, workspace.catalog.get(case.item_code), workspace.directory.get("QL-NM")
            )
        )
    log_in(app_client, "nm-clerk")
    notices = app_client.get(f"/w/cases/{posted.case_id}?format=json").json()["notices"]
    assert notices and {n["kind"] for n in notices} <= {"公示", "结果公开"}
    first = notices[0]
    assert first["page"] == f"/w/notices?village=QL-NM&date={first['date']}"
    assert app_client.get(first["page"]).status_code == 200
    assert "当日张贴公告" in app_client.get(f"/w/cases/{posted.case_id}").text
