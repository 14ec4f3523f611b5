"""The real S3 servers for the test session, and the clients to reach them.

The embedded SeaweedFS serves every archive test; a one-node Ceph RGW (``rgw``,
started on first use) is the second server the conformance suite and the demo run on.

One hardened SeaweedFS serves the whole session (starting costs ~3.5 s and
stopping ~16 s), with one shared archive bucket where each test writes under
keys of its own; tests that list a whole bucket take a fresh one.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from pipeline.archive.objectstore import EMBEDDED_REGION, ObjectStore
from pipeline.config import Settings
from pipeline.programs.s3server import Credentials, EmbeddedS3, S3Endpoint
from tests.rgw import REGION as RGW_REGION
from tests.rgw import OneNodeRgw

ARCHIVE_BUCKET = "xwql-test-archive"


def remove_sockets(ports: list[int]) -> None:
    """Remove the Unix sockets weed leaves in /tmp for these ports (HTTP and gRPC)."""
    for port in ports:
        for number in (port, port + 10000):
            for stale in Path("/tmp").glob(f"seaweed*-{number}.sock"):
                stale.unlink(missing_ok=True)


def weed_shell(server: EmbeddedS3, *commands: str) -> str:
    """Run ``weed shell`` commands against ``server`` (an administrator's console); the output.

    It runs in the server's folder, where weed finds the keys of ``security.toml``.
    """
    weed = Path(sys.executable).parent / "weed"
    done = subprocess.run(
        [str(weed), "shell", f"-master=127.0.0.1:{server.ports()['master']}"],
        input="".join(f"{command}\n" for command in commands), capture_output=True, text=True,
        cwd=server.folder, timeout=60, check=True,
    )  # fmt: skip
    return done.stdout + done.stderr


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


def assert_locked(settings: Settings, code: str) -> None:
    """Every object of the package ``code`` in ``settings``' bucket is under a retention
    lock of a year and more, read with boto3 (not with the archive's own client)."""
    s3 = boto_client(settings.s3_url or "", Credentials(settings.s3_access_key or "",
                                                      settings.s3_secret_key or ""))  # fmt: skip
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=settings.s3_bucket)
    keys = [entry["Key"] for page in pages for entry in page.get("Contents", [])]
    keys = [key for key in keys if code in key]
    assert any(key.endswith("metadata.json") for key in keys), (code, keys)
    for key in keys:
        lock = s3.get_object_retention(Bucket=settings.s3_bucket, Key=key)["Retention"]
        assert lock["Mode"] in ("COMPLIANCE", "GOVERNANCE"), (key, lock)
        assert lock["RetainUntilDate"] > dt.datetime.now(dt.UTC) + dt.timedelta(days=365), key


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


@pytest.fixture
def fresh_store(s3_server: EmbeddedS3) -> ObjectStore:
    """A bucket of this test's own (for tests that list the whole bucket)."""
    bucket = ObjectStore(
        s3_server.endpoint(), f"xwql-t-{uuid.uuid4().hex[:10]}", region=EMBEDDED_REGION
    )
    bucket.ensure_bucket()
    return bucket


@pytest.fixture(scope="session")
def rgw(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OneNodeRgw]:
    """A one-node Ceph RGW for the session (a cluster that cannot start is an error)."""
    cluster = OneNodeRgw(tmp_path_factory.mktemp("ceph-rgw"))
    try:
        yield cluster.start()
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def rgw_endpoint(rgw: OneNodeRgw) -> S3Endpoint:
    """The RGW's URL and its application identity (the bucket's owner)."""
    settings = rgw.settings()
    return S3Endpoint(
        settings["XWQL_S3_URL"],
        Credentials(settings["XWQL_S3_ACCESS_KEY"], settings["XWQL_S3_SECRET_KEY"]),
    )


@pytest.fixture(scope="session")
def rgw_store(rgw_endpoint: S3Endpoint) -> ObjectStore:
    """The archive's store on the RGW, its bucket made by the archive's own code."""
    store = ObjectStore(rgw_endpoint, "xwql-conformance", region=RGW_REGION)
    store.ensure_bucket()
    return store


@pytest.fixture(scope="session")
def rgw_s3(rgw: OneNodeRgw) -> Any:
    """boto3 on the RGW as the application identity."""
    settings = rgw.settings()
    keys = Credentials(settings["XWQL_S3_ACCESS_KEY"], settings["XWQL_S3_SECRET_KEY"])
    return boto_client(settings["XWQL_S3_URL"], keys)
