"""The month page: an office builds its villages' packs in the background and follows the
run; nobody reaches a run, a file or a village outside their scope."""

from __future__ import annotations

import time

import httpx
import pypdfium2
import pytest
from fastapi.testclient import TestClient

from pipeline.jobs.runs import Run, RunState, RunStore
from pipeline.web.workspace import month as month_module
from tests.jobs.test_runs import ended_process
from tests.web.workspace.conftest import District, activity, log_in, session_token

MONTH = "2026-11"  # the sample ledgers' month
BUILD_TIMEOUT = 240.0


def _start(client: TestClient, *villages: str, month: str = MONTH) -> httpx.Response:
    form = {"month": month, "village": list(villages), "form_token": session_token(client)}
    return client.post("/w/month", data=form, follow_redirects=False)


def _finished_run(district: District, village: str, month: str, *, owner: str | None = None) -> Run:
    """A run recorded straight in the store (no build): ended, or left by ``owner``."""
    store = RunStore.of(district.settings)
    try:
        run = store.start(
            account="district-admin", scope=village, month=month, villages=[village], owner=owner
        )
        if owner is None:
            result = {"packs": [{"village": village, "name": village, "file": "p.pdf", "pages": 1}]}
            run = store.finish(run.id, RunState.DONE, result=result)
        return run
    finally:
        store.close()


@pytest.mark.soffice
def test_an_office_builds_a_pack_and_follows_the_run_to_its_files(
    app_client: TestClient, district: District
) -> None:
    log_in(app_client, "ql-office")
    # The build slot held: the run waits, queued, so what happens meanwhile is certain.
    month_module._build_slot.acquire()
    try:
        started = _start(app_client, "QL-NM")
        assert started.status_code == 303, started.text
        run_page = started.headers["location"]
        waiting = app_client.get(run_page)
        assert '<meta http-equiv="refresh" content="2">' in waiting.text
        assert "排队中" in waiting.text and "不归档" in waiting.text
        queued = app_client.get(f"{run_page}?format=json").json()
        assert (queued["state"], queued["done"], queued["total"]) == ("queued", 0, 1)
        assert [v["status"] for v in queued["villages"]] == ["waiting"]
        again = _start(app_client, "QL-NM", "QL-DZ")
        assert again.status_code == 409
        assert "正在生成" in again.text and f'href="{run_page}"' in again.text
    finally:
        month_module._build_slot.release()
    seen, deadline = [], time.monotonic() + BUILD_TIMEOUT
    while True:
        run = app_client.get(f"{run_page}?format=json").json()
        seen.append((run["state"], run["done"]))
        if run["state"] in ("done", "failed") or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    assert run["state"] == "done", run
    assert (run["done"], run["total"], run["failures"]) == (1, 1, [])
    assert ("running", 0) in seen  # the village was seen being built
    [village] = run["villages"]
    assert village["status"] == "built" and village["file"].endswith("南马村月度公开材料.pdf")
    page = app_client.get(run_page)
    assert "http-equiv" not in page.text and "已完成" in page.text
    pdf = app_client.get(f"{run_page}/files/{village['file']}")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF") and len(pypdfium2.PdfDocument(pdf.content)) >= 1
    xlsx = app_client.get(f"{run_page}/files/{run['summary']['xlsx']}")
    assert xlsx.status_code == 200 and xlsx.content.startswith(b"PK")
    assert app_client.get(f"{run_page}/files/xwql.sqlite3").status_code == 400
    listed = app_client.get("/w/month?format=json").json()["runs"]
    assert listed[0]["id"] == run["id"] and listed[0]["state"] == "done"
    log = activity(district, "ql-office")
    assert ("month-packs", f"run {run['id']}: {MONTH} QL-NM") in log
    assert ("month-packs-end", f"run {run['id']}: done, 1 packs, 0 failed") in log
    assert any(action == "month-refused" for action, _ in log)
    # The run is the office's town's: its clerk may not see it, nor fetch its pack.
    app_client.post("/logout", data={"form_token": session_token(app_client)})
    log_in(app_client, "nm-clerk")
    assert app_client.get(run_page).status_code == 403
    assert app_client.get(f"{run_page}/files/{village['file']}").status_code == 403


def test_the_page_offers_last_month_and_the_offices_villages(
    app_client: TestClient, district: District
) -> None:
    log_in(app_client, "ql-office")
    page = app_client.get("/w/month?format=json").json()
    assert page["month"] == "2026-10"  # the app's clock says 2026-11-30
    names = {v["name"] for v in page["villages"]}
    assert {"南马村", "东周家村"} <= names and "北杨村" not in names
    assert page["prefect_url"] == "" and page["towns"] == []
    html = app_client.get("/w/month")
    assert "不归档" in html.text and 'name="form_token"' in html.text


