"""``xwql storage up|status|down`` against the real embedded server."""

from __future__ import annotations

import json
import re
import subprocess
import time
from pathlib import Path

import pytest

from pipeline.programs.ports import free_port
from pipeline.programs.s3server import Credentials
from tests.conftest import ROOT
from tests.rgw import OneNodeRgw
from tests.s3 import boto_client

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


@pytest.mark.slow
@pytest.mark.soffice
def test_a_command_on_a_stopped_s3_prints_one_message_and_no_traceback(tmp_path: Path) -> None:
    """S3 not running, then stopped in the middle of a run, as the terminal shows it."""
    xwql = str(ROOT / ".venv" / "bin" / "xwql")
    data = tmp_path / "data"
    env = {"XWQL_DATA": str(data), "PATH": "/usr/bin:/bin", "COLUMNS": "200"}
    # The district sample's ledger of 南马村: enough finished cases to stop the server between.
    sample = ROOT / "examples" / "linzi" / "ledgers" / "2026-11" / "南马村-2026-11-台账.xlsx"
    command = [xwql, "archive", "case", "--village", "南马村"]

    def run(args: list[str], **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(args, env=env | extra, capture_output=True, text=True,
                              timeout=600, check=False)  # fmt: skip

    assert run([xwql, "intake", str(sample)]).returncode == 0
    # Nothing listens where the S3 server should be: one line, the cause and the command.
    refused = run(command, XWQL_S3_URL=f"http://127.0.0.1:{free_port()}",
                  XWQL_S3_ACCESS_KEY="app", XWQL_S3_SECRET_KEY="secret-of-the-app")  # fmt: skip
    assert refused.returncode != 0
    assert "is not running (connection refused)" in refused.stderr
    assert "`xwql storage up`" in refused.stderr and "Traceback" not in refused.stderr

    # The embedded server, stopped as soon as the first case file is being made: the
    # cases still to come are left unarchived (waiting for one to be archived first
    # raced the stop against the rest, which may all be filed in the meantime).
    assert run([xwql, "storage", "up"]).returncode == 0
    started = subprocess.Popen(command, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        making = data / "work" / "case-files"
        while started.poll() is None and not (making.is_dir() and any(making.iterdir())):
            time.sleep(0.05)
        run([xwql, "storage", "down"])
        out, err = started.communicate(timeout=600)
    finally:
        if started.poll() is None:
            started.kill()
    terminal = out + err
    assert started.returncode != 0, terminal
    for noise in ("Traceback", "urllib3", "Retrying", "Warning"):
        assert noise not in terminal, terminal
    assert "not everything was archived" in terminal and "NM-2026-11-" in terminal
    assert "重新运行 re-run: xwql archive case --village 南马村" in terminal
    log = data / "logs" / "xwql.log"
    assert str(log) in terminal.replace("\n", "")
    assert "Traceback" in log.read_text(encoding="utf-8")  # the details are kept there


@pytest.mark.slow
@pytest.mark.rgw
def test_the_demo_runs_on_ceph_rgw(rgw: OneNodeRgw, tmp_path: Path) -> None:
    """``xwql demo --village 南马村`` with the archive on a second S3 server, as run by hand."""
    env = {"XWQL_DATA": str(tmp_path / "data"), "PATH": "/usr/bin:/bin", "COLUMNS": "200",
           "XWQL_S3_BUCKET": "xwql-demo", **rgw.settings()}  # fmt: skip
    xwql = str(ROOT / ".venv" / "bin" / "xwql")
    doctor = subprocess.run([xwql, "storage", "up"], capture_output=True, text=True, env=env,
                            timeout=300, check=False)  # fmt: skip
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    assert "enforces WORM" in doctor.stdout and rgw.url in doctor.stdout
    command = [xwql, "demo", "--out", str(tmp_path / "demo"), "--village", "南马村"]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=900,
                          check=False)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "核验结论 verdict: 通过 passed" in done.stdout
    assert re.search(r"全档核验 archive sweep: \d+ 个归档包 packages, 无异常", done.stdout)
    # Every object in the bucket is locked, read back with an independent client.
    s3 = boto_client(rgw.url, Credentials(env["XWQL_S3_ACCESS_KEY"], env["XWQL_S3_SECRET_KEY"]))
    listed = s3.list_object_versions(Bucket="xwql-demo", Prefix="packages/")["Versions"]
    assert len(listed) > 50
    for version in listed[:: max(1, len(listed) // 20)]:
        lock = s3.get_object_retention(Bucket="xwql-demo", Key=version["Key"],
                                       VersionId=version["VersionId"])["Retention"]  # fmt: skip
        assert lock["Mode"] == "COMPLIANCE"
        assert lock["RetainUntilDate"].year >= 2036, (version["Key"], lock)
