"""Filing packages into the WORM bucket, once, and feeding the search index.

One archived unit (a case file, a notice, a monthly pack, a catalog edition)
goes through these states, each durable, so that a job killed at any point and
run again finishes the work without a duplicate:

1. **unchanged** — the index holds the unit with the same ``source_sha256`` (the
   hash of the data it was made from): nothing is rendered or written.
   LibreOffice writes different bytes on every run, so the package digest cannot
   be the identity of the *content*; the source hash is.
2. **outbox** — the package is built under ``<outbox>/<archival code>/`` (built in
   a temporary folder and renamed into place, so a folder there is complete).
   Its archival code is reserved from the moment the folder exists.
3. **uploaded** — every file is written as a locked version under
   ``packages/<archival code>/…``, payload first and ``tagmanifest-sha256.txt``
   last, so a package without its tag manifest is visibly incomplete. Files
   already in the bucket with the same bytes are not written again (a resumed
   upload), other bytes are a conflict: xwql never overwrites.
4. **verified and indexed** — every object is read back by version id and
   compared, the index gets the entry, and only then is the outbox folder removed.

A job that finds a package in the outbox finishes it before anything else. A
changed source becomes a new unit with the next sequence number whose record
links the previous version (``links.previous_version``); the old one stays.

Retention: each object is locked until ``N`` years after the end of the record's
year (DA/T 22 counts 保管期限 from the year after the file was formed), with ``N``
30 or 10, and ``permanent_years`` (default 100) for 永久 — the longest a
retention date is kept by the policy — but never past :data:`LATEST_LOCK` (2106),
the latest date every S3 server proven here can hold.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import logging
import os
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from pipeline.archive.index import ArchiveIndex, Claim, IndexEntry
from pipeline.archive.messages import (
    ARCHIVE_BUSY,
    ARCHIVE_CONFLICT,
    CLAIM_LOST,
    NOT_ARCHIVED_PACKAGE_STAYS,
    READS_BACK_OTHER_BYTES,
)
from pipeline.archive.metadata import (
    ArchivalCode,
    ArchiveRecord,
    PreviousVersion,
    PublicRecord,
    WormOverride,
    parse_archival_code,
    s3_metadata,
    s3_tags,
    unit_key,
)
from pipeline.archive.objectstore import (
    LockMode,
    ObjectRetention,
    ObjectStore,
    StoredVersion,
    check_recorded,
    whole_seconds,
)
from pipeline.archive.package import (
    MANIFEST,
    Package,
    PackageInvalid,
    full_record,
    load_record,
    package_digest,
    package_objects,
    validate_package,
)
from pipeline.archive.sealing import Sealer
from pipeline.archive.stored import (
    PACKAGES,
    abandoned_key,
    first_versions,
    object_prefix,
    read_record,
    with_sealed_internal,
)
from pipeline.catalog.model import Retention
from pipeline.errors import ArchiveBusy, ArchiveConflict, StorageError
from pipeline.programs.children import process_ended
from pipeline.stages import stage

logger = logging.getLogger(__name__)

PERMANENT_YEARS = 100
RETENTION_YEARS = {Retention.YEARS_30: 30, Retention.YEARS_10: 10}
_LOCKS: dict[Path, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


CLAIM_LEASE = dt.timedelta(minutes=10)
"""How long a claim holds a unit for its worker: far longer than filing one unit takes."""
CLAIM_POLL_SECONDS = 1.0

STALE_BUILD_SECONDS = 3600
"""A half-built package folder older than this was left by a killed process."""


class Outcome(StrEnum):
    """What archiving a unit did."""

    ADDED = "added"  # the first version of the unit
    NEW_VERSION = "new_version"  # a changed source, linked to the previous version
    RESUMED = "resumed"  # a package left in the outbox by an interrupted run, finished
    UNCHANGED = "unchanged"  # the same source is archived already: nothing written


@dataclass(frozen=True)
class Archived:
    """The result of archiving one unit.

    Attributes:
        unit: The unit key (``case_file/NM-2026-11-001``).
        archival_code: The code of the version now current.
        version: 1, 2, 3…
        outcome: What was done.
        objects: Objects written now (0 when unchanged).
        bytes: Bytes written now.
    """

    unit: str
    archival_code: str
    version: int
    outcome: Outcome
    objects: int = 0
    bytes: int = 0


# Builds the package of a unit into ``folder`` for the archival code and previous version given.
PackageBuilder = Callable[[ArchivalCode, PreviousVersion | None, Path], Package]


LATEST_LOCK = dt.datetime(2106, 2, 7, 6, 28, 15, tzinfo=dt.UTC)
"""The latest end of a lock every S3 server proven here keeps: Ceph RGW 16.2 stores it
in 32 bits (2**32 - 1 seconds after 1970) and silently wraps a later one to 1990."""


def retention_end(record: PublicRecord, *, permanent_years: int = PERMANENT_YEARS) -> dt.datetime:
    """When the record's lock ends: N years after the end of its year (UTC).

    At the latest :data:`LATEST_LOCK` (a 永久 unit formed after 2005); such a lock
    is extended by then, as the timestamps are renewed.
    """
    years = RETENTION_YEARS.get(record.retention, permanent_years)
    return min(dt.datetime(record.date.year + 1 + years, 1, 1, tzinfo=dt.UTC), LATEST_LOCK)


def retain_until(record: PublicRecord, *, permanent_years: int = PERMANENT_YEARS) -> dt.datetime:
    """The end of the objects' lock: :func:`retention_end`, never earlier than a day from now.

    A unit formed long ago is still locked.
    """
    end = retention_end(record, permanent_years=permanent_years)
    return whole_seconds(max(end, dt.datetime.now(dt.UTC) + dt.timedelta(days=1)))


def index_entry(
    record: PublicRecord, *, manifest_sha256: str, version: int, internal: ArchiveRecord | None
) -> IndexEntry:
    """The search-index entry of an archived record.

    Args:
        record: The record (``metadata.json``).
        manifest_sha256: The package digest.
        version: The unit's version (1 + the length of its chain of previous versions).
        internal: The full record, whose ID numbers are indexed (as hashes only).
    """
    previous = record.links.previous_version
    texts = [
        record.abstract,
        *(entry.title for entry in record.contents),
        *(entry.note for entry in record.contents),
        *(f"{i.rule} {i.message} {i.reason}" for i in record.irregularities),
        *(f"{a.rule} {a.message}" for a in record.advisories),
        *(step.name for step in record.steps),
        # a notice is found by the code printed on it (public verification)
        f"核验码 {record.verification_code}" if record.verification_code else "",
    ]
    ids = [p.id_number for p in internal.internal.persons] if internal and internal.internal else []
    return IndexEntry(
        archival_code=record.archival_code,
        kind=str(record.kind),
        title=record.title,
        date=record.date,
        village_code=record.village.code if record.village else "-",
        village_name=record.village.name if record.village else record.district,
        town=record.town.name if record.town else "",
        item_code=record.item.code if record.item else "-",
        item_name=record.item.name if record.item else "",
        case_id=record.case_id,
        persons=tuple(person.name for person in record.persons),
        id_numbers=tuple(number for number in ids if number),
        text="\n".join(text for text in texts if text),
        manifest_sha256=manifest_sha256,
        object_prefix=object_prefix(record.archival_code),
        version=version,
        supersedes=previous.archival_code if previous else None,
        unit=unit_key(record),
        source_sha256=record.source_sha256,
    )


class Archiver:
    """Files packages into one bucket and one index, through a local outbox.

    Args:
        store: The object-locked bucket.
        index: The search index.
        outbox: Folder for packages built but not yet archived.
        sealer: Seals the personal parts of the packages built (and opens the
            internal record to index its ID numbers).
        permanent_years: Retention of 永久 units, in years.
        worm_override: Set when archiving on a store that failed the WORM
            self-check; every package built must record it.
        worker: Who files, in the index's claims (default: this host, outbox, process).
        lease: How long a claim holds a unit for its worker (see :meth:`archive`).
    """

    def __init__(
        self,
        store: ObjectStore,
        index: ArchiveIndex,
        outbox: Path,
        *,
        sealer: Sealer,
        permanent_years: int = PERMANENT_YEARS,
        worm_override: WormOverride | None = None,
        worker: str | None = None,
        lease: dt.timedelta = CLAIM_LEASE,
    ) -> None:
        """Use ``store`` and ``index``; keep unfinished packages in ``outbox``."""
        self.store = store
        self.index = index
        self.outbox = outbox
        self.sealer = sealer
        self.permanent_years = permanent_years
        self.worm_override = worm_override
        # A process of a host: a restarted one finds the claims of its dead predecessor
        # on the same outbox (whose packages it finishes) and takes them over at once.
        self._host_outbox = f"{socket.gethostname()}:{outbox.resolve()}"
        self.worker = worker or f"{self._host_outbox}:{os.getpid()}"
        self.lease = lease

    # --- the one entry point -----------------------------------------------------------

    def archive(
        self, unit: str, source_sha256: str, base: ArchivalCode, build: PackageBuilder
    ) -> Archived:
        """Archive ``unit`` unless its current version has the same source.

        Args:
            unit: The unit key (:func:`pipeline.archive.metadata.unit_key` of its records).
            source_sha256: Hash of the data the unit is made from.
            base: The archival code's fonds, year, retention, village and item
                (its sequence is ignored: the next free one is taken).
            build: Writes the package into the folder given; its record must have
                this unit, source, code and previous version.

        Returns:
            What was done.

        Raises:
            StorageError: The bucket failed or refused; the package stays in the
                outbox and the next run finishes it.
            ArchiveConflict: A key of the package holds other bytes in the bucket.
        """
        versions = self.index.versions_of(unit)
        latest = versions[-1] if versions else None
        if latest is not None and latest.source_sha256 == source_sha256 and not self.pending(unit):
            return Archived(unit, latest.archival_code, latest.version, Outcome.UNCHANGED)
        # Threads of this process share its claims: one files a unit, the others wait.
        with _unit_lock(self.outbox, unit):
            pending = {folder: load_record(folder).source_sha256 for folder in self.pending(unit)}
            # Packages of earlier sources first: their versions come before this one.
            resumed = [done for folder, source in pending.items()
                       if source != source_sha256 and (done := self._resume(folder))]  # fmt: skip
            begun = [folder for folder, source in pending.items() if source == source_sha256]
            claim = self._claim(unit, source_sha256, base,
                                begun=begun[0].name if begun else None)  # fmt: skip
            versions = self.index.versions_of(unit)
            latest = versions[-1] if versions else None
            ours = self._ours(begun, claim)
            if claim.filed and latest is not None:  # filed meanwhile, here or elsewhere
                if resumed and resumed[-1].archival_code == latest.archival_code:
                    return resumed[-1]
                return Archived(unit, latest.archival_code, latest.version, Outcome.UNCHANGED)
            if ours is not None:
                return self.finish(ours)
            if (claim.taken_over or begun) and self._begun_elsewhere(claim.archival_code):
                adopted = self._finished_elsewhere(claim.archival_code, unit, source_sha256)
                if adopted is not None:
                    return adopted
                # Another worker began writing a package under this code: what it wrote
                # stays (recorded as abandoned, for the sweep to name); the unit goes
                # under a new code.
                given_up = claim.archival_code
                claim = self.index.recode(claim, self._code_after(base))
                self._abandon(given_up, unit, claim.archival_code)
            code = parse_archival_code(claim.archival_code)
            try:
                folder = self.prepare(unit, source_sha256, base, build, latest=latest, code=code)
            except BaseException:
                self.index.release(unit, source_sha256, self.worker)  # nothing to finish
                raise
            done = self.finish(folder)
        outcome = Outcome.NEW_VERSION if latest else Outcome.ADDED
        return Archived(unit, done.archival_code, done.version, outcome, done.objects, done.bytes)

    def _code_after(self, base: ArchivalCode) -> Callable[[set[str]], str]:
        return lambda claimed: str(self._next_code(base, claimed))

    def _begun_elsewhere(self, code: str) -> bool:
        """Objects of ``code`` are in the bucket, and no package of it in this outbox."""
        if (self.outbox / code).is_dir():
            return False  # this host's own package: finishing it writes the rest
        return bool(self.store.versions(object_prefix(code)))

    def _ours(self, begun: list[Path], claim: Claim) -> Path | None:
        """Of the packages of this unit and source in the outbox, the one to finish.

        Only one built under the code the claim holds, not filed, never given up,
        and agreeing with whatever the bucket already holds under that code. The
        others: a leftover of a package indexed already is removed; any other is
        given up, never finished: that would be a second copy of the unit.
        """
        ours = None
        abandoned = self.index.abandoned() if begun else {}
        for folder in begun:
            if self.index.get(folder.name) is not None:
                self._remove(folder)  # indexed already: what a killed clean-up left
            elif (
                folder.name == claim.archival_code
                and claim.mine
                and not claim.filed
                and folder.name not in abandoned
                and self._agrees_with_bucket(folder)
            ):
                ours = folder
            else:
                self._give_up(folder, claim.unit, claim.archival_code)
        return ours

    def _agrees_with_bucket(self, folder: Path) -> bool:
        """Whether every object the bucket holds under the folder's code is the folder's."""
        prefix = object_prefix(folder.name)
        present = [v for v in self.store.versions(prefix) if not v.is_delete_marker]
        return all(
            (folder / v.key.removeprefix(prefix)).is_file()
            and self.store.get(v.key, v.version_id)
            == (folder / v.key.removeprefix(prefix)).read_bytes()
            for v in present
        )

    def _resume(self, folder: Path) -> Archived | None:
        """Finish an earlier source's package begun here, unless the fleet moved past it.

        A machine lost mid-upload and back after another worker took its unit over
        (once the lease ran out) finds its package filed under another code, or
        being filed there now: finishing it would make a second copy. It is given
        up (recorded as abandoned) or, while the other worker holds the unit, left.
        """
        record = load_record(folder)
        unit, source = unit_key(record), record.source_sha256
        if self.index.get(folder.name) is not None:
            self._remove(folder)
            return None
        if source is None:
            return self.finish(folder)
        filed = [v.archival_code for v in self.index.versions_of(unit) if v.source_sha256 == source]
        given_up = self.index.abandoned().get(folder.name)
        if filed or given_up:
            self._give_up(folder, unit, filed[-1] if filed else given_up[1] if given_up else "")
            return None
        claim = self.index.claim(
            unit, source, self.worker, lease=self.lease,
            next_code=lambda _: folder.name, gone=self._gone,
        )  # fmt: skip
        if claim.archival_code == folder.name and claim.mine and not claim.filed:
            return self.finish(folder)
        if claim.filed or claim.mine:
            self._give_up(folder, unit, claim.archival_code)
        if claim.mine and not claim.filed:
            self.index.release(unit, source, self.worker)  # its filing is another job's
        return None  # held by a worker filing it elsewhere now: the next run sees

    def _give_up(self, folder: Path, unit: str, superseded_by: str) -> None:
        self._abandon(folder.name, unit, superseded_by)
        self._remove(folder)

    def _abandon(self, code: str, unit: str, superseded_by: str) -> None:
        """Record, in the index and as a locked object in the bucket, a code given up."""
        self.index.abandon(code, unit, superseded_by, self.worker)
        now = dt.datetime.now(dt.UTC)
        marker = {"archival_code": code, "unit": unit, "superseded_by": superseded_by,
                  "worker": self.worker, "at": now.isoformat()}  # fmt: skip
        key = abandoned_key(code)
        if not self.store.versions(key):
            self.store.put(
                key, json.dumps(marker, ensure_ascii=False, sort_keys=True).encode(),
                retain_until=whole_seconds(min(
                    now.replace(year=now.year + self.permanent_years), LATEST_LOCK
                )),
                mode=self.store.lock_mode, content_type="application/json",
            )  # fmt: skip
        logger.warning("%s: the package begun as %s is given up; the unit is %s",
                       unit, code, superseded_by)  # fmt: skip

    def _remove(self, folder: Path) -> None:
        shutil.rmtree(folder, ignore_errors=True)
        _marker(folder).unlink(missing_ok=True)

    def _finished_elsewhere(self, code: str, unit: str, source_sha256: str) -> Archived | None:
        """Index the package of ``code`` if its lost worker wrote all of it; else None.

        A worker lost after its package's last object but before the index heard of
        it leaves a whole package: filing the unit again under the next code would
        make a second copy.
        """
        found = read_record(self.store, code)
        if found is None:
            return None
        record, digest = found
        if unit_key(record) != unit or record.source_sha256 != source_sha256:
            return None
        if not self._whole_in_bucket(code):
            return None
        version = self._version_of(record)
        full = with_sealed_internal(self.store, record, self.sealer)
        self.index.upsert(index_entry(record, manifest_sha256=digest, version=version,
                                      internal=full))  # fmt: skip
        self.index.release(unit, source_sha256, self.worker)
        logger.info("%s: the package %s of a lost worker is indexed, not filed again", unit, code)
        return Archived(unit, code, version, Outcome.RESUMED)

    def _whole_in_bucket(self, code: str) -> bool:
        """Whether every file the package's manifest lists is in the bucket, as listed.

        Its worker may have been lost before it read its objects back: they are
        read here, once, before the package is taken as filed.
        """
        first, issues = first_versions(self.store, code)
        if issues or MANIFEST not in first:
            return False
        manifest = self.store.get(first[MANIFEST].key, first[MANIFEST].version_id)
        for line in manifest.decode("utf-8").splitlines():
            expected, _, path = line.partition(" ")
            stored = first.get(path.strip())
            if stored is None:
                return False
            data = self.store.get(stored.key, stored.version_id)
            if hashlib.sha256(data).hexdigest() != expected:
                return False
        return True

    def _gone(self, worker: str) -> bool:
        """Whether ``worker`` is a process on this outbox that no longer runs."""
        host_outbox, _, pid = worker.rpartition(":")
        if host_outbox != self._host_outbox or not pid.isdigit():
            return False  # another host's: only its lease tells
        return process_ended(int(pid))

    def _claim(
        self, unit: str, source_sha256: str, base: ArchivalCode, *, begun: str | None = None
    ) -> Claim:
        """The unit's claim in the index, waiting while another worker files it.

        Workers sharing the index (PostgreSQL) and the bucket file each unit once:
        the one that claims it builds and files it; the others wait for it to be
        indexed and report it unchanged. A killed worker's claim lapses after the
        lease and is taken over (by itself at once, when it restarts). A new claim
        takes ``begun`` (a package of the unit this outbox holds, complete), else
        the code a killed build reserved here, else the next free one.

        Raises:
            ArchiveBusy: Another worker still held it when a lease had passed.
        """
        deadline = time.monotonic() + self.lease.total_seconds() + CLAIM_POLL_SECONDS
        while True:
            claim = self.index.claim(
                unit, source_sha256, self.worker, lease=self.lease,
                next_code=lambda claimed: begun or str(
                    self._reservation_of(unit) or self._next_code(base, claimed)
                ),
                gone=self._gone,
            )  # fmt: skip
            if claim.mine or claim.filed:
                if claim.taken_over:
                    logger.warning("%s takes over the filing of %s from a worker gone or "
                                   "out of its lease", self.worker, unit)  # fmt: skip
                return claim
            if time.monotonic() > deadline:
                raise ArchiveBusy(ARCHIVE_BUSY(unit=unit, worker=claim.worker))
            time.sleep(CLAIM_POLL_SECONDS)

    def prepare(
        self,
        unit: str,
        source_sha256: str,
        base: ArchivalCode,
        build: PackageBuilder,
        *,
        latest: IndexEntry | None = None,
        code: ArchivalCode | None = None,
    ) -> Path:
        """Build the next version of ``unit`` into the outbox; :meth:`finish` archives it.

        Args:
            unit: The unit key.
            source_sha256: Hash of the data the unit is made from.
            base: The archival code's fields but the sequence.
            build: Writes the package (see :meth:`archive`); its record must carry
                :attr:`worm_override`.
            latest: The unit's current version, which the new one supersedes.
            code: The archival code claimed for it (else the next free one).

        Returns:
            The package's outbox folder.

        Raises:
            ValueError: ``build`` made a package for another unit, source, code or
                previous version (a bug); nothing is left in the outbox.
        """
        previous = (
            PreviousVersion(
                archival_code=latest.archival_code, manifest_sha256=latest.manifest_sha256
            )
            if latest
            else None
        )
        with self._reserved(unit, base, code) as (code, folder):
            record = build(code, previous, folder).record
            problems = [
                f"{name} is {got!r}, expected {want!r}"
                for name, got, want in (
                    ("unit", unit_key(record), unit),
                    ("source_sha256", record.source_sha256, source_sha256),
                    ("archival_code", record.archival_code, str(code)),
                    ("previous version", record.links.previous_version, previous),
                    ("worm_override", record.worm_override, self.worm_override),
                )
                if got != want
            ]
            if problems:
                raise ValueError(f"the package built for {unit} is not what was asked: {problems}")
        return folder

    def current(self, unit: str, source_sha256: str) -> IndexEntry | None:
        """The unit's current version if it was made from ``source_sha256`` (else None).

        Lets a job skip making a document whose archived version is current.
        """
        versions = self.index.versions_of(unit)
        if versions and versions[-1].source_sha256 == source_sha256:
            return versions[-1]
        return None

    # --- the outbox ----------------------------------------------------------------------

    def pending(self, unit: str | None = None) -> list[Path]:
        """Complete packages waiting in the outbox (of ``unit``, or all), by archival code.

        A folder's unit is read from its ``<code>.reserved`` marker, never from the
        package, so jobs of other units building or finishing their packages at the
        same time (in other threads or processes) are never touched. An empty
        folder is a reservation (its build is running, or was killed) and is
        skipped. A folder that is not a valid package (a failing disk) is set
        aside as ``<folder>.invalid``, with a warning, and its code stays taken.
        """
        if not self.outbox.is_dir():
            return []
        found = []
        for marker in sorted(self.outbox.glob("*.reserved")):
            owner = _read_marker(marker)
            if owner is None or (unit is not None and owner != unit):
                continue
            folder = marker.with_suffix("")
            try:
                if not any(folder.iterdir()):
                    continue
                validate_package(folder)
            except FileNotFoundError:
                continue  # finished meanwhile
            except PackageInvalid as exc:
                logger.warning("outbox package %s is not valid, set aside: %s", folder, exc)
                folder.rename(folder.with_name(folder.name + ".invalid"))
                continue
            found.append(folder)
        return found

    def tidy_outbox(self) -> list[str]:
        """Remove the reservations of packages archived already; their codes.

        A run killed after a package was indexed but before its outbox folder and
        marker were removed leaves them behind; the unit is current, so no job
        archives it again to clear them. An archival code in the index is done,
        whichever process reserved it. Half-built package folders older than an
        hour (a build takes seconds) are removed too.
        """
        if not self.outbox.is_dir():
            return []
        removed = []
        with self._allocation_lock():
            for marker in sorted(self.outbox.glob("*.reserved")):
                folder = marker.with_suffix("")
                if self.index.get(folder.name) is None:
                    continue
                shutil.rmtree(folder, ignore_errors=True)
                marker.unlink(missing_ok=True)
                removed.append(folder.name)
        # A package being built lives in a hidden ``.<code>.*.tmp`` folder until it is
        # complete; a process killed then leaves it. One older than any build is stale.
        stale = time.time() - STALE_BUILD_SECONDS
        for work in sorted(self.outbox.glob(".*.tmp")):
            if work.is_dir() and work.stat().st_mtime < stale:
                shutil.rmtree(work, ignore_errors=True)
                logger.info("outbox: removed the half-built package %s", work.name)
        if removed:
            logger.info("outbox: removed what archiving left of %s", ", ".join(removed))
        return removed

    @contextlib.contextmanager
    def _reserved(
        self, unit: str, base: ArchivalCode, claimed: ArchivalCode | None = None
    ) -> Iterator[tuple[ArchivalCode, Path]]:
        """A free archival code of ``base`` for ``unit`` and its empty outbox folder.

        The code is free in the index, the bucket and the outbox. The empty
        folder and a ``<code>.reserved`` file naming the unit hold it against
        other jobs; a build killed before it finished leaves the reservation, which
        the next run for the same unit takes up again (no gap in the sequence).
        A build that fails with an error gives the code back.
        """
        self.outbox.mkdir(parents=True, exist_ok=True)
        with self._allocation_lock():
            code = claimed or self._reservation_of(unit) or self._next_code(base)
            folder = self.outbox / str(code)
            folder.mkdir(exist_ok=True)
            _marker(folder).write_text(unit, encoding="utf-8")
        try:
            yield code, folder
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            _marker(folder).unlink(missing_ok=True)
            raise

    def _reservation_of(self, unit: str) -> ArchivalCode | None:
        """The code a killed build of ``unit`` reserved in this outbox (taken up again)."""
        if not self.outbox.is_dir():
            return None
        for marker in sorted(self.outbox.glob("*.reserved")):
            folder = marker.with_suffix("")
            try:
                empty = not folder.exists() or not any(folder.iterdir())
            except FileNotFoundError:
                continue
            if _read_marker(marker) == unit and empty:
                return parse_archival_code(folder.name)
        return None

    @contextlib.contextmanager
    def _allocation_lock(self) -> Iterator[None]:
        """Serialise code allocation between threads and processes sharing the outbox."""
        with _LOCKS_GUARD:
            lock = _LOCKS.setdefault(self.outbox.resolve(), threading.Lock())
        with lock, (self.outbox / ".lock").open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _next_code(self, base: ArchivalCode, claimed: Iterable[str] = ()) -> ArchivalCode:
        """The next code free in the index, the bucket, the outbox and ``claimed``."""
        first = ArchivalCode(
            base.fonds, base.year, base.retention, base.village_code, base.item_code, 1
        )
        stem = str(first)[:-4]
        taken = set(self.index.codes_starting(stem)) | {c for c in claimed if c.startswith(stem)}
        taken |= {
            p.rstrip("/").removeprefix(PACKAGES) for p in self.store.children(PACKAGES + stem)
        }
        if self.outbox.is_dir():
            taken |= {
                entry.name.removesuffix(".invalid").removesuffix(".reserved")
                for entry in self.outbox.iterdir()
                if entry.name.startswith(stem)
            }
        numbers = [int(code[-4:]) for code in taken if code[-4:].isdigit()]
        sequence = max(numbers, default=0) + 1
        return ArchivalCode(
            base.fonds, base.year, base.retention, base.village_code, base.item_code, sequence
        )

    # --- upload, verify, index ---------------------------------------------------------

    def finish(self, folder: Path) -> Archived:
        """Upload the outbox package in ``folder``, verify it, index it, then remove it.

        Raises:
            StorageError: The bucket failed; the message names the unit, and the
                folder stays for the next run.
            ArchiveConflict: A key holds other bytes in the bucket.
            WormNotEnforced: An object is not locked as the record's retention
                requires; the folder stays.
        """
        with stage("archive"):
            validate_package(folder)
            record = load_record(folder)
            unit = unit_key(record)
            try:
                return self._upload(folder, record)
            except StorageError as exc:
                # The cause names an object key; the user needs the unit and what to do.
                raise type(exc)(
                    NOT_ARCHIVED_PACKAGE_STAYS(
                        unit=unit, code=record.archival_code, cause=exc, folder=folder
                    ),
                    code=exc.code,
                    status=exc.status,
                ) from exc

    def _upload(self, folder: Path, record: PublicRecord) -> Archived:
        """Write every object not in the bucket yet, payload first; verify; index; clean up."""
        digest = package_digest(folder)
        code = record.archival_code
        prefix = object_prefix(code)
        until = retain_until(record, permanent_years=self.permanent_years)
        mode = LockMode(self.store.lock_mode)
        # What an object an earlier run wrote must hold at least: that run's lock
        # ended a day after it at the earliest, never before the record's retention.
        minimum = ObjectRetention(mode, retention_end(record, permanent_years=self.permanent_years))
        metadata = s3_metadata(record, manifest_sha256=digest)
        tags = s3_tags(record)
        self._still_ours(record)
        present = {v.key: v for v in self.store.versions(prefix) if not v.is_delete_marker}
        written: list[StoredVersion] = []
        new: list[StoredVersion] = []  # written now (those present are checked above)
        uploaded_bytes = 0
        for relative, path in package_objects(folder):
            key = prefix + relative
            data = path.read_bytes()
            sha = hashlib.sha256(data).hexdigest()
            existing = present.get(key)
            if existing is not None:
                # Written by a run that stopped before it checked this object.
                stored_data, recorded = self.store.get_locked(key, existing.version_id)
                if hashlib.sha256(stored_data).hexdigest() != sha:
                    raise ArchiveConflict(ARCHIVE_CONFLICT(key=key, bucket=self.store.bucket))
                check_recorded(key, existing.version_id, minimum, recorded, at_least=True)
                written.append(StoredVersion(key, existing.version_id, sha, len(data)))
                continue
            stored = self.store.put(
                key,
                data,
                retain_until=until,
                mode=self.store.lock_mode,
                tags=tags,
                metadata={**metadata, "content-sha256": sha},
                content_type=_content_type(relative),
                check_retention=False,
            )
            written.append(stored)
            new.append(stored)
            uploaded_bytes += len(data)
        self._verify_upload(new, ObjectRetention(mode, until))
        version = self._version_of(record)
        full = full_record(folder, self.sealer)
        entry = index_entry(record, manifest_sha256=digest, version=version, internal=full)
        self._still_ours(record)
        self.index.upsert(entry)
        if record.source_sha256 is not None:  # indexed: the claim has done its work
            self.index.release(unit_key(record), record.source_sha256, self.worker)
        shutil.rmtree(folder)
        _marker(folder).unlink(missing_ok=True)
        return Archived(unit_key(record), code, version, Outcome.RESUMED, len(new), uploaded_bytes)

    def _still_ours(self, record: PublicRecord) -> None:
        """Renew this worker's claim on the record's unit, or stop: another worker has it.

        Raises:
            ArchiveBusy: The lease ran out and another worker took the unit over; the
                package stays in the outbox and the next run decides what becomes of it.
        """
        if record.source_sha256 is None:
            return
        unit = unit_key(record)
        if not self.index.renew(unit, record.source_sha256, self.worker, record.archival_code,
                                lease=self.lease):  # fmt: skip
            raise ArchiveBusy(CLAIM_LOST(unit=unit, code=record.archival_code))

    def _verify_upload(self, new: list[StoredVersion], asked: ObjectRetention) -> None:
        """Read back each object written now: its bytes, and the retention asked for.

        Raises:
            StorageError: An object reads back other bytes.
            WormNotEnforced: The server did not record the retention asked for.
        """
        for version in new:
            data, recorded = self.store.get_locked(version.key, version.version_id)
            if hashlib.sha256(data).hexdigest() != version.sha256:
                raise StorageError(
                    READS_BACK_OTHER_BYTES(key=version.key, version=version.version_id)
                )
            check_recorded(version.key, version.version_id, asked, recorded)

    def _version_of(self, record: PublicRecord) -> int:
        previous = record.links.previous_version
        if previous is None:
            return 1
        entry = self.index.get(previous.archival_code)
        return entry.version + 1 if entry is not None else 2


_UNIT_LOCKS: dict[tuple[Path, str], threading.Lock] = {}


def _unit_lock(outbox: Path, unit: str) -> threading.Lock:
    """The lock of ``unit`` for the threads of this process filing into ``outbox``."""
    with _LOCKS_GUARD:
        return _UNIT_LOCKS.setdefault((outbox.resolve(), unit), threading.Lock())


def _marker(folder: Path) -> Path:
    return folder.with_name(folder.name + ".reserved")


def _read_marker(marker: Path) -> str | None:
    """The unit a reservation marker names; None if it was removed meanwhile."""
    try:
        return marker.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None


def _content_type(name: str) -> str:
    if name.endswith(".pdf"):
        return "application/pdf"
    if name.endswith(".json"):
        return "application/json"
    if name.endswith(".txt"):
        return "text/plain; charset=utf-8"
    return "application/octet-stream"
