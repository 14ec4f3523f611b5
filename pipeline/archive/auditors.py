"""Who may search and read the archive: named users with a role and a secret token.

Roles, each including the rights of the one before:

* ``auditor`` — 审计/纪检/村务监督委员会 (audit, discipline inspection, the village
  supervisory committee): search (without ID numbers), retrieve, verify;
* ``internal`` — also search by ID number (the internal record);
* ``admin`` — also read the access log.

The users live in the shared database (``archive_users``, beside the accounts: a
SQLite file in the data folder, or PostgreSQL for several workers), so every worker
and web process knows the same users. Per user it keeps the SHA-256 of the token —
never the token itself, which is shown once when the user is added. A token is 32
random bytes, so its plain hash cannot be guessed back. A name is the table's key:
two workers adding the same name at once, one of them is refused.

Earlier versions kept the users in ``auditors.json`` in the data folder. The first
open of a database that holds none of that file's users imports them (their token
hashes, so their tokens still work) and renames the file ``auditors.json.imported``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import hmac
import json
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Self

import sqlalchemy as sa

from pipeline.archive.messages import (
    MAY_NOT,
    REGISTRY_UNREADABLE,
    REGISTRY_WITHOUT_USERS,
    TOKEN_INVALID,
    TOKEN_NEEDED,
    USER_EXISTS,
    USER_NAME_LENGTH,
)
from pipeline.config import Settings
from pipeline.database import SqlStore, as_utc, database_url, utc_now
from pipeline.errors import AccessDenied, Bilingual, InputInvalid

logger = logging.getLogger(__name__)

TOKEN_ENV = "XWQL_AUDIT_TOKEN"
LEGACY_FILE = "auditors.json"
"""The data folder's registry of earlier versions, imported once."""
IMPORTED_SUFFIX = ".imported"
NAME_LIMIT = 60


class Role(StrEnum):
    """What a user may do in the archive (see the module docstring)."""

    AUDITOR = "auditor"
    INTERNAL = "internal"
    ADMIN = "admin"

    def allows(self, needed: Role) -> bool:
        """Whether this role includes ``needed``."""
        order = list(Role)
        return order.index(self) >= order.index(needed)


@dataclass(frozen=True)
class Auditor:
    """An authenticated user of the archive.

    Attributes:
        name: The user's name, as the access log records it.
        role: The user's role.
    """

    name: str
    role: Role

    def require(self, needed: Role, what: Bilingual) -> None:
        """Refuse unless the user's role includes ``needed`` for ``what`` (e.g. 查看访问日志).

        Raises:
            AccessDenied: It does not.
        """
        if not self.role.allows(needed):
            raise AccessDenied(
                MAY_NOT(
                    what_zh=what.zh,
                    what_en=what.en,
                    user=self.name,
                    role=self.role.value,
                    needed=needed.value,
                )
            )


_metadata = sa.MetaData()

users_table = sa.Table(
    "archive_users", _metadata,
    sa.Column("name", sa.String(NAME_LIMIT), primary_key=True),
    sa.Column("role", sa.String(12), nullable=False),
    sa.Column("token_sha256", sa.String(64), nullable=False),
    # Users imported from an old auditors.json may come without the day they were added.
    sa.Column("added_at", sa.DateTime(timezone=True), nullable=True),
)  # fmt: skip


def _digest(token: str) -> str:
    return hashlib.sha256(token.strip().encode("utf-8")).hexdigest()


