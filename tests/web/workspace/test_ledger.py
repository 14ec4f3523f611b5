"""The ledger upload page: real ledgers through the browser's form, each refusal tried.

The module's district already holds the sample ledgers of 南马村, 东周家村 and 北杨村
(imported when it was made); a ledger with new cases is the sample with its case
numbers changed, in both sheets.
"""

from __future__ import annotations

import io
import shutil
import uuid
import zipfile
from pathlib import Path
from typing import Any

import anyio
import openpyxl
import pytest
from fastapi.testclient import TestClient

from pipeline.workspace import Workspace
from tests.conftest import ROOT
from tests.web.workspace.conftest import (
    LEDGERS,
    District,
    activity,
    form_token,
    log_in,
    session_token,
)

CORPUS = ROOT / "tests" / "corpus" / "ledgers"
SAMPLE = LEDGERS / "南马村-2026-11-台账.xlsx"
OTHER_VILLAGE = LEDGERS / "东周家村-2026-11-台账.xlsx"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _renumbered(source: Path, folder: Path, prefix: str, name: str | None = None) -> Path:
    """The ledger with every case and meeting number prefixed (new for the store), as a copy."""
    book = openpyxl.load_workbook(source)
    numbered = {"办件台账": ("办件编号",), "办理环节": ("办件编号", "会议记录"),
                "会议记录": ("会议编号", "决定的办件编号")}  # fmt: skip
    for title, headers in numbered.items():
        columns = [cell.value for cell in book[title][1]]
        for row in book[title].iter_rows(min_row=2):
            for header in headers:
                cell = row[columns.index(header)]
                if cell.value:
                    cell.value = f"{prefix}{cell.value}"
    target = folder / (name or source.name)
    book.save(target)
    return target


def _upload(
    client: TestClient, path: Path, *, steps: Path | None = None, token: str | None = None
) -> Any:
    """Post ``path`` through the upload form, as a browser does (token first, then files)."""
    files = [("ledger", (path.name, path.read_bytes(), "application/octet-stream"))]
    if steps is not None:
        files.append(("steps", (steps.name, steps.read_bytes(), "text/csv")))
    data = {"form_token": token if token is not None else form_token(client, "/w/ledger")}
    return client.post("/w/ledger?format=json", data=data, files=files)


def _kept(district: District, account: str) -> list[Path]:
    """Every file the account's uploads left under the data folder."""
    folder = district.settings.data / "web" / "ledgers" / account
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else []


def _case_ids(district: District, prefix: str) -> set[str]:
    with Workspace.open(district.settings) as workspace:
        return {c.case_id for c in workspace.store.find() if c.case_id.startswith(prefix)}


@pytest.fixture
def clerk(app_client: TestClient) -> TestClient:
    log_in(app_client, "nm-clerk")
    return app_client


def test_the_form_and_the_blank_template(clerk: TestClient) -> None:
    page = clerk.get("/w/ledger")
    assert page.status_code == 200
    assert 'enctype="multipart/form-data"' in page.text and "南马村" in page.text
    assert page.text.index('name="form_token"') < page.text.index('type="file"')
    template = clerk.get("/w/ledger/template.xlsx")
    assert template.status_code == 200 and template.headers["content-type"] == XLSX
    book = openpyxl.load_workbook(io.BytesIO(template.content))
    assert {"办件台账", "办理环节", "填写说明"} <= set(book.sheetnames)


def test_a_supervisor_uploads_nothing(app_client: TestClient) -> None:
    log_in(app_client, "nm-supervisor")
    assert app_client.get("/w/ledger").status_code == 403
    assert app_client.get("/w/ledger/template.xlsx").status_code == 403


