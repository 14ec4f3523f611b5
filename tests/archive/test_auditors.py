"""The archive's users in the shared database, on a real SQLite file and a real PostgreSQL."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import logging
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import sqlalchemy as sa

from pipeline.archive.auditors import AuditorRegistry, Role
from pipeline.config import Settings
from pipeline.database import database_url
from pipeline.errors import AccessDenied, InputInvalid

T0 = dt.datetime(2026, 11, 24, 1, 0, tzinfo=dt.UTC)
OLD_TOKEN = "an-old-token-from-auditors-json-0123456789abcdef"


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of either kind (PostgreSQL's tables are shared by the tests)."""
    if request.param == "sqlite":
        yield database_url(tmp_path, None)
        return
    shared: str = request.getfixturevalue("postgres_url")
    yield shared
    engine = sa.create_engine(shared)
    with engine.begin() as db:
        db.execute(sa.text("DELETE FROM archive_users"))
    engine.dispose()


@pytest.fixture
def users(url: str) -> Iterator[AuditorRegistry]:
    registry = AuditorRegistry(url, clock=lambda: T0)
    yield registry
    registry.close()


def _legacy_file(folder: Path, *names: str) -> Path:
    """An ``auditors.json`` as earlier versions wrote it, ``OLD_TOKEN`` the first user's."""
    path = folder / "auditors.json"
    folder.mkdir(parents=True, exist_ok=True)
    users = [
        {"name": name, "role": "internal" if n == 0 else "auditor",
         "token_sha256": hashlib.sha256(f"{OLD_TOKEN}{n or ''}".encode()).hexdigest(),
         "added": "2026-03-01T08:00:00+00:00"}
        for n, name in enumerate(names)
    ]  # fmt: skip
    path.write_text(json.dumps({"users": users}, ensure_ascii=False), encoding="utf-8")
    return path


def test_a_user_is_added_listed_authenticated_and_revoked(users: AuditorRegistry) -> None:
    token = users.add("  李审计 ", Role.AUDITOR)
    assert users.users() == [("李审计", Role.AUDITOR, "2026-11-24T01:00:00+00:00")]
    found = users.authenticate(f" {token}\n")  # as read from a token file
    assert (found.name, found.role) == ("李审计", Role.AUDITOR)
    with users.engine.connect() as db:
        stored = db.execute(sa.text("SELECT token_sha256 FROM archive_users")).scalar_one()
    assert token not in stored and stored == hashlib.sha256(token.encode()).hexdigest()
    assert users.revoke("李审计") and not users.revoke("李审计")
    with pytest.raises(AccessDenied, match="审计口令无效"):
        users.authenticate(token)
    assert users.users() == []


def test_a_missing_token_a_wrong_one_and_bad_names_are_refused(users: AuditorRegistry) -> None:
    users.add("王内审", Role.INTERNAL)
    with pytest.raises(AccessDenied, match="XWQL_AUDIT_TOKEN"):
        users.authenticate(None)
    with pytest.raises(AccessDenied, match="需要审计口令"):
        users.authenticate("  ")
    with pytest.raises(AccessDenied, match="审计口令无效"):
        users.authenticate("guess")
    for name in ("", "  ", "名" * 61):
        with pytest.raises(InputInvalid, match="1–60"):
            users.add(name, Role.AUDITOR)
    with pytest.raises(InputInvalid, match="王内审 已存在"):
        users.add("王内审", Role.ADMIN)
    assert [(name, role) for name, role, _ in users.users()] == [("王内审", Role.INTERNAL)]


def test_two_registries_on_one_database_see_each_others_users(url: str) -> None:
    """Two workers: a user added on one logs in on the other, a revocation holds on both."""
    with (
        contextlib.closing(AuditorRegistry(url)) as one,
        contextlib.closing(AuditorRegistry(url)) as other,
    ):
        token = one.add("审计甲", Role.ADMIN)
        assert other.authenticate(token).name == "审计甲"
        with pytest.raises(InputInvalid, match="已存在"):
            other.add("审计甲", Role.AUDITOR)
        other.revoke("审计甲")
        with pytest.raises(AccessDenied):
            one.authenticate(token)


def test_one_name_added_by_two_workers_at_once_is_given_once(url: str) -> None:
    registries = [AuditorRegistry(url) for _ in range(4)]
    start = threading.Barrier(len(registries))
    outcomes: list[str] = []

    def add(registry: AuditorRegistry) -> None:
        start.wait()
        try:
            registry.add("同名", Role.AUDITOR)
            outcomes.append("added")
        except InputInvalid as exc:
            outcomes.append("exists" if "同名 已存在" in str(exc) else str(exc))

    threads = [threading.Thread(target=add, args=(r,)) for r in registries]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for registry in registries:
        registry.close()
    assert sorted(outcomes) == ["added", "exists", "exists", "exists"]


def test_the_old_json_file_is_imported_once(
    url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    legacy = _legacy_file(tmp_path / "data", "老内审", "老审计")
    with caplog.at_level(logging.INFO, logger="pipeline.archive.auditors"):
        registry = AuditorRegistry(url, legacy=legacy)
    try:
        assert registry.users() == [
            ("老内审", Role.INTERNAL, "2026-03-01T08:00:00+00:00"),
            ("老审计", Role.AUDITOR, "2026-03-01T08:00:00+00:00"),
        ]
        assert registry.authenticate(OLD_TOKEN).name == "老内审"  # the hash was kept
        assert "imported 2 archive user(s)" in caplog.text
        assert not legacy.exists() and legacy.with_name("auditors.json.imported").exists()
        registry.revoke("老审计")
    finally:
        registry.close()
    # A copy of the same file (another worker's data folder) brings no revoked user back.
    copy = _legacy_file(tmp_path / "other-data", "老内审", "老审计")
    with contextlib.closing(AuditorRegistry(url, legacy=copy)) as again:
        assert [name for name, _, _ in again.users()] == ["老内审"]
    assert not copy.exists() and copy.with_name("auditors.json.imported").exists()


def test_the_data_folders_file_is_imported_by_the_settings_registry(tmp_path: Path) -> None:
    settings = replace(Settings(), data=tmp_path, database_url=None)
    _legacy_file(tmp_path, "老内审")
    with contextlib.closing(AuditorRegistry.of(settings)) as registry:
        assert registry.authenticate(OLD_TOKEN).role is Role.INTERNAL
    assert (tmp_path / "xwql.sqlite3").exists()
    assert sorted(p.name for p in tmp_path.glob("auditors.json*")) == ["auditors.json.imported"]


def test_a_damaged_old_file_is_a_clear_error_and_stays(url: str, tmp_path: Path) -> None:
    legacy = tmp_path / "auditors.json"
    legacy.write_text("{not json", encoding="utf-8")
    with pytest.raises(InputInvalid, match="旧版用户登记文件损坏") as refused:
        AuditorRegistry(url, legacy=legacy)
    assert "xwql auditors add" in str(refused.value)
    legacy.write_text(json.dumps({"users": [{"name": "x", "role": "boss"}]}), encoding="utf-8")
    with pytest.raises(InputInvalid, match="旧版用户登记文件损坏"):
        AuditorRegistry(url, legacy=legacy)
    assert legacy.exists()
