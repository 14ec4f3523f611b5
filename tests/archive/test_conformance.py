"""Object-lock conformance of the S3 servers, through boto3 and through ObjectStore.

Every rule the archive relies on is exercised twice: once through an independent
client (boto3, so no bug of xwql's own store layer can hide a gap) and once through
``ObjectStore``, the only code of xwql that talks S3. The rules every S3 with object
lock must keep run on the embedded SeaweedFS and on a one-node Ceph RGW (``rgw``,
slow: the cluster starts once per session); the hardening of the embedded server
itself (its other ports, a restart, ``weed shell``, its admin identity) only on it.
"""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from boto3.s3.transfer import TransferConfig
from botocore.exceptions import ClientError

from pipeline.archive.objectstore import LockMode, ObjectStore, whole_seconds
from pipeline.errors import StorageError
from pipeline.programs.s3server import EmbeddedS3
from tests.s3 import boto_client

pytestmark = pytest.mark.s3

MiB = 1024 * 1024
GONE = {"NoSuchVersion", "NoSuchKey"}  # a deleted version: SeaweedFS says the first, RGW the second


@dataclass(frozen=True)
class LockServer:
    """An S3 server with object lock, as the archive and an independent client see it."""

    name: str
    store: ObjectStore
    s3: Any  # boto3 as the application identity


@pytest.fixture(
    scope="module",
    params=["seaweedfs", pytest.param("ceph-rgw", marks=(pytest.mark.slow, pytest.mark.rgw))],
)
def server(request: pytest.FixtureRequest) -> LockServer:
    """Each server the archive is proven on: the embedded SeaweedFS, then Ceph RGW."""
    if request.param == "seaweedfs":
        return LockServer(
            "seaweedfs", request.getfixturevalue("store"), request.getfixturevalue("app_s3")
        )
    rgw_store: ObjectStore = request.getfixturevalue("rgw_store")
    return LockServer("ceph-rgw", rgw_store, request.getfixturevalue("rgw_s3"))


def _until(**delta: float) -> datetime:
    return whole_seconds(datetime.now(UTC) + timedelta(**delta))


def _put_locked(
    s3: Any, bucket: str, key: str, body: bytes, mode: str = "COMPLIANCE", **extra: Any
) -> str:
    answer = s3.put_object(
        Bucket=bucket,
        Key=key,
        Body=body,
        ObjectLockMode=mode,
        ObjectLockRetainUntilDate=_until(days=1),
        **extra,
    )
    version: str = answer["VersionId"]
    return version


def _error(call: Any, **kwargs: Any) -> tuple[int, str]:
    """Run a boto3 call that must fail; its HTTP status and S3 error code."""
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    response = caught.value.response
    return response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"]


def _read(s3: Any, bucket: str, key: str, version: str) -> bytes:
    body: bytes = s3.get_object(Bucket=bucket, Key=key, VersionId=version)["Body"].read()
    return body


def test_bucket_is_created_with_object_lock_and_versioning(server: LockServer) -> None:
    app_s3, store = server.s3, server.store
    config = app_s3.get_object_lock_configuration(Bucket=store.bucket)
    assert config["ObjectLockConfiguration"]["ObjectLockEnabled"] == "Enabled"
    assert app_s3.get_bucket_versioning(Bucket=store.bucket)["Status"] == "Enabled"
    assert store.lock_configuration().enabled
    assert store.versioning_enabled()
    assert store.ensure_bucket() is False  # idempotent: it exists, nothing is changed


