"""Once-only filing with several workers: a unit's claim is atomic in the shared index.

Two archivers stand for two workers: each has an outbox (a data folder) of its own,
and they share the index's database (SQLite here, PostgreSQL in a fleet) and the bucket.
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from pipeline.archive.archiver import Archiver, Outcome
from pipeline.archive.index import ArchiveIndex
from pipeline.archive.objectstore import LockMode, ObjectStore, whole_seconds
from pipeline.archive.package import package_objects
from pipeline.archive.retrieval import census, rebuild_index
from pipeline.archive.stored import object_prefix, read_abandoned
from pipeline.errors import ArchiveBusy
from tests.archive.test_archiver import BASE, KEY, _source, builder
from tests.keys import sealer_in

pytestmark = pytest.mark.s3
LEASE = dt.timedelta(minutes=10)
T0 = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def index_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The shared index's database, empty (PostgreSQL's tables are shared by the tests)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'index.sqlite3'}"
        return
    url: str = request.getfixturevalue("postgres_url")
    yield url
    with ArchiveIndex(url, id_key=KEY) as index:
        index.remove_all()
        with index.engine.begin() as db:
            db.execute(sa.text("DELETE FROM archive_claims"))


def _next(claimed: set[str]) -> str:
    taken = max((int(code[-4:]) for code in claimed), default=0)
    return f"LZ-QL-001-2026-D30-QL.NM-022-{taken + 1:04d}"


def test_one_worker_gets_a_unit_the_other_learns_who(index_url: str) -> None:
    with ArchiveIndex(index_url, id_key=KEY) as index:
        first = index.claim("case_file/A", "s1", "w1", lease=LEASE, next_code=_next, now=T0)
        assert first.mine and first.archival_code.endswith("-0001")
        other = index.claim("case_file/A", "s1", "w2", lease=LEASE, next_code=_next, now=T0)
        assert not other.mine and other.worker == "w1"
        assert other.archival_code == first.archival_code
        # Another unit gets another code, never the one claimed.
        more = index.claim("case_file/B", "s1", "w2", lease=LEASE, next_code=_next, now=T0)
        assert more.mine and more.archival_code.endswith("-0002")
        # w1, restarted, holds its own claim again; once its lease lapsed w2 takes it over.
        again = index.claim("case_file/A", "s1", "w1", lease=LEASE, next_code=_next, now=T0)
        assert again.mine and not again.taken_over
        later = T0 + LEASE + dt.timedelta(seconds=1)
        taken = index.claim("case_file/A", "s1", "w2", lease=LEASE, next_code=_next, now=later)
        assert taken.mine and taken.taken_over and taken.archival_code == first.archival_code
        # Released, the claim is gone: the next worker gets a claim of its own.
        index.release("case_file/A", "s1", "w2")
        fresh = index.claim("case_file/A", "s1", "w1", lease=LEASE, next_code=_next, now=later)
        assert fresh.mine and not fresh.taken_over and fresh.archival_code.endswith("-0003")


def test_two_workers_at_once_file_every_unit_once(
    index_url: str, fresh_store: ObjectStore, tmp_path: Path
) -> None:
    units = [f"case_file/NM-2026-11-{n:03d}" for n in range(1, 7)]
    sealer = sealer_in(tmp_path)
    results: dict[str, list[tuple[str, Outcome, str]]] = {"w1": [], "w2": []}
    failures: list[BaseException] = []
    start = threading.Barrier(2)

    def work(worker: str) -> None:
        with ArchiveIndex(index_url, id_key=KEY) as index:
            archiver = Archiver(fresh_store, index, tmp_path / worker / "outbox", sealer=sealer,
                                worker=worker, lease=dt.timedelta(seconds=30))  # fmt: skip
            start.wait()
            for unit in units:
                case_id = unit.removeprefix("case_file/")
                # One keyring for the fleet (XWQL_ARCHIVE_KEYS), as the workers share it.
                build, _ = builder(tmp_path, _source(unit), case_id=case_id)
                try:
                    done = archiver.archive(unit, _source(unit), BASE, build)
                except BaseException as exc:
                    failures.append(exc)
                    return
                results[worker].append((unit, done.outcome, done.archival_code))

    threads = [threading.Thread(target=work, args=(name,)) for name in results]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not failures, failures
    # Each unit was filed by one worker; the other found it filed (unchanged).
    for unit in units:
        seen = [(w, outcome, code) for w, done in results.items()
                for u, outcome, code in done if u == unit]  # fmt: skip
        outcomes = sorted(outcome for _, outcome, _ in seen)
        assert outcomes == sorted([Outcome.ADDED, Outcome.UNCHANGED]), (unit, seen)
        assert len({code for _, _, code in seen}) == 1, (unit, seen)
    # The census from the bucket: one package per unit, no key written twice.
    versions = Counter(v.key for v in fresh_store.versions("packages/"))
    packages = {key.split("/")[1] for key in versions}
    assert len(packages) == len(units)
    assert max(versions.values()) == 1
    assert census(fresh_store).clean
    with ArchiveIndex(index_url, id_key=KEY) as index, index.engine.connect() as db:
        assert db.execute(sa.text("SELECT count(*) FROM archive_claims")).scalar() == 0


def test_a_killed_process_claim_is_taken_over_at_once_by_its_successor(
    fresh_store: ObjectStore, tmp_path: Path
) -> None:
    """Killed mid-unit, a worker's restart on the same data folder files the unit at once."""
    outbox = tmp_path / "outbox"
    dead = _gone_pid()
    url = f"sqlite:///{tmp_path / 'index.sqlite3'}"
    unit = "case_file/NM-2026-11-001"
    with ArchiveIndex(url, id_key=KEY) as index:
        before = Archiver(fresh_store, index, outbox, sealer=sealer_in(tmp_path))
        killed = f"{before.worker.rpartition(':')[0]}:{dead}"
        held = index.claim(unit, _source(unit), killed, lease=LEASE, next_code=_next)
        assert held.mine
        started = time.monotonic()
        build, _ = builder(tmp_path, _source(unit), case_id="NM-2026-11-001")
        done = before.archive(unit, _source(unit), BASE, build)
        assert time.monotonic() - started < 60  # not the ten minutes of the lease
        assert done.outcome is Outcome.ADDED and done.archival_code == held.archival_code
        # Another host's claim is left to its lease: nothing here says it is gone.
        elsewhere = f"other-host:{outbox.resolve()}:{dead}"
        other = index.claim("case_file/X", "s", elsewhere, lease=LEASE, next_code=_next)
        mine = index.claim("case_file/X", "s", before.worker, lease=LEASE, next_code=_next,
                           gone=before._gone)  # fmt: skip
        assert other.mine and not mine.mine and mine.worker == elsewhere


