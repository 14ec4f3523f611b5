"""The WORM self-check: passes on the hardened server, fails loudly on a misconfigured one."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from pipeline.archive.metadata import ArchivalCode, PreviousVersion
from pipeline.archive.objectstore import EMBEDDED_REGION, LockMode, ObjectStore
from pipeline.archive.package import Package, build_package
from pipeline.archive.selfcheck import (
    CHECKS,
    OVERRIDE_ENV,
    Check,
    SelfCheckReport,
    override_requested,
    require_worm,
    run_self_check,
)
from pipeline.archive.session import ArchiveSession
from pipeline.archive.stored import read_record
from pipeline.catalog.model import Retention
from pipeline.config import Settings
from pipeline.errors import WormNotEnforced
from pipeline.programs.s3server import EmbeddedS3, S3Endpoint
from tests.archive.conftest import PlainWeed
from tests.archive.records import sample_record, write_pdf
from tests.rgw import REGION as RGW_REGION


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
@pytest.mark.slow
@pytest.mark.rgw
def test_self_check_on_ceph_rgw_relies_on_no_governance_lock(
    rgw_store: ObjectStore, rgw_endpoint: S3Endpoint
) -> None:
    report = run_self_check(rgw_store, hold_seconds=1)
    assert [c.name for c in report.checks] == list(CHECKS)
    # RGW 16.2's DeleteObjects lets the bucket's owner bypass a governance lock: the
    # archive locks in COMPLIANCE, so it does not rely on that refusal …
    (bypass,) = [c for c in report.checks if not c.passed]
    assert bypass.name == "governance-bypass-refused" and not bypass.needed
    assert "not relied on" in bypass.detail and "failed, not relied on" in report.summary()
    assert report.enforced, report.summary()
    # … and an archive that locked in GOVERNANCE would: there the store is refused.
    governed = ObjectStore(rgw_endpoint, rgw_store.bucket, lock_mode=LockMode.GOVERNANCE,
                           region=RGW_REGION)  # fmt: skip
    refused = run_self_check(governed, hold_seconds=1)
    assert not refused.enforced and [c.name for c in refused.failed] == [bypass.name]
    with pytest.raises(WormNotEnforced):
        require_worm(refused, override=False)


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


@pytest.mark.s3
def test_archiving_is_refused_on_a_plain_weed_unless_overridden_and_recorded(
    plain_weed: PlainWeed, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    local = replace(
        settings, data=tmp_path / "data", s3_url=plain_weed.url, s3_access_key="anyone",
        s3_secret_key="anything", s3_bucket="xwql-plain-session",
    )  # fmt: skip
    monkeypatch.delenv(OVERRIDE_ENV, raising=False)
    with (
        pytest.raises(WormNotEnforced, match="archiving refused"),
        ArchiveSession.open(local, writing=True),
    ):
        pass
    saved = json.loads(local.self_check_file.read_text(encoding="utf-8"))
    assert saved["enforced"] is False
    # Reading the archive needs no WORM check.
    with ArchiveSession.open(local, writing=False) as session:
        assert session.archiver.worm_override is None
    monkeypatch.setenv(OVERRIDE_ENV, "1")
    with ArchiveSession.open(local, writing=True) as session:
        override = session.archiver.worm_override
        assert override is not None and "WORM NOT ENFORCED" in override.reason

        def build(code: ArchivalCode, previous: PreviousVersion | None, folder: Path) -> Package:
            record = sample_record(
                archival_code=str(code), source_sha256="0" * 64, worm_override=override
            )
            pdf = write_pdf(tmp_path / "case.pdf")
            return build_package(
                folder, [("案卷.pdf", pdf, "main")], record, sealer=session.archiver.sealer
            )

        done = session.archiver.archive(
            "case_file/NM-2026-11-001", "0" * 64,
            ArchivalCode("LZ-QL-001", 2026, Retention.YEARS_30, "QL-NM", "xwql-022", 1), build,
        )  # fmt: skip
        record = read_record(session.store, done.archival_code)
    assert record is not None
    assert record[0].worm_override == override
