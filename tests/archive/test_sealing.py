"""Personal parts sealed in packages: the keyring, the sealed format, and packages built with it."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import bagit
import pytest

from pipeline.archive.package import (
    INTERNAL_RECORD,
    build_package,
    full_record,
    load_record,
    open_sealed,
    unseal_into,
    validate_package,
)
from pipeline.archive.sealing import MAGIC, Sealer, load_keyring
from pipeline.config import Settings
from pipeline.errors import ArchiveKeyInvalid, ExitCode, SealedPartUnreadable
from tests.archive.records import ID_NUMBER, PHONE, sample_record, write_pdf
from tests.keys import sealer_in

PERSONAL_TEXT = f"申请人 张秀英 身份证号 {ID_NUMBER} 电话 {PHONE}".encode()


def test_the_keyring_is_made_owner_only_and_refused_when_others_can_read_it(
    tmp_path: Path,
) -> None:
    keyring = load_keyring(Settings(data=tmp_path))
    path = tmp_path / "archive-keys.json"
    assert keyring.path == path
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_keyring(Settings(data=tmp_path)).keys == keyring.keys  # made once
    assert keyring.keys[keyring.current].hex() not in repr(keyring)
    path.chmod(0o644)
    with pytest.raises(ArchiveKeyInvalid, match="chmod 600") as refused:
        load_keyring(Settings(data=tmp_path))
    assert refused.value.exit_code == ExitCode.USAGE


def test_a_keyring_named_by_the_settings_is_used(tmp_path: Path) -> None:
    elsewhere = tmp_path / "secrets" / "keys.json"
    named = Settings(data=tmp_path / "data", archive_keys=elsewhere)
    # Named but absent (a secret not mounted): refused, never silently made anew.
    with pytest.raises(ArchiveKeyInvalid, match="does not exist"):
        load_keyring(named)
    keyring = load_keyring(named, create=True)
    assert keyring.path == elsewhere and elsewhere.is_file()
    assert load_keyring(named).keys == keyring.keys
    assert not (tmp_path / "data" / "archive-keys.json").exists()


def test_a_damaged_keyring_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "archive-keys.json"
    path.write_text('{"current": "ak-1", "keys": {}}', encoding="utf-8")
    path.chmod(0o600)
    with pytest.raises(ArchiveKeyInvalid, match="restore it from its backup"):
        load_keyring(Settings(data=tmp_path))


def test_sealed_bytes_hide_the_content_and_open_only_for_their_file(tmp_path: Path) -> None:
    sealer = sealer_in(tmp_path)
    sealed = sealer.seal(PERSONAL_TEXT, sealed_for="LZ-1/内部.pdf")
    assert sealed.startswith(MAGIC)
    assert ID_NUMBER.encode() not in sealed and PHONE.encode() not in sealed
    assert "张秀英".encode() not in sealed
    assert sealer.open(sealed, sealed_for="LZ-1/内部.pdf") == PERSONAL_TEXT
    # The same content for the same file seals to the same bytes (rebuilding is idempotent).
    assert sealer.seal(PERSONAL_TEXT, sealed_for="LZ-1/内部.pdf") == sealed
    with pytest.raises(SealedPartUnreadable, match="moved from another package"):
        sealer.open(sealed, sealed_for="LZ-2/内部.pdf")
    flipped = bytearray(sealed)
    flipped[-5] ^= 1
    with pytest.raises(SealedPartUnreadable, match="changed after it was sealed") as tampered:
        sealer.open(bytes(flipped), sealed_for="LZ-1/内部.pdf")
    assert tampered.value.exit_code == ExitCode.INCIDENT
    # Editing the header (here: claiming another file) breaks the authentication too.
    forged = sealed.replace(b"LZ-1/", b"LZ-3/", 1)
    with pytest.raises(SealedPartUnreadable, match="changed after it was sealed"):
        sealer.open(forged, sealed_for="LZ-3/内部.pdf")
    with pytest.raises(SealedPartUnreadable, match="not a sealed file"):
        sealer.open(PERSONAL_TEXT, sealed_for="LZ-1/内部.pdf")


def test_a_new_key_seals_from_then_on_and_the_old_ones_still_open(tmp_path: Path) -> None:
    before = sealer_in(tmp_path)
    old = before.seal(PERSONAL_TEXT, sealed_for="LZ-1/a.pdf")
    rotated = before.keyring.rotated()
    assert rotated.current != before.keyring.current
    reloaded = load_keyring(Settings(data=tmp_path))
    assert reloaded.current == rotated.current and set(reloaded.keys) == set(rotated.keys)
    after = Sealer(reloaded)
    new = after.seal(PERSONAL_TEXT, sealed_for="LZ-1/a.pdf")
    assert json.loads(new.splitlines()[1])["kid"] == rotated.current
    assert after.open(old, sealed_for="LZ-1/a.pdf") == PERSONAL_TEXT
    assert after.open(new, sealed_for="LZ-1/a.pdf") == PERSONAL_TEXT
    # Without the key that sealed it, a part does not open, and the message says which key.
    stranger = sealer_in(tmp_path / "other")
    with pytest.raises(SealedPartUnreadable, match=before.keyring.current):
        stranger.open(old, sealed_for="LZ-1/a.pdf")


def test_a_package_keeps_its_personal_parts_sealed_and_stays_plain_bagit(tmp_path: Path) -> None:
    sealer = sealer_in(tmp_path / "keys")
    internal = tmp_path / "internal.pdf"
    internal.write_bytes(write_pdf(tmp_path / "i.pdf", 2).read_bytes() + b"%" + PERSONAL_TEXT)
    public = write_pdf(tmp_path / "p.pdf", 1)
    files = [("公示-张贴件.pdf", public, "main"), ("公示-内部存档件.pdf", internal, "attachment")]
    package = build_package(
        tmp_path / "pkg", files, sample_record(), sealer=sealer, personal={"公示-内部存档件.pdf"}
    )
    folder = package.folder
    validate_package(folder)
    bagit.Bag(str(folder)).validate()  # anyone can check fixity without a key
    stored = b"".join(p.read_bytes() for p in folder.rglob("*") if p.is_file())
    assert ID_NUMBER.encode() not in stored and PHONE.encode() not in stored
    record = load_record(folder)
    assert record.internal is None
    assert [(f.path, f.role, f.pages) for f in record.files] == [
        (f"{INTERNAL_RECORD}.sealed", "internal_record", None),
        ("公示-内部存档件.pdf.sealed", "attachment", 2),
        ("公示-张贴件.pdf", "main", 1),
    ]
    assert record.page_count == 3
    # With the keys: the internal record and the file, as they were.
    full = full_record(folder, sealer)
    assert full.internal == sample_record().internal
    entry = record.files[1]
    assert open_sealed(folder, record, entry, sealer) == internal.read_bytes()
    opened = unseal_into(folder, record, sealer, tmp_path / "opened")
    assert sorted(p.name for p in opened) == [INTERNAL_RECORD, "公示-内部存档件.pdf"]
    assert ID_NUMBER in (tmp_path / "opened" / INTERNAL_RECORD).read_text(encoding="utf-8")


def test_a_package_with_personal_data_is_never_built_without_a_sealer(tmp_path: Path) -> None:
    pdf = write_pdf(tmp_path / "c.pdf")
    with pytest.raises(ValueError, match="sealer"):
        build_package(tmp_path / "pkg", [("案卷.pdf", pdf, "main")], sample_record())
    assert not (tmp_path / "pkg").exists()


def test_rotate_key_from_the_command_line(
    cli: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    keyring = tmp_path / "secrets" / "archive-keys.json"
    monkeypatch.setenv("XWQL_ARCHIVE_KEYS", str(keyring))
    first = load_keyring(Settings(archive_keys=keyring), create=True)
    rotated = cli("archive", "rotate-key", "--json")
    assert rotated.code == 0, rotated.err
    data = json.loads(rotated.out)
    assert data["keyring"] == str(keyring) and first.current in data["keys"]
    assert len(data["keys"]) == 2 and data["current"] != first.current
    assert load_keyring(Settings(archive_keys=keyring)).current == data["current"]


def test_a_personal_file_named_wrongly_stops_the_build(tmp_path: Path) -> None:
    """Else the file meant to be sealed would be stored plain."""
    pdf = write_pdf(tmp_path / "c.pdf")
    with pytest.raises(ValueError, match="not among the package's files"):
        build_package(
            tmp_path / "pkg", [("案卷.pdf", pdf, "main")], sample_record(),
            sealer=sealer_in(tmp_path / "keys"), personal={"案卷 .pdf"},
        )  # fmt: skip
    assert not (tmp_path / "pkg").exists()


def test_two_rotations_at_once_keep_every_key(tmp_path: Path) -> None:
    """A key added by another process meanwhile is kept: what it sealed stays readable."""
    first, second = (load_keyring(Settings(data=tmp_path)) for _ in range(2))
    one = first.rotated()
    sealed = Sealer(one).seal(PERSONAL_TEXT, sealed_for="LZ-1/a.pdf")
    two = second.rotated()  # started from the keyring as it was before the first rotation
    kept = load_keyring(Settings(data=tmp_path))
    assert {one.current, two.current} <= set(kept.keys) and len(kept.keys) == 3
    assert Sealer(kept).open(sealed, sealed_for="LZ-1/a.pdf") == PERSONAL_TEXT


def test_a_header_that_is_not_an_object_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SealedPartUnreadable, match="not a sealed file"):
        sealer_in(tmp_path).open(MAGIC + b"[]\n" + b"x" * 32, sealed_for="LZ-1/a.pdf")
