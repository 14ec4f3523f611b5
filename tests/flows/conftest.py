"""Prefect's test harness (a temporary API and database) for the flow tests, and an
environment that points xwql at the session's S3 server with a bucket of its own."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.archive.objectstore import ObjectStore
from pipeline.programs.s3server import EmbeddedS3


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture
def archive_env(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, s3_server: EmbeddedS3,
    fresh_store: ObjectStore,
) -> dict[str, str]:  # fmt: skip
    """XWQL_* settings for a run on the session's server, in a bucket and data folder of its own."""
    endpoint = s3_server.endpoint()
    env = {
        "XWQL_DATA": str(tmp_path / "data"),
        "XWQL_S3_URL": endpoint.url,
        "XWQL_S3_ACCESS_KEY": endpoint.app.access_key,
        "XWQL_S3_SECRET_KEY": endpoint.app.secret_key,
        "XWQL_S3_BUCKET": fresh_store.bucket,
        "XWQL_CONVERTER_WORKERS": "2",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env
