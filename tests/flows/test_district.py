"""The district month through the real flows, LibreOffice and S3: documents and archive."""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from pipeline.archive.index import ArchiveIndex
from pipeline.archive.objectstore import ObjectStore, open_store
from pipeline.archive.retrieval import census
from pipeline.archive.signing import KeyStore
from pipeline.archive.verify import Verifier, sweep
from pipeline.cases.store import CaseStore
from pipeline.catalog import Catalog
from pipeline.config import Settings, load_settings
from pipeline.database import database_url
from pipeline.organisations import load_district
from pipeline.programs.s3server import EmbeddedS3
from tests.conftest import ROOT, pdf_text
from tests.flows.conftest import small_district

pytestmark = [pytest.mark.s3, pytest.mark.soffice, pytest.mark.slow]

LEDGERS = ROOT / "examples" / "linzi" / "ledgers" / "2026-11"
VILLAGES = ["南马村", "东周家村"]


def _ledgers() -> list[str]:
    return [str(LEDGERS / f"{name}-2026-11-台账.xlsx") for name in VILLAGES]


def _versions(store: ObjectStore) -> Counter[str]:
    return Counter(v.key for v in store.versions("packages/"))


def _check_archive(store: ObjectStore) -> dict[str, int]:
    """Every object written once, every package complete, no unit filed twice, no strays."""
    found = census(store)
    assert found.clean, found
    return found.packages


