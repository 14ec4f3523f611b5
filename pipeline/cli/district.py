"""The district month through the Prefect flows: ``xwql demo``, ``district``, ``serve``.

``xwql demo`` runs the sample district month end to end; ``xwql district run`` a
district month, here or across a Prefect work pool, whose workers ``xwql district
worker`` starts; ``xwql serve`` the scheduled deployments.

Prefect is imported only inside the commands (``import pipeline`` stays free of it).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from pipeline.cli._app import (
    JsonOption,
    app,
    console,
    current_settings,
    district_app,
    print_json,
)
from pipeline.cli._flowrun import flow_progress, print_summary
from pipeline.cli.messages import EXPECTED_INCIDENTS, NO_SAMPLE_LEDGERS
from pipeline.config import Settings
from pipeline.errors import InputInvalid

if TYPE_CHECKING:
    from pipeline.organisations import Place

DEMO_ACTOR = "演示审计员 demo auditor"


@app.command()
def demo(
    out: Annotated[Path, typer.Option(help="Output folder.")] = Path("out/demo"),
    month: Annotated[str, typer.Option(help="The sample month, YYYY-MM.")] = "2026-11",
    village: Annotated[
        list[str] | None, typer.Option(help="Only these villages (repeatable; name or code).")
    ] = None,
) -> None:
    """Run the sample district month on the embedded defaults, end to end.

    Imports the sample ledgers of every village, publishes and archives the
    catalog, issues and archives the notices, files every finished case
    (signed case file, WORM archive, index), builds and archives each village's
    monthly pack and the district summary — through the Prefect flows — then
    searches the archive and verifies a case file. A second run does no new work.

    Example: xwql demo --out out/demo
    """
    from flows.district import district_month_flow
    from pipeline.organisations import load_district

    settings = current_settings()
    directory = load_district(settings.district_path)
    places = (
        [directory.get(name) for name in village]
        if village
        else [directory.get(v.code) for t in directory.district.towns for v in t.villages]
    )
    folder = settings.home / "examples" / "linzi" / "ledgers" / month
    names = {place.village.name for place in places}
    ledgers = sorted(p for p in folder.glob("*.xlsx") if p.name.split("-")[0] in names)
    if not ledgers:
        raise InputInvalid(NO_SAMPLE_LEDGERS(month=month, folder=folder))
    codes = [place.village.code for place in places] if village else None
    with flow_progress(settings, out, total=len(ledgers) + 2 + 3 * len(places)):
        summary = district_month_flow(
            month=month, ledgers=[str(p) for p in ledgers], villages=codes,
            out=str(out.resolve()),
        )  # fmt: skip
    print_summary(summary)
    console.print(f"[green]✓[/] 公示 notices:          {out / 'notices'}")
    console.print(f"[green]✓[/] 月度公开材料 packs:    {out / 'monthly'}")
    console.print(f"[green]✓[/] 区汇总表 summary:      {summary.files.get('district_summary')}")
    console.print(f"[green]✓[/] 清单与流程图 catalog:  {out / 'catalog'}")
    _show_a_search_and_a_verification(settings, out)
    _show_the_expected_incidents(settings)
    if summary.new_work == 0:
        console.print("无新工作 / nothing new: everything was archived already")
    _show_the_workspace_login(settings)
    _show_the_board(settings, places)
    console.print(f"[green]✓[/] 示例完成 demo done: {out}")


@district_app.command("run")
def district_run(
    month: Annotated[str, typer.Option(help="The month, YYYY-MM.")],
    pool: Annotated[
        str | None,
        typer.Option(help="A Prefect work pool: each village runs on one of its workers."),
    ] = None,
    ledger: Annotated[
        list[Path] | None, typer.Option(help="A ledger to import first (repeatable).")
    ] = None,
    village: Annotated[
        list[str] | None, typer.Option(help="Only these villages (repeatable; name or code).")
    ] = None,
    out: Annotated[Path, typer.Option(help="Output folder.")] = Path("out/district"),
    as_json: JsonOption = False,
) -> None:
    """Run a district month: notices, objections, case files, packs, catalog, summary.

    Without --pool every village runs in this process. With --pool the catalog is
    filed here first, each village's month runs on whichever worker of the pool
    takes it (start them with `xwql district worker --pool NAME`; PREFECT_API_URL
    names the Prefect server they share), and once all have ended the district
    summary is built here and archived once. Re-running does only what is not done.

    Example: xwql district run --month 2026-11 --pool xwql
    """
    from flows.district import district_month_flow
    from pipeline.organisations import load_district

    settings = current_settings()
    directory = load_district(settings.district_path)
    places = [directory.get(name) for name in village] if village else directory.villages
    ledgers = [str(path.resolve()) for path in ledger or []]
    steps = len(places) if pool else 4 * len(places)
    with flow_progress(settings, out, total=len(ledgers) + steps + 2):
        summary = district_month_flow(
            month=month, ledgers=ledgers, out=str(out.resolve()), pool=pool,
            villages=[place.village.code for place in places] if village else None,
        )  # fmt: skip
    if as_json:
        print_json({"month": month, "outcomes": summary.outcomes, "files": summary.files,
                    "refused": summary.refused})  # fmt: skip
        return
    print_summary(summary)
    console.print(f"[green]✓[/] 区汇总表 summary: {summary.files.get('district_summary')}")


@district_app.command("worker")
def district_worker(
    pool: Annotated[str, typer.Option(help="The Prefect work pool to take villages from.")],
    limit: Annotated[
        int, typer.Option(help="Villages run at once here (each uses every converter).")
    ] = 1,
) -> None:
    """Take villages' months from a work pool and run them here, until stopped (Ctrl-C).

    This machine's XWQL_DATA is its own; XWQL_DATABASE_URL, XWQL_INDEX_URL, the
    XWQL_S3_* settings, the keys and PREFECT_API_URL must be the fleet's
    (`xwql doctor` checks the keys). It is Prefect's process worker, started
    with xwql's Prefect settings.

    Example: xwql district worker --pool xwql
    """
    from flows import configure_prefect

    configure_prefect(current_settings())
    from flows.messages import POOL_NEEDS_SERVER
    from flows.pool import HEARTBEAT_SECONDS, PoolUnusable

    if not os.environ.get("PREFECT_API_URL"):
        raise PoolUnusable(POOL_NEEDS_SERVER())
    # Its runs beat as often as the lost-runs watch expects: a run lost with its
    # machine is marked Crashed, not waited for; a slower beat would look lost.
    os.environ["PREFECT_FLOWS_HEARTBEAT_FREQUENCY"] = str(HEARTBEAT_SECONDS)
    argv = [sys.executable, "-m", "prefect", "worker", "start", "--pool", pool,
            "--type", "process", "--limit", str(limit)]  # fmt: skip
    with contextlib.suppress(KeyboardInterrupt):
        raise typer.Exit(subprocess.run(argv, check=False).returncode)


DEMO_CLERK = "nm-demo"
"""The demo's clerk account of 南马村 (demo data only)."""


