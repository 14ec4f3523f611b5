"""The archive's parts opened once for a job: bucket, index, outbox, signing keys.

Archiving needs a store that enforces WORM: the self-check saved by
``xwql storage up`` is reused for a day, else it runs again. On a store that
fails it, archiving is refused unless ``XWQL_ALLOW_UNENFORCED_WORM=1`` — and then
every package records that override (``worm_override`` in ``metadata.json``).
Reading (search, retrieval, verification) needs no self-check. Archiving also needs
this worker's keys to be the fleet's (:mod:`pipeline.archive.fleet`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import getpass
from collections.abc import Iterator
from dataclasses import dataclass

from pipeline.archive.archiver import Archiver
from pipeline.archive.fleet import (
    compare_fleet_keys,
    fingerprints_of,
    index_fingerprint,
    require_fleet_keys,
)
from pipeline.archive.idkey import load_id_key
from pipeline.archive.index import ArchiveIndex
from pipeline.archive.metadata import WormOverride
from pipeline.archive.objectstore import RETRIES, ObjectStore, open_store
from pipeline.archive.sealing import Sealer, load_keyring
from pipeline.archive.selfcheck import (
    override_requested,
    recent_report,
    require_worm,
    run_self_check,
    save_report,
)
from pipeline.archive.signing import KeyStore
from pipeline.archive.verify import Verifier
from pipeline.catalog.load import Catalog
from pipeline.config import Settings
from pipeline.organisations import Directory
from pipeline.rules.calendar import china_today

SELF_CHECK_MAX_AGE = dt.timedelta(hours=24)


@dataclass
class ArchiveSession:
    """What an archive job works with, opened once.

    Attributes:
        settings: The settings.
        store: The object-locked bucket.
        index: The search index.
        archiver: Files packages into both.
        keys: The villages' signing keys.
        sealer: Seals and opens the packages' personal parts (the archive keys).
    """

    settings: Settings
    store: ObjectStore
    index: ArchiveIndex
    archiver: Archiver
    keys: KeyStore
    sealer: Sealer

    @classmethod
    @contextlib.contextmanager
    def open(
        cls, settings: Settings, *, writing: bool, retries: int = RETRIES
    ) -> Iterator[ArchiveSession]:
        """Reach the store (starting the embedded server if needed) and open the index.

        Args:
            settings: The settings.
            writing: The job archives: check WORM first (see the module docstring).
            retries: Retries of a failed S3 request (0 for a fixity sweep).

        Raises:
            FleetKeysDiffer: This worker's keys (reading: its index key) are not the
                ones the fleet registered in the shared database
                (:mod:`pipeline.archive.fleet`).
            WormNotEnforced: ``writing`` and the store does not enforce WORM.
            StorageError: The store cannot be reached.
            IndexKeyInvalid: The key of the index's ID-number hashes is unusable.
            ArchiveKeyInvalid: The archive keys cannot be read or made.
            SigningKeysInvalid: ``writing`` and the signing keys' trust roots cannot be
                read or made.
        """
        id_key = load_id_key(settings)
        keys = KeyStore.of(settings)
        sealer = Sealer(load_keyring(settings))
        # Before the store and the index: a worker with another index key would make
        # the shared index drop its ID-number hashes on opening, reading or writing.
        if writing:
            mine = fingerprints_of(settings, keys=keys, id_key=id_key, keyring=sealer.keyring)
            require_fleet_keys(settings, mine)
        else:
            compare_fleet_keys(settings, [index_fingerprint(settings, id_key)])
        store, _ = open_store(settings, retries=retries)
        store.ensure_bucket()
        override = _worm_override(settings, store) if writing else None
        index = ArchiveIndex(settings.archive_index_url, id_key=id_key)
        archiver = Archiver(
            store,
            index,
            settings.outbox,
            sealer=sealer,
            permanent_years=settings.permanent_retention_years,
            worm_override=override,
            lease=dt.timedelta(seconds=settings.claim_lease_seconds),
        )
        if writing:
            archiver.tidy_outbox()
        try:
            yield cls(settings, store, index, archiver, keys, sealer)
        finally:
            index.close()

    def verifier(self, catalog: Catalog, directory: Directory) -> Verifier:
        """The verifier of this archive: its schema, trust roots, lock mode and retention.

        Args:
            catalog: The catalog (the documents each item requires).
            directory: The villages (the signer each package must have).
        """
        return Verifier(
            schema_dir=self.settings.schema_dir,
            trust_roots=self.keys.trust_roots(),
            catalog=catalog,
            directory=directory,
            lock_mode=self.store.lock_mode,
            permanent_years=self.settings.permanent_retention_years,
            sealer=self.sealer,
        )


def _worm_override(settings: Settings, store: ObjectStore) -> WormOverride | None:
    """None on a store that enforces WORM; the override to record when the user set one."""
    report = recent_report(settings.self_check_file, store, max_age=SELF_CHECK_MAX_AGE)
    if report is None or not report.enforced:
        report = run_self_check(store)
        save_report(report, settings.self_check_file)
    note = require_worm(report, override=override_requested())
    if note is None:
        return None
    return WormOverride(
        reason=note[:500],
        authorised_by=(getpass.getuser() or "unknown")[:60],
        date=china_today(),
    )