class AuditorRegistry(SqlStore):
    """The users of the archive, in the shared database.

    Args:
        url: The database (``pipeline.database.database_url``).
        clock: The time now, in UTC (injectable for tests).
        legacy: An ``auditors.json`` of earlier versions to import once, if it exists.
    """

    metadata = _metadata

    def __init__(
        self,
        url: str,
        *,
        clock: Callable[[], dt.datetime] = utc_now,
        legacy: Path | None = None,
    ) -> None:
        super().__init__(url, clock=clock)
        if legacy is not None and legacy.exists():
            try:
                self._import(legacy)
            except BaseException:
                self.close()
                raise

    @classmethod
    def of(cls, settings: Settings, *, clock: Callable[[], dt.datetime] = utc_now) -> Self:
        """The registry in the settings' database, the data folder's old file imported."""
        url = database_url(settings.data, settings.database_url)
        return cls(url, clock=clock, legacy=settings.data / LEGACY_FILE)

    def add(self, name: str, role: Role) -> str:
        """Register ``name`` with ``role`` and return the token (shown once, never stored).

        Raises:
            InputInvalid: The name is blank, too long or taken.
        """
        name = name.strip()
        if not name or len(name) > NAME_LIMIT:
            raise InputInvalid(USER_NAME_LENGTH())
        token = secrets.token_urlsafe(32)
        row = {"name": name, "role": role.value, "token_sha256": _digest(token),
               "added_at": self._clock()}  # fmt: skip
        try:
            with self.engine.begin() as db:
                db.execute(sa.insert(users_table).values(**row))
        except sa.exc.IntegrityError:  # the key: taken, here or by another worker just now
            raise InputInvalid(USER_EXISTS(name=name)) from None
        return token

    def revoke(self, name: str) -> bool:
        """Remove ``name``; whether it was there."""
        with self.engine.begin() as db:
            removed = db.execute(sa.delete(users_table).where(users_table.c.name == name))
        return bool(removed.rowcount)

    def users(self) -> list[tuple[str, Role, str]]:
        """Every user, by name: name, role, when added (ISO 8601, empty if unknown)."""
        query = sa.select(users_table.c.name, users_table.c.role, users_table.c.added_at)
        with self.engine.connect() as db:
            rows = db.execute(query.order_by(users_table.c.name)).all()
        return [
            (row.name, Role(row.role),
             as_utc(row.added_at).isoformat(timespec="seconds") if row.added_at else "")
            for row in rows
        ]  # fmt: skip

    def authenticate(self, token: str | None) -> Auditor:
        """The user whose token this is.

        The hashes are compared here, in constant time, rather than looked up by the
        database, whose comparison stops at the first differing character.

        Raises:
            AccessDenied: No token, or no user has it.
        """
        if not token or not token.strip():
            raise AccessDenied(TOKEN_NEEDED(variable=TOKEN_ENV))
        wanted = _digest(token)
        query = sa.select(users_table.c.name, users_table.c.role, users_table.c.token_sha256)
        with self.engine.connect() as db:
            rows = db.execute(query).all()
        for row in rows:
            if hmac.compare_digest(row.token_sha256, wanted):
                return Auditor(row.name, Role(row.role))
        raise AccessDenied(TOKEN_INVALID())

    def _import(self, path: Path) -> None:
        """Import the users of an old ``auditors.json`` unless the database has any of them.

        One of them present means the file was imported already (by this data folder,
        or by another worker from a copy of it): importing again would bring back users
        revoked since. Either way the file is renamed, so it is not read again.
        """
        rows = _read_legacy(path)
        names = [row["name"] for row in rows]
        try:
            with self.engine.begin() as db:
                present = db.execute(
                    sa.select(sa.func.count())
                    .select_from(users_table)
                    .where(users_table.c.name.in_(names))
                ).scalar_one()
                if rows and not present:
                    db.execute(sa.insert(users_table), rows)
        except sa.exc.IntegrityError:  # another process imported the same file just now
            present = len(rows)
        imported = path.with_name(path.name + IMPORTED_SUFFIX)
        with contextlib.suppress(FileNotFoundError):  # renamed by that other process
            path.replace(imported)
        if present:
            logger.info("%s was imported before; renamed %s", path, imported.name)
        else:
            logger.info(
                "imported %d archive user(s) from %s into the database; renamed %s",
                len(rows), path, imported.name,
            )  # fmt: skip


def _read_legacy(path: Path) -> list[dict[str, str | dt.datetime | None]]:
    """The users of an old registry file, as rows of ``archive_users``.

    Raises:
        InputInvalid: The file cannot be read, or holds no users list.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputInvalid(REGISTRY_UNREADABLE(path=path, reason=exc)) from exc
    users = data.get("users") if isinstance(data, dict) else None
    if not isinstance(users, list):
        raise InputInvalid(REGISTRY_WITHOUT_USERS(path=path))
    rows: list[dict[str, str | dt.datetime | None]] = []
    for user in users:
        try:
            added = user.get("added")
            rows.append(
                {
                    "name": str(user["name"]),
                    "role": Role(user["role"]).value,
                    "token_sha256": str(user["token_sha256"]),
                    "added_at": dt.datetime.fromisoformat(added) if added else None,
                }
            )
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            raise InputInvalid(REGISTRY_UNREADABLE(path=path, reason=exc)) from exc
    return rows
