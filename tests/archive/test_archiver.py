"""Filing packages once into the real embedded S3 server: resuming, versions, reindex, log."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pikepdf
import pytest

from pipeline.archive.archiver import (
    LATEST_LOCK,
    STALE_BUILD_SECONDS,
    Archiver,
    Outcome,
    object_prefix,
    retention_end,
)
from pipeline.archive.auditors import Role
from pipeline.archive.idkey import IdKey
from pipeline.archive.index import ArchiveIndex
from pipeline.archive.metadata import ArchivalCode, PreviousVersion, archival_code
from pipeline.archive.objectstore import EMBEDDED_REGION, LockMode, ObjectStore
from pipeline.archive.package import Package, build_package, package_objects
from pipeline.archive.retrieval import (
    ACCESS_LOG,
    census,
    download_package,
    log_access,
    rebuild_index,
    set_legal_hold,
)
from pipeline.archive.signing import KeyStore, sign_pdf
from pipeline.archive.verify import Verifier, sweep
from pipeline.catalog import Catalog
from pipeline.catalog.model import Retention
from pipeline.config import Settings
from pipeline.errors import ArchiveConflict, NotArchived, WormNotEnforced
from pipeline.organisations import Directory, load_district
from pipeline.programs.s3server import EmbeddedS3
from tests.archive.records import sample_record, write_pdf
from tests.keys import sealer_in

pytestmark = pytest.mark.s3

UNIT = "case_file/NM-2026-11-001"
KEY = IdKey(b"test key of the ID-number hashes, 32+ bytes")
BASE = ArchivalCode("LZ-QL-001", 2026, Retention.YEARS_30, "QL-NM", "xwql-022", 1)


@pytest.fixture
def index(tmp_path: Path) -> Iterator[ArchiveIndex]:
    with ArchiveIndex(f"sqlite:///{tmp_path / 'index.sqlite3'}", id_key=KEY) as opened:
        yield opened


@pytest.fixture
def archiver(fresh_store: ObjectStore, index: ArchiveIndex, tmp_path: Path) -> Archiver:
    return Archiver(fresh_store, index, tmp_path / "outbox", sealer=sealer_in(tmp_path))


@pytest.fixture(scope="module")
def directory(settings: Settings) -> Directory:
    return load_district(settings.district_path)


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> KeyStore:
    return KeyStore(tmp_path_factory.mktemp("signing"))


def builder(
    tmp_path: Path, source: str, *, keys: KeyStore | None = None,
    directory: Directory | None = None, **record: Any,
) -> tuple[Callable[[ArchivalCode, PreviousVersion | None, Path], Package], list[str]]:  # fmt: skip
    """A package builder (a signed one-page PDF and a case record) that counts its calls.

    ``record`` changes the sample record (:func:`tests.archive.records.sample_record`).
    """
    calls: list[str] = []

    def build(code: ArchivalCode, previous: PreviousVersion | None, folder: Path) -> Package:
        calls.append(str(code))
        pdf = write_pdf(tmp_path / f"{code}-{uuid.uuid4().hex[:6]}.pdf")
        if keys is not None and directory is not None:
            _claim_pdfa(pdf)
            signed = pdf.with_suffix(".signed.pdf")
            sign_pdf(pdf, signed, keys.signer_for(directory.get("QL-NM")), reason="归档",
                     location="南马村")  # fmt: skip
            pdf = signed
        made = sample_record(
            archival_code=str(code), source_sha256=source,
            links={"previous_version": previous.model_dump() if previous else None}, **record,
        )  # fmt: skip
        return build_package(folder, [("案卷.pdf", pdf, "main")], made, sealer=sealer_in(tmp_path))

    return build, calls


def _claim_pdfa(pdf: Path) -> None:
    with pikepdf.open(pdf, allow_overwriting_input=True) as document:
        with document.open_metadata(set_pikepdf_as_editor=False) as meta:
            meta["pdfaid:part"] = "2"
            meta["pdfaid:conformance"] = "B"
        document.save(pdf)


def _source(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _versions_per_key(store: ObjectStore, prefix: str = "packages/") -> Counter[str]:
    return Counter(v.key for v in store.versions(prefix))


def test_first_archive_writes_locked_objects_once_and_indexes(
    archiver: Archiver, fresh_store: ObjectStore, index: ArchiveIndex, tmp_path: Path
) -> None:
    build, calls = builder(tmp_path, _source("v1"))
    done = archiver.archive(UNIT, _source("v1"), BASE, build)
    assert done.outcome == Outcome.ADDED
    assert done.archival_code == "LZ-QL-001-2026-D30-QL.NM-022-0001"
    assert (done.version, done.objects) == (1, 7)  # 4 tag files, metadata, case file, sealed
    prefix = object_prefix(done.archival_code)
    listed = fresh_store.versions(prefix)
    assert sorted(v.key.removeprefix(prefix) for v in listed) == [
        "bag-info.txt", "bagit.txt", "data/internal-record.json.sealed", "data/metadata.json",
        "data/案卷.pdf", "manifest-sha256.txt", "tagmanifest-sha256.txt",
    ]  # fmt: skip
    for version in listed:
        retention = fresh_store.retention(version.key, version.version_id)
        assert retention is not None
        assert retention.mode == LockMode.COMPLIANCE
        # 30年 counts from the year after the record's (2026): locked until 2057.
        assert retention.retain_until == dt.datetime(2057, 1, 1, tzinfo=dt.UTC)
    entry = index.get(done.archival_code)
    assert entry is not None and entry.unit == UNIT and entry.source_sha256 == _source("v1")
    assert entry.persons == ("张秀英", "刘芳")
    assert calls == [done.archival_code]
    assert [p.name for p in archiver.outbox.iterdir()] == [".lock"]


def test_the_same_source_twice_builds_and_writes_nothing(
    archiver: Archiver, fresh_store: ObjectStore, tmp_path: Path
) -> None:
    build, calls = builder(tmp_path, _source("v1"))
    first = archiver.archive(UNIT, _source("v1"), BASE, build)
    before = _versions_per_key(fresh_store)
    again = archiver.archive(UNIT, _source("v1"), BASE, build)
    assert again.outcome == Outcome.UNCHANGED
    assert again.archival_code == first.archival_code and again.objects == 0
    assert calls == [first.archival_code]
    assert _versions_per_key(fresh_store) == before
    found = census(fresh_store)
    assert found.clean and found.packages == {"case_file": 1}


def test_a_changed_source_is_a_new_version_linked_to_the_old(
    archiver: Archiver, index: ArchiveIndex, tmp_path: Path
) -> None:
    first = archiver.archive(UNIT, _source("v1"), BASE, builder(tmp_path, _source("v1"))[0])
    second = archiver.archive(UNIT, _source("v2"), BASE, builder(tmp_path, _source("v2"))[0])
    assert second.outcome == Outcome.NEW_VERSION
    assert second.archival_code.endswith("-0002") and second.version == 2
    versions = index.versions_of(UNIT)
    assert [v.archival_code for v in versions] == [first.archival_code, second.archival_code]
    assert versions[1].supersedes == first.archival_code
    out = tmp_path / "got"
    record_text = (
        download_package(archiver.store, second.archival_code, out).folder
        / "data"
        / "metadata.json"
    ).read_text(encoding="utf-8")
    assert first.archival_code in record_text and versions[0].manifest_sha256 in record_text


def test_an_interrupted_upload_is_finished_without_duplicates(
    archiver: Archiver, fresh_store: ObjectStore, index: ArchiveIndex, tmp_path: Path
) -> None:
    build, calls = builder(tmp_path, _source("v1"))
    folder = archiver.prepare(UNIT, _source("v1"), BASE, build)
    # The run died after writing half of the objects (payload first, tag manifest last).
    code = folder.name
    for relative, path in package_objects(folder)[:3]:
        fresh_store.put(
            object_prefix(code) + relative, path.read_bytes(),
            retain_until=dt.datetime(2057, 1, 1, tzinfo=dt.UTC), mode=LockMode.COMPLIANCE,
        )  # fmt: skip
    assert index.get(code) is None
    done = archiver.archive(UNIT, _source("v1"), BASE, build)
    assert done.outcome == Outcome.RESUMED and done.archival_code == code
    assert done.objects == 4
    assert calls == [code]  # resumed from the outbox, not rebuilt
    assert set(_versions_per_key(fresh_store).values()) == {1}
    assert index.get(code) is not None
    assert not folder.exists()


def test_a_key_holding_other_bytes_is_a_conflict_and_the_package_stays(
    archiver: Archiver, fresh_store: ObjectStore, tmp_path: Path
) -> None:
    folder = archiver.prepare(UNIT, _source("v1"), BASE, builder(tmp_path, _source("v1"))[0])
    fresh_store.put(
        object_prefix(folder.name) + "bagit.txt", b"something else\n",
        retain_until=dt.datetime(2030, 1, 1, tzinfo=dt.UTC), mode=LockMode.COMPLIANCE,
    )  # fmt: skip
    with pytest.raises(ArchiveConflict, match="never overwrites"):
        archiver.finish(folder)
    assert folder.is_dir()


def test_a_retention_the_server_did_not_record_is_refused_and_the_package_stays(
    archiver: Archiver,
    fresh_store: ObjectStore,
    index: ArchiveIndex,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    folder = archiver.prepare(UNIT, _source("v1"), BASE, builder(tmp_path, _source("v1"))[0])
    # SeaweedFS records the retention it is asked for: a server that drops it
    # cannot be had for real, so its read-back answer is made to say none.
    read = fresh_store.get_locked
    with monkeypatch.context() as patch:
        patch.setattr(fresh_store, "get_locked", lambda key, v: (read(key, v)[0], None))
        with pytest.raises(WormNotEnforced, match="did not record the retention"):
            archiver.finish(folder)
        # The re-run finds the objects written and checks their locks too.
        with pytest.raises(WormNotEnforced, match="did not record the retention"):
            archiver.finish(folder)
    assert folder.is_dir()
    assert index.get(folder.name) is None
    # With the locks in fact recorded, the next run completes without writing again.
    done = archiver.finish(folder)
    assert done.objects == 0 and index.get(folder.name) is not None


def test_an_object_an_earlier_run_locked_too_briefly_is_refused(
    archiver: Archiver, fresh_store: ObjectStore, index: ArchiveIndex, tmp_path: Path
) -> None:
    folder = archiver.prepare(UNIT, _source("v1"), BASE, builder(tmp_path, _source("v1"))[0])
    relative, path = package_objects(folder)[0]
    fresh_store.put(
        object_prefix(folder.name) + relative, path.read_bytes(),
        retain_until=dt.datetime(2030, 1, 1, tzinfo=dt.UTC), mode=LockMode.COMPLIANCE,
    )  # fmt: skip
    with pytest.raises(WormNotEnforced, match="2030"):
        archiver.finish(folder)
    assert folder.is_dir()
    assert index.get(folder.name) is None


def test_a_failed_build_leaves_no_reservation(archiver: Archiver, tmp_path: Path) -> None:
    def broken(code: ArchivalCode, previous: PreviousVersion | None, folder: Path) -> Package:
        raise RuntimeError("renderer crashed")

    with pytest.raises(RuntimeError):
        archiver.archive(UNIT, _source("v1"), BASE, broken)
    assert [p.name for p in archiver.outbox.iterdir()] == [".lock"]
    done = archiver.archive(UNIT, _source("v1"), BASE, builder(tmp_path, _source("v1"))[0])
    assert done.archival_code.endswith("-0001")


def test_a_killed_build_keeps_its_code_for_the_same_unit(
    archiver: Archiver, tmp_path: Path
) -> None:
    # A build killed by SIGKILL leaves the empty reserved folder and its marker.
    archiver.outbox.mkdir(parents=True)
    code = str(BASE)  # sequence 1
    (archiver.outbox / code).mkdir()
    (archiver.outbox / f"{code}.reserved").write_text(UNIT, encoding="utf-8")
    other = archiver.archive(
        "case_file/NM-2026-11-009", _source("x"), BASE, _other_unit_builder(tmp_path)
    )
    assert other.archival_code.endswith("-0002")  # 0001 stays reserved for UNIT
    done = archiver.archive(UNIT, _source("v1"), BASE, builder(tmp_path, _source("v1"))[0])
    assert done.archival_code == code


def test_a_run_killed_after_indexing_leaves_nothing_once_the_outbox_is_tidied(
    archiver: Archiver, tmp_path: Path
) -> None:
    done = archiver.archive(UNIT, _source("v1"), BASE, builder(tmp_path, _source("v1"))[0])
    # Killed between the index write and the outbox clean-up: folder and marker stay.
    (archiver.outbox / done.archival_code).mkdir()
    (archiver.outbox / f"{done.archival_code}.reserved").write_text(UNIT, encoding="utf-8")
    # A build of another unit killed half-way is not archived: it keeps its code.
    pending = str(replace(BASE, sequence=7))
    (archiver.outbox / pending).mkdir()
    (archiver.outbox / f"{pending}.reserved").write_text("case_file/x", encoding="utf-8")

    # A package killed while being built leaves its hidden work folder; one being
    # built now (another worker's) is recent and stays.
    killed = archiver.outbox / f".{pending}.k1ll3d.tmp"
    (killed / "data").mkdir(parents=True)
    old = time.time() - STALE_BUILD_SECONDS - 60
    os.utime(killed, (old, old))
    building = archiver.outbox / f".{pending}.n0w.tmp"
    building.mkdir()

    assert archiver.tidy_outbox() == [done.archival_code]

    assert sorted(p.name for p in archiver.outbox.iterdir()) == [
        f".{pending}.n0w.tmp", ".lock", pending, f"{pending}.reserved",
    ]  # fmt: skip
    assert archiver.tidy_outbox() == []


def _other_unit_builder(
    tmp_path: Path,
) -> Callable[[ArchivalCode, PreviousVersion | None, Path], Package]:
    def build(code: ArchivalCode, previous: PreviousVersion | None, folder: Path) -> Package:
        record = sample_record(
            archival_code=str(code), source_sha256=_source("x"), case_id="NM-2026-11-009"
        )
        pdf = write_pdf(tmp_path / f"other-{code}.pdf")
        return build_package(
            folder, [("案卷.pdf", pdf, "main")], record, sealer=sealer_in(tmp_path)
        )

    return build


def test_reindex_from_the_bucket_alone_gives_the_same_search_results(
    archiver: Archiver, fresh_store: ObjectStore, index: ArchiveIndex, tmp_path: Path
) -> None:
    archiver.archive(UNIT, _source("v1"), BASE, builder(tmp_path, _source("v1"))[0])
    archiver.archive(UNIT, _source("v2"), BASE, builder(tmp_path, _source("v2"))[0])
    archiver.archive("case_file/NM-2026-11-009", _source("x"), BASE, _other_unit_builder(tmp_path))
    log_access(fresh_store, index, actor="李审计", role="auditor", action="search", what="张秀英")
    queries: list[dict[str, Any]] = [
        {"person": "张秀英"}, {"text": "公示期未满"}, {"village": "南马村", "item": "xwql-022",
         "date_from": dt.date(2026, 11, 1), "date_to": dt.date(2026, 11, 30)},
        {"id_number": "370305195803121234"},
    ]  # fmt: skip
    before = [index.search(**query) for query in queries]
    assert before[0].total == 3 and before[3].total == 3
    with ArchiveIndex(f"sqlite:///{tmp_path / 'rebuilt.sqlite3'}", id_key=KEY) as empty:
        rebuilt = rebuild_index(fresh_store, empty, archiver.sealer)
        assert (rebuilt.entries, rebuilt.accesses, rebuilt.skipped) == (3, 1, [])
        after = [empty.search(**query) for query in queries]
        assert [a.actor for a in empty.accesses()] == ["李审计"]
    assert after == before
    # A new key (the old one lost or changed): the records hold the numbers, so a
    # rebuilt index finds them again, under hashes of the new key.
    new_key = IdKey(b"a new key of the ID-number hashes, 32+ bytes")
    with ArchiveIndex(f"sqlite:///{tmp_path / 'rekeyed.sqlite3'}", id_key=new_key) as rekeyed:
        rebuild_index(fresh_store, rekeyed, archiver.sealer)
        found = rekeyed.search(id_number="370305195803121234")
    assert found.total == 3
    assert {e.id_numbers for e in found.entries} == {(new_key.hash("370305195803121234"),)}


def test_an_incomplete_package_is_left_out_of_the_index(
    archiver: Archiver, fresh_store: ObjectStore, tmp_path: Path
) -> None:
    folder = archiver.prepare(UNIT, _source("v1"), BASE, builder(tmp_path, _source("v1"))[0])
    for relative, path in package_objects(folder)[:-1]:  # all but the tag manifest
        fresh_store.put(
            object_prefix(folder.name) + relative, path.read_bytes(),
            retain_until=dt.datetime(2030, 1, 1, tzinfo=dt.UTC), mode=LockMode.COMPLIANCE,
        )  # fmt: skip
    with ArchiveIndex(f"sqlite:///{tmp_path / 'rebuilt.sqlite3'}") as empty:
        rebuilt = rebuild_index(fresh_store, empty, archiver.sealer)
    assert rebuilt.entries == 0
    assert rebuilt.skipped == [(folder.name, "incomplete: no tag manifest")]
    found = census(fresh_store)
    assert found.incomplete == [folder.name] and not found.clean


def test_access_log_lines_are_locked_objects(fresh_store: ObjectStore, index: ArchiveIndex) -> None:
    line = log_access(fresh_store, index, actor="王监督", role=Role.AUDITOR.value,
                      action="get", what="LZ-QL-001-2026-D30-QL.NM-022-0001")  # fmt: skip
    assert line.actor == "王监督"
    (logged,) = fresh_store.versions(ACCESS_LOG)
    assert b"\xe7\x8e\x8b\xe7\x9b\x91\xe7\x9d\xa3" in fresh_store.get(logged.key, logged.version_id)
    retention = fresh_store.retention(logged.key, logged.version_id)
    assert retention is not None and retention.mode == LockMode.COMPLIANCE
    assert fresh_store.try_delete_version(logged.key, logged.version_id).refused


def test_a_decision_forced_past_the_meeting_rules_is_an_incident(
    archiver: Archiver, fresh_store: ObjectStore, index: ArchiveIndex, tmp_path: Path,
    keys: KeyStore, directory: Directory, catalog: Catalog, settings: Settings,
) -> None:  # fmt: skip
    short = {
        "step": "villagers_resolution", "date": dt.date(2026, 11, 5), "rule": "quorum",
        "message": "村民代表会议应到15人、实到9人，未达到三分之二以上", "reason": "镇里要求先办",
    }  # fmt: skip
    build, _ = builder(tmp_path, _source("quorum"), keys=keys, directory=directory,
                       irregularities=[short])  # fmt: skip
    archiver.archive(UNIT, _source("quorum"), BASE, build)
    verifier = Verifier(
        settings.schema_dir, keys.trust_roots(), catalog, directory, sealer=archiver.sealer
    )
    (report,) = sweep(fresh_store, verifier, index)
    completeness = next(check for check in report.checks if check.name == "completeness")
    assert completeness.passed is False and not report.ok
    assert "决定未经有效会议" in completeness.detail and "实到9人" in completeness.detail


def test_legal_hold_on_every_object_of_a_package(
    archiver: Archiver, fresh_store: ObjectStore, tmp_path: Path
) -> None:
    done = archiver.archive(UNIT, _source("v1"), BASE, builder(tmp_path, _source("v1"))[0])
    assert set_legal_hold(fresh_store, done.archival_code, on=True) == 7
    listed = fresh_store.versions(object_prefix(done.archival_code))
    assert all(fresh_store.legal_hold(v.key, v.version_id) for v in listed)
    set_legal_hold(fresh_store, done.archival_code, on=False)
    assert not any(fresh_store.legal_hold(v.key, v.version_id) for v in listed)
    with pytest.raises(NotArchived):
        set_legal_hold(fresh_store, "LZ-QL-001-2026-D30-QL.NM-022-0099", on=True)


def test_verification_of_an_untouched_and_an_overwritten_package(
    archiver: Archiver, fresh_store: ObjectStore, index: ArchiveIndex, tmp_path: Path,
    keys: KeyStore, directory: Directory, catalog: Catalog, settings: Settings,
    app_s3: Any,
) -> None:  # fmt: skip
    build, _ = builder(tmp_path, _source("v1"), keys=keys, directory=directory)
    done = archiver.archive(UNIT, _source("v1"), BASE, build)
    verifier = Verifier(
        settings.schema_dir, keys.trust_roots(), catalog, directory, sealer=archiver.sealer
    )
    (clean,) = sweep(fresh_store, verifier, index)
    states = {check.name: check.passed for check in clean.checks}
    # The sample record lists no documents: only completeness fails.
    assert states == {
        "index": True, "schema": True, "signature": True, "objects": True, "fixity": True,
        "bagit": True, "completeness": False, "pdf": True, "retention": True, "sealed": True,
        "timestamp": True, "unique": True,
    }  # fmt: skip
    assert clean.signer == "临淄区齐陵街道南马村民委员会"
    # Its irregularity (a notice period cut short) is no meeting's: only documents lack.
    completeness = next(check for check in clean.checks if check.name == "completeness")
    assert "决定未经有效会议" not in completeness.detail and "缺少" in completeness.detail
    # Someone writes a new version of the PDF behind xwql's back, through S3 itself.
    key = object_prefix(done.archival_code) + "data/案卷.pdf"
    app_s3.put_object(
        Bucket=fresh_store.bucket, Key=key, Body=b"%PDF-1.7 forged",
        ObjectLockMode="COMPLIANCE", ObjectLockRetainUntilDate=dt.datetime(2030, 1, 1),
    )  # fmt: skip
    assert census(fresh_store).rewritten == [key]
    (tampered,) = sweep(fresh_store, verifier, index)
    objects = next(check for check in tampered.checks if check.name == "objects")
    assert objects.passed is False and "extra_version" in objects.detail
    assert not tampered.ok


@pytest.mark.slow
def test_a_volume_file_damaged_on_disk_is_an_incident_in_bounded_time(
    s3_server: EmbeddedS3, s3_data: Path, fresh_store: ObjectStore, index: ArchiveIndex,
    tmp_path: Path, keys: KeyStore, directory: Directory, catalog: Catalog, settings: Settings,
) -> None:  # fmt: skip
    marker = f"xwql-damage-{uuid.uuid4().hex}".encode()
    archiver = Archiver(fresh_store, index, tmp_path / "outbox", sealer=sealer_in(tmp_path))

    def build(code: ArchivalCode, previous: PreviousVersion | None, folder: Path) -> Package:
        pdf = write_pdf(tmp_path / "marked.pdf")
        with pikepdf.open(pdf, allow_overwriting_input=True) as document:
            document.docinfo["/Subject"] = marker.decode()
            document.save(pdf)
        record = sample_record(archival_code=str(code), source_sha256=_source("d"))
        return build_package(
            folder, [("案卷.pdf", pdf, "main")], record, sealer=sealer_in(tmp_path)
        )

    done = archiver.archive(UNIT, _source("d"), BASE, build)
    # Flip a byte of the PDF where the volume server keeps it, behind the S3 API.
    damaged = 0
    for volume in (s3_data / "s3").rglob("*.dat"):
        content = volume.read_bytes()
        at = content.find(marker)
        if at >= 0:
            with volume.open("r+b") as handle:
                handle.seek(at + len(marker) - 1)
                handle.write(b"#")
            damaged += 1
    assert damaged == 1
    sweeping = ObjectStore(
        s3_server.endpoint(), fresh_store.bucket, region=EMBEDDED_REGION, retries=0
    )
    verifier = Verifier(settings.schema_dir, keys.trust_roots(), catalog, directory)
    started = time.monotonic()
    (report,) = sweep(sweeping, verifier, index)
    elapsed = time.monotonic() - started
    assert elapsed < 45, f"the sweep took {elapsed:.0f} s for one damaged object"
    assert report.archival_code == done.archival_code and not report.ok
    failed = {check.name for check in report.failed()}
    # Either the server refuses the damaged read (listed but unreadable), or it hands
    # back the changed bytes and the manifest does not match: both are incidents.
    assert failed & {"objects", "fixity"}, report.as_dict()


def test_a_sweep_reports_a_second_package_of_the_same_unit_and_source(
    fresh_store: ObjectStore, archiver: Archiver, index: ArchiveIndex, tmp_path: Path,
    keys: KeyStore, directory: Directory, catalog: Catalog, settings: Settings,
) -> None:  # fmt: skip
    """Two workers that each had an index of their own filed one case twice."""
    build, _ = builder(tmp_path, _source("v1"), keys=keys, directory=directory)
    first = archiver.archive(UNIT, _source("v1"), BASE, build)
    with ArchiveIndex(f"sqlite:///{tmp_path / 'other.sqlite3'}", id_key=KEY) as elsewhere:
        other = Archiver(fresh_store, elsewhere, tmp_path / "other-outbox",
                         sealer=archiver.sealer)  # fmt: skip
        second = other.archive(UNIT, _source("v1"), BASE, build)
    assert second.archival_code != first.archival_code
    verifier = Verifier(
        settings.schema_dir, keys.trust_roots(), catalog, directory, sealer=archiver.sealer
    )
    reports = {r.archival_code: r for r in sweep(fresh_store, verifier, index)}
    unique = {code: next(c for c in r.checks if c.name == "unique") for code, r in reports.items()}
    assert unique[str(first.archival_code)].passed is True
    duplicate = unique[str(second.archival_code)]
    assert duplicate.passed is False and not reports[str(second.archival_code)].ok
    assert str(first.archival_code) in duplicate.detail and UNIT in duplicate.detail


def test_a_lock_ends_after_its_retention_but_never_past_what_every_server_holds() -> None:
    thirty = sample_record()  # 30年, formed in 2026: locked to the end of 2056
    assert retention_end(thirty) == dt.datetime(2057, 1, 1, tzinfo=dt.UTC)
    code = archival_code("LZ-QL-001", 2026, Retention.PERMANENT, "QL-NM", "xwql-022", 7)
    permanent = sample_record(retention="永久", archival_code=code)  # 100 years: 2127
    assert retention_end(permanent) == LATEST_LOCK == dt.datetime(2106, 2, 7, 6, 28, 15,
                                                                   tzinfo=dt.UTC)  # fmt: skip
    assert int(LATEST_LOCK.timestamp()) == 2**32 - 1
