"""One hardened embedded SeaweedFS for the whole test session, and the clients to reach it.

Starting costs ~3.5 s and stopping ~16 s, so every test shares the one server and
the one archive bucket, each test under keys of its own. Only the bucket-delete
and the no-lock tests make buckets of their own (a bucket costs volumes).
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from pipeline.archive.objectstore import EMBEDDED_REGION, ObjectStore
from pipeline.errors import StorageError
from pipeline.programs.s3server import Credentials, EmbeddedS3, S3Endpoint, free_port_pair

ARCHIVE_BUCKET = "xwql-test-archive"


def remove_sockets(ports: list[int]) -> None:
    """Remove the Unix sockets weed leaves in /tmp for these ports (HTTP and gRPC)."""
    for port in ports:
        for number in (port, port + 10000):
            for stale in Path("/tmp").glob(f"seaweed*-{number}.sock"):
                stale.unlink(missing_ok=True)


@pytest.fixture(scope="session")
def s3_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A settings ``data`` folder whose ``s3/`` is the session server's folder."""
    return tmp_path_factory.mktemp("xwql-s3-data")


@pytest.fixture(scope="session")
def s3_server(s3_data: Path) -> Iterator[EmbeddedS3]:
    server = EmbeddedS3(s3_data / "s3")
    server.start()
    try:
        yield server
    finally:
        ports = list(server.ports().values())
        server.stop()
        remove_sockets(ports)  # stop() leaves the gRPC ones behind


@pytest.fixture(scope="session")
def store(s3_server: EmbeddedS3) -> ObjectStore:
    archive = ObjectStore(s3_server.endpoint(), ARCHIVE_BUCKET, region=EMBEDDED_REGION)
    archive.ensure_bucket()
    return archive


def boto_client(url: str, credentials: Credentials | None) -> Any:
    """An independent S3 client (boto3), with bounded timeouts and retries."""
    return boto3.client(
        "s3",
        endpoint_url=url,
        aws_access_key_id=credentials.access_key if credentials else None,
        aws_secret_access_key=credentials.secret_key if credentials else None,
        region_name=EMBEDDED_REGION,
        config=Config(
            connect_timeout=5,
            read_timeout=30,
            retries={"max_attempts": 3, "mode": "standard"},
            s3={"addressing_style": "path"},
        ),
    )


@pytest.fixture(scope="session")
def app_s3(s3_server: EmbeddedS3, store: ObjectStore) -> Any:
    """boto3 as the application identity."""
    endpoint = s3_server.endpoint()
    return boto_client(endpoint.url, endpoint.app)


@pytest.fixture(scope="session")
def admin_s3(s3_server: EmbeddedS3) -> Any:
    """boto3 as the admin identity (bucket set-up only)."""
    endpoint = s3_server.endpoint()
    return boto_client(endpoint.url, endpoint.admin)


@pytest.fixture
def key(request: pytest.FixtureRequest) -> str:
    """A key prefix of this test's own in the shared bucket."""
    return f"tests/{request.node.name}/{uuid.uuid4().hex[:8]}"


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
    master, volume, filer, s3 = (free_port_pair() for _ in range(4))
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


@pytest.fixture
def fresh_store(s3_server: EmbeddedS3) -> ObjectStore:
    """A bucket of this test's own (for tests that list the whole bucket)."""
    bucket = ObjectStore(
        s3_server.endpoint(), f"xwql-t-{uuid.uuid4().hex[:10]}", region=EMBEDDED_REGION
    )
    bucket.ensure_bucket()
    return bucket
