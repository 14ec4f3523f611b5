"""The WORM self-check: passes on the hardened server, fails loudly on a misconfigured one."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from pipeline.archive.objectstore import EMBEDDED_REGION, ObjectStore
from pipeline.archive.selfcheck import (
    CHECKS,
    OVERRIDE_ENV,
    Check,
    SelfCheckReport,
    override_requested,
    require_worm,
    run_self_check,
)
from pipeline.errors import WormNotEnforced
from pipeline.programs.s3server import EmbeddedS3
from tests.archive.conftest import PlainWeed


@pytest.mark.s3
def test_self_check_passes_on_the_hardened_server(store: ObjectStore) -> None:
    report = run_self_check(store, hold_seconds=1)
    assert [c.name for c in report.checks] == list(CHECKS)
    assert report.enforced, report.summary()
    assert require_worm(report, override=False) is None
    assert report.prefix.startswith("_selfcheck/")
    # The scratch objects stay, locked: that is the point.
    scratch = {v.key.rsplit("/", 1)[1] for v in store.versions(report.prefix)}
    assert scratch == {"compliance", "governance", "legal-hold"}
    locked = [v for v in store.versions(report.prefix + "compliance")]
    assert len(locked) == 2
    for version in locked:
        held = store.retention(version.key, version.version_id)
        assert held is not None and held.retain_until > datetime.now(UTC)
    (probe,) = store.versions(report.prefix + "legal-hold")
    assert not store.legal_hold(probe.key, probe.version_id)  # released at the end


@pytest.mark.s3
def test_self_check_fails_on_a_bucket_without_object_lock(
    s3_server: EmbeddedS3, admin_s3: Any
) -> None:
    bucket = "xwql-test-nolock"
    admin_s3.create_bucket(Bucket=bucket)  # a plain bucket: no object lock, no versioning
    plain = ObjectStore(s3_server.endpoint(), bucket, region=EMBEDDED_REGION)
    with pytest.raises(WormNotEnforced, match="exists without object lock"):
        plain.ensure_bucket()
    report = run_self_check(plain, hold_seconds=1)
    assert not report.enforced
    failed = {c.name for c in report.failed}
    assert {"bucket-object-lock", "bucket-versioning", "locked-write"} <= failed
    assert {"delete-version-refused", "legal-hold-delete-refused"} <= failed
    with pytest.raises(WormNotEnforced) as refused:
        require_worm(report, override=False)
    message = str(refused.value)
    assert message.startswith("the store does not enforce WORM: bucket-object-lock, ")
    assert "archiving refused; set XWQL_ALLOW_UNENFORCED_WORM=1 to override" in message
    assert "recorded in every package" in message
    assert refused.value.exit_code == 5
    note = require_worm(report, override=True)
    assert note is not None and "WORM NOT ENFORCED" in note and "bucket-object-lock" in note


@pytest.mark.s3
def test_self_check_fails_on_a_plain_weed_without_identities(plain_weed: PlainWeed) -> None:
    store = plain_weed.store("xwql-plain-archive")
    store.ensure_bucket()  # the bucket itself looks right: locked and versioned
    report = run_self_check(store, hold_seconds=1)
    assert not report.enforced
    assert "anonymous-write-refused" in {c.name for c in report.failed}, report.summary()
    with pytest.raises(WormNotEnforced, match="anonymous-write-refused"):
        require_worm(report, override=False)


def test_require_worm_without_a_server() -> None:
    good = SelfCheckReport("http://s3/b", "_selfcheck/x/", [Check(n, True, "ok") for n in CHECKS])
    assert good.enforced and require_worm(good, override=False) is None
    empty = SelfCheckReport("http://s3/b", "_selfcheck/x/")
    assert not empty.enforced
    with pytest.raises(WormNotEnforced, match="no check ran"):
        require_worm(empty, override=False)
    bad = SelfCheckReport(
        "http://s3/b",
        "_selfcheck/x/",
        [Check("bucket-object-lock", True, "ok"), Check("delete-version-refused", False, "gone")],
    )
    with pytest.raises(WormNotEnforced, match="delete-version-refused: gone"):
        require_worm(bad, override=False)
    assert "FAILED] delete-version-refused" in bad.summary()


def test_override_comes_from_the_environment() -> None:
    assert override_requested({OVERRIDE_ENV: "1"})
    assert override_requested({OVERRIDE_ENV: "yes"})
    assert not override_requested({OVERRIDE_ENV: "0"})
    assert not override_requested({})
