"""``xwql cases …`` and ``xwql notice``: case progress, steps, deadlines and notices."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from pipeline.cases.model import Case, StepRecord
from pipeline.cli._app import (
    JsonOption,
    app,
    cases_app,
    console,
    current_settings,
    err_console,
    parse_date,
    print_json,
    today,
)
from pipeline.errors import InputInvalid
from pipeline.rules.deadlines import case_due_date, overdue, step_due_dates
from pipeline.rules.flow import apply_step, next_step
from pipeline.workspace import Workspace


def _row(case: Case, workspace: Workspace) -> dict[str, object]:
    item = workspace.catalog.get(case.item_code)
    place = workspace.directory.find(case.village)
    pending = next_step(case, item)
    return {
        "case_id": case.case_id,
        "village": place.full_name if place else case.village,
        "item": f"{item.code} {item.name}",
        "applicant": case.applicant.name,
        "received_on": case.received_on.isoformat(),
        "status": case.status.value,
        "next_step": pending.name if pending else "",
        "due": (d.isoformat() if (d := case_due_date(case, item)) else ""),
        "irregularities": len(case.irregularities),
    }


@cases_app.command("list")
def cases_list(
    village: Annotated[str | None, typer.Option(help="Village name or code.")] = None,
    item: Annotated[str | None, typer.Option(help="Item code or alias.")] = None,
    status: Annotated[str | None, typer.Option(help="办理中 / 已办结 / 不予受理 / 已撤回")] = None,
    as_json: JsonOption = False,
) -> None:
    """List cases with their status, next step and due date.

    Example: xwql cases list --village 南马村
    """
    with Workspace.open(current_settings()) as workspace:
        code = workspace.directory.get(village).village.code if village else None
        item_code = workspace.catalog.get(item).code if item else None
        rows = [
            _row(case, workspace)
            for case in workspace.store.find(village=code, item_code=item_code, status=status)
        ]
    if as_json:
        print_json(rows)
        return
    table = Table(
        "办件 case", "村 village", "事项 item", "申请人", "受理", "状态", "下一步", "办结时限"
    )
    for row in rows:
        table.add_row(
            *(str(row[k]) for k in ("case_id", "village", "item", "applicant", "received_on")),
            str(row["status"]), str(row["next_step"]), str(row["due"]),
        )  # fmt: skip
    console.print(table)
    console.print(f"{len(rows)} 件 cases")


@cases_app.command("show")
def cases_show(case_id: str, as_json: JsonOption = False) -> None:
    """Show a case: applicants (full data: internal), steps, due dates, irregularities.

    Example: xwql cases show NM-2026-11-001
    """
    with Workspace.open(current_settings()) as workspace:
        case = workspace.store.get(case_id)
        item = workspace.catalog.get(case.item_code)
        dues = step_due_dates(case, item)
        history = workspace.store.history(case_id)
    if as_json:
        print_json(
            case.model_dump(mode="json")
            | {
                "due_dates": {d.step.id: d.due and d.due.isoformat() for d in dues},
                "versions": [
                    {"recorded_at": v.recorded_at.isoformat(), "source": v.source} for v in history
                ],
            }
        )
        return
    console.print(f"[bold]{case.case_id}[/] {item.code} {item.name} · {case.status.value}")
    console.print(f"申请人 {case.applicant.name} · 受理 {case.received_on}")
    console.print(f"首问负责人 {case.first_contact_officer}")
    table = Table("环节 step", "办理 actor", "日期 date", "时限 due", "备注")
    done = {r.step: r for r in case.steps}
    for due in dues:
        record = done.get(due.step.id)
        forced = f"强制：{record.forced_reason}" if record and record.forced_reason else ""
        table.add_row(
            due.step.name, record.actor if record else "", str(record.date) if record else "",
            str(due.due or ""), forced,
        )  # fmt: skip
    console.print(table)
    for irregularity in case.irregularities:
        err_console.print(
            f"[yellow]异常 irregularity:[/] {irregularity.message}（理由：{irregularity.reason}）"
        )


@cases_app.command("step")
def cases_step(
    case_id: str,
    step: Annotated[str, typer.Argument(help="Step id or name of the case's item.")],
    actor: Annotated[str, typer.Option(help="The body acting, as the catalog names it.")],
    date: Annotated[str, typer.Option(help="YYYY-MM-DD (default: today).")] = "",
    operator: Annotated[str | None, typer.Option(help="经办人.")] = None,
    outcome: Annotated[str, typer.Option(help="结果.")] = "",
    note: Annotated[str, typer.Option(help="备注.")] = "",
    meeting_record: Annotated[
        str | None, typer.Option(help="Meeting record (decision steps).")
    ] = None,
    by_proxy: Annotated[bool, typer.Option(help="Done by a proxy (代办).")] = False,
    force: Annotated[
        str | None, typer.Option(help="Administrator's written reason to record a refused step.")
    ] = None,
) -> None:
    """Record the next step of a case; refused if it breaks the item's rules.

    A refused step can be forced with --force "reason": it is then recorded as an
    irregularity (异常) for the supervision committee.

    Example: xwql cases step NM-2026-11-001 notice --actor 村民委员会 --date 2026-11-09
    """
    with Workspace.open(current_settings()) as workspace:
        case = workspace.store.get(case_id)
        item = workspace.catalog.get(case.item_code)
        wanted = next((s for s in item.steps if step in (s.id, s.name)), None)
        if wanted is None:
            choices = "、".join(f"{s.id}（{s.name}）" for s in item.steps)
            raise InputInvalid(f"{item.code} 没有步骤 {step!r} / no such step; steps: {choices}")
        record = StepRecord(
            step=wanted.id, actor=actor, date=parse_date(date) if date else today(),
            operator=operator, outcome=outcome, note=note, meeting_record=meeting_record,
            by_proxy=by_proxy,
        )  # fmt: skip
        updated = apply_step(case, item, record, force_reason=force)
        workspace.store.save(updated, source=f"xwql cases step {wanted.id}")
    console.print(f"[green]✓[/] {case_id}: {wanted.name} 已记录 recorded · {updated.status.value}")
    for irregularity in updated.irregularities[len(case.irregularities) :]:
        err_console.print(f"[yellow]已记为异常 recorded as irregularity:[/] {irregularity.message}")


@cases_app.command("overdue")
def cases_overdue(
    on: Annotated[str, typer.Option("--today", help="Reference day YYYY-MM-DD.")] = "",
    as_json: JsonOption = False,
) -> None:
    """List open cases past a step's deadline (限时办结), most late first.

    Example: xwql cases overdue --today 2026-11-30
    """
    day = parse_date(on) if on else today()
    with Workspace.open(current_settings()) as workspace:
        late = overdue(workspace.store.find(), workspace.catalog, day)
        names = {p.village.code: p.full_name for p in workspace.directory.villages}
    if as_json:
        print_json([vars(o) | {"due": o.due.isoformat()} for o in late])
        return
    table = Table("办件", "村", "事项", "待办环节", "应办结", "超期(工作日)", "超期(天)")
    for o in late:
        table.add_row(
            o.case_id, names.get(o.village, o.village), f"{o.item_code} {o.item_name}", o.step_name,
            o.due.isoformat(), str(o.working_days_late), str(o.calendar_days_late),
        )  # fmt: skip
    console.print(table)
    console.print(f"{len(late)} 件超期 overdue on {day}")


@app.command()
def notice(
    case_ids: Annotated[list[str] | None, typer.Argument(help="Case ids.")] = None,
    out: Annotated[Path, typer.Option(help="Output folder.")] = Path("out/notices"),
    village: Annotated[str | None, typer.Option(help="All notices of this village…")] = None,
    date: Annotated[str | None, typer.Option(help="…issued on this day (YYYY-MM-DD).")] = None,
    operator: Annotated[str, typer.Option(help="Who places the seal (用印经办人).")] = "xwql",
) -> None:
    """Write print-ready notices (公示, 结果公开) with seal and verification code.

    Example: xwql notice NM-2026-11-001 --out out/notices
    Example: xwql notice --village 南马村 --date 2026-11-09
    """
    from pipeline.documents.engine import DocumentEngine
    from pipeline.notices import NoticeIssuer, notice_jobs

    if not case_ids and not (village and date):
        raise InputInvalid(
            "给出办件编号，或 --village 与 --date / give case ids, or --village and --date"
        )
    settings = current_settings()
    with Workspace.open(settings) as workspace:
        if case_ids:
            cases = [workspace.store.get(case_id) for case_id in case_ids]
        else:
            assert village is not None
            cases = workspace.store.find(village=workspace.directory.get(village).village.code)
        day = parse_date(date) if date else None
        jobs = [
            job
            for case in cases
            for job in notice_jobs(
                case, workspace.catalog.get(case.item_code), workspace.directory.get(case.village)
            )
            if day is None or job.step.date == day
        ]
        if case_ids:
            # For named cases, the latest notice of each (a reprint gives the same sheet).
            latest = {job.case.case_id: job for job in jobs}
            jobs = list(latest.values())
        if not jobs:
            raise InputInvalid(
                "没有需要张贴的公示或结果公开 / no notice or result step recorded yet"
            )
        with (
            console.status("启动 LibreOffice / starting LibreOffice") as status,
            DocumentEngine.open(settings) as engine,
        ):
            issuer = NoticeIssuer(
                engine,
                workspace.store,
                supervision_phone=workspace.directory.district.supervision_phone,
                operator=operator,
                work=settings.data / "work" / "notices",
            )
            issued = issuer.issue_all(jobs, out, progress=lambda m: status.update(m))
    for files in issued:
        console.print(f"[green]✓[/] {files.public_pdf}  核验码 {files.notice.verification_code}")
    console.print(f"内部存档件 internal copies: {out / 'internal'}")
