"""``xwql users``: accounts made, listed, disabled and re-keyed from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.accounts.store import AccountStore
from pipeline.config import Settings
from pipeline.errors import AccessDenied, ExitCode


@pytest.fixture
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A data folder of the test's own: accounts made here go nowhere else."""
    monkeypatch.setenv("XWQL_DATA", str(tmp_path))
    return tmp_path


def test_a_clerk_is_made_with_a_password_shown_once_and_can_log_in(cli, data: Path) -> None:  # type: ignore[no-untyped-def]
    made = cli("users", "add", "nm-clerk", "--role", "clerk", "--village", "南马村")
    assert made.code == 0, made.err
    assert "nm-clerk (村经办人 clerk, 齐陵街道南马村)" in made.out
    password = made.out.strip().splitlines()[-1]
    store = AccountStore.of(Settings(data=data))
    try:
        assert store.authenticate("nm-clerk", password, address="test").scope.village == "QL-NM"
    finally:
        store.close()
    listed = cli("users", "list", "--json")
    assert json.loads(listed.out) == [
        {"name": "nm-clerk", "role": "clerk", "scope": "齐陵街道南马村", "town": "QL",
         "village": "QL-NM", "active": True, "created_at": json.loads(listed.out)[0]["created_at"]}
    ]  # fmt: skip


def test_an_account_whose_scope_does_not_fit_is_refused_with_a_clear_message(
    cli, data: Path
) -> None:  # type: ignore[no-untyped-def]
    refused = cli("users", "add", "x", "--role", "clerk", "--town", "齐陵街道")
    assert refused.code == ExitCode.INPUT_INVALID
    assert "clerk 账号须指定一个村（社区）" in refused.err
    assert "Traceback" not in refused.err
    refused = cli("users", "add", "x", "--role", "office", "--town", "没有这个镇")
    assert refused.code == ExitCode.INPUT_INVALID and "未知的镇" in refused.err


def test_disabled_accounts_cannot_log_in_and_new_passwords_come_from_a_file(
    cli, data: Path
) -> None:  # type: ignore[no-untyped-def]
    secret = data / "password.txt"
    secret.write_text("a long enough password\n", encoding="utf-8")
    added = cli("users", "add", "ql-office", "--role", "office", "--town", "齐陵街道",
                "--password-file", str(secret))  # fmt: skip
    assert added.code == 0 and "password" not in added.out.lower().split("office")[-1]
    assert cli("users", "disable", "ql-office").code == 0
    store = AccountStore.of(Settings(data=data))
    try:
        with pytest.raises(AccessDenied):
            store.authenticate("ql-office", "a long enough password", address="test")
        assert cli("users", "enable", "ql-office").code == 0
        changed = cli("users", "password", "ql-office")
        assert changed.code == 0
        new = changed.out.strip().splitlines()[-1]
        assert store.authenticate("ql-office", new, address="test").name == "ql-office"
    finally:
        store.close()
    missing = cli("users", "disable", "nobody")
    assert missing.code == ExitCode.INPUT_INVALID and "没有账号 nobody" in missing.err
