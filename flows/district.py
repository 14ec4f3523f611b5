"""The district's flows: notices, case files, monthly packs, catalog, reindex, fixity sweep.

Tasks are a village's job (``pipeline.jobs``), never a page: the villages fan
out over a thread pool as wide as the LibreOffice pool, and every village's
pack waits for its own notices and case files (they write the seal register
the pack prints). The run's shared parts — case store, warm converters,
archive — are opened once per flow run (:func:`run_context`) and handed to the
tasks through this module, not as task parameters.

Resuming: every job skips what is archived from the same source, and each
village task is cached by Prefect under the content of what it reads (the
village's cases, the catalog, the bucket), so a re-run after a crash does only
the unfinished villages' work. A task whose units failed raises
:class:`VillageIncomplete` and is not cached; failures of the object store or
of LibreOffice are retried with back-off, then the flow fails naming every
unit that was not archived.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, cast

from prefect import Task, flow, task
from prefect.client.orchestration import get_client
from prefect.client.schemas.objects import FlowRun, State, TaskRun
from prefect.context import TaskRunContext
from prefect.futures import PrefectFuture, wait
from prefect.settings import PREFECT_API_URL
from prefect.states import Completed
from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner

from flows import log_file
from flows.messages import (
    DETAILS_IN_LOG,
    NOT_EVERYTHING_ARCHIVED,
    PACKAGES_WITH_INCIDENTS,
    UNITS_NOT_DONE,
    VILLAGE_RUN_ENDED,
)
from flows.pool import VILLAGE_RUN, PoolRun, deploy_to_pool, submit_run, wait_for_runs
from pipeline.archive.archiver import Archived, Outcome
from pipeline.archive.retrieval import rebuild_index
from pipeline.archive.verify import VerificationReport, sweep
from pipeline.cases.store import content_hash
from pipeline.config import Settings, load_settings
from pipeline.errors import ConversionError, ExitCode, StorageError, XwqlError
from pipeline.jobs import village as jobs
from pipeline.rules.calendar import china_today
from pipeline.units.filing import objection_source_sha256
from pipeline.units.packs.month import month_text, parse_month, previous_month

TRANSIENT = (StorageError, ConversionError)
RETRY_DELAYS: list[float] = [2, 10]

log = logging.getLogger(__name__)


class VillageIncomplete(XwqlError):
    """Some units of a village's job failed; the others were done."""

    exit_code = ExitCode.EXTERNAL_PROGRAM

    def __init__(self, job: str, village: str, failed: list[tuple[str, XwqlError]]) -> None:
        self.job, self.village = job, village
        self.units = [unit for unit, _ in failed]
        self.transient = all(isinstance(error, TRANSIENT) for _, error in failed)
        lines = [f"  - {unit}: {str(error).splitlines()[0]}" for unit, error in failed]
        head = UNITS_NOT_DONE(job=job, village=village, count=len(failed))
        super().__init__("\n".join([head, *lines]))

    def __reduce__(self) -> Any:
        return (XwqlError, (str(self),))


class RunIncomplete(XwqlError):
    """A flow finished with villages whose work could not be done (after retries)."""

    exit_code = ExitCode.EXTERNAL_PROGRAM
    rerun = True


# --- the run's shared parts ---------------------------------------------------------------


@dataclass
class _Run:
    context: jobs.JobContext
    progress: Callable[[str], None] = field(default=lambda message: None)


_RUN: _Run | None = None


def current() -> jobs.JobContext:
    """The open run's context (tasks run only inside :func:`run_context`)."""
    if _RUN is None:
        raise RuntimeError("no xwql run is open: call the flow, not the task")
    return _RUN.context


def _report(message: str) -> None:
    if _RUN is not None:
        _RUN.progress(message)


@contextlib.contextmanager
def run_context(
    settings: Settings,
    out: Path,
    *,
    issued_on: dt.date,
    progress: Callable[[str], None] | None = None,
) -> Iterator[jobs.JobContext]:
    """Open the run's store, converters and archive once; flows called inside share them."""
    global _RUN
    if _RUN is not None:  # a flow called from another flow, or from a command that opened it
        yield _RUN.context
        return
    prefect = _start_prefect()
    with jobs.JobContext.open(settings, out, issued_on=issued_on) as context:
        if prefect is not None:
            prefect.join()
        _RUN = _Run(context, progress or (lambda message: None))
        try:
            yield context
        finally:
            _RUN = None


