"""``xwql cases …`` and ``xwql notice``: case progress, steps, deadlines and notices."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from pipeline.cli._app import (
    JsonOption,
    app,
    cases_app,
    console,
    current_settings,
    err_console,
    print_json,
    today,
)
from pipeline.cli.messages import FILE_THE_MINUTES, GIVE_A_LEDGER
from pipeline.config import Settings
from pipeline.errors import ExitCode, InputInvalid
from pipeline.rules.calendar import parse_iso_date
from pipeline.workspace import Workspace

if TYPE_CHECKING:
    from pipeline.cases.model import Case
    from pipeline.jobs.notices import NoticeRequest
    from pipeline.programs.converter_service.pool import Converter


def _row(case: Case, workspace: Workspace) -> dict[str, object]:
    from pipeline.jobs.cases import case_overview

    seen = case_overview(workspace, case, today())
    return {
        "case_id": case.case_id,
        "village": seen.place.full_name,
        "item": f"{seen.item.code} {seen.item.name}",
        "applicant": case.applicant.name,
        "received_on": case.received_on.isoformat(),
        "status": case.status.value,
        "next_step": seen.next_step.name if seen.next_step else "",
        "due": seen.case_due.isoformat() if seen.case_due else "",
        "irregularities": len(case.irregularities),
        "advisories": len(case.advisories),
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
    from pipeline.rules.deadlines import step_due_dates

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
    for advice in case.advisories:
        err_console.print(f"[cyan]提示 advice:[/] {advice.date} {advice.message}")


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
    irregularity (异常) for the supervision committee. A step that departs only from
    a flow still drafted is recorded with advice (提示) instead of refused.

    Example: xwql cases step NM-2026-11-001 notice --actor 村民委员会 --date 2026-11-09
    """
    from pipeline.jobs.cases import StepEntry, record_step

    entry = StepEntry(
        step=step, actor=actor, date=parse_iso_date(date) if date else today(),
        operator=operator, outcome=outcome, note=note, meeting_record=meeting_record,
        by_proxy=by_proxy, force_reason=force,
    )  # fmt: skip
    with Workspace.open(current_settings()) as workspace:
        done = record_step(workspace, case_id, entry, via="xwql cases step")
    console.print(
        f"[green]✓[/] {case_id}: {done.step.name} 已记录 recorded · {done.case.status.value}"
    )
    for irregularity in done.irregularities:
        err_console.print(f"[yellow]已记为异常 recorded as irregularity:[/] {irregularity.message}")
    for advice in done.advisories:
        err_console.print(f"[cyan]已记为提示 recorded as advice:[/] {advice.message}")


@cases_app.command("overdue")
def cases_overdue(
    on: Annotated[str, typer.Option("--today", help="Reference day YYYY-MM-DD.")] = "",
    as_json: JsonOption = False,
) -> None:
    """List open cases past a step's deadline (限时办结), most late first.

    Example: xwql cases overdue --today 2026-11-30
    """
    from pipeline.jobs.registers import overdue_register

    day = parse_iso_date(on) if on else today()
    with Workspace.open(current_settings()) as workspace:
        late = overdue_register(workspace, day)
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
    date: Annotated[str | None, typer.Option(help="…only those of this day (YYYY-MM-DD).")] = None,
    operator: Annotated[str, typer.Option(help="Who places the seal (用印经办人).")] = "xwql",
    archive: Annotated[bool, typer.Option(help="Also file each notice in the archive.")] = False,
) -> None:
    """Write print-ready notices (公示, 结果公开) with seal and verification code.

    With --archive each notice (the sheet as posted and its internal copy) is
    filed in the WORM archive; a reprint files nothing new.

    With the converter service up (``xwql converters up``) the service issues
    the notices, with this same code, and this command only shows its output.

    Example: xwql notice NM-2026-11-001 --out out/notices
    Example: xwql notice --village 南马村 --date 2026-11-09 --archive
    """
    from pipeline.programs.converter_service.pool import ServiceOrPool
    from pipeline.programs.fonts import ensure_sc_fonts

    command = NoticeCommand(case_ids or [], village, date, out, operator, archive)
    command.request()  # a usage error before LibreOffice starts
    settings = current_settings()
    if case_ids:
        # A named case gives one notice: two documents, joined into one LibreOffice call.
        settings = replace(
            settings, converter_workers=min(settings.converter_workers, len(case_ids))
        )
    # Notices are always converted: LibreOffice (or the service) gets ready while the
    # cases load and the sheets render.
    converters = ServiceOrPool(settings, ensure_sc_fonts(settings.data))
    converters.prepare()
    try:
        print_notices(settings, converters, command, console=console, err_console=err_console)
    finally:
        converters.stop()


