"""Prefect's test harness (a temporary API and database) for the flow tests, and an
environment that points xwql at the session's S3 server with a bucket of its own."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from pipeline.archive.objectstore import ObjectStore
from pipeline.programs.s3server import EmbeddedS3
from tests.conftest import ROOT


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


def small_district(folder: Path, villages: tuple[str, ...] = ("QL-NM", "QL-DZ")) -> Path:
    """The sample district cut down to ``villages`` (their towns only): a whole district
    whose month runs in a minute, so that the district summary is the whole district's."""
    data = yaml.safe_load((ROOT / "examples" / "linzi" / "district.yaml").read_text("utf-8"))
    towns = []
    for town in data["towns"]:
        kept = [v for v in town["villages"] if v["code"] in villages]
        if kept:
            towns.append(town | {"villages": kept})
    data["towns"] = towns
    path = folder / "district.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path