def _show_the_workspace_login(settings: Settings) -> None:
    """A ready clerk login for 南马村 and the workspace's address (a new password each run)."""
    from pipeline.accounts.model import AccountRole, Scope
    from pipeline.accounts.passwords import new_password
    from pipeline.accounts.store import AccountStore
    from pipeline.organisations import load_district

    password = new_password()
    store = AccountStore.of(settings)
    try:
        if store.get(DEMO_CLERK) is None:
            directory = load_district(settings.district_path)
            store.add(DEMO_CLERK, AccountRole.CLERK, Scope(village="南马村"), password, directory)
        else:
            store.set_password(DEMO_CLERK, password)
    finally:
        store.close()
    console.print(
        "\n[bold]工作台 workspace[/] (xwql web): http://127.0.0.1:8080/w  "
        f"南马村经办人 clerk login: {DEMO_CLERK} / {password}  (仅示例数据 demo data only)",
        highlight=False, soft_wrap=True,
    )  # fmt: skip


def _show_the_board(settings: Settings, places: list[Place]) -> None:
    """The village board's address, and a notice villagers may still object to today.

    Of the demo's villages, the notice whose period ends last; when every period
    has ended (the sample month is past), the last one, saying so.
    """
    from pipeline.jobs.board import village_notices
    from pipeline.rules.calendar import china_today
    from pipeline.workspace import Workspace

    today = china_today()
    with Workspace.open(settings) as workspace:
        notices = [
            notice
            for place in places
            for notice in village_notices(workspace, place.village.code, today)
            if notice.end is not None
        ]
    if not notices:
        return
    latest = max(notices, key=lambda notice: (notice.end or today, notice.code))
    base = settings.public_url
    period = f"公示至 {latest.end}"
    if not latest.in_period:
        period += "，已结束 ended: objections are closed, reports stay open"
    console.print(
        f"[bold]村务公开栏 board[/] (xwql web): {base}/v/{latest.village}\n"
        f"  {latest.title}: {base}/n/{latest.code}  ({period})",
        highlight=False, soft_wrap=True,
    )  # fmt: skip


