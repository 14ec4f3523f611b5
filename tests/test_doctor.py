"""``xwql doctor``'s fleet keys check: not yet registered, the fleet's, or which key differs."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from pipeline.archive.fleet import require_fleet_keys, worker_fingerprints
from pipeline.archive.sealing import load_keyring
from pipeline.config import Settings
from pipeline.database import database_url

INDEX_KEY = "the-fleet's-index-key-" + "0" * 20
CHECK = "Fleet keys 集群密钥"


def _fleet_check(cli: Any, monkeypatch: pytest.MonkeyPatch, settings: Settings) -> Any:
    """The fleet check of ``xwql doctor --json`` run as the worker of ``settings``."""
    monkeypatch.setenv("XWQL_DATA", str(settings.data))
    monkeypatch.setenv("XWQL_DATABASE_URL", settings.database_url or "")
    monkeypatch.setenv("XWQL_INDEX_KEY", settings.index_key or "")
    if settings.archive_keys:
        monkeypatch.setenv("XWQL_ARCHIVE_KEYS", str(settings.archive_keys))
    monkeypatch.setenv("PATH", "/nonexistent")  # the programs' checks fail at once
    checks = json.loads(cli("doctor", "--json").out)
    return next(check for check in checks if check["name"] == CHECK)


def test_doctor_compares_this_workers_keys_with_the_fleets(
    cli: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    url = database_url(tmp_path / "shared", None)
    first = replace(Settings(), data=tmp_path / "w1", database_url=url, index_key=INDEX_KEY)

    fresh = _fleet_check(cli, monkeypatch, first)
    assert fresh["ok"], fresh
    assert "index " in fresh["detail"] and "(registered not yet)" in fresh["detail"]
    assert "the first archive job on any worker registers its keys" in fresh["detail"]

    require_fleet_keys(first, worker_fingerprints(first))  # the first archive job
    same = _fleet_check(cli, monkeypatch, first)
    assert same["ok"] and "not yet" not in same["detail"], same
    assert same["detail"].count("(registered by ") == 3 and url in same["detail"]

    # A second machine with the fleet's signing folder and keyring but an index key of its own.
    second = replace(first, data=tmp_path / "w2", index_key="x" * 40,
                     archive_keys=load_keyring(first).path)  # fmt: skip
    shutil.copytree(first.data / "signing", second.data / "signing")
    other = _fleet_check(cli, monkeypatch, second)
    assert not other["ok"]
    assert other["detail"].startswith("本机的检索库身份证号密钥与集群登记的不一致")
    assert "point XWQL_INDEX_KEY at them" in other["detail"]
    assert "签名密钥" not in other["detail"] and "档案密钥" not in other["detail"]
    assert "XWQL_INDEX_KEY" in other["fix"]
