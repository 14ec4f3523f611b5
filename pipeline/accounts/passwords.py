"""Password hashes: Argon2id through ``argon2-cffi``, with its own defaults (RFC 9106).

Only the hash is ever stored. Verifying takes tens of milliseconds on purpose; a
hash made with older parameters is replaced on the next good login.
"""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_HASHER = PasswordHasher()

MIN_LENGTH = 10
"""Shortest password an account may have."""

# Hashed once, so that a login with an unknown name costs what a wrong password costs
# (the time taken does not tell which names exist).
_DUMMY = _HASHER.hash("xwql: no such account")


def new_password() -> str:
    """A new random password, to be shown once (16 URL-safe characters, 96 bits)."""
    return secrets.token_urlsafe(12)


def hash_password(password: str) -> str:
    """The Argon2id hash of ``password`` (salted; the encoded form names its parameters)."""
    return _HASHER.hash(password)


def check_password(stored: str | None, password: str) -> bool:
    """Whether ``password`` matches the ``stored`` hash (None: no account; still takes the time)."""
    try:
        return _HASHER.verify(stored or _DUMMY, password) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """Whether ``stored`` was made with parameters weaker than today's."""
    return _HASHER.check_needs_rehash(stored)
