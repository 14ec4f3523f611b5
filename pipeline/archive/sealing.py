"""Personal data sealed inside a package: readable by the internal role only.

A package is one BagIt unit that anyone with read access can check for fixity;
the parts that carry personal data (身份证号、电话、住址: the internal record, a
notice's internal copy, the case file with its application forms, an objector's
contact and photo) are stored in it *sealed*:

* each sealed file has its own 256-bit data key and is encrypted with
  AES-256-GCM (``cryptography``, the library pyHanko and the S3 client already
  bring); the authenticated data is the file's header, which names the package
  and the file, so a sealed file moved to another package or renamed does not open.
  The data key and nonce are derived (HMAC-SHA256 under the archive key) from
  the file's name and content rather than drawn at random, so that building a
  package again gives the same bytes, which the archive's once-only filing
  relies on; a key is thus never used for two different contents;
* the data key is wrapped (AES key wrap, RFC 3394) by the archive key, which is
  kept outside the bucket and the index: ``XWQL_ARCHIVE_KEYS`` names the keyring
  file (a mounted secret or a KMS-backed path in production), else
  ``archive-keys.json`` in the data folder, created on first use, owner-only (0600).

Why not encrypt with the archive key directly: the packages are locked for
decades. A new archive key (``xwql archive rotate-key``) seals what is filed
from then on, and the keyring keeps the old keys to open what they sealed; no
locked object is ever rewritten. Losing the keyring loses the personal part of
every package (the public part and the fixity stay): back it up with the
signing keys.

The file format, three parts: the line ``XWQL-SEALED/1``; one line of JSON
(sorted keys: ``alg`` A256GCM, ``for`` the archival code and name, ``key`` the
wrapped data key, ``kid`` the archive key's id, ``nonce``, ``wrap`` A256KW); then
the ciphertext with its GCM tag.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import datetime as dt
import fcntl
import hashlib
import hmac
import json
import os
import secrets
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap, aes_key_wrap

from pipeline.archive.messages import (
    ARCHIVE_KEY_MISSING,
    ARCHIVE_KEYS_MISSING,
    ARCHIVE_KEYS_READABLE_BY_OTHERS,
    ARCHIVE_KEYS_UNREADABLE,
    SEALED_FOR_OTHER,
    SEALED_MALFORMED,
    SEALED_TAMPERED,
)
from pipeline.errors import ArchiveKeyInvalid, SealedPartUnreadable

if TYPE_CHECKING:
    from pipeline.config import Settings

KEYRING_FILE = "archive-keys.json"
SEALED_SUFFIX = ".sealed"
MAGIC = b"XWQL-SEALED/1\n"
_KEY_BYTES = 32
_NONCE_BYTES = 12


@dataclass(frozen=True)
class Keyring:
    """The archive keys: the current one seals, every one kept opens.

    Attributes:
        path: The keyring file.
        current: The id of the key new files are sealed with.
        keys: Every key by id (never shown: not in ``repr``).
    """

    path: Path
    current: str
    keys: dict[str, bytes] = field(repr=False)

    def rotated(self) -> Keyring:
        """A keyring with a new current key (the old ones kept), written to :attr:`path`.

        The file is read again under a lock: a key another process added meanwhile
        is kept (a lost key would leave what it sealed unreadable for good).

        Raises:
            ArchiveKeyInvalid: The file cannot be read or written.
        """
        lock = self.path.with_name(f".{self.path.name}.lock")
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise ArchiveKeyInvalid(ARCHIVE_KEYS_UNREADABLE(path=lock, reason=exc)) from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                on_disk = _read_keys(self.path)
            except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
                raise ArchiveKeyInvalid(
                    ARCHIVE_KEYS_UNREADABLE(path=self.path, reason=exc)
                ) from exc
            kid = _new_key_id()
            keys = {**self.keys, **on_disk, kid: secrets.token_bytes(_KEY_BYTES)}
            _write_keyring(self.path, kid, keys, replace=True)
        finally:
            os.close(fd)  # releases the lock
        return Keyring(self.path, kid, keys)


def keyring_path(settings: Settings) -> Path:
    """Where the keyring is: ``XWQL_ARCHIVE_KEYS``, else the data folder's file."""
    return settings.archive_keys or settings.data / KEYRING_FILE


def load_keyring(settings: Settings, *, create: bool | None = None) -> Keyring:
    """The keyring of the settings, made (with one key) if it does not exist yet.

    A keyring named by ``XWQL_ARCHIVE_KEYS`` is not made unless ``create``: a
    secret that failed to mount must stop the job, not start a new keyring that
    opens none of the packages sealed before (``xwql archive rotate-key`` makes it).

    Raises:
        ArchiveKeyInvalid: The file is missing (when named), readable by others,
            or cannot be read or made.
    """
    path = keyring_path(settings)
    if create is None:
        create = settings.archive_keys is None
    if not create and not path.exists():
        raise ArchiveKeyInvalid(ARCHIVE_KEYS_MISSING(path=path))
    try:
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            kid = _new_key_id()
            _write_keyring(path, kid, {kid: secrets.token_bytes(_KEY_BYTES)}, replace=False)
        mode = path.stat().st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise ArchiveKeyInvalid(
                ARCHIVE_KEYS_READABLE_BY_OTHERS(path=path, mode=stat.filemode(mode))
            )
        data = json.loads(path.read_text(encoding="utf-8"))
        keys = _read_keys(path, data)
        current = str(data["current"])
        if current not in keys or any(len(key) != _KEY_BYTES for key in keys.values()):
            raise ValueError("the current key is missing, or a key is not 256 bits")
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ArchiveKeyInvalid(ARCHIVE_KEYS_UNREADABLE(path=path, reason=exc)) from exc
    return Keyring(path, current, keys)


