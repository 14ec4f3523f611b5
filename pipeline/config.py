"""Typed settings, read once from the environment and passed down.

The data folders (catalog, templates, schemas, examples) ship beside the package
in the source tree; ``XWQL_HOME`` points elsewhere for an installed copy.
Run-time state (LibreOffice profiles, work folders) goes under ``XWQL_DATA``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

_SOURCE_ROOT = Path(__file__).resolve().parent.parent


def _env_path(name: str, default: Path) -> Path:
    value = os.environ.get(name)
    return Path(value).expanduser().resolve() if value else default


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity, which a container may narrow)."""
    return len(os.sched_getaffinity(0))


def default_converters() -> int:
    """Warm LibreOffice instances when ``XWQL_CONVERTER_WORKERS`` is unset: a core each but one.

    xwql's own work (rendering, stamping, signing, archiving) runs in one Python
    process, mostly one thread at a time (the GIL), and needs a core of its own
    besides the embedded S3 server and Prefect's API. On 2 cores, one converter made a
    50-village month 7 % slower than two at the same commit, and its process
    tree 0.35 GiB smaller: within 1.5 GiB (``bench/README.md``).
    """
    return max(1, usable_cores() - 1)


def _converters() -> int:
    return int(os.environ.get("XWQL_CONVERTER_WORKERS", default_converters()))


