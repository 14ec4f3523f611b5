"""The web app through FastAPI's TestClient against a real archive in the real S3 server:
access control, sessions, the access log, the public page's privacy and the error pages."""

from __future__ import annotations

import contextlib
import io
import socket
import zipfile
from dataclasses import replace

import pytest
from fastapi.testclient import TestClient

from pipeline.archive.auditors import AuditorRegistry, Role
from pipeline.archive.index import ArchiveIndex
from pipeline.web import create_app
from tests.archive.records import ID_NUMBER, PHONE
from tests.web.conftest import NOTICE_CODE, Clock, SampleArchive, login

pytestmark = pytest.mark.s3

INTERNAL_FIELDS = (ID_NUMBER, PHONE, "南马村一街3号", "household_size", "internal", "内部存档件")


def _accesses(sample: SampleArchive) -> list[tuple[str, str, str]]:
    with ArchiveIndex(sample.settings.archive_index_url) as index:
        return [(a.actor, a.action, a.query_or_code) for a in index.accesses()]


# --- access control ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/audit/search",
        "/audit/search?person=张秀英",
        "/audit/record/LZ-QL-001-2026-D30-QL.NM-022-0001",
        "/audit/record/LZ-QL-001-2026-D30-QL.NM-022-0001/package.zip",
        "/audit/record/LZ-QL-001-2026-D30-QL.NM-022-0001/files/案卷.pdf",
        "/audit/log",
    ],
)
def test_no_session_is_refused_with_the_login_page(client: TestClient, path: str) -> None:
    answer = client.get(path)
    assert answer.status_code == 401
    assert "请先用审计口令登录" in answer.text
    assert "张秀英" not in answer.text and "%PDF" not in answer.text


def test_a_forged_or_stale_cookie_is_an_expired_session(client: TestClient) -> None:
    client.cookies.set("xwql_session", "forged")
    answer = client.get("/audit/search")
    assert answer.status_code == 401
    assert "登录已过期" in answer.text


def test_login_needs_a_valid_token_and_the_form_token(
    client: TestClient, sample_archive: SampleArchive
) -> None:
    form = client.get("/login")
    assert form.status_code == 200 and "审计口令" in form.text
    # Without the form's token (a cross-site post): refused.
    forged = client.post(
        "/login", data={"token": sample_archive.tokens[Role.ADMIN]}, follow_redirects=False
    )
    assert forged.status_code == 403 and "xwql_session" not in forged.headers.get("set-cookie", "")
    wrong = client.get("/login")
    token = wrong.text.split('name="form_token" value="')[1].split('"')[0]
    bad = client.post("/login", data={"token": "not-a-token", "form_token": token})
    assert bad.status_code == 401 and "审计口令无效" in bad.text


def test_the_session_cookie_is_http_only_strict_and_never_the_token(
    client: TestClient, sample_archive: SampleArchive
) -> None:
    token = sample_archive.tokens[Role.AUDITOR]
    login(client, token)
    cookie = client.cookies.get("xwql_session")
    assert cookie and token not in cookie and cookie != token
    form = client.get("/login")  # logged in: straight on to the search
    assert form.status_code == 200 and "档案检索" in form.text
    headers = client.get("/login", follow_redirects=False)
    assert headers.status_code == 303
    # The Set-Cookie of a fresh login
    client.cookies.clear()
    page = client.get("/login")
    form_token = page.text.split('name="form_token" value="')[1].split('"')[0]
    answer = client.post(
        "/login", data={"token": token, "form_token": form_token}, follow_redirects=False
    )
    set_cookie = answer.headers["set-cookie"].lower()
    assert "xwql_session=" in set_cookie
    assert "httponly" in set_cookie and "samesite=strict" in set_cookie
    assert token.lower() not in set_cookie


def test_an_auditor_may_not_search_by_id_number_nor_read_the_log(
    client: TestClient, sample_archive: SampleArchive
) -> None:
    login(client, sample_archive.tokens[Role.AUDITOR])
    page = client.get("/audit/search")
    assert page.status_code == 200 and "身份证号" not in page.text
    refused = client.get("/audit/search", params={"id_number": ID_NUMBER})
    assert refused.status_code == 403 and "无权" in refused.text
    assert ID_NUMBER not in refused.text
    log = client.get("/audit/log")
    assert log.status_code == 403 and "无权" in log.text


