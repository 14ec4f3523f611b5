"""The keys every worker of a fleet must share, checked in the shared database.

Past one machine, several workers share one database and one bucket, each with a data
folder of its own. What one worker files the others verify, search and open, so all
must hold the same three keys:

* the signing keys' trust roots (``XWQL_SIGNING_KEYS``'s ``trust-roots.pem``, else
  the demo CA made under ``data/signing``): a package signed under another CA is
  untrusted on every other worker;
* the index key (``XWQL_INDEX_KEY``, else ``data/index-id.key``): the shared index,
  opened with another key, drops every ID-number hash it holds;
* the archive keyring (``XWQL_ARCHIVE_KEYS``, else ``data/archive-keys.json``):
  a personal part sealed with a key the others lack opens nowhere else.

Each is named by a fingerprint that reveals nothing usable: the SHA-256 of the root
certificate (its DER; of the roots' SHA-256s when there are several), an HMAC of a
fixed text under the index key (the one the index records), and the SHA-256 of the
keyring's key ids with an HMAC of a fixed text under each key. The first worker to
open the archive for writing registers them in ``fleet_keys`` with its host and the
time; every later opening for writing compares, and a worker whose keys differ is
refused before it files anything (:class:`~pipeline.errors.FleetKeysDiffer`).
``xwql doctor`` compares without registering. A new archive key (``xwql archive
rotate-key``) moves the registration along; the other workers are refused until they
have the new keyring. With the database in the data folder (one machine) the first
opening registers and every later one agrees.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import hmac
import logging
import socket
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

import sqlalchemy as sa
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from pipeline.archive.idkey import KEY_FILE, IdKey, load_id_key
from pipeline.archive.messages import (
    FLEET_ARCHIVE_KEYS,
    FLEET_INDEX_KEY,
    FLEET_KEY_DIFFERS,
    FLEET_SIGNING_KEYS,
)
from pipeline.archive.sealing import Keyring, load_keyring
from pipeline.archive.signing import KeyStore
from pipeline.config import Settings
from pipeline.database import SqlStore, as_utc
from pipeline.errors import Bilingual, FleetKeysDiffer

logger = logging.getLogger(__name__)

SHOWN = 12
"""Hex digits of a fingerprint shown to the operator: enough to tell two apart."""
_KEYRING_TEXT = b"xwql archive keyring: key fingerprint"


class KeyKind(StrEnum):
    """The keys the workers of a fleet share."""

    SIGNING = "signing"
    INDEX = "index"
    ARCHIVE = "archive"

    @property
    def label(self) -> Bilingual:
        """What the key is, for the operator."""
        return {
            KeyKind.SIGNING: FLEET_SIGNING_KEYS,
            KeyKind.INDEX: FLEET_INDEX_KEY,
            KeyKind.ARCHIVE: FLEET_ARCHIVE_KEYS,
        }[self]

    @property
    def variable(self) -> str:
        """The setting that points a worker at the fleet's key."""
        return {
            KeyKind.SIGNING: "XWQL_SIGNING_KEYS",
            KeyKind.INDEX: "XWQL_INDEX_KEY",
            KeyKind.ARCHIVE: "XWQL_ARCHIVE_KEYS",
        }[self]


_KINDS = {kind.value for kind in KeyKind}


@dataclass(frozen=True)
class Fingerprint:
    """One of this worker's keys, named without being revealed.

    Attributes:
        kind: Which key.
        value: Its fingerprint (hex).
        source: Where this worker's key comes from (a path or a variable).
    """

    kind: KeyKind
    value: str
    source: str


@dataclass(frozen=True)
class Registration:
    """A key's fingerprint as the fleet registered it.

    Attributes:
        kind: Which key.
        fingerprint: The fingerprint registered.
        host: The worker that registered it.
        at: When (UTC).
    """

    kind: KeyKind
    fingerprint: str
    host: str
    at: dt.datetime


