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

from pathlib import Path
from typing import Any, cast

from prefect.deployments.runner import RunnerDeployment
from prefect.schedules import Cron

from flows.district import fixity_audit_flow, monthly_pack_flow

TIMEZONE = "Asia/Shanghai"
MONTHLY_CRON = "0 6 1 * *"
WEEKLY_CRON = "0 3 * * 1"


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