def test_a_clerk_imports_her_villages_ledger_and_again_changes_nothing(
    clerk: TestClient, district: District, tmp_path: Path
) -> None:
    shutil.copy(SAMPLE, tmp_path / SAMPLE.name)  # the district imported it when it was made
    first = _upload(clerk, tmp_path / SAMPLE.name)
    assert first.status_code == 200, first.text
    result = first.json()["result"]
    assert result["rows_in"] == result["imported"] + result["rejected"] == 21
    assert result["rejected"] == 0 and result["steps_in"] == result["steps_imported"] > 0
    assert result["changes"] == {"added": 0, "updated": 0, "unchanged": 21}

    fresh = _renumbered(SAMPLE, tmp_path, "W1-")
    added = _upload(clerk, fresh).json()["result"]
    assert added["changes"] == {"added": 21, "updated": 0, "unchanged": 0}
    assert added["nothing_changed"] is False and added["report"] is None
    again = clerk.post(
        "/w/ledger", data={"form_token": session_token(clerk)},
        files=[("ledger", (fresh.name, fresh.read_bytes(), "application/octet-stream"))],
    )  # fmt: skip
    assert again.status_code == 200
    assert "未变 21 件" in again.text and "与已导入的内容完全相同，没有任何改动" in again.text
    assert len(_case_ids(district, "W1-")) == 21
    logged = [what for action, what in activity(district, "nm-clerk") if action == "ledger"]
    assert logged[-1].endswith("21 in, 21 imported, 0 rejected; 0 added, 0 updated, 21 unchanged")
    assert any(p.name == fresh.name for p in _kept(district, "nm-clerk"))


def _break_two_rows(ledger: Path) -> tuple[int, int]:
    """Break an ID number's check digit on one row and a date on another: their rows."""
    book = openpyxl.load_workbook(ledger)
    sheet = book["办件台账"]
    headers = [cell.value for cell in sheet[1]]
    id_cell = sheet.cell(3, headers.index("身份证号") + 1)
    last = id_cell.value[-1]
    id_cell.value = id_cell.value[:-1] + ("0" if last != "0" else "1")
    sheet.cell(5, headers.index("受理日期") + 1).value = "2026-02-30"
    book.save(ledger)
    return 3, 5