def test_delete_adds_a_marker_and_a_version_delete_is_refused(server: LockServer, key: str) -> None:
    app_s3, store = server.s3, server.store
    bucket = store.bucket
    version = _put_locked(app_s3, bucket, key, b"locked")
    marker = app_s3.delete_object(Bucket=bucket, Key=key)  # no version id: only a marker
    assert marker["DeleteMarker"] is True
    assert _error(app_s3.get_object, Bucket=bucket, Key=key)[0] == 404
    assert _read(app_s3, bucket, key, version) == b"locked"
    listing = app_s3.list_object_versions(Bucket=bucket, Prefix=key)
    assert [v["VersionId"] for v in listing["Versions"]] == [version]
    assert len(listing["DeleteMarkers"]) == 1
    assert _error(app_s3.delete_object, Bucket=bucket, Key=key, VersionId=version) == (
        403,
        "AccessDenied",
    )
    # The same through the store.
    listed = store.versions(key)
    assert {(v.version_id, v.is_delete_marker) for v in listed} == {
        (version, False),
        (marker["VersionId"], True),
    }
    assert store.get(key, version) == b"locked"
    assert store.try_delete_version(key, version).refused
    assert store.try_delete_version(key, version, batch=True).refused
    assert store.get(key, version) == b"locked"


def test_overwrite_keeps_the_old_version(server: LockServer, key: str) -> None:
    app_s3, store = server.s3, server.store
    first = _put_locked(app_s3, store.bucket, key, b"one")
    second = _put_locked(app_s3, store.bucket, key, b"two")
    assert first != second
    assert _read(app_s3, store.bucket, key, first) == b"one"
    assert _read(app_s3, store.bucket, key, second) == b"two"
    third = store.put(key, b"three", retain_until=_until(days=1), mode=LockMode.COMPLIANCE)
    assert [store.get(key, v) for v in (first, second, third.version_id)] == [
        b"one",
        b"two",
        b"three",
    ]
    latest = [v for v in store.versions(key) if v.is_latest]
    assert [v.version_id for v in latest] == [third.version_id]


def test_compliance_cannot_be_shortened_or_turned_into_governance(
    server: LockServer, key: str
) -> None:
    app_s3, store = server.s3, server.store
    bucket = store.bucket
    version = _put_locked(app_s3, bucket, key, b"x")
    before = app_s3.get_object_retention(Bucket=bucket, Key=key, VersionId=version)["Retention"]
    for mode, until in (("COMPLIANCE", _until(hours=1)), ("GOVERNANCE", _until(days=2))):
        status, code = _error(
            app_s3.put_object_retention,
            Bucket=bucket,
            Key=key,
            VersionId=version,
            Retention={"Mode": mode, "RetainUntilDate": until},
        )
        assert (status, code) == (403, "AccessDenied"), mode
    after = app_s3.get_object_retention(Bucket=bucket, Key=key, VersionId=version)["Retention"]
    assert after == before
    # Extending is allowed.
    longer = _until(days=3)
    app_s3.put_object_retention(
        Bucket=bucket,
        Key=key,
        VersionId=version,
        Retention={"Mode": "COMPLIANCE", "RetainUntilDate": longer},
    )
    # Through the store.
    held = store.retention(key, version)
    assert held is not None and held.retain_until == longer
    for mode, until in ((LockMode.COMPLIANCE, _until(days=1)), (LockMode.GOVERNANCE, longer)):
        with pytest.raises(StorageError, match="AccessDenied") as refused:
            store.set_retention(key, version, mode=mode, retain_until=until)
        assert refused.value.status == 403
    assert store.retention(key, version) == held