@dataclass(frozen=True)
class NoticeCommand:
    """What ``xwql notice`` was asked for, as typed.

    Attributes:
        case_ids: The named cases (empty: all notices of ``village``).
        village: Village name or code, when no case is named.
        date: Only the notices of this day (YYYY-MM-DD), with ``village``.
        out: The output folder, as written to.
        operator: Who places the seal.
        archive: Also file each notice in the archive.
        shown_out: The output folder as the user gave it, for messages (the
            converter service writes to an absolute ``out``, and says what the
            user typed); ``out`` when unset.
    """

    case_ids: list[str]
    village: str | None
    date: str | None
    out: Path
    operator: str
    archive: bool
    shown_out: Path | None = None

    def request(self) -> NoticeRequest:
        """The notice job's request.

        Raises:
            InputInvalid: No case or village is named, or the date is not YYYY-MM-DD.
        """
        from pipeline.jobs.notices import NoticeRequest

        day = parse_iso_date(self.date) if self.date else None
        request = NoticeRequest(self.case_ids, self.village, day, self.out, self.operator)
        request.check()
        return request

    def shown(self, path: Path) -> Path:
        """``path`` (inside ``out``) as the user would write it."""
        if self.shown_out is None:
            return path
        return self.shown_out / path.relative_to(self.out)


def print_notices(
    settings: Settings,
    converters: Converter,
    command: NoticeCommand,
    *,
    console: Console,
    err_console: Console,
) -> None:
    """``xwql notice`` here or in the converter service: run the notice job, show what it did.

    Ends with ``typer.Exit`` when some notices failed; raises ``XwqlError`` for
    expected failures. ``converters`` are stopped once the notices are converted.
    """
    from pipeline.jobs.notices import archive_notices, issue_notices

    with console.status("启动 LibreOffice / starting LibreOffice") as status:
        done = issue_notices(
            settings, command.request(), converters=converters, progress=status.update
        )
    for files in done.issued:
        console.print(
            f"[green]✓[/] {command.shown(files.public_pdf)}  "
            f"核验码 {files.notice.verification_code}"
        )
    console.print(f"内部存档件 internal copies: {command.shown(command.out / 'internal')}")
    for archived in archive_notices(settings, done.issued) if command.archive else []:
        console.print(
            f"[green]✓[/] 归档 archived {archived.archival_code} ({archived.outcome.value})"
        )
    for job, error in done.failed:
        err_console.print(f"[red]✗[/] {job.file_stem}: {error}", highlight=False)
    if done.failed:
        err_console.print(
            f"{len(done.failed)} 份未生成 not written; {len(done.issued)} 份已生成 written"
        )
        raise typer.Exit(max(int(error.exit_code) for _, error in done.failed))


