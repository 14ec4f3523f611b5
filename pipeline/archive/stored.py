"""A package as the bucket holds it: where its objects are, each one's first version.

The bucket is the source of truth, and each key's *first* version is the one xwql
wrote: a later version or a delete marker is someone writing behind xwql's back,
reported (:class:`ObjectIssue`), not followed. Used by the archiver (a package a
lost worker finished, found when its unit is taken over), by retrieval and by the
sweep.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass

from pipeline.archive.messages import OBJECT_DELETED, OBJECT_REWRITTEN
from pipeline.archive.metadata import ArchiveRecord, FileEntry
from pipeline.archive.objectstore import ObjectStore, ObjectVersion
from pipeline.archive.package import DATA, MANIFEST, METADATA, TAG_MANIFEST, with_internal
from pipeline.archive.sealing import Sealer
from pipeline.errors import SealedPartUnreadable

PACKAGES = "packages/"
ABANDONED = "abandoned/"
"""One small locked object per archival code given up (:func:`abandoned_key`)."""


def object_prefix(archival_code: str) -> str:
    """Where a package's objects are: ``packages/<archival code>/``."""
    return f"{PACKAGES}{archival_code}/"


def abandoned_key(archival_code: str) -> str:
    """Where the bucket says a code's package was given up: ``abandoned/<code>.json``.

    A package begun and never finished stays (its objects are locked); this
    object, written once and locked too, says why and which code the unit went
    under, so that the sweep and a rebuilt index know it from the bucket alone.
    """
    return f"{ABANDONED}{archival_code}.json"


def read_abandoned(store: ObjectStore) -> dict[str, tuple[str, str]]:
    """The codes the bucket says were given up: code → (unit, the code filed instead)."""
    found = {}
    for version in store.versions(ABANDONED):
        if version.is_delete_marker or not version.key.endswith(".json"):
            continue
        data = json.loads(store.get(version.key, version.version_id))
        found[data["archival_code"]] = (data["unit"], data["superseded_by"])
    return found


@dataclass(frozen=True)
class ObjectIssue:
    """Something wrong with an object of a package, seen from the bucket.

    Attributes:
        key: The object key, relative to the package.
        kind: ``unreadable`` (listed, but the read failed), ``extra_version``
            (written again after xwql wrote it), ``delete_marker``, ``unsafe_name``.
        detail: What happened.
    """

    key: str
    kind: str
    detail: str


def first_versions(
    store: ObjectStore, code: str
) -> tuple[dict[str, ObjectVersion], list[ObjectIssue]]:
    """Per key of the package, the oldest version; later versions are issues."""
    prefix = object_prefix(code)
    by_key: dict[str, list[ObjectVersion]] = {}
    for version in store.versions(prefix):
        by_key.setdefault(version.key.removeprefix(prefix), []).append(version)
    first: dict[str, ObjectVersion] = {}
    issues: list[ObjectIssue] = []
    epoch = dt.datetime.min.replace(tzinfo=dt.UTC)
    for key, versions in sorted(by_key.items()):
        versions.sort(key=lambda v: v.last_modified or epoch)
        content = [v for v in versions if not v.is_delete_marker]
        if any(v.is_delete_marker for v in versions):
            issues.append(ObjectIssue(key, "delete_marker", OBJECT_DELETED()))
        if len(content) > 1:
            issues.append(
                ObjectIssue(
                    key,
                    "extra_version",
                    OBJECT_REWRITTEN(
                        count=len(content), versions=", ".join(v.version_id for v in content)
                    ),
                )
            )
        if content:
            first[key] = content[0]
    return first, issues


def read_record(store: ObjectStore, code: str) -> tuple[ArchiveRecord, str] | None:
    """The record and package digest of ``code``, read from the bucket; None if incomplete.

    A package counts once its tag manifest (written last) is there.
    """
    first, _ = first_versions(store, code)
    metadata_key = f"{DATA}/{METADATA}"
    if TAG_MANIFEST not in first or metadata_key not in first or MANIFEST not in first:
        return None
    manifest = store.get(first[MANIFEST].key, first[MANIFEST].version_id)
    data = store.get(first[metadata_key].key, first[metadata_key].version_id)
    record = ArchiveRecord.model_validate_json(data)
    return record, hashlib.sha256(manifest).hexdigest()


def with_sealed_internal(
    store: ObjectStore, record: ArchiveRecord, sealer: Sealer
) -> ArchiveRecord:
    """``record`` (read from the bucket) with its sealed internal part opened.

    Raises:
        StorageError: The object cannot be read.
        SealedPartUnreadable: It does not open.
    """
    first, _ = first_versions(store, record.archival_code)

    def read(entry: FileEntry) -> bytes:
        version = first.get(f"{DATA}/{entry.path}")
        if version is None or entry.sealed is None:
            raise SealedPartUnreadable(f"{record.archival_code}/{entry.path}: not in the bucket")
        stored = store.get(version.key, version.version_id)
        return sealer.open(stored, sealed_for=f"{record.archival_code}/{entry.sealed.name}")

    return with_internal(record, read)