def test_the_district_month_flow_files_everything_once(
    prefect_harness: None, archive_env: dict[str, str], fresh_store: ObjectStore,
    tmp_path: Path, settings: Settings, catalog: Catalog, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    from flows.district import district_month_flow, monthly_pack_flow

    # The whole (cut-down) district: its summary is the district's, and archived.
    monkeypatch.setenv("XWQL_DISTRICT", str(small_district(tmp_path)))
    out = tmp_path / "out"
    first = district_month_flow(
        month="2026-11", ledgers=_ledgers(), out=str(out), issued_on="2026-12-01"
    )
    assert set(first.outcomes) == {"added"}
    data = Path(archive_env["XWQL_DATA"])
    kinds = _check_archive(fresh_store)
    assert kinds["monthly_pack"] == 2 and kinds["catalog_edition"] == 1
    assert kinds["district_summary"] == 1
    assert kinds["case_file"] >= 5 and kinds["notice"] >= 5
    assert first.outcomes["added"] == sum(kinds.values())
    packs = sorted(p.name for p in (out / "monthly").glob("QL-*.pdf"))
    assert packs == [
        "QL-DZ-2026-11-东周家村月度公开材料.pdf",
        "QL-NM-2026-11-南马村月度公开材料.pdf",
    ]
    assert Path(first.files["district_summary"]).is_file()
    assert len(list((out / "notices" / "南马村").glob("*.pdf"))) >= 5

    # Each village's pack is archived, signed by its village, and verifies.
    directory = load_district(settings.district_path)
    with ArchiveIndex(f"sqlite:///{data / 'archive-index.sqlite3'}") as index:
        codes = [e.archival_code for e in index.search(kind="monthly_pack").entries]
        verifier = Verifier(
            settings.schema_dir, KeyStore(data / "signing").trust_roots(), catalog, directory
        )
        reports = list(sweep(fresh_store, verifier, index, codes=codes))
    assert [r.ok for r in reports] == [True, True], [r.as_dict() for r in reports]
    assert {r.signer for r in reports} == {
        "临淄区齐陵街道南马村民委员会", "临淄区齐陵街道东周家村民委员会",
    }  # fmt: skip

    # No public document carries a full ID number, a phone number or a street address.
    leaks = _public_leaks(out, data)
    assert leaks == [], leaks

    # The second run does no new work: nothing built, nothing written.
    before = _versions(fresh_store)
    second = district_month_flow(
        month="2026-11", ledgers=_ledgers(), out=str(out), issued_on="2026-12-01"
    )
    assert set(second.outcomes) == {"unchanged"} and second.new_work == 0
    assert _versions(fresh_store) == before

    # The scheduled monthly-packs flow finds the village's pack current.
    packs_only = monthly_pack_flow(
        month="2026-11", villages=["QL-NM"], out=str(out), issued_on="2026-12-01"
    )
    assert packs_only.outcomes == {"unchanged": 1}
    assert Path(packs_only.files["district_summary"]).is_file()
    assert _versions(fresh_store) == before


ID_18 = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")
MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


def _public_leaks(out: Path, data: Path) -> list[str]:
    """Personal data found in the text layer of any public PDF of the run."""
    store = CaseStore(database_url(data, None))
    try:
        people = [p for case in store.find() for p in case.applicants]
    finally:
        store.close()
    secrets = {value for p in people for value in (p.id_number, p.phone, p.address) if value}
    public = [
        pdf
        for pdf in out.rglob("*.pdf")
        if "internal" not in pdf.parts and "audit" not in pdf.parts
    ]
    assert len(public) > 20
    leaks = []
    for pdf in public:
        text = "".join(pdf_text(pdf).split())
        found = [m.group() for m in (*ID_18.finditer(text), *MOBILE.finditer(text))]
        found += [value for value in secrets if "".join(value.split()) in text]
        leaks += [f"{pdf.name}: {value}" for value in found]
    return leaks


def _demo(env: dict[str, str], out: Path) -> subprocess.Popen[bytes]:
    """``xwql demo`` for one village (the flow test covers the fan-out over several)."""
    argv = [sys.executable, "-c", "from pipeline.cli import main; main()", "demo",
            "--out", str(out), "--village", VILLAGES[0]]  # fmt: skip
    return subprocess.Popen(
        argv, cwd=ROOT, env=os.environ | env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip


def test_a_demo_killed_at_a_random_point_completes_on_rerun_with_one_copy_of_each(
    archive_env: dict[str, str], fresh_store: ObjectStore, tmp_path: Path
) -> None:
    seed = random.randrange(1_000_000)
    delay = random.Random(seed).uniform(10, 35)
    print(f"killing after {delay:.1f} s (seed {seed})")
    env = archive_env | {"PREFECT_HOME": str(tmp_path / "prefect")}
    out = tmp_path / "out"
    killed = _demo(env, out)
    time.sleep(delay)
    os.killpg(killed.pid, signal.SIGKILL)  # the command and its Prefect API
    killed.wait(timeout=30)
    # Its converters notice and stop their LibreOffice: nothing is left running.
    converters = str(Path(archive_env["XWQL_DATA"]) / "converters")
    deadline = time.monotonic() + 20
    while _processes_using(converters) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert _processes_using(converters) == []
    rerun = _demo(env, out)
    output, _ = rerun.communicate(timeout=900)
    assert rerun.returncode == 0, output.decode()[-3000:]
    assert "示例完成" in output.decode()
    kinds = _check_archive(fresh_store)
    assert kinds["monthly_pack"] == 1
    outbox = Path(archive_env["XWQL_DATA"]) / "outbox"
    assert [p.name for p in outbox.iterdir() if p.name != ".lock"] == []


def _processes_using(text: str) -> list[str]:
    """Command lines of running processes that mention ``text``."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            line = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if text in line:
            found.append(line)
    return found


def test_serve_lists_the_scheduled_deployments(cli: Any) -> None:
    result = cli("serve", "--check")
    assert result.code == 0, result.err
    deployments = {d["name"]: d for d in json.loads(result.out)}
    assert deployments["monthly-packs"]["schedules"] == [
        {"cron": "0 6 1 * *", "timezone": "Asia/Shanghai"}
    ]
    assert deployments["weekly-fixity"]["flow"] == "fixity-audit"


def test_s3_stopped_mid_run_fails_clearly_then_a_rerun_completes(
    prefect_harness: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from flows import log_file
    from flows.district import RunIncomplete, district_month_flow

    data = tmp_path / "data"
    monkeypatch.setenv("XWQL_DATA", str(data))  # the embedded server, started by the run
    for name in ("XWQL_S3_URL", "XWQL_S3_ACCESS_KEY", "XWQL_S3_SECRET_KEY", "XWQL_S3_BUCKET"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings()
    out = str(tmp_path / "out")
    arguments = {"month": "2026-11", "ledgers": _ledgers()[:1], "villages": ["QL-NM"],
                 "out": out, "issued_on": "2026-12-01"}  # fmt: skip
    failure: list[BaseException] = []

    def run() -> None:
        try:
            district_month_flow(**arguments)
        except BaseException as exc:
            failure.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    server = EmbeddedS3(settings.s3_dir)
    deadline = time.monotonic() + 300
    while worker.is_alive():  # stop the server once the first case file is archived
        if server.pid() is not None and _case_files_archived(settings) >= 1:
            server.stop()
            break
        assert time.monotonic() < deadline, "no case file was archived in time"
        time.sleep(0.5)
    worker.join(timeout=600)
    assert not worker.is_alive()
    (error,) = failure
    assert isinstance(error, RunIncomplete), repr(error)
    message = str(error)
    assert "not everything was archived" in message and "case-files QL-NM" in message
    # The cause, as the store layer words it: which one depends on where the server's
    # stop caught the request (refused connection, no answer, or an error answer).
    assert "S3 " in message and any(
        cause in message
        for cause in ("is not running", "cannot reach", "did not answer", "HTTP 5", "InternalError")
    ), message
    # A refused connection is named as a server that is not running, with the command.
    if "connection refused" in message:
        assert "`xwql storage up`" in message
    # The tracebacks and library warnings went to the log it names (the terminal of
    # a real command: test_a_command_on_a_stopped_s3_prints_one_message_and_no_traceback).
    assert f"in {log_file()}" in message

    done = district_month_flow(**arguments)  # starts the server again
    assert done.failures == [] and done.outcomes.get("added", 0) >= 1
    store, _ = open_store(settings)
    try:
        kinds = _check_archive(store)
    finally:
        server.stop()
    assert kinds["monthly_pack"] == 1


def _case_files_archived(settings: Settings) -> int:
    path = settings.data / "archive-index.sqlite3"
    if not path.is_file():
        return 0
    with ArchiveIndex(f"sqlite:///{path}") as index:
        return index.search(kind="case_file", limit=1).total


def test_a_crashed_task_is_reported_and_its_traceback_goes_to_the_log(
    prefect_harness: None,
) -> None:
    import logging

    from prefect import flow, task

    from flows.district import RunSummary, _collect

    @task(name="crashing")
    def crashing() -> list[Any]:
        raise KeyError("no relationship of type 'officeDocument' in collection")

    @flow(name="crash-report")
    def run() -> RunSummary:
        summary = RunSummary()
        _collect(summary, [crashing.submit()])
        return summary

    # Prefect configures logging when the flow starts (which drops caplog's handler).
    logged: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = logged.append  # type: ignore[method-assign]
    logger = logging.getLogger("flows.district")
    logger.addHandler(handler)
    try:
        summary = run()
    finally:
        logger.removeHandler(handler)
    assert summary.failures == ["\"no relationship of type 'officeDocument' in collection\""]
    (record,) = logged
    assert record.levelno == logging.ERROR
    assert record.exc_info is not None and record.exc_info[0] is KeyError


def test_a_pool_that_does_not_exist_is_named_with_the_commands_that_make_it(
    prefect_harness: None,
) -> None:
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from flows.district import village_month_flow
    from flows.pool import PoolUnusable, deploy_to_pool

    entrypoint = "flows/district.py:village_month_flow"
    with pytest.raises(PoolUnusable) as raised:
        deploy_to_pool(village_month_flow, entrypoint, "no-such-pool")
    message = str(raised.value)
    assert "prefect work-pool create no-such-pool --type process" in message
    assert "xwql district worker --pool no-such-pool" in message

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate

    with get_client(sync_client=True) as client:  # a pool no worker polls
        client.create_work_pool(WorkPoolCreate(name="idle-pool", type="process"))
    with pytest.raises(PoolUnusable) as raised:
        deploy_to_pool(village_month_flow, entrypoint, "idle-pool")
    assert "xwql district worker --pool idle-pool" in str(raised.value)

    with temporary_settings({PREFECT_API_URL: None}), pytest.raises(PoolUnusable) as raised:
        deploy_to_pool(village_month_flow, entrypoint, "xwql")
    assert "PREFECT_API_URL" in str(raised.value)
