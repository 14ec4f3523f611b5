"""``xwql storage up|status|down`` against the real embedded server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.s3


def test_up_status_down(cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("XWQL_DATA", str(tmp_path / "data"))
    up = cli("storage", "up", "--json")
    try:
        assert up.code == 0, up.err
        status = json.loads(cli("storage", "status", "--json").out)
        assert status["running"] and status["embedded"] and status["version"] == "4.48"
        assert status["object_lock"] and status["versioning"]
        assert status["lock_mode"] == "COMPLIANCE"
        assert status["self_check"]["enforced"] is True
        assert {c["name"] for c in status["self_check"]["checks"]} >= {
            "delete-version-refused", "retention-shorten-refused", "legal-hold-delete-refused",
            "batch-delete-refused", "anonymous-write-refused",
        }  # fmt: skip
        secrets = tmp_path / "data" / "s3" / "credentials.json"
        assert secrets.stat().st_mode & 0o077 == 0  # owner-only
        assert json.loads(secrets.read_text())["app"]["secret_key"] not in up.out + up.err
    finally:
        down = cli("storage", "down")
    assert down.code == 0 and "stopped" in down.out
    ports = json.loads((tmp_path / "data" / "s3" / "server.json").read_text())
    for key in ("s3_port", "master_port", "volume_port", "filer_port"):
        for number in (ports[key], ports[key] + 10000):
            assert not list(Path("/tmp").glob(f"seaweed*-{number}.sock")), "stale socket left"
    assert json.loads(cli("storage", "status", "--json").out)["running"] is False
