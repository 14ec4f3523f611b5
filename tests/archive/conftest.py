"""A deliberately misconfigured SeaweedFS for the self-check tests (the session's
hardened server, the Ceph RGW and their clients are in ``tests/s3.py``)."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from pipeline.archive.objectstore import EMBEDDED_REGION, ObjectStore
from pipeline.errors import StorageError
from pipeline.programs.ports import free_port
from pipeline.programs.s3server import GRPC_PORT_OFFSET, Credentials, S3Endpoint
from tests.s3 import remove_sockets


@dataclass
class PlainWeed:
    """A deliberately misconfigured SeaweedFS: ``weed server -s3`` with no identities."""

    process: subprocess.Popen[bytes]
    url: str
    ports: list[int]

    def store(self, bucket: str) -> ObjectStore:
        # With no identities file weed checks no credentials at all: any key will do.
        anyone = Credentials("anyone", "anything")
        return ObjectStore(S3Endpoint(self.url, anyone), bucket, region=EMBEDDED_REGION)


@pytest.fixture(scope="module")
def plain_weed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PlainWeed]:
    """A plain ``weed server -s3`` (anonymous admin), killed at the end (its data is scratch)."""
    folder = tmp_path_factory.mktemp("plain-weed")
    (folder / "data").mkdir()
    master, volume, filer, s3 = (free_port(GRPC_PORT_OFFSET) for _ in range(4))
    weed = Path(sys.executable).parent / "weed"
    argv = [
        str(weed), "server", f"-dir={folder / 'data'}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
        f"-master.port={master}", f"-volume.port={volume}", f"-filer.port={filer}",
        "-s3", f"-s3.port={s3}", "-s3.port.iceberg=0", "-s3.port.lance=0",
        "-master.electionTimeout=1s", "-master.telemetry=false", "-metricsPort=0",
    ]  # fmt: skip
    with (folder / "weed.log").open("ab") as log:
        process = subprocess.Popen(
            argv, cwd=folder, stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
    server = PlainWeed(process, f"http://127.0.0.1:{s3}", [master, volume, filer, s3])
    try:
        probe = server.store("xwql-plain-probe")
        deadline = time.monotonic() + 60
        while True:  # ready once a bucket can be made, not merely once the port opens
            try:
                probe.ensure_bucket()
                break
            except StorageError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.3)
        yield server
    finally:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        process.wait(timeout=30)
        remove_sockets(server.ports)