def signing_fingerprint(roots: Sequence[x509.Certificate]) -> str:
    """The SHA-256 of the root certificate's DER (``openssl x509 -fingerprint -sha256``).

    Several roots: the SHA-256 of their sorted SHA-256s.
    """
    digests = sorted(
        hashlib.sha256(root.public_bytes(serialization.Encoding.DER)).digest() for root in roots
    )
    if len(digests) == 1:
        return digests[0].hex()
    return hashlib.sha256(b"".join(digests)).hexdigest()


def keyring_fingerprint(keyring: Keyring) -> str:
    """The SHA-256 of the current key's id and of each key's id and HMAC of a fixed text."""
    parts = [f"current {keyring.current}"]
    for kid, key in sorted(keyring.keys.items()):
        parts.append(f"{kid} {hmac.new(key, _KEYRING_TEXT, hashlib.sha256).hexdigest()}")
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()


def fingerprints_of(
    settings: Settings, *, keys: KeyStore, id_key: IdKey, keyring: Keyring
) -> list[Fingerprint]:
    """The fingerprints of keys already loaded (the demo CA is made on first use).

    Raises:
        SigningKeysInvalid: The trust roots cannot be read or made.
    """
    signing_source = str(keys.production_keys or keys.folder)
    return [
        Fingerprint(KeyKind.SIGNING, signing_fingerprint(keys.trust_roots()), signing_source),
        index_fingerprint(settings, id_key),
        Fingerprint(KeyKind.ARCHIVE, keyring_fingerprint(keyring), str(keyring.path)),
    ]


def index_fingerprint(settings: Settings, id_key: IdKey) -> Fingerprint:
    """The fingerprint of the index key, and where it comes from."""
    source = "XWQL_INDEX_KEY" if settings.index_key else str(settings.data / KEY_FILE)
    return Fingerprint(KeyKind.INDEX, id_key.fingerprint, source)


def worker_fingerprints(settings: Settings) -> list[Fingerprint]:
    """The fingerprints of this worker's keys, as the settings name them.

    Raises:
        SigningKeysInvalid, IndexKeyInvalid, ArchiveKeyInvalid: A key cannot be read
            (or, where the settings allow it, made).
    """
    return fingerprints_of(
        settings,
        keys=KeyStore.of(settings),
        id_key=load_id_key(settings),
        keyring=load_keyring(settings),
    )


_metadata = sa.MetaData()

fleet_keys_table = sa.Table(
    "fleet_keys", _metadata,
    sa.Column("kind", sa.String(12), primary_key=True),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("host", sa.String(255), nullable=False),
    sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
)  # fmt: skip