def test_two_bad_rows_are_located_the_rest_imported_then_fixed(
    clerk: TestClient, district: District, tmp_path: Path
) -> None:
    good = _renumbered(SAMPLE, tmp_path, "W2-")
    bad_folder = tmp_path / "bad"
    bad_folder.mkdir()
    bad = _renumbered(SAMPLE, bad_folder, "W2-")
    id_row, date_row = _break_two_rows(bad)

    answer = _upload(clerk, bad)
    assert answer.status_code == 200, answer.text
    result = answer.json()["result"]
    assert result["rows_in"] == 21 and result["rejected"] == 2 and result["imported"] == 19
    errors = [issue for issue in result["issues"] if issue["level"] == "error"]
    located = {(issue["sheet"], issue["row"], issue["column"]) for issue in errors}
    assert ("办件台账", id_row, "身份证号") in located
    assert ("办件台账", date_row, "受理日期") in located
    problems = " ".join(i["problem"] + i["fix"] for i in result["issues"])
    assert "校验" in problems and "2026-02-30" in problems
    assert len(_case_ids(district, "W2-")) == 19

    page = clerk.post(
        "/w/ledger", data={"form_token": session_token(clerk)},
        files=[("ledger", (bad.name, bad.read_bytes(), "application/octet-stream"))],
    )  # fmt: skip
    assert "退回 2 件" in page.text and "身份证号" in page.text and "下载问题清单" in page.text
    report = clerk.get(result["report"])
    assert report.status_code == 200 and report.headers["content-type"] == XLSX
    sheet = openpyxl.load_workbook(io.BytesIO(report.content))["导入问题"]
    rows = [row for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert {(r[1], r[2], r[3]) for r in rows} >= {
        ("办件台账", id_row, "身份证号"),
        ("办件台账", date_row, "受理日期"),
    }

    fixed = _upload(clerk, good).json()["result"]
    assert fixed["rejected"] == 0 and fixed["issues"] == []
    assert fixed["changes"] == {"added": 2, "updated": 0, "unchanged": 19}
    assert len(_case_ids(district, "W2-")) == 21


@pytest.mark.parametrize("name", sorted(p.name for p in CORPUS.iterdir()))
def test_every_corpus_file_is_answered_with_a_page(clerk: TestClient, name: str) -> None:
    answer = _upload(clerk, CORPUS / name)
    assert answer.status_code in (200, 400), answer.text
    body = answer.json()
    if answer.status_code == 400:
        assert body["error"] and body["result"] is None
    else:
        result = body["result"]
        assert result["rows_in"] == result["imported"] + result["rejected"]
        assert result["errors"] + result["warnings"] == len(result["issues"])
    assert "Traceback" not in answer.text


def test_a_csv_ledger_takes_its_steps_from_the_second_file(
    clerk: TestClient, district: District
) -> None:
    answer = _upload(clerk, CORPUS / "gbk.csv", steps=CORPUS / "gbk-办理环节.csv")
    result = answer.json()["result"]
    assert answer.status_code == 200 and result["steps_in"] > 0
    kept = {p.name for p in _kept(district, "nm-clerk")}
    assert {"gbk.csv", "gbk-办理环节.csv"} <= kept
    steps_with_a_workbook = _upload(clerk, SAMPLE, steps=CORPUS / "gbk-办理环节.csv")
    assert steps_with_a_workbook.status_code == 400
    assert "办理环节 CSV 只随 CSV 台账上传" in steps_with_a_workbook.json()["error"]


def test_a_file_is_told_by_its_content_not_its_name(
    clerk: TestClient, district: District, tmp_path: Path
) -> None:
    before = _kept(district, "nm-clerk")
    text = tmp_path / "台账.xlsx"
    text.write_text("办件编号,事项编码\nNM-1,xwql-026\n", encoding="utf-8")
    archive = tmp_path / "压缩.xlsx"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("readme.txt", "not a workbook")
    workbook_as_csv = tmp_path / "台账.csv"
    shutil.copy(SAMPLE, workbook_as_csv)
    for path, says in (
        (text, "文本文件"), (archive, "压缩包"), (workbook_as_csv, "Excel 工作簿（.xlsx）"),
    ):  # fmt: skip
        answer = _upload(clerk, path)
        assert answer.status_code == 400, (path.name, answer.text)
        assert says in answer.json()["error"] and "未导入" in answer.json()["error"]
    page = clerk.post(
        "/w/ledger", data={"form_token": session_token(clerk)},
        files=[("ledger", (text.name, text.read_bytes(), "application/octet-stream"))],
    )  # fmt: skip
    assert page.status_code == 400 and "无法打开工作簿" in page.text
    assert _kept(district, "nm-clerk") == before


def test_more_than_20_mb_is_refused_with_413(
    clerk: TestClient, district: District, tmp_path: Path
) -> None:
    before = _kept(district, "nm-clerk")
    big = tmp_path / "大台账.csv"
    big.write_bytes(b"x" * (21 << 20))
    answer = _upload(clerk, big)
    assert answer.status_code == 413 and "文件太大" in answer.json()["error"]
    assert _kept(district, "nm-clerk") == before


def test_a_body_without_a_length_is_read_only_up_to_the_limit(
    clerk: TestClient, district: District
) -> None:
    """Drive the app as a server would, 1 MB at a time: it stops reading past 20 MB."""
    boundary = uuid.uuid4().hex
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="form_token"\r\n\r\n'
        f"{session_token(clerk)}\r\n--{boundary}\r\nContent-Disposition: form-data; "
        f'name="ledger"; filename="big.csv"\r\nContent-Type: text/csv\r\n\r\n'
    ).encode()
    chunks = [head, *([b"y" * (1 << 20)] * 40)]
    pulled = 0

    async def receive() -> dict[str, Any]:
        nonlocal pulled
        pulled += 1
        more = pulled < len(chunks)
        return {"type": "http.request", "body": chunks[pulled - 1], "more_body": more}

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    cookie = "; ".join(f"{k}={v}" for k, v in clerk.cookies.items())
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": "/w/ledger", "raw_path": b"/w/ledger", "query_string": b"",
        "root_path": "", "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 80),
        "headers": [
            (b"host", b"127.0.0.1"), (b"cookie", cookie.encode()),
            (b"content-type", f"multipart/form-data; boundary={boundary}".encode()),
        ],
    }  # fmt: skip
    before = _kept(district, "nm-clerk")
    anyio.run(clerk.app, scope, receive, send)
    assert sent[0]["type"] == "http.response.start" and sent[0]["status"] == 413
    assert pulled <= 22 < len(chunks)
    assert _kept(district, "nm-clerk") == before