def test_governance_bypass_is_refused_for_the_application(
    app_s3: Any, store: ObjectStore, key: str
) -> None:
    bucket = store.bucket
    version = _put_locked(app_s3, bucket, key, b"governed", mode="GOVERNANCE")
    assert _error(
        app_s3.delete_object,
        Bucket=bucket,
        Key=key,
        VersionId=version,
        BypassGovernanceRetention=True,
    ) == (403, "AccessDenied")
    assert (
        _error(
            app_s3.put_object_retention,
            Bucket=bucket,
            Key=key,
            VersionId=version,
            Retention={"Mode": "GOVERNANCE", "RetainUntilDate": _until(hours=1)},
            BypassGovernanceRetention=True,
        )[0]
        == 403
    )
    # DeleteObjects answers 200 and hides the refusal in its per-key errors.
    answer = app_s3.delete_objects(
        Bucket=bucket,
        Delete={"Objects": [{"Key": key, "VersionId": version}]},
        BypassGovernanceRetention=True,
    )
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert [e["Code"] for e in answer["Errors"]] == ["AccessDenied"]
    assert not answer.get("Deleted")
    attempt = store.try_delete_version(key, version, bypass_governance=True)
    assert attempt.refused and attempt.code == "AccessDenied"
    assert store.get(key, version) == b"governed"


def test_legal_hold_on_and_off(server: LockServer, key: str) -> None:
    app_s3, store = server.s3, server.store
    bucket = store.bucket
    answer = app_s3.put_object(
        Bucket=bucket, Key=key, Body=b"held", ObjectLockLegalHoldStatus="ON"
    )  # no retention: only the hold protects it
    version = answer["VersionId"]
    hold = app_s3.get_object_legal_hold(Bucket=bucket, Key=key, VersionId=version)
    assert hold["LegalHold"]["Status"] == "ON"
    assert store.legal_hold(key, version)
    assert store.retention(key, version) is None
    assert _error(app_s3.delete_object, Bucket=bucket, Key=key, VersionId=version)[0] == 403
    assert store.try_delete_version(key, version, batch=True).refused
    store.set_legal_hold(key, version, on=False)
    hold = app_s3.get_object_legal_hold(Bucket=bucket, Key=key, VersionId=version)
    assert hold["LegalHold"]["Status"] == "OFF"
    assert not store.legal_hold(key, version)
    app_s3.delete_object(Bucket=bucket, Key=key, VersionId=version)  # nothing holds it now
    with pytest.raises(StorageError) as gone:
        store.get(key, version)
    assert gone.value.code in GONE, gone.value.code
    # And on again, through the store.
    stored = store.put(
        f"{key}-2",
        b"held",
        retain_until=_until(seconds=30),
        mode=LockMode.GOVERNANCE,
        legal_hold=True,
    )
    assert store.legal_hold(stored.key, stored.version_id)


def test_bucket_delete_is_refused_while_locked_versions_exist(
    admin_s3: Any, app_s3: Any, s3_server: EmbeddedS3
) -> None:
    bucket = "xwql-test-nodelete"
    admin_s3.create_bucket(Bucket=bucket, ObjectLockEnabledForBucket=True)
    version = _put_locked(app_s3, bucket, "locked", b"keep me")
    unlocked = app_s3.put_object(Bucket=bucket, Key="unlocked", Body=b"plain")["VersionId"]
    assert _error(app_s3.delete_bucket, Bucket=bucket)[0] == 403  # the app has no such right
    status, code = _error(admin_s3.delete_bucket, Bucket=bucket)
    assert status == 409, code
    app_s3.head_bucket(Bucket=bucket)
    assert _read(app_s3, bucket, "locked", version) == b"keep me"
    assert _read(app_s3, bucket, "unlocked", unlocked) == b"plain"  # nothing half-deleted


