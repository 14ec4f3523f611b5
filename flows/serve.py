"""Deployments with schedules, and serving them (``xwql serve``).

* ``monthly-packs``: on the 1st of each month at 06:00 (China time), every
  village's pack of the previous month and the district summary;
* ``weekly-fixity``: every Monday at 03:00, the fixity sweep of the whole archive.

``xwql serve`` runs them in this process (Prefect ``serve``). Without
``PREFECT_API_URL`` it first starts a local Prefect server on 127.0.0.1 (its
UI shows every run by name, e.g. ``monthly-pack 2026-11 齐陵街道/南马村``) and
stops it on exit.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

from prefect.deployments.runner import RunnerDeployment
from prefect.schedules import Cron

from flows.district import fixity_audit_flow, monthly_pack_flow
from flows.messages import PREFECT_DID_NOT_START
from pipeline.errors import ExternalProgramError
from pipeline.programs.ports import free_port

TIMEZONE = "Asia/Shanghai"
MONTHLY_CRON = "0 6 1 * *"
WEEKLY_CRON = "0 3 * * 1"
SERVER_START_TIMEOUT = 120.0


def deployments(out: Path) -> list[RunnerDeployment]:
    """The scheduled deployments, writing printable documents under ``out``."""
    made = [
        monthly_pack_flow.to_deployment(
            name="monthly-packs",
            schedule=Cron(MONTHLY_CRON, timezone=TIMEZONE),
            parameters={"out": str(out)},
            description="每月1日：上月各村“五公开”材料与区汇总表 / the previous month's packs",
            tags=["xwql"],
        ),
        fixity_audit_flow.to_deployment(
            name="weekly-fixity",
            schedule=Cron(WEEKLY_CRON, timezone=TIMEZONE),
            description="每周一：全库固定性核验 / weekly fixity sweep (DA/T 70)",
            tags=["xwql"],
        ),
    ]
    # Outside an event loop to_deployment returns the deployment itself, not a coroutine.
    return [cast(RunnerDeployment, item) for item in made]


def describe(items: list[RunnerDeployment]) -> list[dict[str, Any]]:
    """Name, flow, schedules and parameters of each deployment (for ``serve --check``)."""
    return [
        {
            "name": item.name,
            "flow": item.flow_name,
            "schedules": [
                {"cron": s.schedule.cron, "timezone": s.schedule.timezone}  # type: ignore[union-attr]
                for s in item.schedules or []
            ],
            "parameters": item.parameters,
        }
        for item in items
    ]


@contextmanager
def local_server() -> Iterator[str]:
    """A Prefect server on 127.0.0.1 for as long as the block runs; yields its API URL.

    Raises:
        ExternalProgramError: It did not answer in time (its log says why).
    """
    port = free_port()
    home = Path(os.environ.get("PREFECT_HOME", "."))
    home.mkdir(parents=True, exist_ok=True)
    log = home / "server.log"
    argv = [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
            "--port", str(port)]  # fmt: skip
    with log.open("ab") as handle:
        process = subprocess.Popen(
            argv, stdout=handle, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}/api"
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while True:
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise ExternalProgramError(PREFECT_DID_NOT_START(log=log))
            time.sleep(0.5)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
