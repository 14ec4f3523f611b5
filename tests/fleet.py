"""Several machines on one: a Prefect server on PostgreSQL, workers with their own data
folders, and the district month run across them (``xwql district run --pool``).

Each process is started as the operator would start it on a machine of its own; what
they share is what machines share: the PostgreSQL cluster, the S3 endpoint, the
Prefect server, and the keys copied to each (README: "Running on more than one
machine").
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import psycopg
import sqlalchemy as sa

from pipeline.archive.sealing import load_keyring
from pipeline.archive.signing import KeyStore
from pipeline.config import Settings
from pipeline.organisations import load_district
from tests.conftest import ROOT

POOL = "xwql-fleet"
INDEX_KEY = "fleet-test-index-key-0123456789abcdef"


def descendants(pid: int, *, below: int = 1) -> list[int]:
    """The processes ``below`` or more levels under ``pid``, read from ``/proc``."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
    found, frontier, depth = [], [pid], 0
    while frontier:
        depth += 1
        children = [child for child, parent in parents.items() if parent in frontier]
        found += children if depth >= below else []
        frontier = children
    return found


def clean_environment() -> dict[str, str]:
    """This process's environment without Prefect's or xwql's settings (a fresh machine)."""
    return {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("PREFECT_", "XWQL_"))
    }


def new_database(postgres_url: str, name: str) -> str:
    """A new, empty database ``name`` on the cluster of ``postgres_url``; its psycopg URL."""
    url = sa.make_url(postgres_url)
    with psycopg.connect(
        dbname="postgres", user=url.username, host=url.query["host"], autocommit=True
    ) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')
    return str(url.set(database=name))


def asyncpg_url(url: str) -> str:
    """The same database for Prefect's server, which speaks asyncpg."""
    return str(sa.make_url(url).set(drivername="postgresql+asyncpg"))


def share_keys(seed: Path, folders: list[Path], district: Path) -> None:
    """Make the keys once in ``seed`` and copy them into each data folder.

    The demo signing CA and the archive keyring, as the operator copies them to
    each machine (the index key is given by ``XWQL_INDEX_KEY`` instead).
    """
    settings = Settings(data=seed, district_file=district)
    keys = KeyStore(seed / "signing")
    for place in load_district(district).villages:
        keys.signer_for(place)  # the demo CA and each village's key
    load_keyring(settings)
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copytree(seed / "signing", folder / "signing", dirs_exist_ok=True)
        shutil.copy2(seed / "archive-keys.json", folder / "archive-keys.json")


def server_environment(folder: Path, database_url: str) -> dict[str, str]:
    """The environment of a Prefect server on PostgreSQL (``flows.api.local_server``)."""
    return clean_environment() | {
        "PREFECT_HOME": str(folder),
        "PREFECT_API_DATABASE_CONNECTION_URL": asyncpg_url(database_url),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_UI_ENABLED": "false",
        "PREFECT_LOGGING_LEVEL": "WARNING",
    }


def wait_for_workers(api_url: str, count: int, timeout: float = 120) -> None:
    """Wait until ``count`` workers of the pool are online (their first poll)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.objects import WorkerStatus
    from prefect.settings import PREFECT_API_URL, temporary_settings

    deadline = time.monotonic() + timeout
    with temporary_settings({PREFECT_API_URL: api_url}), get_client(sync_client=True) as client:
        while True:
            workers = client.read_workers_for_work_pool(POOL)
            if sum(w.status == WorkerStatus.ONLINE for w in workers) >= count:
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"{count} workers were not online in time: {workers}")
            time.sleep(1)


@dataclass
class Machine:
    """One machine of the fleet: its own data folder, the fleet's shared settings."""

    name: str
    data: Path
    shared: Mapping[str, str]
    worker: subprocess.Popen[bytes] | None = None

    def env(self) -> dict[str, str]:
        """Its environment: the shared settings and its own data folder."""
        return clean_environment() | dict(self.shared) | {"XWQL_DATA": str(self.data)}

    def xwql(self, *args: str) -> list[str]:
        """The argv of an xwql command."""
        return [sys.executable, "-c", "from pipeline.cli import main; main()", *args]

    def run(
        self, *args: str, timeout: float = 900, env: Mapping[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run an xwql command here (with ``env`` added) and wait for it."""
        return subprocess.run(
            self.xwql(*args), cwd=ROOT, env=self.env() | dict(env or {}), capture_output=True,
            text=True, timeout=timeout, check=False,
        )  # fmt: skip

    def start(self, *args: str) -> subprocess.Popen[str]:
        """Start an xwql command here (in a session of its own)."""
        return subprocess.Popen(
            self.xwql(*args), cwd=ROOT, env=self.env(), stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, start_new_session=True,
        )  # fmt: skip

    def start_worker(self) -> None:
        """``xwql district worker --pool``, its output in the data folder."""
        self.data.mkdir(parents=True, exist_ok=True)
        with (self.data / "worker.log").open("ab") as log:
            self.worker = subprocess.Popen(
                self.xwql("district", "worker", "--pool", POOL), cwd=ROOT, env=self.env(),
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip

    def kill_worker(self) -> None:
        """SIGKILL the worker and every process under it at once: the machine is lost.

        Its runs get no signal they could report (a run whose parent merely ends is
        told to stop, and says so): only their missing heartbeats tell.
        """
        if self.worker is not None and self.worker.poll() is None:
            for pid in [*descendants(self.worker.pid), self.worker.pid]:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGSTOP)  # none of them acts on the others' end
            for pid in [*descendants(self.worker.pid), self.worker.pid]:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            self.worker.wait()

    def running(self) -> bool:
        """Whether its worker runs a village: a run's process under Prefect's worker,
        itself under ``xwql district worker``."""
        return self.worker is not None and bool(descendants(self.worker.pid, below=2))

    def stop_worker(self) -> None:
        """Stop the worker as an operator would (Ctrl-C), then make sure."""
        if self.worker is not None and self.worker.poll() is None:
            os.killpg(self.worker.pid, signal.SIGINT)
            try:
                self.worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill_worker()