def test_threads_of_one_worker_file_a_unit_once(fresh_store: ObjectStore, tmp_path: Path) -> None:
    unit = "case_file/NM-2026-11-001"
    url = f"sqlite:///{tmp_path / 'index.sqlite3'}"
    outcomes: list[Outcome] = []
    start = threading.Barrier(3)

    def work() -> None:
        with ArchiveIndex(url, id_key=KEY) as index:
            archiver = Archiver(fresh_store, index, tmp_path / "outbox", sealer=sealer_in(tmp_path))
            build, _ = builder(tmp_path, _source(unit), case_id="NM-2026-11-001")
            start.wait()
            outcomes.append(archiver.archive(unit, _source(unit), BASE, build).outcome)

    threads = [threading.Thread(target=work) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert sorted(outcomes) == sorted([Outcome.ADDED, Outcome.UNCHANGED, Outcome.UNCHANGED])
    versions = Counter(v.key for v in fresh_store.versions("packages/"))
    assert len({key.split("/")[1] for key in versions}) == 1 and max(versions.values()) == 1


def _half_written(store: ObjectStore, folder: Path) -> None:
    """Write the first three objects of the outbox package in ``folder``, as a worker lost
    mid-upload leaves them."""
    for relative, path in package_objects(folder)[:3]:
        store.put(object_prefix(folder.name) + relative, path.read_bytes(),
                  retain_until=whole_seconds(T0.replace(year=2057)),
                  mode=LockMode.COMPLIANCE)  # fmt: skip


def _gone_pid() -> int:
    """The pid of a child that ran and was reaped: no process has it now."""
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def test_a_unit_begun_by_a_worker_gone_elsewhere_is_filed_under_a_new_code(
    fresh_store: ObjectStore, tmp_path: Path
) -> None:
    """Another host's worker died after writing part of its package, and its lease ran out."""
    unit = "case_file/NM-2026-11-001"
    url = f"sqlite:///{tmp_path / 'index.sqlite3'}"
    with ArchiveIndex(url, id_key=KEY) as index:
        archiver = Archiver(fresh_store, index, tmp_path / "outbox", sealer=sealer_in(tmp_path))
        dead = index.claim(unit, _source(unit), "other-host:/srv/xwql/var/outbox:4242",
                           lease=dt.timedelta(seconds=-1), next_code=_next)  # fmt: skip
        begun = object_prefix(dead.archival_code) + "data/案卷.pdf"
        fresh_store.put(begun, b"%PDF half", retain_until=whole_seconds(T0.replace(year=2030)),
                        mode=LockMode.COMPLIANCE)  # fmt: skip
        build, _ = builder(tmp_path, _source(unit), case_id="NM-2026-11-001")
        done = archiver.archive(unit, _source(unit), BASE, build)
    assert done.outcome is Outcome.ADDED and done.archival_code != dead.archival_code
    # Nothing was written over: the dead worker's object is as it left it.
    (left,) = fresh_store.versions(begun)
    assert fresh_store.get(begun, left.version_id) == b"%PDF half"
    found = census(fresh_store)  # the bucket's own count shows what the dead worker left
    # …and, from the bucket too, that its package was given up for the new code.
    assert found.abandoned == [dead.archival_code] and found.incomplete == []
    assert read_abandoned(fresh_store) == {dead.archival_code: (unit, done.archival_code)}
    assert found.packages == {"case_file": 1} and not (found.rewritten or found.duplicated)


def test_a_whole_package_of_a_worker_gone_elsewhere_is_indexed_not_filed_again(
    fresh_store: ObjectStore, tmp_path: Path
) -> None:
    """Another host's worker wrote all of its package, then died before the index heard."""
    unit = "case_file/NM-2026-11-001"
    sealer = sealer_in(tmp_path)
    with ArchiveIndex(f"sqlite:///{tmp_path / 'lost.sqlite3'}", id_key=KEY) as lost_index:
        lost = Archiver(fresh_store, lost_index, tmp_path / "lost-outbox", sealer=sealer)
        build, _ = builder(tmp_path, _source(unit), case_id="NM-2026-11-001")
        written = lost.archive(unit, _source(unit), BASE, build)
    before = Counter(v.key for v in fresh_store.versions("packages/"))
    with ArchiveIndex(f"sqlite:///{tmp_path / 'index.sqlite3'}", id_key=KEY) as index:
        index.claim(unit, _source(unit), "other-host:/srv/xwql/var/outbox:4242",
                    lease=dt.timedelta(seconds=-1),
                    next_code=lambda _: written.archival_code)  # fmt: skip
        archiver = Archiver(fresh_store, index, tmp_path / "outbox", sealer=sealer)
        build, _ = builder(tmp_path, _source(unit), case_id="NM-2026-11-001")
        done = archiver.archive(unit, _source(unit), BASE, build)
        indexed = index.get(written.archival_code)
        again = archiver.archive(unit, _source(unit), BASE, build)
    assert done.outcome is Outcome.RESUMED and done.archival_code == written.archival_code
    assert indexed is not None and indexed.unit == unit
    assert again.outcome is Outcome.UNCHANGED
    assert Counter(v.key for v in fresh_store.versions("packages/")) == before
    found = census(fresh_store)
    assert found.packages == {"case_file": 1} and found.clean, found


def test_a_machine_back_after_its_unit_was_filed_elsewhere_gives_its_package_up(
    fresh_store: ObjectStore, tmp_path: Path
) -> None:
    """Lost mid-upload; another worker filed the unit; the package in its outbox is dropped."""
    unit = "case_file/NM-2026-11-001"
    sealer = sealer_in(tmp_path)
    with ArchiveIndex(f"sqlite:///{tmp_path / 'index.sqlite3'}", id_key=KEY) as index:
        lost = Archiver(fresh_store, index, tmp_path / "lost-outbox", sealer=sealer)
        build, _ = builder(tmp_path, _source(unit), case_id="NM-2026-11-001")
        begun = lost.prepare(unit, _source(unit), BASE, build)
        _half_written(fresh_store, begun)  # then the machine was lost
        other = Archiver(fresh_store, index, tmp_path / "outbox", sealer=sealer)
        filed = other.archive(unit, _source(unit), BASE, build)
        before = Counter(v.key for v in fresh_store.versions("packages/"))
        back = Archiver(fresh_store, index, tmp_path / "lost-outbox", sealer=sealer)
        again = back.archive(unit, _source(unit), BASE, build)
        abandoned = index.abandoned()
        indexed = [e.archival_code for e in index.search(limit=10).entries]
    assert filed.outcome is Outcome.ADDED and filed.archival_code != begun.name
    assert again.outcome is Outcome.UNCHANGED and again.archival_code == filed.archival_code
    assert not begun.exists()  # given up, not finished: that would be a second copy
    assert Counter(v.key for v in fresh_store.versions("packages/")) == before
    assert abandoned == {begun.name: (unit, filed.archival_code)}
    assert indexed == [filed.archival_code]
    found = census(fresh_store)
    assert found.packages == {"case_file": 1} and found.abandoned == [begun.name]
    assert found.clean, found  # given up, and said so in the bucket: nothing unexplained
    with ArchiveIndex(f"sqlite:///{tmp_path / 'rebuilt.sqlite3'}", id_key=KEY) as rebuilt:
        rebuild_index(fresh_store, rebuilt, sealer)  # the bucket alone says it again
        assert rebuilt.abandoned() == {begun.name: (unit, filed.archival_code)}
    assert not (found.rewritten or found.duplicated)


def test_the_leftover_of_a_package_indexed_already_is_removed_not_abandoned(
    fresh_store: ObjectStore, tmp_path: Path
) -> None:
    """A clean-up killed after the index heard of the package: the folder is a leftover."""
    unit = "case_file/NM-2026-11-001"
    with ArchiveIndex(f"sqlite:///{tmp_path / 'index.sqlite3'}", id_key=KEY) as index:
        archiver = Archiver(fresh_store, index, tmp_path / "outbox", sealer=sealer_in(tmp_path))
        build, _ = builder(tmp_path, _source(unit), case_id="NM-2026-11-001")
        folder = archiver.prepare(unit, _source(unit), BASE, build)
        kept = tmp_path / "kept"
        shutil.copytree(folder, kept)
        filed = archiver.finish(folder)
        shutil.copytree(kept, folder)  # as the killed clean-up left it
        folder.with_name(folder.name + ".reserved").write_text(unit, encoding="utf-8")
        assert archiver.pending(unit) == [folder]
        again = archiver.archive(unit, _source(unit), BASE, build)
        abandoned = index.abandoned()
    assert again.outcome is Outcome.UNCHANGED and again.archival_code == filed.archival_code
    assert not folder.exists() and abandoned == {}


def test_a_package_of_an_earlier_source_filed_elsewhere_meanwhile_is_given_up(
    fresh_store: ObjectStore, tmp_path: Path
) -> None:
    """Lost with version 1 half-written; another worker filed version 1, then version 2."""
    unit = "case_file/NM-2026-11-001"
    first, second = _source(unit), _source(unit + "-changed")
    sealer = sealer_in(tmp_path)
    with ArchiveIndex(f"sqlite:///{tmp_path / 'index.sqlite3'}", id_key=KEY) as index:
        lost = Archiver(fresh_store, index, tmp_path / "lost-outbox", sealer=sealer)
        begun = lost.prepare(unit, first, BASE, builder(tmp_path, first)[0])
        _half_written(fresh_store, begun)  # then the machine was lost
        other = Archiver(fresh_store, index, tmp_path / "outbox", sealer=sealer)
        v1 = other.archive(unit, first, BASE, builder(tmp_path, first)[0])
        v2 = other.archive(unit, second, BASE, builder(tmp_path, second)[0])
        before = Counter(v.key for v in fresh_store.versions("packages/"))
        back = Archiver(fresh_store, index, tmp_path / "lost-outbox", sealer=sealer)
        again = back.archive(unit, second, BASE, builder(tmp_path, second)[0])
        versions = [v.archival_code for v in index.versions_of(unit)]
        abandoned = index.abandoned()
    assert v2.outcome is Outcome.NEW_VERSION and again.outcome is Outcome.UNCHANGED
    assert versions == [v1.archival_code, v2.archival_code]  # no second version 1
    assert abandoned == {begun.name: (unit, v1.archival_code)} and not begun.exists()
    assert Counter(v.key for v in fresh_store.versions("packages/")) == before


def test_a_worker_that_outlasted_its_claim_writes_and_indexes_nothing(
    fresh_store: ObjectStore, tmp_path: Path
) -> None:
    """Its lease ran out while it built; another worker took the unit over meanwhile."""
    unit = "case_file/NM-2026-11-001"
    with ArchiveIndex(f"sqlite:///{tmp_path / 'index.sqlite3'}", id_key=KEY) as index:
        slow = Archiver(fresh_store, index, tmp_path / "outbox", sealer=sealer_in(tmp_path))
        build, _ = builder(tmp_path, _source(unit), case_id="NM-2026-11-001")
        folder = slow.prepare(unit, _source(unit), BASE, build)
        index.claim(unit, _source(unit), "other-host:/srv/xwql/var/outbox:4242",
                    lease=dt.timedelta(minutes=10), next_code=lambda _: folder.name)  # fmt: skip
        with pytest.raises(ArchiveBusy, match="taken over by another worker"):
            slow.finish(folder)
        indexed = index.get(folder.name)
    assert indexed is None and folder.is_dir()  # left for the next run to decide
    assert list(fresh_store.versions(object_prefix(folder.name))) == []


def test_a_package_missing_a_file_is_not_taken_as_filed(
    fresh_store: ObjectStore, tmp_path: Path
) -> None:
    """Its tag manifest is there but one of the files it lists is not: filed anew."""
    unit = "case_file/NM-2026-11-001"
    sealer = sealer_in(tmp_path)
    with ArchiveIndex(f"sqlite:///{tmp_path / 'index.sqlite3'}", id_key=KEY) as index:
        lost = Archiver(fresh_store, index, tmp_path / "lost-outbox", sealer=sealer)
        build, _ = builder(tmp_path, _source(unit), case_id="NM-2026-11-001")
        begun = lost.prepare(unit, _source(unit), BASE, build)
        objects = package_objects(begun)
        missing = next(relative for relative, _ in objects if relative.endswith(".pdf"))
        for relative, path in objects:
            if relative != missing:
                fresh_store.put(object_prefix(begun.name) + relative, path.read_bytes(),
                                retain_until=whole_seconds(T0.replace(year=2057)),
                                mode=LockMode.COMPLIANCE)  # fmt: skip
        index.claim(unit, _source(unit), "other-host:/srv/xwql/var/outbox:4242",
                    lease=dt.timedelta(seconds=-1), next_code=lambda _: begun.name)  # fmt: skip
        archiver = Archiver(fresh_store, index, tmp_path / "outbox", sealer=sealer)
        done = archiver.archive(unit, _source(unit), BASE, build)
    assert done.outcome is Outcome.ADDED and done.archival_code != begun.name
    assert read_abandoned(fresh_store) == {begun.name: (unit, done.archival_code)}
