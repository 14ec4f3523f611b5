"""The key of the index's ID-number hashes: from the settings, or a private file made once."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

import pytest

from pipeline.archive.idkey import KEY_FILE, IdKey, load_id_key
from pipeline.config import Settings
from pipeline.errors import IndexKeyInvalid

ID_NUMBER = "37030519900101123X"


def _settings(data: Path, key: str | None = None) -> Settings:
    return replace(Settings(), data=data, index_key=key)


def test_a_key_file_is_made_once_owner_only(tmp_path: Path) -> None:
    first = load_id_key(_settings(tmp_path))
    path = tmp_path / KEY_FILE
    assert path.stat().st_mode & 0o777 == 0o600
    assert load_id_key(_settings(tmp_path)) == first  # the same key on every later use
    assert [p.name for p in tmp_path.iterdir()] == [KEY_FILE]  # no temporary file left
    assert path.read_text() not in repr(first)  # never shown
    assert load_id_key(_settings(tmp_path / "other")) != first


def test_the_configured_key_wins_and_must_be_long(tmp_path: Path) -> None:
    configured = "k" * 40
    key = load_id_key(_settings(tmp_path, configured))
    assert key == IdKey(configured.encode()) and not (tmp_path / KEY_FILE).exists()
    with pytest.raises(IndexKeyInvalid, match="at least 32") as short:
        load_id_key(_settings(tmp_path, "tooShortSecret"))
    assert "tooShortSecret" not in str(short.value)  # a secret is never printed


def test_a_key_file_others_can_read_is_refused(tmp_path: Path) -> None:
    load_id_key(_settings(tmp_path))
    (tmp_path / KEY_FILE).chmod(0o644)
    with pytest.raises(IndexKeyInvalid, match="chmod 600"):
        load_id_key(_settings(tmp_path))


def test_hashes_are_keyed_and_normalised() -> None:
    key, other = IdKey(b"a" * 32), IdKey(b"b" * 32)
    assert (
        key.hash(ID_NUMBER)
        == key.hash("370305 19900101 123x")
        == key.hash("３７0305-19900101-123X")
    )
    assert key.hash(ID_NUMBER) != other.hash(ID_NUMBER)
    assert key.hash(ID_NUMBER) != hashlib.sha256(ID_NUMBER.encode()).hexdigest()
    assert key.fingerprint != other.fingerprint and key.fingerprint not in key.hash(ID_NUMBER)
