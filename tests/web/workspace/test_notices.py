"""The notices page: a clerk prints the day's notices for the board, in one PDF, and files them.

The module's district files into a bucket of its own on the session's S3 server;
南马村 posts two notices on 2026-11-05 (a 公示 and a 结果公开), one on 2026-11-02.
"""

from __future__ import annotations

import re
import socket
import subprocess
from dataclasses import replace
from pathlib import Path

import pikepdf
import pytest
from fastapi.testclient import TestClient

from pipeline.archive.idkey import load_id_key
from pipeline.archive.index import ArchiveIndex
from pipeline.programs.s3server import EmbeddedS3
from pipeline.web import create_app
from tests.conftest import pdf_text
from tests.web.conftest import own_bucket_settings
from tests.web.workspace.conftest import Clock, District, activity, log_in, session_token

pytestmark = pytest.mark.s3

DAY = "2026-11-05"
ID_18 = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")
MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
ARCHIVAL_CODE = re.compile(r"LZ-QL-[0-9A-Z.\-]+")


@pytest.fixture(scope="module")
def district(district: District, s3_server: EmbeddedS3) -> District:
    """The workspace's sample district, filing into a bucket of this module's own."""
    return District(own_bucket_settings(district.settings.data, s3_server, "xwql-wn"))


def _pages(pdf: Path) -> int:
    with pikepdf.open(pdf) as document:
        return len(document.pages)


def _pages_with_a_seal(pdf: Path) -> set[int]:
    """Pages with an image drawn through a soft mask (the seal's transparent PNG)."""
    listing = subprocess.run(
        ["pdfimages", "-list", str(pdf)], capture_output=True, text=True, check=True
    ).stdout.splitlines()[2:]
    return {int(row.split()[0]) for row in listing if row.split()[2] == "smask"}


def _download(client: TestClient, url: str, target: Path) -> Path:
    answer = client.get(url)
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/pdf"
    target.write_bytes(answer.content)
    return target


def test_a_clerk_sees_the_days_notices_of_her_village(app_client: TestClient) -> None:
    log_in(app_client, "nm-clerk")
    today = app_client.get("/w/notices?format=json").json()
    assert today["date"] == "2026-11-30" and today["village"]["name"] == "南马村"
    assert "_csrf" not in today
    day = app_client.get(f"/w/notices?date={DAY}&format=json").json()
    assert {(n["case_id"], n["kind"]) for n in day["notices"]} == {
        ("NM-2026-10-001", "结果公开"), ("NM-2026-11-008", "公示"),
    }  # fmt: skip
    notice = next(n for n in day["notices"] if n["kind"] == "公示")
    assert (notice["period_start"], notice["period_end"]) == ("2026-11-05", "2026-11-11")
    assert day["may_print"] and day["villages"] == [["QL-NM", "南马村"]]
    page = app_client.get(f"/w/notices?date={DAY}")
    assert page.status_code == 200 and "NM-2026-11-008" in page.text
    assert 'name="form_token"' in page.text and not ID_18.search(page.text)


def test_an_office_chooses_among_its_villages(app_client: TestClient) -> None:
    log_in(app_client, "ql-office")
    first = app_client.get("/w/notices?format=json").json()
    names = {name for _, name in first["villages"]}
    assert {"南马村", "东周家村"} <= names and "北杨村" not in names
    other = app_client.get("/w/notices?village=东周家村&date=2026-11-02&format=json").json()
    assert [n["case_id"] for n in other["notices"]] == ["DZ-2026-10-002"]
    assert app_client.get("/w/notices?village=JX-BY").status_code == 403


def test_another_villages_notices_are_refused_and_logged(
    app_client: TestClient, district: District
) -> None:
    log_in(app_client, "nm-clerk")
    token = session_token(app_client)
    attempts = [
        app_client.get("/w/notices?village=QL-DZ&date=2026-11-02"),
        app_client.get("/w/notices?village=东周家村"),
        app_client.post(
            "/w/notices", data={"village": "QL-DZ", "date": "2026-11-02", "form_token": token}
        ),
        app_client.get("/w/notices/files/QL-DZ/2026-11-02/x.pdf"),
    ]
    for answer in attempts:
        assert answer.status_code == 403, answer.request.url
        assert "无权" in answer.text and "DZ-2026-10-002" not in answer.text
    refusals = [what for action, what in activity(district, "nm-clerk") if action == "refused"]
    assert all("QL-DZ" in what for what in refusals[-len(attempts) :])


