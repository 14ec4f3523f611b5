"""The secret key of the ID-number hashes in the search index (HMAC-SHA256).

An ID number (居民身份证号码) has few possible values: about 10⁹ for a county's
birth years, so a plain SHA-256 of one is reversed by hashing every candidate.
The index therefore keeps ``HMAC-SHA256(key, number)``: without the key a hash
tells nothing, and the key lives outside the database and outside git.

The key is ``XWQL_INDEX_KEY`` (or the file ``XWQL_INDEX_KEY_FILE`` names), at
least 32 characters; else ``index-id.key`` in the data folder, created with 32
random bytes on first use, owner-only (0600). It is never printed or logged;
the index records only its *fingerprint* (an HMAC of a fixed text), to notice
when it is opened with another key. Losing the key loses nothing archived: the
records keep the numbers, and ``xwql archive reindex`` hashes them anew.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import re
import secrets
import stat
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.archive.messages import (
    INDEX_KEY_FILE_EMPTY,
    INDEX_KEY_READABLE_BY_OTHERS,
    INDEX_KEY_TOO_SHORT,
    INDEX_KEY_UNREADABLE,
)
from pipeline.errors import IndexKeyInvalid

if TYPE_CHECKING:
    from pipeline.config import Settings

KEY_FILE = "index-id.key"
MIN_KEY_CHARS = 32
_ID_SEPARATORS = re.compile(r"[\s\-]+")
_FINGERPRINT_TEXT = b"xwql archive index: ID-number key fingerprint"


def normalize_id_number(id_number: str) -> str:
    """An ID number as hashed: NFKC, without spaces or hyphens, upper case (``…x`` → ``…X``)."""
    return _ID_SEPARATORS.sub("", unicodedata.normalize("NFKC", id_number)).upper()


@dataclass(frozen=True)
class IdKey:
    """The key the index hashes ID numbers with.

    Attributes:
        secret: The key's bytes (never shown: not in ``repr``).
    """

    secret: bytes = field(repr=False)

    def hash(self, id_number: str) -> str:
        """The keyed hash of an ID number (normalised first): 64 lower-case hex digits."""
        normal = normalize_id_number(id_number).encode("utf-8")
        return hmac.new(self.secret, normal, hashlib.sha256).hexdigest()

    @property
    def fingerprint(self) -> str:
        """Names the key without revealing it: equal keys, equal fingerprints."""
        return hmac.new(self.secret, _FINGERPRINT_TEXT, hashlib.sha256).hexdigest()[:32]


def load_id_key(settings: Settings) -> IdKey:
    """The key from the settings (``XWQL_INDEX_KEY``), else the data folder's, made if missing.

    Raises:
        IndexKeyInvalid: The configured key is too short, or the key file is
            readable by others or cannot be read or made.
    """
    if settings.index_key is not None:
        if len(settings.index_key) < MIN_KEY_CHARS:
            raise IndexKeyInvalid(
                INDEX_KEY_TOO_SHORT(length=len(settings.index_key), minimum=MIN_KEY_CHARS)
            )
        return IdKey(settings.index_key.encode("utf-8"))
    path = settings.data / KEY_FILE
    try:
        settings.data.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            _create_key_file(path)
        mode = path.stat().st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise IndexKeyInvalid(INDEX_KEY_READABLE_BY_OTHERS(path=path, mode=stat.filemode(mode)))
        secret = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise IndexKeyInvalid(INDEX_KEY_UNREADABLE(path=path, reason=exc)) from exc
    if len(secret) < MIN_KEY_CHARS:
        raise IndexKeyInvalid(INDEX_KEY_FILE_EMPTY(path=path))
    return IdKey(secret.encode("ascii"))


def _create_key_file(path: Path) -> None:
    """Write a new random key to ``path``, owner-only, complete or not at all.

    The key is written to a private file first and linked into place, so a
    process starting at the same time reads either no file or a whole key;
    if another process linked its key first, that one counts.
    """
    partial = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
        with contextlib.suppress(FileExistsError):
            os.link(partial, path)
    finally:
        partial.unlink(missing_ok=True)