def test_internal_role_searches_by_id_number_and_sees_internal_data(
    client: TestClient, sample_archive: SampleArchive
) -> None:
    login(client, sample_archive.tokens[Role.INTERNAL])
    found = client.get("/audit/search", params={"id_number": ID_NUMBER})
    assert found.status_code == 200, found.text
    assert sample_archive.case_code in found.text and sample_archive.notice_code in found.text
    record = client.get(f"/audit/record/{sample_archive.case_code}")
    assert record.status_code == 200 and ID_NUMBER in record.text
    assert "已解密（记入访问日志）" in record.text
    searches = [what for _, action, what in _accesses(sample_archive) if action == "search"]
    assert "hmac-sha256:" in searches[-1]  # the log keeps a keyed hash only
    assert ID_NUMBER not in str(_accesses(sample_archive))


def test_an_auditor_sees_the_public_record_only(
    client: TestClient, sample_archive: SampleArchive
) -> None:
    login(client, sample_archive.tokens[Role.AUDITOR])
    record = client.get(f"/audit/record/{sample_archive.case_code}")
    assert record.status_code == 200
    assert "临淄区齐陵街道南马村低保申请（张秀英）办件材料" in record.text
    assert "核验报告" in record.text and "数字签名" in record.text
    assert ID_NUMBER not in record.text and PHONE not in record.text
    assert "🔒 加密，仅内部角色可读" in record.text
    assert 'iframe class="pdf"' not in record.text  # nothing the auditor may open


def test_what_each_role_reads_of_a_package_by_content(
    client: TestClient, sample_archive: SampleArchive
) -> None:
    code = sample_archive.notice_code
    sealed = f"/audit/record/{code}/files/公示-内部存档件.pdf.sealed"
    personal = (ID_NUMBER.encode(), PHONE.encode(), "南马村一街3号".encode())
    login(client, sample_archive.tokens[Role.AUDITOR])
    assert client.get(sealed).status_code == 403
    sheet = client.get(f"/audit/record/{code}/files/公示-张贴件.pdf")
    assert sheet.status_code == 200 and sheet.content == sample_archive.public_pdf
    package = zipfile.ZipFile(io.BytesIO(client.get(f"/audit/record/{code}/package.zip").content))
    assert not [n for n in package.namelist() if ".internal/" in n]
    for name in package.namelist():
        data = package.read(name)
        assert not [value for value in personal if value in data], name
    assert sample_archive.internal_pdf not in b"".join(map(package.read, package.namelist()))
    client.cookies.clear()  # another person at another browser

    login(client, sample_archive.tokens[Role.INTERNAL])
    opened = client.get(sealed)
    assert opened.status_code == 200 and opened.content == sample_archive.internal_pdf
    assert opened.headers["content-type"] == "application/pdf"  # opens in the browser
    package = zipfile.ZipFile(io.BytesIO(client.get(f"/audit/record/{code}/package.zip").content))
    assert package.read(f"{code}.internal/公示-内部存档件.pdf") == sample_archive.internal_pdf
    assert ID_NUMBER in package.read(f"{code}.internal/internal-record.json").decode()
    assert f"{code}/data/公示-内部存档件.pdf.sealed" in package.namelist()  # as stored, too
    opened_by = [actor for actor, action, _ in _accesses(sample_archive) if action == "open-sealed"]
    assert set(opened_by) == {"internal-用户"}


def test_a_revoked_user_is_logged_out(client: TestClient, sample_archive: SampleArchive) -> None:
    with contextlib.closing(AuditorRegistry.of(sample_archive.settings)) as users:
        token = users.add("临时审计", Role.AUDITOR)
        login(client, token)
        assert client.get("/audit/search").status_code == 200
        users.revoke("临时审计")
    answer = client.get("/audit/search")
    assert answer.status_code == 401 and "登录已过期" in answer.text


def test_an_idle_session_expires(
    client: TestClient, sample_archive: SampleArchive, clock: Clock
) -> None:
    login(client, sample_archive.tokens[Role.AUDITOR])
    clock.now += 29 * 60
    assert client.get("/audit/search").status_code == 200  # activity restarts the idle time
    clock.now += 29 * 60
    assert client.get("/audit/search").status_code == 200
    clock.now += 31 * 60
    answer = client.get("/audit/search")
    assert answer.status_code == 401 and "登录已过期（30 分钟未操作）" in answer.text


