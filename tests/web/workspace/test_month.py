"""The month page: an office builds its villages' packs in the background, files them if
asked, and follows the run; nobody reaches a run, a file or a village outside their scope.

Filing goes to a bucket of this module's own on the session's S3 server, through an app
on the module's district with archive settings (the other tests' app has none).
"""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import httpx
import pypdfium2
import pytest
from fastapi.testclient import TestClient

from pipeline.archive.idkey import load_id_key
from pipeline.archive.index import ArchiveIndex
from pipeline.config import Settings
from pipeline.jobs.runs import Run, RunState, RunStore
from pipeline.programs.s3server import EmbeddedS3
from pipeline.web import create_app
from pipeline.web.workspace import month as month_module
from tests.jobs.test_runs import ended_process
from tests.web.conftest import own_bucket_settings
from tests.web.workspace.conftest import Clock, District, activity, log_in, session_token

MONTH = "2026-11"  # the sample ledgers' month
BUILD_TIMEOUT = 240.0


def _start(
    client: TestClient, *villages: str, month: str = MONTH, archive: bool = False
) -> httpx.Response:
    form: dict[str, Any] = {
        "month": month,
        "village": list(villages),
        "form_token": session_token(client),
    }
    if archive:  # a checkbox left unticked sends nothing
        form["archive"] = "true"
    return client.post("/w/month", data=form, follow_redirects=False)


def _ended(client: TestClient, run_page: str) -> tuple[dict[str, Any], list[tuple[str, int]]]:
    """The run's JSON once it has ended, and the (state, done) seen on the way."""
    seen, deadline = [], time.monotonic() + BUILD_TIMEOUT
    while True:
        run = client.get(f"{run_page}?format=json").json()
        seen.append((run["state"], run["done"]))
        if run["state"] in ("done", "failed") or time.monotonic() > deadline:
            return run, seen
        time.sleep(0.3)


@pytest.fixture(scope="module")
def filing_settings(district: District, s3_server: EmbeddedS3) -> Settings:
    """The module's district, filing into a bucket of this module's own."""
    return own_bucket_settings(district.settings.data, s3_server, "xwql-wm")


@contextlib.contextmanager
def _office(settings: Settings, clock: Clock) -> Iterator[TestClient]:
    """The office, logged in to an app on ``settings``."""
    app = create_app(settings, clock=clock)
    with TestClient(app, base_url="http://127.0.0.1", raise_server_exceptions=False) as client:
        log_in(client, "ql-office")
        yield client


@pytest.fixture
def filing_client(filing_settings: Settings, clock: Clock) -> Iterator[TestClient]:
    """The office, logged in to an app that files into the module's bucket."""
    with _office(filing_settings, clock) as client:
        yield client


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
    run, seen = _ended(app_client, run_page)
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
    assert page["archive"] is True and '"archive" value="true" checked' in html.text


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


@pytest.mark.s3
@pytest.mark.soffice
def test_an_office_files_the_packs_once_and_the_index_finds_them(
    filing_client: TestClient, filing_settings: Settings, district: District
) -> None:
    started = _start(filing_client, "QL-NM", archive=True)
    assert started.status_code == 303, started.text
    run_page = started.headers["location"]
    run, _ = _ended(filing_client, run_page)
    assert run["state"] == "done" and run["archive"] is True, run
    assert run["filing_error"] == "" and run["failures"] == []
    [village] = run["villages"]
    code = village["archival_code"]
    assert code.startswith("LZ-QL-") and village["outcome"] == "added"
    assert village["filed"] == "已归档" and village["file"].endswith("南马村月度公开材料.pdf")
    page = filing_client.get(run_page).text
    assert code in page and "已归档" in page and "不归档" not in page
    assert filing_client.get(f"{run_page}/files/{village['file']}").status_code == 200
    with ArchiveIndex(
        filing_settings.archive_index_url, id_key=load_id_key(filing_settings)
    ) as index:
        found = index.search(village="QL-NM", kind="monthly_pack").entries
        assert [entry.archival_code for entry in found] == [code]
        filed = index.count()
    log = activity(district, "ql-office")
    assert ("month-packs", f"run {run['id']}: {MONTH} QL-NM, filing") in log
    assert ("month-packs-end", f"run {run['id']}: done, 1 packs, 0 failed, 1 filed") in log

    second = _start(filing_client, "QL-NM", archive=True).headers["location"]
    again, _ = _ended(filing_client, second)
    [same] = again["villages"]
    assert (same["archival_code"], same["outcome"]) == (code, "unchanged")
    assert same["filed"] == "此前已归档，未变"
    with ArchiveIndex(
        filing_settings.archive_index_url, id_key=load_id_key(filing_settings)
    ) as index:
        assert index.count() == filed


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.s3
@pytest.mark.soffice
def test_when_filing_fails_the_packs_are_still_there_to_print(
    filing_settings: Settings, clock: Clock, district: District
) -> None:
    down = replace(filing_settings, s3_url=f"http://127.0.0.1:{_closed_port()}")
    with _office(down, clock) as client:
        run, _ = _ended(client, _start(client, "QL-DZ", archive=True).headers["location"])
        assert run["state"] == "done", run
        assert "签章归档未能完成" in run["filing_error"] and " / " not in run["filing_error"]
        [village] = run["villages"]
        assert village["status"] == "built" and village["archival_code"] == ""
        page = client.get(f"/w/month/runs/{run['id']}").text
        assert "签章归档未能完成" in page and "未归档" in page
        pack = client.get(f"/w/month/runs/{run['id']}/files/{village['file']}")
        assert pack.status_code == 200 and pack.content.startswith(b"%PDF")
    end = f"run {run['id']}: done, 1 packs, 0 failed, filing failed"
    assert ("month-packs-end", end) in activity(district, "ql-office")
