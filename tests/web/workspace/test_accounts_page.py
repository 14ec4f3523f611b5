"""The administrator's pages: accounts added, disabled, reset; the log of writes; nobody else."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from pipeline.accounts.store import AccountStore
from pipeline.web.state import SESSION_COOKIE
from tests.web.workspace.conftest import District, activity, log_in, session_token

NEW_PASSWORD = re.compile(r'id="new-password">([^<]+)<')


@pytest.fixture
def browser(app_client: TestClient) -> Iterator[TestClient]:
    """A second browser on the same app (its own cookies)."""
    client = TestClient(app_client.app, base_url="http://127.0.0.1")
    yield client
    client.close()


def _add(client: TestClient, **form: str) -> tuple[int, str]:
    """Add an account through the page's form: the status and the page."""
    answer = client.post("/w/accounts", data={**form, "form_token": session_token(client)})
    return answer.status_code, answer.text


def _password(page: str) -> str:
    match = NEW_PASSWORD.search(page)
    assert match, page
    return match.group(1)


def _exists(district: District, name: str) -> bool:
    store = AccountStore.of(district.settings)
    try:
        return store.get(name) is not None
    finally:
        store.close()


def test_the_administrator_adds_a_clerk_who_can_log_in(
    app_client: TestClient, browser: TestClient, district: District
) -> None:
    log_in(app_client, "district-admin")
    listed = app_client.get("/w/accounts?format=json").json()["accounts"]
    assert {"name": "nm-clerk", "role": "clerk", "scope": "齐陵街道南马村"}.items() <= next(
        a for a in listed if a["name"] == "nm-clerk"
    ).items()
    status, page = _add(app_client, name="xg-clerk", role="clerk", village="QL-XG")
    assert status == 200 and "账号 <strong>xg-clerk</strong> 已创建" in page
    password = _password(page)
    assert password not in app_client.get("/w/accounts").text  # shown once
    log_in(browser, "xg-clerk", password)
    assert browser.get("/w?format=json").json()["scope"] == "齐陵街道西官庄村"
    assert ("account-add", "xg-clerk clerk 齐陵街道西官庄村") in activity(
        district, "district-admin"
    )
    assert all(password not in what for _, what in activity(district, "district-admin"))


def test_refusals_of_the_store_are_shown_in_the_form(
    app_client: TestClient, district: District
) -> None:
    log_in(app_client, "district-admin")
    refused = {
        "账号 nm-clerk 已存在": {"name": "nm-clerk", "role": "clerk", "village": "QL-DZ"},
        "office 账号须指定一个镇（街道）": {"name": "ql-2", "role": "office", "village": "QL-NM"},
        "clerk 账号须指定一个村": {"name": "ql-3", "role": "clerk", "town": "QL"},
        "账号名须为 1–40 个字符": {"name": "two words", "role": "admin"},
        "未知的角色 &#39;root&#39;": {"name": "root", "role": "root"},
    }
    for message, form in refused.items():
        status, page = _add(app_client, **form)
        assert status == 400 and message in page, (form, page)
        assert f'value="{form["name"]}"' in page  # the form keeps what was typed
        assert "new-password" not in page
    assert not any(_exists(district, name) for name in ("ql-2", "ql-3", "two words", "root"))
    lines = [what for action, what in activity(district, "district-admin")]
    assert sum(1 for what in lines if "已存在" in what) == 1


@pytest.mark.parametrize("name", ["nm-clerk", "ql-office", "nm-supervisor"])
def test_no_other_role_reaches_the_accounts(
    app_client: TestClient, district: District, name: str
) -> None:
    log_in(app_client, name)
    token = session_token(app_client)
    assert app_client.get("/w?format=json").status_code == 200
    attempts = [
        app_client.get("/w/accounts"),
        app_client.get("/w/accounts?format=json"),
        app_client.get("/w/activity"),
        app_client.post("/w/accounts", data={"name": f"by-{name}", "role": "admin",
                                              "form_token": token}),
        app_client.post("/w/accounts/disable", data={"name": "district-admin",
                                                      "form_token": token}),
        app_client.post("/w/accounts/password", data={"name": "district-admin",
                                                       "form_token": token}),
    ]  # fmt: skip
    for answer in attempts:
        assert answer.status_code == 403 and "无权" in answer.text
        assert "new-password" not in answer.text and "dz-clerk" not in answer.text
    refusals = [what for action, what in activity(district, name) if action == "refused"]
    assert len(refusals) >= len(attempts)
    assert all(w.startswith("manage-accounts district") for w in refusals[-len(attempts) :])
    assert not _exists(district, f"by-{name}")


