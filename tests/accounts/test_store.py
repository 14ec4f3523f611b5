"""Accounts, sessions, lock-outs and rate limits on a real SQLite file and a real PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from pipeline.accounts.model import AccountRole, Scope
from pipeline.accounts.store import LOCK_TIME, MAX_FAILURES, AccountStore
from pipeline.config import Settings
from pipeline.database import database_url
from pipeline.errors import AccessDenied, InputInvalid, TooManyAttempts
from pipeline.organisations import Directory, load_district

PASSWORD = "correct horse battery"
IDLE, LIFETIME = dt.timedelta(minutes=30), dt.timedelta(hours=8)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = dt.datetime(2026, 11, 24, 1, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@pytest.fixture(scope="module")
def directory() -> Directory:
    return load_district(Settings().district_path)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path, clock: Clock) -> Iterator[AccountStore]:
    if request.param == "sqlite":
        url = database_url(tmp_path, None)
    else:
        url = request.getfixturevalue("postgres_url")
    opened = AccountStore(url, clock=clock)
    yield opened
    with opened.engine.begin() as db:
        for name in ("accounts", "web_sessions", "login_failures", "rate_events", "activity_log"):
            db.execute(sa.text(f"DELETE FROM {name}"))
    opened.close()


def test_a_clerk_belongs_to_one_village_named_by_code_or_name(
    store: AccountStore, directory: Directory
) -> None:
    account = store.add("nm-clerk", AccountRole.CLERK, Scope(village="南马村"), PASSWORD, directory)
    assert account.scope == Scope(town="QL", village="QL-NM")
    assert store.get("nm-clerk") == account
    stored = store.engine.connect().execute(sa.text("SELECT password_hash FROM accounts")).scalar()
    assert isinstance(stored, str) and stored.startswith("$argon2id$")
    assert PASSWORD not in stored


@pytest.mark.parametrize(
    ("role", "scope"),
    [
        (AccountRole.CLERK, Scope()),  # a clerk without a village
        (AccountRole.CLERK, Scope(town="QL")),
        (AccountRole.OFFICE, Scope(village="QL-NM")),  # an office is a town's
        (AccountRole.ADMIN, Scope(town="QL")),  # the administrator is the district's
        (AccountRole.SUPERVISOR, Scope()),
    ],
)
def test_a_scope_that_does_not_fit_the_role_is_refused(
    store: AccountStore, directory: Directory, role: AccountRole, scope: Scope
) -> None:
    with pytest.raises(InputInvalid, match="账号须"):
        store.add("someone", role, scope, PASSWORD, directory)
    assert store.accounts() == []


def test_unknown_places_short_passwords_bad_and_taken_names_are_refused(
    store: AccountStore, directory: Directory
) -> None:
    with pytest.raises(InputInvalid, match="未知的村"):
        store.add("a", AccountRole.CLERK, Scope(village="没有这个村"), PASSWORD, directory)
    with pytest.raises(InputInvalid, match="未知的镇"):
        store.add("a", AccountRole.OFFICE, Scope(town="XX"), PASSWORD, directory)
    with pytest.raises(InputInvalid, match="至少 10 个字符"):
        store.add("a", AccountRole.ADMIN, Scope(), "short", directory)
    for bad in ("", "two words", "tab\there", "x" * 41, "zero\u200bwidth"):
        with pytest.raises(InputInvalid, match="账号名"):
            store.add(bad, AccountRole.ADMIN, Scope(), PASSWORD, directory)
    store.add("王小明", AccountRole.ADMIN, Scope(), PASSWORD, directory)
    with pytest.raises(InputInvalid, match="已存在"):
        store.add("王小明", AccountRole.ADMIN, Scope(), PASSWORD, directory)


def test_five_wrong_passwords_lock_the_account_for_fifteen_minutes(
    store: AccountStore, directory: Directory, clock: Clock
) -> None:
    store.add("nm-clerk", AccountRole.CLERK, Scope(village="QL-NM"), PASSWORD, directory)
    for _ in range(MAX_FAILURES - 1):
        with pytest.raises(AccessDenied, match="账号或密码不对") as refused:
            store.authenticate("nm-clerk", "wrong password", address="10.0.0.9")
        assert not isinstance(refused.value, TooManyAttempts)
    with pytest.raises(TooManyAttempts, match="锁定到 2026-11-24 09:15") as locked:
        store.authenticate("nm-clerk", "wrong password", address="10.0.0.9")
    assert locked.value.retry_after == LOCK_TIME.total_seconds()
    clock.advance(minutes=10)
    with pytest.raises(TooManyAttempts):  # even the right password, while locked
        store.authenticate("nm-clerk", PASSWORD, address="10.0.0.9")
    clock.advance(minutes=5, seconds=1)
    assert store.authenticate("nm-clerk", PASSWORD, address="10.0.0.9").name == "nm-clerk"
    actions = [line.action for line in store.activity(actor="nm-clerk")][::-1]
    assert actions == ["login-failed"] * MAX_FAILURES + ["locked-out", "login"]


def test_unknown_names_and_disabled_accounts_get_the_same_refusal(
    store: AccountStore, directory: Directory
) -> None:
    store.add("nm-clerk", AccountRole.CLERK, Scope(village="QL-NM"), PASSWORD, directory)
    store.set_active("nm-clerk", False)
    for name in ("nm-clerk", "nobody"):
        with pytest.raises(AccessDenied, match=r"^账号或密码不对 / wrong name or password$"):
            store.authenticate(name, PASSWORD, address="10.0.0.9")


def test_sessions_end_when_idle_when_old_at_logout_and_when_the_account_is_disabled(
    store: AccountStore, directory: Directory, clock: Clock
) -> None:
    store.add("nm-clerk", AccountRole.CLERK, Scope(village="QL-NM"), PASSWORD, directory)
    scope = Scope("QL", "QL-NM")
    session_id, actor = store.start_session(
        kind="account", name="nm-clerk", role="clerk", scope=scope
    )
    stored = store.engine.connect().execute(sa.text("SELECT id_sha256 FROM web_sessions")).scalar()
    assert stored != session_id  # only the id's hash is kept
    assert store.session(session_id, idle=IDLE, lifetime=LIFETIME) == actor
    clock.advance(minutes=29)
    assert store.session(session_id, idle=IDLE, lifetime=LIFETIME) == actor  # idle time restarts
    clock.advance(minutes=31)
    assert store.session(session_id, idle=IDLE, lifetime=LIFETIME) is None

    for _ in range(2):
        session_id, _ = store.start_session(
            kind="account", name="nm-clerk", role="clerk", scope=scope
        )
    for _ in range(17):  # 17 × 29 minutes: never idle, but 8 hours pass
        clock.advance(minutes=29)
        store.session(session_id, idle=IDLE, lifetime=LIFETIME)
    assert store.session(session_id, idle=IDLE, lifetime=LIFETIME) is None  # past 8 hours

    session_id, _ = store.start_session(kind="account", name="nm-clerk", role="clerk", scope=scope)
    store.end_session(session_id)
    assert store.session(session_id, idle=IDLE, lifetime=LIFETIME) is None

    session_id, _ = store.start_session(kind="account", name="nm-clerk", role="clerk", scope=scope)
    store.set_active("nm-clerk", False)
    assert store.session(session_id, idle=IDLE, lifetime=LIFETIME) is None
    assert store.session("made-up", idle=IDLE, lifetime=LIFETIME) is None


def test_a_new_password_ends_the_accounts_sessions(
    store: AccountStore, directory: Directory
) -> None:
    store.add("nm-clerk", AccountRole.CLERK, Scope(village="QL-NM"), PASSWORD, directory)
    session_id, _ = store.start_session(
        kind="account", name="nm-clerk", role="clerk", scope=Scope("QL", "QL-NM")
    )
    store.set_password("nm-clerk", "another long password")
    assert store.session(session_id, idle=IDLE, lifetime=LIFETIME) is None
    assert store.authenticate("nm-clerk", "another long password", address="x").name == "nm-clerk"
    with pytest.raises(InputInvalid, match="没有账号"):
        store.set_password("nobody", "another long password")


def test_two_stores_on_one_database_share_sessions_and_limits(
    store: AccountStore, clock: Clock
) -> None:
    """Two web workers: a session made by one is live in the other, limits count across both."""
    other = AccountStore(str(store.engine.url.render_as_string(hide_password=False)), clock=clock)
    try:
        session_id, actor = store.start_session(
            kind="auditor", name="李审计", role="auditor", scope=Scope()
        )
        assert other.session(session_id, idle=IDLE, lifetime=LIFETIME) == actor
        for worker in (store, other, store):
            worker.limit("objection", "notice:7K3D-Q9XM", per=dt.timedelta(minutes=1), most=3)
        with pytest.raises(TooManyAttempts, match="60 秒后再试") as refused:
            other.limit("objection", "notice:7K3D-Q9XM", per=dt.timedelta(minutes=1), most=3)
        assert refused.value.retry_after == 60
        other.limit("objection", "notice:OTHER", per=dt.timedelta(minutes=1), most=3)
        clock.advance(seconds=60)
        store.limit("objection", "notice:7K3D-Q9XM", per=dt.timedelta(minutes=1), most=3)
    finally:
        other.close()


def test_old_sessions_and_events_are_forgotten(store: AccountStore, clock: Clock) -> None:
    store.start_session(kind="auditor", name="李审计", role="auditor", scope=Scope())
    store.limit("login", "10.0.0.9", per=dt.timedelta(minutes=1), most=5)
    clock.advance(days=2)
    assert store.drop_expired(older_than=dt.timedelta(days=1)) == 1
    with store.engine.connect() as db:
        assert db.execute(sa.text("SELECT count(*) FROM rate_events")).scalar() == 0
