"""Accounts, login sessions, lock-outs, rate limits and the log of writes, in the database.

All of it lives in the case store's database (SQLite by default, PostgreSQL in
production), not in one process's memory, so that several web workers share
sessions, limits and lock-outs, and a restart logs nobody out.

* An account has a role and a scope (``pipeline.accounts.model``); its password is
  kept only as an Argon2id hash.
* A session is a random id in the browser's cookie; the database keeps only its
  SHA-256, so a copy of the database opens no session. A session ends after its
  idle time, after its lifetime, at logout, or when its account is disabled.
* Five wrong passwords for an account within 15 minutes lock it for 15 minutes
  (each failure and each lock-out is logged); a good password in the meantime
  is refused too, and the refusal says until when.
* Rate limits count events per bucket and key (an address, a notice, an account)
  in a sliding window.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import unicodedata
from dataclasses import dataclass

import sqlalchemy as sa

from pipeline.accounts import messages as msg
from pipeline.accounts.model import Account, AccountRole, Scope
from pipeline.accounts.passwords import MIN_LENGTH, check_password, hash_password, needs_rehash
from pipeline.database import SqlStore, as_utc
from pipeline.errors import AccessDenied, InputInvalid, TooManyAttempts
from pipeline.organisations import Directory
from pipeline.rules.calendar import CHINA

MAX_FAILURES = 5
"""Wrong passwords within ``LOCK_TIME`` that lock an account."""
LOCK_TIME = dt.timedelta(minutes=15)
"""How long an account stays locked, and the window its failures are counted in."""

_metadata = sa.MetaData()

accounts_table = sa.Table(
    "accounts", _metadata,
    sa.Column("name", sa.String(40), primary_key=True),
    sa.Column("role", sa.String(12), nullable=False),
    sa.Column("town", sa.String(24), nullable=True),
    sa.Column("village", sa.String(24), nullable=True),
    sa.Column("password_hash", sa.String(200), nullable=False),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)  # fmt: skip

sessions_table = sa.Table(
    "web_sessions", _metadata,
    sa.Column("id_sha256", sa.String(64), primary_key=True),
    sa.Column("kind", sa.String(10), nullable=False),  # account | auditor
    sa.Column("name", sa.String(60), nullable=False, index=True),
    sa.Column("role", sa.String(12), nullable=False),
    sa.Column("town", sa.String(24), nullable=True),
    sa.Column("village", sa.String(24), nullable=True),
    sa.Column("csrf", sa.String(64), nullable=False),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False, index=True),
)  # fmt: skip

failures_table = sa.Table(
    "login_failures", _metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(60), nullable=False, index=True),
    sa.Column("address", sa.String(64), nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False, index=True),
)  # fmt: skip

rate_table = sa.Table(
    "rate_events", _metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("bucket", sa.String(40), nullable=False),
    sa.Column("key", sa.String(200), nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("rate_events_lookup", "bucket", "key", "at"),
)  # fmt: skip

activity_table = sa.Table(
    "activity_log", _metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("actor", sa.String(60), nullable=False, index=True),
    sa.Column("action", sa.String(40), nullable=False),
    sa.Column("what", sa.String(500), nullable=False),
    sa.Column("address", sa.String(64), nullable=False),
)  # fmt: skip


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class SessionActor:
    """Who a live session belongs to, resolved once per request.

    Attributes:
        kind: ``account`` (the workspace) or ``auditor`` (the archive's token users).
        name: The account's or auditor's name.
        role: Their role (an ``AccountRole`` or an archive ``Role`` value).
        scope: Where an account works (the whole district for auditors).
        csrf: The token the session's forms carry.
    """

    kind: str
    name: str
    role: str
    scope: Scope
    csrf: str


@dataclass(frozen=True)
class Activity:
    """One line of the log of writes."""

    at: dt.datetime
    actor: str
    action: str
    what: str
    address: str


class AccountStore(SqlStore):
    """Accounts and what the web pages share across workers, in SQL.

    Args:
        url: The database (``pipeline.database.database_url``).
        clock: The time now, in UTC (injectable for tests).
    """

    metadata = _metadata

    # --- accounts ---------------------------------------------------------------------

    def add(
        self, name: str, role: AccountRole, scope: Scope, password: str, directory: Directory
    ) -> Account:
        """Make an account.

        Raises:
            InputInvalid: A bad name, a scope that does not fit the role or names no
                place of ``directory``, a short password, or the name is taken.
        """
        name = _check_name(name)
        scope = _check_scope(role, scope, directory)
        _check_password(password)
        now = self._clock()
        with self.engine.begin() as db:
            if db.execute(
                sa.select(accounts_table.c.name).where(accounts_table.c.name == name)
            ).first():
                raise InputInvalid(msg.ACCOUNT_EXISTS(name=name))
            db.execute(
                sa.insert(accounts_table).values(
                    name=name, role=role.value, town=scope.town, village=scope.village,
                    password_hash=hash_password(password), active=True, created_at=now,
                )
            )  # fmt: skip
        return Account(name, role, scope, True, now)

    def get(self, name: str) -> Account | None:
        """The account ``name``, or None."""
        with self.engine.connect() as db:
            row = db.execute(sa.select(accounts_table).where(accounts_table.c.name == name)).first()
        return _account(row) if row else None

    def accounts(self) -> list[Account]:
        """Every account, by name."""
        with self.engine.connect() as db:
            rows = db.execute(sa.select(accounts_table).order_by(accounts_table.c.name)).all()
        return [_account(row) for row in rows]

    def set_password(self, name: str, password: str) -> None:
        """Give ``name`` a new password (its sessions end).

        Raises:
            InputInvalid: No such account, or the password is too short.
        """
        _check_password(password)
        with self.engine.begin() as db:
            done = db.execute(
                sa.update(accounts_table).where(accounts_table.c.name == name)
                .values(password_hash=hash_password(password))
            ).rowcount  # fmt: skip
            if not done:
                raise InputInvalid(msg.NO_ACCOUNT(name=name))
            _end_sessions_of(db, name)

    def set_active(self, name: str, active: bool) -> None:
        """Enable or disable an account; disabling ends its sessions.

        Raises:
            InputInvalid: No such account.
        """
        with self.engine.begin() as db:
            done = db.execute(
                sa.update(accounts_table).where(accounts_table.c.name == name).values(active=active)
            ).rowcount
            if not done:
                raise InputInvalid(msg.NO_ACCOUNT(name=name))
            if not active:
                _end_sessions_of(db, name)

    # --- logging in -------------------------------------------------------------------

    def authenticate(self, name: str, password: str, *, address: str) -> Account:
        """The account whose name and password these are.

        Raises:
            TooManyAttempts: The account is locked after repeated wrong passwords.
            AccessDenied: Wrong name or password, or the account is disabled (one
                message for all: the page does not tell which names exist).
        """
        now = self._clock()
        with self.engine.connect() as db:
            locked_until = self._locked_until(db, name, now)
            row = db.execute(sa.select(accounts_table).where(accounts_table.c.name == name)).first()
        if locked_until is not None:
            raise _locked(locked_until, now)
        # Checked outside any transaction: Argon2 takes a while, and the database
        # must not stay locked for it (two workers log in at once).
        stored = row.password_hash if row is not None and row.active else None
        good = check_password(stored, password)  # as slow for an unknown name
        refusal: AccessDenied | None = None
        # The failure is committed before the refusal is raised (raising inside the
        # transaction would roll the count back).
        with self.engine.begin() as db:
            if row is None or not good:
                db.execute(sa.insert(failures_table).values(name=name, address=address, at=now))
                self._log(db, name, "login-failed", "", address, now)
                locked_until = self._locked_until(db, name, now)
                refusal = AccessDenied(msg.LOGIN_FAILED())
                if locked_until is not None:
                    until = f"until {locked_until.isoformat()}"
                    self._log(db, name, "locked-out", until, address, now)
                    refusal = _locked(locked_until, now)
            else:
                db.execute(sa.delete(failures_table).where(failures_table.c.name == name))
                if needs_rehash(row.password_hash):
                    db.execute(
                        sa.update(accounts_table).where(accounts_table.c.name == name)
                        .values(password_hash=hash_password(password))
                    )  # fmt: skip
                self._log(db, name, "login", "", address, now)
        if refusal is not None or row is None:
            raise refusal or AccessDenied(msg.LOGIN_FAILED())
        return _account(row)

    def _locked_until(self, db: sa.Connection, name: str, now: dt.datetime) -> dt.datetime | None:
        recent = db.execute(
            sa.select(failures_table.c.at)
            .where(failures_table.c.name == name, failures_table.c.at > now - LOCK_TIME)
            .order_by(failures_table.c.at.desc())
            .limit(MAX_FAILURES)
        ).scalars().all()  # fmt: skip
        if len(recent) < MAX_FAILURES:
            return None
        return as_utc(recent[0]) + LOCK_TIME

    # --- sessions ---------------------------------------------------------------------

    def start_session(
        self, *, kind: str, name: str, role: str, scope: Scope
    ) -> tuple[str, SessionActor]:
        """Open a session: the id for the cookie (shown once) and its actor."""
        session_id, csrf, now = secrets.token_urlsafe(32), secrets.token_urlsafe(32), self._clock()
        with self.engine.begin() as db:
            db.execute(
                sa.insert(sessions_table).values(
                    id_sha256=_sha256(session_id), kind=kind, name=name, role=role,
                    town=scope.town, village=scope.village, csrf=csrf, started_at=now, seen_at=now,
                )
            )  # fmt: skip
        return session_id, SessionActor(kind, name, role, scope, csrf)

    def session(
        self, session_id: str | None, *, idle: dt.timedelta, lifetime: dt.timedelta
    ) -> SessionActor | None:
        """The actor of a live session, its idle time restarted; None if unknown or over.

        An account's session ends as soon as the account is disabled.
        """
        if not session_id:
            return None
        key, now = _sha256(session_id), self._clock()
        with self.engine.begin() as db:
            row = db.execute(
                sa.select(sessions_table).where(sessions_table.c.id_sha256 == key)
            ).first()
            if row is None:
                return None
            over = now - as_utc(row.seen_at) > idle or now - as_utc(row.started_at) > lifetime
            if over or (row.kind == "account" and not self._active(db, row.name)):
                db.execute(sa.delete(sessions_table).where(sessions_table.c.id_sha256 == key))
                return None
            db.execute(
                sa.update(sessions_table)
                .where(sessions_table.c.id_sha256 == key)
                .values(seen_at=now)
            )
        return SessionActor(row.kind, row.name, row.role, Scope(row.town, row.village), row.csrf)

    def end_session(self, session_id: str | None) -> None:
        """End a session (logout); unknown ids are ignored."""
        if session_id:
            with self.engine.begin() as db:
                db.execute(
                    sa.delete(sessions_table).where(
                        sessions_table.c.id_sha256 == _sha256(session_id)
                    )
                )

    def drop_expired(self, *, older_than: dt.timedelta) -> int:
        """Forget sessions and rate events not seen within ``older_than``; how many sessions."""
        cutoff = self._clock() - older_than
        with self.engine.begin() as db:
            db.execute(sa.delete(rate_table).where(rate_table.c.at < cutoff))
            db.execute(sa.delete(failures_table).where(failures_table.c.at < cutoff))
            return int(
                db.execute(
                    sa.delete(sessions_table).where(sessions_table.c.seen_at < cutoff)
                ).rowcount
            )

    def _active(self, db: sa.Connection, name: str) -> bool:
        active = db.execute(
            sa.select(accounts_table.c.active).where(accounts_table.c.name == name)
        ).scalar_one_or_none()
        return bool(active)

    # --- rate limits ------------------------------------------------------------------

    def limit(self, bucket: str, key: str, *, per: dt.timedelta, most: int) -> None:
        """Count one event of ``key`` in ``bucket``, at most ``most`` per ``per`` (sliding).

        A refused event is not counted.

        Raises:
            TooManyAttempts: Over the limit; ``retry_after`` is when the oldest
                counted event leaves the window.
        """
        now = self._clock()
        with self.engine.begin() as db:
            events = db.execute(
                sa.select(rate_table.c.at)
                .where(rate_table.c.bucket == bucket, rate_table.c.key == key,
                       rate_table.c.at > now - per)
                .order_by(rate_table.c.at.desc()).limit(most)
            ).scalars().all()  # fmt: skip
            if len(events) >= most:
                wait = (as_utc(events[-1]) + per - now).total_seconds()
                raise TooManyAttempts(msg.TOO_MANY(seconds=max(1, round(wait))), max(1.0, wait))
            db.execute(sa.insert(rate_table).values(bucket=bucket, key=key, at=now))

    # --- the log of writes ------------------------------------------------------------

    def log(self, actor: str, action: str, what: str, *, address: str) -> None:
        """Write one line to the log of writes (who did what, from where)."""
        with self.engine.begin() as db:
            self._log(db, actor, action, what, address, self._clock())

    def activity(self, *, actor: str | None = None, limit: int = 200) -> list[Activity]:
        """The newest lines of the log of writes, newest first."""
        query = sa.select(activity_table).order_by(activity_table.c.id.desc()).limit(limit)
        if actor is not None:
            query = query.where(activity_table.c.actor == actor)
        with self.engine.connect() as db:
            rows = db.execute(query).all()
        return [Activity(as_utc(r.at), r.actor, r.action, r.what, r.address) for r in rows]

    @staticmethod
    def _log(
        db: sa.Connection, actor: str, action: str, what: str, address: str, at: dt.datetime
    ) -> None:
        db.execute(
            sa.insert(activity_table).values(
                at=at, actor=actor[:60], action=action, what=what[:500], address=address[:64]
            )
        )


def _end_sessions_of(db: sa.Connection, name: str) -> None:
    db.execute(sa.delete(sessions_table).where(sessions_table.c.name == name))


def _locked(until: dt.datetime, now: dt.datetime) -> TooManyAttempts:
    shown = until.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")
    return TooManyAttempts(
        msg.LOCKED_OUT(failures=MAX_FAILURES, until=shown), (until - now).total_seconds()
    )


def _account(row: sa.Row[tuple[object, ...]]) -> Account:
    return Account(
        name=str(row.name), role=AccountRole(row.role), scope=Scope(row.town, row.village),
        active=bool(row.active), created_at=as_utc(row.created_at),
    )  # fmt: skip


def _check_name(name: str) -> str:
    name = unicodedata.normalize("NFC", name.strip())
    bad = any(unicodedata.category(c)[0] in "CZ" for c in name)
    if not 1 <= len(name) <= 40 or bad:
        raise InputInvalid(msg.BAD_NAME(name=name))
    return name


def _check_password(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise InputInvalid(msg.SHORT_PASSWORD(length=MIN_LENGTH))


def _check_scope(role: AccountRole, scope: Scope, directory: Directory) -> Scope:
    """The scope with its places checked and named by code; refused if it does not fit the role."""
    village = directory.get(scope.village) if scope.village else None
    town = None
    if scope.town:
        town = next((t for t in directory.district.towns if scope.town in (t.code, t.name)), None)
        if town is None:
            known = "、".join(t.name for t in directory.district.towns)
            raise InputInvalid(msg.UNKNOWN_TOWN(town=scope.town, known=known))
    fits = {
        AccountRole.CLERK: village is not None,
        AccountRole.OFFICE: town is not None and village is None,
        AccountRole.SUPERVISOR: (village is None) != (town is None),
        AccountRole.ADMIN: village is None and town is None,
    }[role]
    if not fits:
        needed, needed_en = _SCOPE_NEEDED[role]
        raise InputInvalid(msg.SCOPE_FOR_ROLE(role=role.value, needed=needed, needed_en=needed_en))
    if village is not None:
        return Scope(village.town.code, village.village.code)
    return Scope(town.code if town else None, None)


_SCOPE_NEEDED = {
    AccountRole.CLERK: ("指定一个村（社区）", "one village"),
    AccountRole.OFFICE: ("指定一个镇（街道），不指定村", "one town and no village"),
    AccountRole.SUPERVISOR: ("指定一个村（社区）或一个镇（街道）", "one village or one town"),
    AccountRole.ADMIN: ("不指定村或镇（全区）", "no village or town (the whole district)"),
}