def _show_a_search_and_a_verification(settings: Settings, out: Path) -> None:
    """Find an archived case file by a person's name and print its verification report."""
    from pipeline.archive.auditors import Auditor, Role
    from pipeline.cli._report import show_report
    from pipeline.jobs.audit import AuditDesk

    auditor = Auditor(DEMO_ACTOR, Role.AUDITOR)
    with AuditDesk.open(settings) as desk:
        sample = desk.session.index.search(kind="case_file", limit=1)
        if not sample.entries:
            return
        name = sample.entries[0].persons[0]
        found = desk.search(auditor, {"person": name, "kind": "case_file"}, limit=50, offset=0)
        console.print(f"\n[bold]检索 search[/] --person {name}: {found.total} 件 found")
        for entry in found.entries[:5]:
            console.print(f"  {entry.archival_code}  {entry.title}", highlight=False)
        code = found.entries[0].archival_code
        target = out / "audit"
        shutil.rmtree(target / code, ignore_errors=True)
        retrieved = desk.retrieve(auditor, code, target)
    downloaded, report = retrieved.downloaded, retrieved.report
    console.print(f"\n[bold]核验 verification[/] ({downloaded.folder})")
    if retrieved.sealed:
        console.print(f"  个人信息部分已加密 {retrieved.sealed} personal part(s) sealed: "
                      "the auditor role reads the public part only; `xwql audit get` opens "
                      "them for the internal role", highlight=False)  # fmt: skip
    show_report(report.as_dict())


def _show_the_expected_incidents(settings: Settings) -> None:
    """Sweep the archive as an auditor will, and say beforehand what it finds.

    The sample ledgers hold irregular cases on purpose (a step forced past the
    rules, with its written reason): a case file missing a document its item
    requires is an incident, and ``xwql audit verify --all`` exits 9 for it.
    """
    from pipeline.archive.auditors import Auditor, Role
    from pipeline.jobs.audit import AuditDesk

    auditor = Auditor(DEMO_ACTOR, Role.AUDITOR)
    with AuditDesk.open(settings, retries=0) as desk:
        reports = list(desk.verify(auditor, None))
    bad = [report for report in reports if not report.ok]
    found = EXPECTED_INCIDENTS(count=len(bad)) if bad else "无异常 no incident"
    console.print(
        f"\n[bold]全档核验 archive sweep[/]: {len(reports)} 个归档包 packages, {found}",
        highlight=False,
    )
    for report in bad:
        failed = report.failed()[0]
        console.print(f"  ! {report.archival_code} {report.title or ''}\n"
                      f"    {failed.name}: {failed.detail}", highlight=False)  # fmt: skip


@app.command()
def serve(
    out: Annotated[Path, typer.Option(help="Where scheduled runs write.")] = Path("out/scheduled"),
    check: Annotated[bool, typer.Option(help="Print the deployments and exit.")] = False,
) -> None:
    """Serve the scheduled deployments: monthly packs on the 1st, the fixity sweep weekly.

    Without PREFECT_API_URL a local Prefect server is started on 127.0.0.1 (its
    UI lists every run) and stopped on exit. Stop with Ctrl-C.

    Example: xwql serve --check
    """
    settings = current_settings()
    from flows import configure_prefect

    configure_prefect(settings)
    from flows.api import local_server
    from flows.serve import deployments, describe

    items = deployments(out.resolve())
    if check:
        print_json(describe(items))
        return
    from prefect import serve as prefect_serve

    with contextlib.ExitStack() as stack:
        if not os.environ.get("PREFECT_API_URL"):
            url = stack.enter_context(local_server())
            os.environ["PREFECT_API_URL"] = url
            console.print(f"Prefect UI: {url.removesuffix('/api')}")
        console.print("serving: " + ", ".join(item.name for item in items) + " (Ctrl-C stops)")
        prefect_serve(*items)