def _start_prefect() -> threading.Thread | None:
    """Start Prefect's local API on a thread, while the store and the converters open.

    Without ``PREFECT_API_URL`` the first flow call starts a local API server and
    migrates its database (several seconds); started here, that overlaps with
    the object store's start and WORM check. Join the thread before calling a
    flow, so that the server answers by then. None when an API is configured.
    """
    if PREFECT_API_URL.value():  # a server of its own, or a test harness's
        return None

    def start() -> None:
        # A failure here is the flow call's to report: it starts the server again.
        with contextlib.suppress(Exception), get_client(sync_client=True) as client:
            client.api_healthcheck()

    starter = threading.Thread(target=start, name="prefect-start", daemon=True)
    starter.start()
    return starter


@contextlib.contextmanager
def _flow_context(out: str | None, issued_on: str | None) -> Iterator[jobs.JobContext]:
    """The context a flow runs in: the open one, or one opened from the settings."""
    settings = load_settings()
    day = dt.date.fromisoformat(issued_on) if issued_on else china_today()
    with run_context(settings, Path(out or "out"), issued_on=day) as context:
        yield context


# --- cache keys and retries ---------------------------------------------------------------


def _digest(*parts: object) -> str:
    canonical = json.dumps(parts, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _village_key(job: str) -> Callable[[TaskRunContext, dict[str, Any]], str]:
    """Cache key of a village task: the job, the village's cases, the catalog, the bucket."""

    def key(_: TaskRunContext, parameters: dict[str, Any]) -> str:
        context = current()
        place = context.place(parameters["village"])
        cases = sorted(content_hash(c) for c in context.workspace.store.find(
            village=place.village.code))  # fmt: skip
        kept = context.workspace.objections.find(villages=[place.village.code])
        objections = sorted(objection_source_sha256(o) for o in kept)
        store = context.session.store
        return _digest(
            job, parameters, cases, objections, context.workspace.catalog.edition.version,
            store.url, store.bucket, str(context.out.resolve()), context.issued_on,
        )  # fmt: skip

    return key


def _transient(task: Task[Any, Any], task_run: TaskRun, state: State[Any]) -> bool:
    """Retry a failure of the object store or LibreOffice, not a bad input."""
    try:
        state.result()
    except VillageIncomplete as exc:
        return exc.transient
    except TRANSIENT:
        return True
    except BaseException:
        return False
    return False


# A failure of the object store or LibreOffice is retried with back-off (see _transient).
_RETRIED: dict[str, Any] = {
    "retries": len(RETRY_DELAYS), "retry_delay_seconds": RETRY_DELAYS,
    "retry_condition_fn": _transient,
}  # fmt: skip


def _village_task(job: str, name: str) -> Callable[[Callable[..., Any]], Task[Any, Any]]:
    return task(
        name=job,
        task_run_name=name,
        cache_key_fn=_village_key(job),
        persist_result=True,
        **_RETRIED,
    )


def _checked(job: str, result: jobs.VillageResult) -> list[Archived]:
    if result.failed:
        raise VillageIncomplete(job, result.village, result.failed)
    return result.archived


# --- tasks: one pipeline job each -----------------------------------------------------------


@task(name="import-ledger", task_run_name="import {path}")
def import_ledger_task(path: str) -> list[str]:
    """Import one ledger file; what it refused, each problem located (文件 工作表 行 列)."""
    outcome = jobs.import_ledger_file(current(), Path(path))
    _report(f"导入 {Path(path).name}")
    return [f"{issue.file} {issue.location.describe().zh}：{issue.problem.zh}"
            for issue in outcome.result.errors]  # fmt: skip


@_village_task("notices", "notices {month} {label}")
def notices_task(village: str, label: str, month: str | None) -> list[Archived]:
    """Issue and archive a village's notices of the month."""
    result = jobs.village_notices(current(), village, parse_month(month) if month else None)
    _report(f"公示 {label}")
    return _checked("notices", result)


@_village_task("case-files", "case-files {label}")
def case_files_task(village: str, label: str) -> list[Archived]:
    """Archive a village's finished case files."""
    result = jobs.village_case_files(current(), village)
    _report(f"案卷 {label}")
    return _checked("case-files", result)


@_village_task("objections", "objections {label}")
def objections_task(village: str, label: str) -> list[Archived]:
    """Archive the records of a village's objections and reports (异议, 反映问题)."""
    result = jobs.village_objections(current(), village)
    _report(f"异议 {label}")
    return _checked("objections", result)


@_village_task("monthly-pack", "monthly-pack {month} {label}")
def monthly_pack_task(village: str, label: str, month: str) -> list[Archived]:
    """Build, sign and archive a village's monthly pack."""
    try:
        done = jobs.village_monthly_pack(current(), village, parse_month(month))
    except XwqlError as exc:
        raise VillageIncomplete("monthly-pack", village, [(f"{month} {label}", exc)]) from exc
    _report(f"公开材料 {label}")
    return [done]


@task(name="district-summary", task_run_name="district-summary {month}", **_RETRIED)
def district_summary_task(month: str, villages: list[str] | None) -> tuple[str, list[Archived]]:
    """Write the district summary and archive the whole district's; its PDF's path."""
    summary, done = jobs.district_summary(current(), parse_month(month), villages)
    _report("区汇总表 district summary")
    return str(summary.pdf), [done] if done is not None else []


@task(name="catalog-publish", task_run_name="catalog-publish", **_RETRIED)
def catalog_task() -> list[Archived]:  # fmt: skip
    """Publish and archive the catalog edition (skipped when archived and present)."""
    _, done = jobs.publish_and_archive_catalog(current())
    _report("清单与流程图 catalog")
    return [done]


# --- flows ---------------------------------------------------------------------------------------


@dataclass
class RunSummary:
    """What a flow did: units per outcome, and the villages' failures."""

    outcomes: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    """What the ledgers' import refused, located: the clerks' to correct."""
    files: dict[str, str] = field(default_factory=dict)
    units: list[Archived] = field(default_factory=list)

    def add(self, archived: list[Archived]) -> None:
        """Keep ``archived`` and count it by outcome."""
        for done in archived:
            self.count({done.outcome.value: 1})
            self.units.append(done)

    def count(self, outcomes: dict[str, int]) -> None:
        """Count units done elsewhere (a worker's run), by outcome."""
        for outcome, number in outcomes.items():
            self.outcomes[outcome] = self.outcomes.get(outcome, 0) + number

    @property
    def new_work(self) -> int:
        """Units archived in this run (not unchanged)."""
        return sum(n for outcome, n in self.outcomes.items() if outcome != Outcome.UNCHANGED)


def _villages(context: jobs.JobContext, villages: list[str] | None) -> list[tuple[str, str]]:
    """(code, 镇/村 label) of the villages asked for, or of the whole district."""
    directory = context.workspace.directory
    places = (
        [directory.get(v) for v in villages]
        if villages
        else [directory.get(v.code) for t in directory.district.towns for v in t.villages]
    )
    return [(p.village.code, f"{p.town.name}/{p.village.name}") for p in places]


def _collect(summary: RunSummary, futures: list[PrefectFuture[list[Archived]]]) -> None:
    wait(futures)
    for future in futures:
        state = future.state
        if state.is_completed():
            archived = future.result()
            if state.name == "Cached":  # done by an earlier run: nothing was done now
                archived = [replace(a, outcome=Outcome.UNCHANGED, objects=0, bytes=0)
                            for a in archived]  # fmt: skip
            summary.add(archived)
        else:
            try:
                future.result()
            except Exception as exc:  # an upstream failure or a crash: report them all
                if not isinstance(exc, XwqlError):  # a crash: its traceback is for the log
                    log.error("%s failed", future.task_run_id, exc_info=exc)
                summary.failures.append(str(exc).strip() or type(exc).__name__)


def _finish(summary: RunSummary) -> RunSummary:
    if summary.failures:
        lines = [NOT_EVERYTHING_ARCHIVED(), *summary.failures, DETAILS_IN_LOG(log=log_file())]
        raise RunIncomplete("\n".join(lines))
    return summary


def _runner() -> TaskRunner[PrefectFuture[Any]]:
    """Enough village tasks at once to fill every converter's batch.

    A village's documents go one after another (render, convert, stamp, sign,
    archive); with many villages at once the documents waiting for LibreOffice
    are converted together, and the converters are not idle while a village
    stamps or uploads.
    """
    settings = load_settings()
    runner: ThreadPoolTaskRunner[Any] = ThreadPoolTaskRunner(
        max_workers=max(1, settings.converter_workers * settings.conversion_batch)
    )
    return cast("TaskRunner[PrefectFuture[Any]]", runner)  # its future type is a subtype


@flow(name="district-month", task_runner=_runner(), flow_run_name="district-month {month}")
def district_month_flow(
    month: str,
    ledgers: list[str] | None = None,
    villages: list[str] | None = None,
    out: str | None = None,
    issued_on: str | None = None,
    pool: str | None = None,
) -> RunSummary:
    """The district month: ledgers, notices, objections, case files, packs, summary, catalog.

    Without ``pool`` every village's work runs in this process; with a Prefect
    work pool, the catalog is filed here first, then each village runs on
    whichever worker of the pool takes it (:func:`village_month_flow`), and the
    district summary is built here from the shared case store once all have
    ended, and archived once.
    """
    summary = RunSummary()
    with _flow_context(out, issued_on) as context:
        # The pool is checked before anything is imported or filed.
        deployment = deploy_to_pool(village_month_flow, VILLAGE_ENTRYPOINT, pool) if pool else None
        for path in ledgers or []:
            summary.refused += import_ledger_task(path)
        chosen = _villages(context, villages)
        if deployment:
            # Filed here, once, before any worker starts: the workers never touch it.
            summary.add(catalog_task())
            _on_pool(summary, deployment, chosen, month, context)
        else:
            # The booklet needs nothing of the villages' work: it runs alongside.
            _collect(summary, [catalog_task.submit(), *_village_stages(chosen, month)])
        _summarise(summary, month, chosen, villages)
    return _finish(summary)


def _village_stages(
    chosen: list[tuple[str, str]], month: str
) -> list[PrefectFuture[list[Archived]]]:
    """Each village's notices, objections, case files and pack, as tasks of this run.

    Submitted stage by stage: a task waiting for its village's previous stage
    holds a worker thread, so every runnable task must be queued before it.
    """
    notices = {code: notices_task.submit(code, label, month) for code, label in chosen}
    objections = [objections_task.submit(code, label) for code, label in chosen]
    files = {
        code: case_files_task.submit(code, label, wait_for=[notices[code]])
        for code, label in chosen
    }
    packs = [
        monthly_pack_task.submit(code, label, month, wait_for=[files[code]])
        for code, label in chosen
    ]
    return [*notices.values(), *objections, *files.values(), *packs]


# --- the villages on the workers of a pool ------------------------------------------------


@flow(name=VILLAGE_RUN, task_runner=_runner(), flow_run_name=VILLAGE_RUN + " {month} {village}")
def village_month_flow(
    village: str, month: str, out: str | None = None, issued_on: str | None = None
) -> State[Any]:
    """One village's month on a worker: notices, objections, case files, monthly pack.

    What :func:`district_month_flow` runs for each village when given a pool; the
    final state's message carries the units per outcome back to it, as JSON.
    """
    summary = RunSummary()
    with _flow_context(out, issued_on) as context:
        _collect(summary, _village_stages(_villages(context, [village]), month))
    _finish(summary)
    return Completed(message=json.dumps(summary.outcomes))


VILLAGE_ENTRYPOINT = "flows/district.py:village_month_flow"


def _on_pool(
    summary: RunSummary, deployment: str, chosen: list[tuple[str, str]], month: str,
    context: jobs.JobContext,
) -> None:  # fmt: skip
    """Run each village of ``chosen`` on a worker of the pool; count what each did."""
    parameters = {"month": month, "out": str(context.out.resolve()),
                  "issued_on": context.issued_on.isoformat()}  # fmt: skip
    runs = [
        submit_run(deployment, label, f"{VILLAGE_RUN} {month} {label}",
                   parameters | {"village": code})
        for code, label in chosen
    ]  # fmt: skip

    def ended(run: PoolRun, flow_run: FlowRun, state: State[Any]) -> None:
        try:
            outcomes = json.loads(state.message or "{}") if state.is_completed() else None
        except ValueError:  # completed by hand (the UI): what it did is not known
            outcomes = {}
        if isinstance(outcomes, dict):
            summary.count(outcomes)
        else:
            host = (flow_run.infrastructure_pid or "?").rpartition(":")[0] or "?"
            summary.failures.append(VILLAGE_RUN_ENDED(
                village=run.label, state=state.name, host=host, message=state.message or ""
            ))  # fmt: skip
        _report(f"村 {run.label}")

    wait_for_runs(runs, ended)


def _summarise(
    summary: RunSummary, month: str, chosen: list[tuple[str, str]], villages: list[str] | None
) -> None:
    """The district summary of the villages run, once every one of them is done."""
    if not summary.failures:
        codes = [code for code, _ in chosen] if villages else None
        pdf, archived = district_summary_task(month, codes)
        summary.files["district_summary"] = pdf
        summary.add(archived)


def _fan_out(
    submit: Callable[[str, str], PrefectFuture[list[Archived]]],
    context: jobs.JobContext,
    villages: list[str] | None,
) -> RunSummary:
    """One task per village (code, label), collected into a summary."""
    summary = RunSummary()
    _collect(summary, [submit(code, label) for code, label in _villages(context, villages)])
    return summary


@flow(name="notices", task_runner=_runner(), flow_run_name="notices {month}")
def notice_flow(
    month: str | None = None,
    villages: list[str] | None = None,
    out: str | None = None,
    issued_on: str | None = None,
) -> RunSummary:
    """Issue and archive the notices of the month (all months when None)."""
    with _flow_context(out, issued_on) as context:
        summary = _fan_out(lambda code, label: notices_task.submit(code, label, month),
                           context, villages)  # fmt: skip
    return _finish(summary)


@flow(name="case-files", task_runner=_runner(), flow_run_name="case-files")
def case_file_flow(
    villages: list[str] | None = None, out: str | None = None, issued_on: str | None = None
) -> RunSummary:
    """File every finished case: case file → signature → archive → index."""
    with _flow_context(out, issued_on) as context:
        summary = _fan_out(case_files_task.submit, context, villages)
    return _finish(summary)


@flow(name="monthly-packs", task_runner=_runner(), flow_run_name="monthly-packs {month}")
def monthly_pack_flow(
    month: str | None = None,
    villages: list[str] | None = None,
    out: str | None = None,
    issued_on: str | None = None,
) -> RunSummary:
    """Every village's monthly pack (the previous month by default) and the district summary."""
    chosen_month = month or month_text(previous_month(china_today()))
    with _flow_context(out, issued_on) as context:
        summary = _fan_out(
            lambda code, label: monthly_pack_task.submit(code, label, chosen_month),
            context, villages,
        )  # fmt: skip
        _summarise(summary, chosen_month, _villages(context, villages), villages)
    return _finish(summary)


@flow(name="catalog-publish", flow_run_name="catalog-publish")
def catalog_publish_flow(out: str | None = None, issued_on: str | None = None) -> RunSummary:
    """Publish the catalog booklet and archive the edition."""
    summary = RunSummary()
    with _flow_context(out, issued_on):
        summary.add(catalog_task())
    return summary


@flow(name="reindex", flow_run_name="reindex")
def reindex_flow() -> dict[str, Any]:
    """Rebuild the search index from the bucket alone."""
    from pipeline.archive.session import ArchiveSession

    with ArchiveSession.open(load_settings(), writing=False) as session:
        rebuilt = rebuild_index(session.store, session.index, session.sealer)
    return {"entries": rebuilt.entries, "accesses": rebuilt.accesses, "skipped": rebuilt.skipped}


@flow(name="fixity-audit", flow_run_name="fixity-audit")
def fixity_audit_flow() -> dict[str, Any]:
    """Sweep the whole archive (DA/T 70's four checks); fail the run on any incident."""
    from pipeline.archive.session import ArchiveSession
    from pipeline.workspace import Workspace

    settings = load_settings()
    reports: list[VerificationReport] = []
    with (
        ArchiveSession.open(settings, writing=False, retries=0) as session,
        Workspace.open(settings) as workspace,
    ):
        verifier = session.verifier(workspace.catalog, workspace.directory)
        reports = list(sweep(session.store, verifier, session.index))
    failed = [r for r in reports if not r.ok]
    if failed:
        lines = [f"  - {r.archival_code}: {', '.join(c.name for c in r.failed())}" for r in failed]
        head = PACKAGES_WITH_INCIDENTS(count=len(failed))
        raise RunIncomplete("\n".join([head, *lines]))
    return {"packages": len(reports), "incidents": 0}
