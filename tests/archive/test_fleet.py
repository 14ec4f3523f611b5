"""The fleet's keys: registered by the first worker, compared by every other, on a real
SQLite file and a real PostgreSQL; a worker with other keys files nothing."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import shutil
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization

from pipeline.archive.fleet import (
    FleetKeys,
    KeyKind,
    keyring_rotated,
    require_fleet_keys,
    worker_fingerprints,
)
from pipeline.archive.idkey import load_id_key
from pipeline.archive.index import ArchiveIndex
from pipeline.archive.objectstore import ObjectStore
from pipeline.archive.sealing import load_keyring
from pipeline.archive.session import ArchiveSession
from pipeline.archive.signing import KeyStore
from pipeline.config import Settings
from pipeline.database import database_url
from pipeline.errors import FleetKeysDiffer
from pipeline.programs.s3server import EmbeddedS3

T0 = dt.datetime(2026, 11, 24, 1, 0, tzinfo=dt.UTC)
INDEX_KEY = "the-fleet's-index-key-" + "0" * 20
OTHER_INDEX_KEY = "another-machine's-index-key-" + "1" * 20


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The fleet's database, empty (PostgreSQL's tables are shared by the tests)."""
    if request.param == "sqlite":
        yield database_url(tmp_path / "shared", None)
        return
    shared: str = request.getfixturevalue("postgres_url")
    yield shared
    engine = sa.create_engine(shared)
    with engine.begin() as db:
        db.execute(sa.text("DELETE FROM fleet_keys"))
    engine.dispose()


def worker(folder: Path, url: str, **changes: Any) -> Settings:
    """A worker's settings: a data folder of its own, the fleet's database and index key."""
    return replace(
        Settings(), data=folder, database_url=url, index_key=INDEX_KEY, **changes
    )  # fmt: skip


def same_keys_as(first: Settings, folder: Path) -> Settings:
    """A second worker given the first one's keys: its demo CA copied, its keyring named."""
    shutil.copytree(first.data / "signing", folder / "signing")
    return replace(first, data=folder, archive_keys=load_keyring(first).path)


def registered(url: str) -> dict[KeyKind, Any]:
    with contextlib.closing(FleetKeys(url)) as fleet:
        return fleet.registered()


def test_the_first_worker_registers_and_one_with_the_same_keys_is_accepted(
    url: str, tmp_path: Path
) -> None:
    first = worker(tmp_path / "w1", url)
    mine = worker_fingerprints(first)
    with contextlib.closing(FleetKeys(url, clock=lambda: T0)) as fleet:
        assert fleet.compare(mine) == {}  # nothing registered: nothing to differ from
        known = fleet.require(mine, host="worker-1")
    assert set(known) == set(KeyKind)
    assert {(r.host, r.at) for r in known.values()} == {("worker-1", T0)}
    assert {k: r.fingerprint for k, r in known.items()} == {f.kind: f.value for f in mine}

    second = same_keys_as(first, tmp_path / "w2")
    assert worker_fingerprints(second) == [
        replace(f, source=str(tmp_path / "w2" / "signing")) if f.kind is KeyKind.SIGNING else f
        for f in mine
    ]
    with contextlib.closing(FleetKeys(url)) as fleet:
        assert fleet.require(worker_fingerprints(second), host="worker-2") == known


def test_the_fingerprints_reveal_no_key(url: str, tmp_path: Path) -> None:
    settings = worker(tmp_path / "w1", url)
    require_fleet_keys(settings, worker_fingerprints(settings))
    stored = {kind: r.fingerprint for kind, r in registered(url).items()}
    # The CA's: what `openssl x509 -noout -fingerprint -sha256` prints of its certificate.
    (root,) = KeyStore.of(settings).trust_roots()
    der = root.public_bytes(serialization.Encoding.DER)
    assert stored[KeyKind.SIGNING] == hashlib.sha256(der).hexdigest()
    # The index key's: the HMAC the index records, neither the key nor a plain hash of it.
    assert stored[KeyKind.INDEX] == load_id_key(settings).fingerprint
    assert INDEX_KEY not in stored[KeyKind.INDEX]
    assert hashlib.sha256(INDEX_KEY.encode()).hexdigest() != stored[KeyKind.INDEX]
    keyring = load_keyring(settings)
    for key in keyring.keys.values():
        for fingerprint in stored.values():
            assert key.hex() not in fingerprint
            assert hashlib.sha256(key).hexdigest() != fingerprint