def test_bad_input_gets_a_message_not_a_trace(app_client: TestClient) -> None:
    log_in(app_client, "nm-clerk")
    forged = app_client.post("/w/notices", data={"date": DAY, "form_token": "forged"})
    assert forged.status_code == 403 and "表单已失效" in forged.text
    bad_date = app_client.get("/w/notices?date=2026-13-05")
    assert bad_date.status_code == 400 and "日期格式应为 YYYY-MM-DD" in bad_date.text
    for name in ("..%2F..%2Fxwql.sqlite3", "internal", "x.pdf"):
        assert app_client.get(f"/w/notices/files/QL-NM/{DAY}/{name}").status_code in (400, 404)


def test_a_supervisor_reads_the_notices_but_prints_none(app_client: TestClient) -> None:
    log_in(app_client, "nm-supervisor")
    reading = app_client.get(f"/w/notices?date={DAY}")
    assert reading.status_code == 200 and 'method="post" action="/w/notices"' not in reading.text
    token = session_token(app_client)
    assert app_client.post("/w/notices", data={"date": DAY, "form_token": token}).status_code == 403


@pytest.mark.soffice
def test_a_clerk_prints_files_and_reprints_the_days_notices(
    app_client: TestClient, district: District, tmp_path: Path
) -> None:
    log_in(app_client, "nm-clerk")
    token = session_token(app_client)
    printed = app_client.post("/w/notices", data={"date": DAY, "form_token": token})
    assert printed.status_code == 200, printed.text
    assert "打开合订 PDF 打印" in printed.text and "归档未能完成" not in printed.text
    codes = sorted(set(ARCHIVAL_CODE.findall(printed.text)))
    assert len(codes) == 2

    day = app_client.get(f"/w/notices?date={DAY}&format=json").json()
    assert all(n["printed"] and n["sheet"] for n in day["notices"])
    files = day["files"]
    printout = _download(app_client, f"{files}/{day['printout']}", tmp_path / "printout.pdf")
    sheets = [
        _download(app_client, f"{files}/{n['sheet']}", tmp_path / n["sheet"])
        for n in day["notices"]
    ]
    assert _pages(printout) == sum(_pages(sheet) for sheet in sheets)
    with pikepdf.open(printout) as document:
        assert all(
            [round(float(x)) for x in page.mediabox] == [0, 0, 595, 842] for page in document.pages
        )  # A4
    text = pdf_text(printout)
    joined = "".join(text.split())
    assert all(n["verification_code"] in joined for n in day["notices"])
    assert not ID_18.search(text) and not ID_18.search(joined) and not MOBILE.search(joined)
    assert _pages_with_a_seal(printout) == set(range(1, _pages(printout) + 1))

    # The internal copies (full ID numbers) exist for the archive; no page offers them.
    folder = district.settings.data / "web" / "notices" / "QL-NM" / DAY
    internal = sorted((folder / "internal").glob("*.pdf"))
    assert len(internal) == 2
    assert any(ID_18.search("".join(pdf_text(pdf).split())) for pdf in internal)
    assert app_client.get(f"{files}/{internal[0].name}").status_code == 400

    settings = district.settings
    with ArchiveIndex(settings.archive_index_url, id_key=load_id_key(settings)) as index:
        found = index.search(village="QL-NM", kind="notice").entries
        assert sorted(entry.archival_code for entry in found) == codes
        filed = index.count()
    assert ("notices", f"QL-NM {DAY}: 2 printed, 2 filed") in activity(district, "nm-clerk")

    again = app_client.post(
        "/w/notices?format=json", data={"date": DAY, "form_token": token}
    ).json()
    assert sorted(s["archival_code"] for s in again["result"]["sheets"]) == codes
    assert {s["filed"] for s in again["result"]["sheets"]} == {"此前已归档，未变"}
    with ArchiveIndex(settings.archive_index_url, id_key=load_id_key(settings)) as index:
        assert index.count() == filed


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.soffice
def test_when_filing_fails_the_sheets_are_still_there_to_print(
    district: District, clock: Clock
) -> None:
    down = replace(district.settings, s3_url=f"http://127.0.0.1:{_closed_port()}")
    with TestClient(create_app(down, clock=clock), base_url="http://127.0.0.1") as client:
        log_in(client, "nm-clerk")
        token = session_token(client)
        answer = client.post(
            "/w/notices?format=json", data={"date": "2026-11-02", "form_token": token}
        )
        assert answer.status_code == 200, answer.text
        result = answer.json()["result"]
        assert "归档未能完成" in result["filing_error"] and "下次" in result["filing_error"]
        (sheet,) = result["sheets"]
        assert sheet["verification_code"] and not sheet["archival_code"]
        files = answer.json()["files"]
        assert client.get(f"{files}/{result['printout']}").status_code == 200
        assert client.get(f"{files}/{sheet['sheet']}").status_code == 200
    assert any(action == "notices-filing-failed" for action, _ in activity(district, "nm-clerk"))
