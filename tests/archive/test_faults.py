"""Faults of the store and the disk while archiving, each caused for real, then a re-run.

The store is the real embedded SeaweedFS, reached through the real ``ObjectStore``;
a slow server is a TCP proxy that delays its answers, a full bucket is SeaweedFS's
bucket quota, a refusal a read-only S3 identity, a full disk a small tmpfs. Each
test checks what the user sees (a typed error naming the unit, or the folder),
that the bucket shows no complete package of the failed unit and no key written
twice, and that the run after the fault is removed files exactly one copy.
"""

from __future__ import annotations

import contextlib
import hashlib
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pipeline.archive.archiver import Archived, Archiver, Outcome
from pipeline.archive.index import ArchiveIndex
from pipeline.archive.metadata import ArchivalCode, PreviousVersion
from pipeline.archive.objectstore import EMBEDDED_REGION, ObjectStore, retention_from_now
from pipeline.archive.package import Package, build_package
from pipeline.archive.retrieval import Census, census, download_package
from pipeline.archive.selfcheck import SCRATCH_ROOT
from pipeline.catalog.model import Retention
from pipeline.errors import OutputError, StorageError
from pipeline.programs.s3server import Credentials, EmbeddedS3, S3Endpoint
from tests.archive.records import sample_record, write_pdf
from tests.delayproxy import DelayProxy
from tests.keys import sealer_in
from tests.s3 import weed_shell

pytestmark = pytest.mark.s3

BASE = ArchivalCode("LZ-QL-001", 2026, Retention.YEARS_30, "QL-NM", "xwql-022", 1)
READ_TIMEOUT = 5.0  # seconds, for the store behind the proxy
BIG = 7000  # pages of a blank PDF of about 1.6 MB: more than a 1 MB quota or disk


@pytest.fixture
def index(tmp_path: Path) -> Iterator[ArchiveIndex]:
    with ArchiveIndex(f"sqlite:///{tmp_path / 'index.sqlite3'}") as opened:
        yield opened


def _source(unit: str) -> str:
    return hashlib.sha256(unit.encode()).hexdigest()


def _archive(
    archiver: Archiver, tmp_path: Path, *, case: str = "NM-2026-11-001", pages: int = 1
) -> Archived:
    """Archive case ``case`` as a package of one PDF of ``pages`` blank pages."""
    unit = f"case_file/{case}"

    def build(code: ArchivalCode, previous: PreviousVersion | None, folder: Path) -> Package:
        pdf = write_pdf(tmp_path / f"{code}-{uuid.uuid4().hex[:6]}.pdf", pages=pages)
        record = sample_record(archival_code=str(code), source_sha256=_source(unit), case_id=case)
        return build_package(
            folder, [("案卷.pdf", pdf, "main")], record, sealer=sealer_in(tmp_path)
        )

    return archiver.archive(unit, _source(unit), BASE, build)


def _outbox_packages(outbox: Path) -> list[str]:
    """The packages waiting in the outbox (folders; their reservation markers are files)."""
    return sorted(p.name for p in outbox.glob("LZ-*") if p.is_dir()) if outbox.is_dir() else []


def _assert_one_copy_each(found: Census, packages: int) -> None:
    assert found.clean, found
    assert found.packages == {"case_file": packages}


def _via(proxy: DelayProxy, server: EmbeddedS3, bucket: ObjectStore) -> ObjectStore:
    """``bucket`` as reached through ``proxy``, its first write done.

    A bucket's first write makes its volume, which took over 5 s on a busy
    machine; done directly (where the self-check writes), the timeout measures
    the proxy's delay alone.
    """
    bucket.put(
        f"{SCRATCH_ROOT}warm-up", b"x", retain_until=retention_from_now(1), mode=bucket.lock_mode
    )
    endpoint = server.endpoint()
    return ObjectStore(
        S3Endpoint(proxy.url, endpoint.app),
        bucket.bucket,
        region=EMBEDDED_REGION,
        read_timeout=READ_TIMEOUT,
    )


# --- a slow server ---------------------------------------------------------------------------


def test_a_modestly_slow_s3_still_archives_everything_once(
    s3_server: EmbeddedS3, fresh_store: ObjectStore, index: ArchiveIndex, tmp_path: Path
) -> None:
    with DelayProxy(s3_server.ports()["s3"], delay=0.2) as proxy:
        slow = _via(proxy, s3_server, fresh_store)
        started = time.monotonic()
        done = _archive(
            Archiver(slow, index, tmp_path / "outbox", sealer=sealer_in(tmp_path)), tmp_path
        )
        elapsed = time.monotonic() - started
    print(f"archived one package through a 0.2 s delay in {elapsed:.1f} s")
    assert done.outcome == Outcome.ADDED and done.objects == 7
    _assert_one_copy_each(census(fresh_store), 1)
    assert _outbox_packages(tmp_path / "outbox") == []


