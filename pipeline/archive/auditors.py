"""Who may search and read the archive: named users with a role and a secret token.

Roles, each including the rights of the one before:

* ``auditor`` — 审计/纪检/村务监督委员会: search (without ID numbers), retrieve, verify;
* ``internal`` — also search by ID number (the internal record);
* ``admin`` — also read the access log.

The registry is a JSON file in the data folder (owner-only permissions) that
keeps, per user, the SHA-256 of the token — never the token itself, which is
shown once when the user is added. A token is 32 random bytes, so its plain
hash cannot be guessed back.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

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
from pipeline.errors import AccessDenied, Bilingual, InputInvalid

TOKEN_ENV = "XWQL_AUDIT_TOKEN"


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


def _digest(token: str) -> str:
    return hashlib.sha256(token.strip().encode("utf-8")).hexdigest()


class AuditorRegistry:
    """The users of the archive, kept in one JSON file.

    Args:
        path: The registry file (created on the first ``add``, mode 0600).
    """

    def __init__(self, path: Path) -> None:
        """Use the registry at ``path``."""
        self.path = path

    @classmethod
    def of(cls, settings: Settings) -> AuditorRegistry:
        """The registry of the settings' data folder (``auditors.json``)."""
        return cls(settings.data / "auditors.json")

    def _load(self) -> list[dict[str, str]]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return []
        except (OSError, ValueError) as exc:
            raise InputInvalid(REGISTRY_UNREADABLE(path=self.path, reason=exc)) from exc
        users = data.get("users") if isinstance(data, dict) else None
        if not isinstance(users, list):
            raise InputInvalid(REGISTRY_WITHOUT_USERS(path=self.path))
        return users

    def _save(self, users: list[dict[str, str]]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_name(self.path.name + ".part")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump({"users": users}, handle, ensure_ascii=False, indent=2)
        partial.replace(self.path)

    def add(self, name: str, role: Role) -> str:
        """Register ``name`` with ``role`` and return the token (shown once, never stored).

        Raises:
            InputInvalid: The name is blank or taken.
        """
        name = name.strip()
        if not name or len(name) > 60:
            raise InputInvalid(USER_NAME_LENGTH())
        users = self._load()
        if any(user["name"] == name for user in users):
            raise InputInvalid(USER_EXISTS(name=name))
        token = secrets.token_urlsafe(32)
        users.append(
            {
                "name": name,
                "role": role.value,
                "token_sha256": _digest(token),
                "added": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            }
        )
        self._save(users)
        return token

    def revoke(self, name: str) -> bool:
        """Remove ``name``; whether it was there."""
        users = self._load()
        kept = [user for user in users if user["name"] != name]
        if len(kept) != len(users):
            self._save(kept)
        return len(kept) != len(users)

    def users(self) -> list[tuple[str, Role, str]]:
        """Every user: name, role, when added."""
        return [(u["name"], Role(u["role"]), u.get("added", "")) for u in self._load()]

    def authenticate(self, token: str | None) -> Auditor:
        """The user whose token this is.

        Raises:
            AccessDenied: No token, or no user has it.
        """
        if not token or not token.strip():
            raise AccessDenied(TOKEN_NEEDED(variable=TOKEN_ENV))
        wanted = _digest(token)
        for user in self._load():
            if hmac.compare_digest(user.get("token_sha256", ""), wanted):
                return Auditor(user["name"], Role(user["role"]))
        raise AccessDenied(TOKEN_INVALID())
