"""Reading the archive back from the bucket alone: packages, the index, the access log.

The bucket is the source of truth. :func:`download_package` fetches a package
by archival code, reading each key's *first* version (the one xwql wrote; a
later version or a delete marker is someone writing behind xwql's back and is
reported, not followed). :func:`rebuild_index` refills an empty index from the
bucket's ``metadata.json`` files and access-log objects.

The access log (:func:`log_access`): every search and retrieval by an auditor
is first written as its own small JSON object under ``access-log/`` with a
COMPLIANCE retention, then copied into the index's queryable table. If the
object cannot be written the access is refused, so no access goes unlogged.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from pipeline.archive._names import name_problem
from pipeline.archive.archiver import index_entry
from pipeline.archive.index import AccessRecord, ArchiveIndex, without_unkeyed_id_hashes
from pipeline.archive.messages import (
    CANNOT_WRITE_INTO,
    CANNOT_WRITE_PACKAGE_INTO,
    NOTHING_ARCHIVED_UNDER,
    OUT_FOLDER_EXISTS,
)
from pipeline.archive.metadata import (
    ArchiveRecord,
    PublicRecord,
    parse_archival_code,
    unit_key,
)
from pipeline.archive.objectstore import ObjectStore, ObjectVersion, whole_seconds
from pipeline.archive.sealing import Sealer
from pipeline.archive.selfcheck import SCRATCH_ROOT
from pipeline.archive.stored import (
    ABANDONED,
    PACKAGES,
    ObjectIssue,
    first_versions,
    read_abandoned,
    read_record,
    with_sealed_internal,
)
from pipeline.errors import NotArchived, OutputError, SealedPartUnreadable, StorageError

ACCESS_LOG = "access-log/"
ACCESS_LOG_YEARS = 30
RENEWALS = "timestamps/"
"""Renewed timestamps of signed files, beside their packages (:mod:`pipeline.archive.renewal`)."""


@dataclass
class Downloaded:
    """A package fetched from the bucket.

    Attributes:
        archival_code: The code.
        folder: Where it was written.
        versions: The version id read for each key (relative to the package).
        issues: Objects that could not be read, or that were changed after writing.
        renewals: The renewed timestamps of its signed file, oldest first: updates
            to append to it (they live beside the package, not in it).
    """

    archival_code: str
    folder: Path
    versions: dict[str, str] = field(default_factory=dict)
    issues: list[ObjectIssue] = field(default_factory=list)
    renewals: list[bytes] = field(default_factory=list)


def archived_codes(store: ObjectStore) -> list[str]:
    """Every archival code with objects in the bucket, sorted."""
    return [p.removeprefix(PACKAGES).rstrip("/") for p in store.children(PACKAGES)]


def download_package(store: ObjectStore, code: str, out: Path) -> Downloaded:
    """Fetch the package ``code`` into ``out/<code>/`` (the folder must not exist yet).

    The files are written into a hidden folder beside it, renamed into place when
    all are there: a failed download (a full disk) leaves nothing in ``out``.

    Raises:
        NotArchived: The bucket holds nothing under that code.
        OutputError: ``out/<code>`` exists already, or ``out`` cannot take the files.
        StorageError: The bucket cannot be listed.
    """
    parse_archival_code(code)
    first, issues = first_versions(store, code)
    if not first:
        raise NotArchived(NOTHING_ARCHIVED_UNDER(code=code))
    folder = out / code
    if folder.exists():
        raise OutputError(OUT_FOLDER_EXISTS(folder=folder))
    result = Downloaded(code, folder, issues=issues)
    try:
        out.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f".{code}.", suffix=".part", dir=out))
    except OSError as exc:
        raise OutputError(CANNOT_WRITE_INTO(out=out, reason=exc)) from exc
    try:
        for key, version in first.items():
            problem = name_problem(key)
            if problem is not None:
                result.issues.append(ObjectIssue(key, "unsafe_name", problem))
                continue
            try:
                data = store.get(version.key, version.version_id)
            except StorageError as exc:
                result.issues.append(ObjectIssue(key, "unreadable", str(exc)))
                continue
            target = work / key
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            result.versions[key] = version.version_id
        result.renewals = read_renewals(store, code)
        work.rename(folder)
    except OSError as exc:
        shutil.rmtree(work, ignore_errors=True)
        raise OutputError(
            CANNOT_WRITE_PACKAGE_INTO(code=code, out=out, reason=exc.strerror or exc)
        ) from exc
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return result


def renewal_prefix(code: str) -> str:
    """Where the renewed timestamps of package ``code`` are kept."""
    return f"{RENEWALS}{code}/"


def read_renewals(store: ObjectStore, code: str) -> list[bytes]:
    """The renewals of package ``code``'s signed file, in order (each key's first version).

    Raises:
        StorageError: The bucket cannot be listed or read.
    """
    epoch = dt.datetime.min.replace(tzinfo=dt.UTC)
    first: dict[str, ObjectVersion] = {}
    listed = store.versions(renewal_prefix(code))
    for version in sorted(listed, key=lambda v: v.last_modified or epoch):
        if not version.is_delete_marker and version.key not in first:
            first[version.key] = version
    return [store.get(v.key, v.version_id) for _, v in sorted(first.items())]


def set_legal_hold(store: ObjectStore, code: str, *, on: bool) -> int:
    """Put (``on``) or release a legal hold on every object of package ``code``.

    Returns:
        How many objects were changed.

    Raises:
        NotArchived: The bucket holds nothing under that code.
        StorageError: The server refused or failed.
    """
    parse_archival_code(code)
    first, _ = first_versions(store, code)
    if not first:
        raise NotArchived(NOTHING_ARCHIVED_UNDER(code=code))
    for version in first.values():
        store.set_legal_hold(version.key, version.version_id, on=on)
    return len(first)


@dataclass
class Rebuilt:
    """What :func:`rebuild_index` did.

    Attributes:
        entries: Entries now in the index.
        accesses: Access-log lines restored.
        skipped: Codes left out, with the reason (incomplete, unreadable, invalid).
    """

    entries: int
    accesses: int
    skipped: list[tuple[str, str]]


def rebuild_index(store: ObjectStore, index: ArchiveIndex, sealer: Sealer) -> Rebuilt:
    """Replace the index with what the bucket holds: every complete package and the access log.

    The internal records are opened with ``sealer`` to index their ID numbers
    (as keyed hashes); a package whose internal record does not open is skipped.

    Raises:
        StorageError: The bucket cannot be listed.
    """
    records: dict[str, tuple[ArchiveRecord, str]] = {}
    skipped: list[tuple[str, str]] = []
    for code in archived_codes(store):
        try:
            found = read_record(store, code)
            if found is not None:
                found = (with_sealed_internal(store, found[0], sealer), found[1])
        except (StorageError, ValidationError, ValueError, SealedPartUnreadable) as exc:
            skipped.append((code, f"unreadable: {str(exc).splitlines()[0]}"))
            continue
        if found is None:
            skipped.append((code, "incomplete: no tag manifest"))
            continue
        records[code] = found
    entries = [
        index_entry(
            record, manifest_sha256=digest, version=_version(code, records), internal=record
        )
        for code, (record, digest) in records.items()
    ]
    total = index.reindex(entries)
    for code, (unit, superseded_by) in read_abandoned(store).items():
        index.abandon(code, unit, superseded_by, "bucket")
    accesses = 0
    if index.accesses(limit=1) == []:
        for line in _access_lines(store):
            index.log_access(line["actor"], line["action"], line["what"], _at(line["at"]))
            accesses += 1
    return Rebuilt(total, accesses, skipped)


def _version(code: str, records: dict[str, tuple[ArchiveRecord, str]]) -> int:
    """1 + the length of the chain of previous versions (a missing link counts once)."""
    version, seen = 1, {code}
    previous = records[code][0].links.previous_version
    while previous is not None and previous.archival_code not in seen:
        version += 1
        seen.add(previous.archival_code)
        link = records.get(previous.archival_code)
        previous = link[0].links.previous_version if link else None
    return version


# --- the access log ----------------------------------------------------------------------


def _at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def log_access(
    store: ObjectStore, index: ArchiveIndex, *, actor: str, role: str, action: str, what: str
) -> AccessRecord:
    """Append one access to the log: a locked object first, then the index's copy.

    Raises:
        StorageError: The log object could not be written; the access must not go on.
    """
    at = dt.datetime.now(dt.UTC)
    line = {"actor": actor, "role": role, "action": action, "what": what, "at": at.isoformat()}
    key = f"{ACCESS_LOG}{at:%Y/%m/%d/%H%M%S%f}-{secrets.token_hex(6)}.json"
    until = whole_seconds(at.replace(year=at.year + ACCESS_LOG_YEARS, month=1, day=1))
    store.put(
        key,
        json.dumps(line, ensure_ascii=False, sort_keys=True).encode("utf-8"),
        retain_until=until,
        mode=store.lock_mode,
        content_type="application/json",
    )
    return index.log_access(actor, action, what, at)


def _access_lines(store: ObjectStore) -> Iterator[dict[str, str]]:
    for version in store.versions(ACCESS_LOG):
        if version.is_delete_marker:
            continue
        try:
            line = json.loads(store.get(version.key, version.version_id))
        except (StorageError, json.JSONDecodeError):
            continue
        if isinstance(line, dict) and {"actor", "action", "what", "at"} <= line.keys():
            restored = {k: str(line[k]) for k in ("actor", "action", "what", "at")}
            yield restored | {"what": without_unkeyed_id_hashes(restored["what"])}


@dataclass
class Census:
    """What the bucket holds, counted from the bucket alone (for fault trials and audits).

    Attributes:
        packages: Complete packages (their tag manifest is there), by kind of unit.
        incomplete: Codes with objects but no tag manifest (a half-written package)
            that the bucket does not say were given up.
        abandoned: Half-written packages the bucket says were given up, the unit filed
            under another code (``abandoned/<code>.json``).
        rewritten: Keys with more than one version (each key is written once).
        duplicated: Units with more than one complete package from the same source.
        strays: Top-level prefixes outside packages, the access log and the self-check.
    """

    packages: dict[str, int] = field(default_factory=dict)
    incomplete: list[str] = field(default_factory=list)
    abandoned: list[str] = field(default_factory=list)
    rewritten: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)
    strays: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        """Nothing unexplained: half-written (not given up), rewritten, duplicated, stray."""
        return not (self.incomplete or self.rewritten or self.duplicated or self.strays)


def census(store: ObjectStore) -> Census:
    """Count the bucket's packages and find what should not be there.

    Raises:
        StorageError: The bucket cannot be listed or read.
    """
    result = Census()
    seen: dict[tuple[str, str | None], str] = {}
    by_key: dict[str, int] = {}
    for version in store.versions(PACKAGES):
        if not version.is_delete_marker:
            by_key[version.key] = by_key.get(version.key, 0) + 1
    result.rewritten = sorted(key for key, count in by_key.items() if count > 1)
    given_up = read_abandoned(store)
    for code in archived_codes(store):
        found = read_record(store, code)
        if found is None:
            (result.abandoned if code in given_up else result.incomplete).append(code)
            continue
        record, _ = found
        kind = str(record.kind)
        result.packages[kind] = result.packages.get(kind, 0) + 1
        earlier = earlier_package(record, code, seen)
        if earlier is not None:
            result.duplicated.append(f"{unit_key(record)}: {earlier} and {code}")
    result.strays = stray_prefixes(store)
    return result


def earlier_package(
    record: PublicRecord, code: str, seen: dict[tuple[str, str | None], str]
) -> str | None:
    """The first package ``seen`` of the same unit made from the same source, if not ``code``.

    Once-only filing makes one package per unit and source; ``seen`` remembers
    the first code of each as packages are read in order.
    """
    earlier = seen.setdefault((unit_key(record), record.source_sha256), code)
    return None if earlier == code else earlier


def stray_prefixes(store: ObjectStore) -> list[str]:
    """Top-level prefixes or objects that belong to no package, log or self-check."""
    known = {PACKAGES, ACCESS_LOG, SCRATCH_ROOT, RENEWALS, ABANDONED}
    return [name for name in store.children("") if name not in known]