def test_an_s3_slower_than_the_read_timeout_fails_clearly_then_a_rerun_completes(
    s3_server: EmbeddedS3, fresh_store: ObjectStore, index: ArchiveIndex, tmp_path: Path
) -> None:
    """The server turns slow after the package's second object is stored.

    The third write's answer comes after the read timeout although the server
    stored it: the write must not be sent again (it would make a second version
    of the key), and the re-run must take the stored copy instead of writing one.
    """
    outbox = tmp_path / "outbox"
    with DelayProxy(s3_server.ports()["s3"]) as proxy:
        puts = 0

        def slow_after_two_writes(request: bytes) -> None:
            nonlocal puts
            if request.startswith(b"PUT ") and b"?" not in request.split(b" ", 2)[1]:
                puts += 1
                if puts == 3:
                    proxy.delay = 3 * READ_TIMEOUT

        proxy.on_request = slow_after_two_writes
        archiver = Archiver(
            _via(proxy, s3_server, fresh_store), index, outbox, sealer=sealer_in(tmp_path)
        )
        started = time.monotonic()
        with pytest.raises(StorageError) as failed:
            _archive(archiver, tmp_path)
        elapsed = time.monotonic() - started
        print(f"failed after {elapsed:.1f} s: {failed.value}")
        message = str(failed.value)
        assert "case_file/NM-2026-11-001" in message and "is not archived" in message
        assert f"did not answer within {READ_TIMEOUT:g} s" in message
        assert elapsed < 4 * READ_TIMEOUT
        code = _outbox_packages(outbox)[0]  # the package waits in the outbox
        found = census(fresh_store)
        assert found.packages == {} and found.incomplete == [code]  # not visible as complete
        assert found.rewritten == []  # the slow write was sent once

        proxy.delay = 0
        done = _archive(archiver, tmp_path)
    assert done.outcome == Outcome.RESUMED and done.archival_code == code
    assert done.objects == 4  # the four not stored before: the slow one was
    _assert_one_copy_each(census(fresh_store), 1)
    assert _outbox_packages(outbox) == []
    assert index.get(code) is not None


# --- a full bucket, a refusal ------------------------------------------------------------------


def _enforce_quota(server: EmbeddedS3, bucket: str) -> None:
    """Make ``bucket`` read-only once the master knows its size (volumes report it every ~5 s)."""
    deadline = time.monotonic() + 45
    while True:
        enforced = weed_shell(server, "s3.bucket.quota.enforce -apply")
        if f"changing bucket {bucket} to read only" in enforced:
            return
        assert time.monotonic() < deadline, f"the quota of {bucket} was not enforced: {enforced}"
        time.sleep(1)


def test_a_bucket_over_its_quota_fails_clearly_then_a_rerun_completes(
    s3_server: EmbeddedS3, fresh_store: ObjectStore, index: ArchiveIndex, tmp_path: Path
) -> None:
    """SeaweedFS's bucket quota: ``s3.bucket.quota`` sets it, ``s3.bucket.quota.enforce``
    makes a bucket over it read-only (the master runs that periodically when told to).
    """
    bucket = fresh_store.bucket
    outbox = tmp_path / "outbox"
    archiver = Archiver(fresh_store, index, outbox, sealer=sealer_in(tmp_path))
    assert _archive(archiver, tmp_path, case="NM-2026-11-001", pages=BIG).outcome == Outcome.ADDED
    try:
        weed_shell(s3_server, f"s3.bucket.quota -name={bucket} -op=set -sizeMB=1")
        _enforce_quota(s3_server, bucket)
        with pytest.raises(StorageError) as failed:
            _archive(archiver, tmp_path, case="NM-2026-11-002")
        message = str(failed.value)
        assert "case_file/NM-2026-11-002" in message and "is not archived" in message
        assert "over its quota or the server's disk full" in message
        assert len(_outbox_packages(outbox)) == 1
        found = census(fresh_store)
        assert found.packages == {"case_file": 1} and found.rewritten == []
    finally:
        weed_shell(s3_server, f"s3.bucket.quota -name={bucket} -op=remove")
    done = _archive(archiver, tmp_path, case="NM-2026-11-002")
    assert done.outcome == Outcome.RESUMED
    _assert_one_copy_each(census(fresh_store), 2)
    assert _outbox_packages(outbox) == []


