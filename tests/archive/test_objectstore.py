"""The store layer: round trips by version, local hashing, read-back, limits, timeouts."""

from __future__ import annotations

import hashlib
import http.server
import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pipeline.archive.objectstore import (
    LockMode,
    ObjectRetention,
    ObjectStore,
    check_metadata,
    check_tags,
    open_store,
    stated_retention,
    whole_seconds,
)
from pipeline.config import Settings
from pipeline.errors import ObjectMetadataInvalid, StorageConfigInvalid, StorageError
from pipeline.programs.ports import free_port
from pipeline.programs.s3server import (
    WEED_MEMORY_LIMIT,
    Credentials,
    EmbeddedS3,
    S3Endpoint,
)

NOBODY = Credentials("nobody", "nothing")


def _until(**delta: float) -> datetime:
    return whole_seconds(datetime.now(UTC) + timedelta(**delta))


def _settings(**changes: object) -> Settings:
    base = replace(
        Settings(),
        s3_url=None,
        s3_access_key=None,
        s3_secret_key=None,
        s3_bucket="xwql-test-archive",
        lock_mode="COMPLIANCE",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


# --- with the server -----------------------------------------------------------------------


@pytest.mark.s3
def test_put_and_get_round_trip_by_version(store: ObjectStore, key: str) -> None:
    data = os.urandom(300_000)
    until = _until(days=1)
    stored = store.put(
        key,
        data,
        retain_until=until,
        mode=LockMode.COMPLIANCE,
        tags={"村": "南马村", "事项": "低保申请 2025年11月"},
        metadata={"case-id": "C-2025-001"},
    )
    assert stored.key == key and stored.size == len(data)
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert store.get(key, stored.version_id) == data
    assert store.retention(key, stored.version_id) == ObjectRetention(LockMode.COMPLIANCE, until)
    assert not store.legal_hold(key, stored.version_id)
    (listed,) = store.versions(key)
    assert (listed.version_id, listed.size, listed.is_latest) == (
        stored.version_id,
        len(data),
        True,
    )


@pytest.mark.s3
def test_a_read_back_states_content_and_retention_in_one_answer(
    store: ObjectStore, key: str
) -> None:
    until = _until(days=2)
    written = store.put(
        key, b"locked", retain_until=until, mode=LockMode.COMPLIANCE, check_retention=False
    )
    data, recorded = store.get_locked(key, written.version_id)
    assert data == b"locked"
    assert recorded == ObjectRetention(LockMode.COMPLIANCE, whole_seconds(until))
    assert recorded == store.retention(key, written.version_id)


@pytest.mark.parametrize(
    ("headers", "stated"),
    [
        (
            {"x-amz-object-lock-mode": "COMPLIANCE",
             "x-amz-object-lock-retain-until-date": "2056-11-27T02:53:31Z"},
            ObjectRetention(LockMode.COMPLIANCE, datetime(2056, 11, 27, 2, 53, 31, tzinfo=UTC)),
        ),
        (
            {"x-amz-object-lock-mode": "GOVERNANCE",
             "x-amz-object-lock-retain-until-date": "2056-11-27T02:53:31.250+00:00"},
            ObjectRetention(LockMode.GOVERNANCE, datetime(2056, 11, 27, 2, 53, 31, tzinfo=UTC)),
        ),
        ({}, None),  # not sent: the caller asks for it
        ({"x-amz-object-lock-mode": "COMPLIANCE"}, None),
        ({"x-amz-object-lock-mode": "FOREVER",
          "x-amz-object-lock-retain-until-date": "2056-11-27T02:53:31Z"}, None),
        ({"x-amz-object-lock-mode": "COMPLIANCE",
          "x-amz-object-lock-retain-until-date": "next year"}, None),
    ],
)  # fmt: skip
def test_the_retention_stated_with_content_is_read_or_left_to_ask(
    headers: dict[str, str], stated: ObjectRetention | None
) -> None:
    assert stated_retention(headers) == stated


def test_retention_is_cut_to_whole_seconds_and_read_back(store: ObjectStore, key: str) -> None:
    asked = datetime.now(UTC) + timedelta(hours=2, microseconds=654321)
    stored = store.put(key, b"x", retain_until=asked, mode=LockMode.GOVERNANCE, legal_hold=True)
    held = store.retention(key, stored.version_id)
    assert held == ObjectRetention(LockMode.GOVERNANCE, asked.replace(microsecond=0))
    assert store.legal_hold(key, stored.version_id)


@pytest.mark.s3
def test_non_ascii_metadata_is_refused_before_anything_is_written(
    store: ObjectStore, key: str
) -> None:
    with pytest.raises(ObjectMetadataInvalid, match="put Chinese text in tags") as refused:
        store.put(
            key,
            b"x",
            retain_until=_until(days=1),
            mode=LockMode.COMPLIANCE,
            metadata={"applicant": "张三"},
        )
    assert refused.value.exit_code == 3
    assert store.versions(key) == []


def test_metadata_and_tag_limits() -> None:
    assert check_metadata({"case-id": "C-1"}) == {"case-id": "C-1"}
    with pytest.raises(ObjectMetadataInvalid, match="under 2048"):
        check_metadata({"blob": "a" * 2100})
    with pytest.raises(ObjectMetadataInvalid, match="keys must be ASCII"):
        check_metadata({"名字": "x"})
    with pytest.raises(ObjectMetadataInvalid, match="not printable ASCII"):
        check_metadata({"note": "line\nbreak"})
    tags = check_tags({"村": "南马村", "date": "2025-11-24"})
    assert tags is not None and dict(tags) == {"村": "南马村", "date": "2025-11-24"}
    with pytest.raises(ObjectMetadataInvalid, match="11 tags"):
        check_tags({f"t{i}": "v" for i in range(11)})
    with pytest.raises(ObjectMetadataInvalid, match="up to 256"):
        check_tags({"reason": "长" * 257})
    with pytest.raises(ObjectMetadataInvalid, match="up to 256"):
        check_tags({"name": "张三（户主）"})  # full-width brackets: not in S3's tag alphabet


def test_naive_retention_dates_are_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        whole_seconds(datetime(2030, 1, 1))


@pytest.mark.s3
def test_missing_version_is_a_storage_error_at_once(store: ObjectStore, key: str) -> None:
    stored = store.put(key, b"x", retain_until=_until(days=1), mode=LockMode.COMPLIANCE)
    started = time.monotonic()
    with pytest.raises(StorageError, match="no such object version") as missing:
        store.get(key, stored.version_id[::-1])
    assert missing.value.code == "NoSuchVersion" and missing.value.status == 404
    assert time.monotonic() - started < 2
    with pytest.raises(StorageError):
        store.get(f"{key}-absent", stored.version_id)


@pytest.mark.s3
def test_open_store_with_a_url_starts_nothing(store: ObjectStore, s3_server: EmbeddedS3) -> None:
    app = s3_server.endpoint().app
    external, server = open_store(
        _settings(s3_url=store.url, s3_access_key=app.access_key, s3_secret_key=app.secret_key)
    )
    assert server is None
    assert external.ensure_bucket() is False  # the app may check, need not create
    assert external.lock_configuration().enabled


@pytest.mark.s3
def test_open_store_reuses_the_running_embedded_server(
    s3_server: EmbeddedS3, s3_data: Path, store: ObjectStore
) -> None:
    # ``store`` makes the bucket: this test must not depend on others having made it.
    pid = s3_server.pid()
    embedded, server = open_store(_settings(data=s3_data))
    assert server is not None and server.pid() == pid
    assert embedded.url == s3_server.endpoint().url
    assert embedded.versioning_enabled()


@pytest.mark.s3
def test_the_embedded_server_runs_with_a_memory_limit(s3_server: EmbeddedS3) -> None:
    environment = Path(f"/proc/{s3_server.pid()}/environ").read_bytes().split(b"\0")
    limits = [v for v in environment if v.startswith(b"GOMEMLIMIT=")]
    expected = os.environ.get("GOMEMLIMIT", WEED_MEMORY_LIMIT)
    assert limits == [f"GOMEMLIMIT={expected}".encode()]


# --- without the server --------------------------------------------------------------------


def test_open_store_reports_incomplete_settings() -> None:
    with pytest.raises(StorageConfigInvalid, match="XWQL_S3_ACCESS_KEY") as missing:
        open_store(_settings(s3_url="http://127.0.0.1:9"))
    assert missing.value.exit_code == 2
    with pytest.raises(StorageConfigInvalid, match="XWQL_LOCK_MODE"):
        open_store(_settings(lock_mode="forever"))
    assert LockMode.parse(" governance ") is LockMode.GOVERNANCE
    with pytest.raises(StorageConfigInvalid, match=r"http\(s\)://host"):
        ObjectStore(S3Endpoint("ftp://example/bucket", NOBODY), "xwql")


def test_clients_have_bounded_timeouts_and_retries() -> None:
    store = ObjectStore(S3Endpoint("http://127.0.0.1:9", NOBODY, admin=NOBODY), "xwql")
    pool_kw = store.http.connection_pool_kw
    assert pool_kw["timeout"].connect_timeout == 5
    assert pool_kw["timeout"].read_timeout == 30
    retries = pool_kw["retries"]
    assert retries.total == 2 and retries.status_forcelist == (500, 502, 503, 504)
    assert retries.backoff_factor > 0 and retries.raise_on_status is False
    # Both SDK clients use this pool, not the SDK's default (5 min timeouts, long retries).
    assert store._app._http is store.http
    assert store._admin._http is store.http


def test_unreachable_server_is_a_storage_error_saying_what_to_do() -> None:
    store = ObjectStore(S3Endpoint(f"http://127.0.0.1:{free_port()}", NOBODY), "xwql")
    started = time.monotonic()
    # Nothing listens there: the message says so, and what to run (not "a slow server").
    with pytest.raises(StorageError, match=r"is not running \(connection refused\); start it "
                       r"with `xwql storage up`"):  # fmt: skip
        store.get("k", "v1")
    assert time.monotonic() - started < 5


class _Failing(http.server.BaseHTTPRequestHandler):
    """Answers 500 to everything (as SeaweedFS does for a damaged version)."""

    hits = 0

    def do_GET(self) -> None:
        type(self).hits += 1
        body = b"<Error><Code>InternalError</Code><Message>boom</Message></Error>"
        self.send_response(500)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def failing_server() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Failing)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_server_answering_500_fails_fast_not_after_minutes(failing_server: str) -> None:
    _Failing.hits = 0
    store = ObjectStore(S3Endpoint(failing_server, NOBODY), "xwql", region="us-east-1")
    started = time.monotonic()
    with pytest.raises(StorageError, match="may be damaged") as failed:
        store.get("archive/doc.pdf", "v1")
    assert time.monotonic() - started < 5
    assert _Failing.hits == 3  # one try and two retries
    assert failed.value.status == 500 and failed.value.code == "InternalError"


def test_a_silent_server_times_out() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)  # accepts connections, never answers
        url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        store = ObjectStore(S3Endpoint(url, NOBODY), "xwql", region="us-east-1", read_timeout=0.5)
        started = time.monotonic()
        with pytest.raises(StorageError, match=r"did not answer within 0.5 s \(asked 2 times\)"):
            store.get("k", "v1")
        assert time.monotonic() - started < 5
