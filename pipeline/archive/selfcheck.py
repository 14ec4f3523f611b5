"""Prove, before archiving, that the object store really enforces WORM.

A store that *accepts* object-lock headers is not necessarily one that
*enforces* them. The self-check writes a few tiny objects under a scratch
prefix ``_selfcheck/<timestamp>/`` and tries, as the application, to do what a
WORM archive must refuse: delete a locked version (by DELETE and by
DeleteObjects, whose refusals hide in a per-key error list behind HTTP 200),
shorten a COMPLIANCE retention or turn it into GOVERNANCE, bypass a GOVERNANCE
retention, delete a version under legal hold, write anonymously. It also checks
that the bucket has object lock and versioning and that an overwrite keeps the
old version readable.

The scratch objects stay behind, locked for a day: they cannot be deleted, which
is the point. The legal-hold object's own retention lasts seconds and its hold is
released at the end, so it becomes ordinary garbage.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pipeline.archive.objectstore import (
    LockMode,
    ObjectStore,
    ProbeResult,
    StoredVersion,
    whole_seconds,
)
from pipeline.errors import StorageError, WormNotEnforced

OVERRIDE_ENV = "XWQL_ALLOW_UNENFORCED_WORM"
SCRATCH_ROOT = "_selfcheck/"

CHECKS = (
    "bucket-object-lock",
    "bucket-versioning",
    "locked-write",
    "delete-version-refused",
    "batch-delete-refused",
    "retention-shorten-refused",
    "compliance-to-governance-refused",
    "governance-bypass-refused",
    "overwrite-keeps-old-version",
    "anonymous-write-refused",
    "legal-hold-delete-refused",
)


@dataclass(frozen=True)
class Check:
    """The outcome of one self-check.

    Attributes:
        name: One of :data:`CHECKS`.
        passed: The store behaved as a WORM archive must.
        detail: What happened, for the report.
        needed: Whether the archive relies on it: a governance bypass matters only
            to an archive that locks in GOVERNANCE mode (Ceph RGW 16.2's DeleteObjects
            lets a bucket's owner bypass a governance lock whatever its policy says).
    """

    name: str
    passed: bool
    detail: str
    needed: bool = True


@dataclass
class SelfCheckReport:
    """Every check run against one store.

    Attributes:
        store: The store checked (``url/bucket``).
        prefix: The scratch prefix the check wrote under.
        checks: The checks, in the order run.
    """

    store: str
    prefix: str
    checks: list[Check] = field(default_factory=list)

    @property
    def enforced(self) -> bool:
        """True when every check the archive relies on passed (and there were checks)."""
        return bool(self.checks) and not self.failed

    @property
    def failed(self) -> list[Check]:
        """The checks the archive relies on that did not pass."""
        return [check for check in self.checks if check.needed and not check.passed]

    def summary(self) -> str:
        """A readable account, one line per check."""
        verdict = "enforces WORM" if self.enforced else "does NOT enforce WORM"
        lines = [f"{self.store} {verdict} (scratch objects under {self.prefix})"]
        lines += [f"  [{_mark(c)}] {c.name}: {c.detail}" for c in self.checks]
        return "\n".join(lines)


def _mark(check: Check) -> str:
    if check.passed:
        return "ok"
    return "FAILED" if check.needed else "failed, not relied on"


NOT_RELIED_ON = "not relied on: the archive locks in COMPLIANCE mode"


class _Run:
    """Collects checks; a check that raises StorageError counts as failed."""

    def __init__(self, report: SelfCheckReport) -> None:
        self.report = report

    def check(
        self, name: str, probe: Callable[[], tuple[bool, str]], *, needed: bool = True
    ) -> bool:
        try:
            passed, detail = probe()
        except StorageError as exc:
            passed, detail = False, str(exc)
        if not passed and not needed:
            detail = f"{detail} ({NOT_RELIED_ON})"
        self.report.checks.append(Check(name, passed, detail, needed))
        return passed

    def untested(self, name: str, why: str) -> None:
        self.report.checks.append(Check(name, False, f"not tested: {why}"))


def _survives(store: ObjectStore, version: StoredVersion, content: bytes) -> tuple[bool, str]:
    """Whether ``version`` still reads back whole, by its version id."""
    try:
        data = store.get(version.key, version.version_id)
    except StorageError as exc:
        return False, f"the version cannot be read any more ({exc.code or exc})"
    if data != content:
        return False, "the version reads back with other content"
    return True, "the version is still readable"


def _refused_delete(
    store: ObjectStore, version: StoredVersion, content: bytes, attempt: ProbeResult
) -> tuple[bool, str]:
    alive, how = _survives(store, version, content)
    return attempt.refused and alive, f"{attempt.detail}; {how}"


def _refused_retention(
    store: ObjectStore, version: StoredVersion, mode: LockMode, until: datetime
) -> tuple[bool, str]:
    """Try to set a weaker retention; passed if refused and the old one is still held."""
    before = store.retention(version.key, version.version_id)
    try:
        store.set_retention(version.key, version.version_id, mode=mode, retain_until=until)
    except WormNotEnforced as exc:
        return False, f"accepted: {exc}"
    except StorageError as exc:
        if exc.status is None or not 400 <= exc.status < 500:
            raise
        after = store.retention(version.key, version.version_id)
        if after != before:
            return False, f"refused with {exc.code}, yet the retention changed to {after}"
        return True, f"refused: HTTP {exc.status} {exc.code}; retention unchanged"
    return False, f"the server accepted {mode.value} until {until.isoformat()}"


def _store_name(store: ObjectStore) -> str:
    return f"{store.url}/{store.bucket}"


@dataclass(frozen=True)
class _Scratch:
    """Where the check writes, what, and until when the objects are locked.

    Attributes:
        store: The store checked.
        prefix: The scratch prefix of this run.
        content: What every scratch object holds.
        day: A day after the start: the COMPLIANCE and GOVERNANCE retention.
    """

    store: ObjectStore
    prefix: str
    content: bytes
    day: datetime


def _lock_configuration(store: ObjectStore) -> tuple[bool, str]:
    lock = store.lock_configuration()
    if not lock.enabled:
        return False, "the bucket has no object-lock configuration"
    default = (
        f"default retention {lock.default_mode} {lock.default_duration}"
        if lock.default_mode
        else "no default retention (every version gets its own)"
    )
    return True, f"object lock enabled; {default}"


def _versioning(store: ObjectStore) -> tuple[bool, str]:
    on = store.versioning_enabled()
    return on, "versioning enabled" if on else "versioning is not enabled"


def _write_legal_hold(scratch: _Scratch, until: datetime) -> tuple[StoredVersion | None, str]:
    """The legal-hold probe, locked until ``until``; or why it could not be written."""
    try:
        probe = scratch.store.put(
            f"{scratch.prefix}legal-hold",
            scratch.content,
            retain_until=until,
            mode=LockMode.COMPLIANCE,
            legal_hold=True,
        )
    except StorageError as exc:
        return None, str(exc)
    return probe, ""


def _check_compliance(run: _Run, scratch: _Scratch) -> StoredVersion | None:
    """Write a COMPLIANCE-locked object, then try to delete it and to weaken its lock.

    Returns:
        The locked version, or None when it could not be written.
    """
    store, content, day = scratch.store, scratch.content, scratch.day
    locked: StoredVersion | None = None

    def write_locked() -> tuple[bool, str]:
        nonlocal locked
        locked = store.put(
            f"{scratch.prefix}compliance", content, retain_until=day, mode=LockMode.COMPLIANCE
        )
        return True, f"COMPLIANCE until {day.isoformat()} written and read back"

    run.check("locked-write", write_locked)
    if locked is None:
        why = "no COMPLIANCE-locked object could be written (see locked-write)"
        for name in CHECKS[3:7]:
            run.untested(name, why)
        return None
    version = locked
    run.check(
        "delete-version-refused",
        lambda: _refused_delete(
            store, version, content, store.try_delete_version(version.key, version.version_id)
        ),
    )
    run.check(
        "batch-delete-refused",
        lambda: _refused_delete(
            store,
            version,
            content,
            store.try_delete_version(version.key, version.version_id, batch=True),
        ),
    )
    run.check(
        "retention-shorten-refused",
        lambda: _refused_retention(store, version, LockMode.COMPLIANCE, day - timedelta(hours=12)),
    )
    run.check(
        "compliance-to-governance-refused",
        lambda: _refused_retention(store, version, LockMode.GOVERNANCE, day),
    )
    return version


def _governance_bypass(scratch: _Scratch) -> tuple[bool, str]:
    store = scratch.store
    governed = store.put(
        f"{scratch.prefix}governance", scratch.content, retain_until=scratch.day,
        mode=LockMode.GOVERNANCE,
    )  # fmt: skip
    attempt = store.try_delete_version(governed.key, governed.version_id, bypass_governance=True)
    return _refused_delete(store, governed, scratch.content, attempt)


def _overwrite(scratch: _Scratch, locked: StoredVersion | None) -> tuple[bool, str]:
    if locked is None:
        return False, "not tested: no first version (see locked-write)"
    store, content = scratch.store, scratch.content
    newer_content = content + b"second version\n"
    newer = store.put(locked.key, newer_content, retain_until=scratch.day, mode=LockMode.COMPLIANCE)
    listed = {v.version_id for v in store.versions(locked.key) if v.key == locked.key}
    problems = []
    if newer.version_id == locked.version_id:
        problems.append("the overwrite got the same version id")
    if store.get(locked.key, locked.version_id) != content:
        problems.append("the first version no longer reads back")
    if store.get(newer.key, newer.version_id) != newer_content:
        problems.append("the second version does not read back")
    if not {locked.version_id, newer.version_id} <= listed:
        problems.append("the listing lacks one of the two versions")
    if problems:
        return False, "; ".join(problems)
    return True, "both versions listed and readable by version id"


def _anonymous_write(scratch: _Scratch) -> tuple[bool, str]:
    attempt = scratch.store.try_anonymous_put(f"{scratch.prefix}anonymous")
    return attempt.refused, attempt.detail


def _check_legal_hold(
    run: _Run, scratch: _Scratch, probe: StoredVersion, retained_until: datetime
) -> None:
    """Once the probe's retention has run out, try to delete it under its hold; then release it."""
    store = scratch.store
    wait = (retained_until - datetime.now(UTC)).total_seconds() + 0.5
    if wait > 0:
        time.sleep(wait)

    def held() -> tuple[bool, str]:
        attempt = store.try_delete_version(probe.key, probe.version_id)
        passed, detail = _refused_delete(store, probe, scratch.content, attempt)
        return passed, f"retention expired, hold on: {detail}"

    run.check("legal-hold-delete-refused", held)
    # If the release fails the hold stays on: the probe is kept longer, nothing else.
    with contextlib.suppress(StorageError):
        store.set_legal_hold(probe.key, probe.version_id, on=False)


def run_self_check(store: ObjectStore, *, hold_seconds: int = 2) -> SelfCheckReport:
    """Check that ``store`` enforces WORM, writing tiny scratch objects.

    Args:
        store: The store to check (its bucket must exist).
        hold_seconds: Retention of the legal-hold probe; the check waits for it
            to expire, so that only the hold can stop the deletion.

    Returns:
        The report; ``enforced`` is True only if every check passed.
    """
    started = datetime.now(UTC)
    prefix = f"{SCRATCH_ROOT}{started.strftime('%Y%m%dT%H%M%S%fZ')}/"
    report = SelfCheckReport(store=_store_name(store), prefix=prefix)
    run = _Run(report)
    scratch = _Scratch(
        store=store,
        prefix=prefix,
        content=f"xwql WORM self-check {started.isoformat()}\n".encode(),
        day=whole_seconds(started + timedelta(days=1)),
    )
    run.check("bucket-object-lock", lambda: _lock_configuration(store))
    run.check("bucket-versioning", lambda: _versioning(store))
    # The legal-hold probe first: its short retention runs out while the rest is checked.
    hold_until = whole_seconds(datetime.now(UTC)) + timedelta(seconds=hold_seconds + 1)
    hold, hold_error = _write_legal_hold(scratch, hold_until)
    locked = _check_compliance(run, scratch)
    run.check(
        "governance-bypass-refused", lambda: _governance_bypass(scratch),
        needed=store.lock_mode is LockMode.GOVERNANCE,
    )  # fmt: skip
    run.check("overwrite-keeps-old-version", lambda: _overwrite(scratch, locked))
    run.check("anonymous-write-refused", lambda: _anonymous_write(scratch))
    if hold is None:
        run.untested("legal-hold-delete-refused", f"the probe could not be written: {hold_error}")
    else:
        _check_legal_hold(run, scratch, hold, hold_until)
    return report


def override_requested(environ: Mapping[str, str] | None = None) -> bool:
    """Whether ``XWQL_ALLOW_UNENFORCED_WORM`` asks to archive without enforced WORM."""
    value = (os.environ if environ is None else environ).get(OVERRIDE_ENV, "")
    return value.strip().lower() in {"1", "true", "yes", "on"}


def require_worm(report: SelfCheckReport, *, override: bool) -> str | None:
    """Refuse to archive on a store that does not enforce WORM, unless overridden.

    Args:
        report: The self-check's report.
        override: The user set ``XWQL_ALLOW_UNENFORCED_WORM=1``.

    Returns:
        None when the store enforces WORM; when overridden, the note that must
        be recorded in every package archived this way.

    Raises:
        WormNotEnforced: A check failed and there is no override.
    """
    if report.enforced:
        return None
    names = ", ".join(check.name for check in report.failed) or "no check ran"
    if not override:
        details = "\n".join(f"  - {c.name}: {c.detail}" for c in report.failed)
        raise WormNotEnforced(
            f"the store does not enforce WORM: {names}; archiving refused; set "
            f"{OVERRIDE_ENV}=1 to override — recorded in every package\n"
            f"store: {report.store}\n{details}"
        )
    return (
        f"WORM NOT ENFORCED by {report.store} (self-check failed: {names}); "
        f"archived anyway because {OVERRIDE_ENV}=1"
    )


def save_report(report: SelfCheckReport, path: Path, *, at: datetime | None = None) -> None:
    """Keep ``report`` as JSON at ``path`` (for ``storage status`` and later jobs)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {
        "at": (at or datetime.now(UTC)).isoformat(timespec="seconds"),
        "store": report.store,
        "prefix": report.prefix,
        "enforced": report.enforced,
        "checks": [
            {"name": c.name, "passed": c.passed, "detail": c.detail, "needed": c.needed}
            for c in report.checks
        ],
    }
    partial = path.with_name(path.name + ".part")
    partial.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    partial.replace(path)


def recent_report(path: Path, store: ObjectStore, *, max_age: timedelta) -> SelfCheckReport | None:
    """The report saved at ``path`` if it is of ``store`` and younger than ``max_age``."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        at = datetime.fromisoformat(data["at"])
        report = SelfCheckReport(
            data["store"],
            data.get("prefix", ""),
            [
                Check(c["name"], bool(c["passed"]), c["detail"], bool(c.get("needed", True)))
                for c in data["checks"]
            ],
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if report.store != _store_name(store) or datetime.now(UTC) - at > max_age:
        return None
    return report