def test_a_read_only_identity_is_refused_clearly_then_a_rerun_completes(
    s3_server: EmbeddedS3, fresh_store: ObjectStore, index: ArchiveIndex, tmp_path: Path
) -> None:
    """An S3 identity that may read and list but not write, added as an administrator would."""
    reader = Credentials(f"XWQLREAD{uuid.uuid4().hex[:12].upper()}", uuid.uuid4().hex)
    user = f"xwql-reader-{reader.access_key[-6:].lower()}"
    weed_shell(
        s3_server,
        f"s3.configure -user={user} -access_key={reader.access_key} "
        f"-secret_key={reader.secret_key} -actions=Read,List -apply",
    )
    outbox = tmp_path / "outbox"
    try:
        endpoint = s3_server.endpoint()
        read_only = ObjectStore(
            S3Endpoint(endpoint.url, reader), fresh_store.bucket, region=EMBEDDED_REGION
        )
        with pytest.raises(StorageError) as refused:
            _archive(Archiver(read_only, index, outbox, sealer=sealer_in(tmp_path)), tmp_path)
    finally:
        weed_shell(s3_server, f"s3.configure -user={user} -delete -apply")
    assert refused.value.code == "AccessDenied"
    message = str(refused.value)
    assert "case_file/NM-2026-11-001" in message and "is not archived" in message
    assert "the access key lacks the right" in message
    assert reader.secret_key not in message
    assert fresh_store.versions("packages/") == []
    assert len(_outbox_packages(outbox)) == 1
    done = _archive(Archiver(fresh_store, index, outbox, sealer=sealer_in(tmp_path)), tmp_path)
    assert done.outcome == Outcome.RESUMED
    _assert_one_copy_each(census(fresh_store), 1)


# --- a full disk ------------------------------------------------------------------------------


@contextlib.contextmanager
def _small_disk(folder: Path, size: str) -> Iterator[Callable[[str], None]]:
    """A tmpfs of ``size`` mounted on ``folder``; yields a function that resizes it."""
    folder.mkdir(parents=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(folder)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if mounted.returncode != 0:
        pytest.skip(f"a small filesystem cannot be mounted here: {mounted.stderr.strip()}")

    def resize(new_size: str) -> None:
        subprocess.run(
            ["mount", "-o", f"remount,size={new_size}", str(folder)],
            check=True,
            capture_output=True,
        )

    try:
        yield resize
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False, capture_output=True)


def test_a_full_disk_under_the_outbox_fails_clearly_and_leaves_no_package(
    fresh_store: ObjectStore, index: ArchiveIndex, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    with _small_disk(data, "1m") as resize:
        archiver = Archiver(fresh_store, index, data / "outbox", sealer=sealer_in(tmp_path))
        with pytest.raises(OutputError) as failed:
            _archive(archiver, tmp_path, pages=BIG)
        message = str(failed.value)
        assert str(data / "outbox") in message and "No space left on device" in message
        assert sorted(p.name for p in (data / "outbox").iterdir()) == [".lock"]
        assert fresh_store.versions("") == []

        resize("16m")
        done = _archive(archiver, tmp_path, pages=BIG)
        assert done.outcome == Outcome.ADDED
        assert _outbox_packages(data / "outbox") == []
    _assert_one_copy_each(census(fresh_store), 1)


def test_a_full_disk_under_the_download_folder_leaves_no_partial_package(
    fresh_store: ObjectStore, index: ArchiveIndex, tmp_path: Path
) -> None:
    done = _archive(
        Archiver(fresh_store, index, tmp_path / "outbox", sealer=sealer_in(tmp_path)),
        tmp_path,
        pages=BIG,
    )
    out = tmp_path / "out"
    with _small_disk(out, "1m") as resize:
        with pytest.raises(OutputError) as failed:
            download_package(fresh_store, done.archival_code, out)
        message = str(failed.value)
        assert done.archival_code in message and str(out) in message
        assert "No space left on device" in message
        assert list(out.iterdir()) == []  # no partial package, no partial file

        resize("16m")
        fetched = download_package(fresh_store, done.archival_code, out)
        assert fetched.issues == [] and len(fetched.versions) == 7
        sizes = Counter(p.suffix for p in fetched.folder.rglob("*") if p.is_file())
        assert sizes[".pdf"] == 1 and sizes[".txt"] == 4 and sizes[".json"] == 1