def test_logout_needs_the_session_form_token(
    client: TestClient, sample_archive: SampleArchive
) -> None:
    login(client, sample_archive.tokens[Role.AUDITOR])
    refused = client.post("/logout", data={"form_token": "guess"})
    assert refused.status_code == 403
    assert client.get("/audit/search").status_code == 200
    page = client.get("/audit/search")
    form_token = page.text.split('name="form_token" value="')[1].split('"')[0]
    bye = client.post("/logout", data={"form_token": form_token})
    assert bye.status_code == 200 and "已退出登录" in bye.text
    assert client.get("/audit/search").status_code == 401


# --- the access log --------------------------------------------------------------------------


def test_every_search_view_and_download_is_logged(
    client: TestClient, sample_archive: SampleArchive
) -> None:
    login(client, sample_archive.tokens[Role.AUDITOR])
    before = len(_accesses(sample_archive))
    results = client.get("/audit/search", params={"person": "张秀"})
    assert results.status_code == 200 and "共 2 条" in results.text
    code = sample_archive.case_code
    assert client.get(f"/audit/record/{code}").status_code == 200
    sheet = f"/audit/record/{sample_archive.notice_code}/files/公示-张贴件.pdf"
    pdf = client.get(sheet)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"].startswith("inline")
    # The case file is sealed: an auditor's attempt is logged, then refused.
    assert client.get(f"/audit/record/{code}/files/案卷.pdf.sealed").status_code == 403
    package = client.get(f"/audit/record/{code}/package.zip")
    assert package.status_code == 200 and package.headers["content-type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(package.content)).namelist()
    assert f"{code}/data/案卷.pdf.sealed" in names and f"{code}/manifest-sha256.txt" in names
    lines = _accesses(sample_archive)[before:]
    assert [(actor, action) for actor, action, _ in lines] == [
        ("auditor-用户", "search"), ("auditor-用户", "view"), ("auditor-用户", "view"),
        ("auditor-用户", "view"), ("auditor-用户", "download"),
    ]  # fmt: skip
    assert lines[1][2] == code
    assert lines[2][2] == f"{sample_archive.notice_code}/data/公示-张贴件.pdf"
    assert lines[3][2] == f"{code}/data/案卷.pdf.sealed"
    assert '"person":"张秀"' in lines[0][2]


def test_opening_the_form_is_no_search(client: TestClient, sample_archive: SampleArchive) -> None:
    login(client, sample_archive.tokens[Role.AUDITOR])
    before = len(_accesses(sample_archive))
    assert client.get("/audit/search").status_code == 200
    assert len(_accesses(sample_archive)) == before


def test_the_admin_reads_the_log_newest_first(
    client: TestClient, sample_archive: SampleArchive
) -> None:
    login(client, sample_archive.tokens[Role.ADMIN])
    client.get("/audit/search", params={"village": "南马村"})
    log = client.get("/audit/log")
    assert log.status_code == 200 and "访问日志" in log.text
    assert log.text.index("<td>查看日志</td>") < log.text.index("<td>检索</td>")  # newest first
    assert "admin-用户" in log.text


def test_a_file_not_in_the_record_is_not_served(
    client: TestClient, sample_archive: SampleArchive
) -> None:
    login(client, sample_archive.tokens[Role.AUDITOR])
    code = sample_archive.case_code
    for path in ("metadata.json", "../bagit.txt", "其他.pdf"):
        answer = client.get(f"/audit/record/{code}/files/{path}")
        assert answer.status_code == 404, path
        assert "%PDF" not in answer.text


def test_search_paging(client: TestClient, sample_archive: SampleArchive) -> None:
    login(client, sample_archive.tokens[Role.AUDITOR])
    client.app.state.web.config = replace(client.app.state.web.config, page_size=1)  # type: ignore[attr-defined]
    first = client.get("/audit/search", params={"village": "南马村"})
    assert "共 2 条" in first.text and "第 1 / 2 页" in first.text and "下一页" in first.text
    second = client.get("/audit/search", params={"village": "南马村", "page": "2"})
    assert "第 2 / 2 页" in second.text and "上一页" in second.text
    assert (sample_archive.notice_code in first.text) != (sample_archive.notice_code in second.text)


def test_a_bad_date_is_shown_on_the_form(client: TestClient, sample_archive: SampleArchive) -> None:
    login(client, sample_archive.tokens[Role.AUDITOR])
    answer = client.get("/audit/search", params={"from": "2026-13-01"})
    assert answer.status_code == 400 and "日期格式应为 YYYY-MM-DD" in answer.text
    reversed_range = client.get("/audit/search", params={"from": "2026-12-01", "to": "2026-11-01"})
    assert reversed_range.status_code == 400 and "起始日期晚于截止日期" in reversed_range.text


def test_an_unknown_archival_code_is_a_clear_page(
    client: TestClient, sample_archive: SampleArchive
) -> None:
    login(client, sample_archive.tokens[Role.AUDITOR])
    missing = client.get("/audit/record/LZ-QL-001-2026-D30-QL.NM-022-0099")
    assert missing.status_code == 404 and "未找到" in missing.text
    junk = client.get("/audit/record/not-a-code")
    assert junk.status_code == 400 and "Traceback" not in junk.text


# --- the public page --------------------------------------------------------------------------


def test_the_public_page_shows_the_notice_and_never_internal_data(
    client: TestClient, sample_archive: SampleArchive
) -> None:
    form = client.get("/")
    assert form.status_code == 200 and "核验码" in form.text
    answer = client.get("/verify", params={"code": "7k3d q9xm"})  # as typed on a phone
    assert answer.status_code == 200, answer.text
    assert "已签发并存档" in answer.text
    assert "南马村" in answer.text and "低保申请" in answer.text and "xwql-022" in answer.text
    assert "2026-11-10 至 2026-11-16" in answer.text
    for field in INTERNAL_FIELDS:
        assert field not in answer.text, field
    sheet = client.get(f"/verify/{NOTICE_CODE}/sheet.pdf")
    assert sheet.status_code == 200 and sheet.headers["content-type"] == "application/pdf"
    assert sheet.headers["content-disposition"].startswith("inline")
    assert sheet.content == sample_archive.public_pdf != sample_archive.internal_pdf
    scanned = client.get("/verify", params={"code": f"XWQL:{NOTICE_CODE}"})
    assert scanned.status_code == 200 and sample_archive.notice_code in scanned.text


def test_public_lookups_are_not_logged_and_need_no_login(
    client: TestClient, sample_archive: SampleArchive
) -> None:
    before = _accesses(sample_archive)
    assert client.get("/verify", params={"code": NOTICE_CODE}).status_code == 200
    assert _accesses(sample_archive) == before
    assert "xwql_session" not in client.cookies


def test_an_unknown_code_is_not_found(client: TestClient) -> None:
    answer = client.get("/verify", params={"code": "0000-0000"})
    assert answer.status_code == 404
    assert "未找到" in answer.text and "0000-0000" in answer.text
    sheet = client.get("/verify/0000-0000/sheet.pdf")
    assert sheet.status_code == 404 and "%PDF" not in sheet.text


@pytest.mark.parametrize("code", ["12345", "ABCD-EFGU", "x" * 41, "<script>", "' OR 1=1 --"])
def test_a_malformed_code_is_refused_before_any_lookup(client: TestClient, code: str) -> None:
    answer = client.get("/verify", params={"code": code})
    assert answer.status_code == 400
    assert "核验码格式不对" in answer.text and "<script>" not in answer.text


def test_public_lookups_are_rate_limited(client: TestClient, clock: Clock) -> None:
    answers = [client.get("/verify", params={"code": "0000-0000"}).status_code for _ in range(21)]
    assert answers[:20] == [404] * 20 and answers[20] == 429
    clock.now += 61
    assert client.get("/verify", params={"code": "0000-0000"}).status_code == 404


# --- error pages -------------------------------------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_storage_down_is_a_clear_page_and_refuses_the_access(
    sample_archive: SampleArchive,
) -> None:
    down = replace(sample_archive.settings, s3_url=f"http://127.0.0.1:{_closed_port()}")
    with TestClient(create_app(down), base_url="http://127.0.0.1") as client:
        public = client.get("/verify", params={"code": NOTICE_CODE})
        assert public.status_code == 503
        assert "档案存储暂时无法访问" in public.text and "127.0.0.1" not in public.text
        login(client, sample_archive.tokens[Role.AUDITOR])
        before = len(_accesses(sample_archive))
        search = client.get("/audit/search", params={"person": "张秀英"})
        assert search.status_code == 503 and "档案存储暂时无法访问" in search.text
        assert "张秀英办件" not in search.text and "Traceback" not in search.text
        assert len(_accesses(sample_archive)) == before


def test_an_unknown_page_is_a_clear_page(client: TestClient) -> None:
    answer = client.get("/no/such/page")
    assert answer.status_code == 404 and "页面不存在" in answer.text
    assert client.post("/verify").status_code == 405


def test_security_headers(client: TestClient) -> None:
    headers = client.get("/").headers
    assert "default-src 'self'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["cache-control"] == "no-store"
