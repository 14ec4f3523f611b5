"""The district month across two workers: a Prefect server on PostgreSQL, a process work
pool, two machines with their own data folders, one S3 bucket; a machine lost mid-run.

Every time, the bucket is counted with boto3, not with xwql's own census: each unit
filed once, no key written twice.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from pipeline.archive.objectstore import ObjectStore
from pipeline.programs.s3server import EmbeddedS3
from tests.conftest import ROOT
from tests.fleet import (
    INDEX_KEY,
    POOL,
    Machine,
    clean_environment,
    new_database,
    server_environment,
    share_keys,
    wait_for_workers,
)
from tests.flows.conftest import small_district

pytestmark = [pytest.mark.s3, pytest.mark.soffice, pytest.mark.slow, pytest.mark.fleet]

LEDGERS = ROOT / "examples" / "linzi" / "ledgers" / "2026-11"
MONTH = "2026-11"


def _bucket_census(s3: Any, bucket: str) -> dict[str, Any]:
    """The bucket as boto3 lists it: packages per kind, keys written twice, units filed twice.

    A package is complete once its tag manifest (written last) is there; a unit is
    its kind, what it is of, and the source it was made from.
    """
    versions: Counter[str] = Counter()
    for page in s3.get_paginator("list_object_versions").paginate(
        Bucket=bucket, Prefix="packages/"
    ):
        for version in page.get("Versions", []):
            versions[version["Key"]] += 1
    codes = sorted({key.split("/")[1] for key in versions})
    complete = [c for c in codes if f"packages/{c}/tagmanifest-sha256.txt" in versions]
    kinds: Counter[str] = Counter()
    units: dict[tuple[Any, ...], list[str]] = {}
    for code in complete:
        body = s3.get_object(Bucket=bucket, Key=f"packages/{code}/data/metadata.json")["Body"]
        record = json.loads(body.read())
        kinds[record["kind"]] += 1
        village = (record.get("village") or {}).get("code")
        unit = (record["kind"], record.get("case_id"), record.get("document"),
                record["date"] if record["kind"] == "notice" else None, village,
                record.get("month"), record.get("edition"), record.get("receipt"),
                record["source_sha256"])  # fmt: skip
        units.setdefault(unit, []).append(code)
    return {
        "kinds": dict(kinds),
        "versions": dict(versions),
        "rewritten": sorted(key for key, count in versions.items() if count > 1),
        "duplicated": [found for found in units.values() if len(found) > 1],
        "incomplete": sorted(set(codes) - set(complete)),
    }


def _check_once(found: dict[str, Any]) -> None:
    assert found["rewritten"] == [], found["rewritten"]
    assert found["duplicated"] == [], found["duplicated"]
    kinds = found["kinds"]
    assert kinds["catalog_edition"] == 1 and kinds["district_summary"] == 1, kinds
    assert kinds["monthly_pack"] == 2 and kinds["case_file"] >= 5, kinds


def _run_states(api_url: str) -> list[tuple[str, str | None]]:
    """Name and state of every flow run the server knows."""
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings({PREFECT_API_URL: api_url}), get_client(sync_client=True) as client:
        return [(run.name, run.state_name) for run in client.read_flow_runs(limit=200)]


@pytest.fixture
def fleet(
    postgres_url: str, s3_server: EmbeddedS3, fresh_store: ObjectStore, tmp_path: Path
) -> Any:
    """The office and two worker machines, their server, pool and workers started."""
    from flows.api import local_server

    database = new_database(postgres_url, "xwql_fleet")
    server = server_environment(tmp_path / "prefect", new_database(postgres_url, "prefect"))
    with local_server(server) as api_url:
        endpoint = s3_server.endpoint()
        district = small_district(tmp_path)
        shared = {
            "XWQL_DATABASE_URL": database, "XWQL_INDEX_URL": database,
            "XWQL_S3_URL": endpoint.url, "XWQL_S3_ACCESS_KEY": endpoint.app.access_key,
            "XWQL_S3_SECRET_KEY": endpoint.app.secret_key, "XWQL_S3_BUCKET": fresh_store.bucket,
            "XWQL_INDEX_KEY": INDEX_KEY, "XWQL_DISTRICT": str(district),
            "XWQL_CONVERTER_WORKERS": "1", "XWQL_CLAIM_LEASE": "60",
            "PREFECT_API_URL": api_url, "PREFECT_WORKER_QUERY_SECONDS": "2",
        }  # fmt: skip
        office, east, west = (Machine(name, tmp_path / name, shared)
                              for name in ("office", "east", "west"))  # fmt: skip
        share_keys(tmp_path / "keys", [m.data for m in (office, east, west)], district)
        subprocess.run(
            [sys.executable, "-m", "prefect", "work-pool", "create", POOL, "--type", "process"],
            env=clean_environment() | {"PREFECT_API_URL": api_url,
                                       "PREFECT_HOME": str(tmp_path / "prefect" / "cli")},
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip
        east.start_worker()
        west.start_worker()
        try:
            wait_for_workers(api_url, 2)
            yield office, east, west
        finally:
            east.stop_worker()
            west.stop_worker()


def test_a_district_month_across_two_workers_files_every_unit_once(
    fleet: tuple[Machine, Machine, Machine], fresh_store: ObjectStore, app_s3: Any,
    tmp_path: Path,
) -> None:  # fmt: skip
    office, east, west = fleet
    ledgers = [arg for name in ("南马村", "东周家村")
               for arg in ("--ledger", str(LEDGERS / f"{name}-{MONTH}-台账.xlsx"))]  # fmt: skip
    out = str(tmp_path / "out")
    run = ("district", "run", "--month", MONTH, "--pool", POOL, "--out", out, "--json")

    # 1. A machine is lost while it runs a village: its run, silent, is marked Crashed
    #    once its heartbeats stop (the lost-runs watch), the district run reports that
    #    village, and nothing is filed twice.
    started = time.monotonic()
    first = office.start(*run, *ledgers)
    lost = None
    while lost is None:
        assert first.poll() is None, first.communicate()
        assert time.monotonic() - started < 600, "no village run started"
        filed = _bucket_census(app_s3, fresh_store.bucket)["kinds"].get("case_file", 0)
        if filed >= 1:
            lost = next((m for m in (east, west) if m.running()), None)
        time.sleep(0.5)
    lost.kill_worker()
    killed = time.monotonic()
    stdout, stderr = first.communicate(timeout=600)
    timings = {"lost after": killed - started, "reported": time.monotonic() - killed}
    assert first.returncode != 0, stdout
    assert "Crashed" in stderr and "齐陵街道/" in stderr, stderr
    print("the lost machine's run, as the office reported it:", stderr.strip()[:600])
    after_loss = _bucket_census(app_s3, fresh_store.bucket)
    assert after_loss["rewritten"] == [] and after_loss["duplicated"] == [], after_loss

    # 2. The machine back, the month run again: everything filed, each unit once.
    lost.start_worker()
    started = time.monotonic()
    second = office.run(*run)
    timings["rerun"] = time.monotonic() - started
    assert second.returncode == 0, second.stderr
    found = _bucket_census(app_s3, fresh_store.bucket)
    _check_once(found)
    # A package the lost machine had begun is finished by it, or, its unit taken over
    # by the other machine after the lease, left incomplete under its code (never
    # written over) while the unit is filed under the next; the sweep names it below.
    abandoned = set(found["incomplete"])
    summary = json.loads(second.stdout)
    assert summary["outcomes"].get("added", 0) >= 1

    # 3. Two offices run the same month at once over both workers: nothing new.
    started = time.monotonic()
    both = [office.start(*run), office.start(*run)]
    for process in both:
        stdout, stderr = process.communicate(timeout=900)
        assert process.returncode == 0, stderr
        assert json.loads(stdout)["outcomes"].keys() == {"unchanged"}, stdout
    timings["two at once"] = time.monotonic() - started
    again = _bucket_census(app_s3, fresh_store.bucket)
    assert again["versions"] == found["versions"]
    _check_once(again)
    # The auditor added at the office sweeps the archive from another machine: every
    # package verifies but the sample's deliberate cases (forced past a rule: their
    # case files lack a document the item requires, or a valid meeting).
    added = office.run("auditors", "add", "审计甲", "--role", "auditor")
    assert added.returncode == 0, added.stderr
    token = added.stdout.strip().splitlines()[-1]
    swept = east.run("audit", "verify", "--all", "--json", env={"XWQL_AUDIT_TOKEN": token})
    reports = json.loads(swept.stdout)["reports"]
    assert len(reports) == sum(found["kinds"].values()) + len(abandoned)
    failed = {check["name"] for r in reports if not r["ok"] for check in r["checks"]
              if check["passed"] is False}  # fmt: skip
    assert failed <= {"completeness"}, [r for r in reports if not r["ok"]]
    named = {r["archival_code"] for r in reports
             if any(check["name"] == "abandoned" for check in r["checks"])}  # fmt: skip
    assert named == abandoned
    assert swept.returncode == (9 if failed else 0), swept.stderr
    # Only the lost village's run was marked Crashed: never an office's run, which
    # beats less often than the villages' runs are judged.
    states = _run_states(office.shared["PREFECT_API_URL"])
    crashed = [name for name, state in states if state == "Crashed"]
    assert len(crashed) == 1 and crashed[0].startswith("village-month 2026-11 "), states
    offices = [state for name, state in states if name.startswith("district-month")]
    assert sorted(offices) == ["Completed"] * 3 + ["Failed"], states
    print(f"census: {found['kinds']}, abandoned {sorted(abandoned)}, "
          f"objects {len(found['versions'])}, keys written twice 0; seconds: "
          + ", ".join(f"{name} {value:.0f}" for name, value in timings.items()))  # fmt: skip