def test_a_clerk_is_refused_everywhere_and_it_is_logged(
    app_client: TestClient, district: District
) -> None:
    run = _finished_run(district, "QL-NM", "2026-08")
    log_in(app_client, "nm-clerk")
    token = session_token(app_client)
    attempts = [
        app_client.get("/w/month"),
        app_client.post("/w/month", data={"month": MONTH, "village": "QL-NM", "form_token": token}),
        app_client.get(f"/w/month/runs/{run.id}"),
        app_client.get(f"/w/month/runs/{run.id}/files/p.pdf"),
    ]
    assert [a.status_code for a in attempts] == [403] * 4
    assert all("无权" in a.text for a in attempts)
    refusals = [what for action, what in activity(district, "nm-clerk") if action == "refused"]
    assert len(refusals) >= 4 and all("build-packs" in what for what in refusals[-4:])


def test_an_office_cannot_reach_another_towns_village_or_run(
    app_client: TestClient, district: District
) -> None:
    theirs = _finished_run(district, "JX-BY", "2026-09")
    log_in(app_client, "ql-office")
    assert _start(app_client, "JX-BY").status_code == 403
    assert _start(app_client, "QL-NM", "JX-BY").status_code == 403  # one field changed
    assert app_client.get("/w/month?town=JX").status_code == 403
    assert app_client.get(f"/w/month/runs/{theirs.id}").status_code == 403
    assert app_client.get(f"/w/month/runs/{theirs.id}/files/p.pdf").status_code == 403
    listed = app_client.get("/w/month?format=json").json()["runs"]
    assert theirs.id not in {r["id"] for r in listed}
    refusals = [what for action, what in activity(district, "ql-office") if action == "refused"]
    assert all("JX-BY" in what for what in refusals[-5:])
    store = RunStore.of(district.settings)
    try:
        assert not any("JX-BY" in r.villages and r.month == MONTH for r in store.runs())
    finally:
        store.close()


def test_the_administrator_sees_every_town_and_the_prefect_link(
    app_client: TestClient, district: District, monkeypatch: pytest.MonkeyPatch
) -> None:
    theirs = _finished_run(district, "JX-BY", "2026-07")
    monkeypatch.delenv("PREFECT_UI_URL", raising=False)
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:4200/api")
    log_in(app_client, "district-admin")
    page = app_client.get("/w/month?format=json").json()
    assert page["prefect_url"] == "http://127.0.0.1:4200"
    assert len(page["towns"]) > 1 and theirs.id in {r["id"] for r in page["runs"]}
    town = app_client.get("/w/month?town=JX&format=json").json()
    assert {v["code"][:2] for v in town["villages"]} == {"JX"}
    run = app_client.get(f"/w/month/runs/{theirs.id}?format=json").json()
    assert run["state"] == "done" and run["villages"][0]["status"] == "built"
    assert 'href="http://127.0.0.1:4200"' in app_client.get(f"/w/month/runs/{theirs.id}").text
    # The file the run names but the folder does not hold is refused, not a 500.
    assert app_client.get(f"/w/month/runs/{theirs.id}/files/p.pdf").status_code == 400


def test_bad_input_gets_the_located_message_and_no_run(
    app_client: TestClient, district: District
) -> None:
    log_in(app_client, "ql-office")
    bad_month = _start(app_client, "QL-NM", month="2026-13")
    assert bad_month.status_code == 400 and "2026-13" in bad_month.text
    none = _start(app_client)
    assert none.status_code == 400 and "请至少选择一个村" in none.text
    unknown = _start(app_client, "<b>不存在村</b>")
    assert unknown.status_code == 400 and "&lt;b&gt;不存在村&lt;/b&gt;" in unknown.text
    forged = app_client.post(
        "/w/month", data={"month": MONTH, "village": "QL-NM", "form_token": "forged"}
    )
    assert forged.status_code == 403 and "表单已失效" in forged.text
    assert app_client.get("/w/month/runs/not-a-number").status_code == 400
    assert app_client.get("/w/month/runs/999999").status_code == 400


def test_a_run_whose_process_is_gone_shows_as_interrupted(
    app_client: TestClient, district: District
) -> None:
    run = _finished_run(district, "QL-DZ", "2026-06", owner=ended_process())
    log_in(app_client, "ql-office")
    shown = app_client.get(f"/w/month/runs/{run.id}?format=json").json()
    assert shown["state"] == "failed" and "中断" in shown["error"]
    assert shown["villages"][0]["status"] == "not-built"
    page = app_client.get(f"/w/month/runs/{run.id}")
    assert "http-equiv" not in page.text and "中断" in page.text
