"""Renewing the timestamps of archived signatures, without touching the locked packages.

A timestamp (PAdES B-T and B-LTA) holds while the certificate of the authority
that made it is valid; records are kept for 30 years or for ever. Before the
newest timestamp of a signed file ends, :func:`renew_timestamp` adds a document
timestamp over it with fresh validation data. PDF incremental updates are
appended, so the file as archived stays byte for byte what it was; only the
appended bytes are stored, as locked objects beside the package::

    timestamps/<archival code>/0001.pdf-update   the first renewal
    timestamps/<archival code>/0002.pdf-update   the next, appended after the first

The signed file in force is the package's main PDF (opened if sealed) followed
by its renewals in order, and ``audit verify`` checks exactly that: the chain of
timestamps must verify and the newest must still hold. A renewal holds the
validation data and a timestamp only, no personal data, so it is stored plain.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from dataclasses import dataclass
from pathlib import Path

from pipeline.archive.archiver import retain_until
from pipeline.archive.messages import NOT_RENEWABLE
from pipeline.archive.metadata import ArchiveRecord, FileEntry, FileRole
from pipeline.archive.objectstore import ObjectStore
from pipeline.archive.package import DATA, load_record, open_sealed
from pipeline.archive.retrieval import download_package, renewal_prefix
from pipeline.archive.sealing import Sealer
from pipeline.archive.signing import (
    KeyStore,
    SignatureReport,
    add_document_timestamp,
    verify_pdf,
)
from pipeline.errors import SigningError

RENEWAL_SUFFIX = ".pdf-update"


@dataclass(frozen=True)
class Renewal:
    """What renewing one package's timestamp did.

    Attributes:
        archival_code: The package.
        key: The object the renewal was stored as.
        level: The PAdES level the signed file now reaches.
        timestamps: How many valid timestamps its chain now has.
        until: Until when its newest timestamp holds.
    """

    archival_code: str
    key: str
    level: str
    timestamps: int
    until: dt.datetime | None


def renew_timestamp(
    store: ObjectStore,
    sealer: Sealer,
    keys: KeyStore,
    code: str,
    *,
    permanent_years: int,
) -> Renewal:
    """Add a document timestamp to the signed file of package ``code`` (see the module).

    Raises:
        NotArchived: Nothing is archived under ``code``.
        SigningError: The package has no signed main PDF, no TSA is configured,
            or the renewed chain does not verify (nothing is stored then).
        StorageError: The bucket failed.
    """
    long_term = keys.long_term()
    if long_term is None:
        raise SigningError(NOT_RENEWABLE(code=code, reason="no time-stamping authority"))
    with tempfile.TemporaryDirectory(prefix="xwql-renew-") as scratch:
        record, current, renewals = _signed_file(store, sealer, code, Path(scratch))
        renewed = add_document_timestamp(current, long_term, keys.trust_roots())
        report = _verified(renewed, keys, Path(scratch))
        if not report.ok or report.level != "B-LTA":
            reason = "; ".join(report.problems) or f"level {report.level}"
            raise SigningError(NOT_RENEWABLE(code=code, reason=reason))
    key = f"{renewal_prefix(code)}{renewals + 1:04d}{RENEWAL_SUFFIX}"
    store.put(
        key,
        renewed[len(current) :],
        retain_until=retain_until(record, permanent_years=permanent_years),
        mode=store.lock_mode,
        content_type="application/octet-stream",
    )
    return Renewal(code, key, report.level, len(report.timestamps), report.timestamp_until)


def timestamp_until(store: ObjectStore, sealer: Sealer, keys: KeyStore, code: str) -> Held:
    """The level of package ``code``'s signed file and until when its newest timestamp holds.

    Raises:
        NotArchived: Nothing is archived under ``code``.
        SigningError: The package has no signed main PDF.
        StorageError: The bucket failed.
    """
    with tempfile.TemporaryDirectory(prefix="xwql-renew-") as scratch:
        _, current, _ = _signed_file(store, sealer, code, Path(scratch))
        report = _verified(current, keys, Path(scratch))
    return Held(code, report.level if report.signed else None, report.timestamp_until)


@dataclass(frozen=True)
class Held:
    """How long a package's signature is provable.

    Attributes:
        archival_code: The package.
        level: The PAdES level its signed file reaches (None: not signed).
        until: Until when its newest timestamp holds (None: no timestamp).
    """

    archival_code: str
    level: str | None
    until: dt.datetime | None

    def due(self, within: dt.timedelta) -> bool:
        """A signed file whose timestamp is missing or ends within ``within``."""
        if self.level is None:
            return False
        return self.until is None or self.until < dt.datetime.now(dt.UTC) + within


def _signed_file(
    store: ObjectStore, sealer: Sealer, code: str, scratch: Path
) -> tuple[ArchiveRecord, bytes, int]:
    """The record, the signed file in force (renewals appended) and how many renewals."""
    downloaded = download_package(store, code, scratch)
    record = load_record(downloaded.folder)
    main = _signed_main(record.files)
    if main is None:
        raise SigningError(NOT_RENEWABLE(code=code, reason="no main PDF"))
    if main.sealed is not None:
        signed = open_sealed(downloaded.folder, record, main, sealer)
    else:
        signed = (downloaded.folder / DATA / main.path).read_bytes()
    return record, signed + b"".join(downloaded.renewals), len(downloaded.renewals)


def _verified(data: bytes, keys: KeyStore, scratch: Path) -> SignatureReport:
    path = scratch / "signed.pdf"
    path.write_bytes(data)
    return verify_pdf(path, expected_village=None, trust_roots=keys.trust_roots())


def _signed_main(files: list[FileEntry]) -> FileEntry | None:
    """The main PDF of a package (the file its village signs)."""
    for entry in files:
        name = entry.sealed.name if entry.sealed is not None else entry.path
        if entry.role == FileRole.MAIN and name.lower().endswith(".pdf"):
            return entry
    return None