def test_multipart_uploads_are_locked_too(server: LockServer, key: str) -> None:
    app_s3, store = server.s3, server.store
    body = os.urandom(11 * MiB)
    digest = hashlib.sha256(body).hexdigest()
    parts = TransferConfig(multipart_threshold=5 * MiB, multipart_chunksize=5 * MiB)
    app_s3.upload_fileobj(
        io.BytesIO(body),
        store.bucket,
        key,
        Config=parts,
        ExtraArgs={"ObjectLockMode": "COMPLIANCE", "ObjectLockRetainUntilDate": _until(days=1)},
    )
    head = app_s3.head_object(Bucket=store.bucket, Key=key)
    version = head["VersionId"]
    assert head["ETag"].strip('"').endswith("-3")  # md5 of the parts, not of the content
    if server.name == "ceph-rgw":
        # RGW 16.2 drops a lock asked for with a multipart upload: the store adds it
        # right after (below); a client that does not is left with an unlocked version.
        assert "ObjectLockMode" not in head
    else:
        assert head["ObjectLockMode"] == "COMPLIANCE"
        assert (
            _error(app_s3.delete_object, Bucket=store.bucket, Key=key, VersionId=version)[0] == 403
        )
    assert hashlib.sha256(_read(app_s3, store.bucket, key, version)).hexdigest() == digest
    # The store's own multipart path (the SDK splits an 11 MiB object into parts).
    stored = store.put(f"{key}-store", body, retain_until=_until(days=1), mode=LockMode.COMPLIANCE)
    assert stored.sha256 == digest and stored.size == len(body)
    (listed,) = store.versions(stored.key)
    assert listed.etag is not None and "-" in listed.etag
    held = app_s3.get_object_retention(Bucket=store.bucket, Key=stored.key,
                                       VersionId=stored.version_id)["Retention"]  # fmt: skip
    assert held["Mode"] == "COMPLIANCE"
    assert store.try_delete_version(stored.key, stored.version_id).refused
    assert hashlib.sha256(store.get(stored.key, stored.version_id)).hexdigest() == digest


def test_short_retention_expires_on_time(server: LockServer, key: str) -> None:
    app_s3, store = server.s3, server.store
    bucket = store.bucket
    until = _until(seconds=3)
    answer = app_s3.put_object(
        Bucket=bucket,
        Key=key,
        Body=b"brief",
        ObjectLockMode="COMPLIANCE",
        ObjectLockRetainUntilDate=until,
    )
    version = answer["VersionId"]
    stored = store.put(f"{key}-store", b"brief", retain_until=until, mode=LockMode.COMPLIANCE)
    assert _error(app_s3.delete_object, Bucket=bucket, Key=key, VersionId=version)[0] == 403
    assert store.try_delete_version(stored.key, stored.version_id).refused
    time.sleep(max(0.0, (until - datetime.now(UTC)).total_seconds()) + 1.0)
    app_s3.delete_object(Bucket=bucket, Key=key, VersionId=version)
    assert not store.try_delete_version(stored.key, stored.version_id).refused
    for name, gone in ((key, version), (stored.key, stored.version_id)):
        with pytest.raises(StorageError) as missing:
            store.get(name, gone)
        assert missing.value.code in GONE, missing.value.code


def test_http_ports_of_filer_and_volume_refuse_requests_without_a_token(
    s3_server: EmbeddedS3, store: ObjectStore, key: str
) -> None:
    stored = store.put(
        key, b"behind the gateway", retain_until=_until(days=1), mode=LockMode.COMPLIANCE
    )
    ports = s3_server.ports()
    targets = {
        "filer": f"http://127.0.0.1:{ports['filer']}/buckets/{store.bucket}/{key}",
        "volume": f"http://127.0.0.1:{ports['volume']}/1,0123456789",
    }
    for name, url in targets.items():
        for method in ("GET", "DELETE"):
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(urllib.request.Request(url, method=method), timeout=5)
            assert refused.value.code == 401, (name, method)
    assert store.get(key, stored.version_id) == b"behind the gateway"


def test_anonymous_s3_requests_are_refused(server: LockServer, key: str) -> None:
    store = server.store
    stored = store.put(key, b"private", retain_until=_until(days=1), mode=LockMode.COMPLIANCE)
    url = f"{store.url}/{store.bucket}/{key}"
    for method, data in (("PUT", b"intruder"), ("GET", None)):
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(urllib.request.Request(url, data=data, method=method), timeout=5)
        assert refused.value.code == 403, method
    attempt = store.try_anonymous_put(f"{key}-anonymous")
    assert attempt.refused and attempt.code == "AccessDenied"
    assert [v.version_id for v in store.versions(key)] == [stored.version_id]
    assert store.versions(f"{key}-anonymous") == []