def _read_keys(path: Path, data: dict[str, object] | None = None) -> dict[str, bytes]:
    """The keys of the keyring file at ``path`` (or of its parsed ``data``)."""
    if data is None:
        data = json.loads(path.read_text(encoding="utf-8"))
    entries = data["keys"]
    if not isinstance(entries, dict):
        raise ValueError("its keys are not a mapping of key ids")
    return {str(kid): bytes.fromhex(entry["key"]) for kid, entry in entries.items()}


def _new_key_id() -> str:
    return f"ak-{dt.datetime.now(dt.UTC):%Y%m%d}-{secrets.token_hex(3)}"


def _write_keyring(path: Path, current: str, keys: dict[str, bytes], *, replace: bool) -> None:
    """Write the keyring owner-only, whole or not at all.

    A first keyring is linked into place, so two processes starting at once
    agree on one; a rotated one replaces the file atomically.
    """
    text = json.dumps(
        {
            "current": current,
            "keys": {kid: {"key": key.hex()} for kid, key in sorted(keys.items())},
            "note": "xwql archive keys: back this file up; without it sealed parts cannot be read",
        },
        indent=2,
        sort_keys=True,
    )
    partial = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        if replace:
            partial.replace(path)
        else:
            with contextlib.suppress(FileExistsError):
                os.link(partial, path)
    finally:
        partial.unlink(missing_ok=True)


@dataclass(frozen=True)
class SealedHeader:
    """What a sealed file says about itself (readable without any key)."""

    sealed_for: str
    key_id: str
    wrapped_key: bytes
    nonce: bytes
    raw: bytes  # the header as stored: the authenticated data


def read_header(sealed: bytes, *, name: str) -> tuple[SealedHeader, bytes]:
    """The header of a sealed file and its ciphertext.

    Raises:
        SealedPartUnreadable: The bytes are not a sealed file.
    """
    try:
        if not sealed.startswith(MAGIC):
            raise ValueError("it does not start with XWQL-SEALED/1")
        end = sealed.index(b"\n", len(MAGIC)) + 1
        raw = sealed[:end]
        data = json.loads(raw[len(MAGIC) :])
        if not isinstance(data, dict):
            raise ValueError("its header is not a JSON object")
        if data.get("alg") != "A256GCM" or data.get("wrap") != "A256KW":
            raise ValueError(f"unknown algorithm {data.get('alg')}/{data.get('wrap')}")
        header = SealedHeader(
            sealed_for=str(data["for"]),
            key_id=str(data["kid"]),
            wrapped_key=base64.b64decode(data["key"], validate=True),
            nonce=base64.b64decode(data["nonce"], validate=True),
            raw=raw,
        )
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise SealedPartUnreadable(SEALED_MALFORMED(name=name, reason=exc)) from None
    return header, sealed[end:]


@dataclass(frozen=True)
class Sealer:
    """Seals and opens the personal parts of packages with a keyring."""

    keyring: Keyring

    def seal(self, plain: bytes, *, sealed_for: str) -> bytes:
        """``plain`` sealed with a new data key, for ``sealed_for`` (``<archival code>/<name>``)."""
        kid = self.keyring.current
        kek = self.keyring.keys[kid]
        content = sealed_for.encode("utf-8") + b"\0" + hashlib.sha256(plain).digest()
        data_key = hmac.new(kek, b"xwql data key\0" + content, hashlib.sha256).digest()
        nonce = hmac.new(kek, b"xwql nonce\0" + content, hashlib.sha256).digest()[:_NONCE_BYTES]
        header = json.dumps(
            {
                "alg": "A256GCM",
                "for": sealed_for,
                "key": base64.b64encode(aes_key_wrap(kek, data_key)).decode(),
                "kid": kid,
                "nonce": base64.b64encode(nonce).decode(),
                "wrap": "A256KW",
            },
            ensure_ascii=False,
            separators=(",", ":"),
            sort_keys=True,
        )
        raw = MAGIC + header.encode("utf-8") + b"\n"
        return raw + AESGCM(data_key).encrypt(nonce, plain, raw)

    def open(self, sealed: bytes, *, sealed_for: str) -> bytes:
        """The plain bytes of a sealed file that must be ``sealed_for``.

        Raises:
            SealedPartUnreadable: Not a sealed file, sealed for another file,
                sealed with a key the keyring lacks, or changed since sealing.
        """
        header, ciphertext = read_header(sealed, name=sealed_for)
        if header.sealed_for != sealed_for:
            raise SealedPartUnreadable(SEALED_FOR_OTHER(name=sealed_for, other=header.sealed_for))
        kek = self.keyring.keys.get(header.key_id)
        if kek is None:
            raise SealedPartUnreadable(
                ARCHIVE_KEY_MISSING(name=sealed_for, kid=header.key_id, path=self.keyring.path)
            )
        try:
            data_key = aes_key_unwrap(kek, header.wrapped_key)
            return AESGCM(data_key).decrypt(header.nonce, ciphertext, header.raw)
        except (InvalidUnwrap, InvalidTag, ValueError):
            raise SealedPartUnreadable(SEALED_TAMPERED(name=sealed_for)) from None
