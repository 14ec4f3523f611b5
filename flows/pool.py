"""Runs on the workers of a Prefect work pool: deploy, ask, wait, and mark the lost.

A flow that fans out over several machines (``district-month --pool``) deploys the
flow each machine runs, asks for one run per piece of work and waits for them all;
a run whose machine is lost is marked Crashed. Nothing here knows what the runs do.
Each worker runs the deployed flow from the same project folder on its own machine
(``xwql district worker``).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast
from uuid import UUID

import httpx
from prefect import Flow
from prefect.client.orchestration import get_client
from prefect.client.schemas.objects import FlowRun, State, StateType, WorkerStatus
from prefect.deployments import run_deployment
from prefect.deployments.runner import RunnerDeployment
from prefect.events.actions import ChangeFlowRunState
from prefect.events.schemas.automations import AutomationCore, EventTrigger, Posture
from prefect.events.schemas.events import ResourceSpecification
from prefect.exceptions import ObjectNotFound
from prefect.settings import PREFECT_API_URL

from flows.messages import (
    NO_SUCH_POOL,
    NO_WORKER_ONLINE,
    POOL_NEEDS_SERVER,
    SERVER_UNREACHABLE,
)
from pipeline.errors import ExitCode, XwqlError

VILLAGE_RUN = "village-month"
"""The flow each worker runs for one village, and the start of its runs' names."""
HEARTBEAT_SECONDS = 30
"""How often a worker's run tells the server it is alive (``xwql district worker``)."""
MISSED_HEARTBEATS = 3
LOST_RUNS = "xwql: village runs whose worker is gone"
POLL_SECONDS = 2.0
_PROJECT = Path(__file__).resolve().parent.parent


class PoolUnusable(XwqlError):
    """The work pool asked for cannot take the runs (no such pool, no server)."""

    exit_code = ExitCode.USAGE


@dataclass(frozen=True)
class PoolRun:
    """A run asked of the pool: what it is for (``label``) and its flow run."""

    label: str
    run_id: UUID


def deploy_to_pool(flow: Flow[..., Any], entrypoint: str, pool: str) -> str:
    """Deploy ``flow`` (``entrypoint`` in this project) to ``pool``; the deployment's name.

    Also sets up, once per server, the watch that marks lost runs Crashed.

    Raises:
        PoolUnusable: No Prefect server is configured or reachable, it has no such
            pool, or no worker of the pool is online (the runs would wait for ever).
    """
    url = PREFECT_API_URL.value()
    if not url:
        raise PoolUnusable(POOL_NEEDS_SERVER())
    try:
        with get_client(sync_client=True) as client:
            try:
                client.read_work_pool(pool)
            except ObjectNotFound:
                raise PoolUnusable(NO_SUCH_POOL(pool=pool)) from None
            workers = client.read_workers_for_work_pool(pool)
            if not any(worker.status == WorkerStatus.ONLINE for worker in workers):
                raise PoolUnusable(NO_WORKER_ONLINE(pool=pool))
            if not client.read_automations_by_name(LOST_RUNS):
                client.create_automation(lost_runs_watch())
    except httpx.HTTPError as exc:
        raise PoolUnusable(SERVER_UNREACHABLE(url=url, error=exc)) from exc
    # Outside an event loop these return the flow and the deployment, not coroutines;
    # applied, not deploy()ed, which prints its own tables on the command's output.
    deployable = cast("Flow[..., Any]", flow.from_source(str(_PROJECT), entrypoint))
    deployment = cast(
        "RunnerDeployment",
        deployable.to_deployment(name=flow.name, work_pool_name=pool, tags=["xwql"]),
    )
    deployment.apply(work_pool_name=pool)
    return f"{flow.name}/{flow.name}"


def submit_run(deployment: str, label: str, name: str, parameters: Mapping[str, Any]) -> PoolRun:
    """Ask the pool for one run of ``deployment``, named ``name`` (a worker starts it)."""
    run = run_deployment(deployment, parameters=dict(parameters), timeout=0, flow_run_name=name)
    return PoolRun(label, cast("FlowRun", run).id)


def wait_for_runs(
    runs: list[PoolRun], ended: Callable[[PoolRun, FlowRun, State[Any]], None]
) -> None:
    """Wait for every run to end, calling ``ended`` with it and its final state as each does."""
    pending = {run.run_id: run for run in runs}
    with get_client(sync_client=True) as client:
        while pending:
            for run_id, run in list(pending.items()):
                flow_run = client.read_flow_run(run_id)
                state = flow_run.state
                if state is not None and state.is_final():
                    del pending[run_id]
                    ended(run, flow_run, state)
            if pending:
                time.sleep(POLL_SECONDS)


def lost_runs_watch() -> AutomationCore:
    """A run that stops beating (its worker killed, its machine down) is marked Crashed.

    Without it a lost run stays Running for ever, and so does the run that waits
    for it; marked Crashed, it is reported among the work not done, and the next
    run does it (the claims of a gone worker lapse).
    """
    ended = {f"prefect.flow-run.{name}" for name in ("Completed", "Failed", "Cancelled",
                                                       "Crashed")}  # fmt: skip
    return AutomationCore(
        name=LOST_RUNS,
        description="村的运行失去心跳即标记为崩溃 / a village run without heartbeats is crashed",
        trigger=EventTrigger(
            after={"prefect.flow-run.heartbeat"},
            expect={"prefect.flow-run.heartbeat", *ended},
            # Only the villages' runs: others (an office's own, the scheduled ones)
            # beat every 180 s by default and must not be judged by 90 s.
            match=ResourceSpecification({"prefect.resource.id": ["prefect.flow-run.*"],
                                         "prefect.resource.name": [f"{VILLAGE_RUN}*"]}),
            for_each={"prefect.resource.id"},
            posture=Posture.Proactive,
            threshold=1,
            within=dt.timedelta(seconds=HEARTBEAT_SECONDS * MISSED_HEARTBEATS),
        ),
        actions=[ChangeFlowRunState(
            name="Crashed", state=StateType.CRASHED, force=False,
            message="worker lost: no heartbeat / 失去心跳",
        )],
    )  # fmt: skip