@pytest.mark.slow
def test_everything_still_holds_after_a_restart(
    s3_server: EmbeddedS3, store: ObjectStore, key: str
) -> None:
    locked = store.put(
        f"{key}/locked", b"compliance", retain_until=_until(days=1), mode=LockMode.COMPLIANCE
    )
    governed = store.put(
        f"{key}/governed", b"governance", retain_until=_until(days=1), mode=LockMode.GOVERNANCE
    )
    held = store.put(
        f"{key}/held",
        b"hold",
        retain_until=_until(seconds=2),
        mode=LockMode.COMPLIANCE,
        legal_hold=True,
    )
    retention = store.retention(locked.key, locked.version_id)
    pid = s3_server.pid()
    endpoint = s3_server.restart()
    assert s3_server.pid() not in (None, pid)
    assert endpoint.url == store.url
    app_s3 = boto_client(endpoint.url, endpoint.app)  # fresh connections
    # restart() returns once the S3 port answers; the volume server registers a few
    # seconds later, and until then content GETs answer 500 (metadata reads work).
    assert store.wait_until_readable(timeout=30) < 30
    assert store.lock_configuration().enabled
    assert store.retention(locked.key, locked.version_id) == retention
    assert store.legal_hold(held.key, held.version_id)
    hold_retention = store.retention(held.key, held.version_id)
    assert hold_retention is not None and hold_retention.retain_until < datetime.now(UTC)
    for version, data in ((locked, b"compliance"), (governed, b"governance"), (held, b"hold")):
        assert store.get(version.key, version.version_id) == data
        assert store.try_delete_version(version.key, version.version_id).refused
        assert store.try_delete_version(
            version.key, version.version_id, bypass_governance=True
        ).refused
        assert (
            _error(
                app_s3.delete_object,
                Bucket=store.bucket,
                Key=version.key,
                VersionId=version.version_id,
            )[0]
            == 403
        )
    with pytest.raises(StorageError, match="AccessDenied"):
        store.set_retention(
            locked.key, locked.version_id, mode=LockMode.GOVERNANCE, retain_until=_until(days=1)
        )


def _weed_shell_from(server: EmbeddedS3, folder: Path, command: str) -> str | None:
    """``weed shell`` run in ``folder`` (its ``security.toml``, if any, is what it holds).

    Returns its output, or None when it got no answer within 20 s (it keeps retrying a
    connection the server refuses).
    """
    weed = Path(sys.executable).parent / "weed"
    master = f"-master=127.0.0.1:{server.ports()['master']}"
    try:
        done = subprocess.run(
            [str(weed), "shell", master], input=f"{command}\n", capture_output=True,
            text=True, cwd=folder, timeout=20, check=False,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        return None
    return done.stdout + done.stderr if done.returncode == 0 else None


def test_weed_shell_without_the_client_certificate_deletes_nothing(
    s3_server: EmbeddedS3, app_s3: Any, store: ObjectStore, key: str, tmp_path: Path
) -> None:
    """gRPC answers only mutual TLS: a local console without the folder's client
    certificate gets no answer, so its ``fs.rm`` of a COMPLIANCE-locked version fails."""
    version = _put_locked(app_s3, store.bucket, key, b"locked evidence")
    path = f"/buckets/{store.bucket}/{key}"
    assert _weed_shell_from(s3_server, tmp_path, f"fs.rm -r {path}") is None
    assert _read(app_s3, store.bucket, key, version) == b"locked evidence"
    # The administrator's console, in the server's own folder, holds the certificate.
    listed = _weed_shell_from(s3_server, s3_server.folder, f"fs.ls /buckets/{store.bucket}")
    assert listed is not None and key.split("/")[0] in listed