def test_forged_forms_are_refused(app_client: TestClient, district: District) -> None:
    log_in(app_client, "district-admin")
    forged = app_client.post(
        "/w/accounts", data={"name": "forged", "role": "admin", "form_token": "forged"}
    )
    assert forged.status_code == 403 and "表单已失效" in forged.text
    missing = app_client.post("/w/accounts/disable", data={"name": "dz-clerk"})
    assert missing.status_code == 403 and "表单已失效" in missing.text
    assert not _exists(district, "forged")
    page = app_client.get("/w/accounts?format=json").json()
    assert next(a for a in page["accounts"] if a["name"] == "dz-clerk")["active"]


def test_disabling_an_account_ends_its_live_session(
    app_client: TestClient, browser: TestClient, district: District
) -> None:
    log_in(app_client, "district-admin")
    _, page = _add(app_client, name="jx-office", role="office", town="JX")
    first = _password(page)
    log_in(browser, "jx-office", first)
    assert browser.get("/w").status_code == 200
    token = session_token(app_client)
    disabled = app_client.post(
        "/w/accounts/disable", data={"name": "jx-office", "form_token": token},
        follow_redirects=False,
    )  # fmt: skip
    assert disabled.status_code == 303 and disabled.headers["location"] == "/w/accounts"
    gone = browser.get("/w")  # the other browser is logged out at once
    assert gone.status_code == 401 and "登录已过期" in gone.text
    assert SESSION_COOKIE not in browser.cookies
    listed = app_client.get("/w/accounts?format=json").json()["accounts"]
    assert not next(a for a in listed if a["name"] == "jx-office")["active"]
    with pytest.raises(AssertionError):
        log_in(browser, "jx-office", first)
    app_client.post("/w/accounts/enable", data={"name": "jx-office", "form_token": token})
    log_in(browser, "jx-office", first)
    # A new password ends the live session too, and only the new one opens a new one.
    reset = app_client.post("/w/accounts/password", data={"name": "jx-office", "form_token": token})
    assert reset.status_code == 200 and "密码已重置" in reset.text
    second = _password(reset.text)
    assert browser.get("/w").status_code == 401
    with pytest.raises(AssertionError):
        log_in(browser, "jx-office", first)
    log_in(browser, "jx-office", second)
    changes = [(a, w) for a, w in activity(district, "district-admin") if w == "jx-office"]
    assert changes == [
        ("account-disable", "jx-office"), ("account-enable", "jx-office"),
        ("account-password", "jx-office"),
    ]  # fmt: skip


def test_the_administrator_keeps_her_own_account(
    app_client: TestClient, district: District
) -> None:
    log_in(app_client, "district-admin")
    token = session_token(app_client)
    for change in ("disable", "password"):
        answer = app_client.post(
            f"/w/accounts/{change}", data={"name": "district-admin", "form_token": token}
        )
        assert answer.status_code == 400 and "不能在此停用自己的账号" in answer.text
    unknown = app_client.post("/w/accounts/disable", data={"name": "nobody", "form_token": token})
    assert unknown.status_code == 400 and "没有账号 nobody" in unknown.text
    assert app_client.post("/w/accounts/delete", data={"form_token": token}).status_code == 400
    assert app_client.get("/w/accounts").status_code == 200  # still logged in


def test_the_activity_page_shows_the_log_of_writes_by_account(
    app_client: TestClient, browser: TestClient, district: District
) -> None:
    log_in(app_client, "nm-clerk")
    app_client.get("/w/cases?village=QL-DZ")  # refused and logged
    login = browser.get("/login")
    token = re.search(r'name="form_token" value="([^"]+)"', login.text)
    assert token
    browser.post(
        "/login",
        data={"name": "<b>x</b>", "password": "wrong password", "form_token": token.group(1)},
    )  # a failed login under a hostile name
    admin = browser
    log_in(admin, "district-admin")
    everyone = admin.get("/w/activity")
    assert everyone.status_code == 200 and "越权被拒" in everyone.text
    assert "&lt;b&gt;x&lt;/b&gt;" in everyone.text and "<b>x</b>" not in everyone.text
    mine = admin.get("/w/activity?actor=nm-clerk&format=json").json()
    assert mine["lines"] and {line["actor"] for line in mine["lines"]} == {"nm-clerk"}
    assert mine["lines"][0]["action"] == "refused" and "QL-DZ" in mine["lines"][0]["what"]
    assert mine["lines"][0]["address"] == "testclient"
    assert "login" in {line["action"] for line in mine["lines"]}