def _conversion_batch() -> int:
    # At least 16 documents in flight over all converters, as two converters
    # of 8 had: one converter was measured with 16 (bench/README.md).
    return int(os.environ.get("XWQL_CONVERSION_BATCH", max(8, 16 // max(1, _converters()))))


def _secret(name: str) -> str | None:
    """A secret from ``NAME``, or from the file ``NAME_FILE`` names (kept out of the repo)."""
    value = os.environ.get(name)
    if value:
        return value
    path = os.environ.get(f"{name}_FILE")
    return Path(path).read_text().strip() if path else None


@dataclass(frozen=True)
class Settings:
    """Where xwql finds its data and keeps its state.

    Attributes:
        home: Folder holding ``catalog/``, ``templates/``, ``archive_schema/``.
        catalog: The catalog edition in use (``XWQL_CATALOG``); unset: ``home/catalog``,
            the edition shipped. A district keeps its own, confirmed one apart.
        data: Folder for run-time state (converter profiles, work folders).
        converter_workers: Warm LibreOffice instances to keep
            (``XWQL_CONVERTER_WORKERS``; default: one per core but one, at least
            one, see :func:`default_converters`).
        conversion_batch: Most documents one LibreOffice call converts when several
            wait at once (``XWQL_CONVERSION_BATCH``, default 8, or 16 with one
            converter; 1 turns joining off).
        converter_recycle_mb: A LibreOffice grown past this many MB resident is
            replaced by a fresh one (``XWQL_CONVERTER_RECYCLE_MB``, default 350; 0 never).
        conversion_timeout: Seconds one document may take before LibreOffice
            is restarted.
        database_url: SQL URL of the case store; a SQLite file in ``data``
            when unset (``XWQL_DATABASE_URL``).
        district_file: The organisations file (``XWQL_DISTRICT``; default: the
            sample Linzi district in ``examples/``).
        s3_url: An S3 endpoint with object lock (``XWQL_S3_URL``); unset: xwql
            runs its own embedded server.
        s3_access_key: Its access key (``XWQL_S3_ACCESS_KEY``, or a file named
            by ``XWQL_S3_ACCESS_KEY_FILE``).
        s3_secret_key: Its secret (``XWQL_S3_SECRET_KEY`` or ``…_FILE``).
        s3_bucket: The archive bucket (``XWQL_S3_BUCKET``, default ``xwql-archive``).
        lock_mode: Object-lock mode of archived objects (``XWQL_LOCK_MODE``:
            ``COMPLIANCE``, the default, or ``GOVERNANCE``).
        index_url: SQL URL of the archive's search index (``XWQL_INDEX_URL``);
            a SQLite file in ``data`` when unset. Rebuildable from the bucket.
        index_key: The key of the index's ID-number hashes (``XWQL_INDEX_KEY`` or
            ``…_FILE``); unset: a key file in ``data`` (see :mod:`pipeline.archive.idkey`).
        archive_keys: The keyring that seals the packages' personal parts
            (``XWQL_ARCHIVE_KEYS``); unset: a file in ``data`` (see
            :mod:`pipeline.archive.sealing`).
        signing_keys: Folder of production village signing keys
            (``XWQL_SIGNING_KEYS``); unset: a demo CA under ``data/signing``.
        tsa_url: The time-stamping authority of the signatures (``XWQL_TSA_URL``,
            RFC 3161 over HTTP); unset, the demo keys use the district's own and
            production keys sign without a timestamp (B-B).
        signing_passphrase: Passphrase of encrypted production keys
            (``XWQL_SIGNING_PASSPHRASE`` or ``…_FILE``).
        permanent_retention_years: How long 永久 units are locked
            (``XWQL_PERMANENT_RETENTION_YEARS``, default 100).
        claim_lease_seconds: How long a worker's claim on a unit holds before another
            machine's worker may take it over (``XWQL_CLAIM_LEASE``, default 600): far
            longer than filing one unit takes, as short as a lost machine may wait.
        keep_work: Keep the work folder of a case file or pack that failed, for
            diagnosis (``XWQL_KEEP_WORK=1``); by default it is removed.
        public_url: Where villagers reach the web pages (``XWQL_PUBLIC_URL``, default
            ``http://127.0.0.1:8080``, where ``xwql web`` serves by default; no trailing
            slash): a posted notice's QR code opens ``<public_url>/n/<核验码>``.
    """

    home: Path = field(default_factory=lambda: _env_path("XWQL_HOME", _SOURCE_ROOT))
    data: Path = field(default_factory=lambda: _env_path("XWQL_DATA", _SOURCE_ROOT / "var"))
    converter_workers: int = field(default_factory=_converters)
    conversion_batch: int = field(default_factory=_conversion_batch)
    converter_recycle_mb: float = field(
        default_factory=lambda: float(os.environ.get("XWQL_CONVERTER_RECYCLE_MB", "350"))
    )
    conversion_timeout: float = field(
        default_factory=lambda: float(os.environ.get("XWQL_CONVERSION_TIMEOUT", "60"))
    )
    database_url: str | None = field(default_factory=lambda: os.environ.get("XWQL_DATABASE_URL"))
    s3_url: str | None = field(default_factory=lambda: os.environ.get("XWQL_S3_URL"))
    keep_work: bool = field(
        default_factory=lambda: os.environ.get("XWQL_KEEP_WORK", "") not in ("", "0")
    )
    s3_access_key: str | None = field(default_factory=lambda: _secret("XWQL_S3_ACCESS_KEY"))
    s3_secret_key: str | None = field(
        default_factory=lambda: _secret("XWQL_S3_SECRET_KEY"), repr=False
    )
    s3_bucket: str = field(default_factory=lambda: os.environ.get("XWQL_S3_BUCKET", "xwql-archive"))
    lock_mode: str = field(default_factory=lambda: os.environ.get("XWQL_LOCK_MODE", "COMPLIANCE"))
    index_url: str | None = field(default_factory=lambda: os.environ.get("XWQL_INDEX_URL"))
    index_key: str | None = field(default_factory=lambda: _secret("XWQL_INDEX_KEY"), repr=False)
    archive_keys: Path | None = field(
        default_factory=lambda: (
            _env_path("XWQL_ARCHIVE_KEYS", Path()) if os.environ.get("XWQL_ARCHIVE_KEYS") else None
        )
    )
    signing_keys: Path | None = field(
        default_factory=lambda: (
            _env_path("XWQL_SIGNING_KEYS", Path()) if os.environ.get("XWQL_SIGNING_KEYS") else None
        )
    )
    tsa_url: str | None = field(
        default_factory=lambda: os.environ.get("XWQL_TSA_URL", "").strip() or None
    )
    signing_passphrase: str | None = field(
        default_factory=lambda: _secret("XWQL_SIGNING_PASSPHRASE"), repr=False
    )
    permanent_retention_years: int = field(
        default_factory=lambda: int(os.environ.get("XWQL_PERMANENT_RETENTION_YEARS", "100"))
    )
    claim_lease_seconds: float = field(
        default_factory=lambda: float(os.environ.get("XWQL_CLAIM_LEASE", "600"))
    )
    catalog: Path | None = field(
        default_factory=lambda: (
            _env_path("XWQL_CATALOG", Path()) if os.environ.get("XWQL_CATALOG") else None
        )
    )
    district_file: Path | None = field(
        default_factory=lambda: (
            _env_path("XWQL_DISTRICT", Path()) if os.environ.get("XWQL_DISTRICT") else None
        )
    )
    public_url: str = field(
        default_factory=lambda: (
            os.environ.get("XWQL_PUBLIC_URL", "").strip() or "http://127.0.0.1:8080"
        ).rstrip("/")
    )

    @property
    def catalog_dir(self) -> Path:
        """The current catalog edition."""
        return self.catalog if self.catalog is not None else self.home / "catalog"

    @property
    def templates_dir(self) -> Path:
        """The ``.docx`` templates and their field manifest."""
        return self.home / "templates"

    @property
    def district_path(self) -> Path:
        """The organisations file in use."""
        return self.district_file or self.home / "examples" / "linzi" / "district.yaml"

    @property
    def s3_dir(self) -> Path:
        """The embedded S3 server's data, configuration and secrets."""
        return self.data / "s3"

    @property
    def archive_index_url(self) -> str:
        """The search index's URL: ``index_url``, or a SQLite file in ``data``."""
        if self.index_url:
            return self.index_url
        self.data.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{(self.data / 'archive-index.sqlite3').resolve()}"

    @property
    def self_check_file(self) -> Path:
        """The last WORM self-check of the object store (written by ``storage up``)."""
        return self.data / "storage-self-check.json"

    @property
    def outbox(self) -> Path:
        """Packages built but not yet archived (finished by the next archive job)."""
        return self.data / "outbox"

    @property
    def schema_dir(self) -> Path:
        """Versioned JSON Schemas."""
        return self.home / "archive_schema"


def load_settings() -> Settings:
    """Read the settings from the environment."""
    return Settings()