def test_a_worker_with_another_index_key_is_refused_with_the_key_named(
    url: str, tmp_path: Path
) -> None:
    first = worker(tmp_path / "w1", url)
    with contextlib.closing(FleetKeys(url, clock=lambda: T0)) as fleet:
        fleet.require(worker_fingerprints(first), host="worker-1")
    stranger = replace(same_keys_as(first, tmp_path / "w2"), index_key=OTHER_INDEX_KEY)
    mine = {f.kind: f.value for f in worker_fingerprints(stranger)}
    with (
        contextlib.closing(FleetKeys(url)) as fleet,
        pytest.raises(FleetKeysDiffer) as refused,
    ):
        fleet.require(worker_fingerprints(stranger), host="worker-2")
    assert refused.value.kinds == ("index",)
    assert refused.value.exit_code == 2
    text = str(refused.value)
    assert "本机的检索库身份证号密钥与集群登记的不一致" in text
    assert f"this worker's fingerprint is {mine[KeyKind.INDEX][:12]}…" in text
    assert f"the fleet's {registered(url)[KeyKind.INDEX].fingerprint[:12]}…" in text
    assert "registered by worker-1 on 2026-11-24 01:00 UTC" in text
    assert "point XWQL_INDEX_KEY at them" in text and "`xwql doctor`" in text
    assert OTHER_INDEX_KEY not in text and INDEX_KEY not in text
    assert registered(url)[KeyKind.INDEX].host == "worker-1"  # the fleet's stays


def test_a_worker_with_its_own_signing_ca_is_refused_with_the_key_named(
    url: str, tmp_path: Path
) -> None:
    first = worker(tmp_path / "w1", url)
    require_fleet_keys(first, worker_fingerprints(first))
    # Its own data folder and demo CA; the index key and the keyring are the fleet's.
    stranger = worker(tmp_path / "w2", url, archive_keys=load_keyring(first).path)
    with pytest.raises(FleetKeysDiffer) as refused:
        require_fleet_keys(stranger, worker_fingerprints(stranger))
    assert refused.value.kinds == ("signing",)
    text = str(refused.value)
    assert "本机的签名密钥（根证书）与集群登记的不一致" in text
    assert f"(from {tmp_path / 'w2' / 'signing'})" in text
    assert "point XWQL_SIGNING_KEYS at them" in text