@app.command()
def intake(
    file: Annotated[Path | None, typer.Argument(help="Ledger: .xlsx, .csv or .json.")] = None,
    template: Annotated[bool, typer.Option(help="Write a blank ledger to fill in.")] = False,
    out: Annotated[Path | None, typer.Option(help="Where --template writes.")] = None,
    report: Annotated[
        Path | None, typer.Option(help="Error report (.xlsx or .csv); default beside the ledger.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Import a village ledger (台账), or write a blank one with --template.

    Every bad cell is reported with file, sheet, row and column; good rows are
    imported; the errors go to a report the clerk can open. Exit status 3 when
    rows were rejected. Importing the same ledger again changes nothing.

    Example: xwql intake 南马村-2026-11.xlsx
    Example: xwql intake --template --out 台账模板.xlsx
    """
    from pipeline.cases.store import Change
    from pipeline.intake import write_template_ledger
    from pipeline.intake.importing import import_ledger

    with Workspace.open(current_settings()) as workspace:
        if template:
            target = out or Path("台账模板.xlsx")
            write_template_ledger(target, workspace.catalog, workspace.directory)
            console.print(f"[green]✓[/] 空白台账 blank ledger: {target}")
            return
        if file is None:
            raise InputInvalid(GIVE_A_LEDGER())
        report_path = report or file.with_name(f"{file.stem}-导入问题.xlsx")
        outcome = import_ledger(file, workspace, report=report_path)
    result = outcome.result
    if as_json:
        print_json(
            {
                "rows_in": result.rows_in, "imported": result.rows_imported,
                "rejected": result.rows_rejected, "steps_in": result.steps_in,
                "changes": {k.value: v for k, v in outcome.changes.items()},
                "errors": [str(issue) for issue in result.errors],
                "warnings": [str(issue) for issue in result.warnings],
                "report": str(outcome.report) if outcome.report else None,
            }
        )  # fmt: skip
    else:
        for issue in result.errors:
            err_console.print(f"[red]✗[/] {issue}", highlight=False)
        for issue in result.warnings:
            err_console.print(f"[yellow]![/] {issue}", highlight=False)
        summary = result.summary()
        console.print(f"{summary.zh}\n{summary.en}")
        changes = outcome.changes
        console.print(
            f"新增 added {changes[Change.ADDED]} · 更新 updated {changes[Change.UPDATED]} · "
            f"未变 unchanged {changes[Change.UNCHANGED]}"
        )
        if outcome.report:
            console.print(f"问题清单 report: {outcome.report}")
    if not result.ok:
        raise typer.Exit(ExitCode.INPUT_INVALID)


@app.command()
def seals(
    village: Annotated[str | None, typer.Option(help="Only this village's seal.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Show the seal-use register (用印登记): every seal placed by xwql.

    Example: xwql seals --village 南马村
    """
    from pipeline.jobs.registers import seal_register

    with Workspace.open(current_settings()) as workspace:
        lines = seal_register(workspace, [workspace.directory.get(village)] if village else None)
    if as_json:
        print_json([line.as_dict() for line in lines])
        return
    table = Table("时间 time", "印章 seal", "文件 document", "页", "事由 purpose", "经办人")
    for line in lines:
        table.add_row(
            f"{line.placed_at:%Y-%m-%d %H:%M:%S}", line.organisation, line.document,
            str(line.page), line.purpose, line.operator,
        )  # fmt: skip
    console.print(table)


@cases_app.command("meetings")
def cases_meetings(
    village: Annotated[str, typer.Option(help="Village name or code.")],
    as_json: JsonOption = False,
) -> None:
    """List a village's meeting register: quorum, what fell short, the cases decided.

    Example: xwql cases meetings --village 南马村
    """
    from pipeline.jobs.meetings import village_meetings

    with Workspace.open(current_settings()) as workspace:
        seen = village_meetings(workspace, workspace.directory.get(village))
    if as_json:
        print_json([
            {
                "number": s.meeting.number, "kind": s.meeting.kind.value,
                "held_on": s.meeting.held_on.isoformat(), "members": s.meeting.members,
                "present": s.meeting.present, "quorum": s.quorum, "shortfalls": s.shortfalls,
                "advisory": s.advisory, "cases": s.meeting.cases,
            }
            for s in seen
        ])  # fmt: skip
        return
    table = Table("编号 number", "会议 kind", "日期 held", "应到/实到", "法定人数 quorum",
                  "办件 cases")  # fmt: skip
    for s in seen:
        table.add_row(
            s.meeting.number, s.meeting.kind.value, s.meeting.held_on.isoformat(),
            f"{s.meeting.members}/{s.meeting.present}", s.quorum or "—",
            "、".join(s.meeting.cases) or "—",
        )  # fmt: skip
    console.print(table)
    for s in seen:
        for shortfall in s.shortfalls:
            mark = "提示 advice" if s.advisory else "不符 falls short"
            err_console.print(f"[yellow]![/] {s.meeting.number} {mark}: {shortfall}")


@cases_app.command("minutes")
def cases_minutes(
    village: Annotated[str, typer.Option(help="Village name or code.")],
    numbers: Annotated[list[str] | None, typer.Argument(help="Meeting numbers; none: all.")] = None,
    out: Annotated[Path, typer.Option(help="Output folder.")] = Path("out/minutes"),
) -> None:
    """Print a village's meeting minutes (会议记录) for those present to sign.

    Example: xwql cases minutes "南马村〔2026〕3号会议记录" --village 南马村
    """
    from pipeline.jobs.meetings import print_minutes

    written = list(print_minutes(current_settings(), village, numbers or [], out))
    for pdf in written:
        console.print(f"[green]✓[/] {pdf}")
    if not written:
        err_console.print(f"[yellow]![/] {village}: 没有登记的会议 no meeting registered")


@cases_app.command("documents")
def cases_documents(
    case_ids: Annotated[list[str], typer.Argument(help="Case ids.")],
    out: Annotated[Path, typer.Option(help="Output folder.")] = Path("out/cases"),
    operator: Annotated[str, typer.Option(help="Who places the seal (用印经办人).")] = "xwql",
) -> None:
    """Write a case's internal documents: application, notification, receipt, proxy, minutes.

    These carry full personal data: they are for the case file, not for posting.
    The minutes are those of the registered meetings that decided the case.

    Example: xwql cases documents NM-2026-11-007 --out out/cases
    """
    from pipeline.jobs.cases import case_documents

    for done in case_documents(current_settings(), case_ids, out, operator=operator):
        for document in done.written:
            console.print(f"[green]✓[/] {document.pdf}")
        for kind in done.skipped:
            err_console.print(
                f"[yellow]![/] {done.case_id}: {kind.value} 未生成 not written — "
                f"{FILE_THE_MINUTES()}"
            )