class FleetKeys(SqlStore):
    """The fingerprints of the fleet's keys, in the shared database.

    Args:
        url: The database (``pipeline.database.database_url``).
        clock: The time now, in UTC (injectable for tests).
    """

    metadata = _metadata

    def registered(self) -> dict[KeyKind, Registration]:
        """The fingerprints registered so far, by kind."""
        with self.engine.connect() as db:
            rows = db.execute(sa.select(fleet_keys_table)).all()
        return {
            KeyKind(row.kind): Registration(
                KeyKind(row.kind), row.fingerprint, row.host, as_utc(row.registered_at)
            )
            for row in rows
            if row.kind in _KINDS  # a kind a later version registers is none of this one's
        }

    def compare(self, mine: Sequence[Fingerprint]) -> dict[KeyKind, Registration]:
        """The fleet's registrations of ``mine``'s kinds; a kind no worker registered is absent.

        Raises:
            FleetKeysDiffer: A key of ``mine`` is not the one the fleet registered.
        """
        fleet = self.registered()
        _refuse_differences(mine, fleet)
        return {f.kind: fleet[f.kind] for f in mine if f.kind in fleet}

    def require(
        self, mine: Sequence[Fingerprint], *, host: str | None = None
    ) -> dict[KeyKind, Registration]:
        """Register the keys the fleet has none of yet, then compare (see :meth:`compare`).

        Two workers registering at once: the first one's keys count, and the other is
        compared with them.

        Args:
            mine: This worker's fingerprints.
            host: This worker's name (default: the host name).

        Raises:
            FleetKeysDiffer: A key of ``mine`` is not the one the fleet registered.
        """
        host = host or socket.gethostname()
        for _ in range(3):
            missing = [f for f in mine if f.kind not in self.registered()]
            if not missing:
                break
            with contextlib.suppress(sa.exc.IntegrityError):  # another worker registered first
                self._register(missing, host)
        return self.compare(mine)

    def move(self, before: Fingerprint, after: Fingerprint, *, host: str | None = None) -> bool:
        """Register ``after`` in place of ``before``, if the fleet has ``before``; whether it did.

        For a key changed on purpose (a new archive key): only the worker holding the
        fleet's key moves it, so a worker with other keys cannot replace the fleet's.
        """
        now, host = self._clock(), host or socket.gethostname()
        with self.engine.begin() as db:
            moved = db.execute(
                sa.update(fleet_keys_table)
                .where(fleet_keys_table.c.kind == before.kind.value,
                       fleet_keys_table.c.fingerprint == before.value)
                .values(fingerprint=after.value, host=host[:255], registered_at=now)
            ).rowcount  # fmt: skip
        if moved:
            logger.info(
                "the fleet's %s key is now %s… (registered by %s)", after.kind, after.value[:SHOWN],
                host,
            )  # fmt: skip
        return bool(moved)

    def _register(self, fingerprints: Sequence[Fingerprint], host: str) -> None:
        now = self._clock()
        with self.engine.begin() as db:
            db.execute(
                sa.insert(fleet_keys_table),
                [{"kind": f.kind.value, "fingerprint": f.value, "host": host[:255],
                  "registered_at": now} for f in fingerprints],
            )  # fmt: skip
        for f in fingerprints:
            logger.info(
                "registered the fleet's %s key: %s… (from %s on %s)",
                f.kind, f.value[:SHOWN], f.source, host,
            )  # fmt: skip


def require_fleet_keys(settings: Settings, mine: Sequence[Fingerprint]) -> None:
    """Register this worker's keys if the fleet has none yet, else refuse keys that differ.

    Raises:
        FleetKeysDiffer: This worker's keys are not the fleet's.
    """
    with contextlib.closing(FleetKeys.of(settings)) as fleet:
        fleet.require(mine)


def compare_fleet_keys(settings: Settings, mine: Sequence[Fingerprint]) -> None:
    """Refuse keys that differ from those the fleet registered; register nothing.

    Raises:
        FleetKeysDiffer: This worker's keys are not the fleet's.
    """
    with contextlib.closing(FleetKeys.of(settings)) as fleet:
        fleet.compare(mine)


def keyring_rotated(settings: Settings, before: Keyring, after: Keyring) -> bool:
    """Register the rotated keyring as the fleet's, if ``before`` was; whether it was moved.

    The other workers are then refused until they have the rotated keyring.
    """
    source = str(after.path)
    old = Fingerprint(KeyKind.ARCHIVE, keyring_fingerprint(before), source)
    new = Fingerprint(KeyKind.ARCHIVE, keyring_fingerprint(after), source)
    with contextlib.closing(FleetKeys.of(settings)) as fleet:
        return fleet.move(old, new)


def _refuse_differences(mine: Sequence[Fingerprint], fleet: Mapping[KeyKind, Registration]) -> None:
    differing = [
        (f, fleet[f.kind]) for f in mine if f.kind in fleet and fleet[f.kind].fingerprint != f.value
    ]
    if not differing:
        return
    lines = [_difference(f, known) for f, known in differing]
    raise FleetKeysDiffer("\n".join(lines), [f.kind.value for f, _ in differing])


def _difference(mine: Fingerprint, fleet: Registration) -> str:
    label = mine.kind.label
    return FLEET_KEY_DIFFERS(
        key_zh=label.zh, key_en=label.en, mine=mine.value[:SHOWN], source=mine.source,
        fleet=fleet.fingerprint[:SHOWN], host=fleet.host, date=f"{fleet.at:%Y-%m-%d %H:%M} UTC",
        variable=mine.kind.variable,
    )  # fmt: skip