def test_two_workers_registering_at_once_agree_on_one(url: str, tmp_path: Path) -> None:
    workers = {name: worker(tmp_path / name, url) for name in ("w1", "w2", "w3")}
    prints = {name: worker_fingerprints(settings) for name, settings in workers.items()}
    start = threading.Barrier(len(workers))
    refused: dict[str, tuple[str, ...]] = {}

    def register(name: str) -> None:
        with contextlib.closing(FleetKeys(url)) as fleet:
            start.wait()
            try:
                fleet.require(prints[name], host=name)
            except FleetKeysDiffer as exc:
                refused[name] = exc.kinds

    threads = [threading.Thread(target=register, args=(name,)) for name in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    (winner,) = set(workers) - set(refused)
    assert {r.host for r in registered(url).values()} == {winner}
    assert set(refused.values()) == {("signing", "archive")}  # the index key is shared


def test_a_new_archive_key_moves_the_fleets_and_refuses_the_old_keyring(
    url: str, tmp_path: Path
) -> None:
    first = worker(tmp_path / "w1", url)
    require_fleet_keys(first, worker_fingerprints(first))
    # A second worker with a copy of the keyring as it was, and a stranger with its own.
    copy = tmp_path / "w2-keys" / "archive-keys.json"
    copy.parent.mkdir()
    shutil.copy2(load_keyring(first).path, copy)
    second = replace(same_keys_as(first, tmp_path / "w2"), archive_keys=copy)
    stranger = worker(tmp_path / "w3", url)
    assert not keyring_rotated(stranger, load_keyring(stranger), load_keyring(stranger).rotated())

    before = load_keyring(first)
    assert keyring_rotated(first, before, before.rotated())
    require_fleet_keys(first, worker_fingerprints(first))
    with pytest.raises(FleetKeysDiffer) as refused:
        require_fleet_keys(second, worker_fingerprints(second))
    assert refused.value.kinds == ("archive",) and "XWQL_ARCHIVE_KEYS" in str(refused.value)
    shutil.copy2(load_keyring(first).path, copy)  # the operator copies the new keyring
    require_fleet_keys(second, worker_fingerprints(second))


def test_rotate_key_on_the_command_line_moves_the_fleets(
    cli: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    settings = worker(tmp_path / "w1", database_url(tmp_path / "w1", None))
    require_fleet_keys(settings, worker_fingerprints(settings))
    monkeypatch.setenv("XWQL_DATA", str(settings.data))
    monkeypatch.setenv("XWQL_INDEX_KEY", INDEX_KEY)
    rotated = cli("archive", "rotate-key", "--json")
    assert rotated.code == 0, rotated.err
    assert json.loads(rotated.out)["fleet"] is True
    require_fleet_keys(settings, worker_fingerprints(settings))  # the rotated one is the fleet's


@pytest.mark.s3
def test_archiving_registers_then_refuses_another_workers_keys_before_anything(
    tmp_path: Path, s3_server: EmbeddedS3, fresh_store: ObjectStore
) -> None:
    """Two workers on one database, index and bucket: the first opening for writing
    registers; the second, with keys of its own, is refused before it reaches the bucket
    or the index (which, opened with its index key, would drop the ID-number hashes)."""
    endpoint = s3_server.endpoint()
    shared = tmp_path / "shared"
    fleet = replace(
        Settings(), database_url=database_url(shared, None),
        index_url=f"sqlite:///{shared / 'index.sqlite3'}", s3_url=endpoint.url,
        s3_access_key=endpoint.app.access_key, s3_secret_key=endpoint.app.secret_key,
        s3_bucket=fresh_store.bucket,
    )  # fmt: skip
    first = replace(fleet, data=tmp_path / "w1", index_key=INDEX_KEY)
    with ArchiveSession.open(first, writing=True):
        pass
    assert set(registered(fleet.database_url or "")) == set(KeyKind)
    with ArchiveSession.open(first, writing=True):  # the same keys: accepted
        pass

    second = replace(fleet, data=tmp_path / "w2", index_key=OTHER_INDEX_KEY)
    with (
        pytest.raises(FleetKeysDiffer) as refused,
        ArchiveSession.open(second, writing=True),
    ):
        pytest.fail("a worker with other keys opened the archive for writing")
    assert refused.value.kinds == ("signing", "index", "archive")
    assert not second.self_check_file.exists()  # the store was not reached
    # Reading (a search, the web pages) with another index key is refused too: the
    # index would drop its hashes on opening all the same.
    with (
        pytest.raises(FleetKeysDiffer) as refused,
        ArchiveSession.open(second, writing=False),
    ):
        pytest.fail("a worker with another index key opened the archive for reading")
    assert refused.value.kinds == ("index",)
    with ArchiveIndex(fleet.archive_index_url) as index, index.engine.connect() as db:
        recorded = db.execute(
            sa.text("SELECT value FROM archive_index_meta WHERE key = 'id_key'")
        ).scalar_one()
    assert recorded == load_id_key(first).fingerprint
