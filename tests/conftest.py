"""Shared fixtures: real catalog, real fonts, a real warm LibreOffice pool, the CLI."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from pipeline.catalog import Catalog, load_catalog
from pipeline.cli import run
from pipeline.config import Settings
from pipeline.documents.render import TemplateSet
from pipeline.programs.fonts import FontSetup, ensure_sc_fonts
from pipeline.programs.soffice import ConverterPool

# Prefect reads its settings on import: a home of the test run's own, analytics off.
os.environ.setdefault("PREFECT_HOME", tempfile.mkdtemp(prefix="xwql-test-prefect-"))
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"

from tests.s3 import (  # noqa: F401  (session fixtures of the real S3 servers)
    admin_s3,
    app_s3,
    fresh_store,
    key,
    rgw,
    rgw_endpoint,
    rgw_s3,
    rgw_store,
    s3_data,
    s3_server,
    store,
)

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT.parent / "shared" / "seed" / "linzi-xwql-2020-65.txt"
CORPUS = Path(__file__).resolve().parent / "corpus"


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings with a private data folder, so tests never touch the project's var/."""
    return replace(
        Settings(), home=ROOT, data=tmp_path_factory.mktemp("xwql-data"), converter_workers=2
    )


@pytest.fixture(scope="session")
def catalog(settings: Settings) -> Catalog:
    return load_catalog(settings.catalog_dir)


@pytest.fixture
def catalog_copy(tmp_path: Path, settings: Settings) -> Path:
    """A writable copy of the shipped catalog, to break on purpose."""
    target = tmp_path / "catalog"
    shutil.copytree(settings.catalog_dir, target)
    return target


@pytest.fixture(scope="session")
def fonts(settings: Settings) -> FontSetup:
    return ensure_sc_fonts(settings.data)


@pytest.fixture(scope="session")
def templates(settings: Settings) -> TemplateSet:
    return TemplateSet(settings.templates_dir)


@pytest.fixture(scope="session")
def pool(settings: Settings, fonts: FontSetup) -> Iterator[ConverterPool]:
    """One warm LibreOffice pool for the whole run (started once, as in production)."""
    with ConverterPool(settings.data / "converters", fonts, workers=2, timeout=60) as started:
        yield started


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A private PostgreSQL cluster on a Unix socket, started for this test run.

    initdb refuses to run as root, so as root the cluster runs as ``postgres``.
    """
    bindir = sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1]
    root = Path(tempfile.mkdtemp(prefix="xwql-pg-"))
    as_owner: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
        as_owner = ["runuser", "-u", "postgres", "--"]
    data, socket_dir = root / "data", root
    subprocess.run(
        [*as_owner, str(bindir / "initdb"), "-D", str(data), "-U", "xwql", "--auth=trust",
         "-E", "UTF8", "--locale=C.UTF-8"],
        check=True, capture_output=True,
    )  # fmt: skip
    subprocess.run(
        [*as_owner, str(bindir / "pg_ctl"), "-D", str(data), "-w", "-l", str(root / "log"),
         "-o", f"-k {socket_dir} -c listen_addresses=''", "start"],
        check=True, capture_output=True,
    )  # fmt: skip
    try:
        yield f"postgresql+psycopg://xwql@/postgres?host={socket_dir}"
    finally:
        subprocess.run(
            [*as_owner, str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"],
            check=False, capture_output=True,
        )  # fmt: skip
        shutil.rmtree(root, ignore_errors=True)


@dataclass
class CliResult:
    code: int
    out: str
    err: str


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, settings: Settings):
    """Run ``xwql`` in-process; returns exit code and captured output."""
    monkeypatch.setenv("XWQL_DATA", str(settings.data))
    monkeypatch.setenv("XWQL_CONVERTER_WORKERS", "2")
    monkeypatch.setenv("COLUMNS", "200")

    def invoke(*args: str) -> CliResult:
        code = run(list(args))
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return invoke


def pdf_text(pdf: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout


def pdf_fonts(pdf: Path) -> list[dict[str, str]]:
    """Rows of ``pdffonts``: name, type, emb."""
    lines = subprocess.run(
        ["pdffonts", str(pdf)], capture_output=True, text=True, check=True
    ).stdout.splitlines()[2:]
    rows = []
    for line in lines:
        parts = line.split()
        # name ... emb sub uni object ID: emb is the 5th field from the end
        rows.append({"name": parts[0], "emb": parts[-5]})
    return rows


def assert_fonts_embedded_sc(pdf: Path) -> None:
    rows = pdf_fonts(pdf)
    assert rows, f"{pdf} has no fonts"
    assert all(row["emb"] == "yes" for row in rows), rows
    names = [row["name"] for row in rows]
    assert not [n for n in names if "jp" in n.lower() or "CJKjp" in n], names
    assert any("CJKsc" in n for n in names), names