def test_another_villages_ledger_is_refused_and_nothing_kept(
    clerk: TestClient, district: District, tmp_path: Path
) -> None:
    before = _kept(district, "nm-clerk")
    theirs = _renumbered(OTHER_VILLAGE, tmp_path, "W3-")
    refused = _upload(clerk, theirs)
    assert refused.status_code == 403
    assert "东周家村" in refused.json()["error"] and "整份台账未导入" in refused.json()["error"]
    # Her own ledger with one case of another village: refused whole, too.
    mixed = _renumbered(SAMPLE, tmp_path, "W4-", name="南马村-混合.xlsx")
    book = openpyxl.load_workbook(mixed)
    sheet = book["办件台账"]
    village = [cell.value for cell in sheet[1]].index("村（社区）") + 1
    sheet.cell(2, village).value = "东周家村"
    book.save(mixed)
    page = clerk.post(
        "/w/ledger", data={"form_token": session_token(clerk)},
        files=[("ledger", (mixed.name, mixed.read_bytes(), "application/octet-stream"))],
    )  # fmt: skip
    assert page.status_code == 403 and "齐陵街道东周家村（1 件）" in page.text
    assert _case_ids(district, "W3-") == _case_ids(district, "W4-") == set()
    assert _kept(district, "nm-clerk") == before
    refusals = [what for action, what in activity(district, "nm-clerk") if action == "refused"]
    assert "东周家村" in refusals[-1] and "upload-ledger" in refusals[-1]


def test_the_town_office_imports_for_any_of_its_villages(
    app_client: TestClient, district: District, tmp_path: Path
) -> None:
    log_in(app_client, "ql-office")
    theirs = _renumbered(OTHER_VILLAGE, tmp_path, "W5-")
    answer = _upload(app_client, theirs)
    assert answer.status_code == 200 and answer.json()["result"]["rejected"] == 0
    assert _case_ids(district, "W5-")


def _log_out(client: TestClient) -> None:
    client.post("/logout", data={"form_token": session_token(client)})


def test_only_the_uploader_downloads_the_error_workbook(
    app_client: TestClient, district: District, tmp_path: Path
) -> None:
    bad = _renumbered(SAMPLE, tmp_path, "W6-")
    _break_two_rows(bad)
    log_in(app_client, "nm-clerk")
    link = _upload(app_client, bad).json()["result"]["report"]
    assert app_client.get(link).status_code == 200
    _log_out(app_client)
    assert app_client.get(link).status_code == 401
    for other in ("ql-office", "dz-clerk"):
        log_in(app_client, other)
        answer = app_client.get(link)
        _log_out(app_client)
        assert answer.status_code == 404 and "PK" not in answer.text
        assert any(
            action == "refused" and link.rsplit("/", 1)[-1].removesuffix(".xlsx") in what
            for action, what in activity(district, other)
        )
    log_in(app_client, "nm-clerk")
    for guess in ("../nm-clerk", "x" * 22, "%2e%2e%2fnm-clerk"):
        assert app_client.get(f"/w/ledger/reports/{guess}.xlsx").status_code == 404


def test_forms_without_the_sessions_token_are_refused(
    clerk: TestClient, district: District, tmp_path: Path
) -> None:
    before = _kept(district, "nm-clerk")
    ledger = _renumbered(SAMPLE, tmp_path, "W7-")
    for token in ("", "forged"):
        answer = _upload(clerk, ledger, token=token)
        assert answer.status_code == 403 and "表单已失效" in answer.json()["error"]
    files = [("ledger", (ledger.name, ledger.read_bytes(), "application/octet-stream"))]
    assert clerk.post("/w/ledger", files=files).status_code == 403  # no token field at all
    assert _case_ids(district, "W7-") == set()
    assert _kept(district, "nm-clerk") == before


def test_a_hostile_file_name_is_kept_inside_and_shown_literally(
    clerk: TestClient, district: District
) -> None:
    source = CORPUS / "utf8.csv"
    answer = clerk.post(
        "/w/ledger", data={"form_token": session_token(clerk)},
        files=[("ledger", ("../../<i>台账&.csv", source.read_bytes(), "text/csv"))],
    )  # fmt: skip
    assert answer.status_code == 200
    assert "&lt;i&gt;台账&amp;.csv" in answer.text and "<i>台账" not in answer.text
    root = (district.settings.data / "web" / "ledgers" / "nm-clerk").resolve()
    assert all(p.resolve().is_relative_to(root) for p in _kept(district, "nm-clerk"))
    assert any(p.name == "<i>台账&.csv" for p in _kept(district, "nm-clerk"))
