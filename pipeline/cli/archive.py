"""``xwql archive …``, ``xwql audit …`` and ``xwql auditors …``: the e-archive."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.progress import Progress
from rich.table import Column, Table

from pipeline.archive.auditors import TOKEN_ENV, Auditor, AuditorRegistry, Role
from pipeline.cli._app import (
    JsonOption,
    archive_app,
    audit_app,
    auditors_app,
    console,
    current_settings,
    err_console,
    print_json,
    today,
)
from pipeline.cli._report import show_report
from pipeline.cli.messages import (
    CASES_NOT_ARCHIVED,
    NAME_CASES_VILLAGE_OR_ALL,
    NAME_CODES_OR_ALL,
    NO_SUCH_USER,
    OUTSIDE_EVERY_PACKAGE,
    SEALED_FOR_INTERNAL,
    TIMESTAMPS_EXPIRING,
)
from pipeline.config import Settings
from pipeline.errors import ExitCode, InputInvalid, XwqlError
from pipeline.rules.calendar import parse_iso_date

if TYPE_CHECKING:
    from pipeline.archive.archiver import Archived

TokenFileOption = Annotated[
    Path | None,
    typer.Option("--token-file", help=f"File holding your audit token (else ${TOKEN_ENV})."),
]


def _auditor(settings: Settings, token_file: Path | None) -> Auditor:
    token = token_file.read_text(encoding="utf-8") if token_file else os.environ.get(TOKEN_ENV)
    with contextlib.closing(AuditorRegistry.of(settings)) as users:
        return users.authenticate(token)


# --- archive -----------------------------------------------------------------------------------


@archive_app.command("case")
def archive_case(
    case_ids: Annotated[list[str] | None, typer.Argument(help="Case ids.")] = None,
    village: Annotated[
        str | None, typer.Option(help="Every finished case of this village.")
    ] = None,
    all_cases: Annotated[bool, typer.Option("--all", help="Every finished case.")] = False,
    operator: Annotated[str, typer.Option(help="Who places the seals (用印经办人).")] = "xwql",
    as_json: JsonOption = False,
) -> None:
    """File finished cases: case file (案卷) → village signature → WORM bucket → index.

    Archiving the same case again adds nothing; a changed case becomes a new
    version linked to the old one. A run that was interrupted is finished first.

    Example: xwql archive case NM-2026-11-002
    Example: xwql archive case --village 南马村
    """
    if not (case_ids or village or all_cases):
        raise InputInvalid(NAME_CASES_VILLAGE_OR_ALL())
    settings = current_settings()
    if case_ids:
        rows, failed = _file_named_cases(settings, case_ids, operator)
    else:  # a batch: through the case-files flow, with its run record
        rows, failed = [_outcome_row(done) for done in _case_files_flow(settings, village)], []
    if as_json:
        print_json(rows)
    else:
        table = Table("办件 case", Column("档号 archival code", no_wrap=True), "结果 outcome",
                      "版本 version")  # fmt: skip
        for row in rows:
            if "error" not in row:
                table.add_row(*(str(row[k]) for k in ("case", "code", "outcome", "version")))
        console.print(table)
        if not rows:
            console.print("没有已办结的办件 / no finished case to archive")
    if failed:
        err_console.print(CASES_NOT_ARCHIVED(count=len(failed)))
        raise typer.Exit(max(int(error.exit_code) for error in failed))


def _file_named_cases(
    settings: Settings, case_ids: list[str], operator: str
) -> tuple[list[dict[str, object]], list[XwqlError]]:
    """File the named cases directly (no flow: one case stays quick); rows and failures."""
    from pipeline.jobs.village import JobContext, file_cases

    with (
        JobContext.open(settings, Path("out"), issued_on=today(), operator=operator) as context,
        Progress(console=err_console, transient=True) as progress,
    ):
        task = progress.add_task("归档 archiving", total=len(case_ids))

        def advance(case_id: str) -> None:
            progress.update(task, description=f"归档 {case_id}", advance=1)

        done, failed = file_cases(context, case_ids, progress=advance)
    for case_id, exc in failed:
        err_console.print(f"[red]✗[/] {case_id}: {exc}", highlight=False)
    rows = [_outcome_row(archived) for archived in done]
    rows += [{"case": case_id, "error": str(exc)} for case_id, exc in failed]
    return rows, [exc for _, exc in failed]


def _case_files_flow(settings: Settings, village: str | None) -> list[Archived]:
    """Every finished case of ``village`` (or of the district) through the case-files flow."""
    from flows.district import case_file_flow
    from pipeline.cli._flowrun import flow_progress
    from pipeline.organisations import load_district

    directory = load_district(settings.district_path)
    codes = [directory.get(village).village.code] if village else None
    total = 1 if village else sum(len(t.villages) for t in directory.district.towns)
    with flow_progress(settings, Path("out"), total=total):
        return case_file_flow(villages=codes).units


def _outcome_row(done: Archived) -> dict[str, object]:
    return {
        "case": done.unit.removeprefix("case_file/"),
        "code": done.archival_code,
        "outcome": done.outcome.value,
        "version": done.version,
    }


@archive_app.command("reindex")
def archive_reindex(as_json: JsonOption = False) -> None:
    """Rebuild the search index (and the access log's copy) from the bucket alone.

    Runs the reindex flow (a run record in Prefect).

    Example: xwql archive reindex
    """
    from flows import configure_prefect

    configure_prefect(current_settings())
    from flows.district import reindex_flow

    with console.status("重建检索库 / rebuilding the index (reindex flow)"):
        rebuilt = reindex_flow()
    if as_json:
        print_json({"entries": rebuilt["entries"], "accesses": rebuilt["accesses"],
                    "skipped": [{"code": c, "why": w} for c, w in rebuilt["skipped"]]})  # fmt: skip
        return
    console.print(
        f"[green]✓[/] 检索库已重建 index rebuilt: {rebuilt['entries']} entries, "
        f"{rebuilt['accesses']} access-log lines restored"
    )
    for code, why in rebuilt["skipped"]:
        err_console.print(f"[yellow]![/] {code}: {why}", highlight=False)


@archive_app.command("rotate-key")
def archive_rotate_key(as_json: JsonOption = False) -> None:
    """Seal from now on with a new archive key; the keyring keeps the old ones.

    Packages filed before stay as they are (locked objects are never rewritten)
    and open with the key that sealed them. Back up the keyring afterwards. When this
    worker's keyring was the fleet's, the rotated one becomes the fleet's: copy it to
    every other worker, which is refused until it has it.

    Example: xwql archive rotate-key
    """
    from pipeline.archive.fleet import keyring_rotated
    from pipeline.archive.sealing import load_keyring

    settings = current_settings()
    before = load_keyring(settings, create=True)
    rotated = before.rotated()
    fleet = keyring_rotated(settings, before, rotated)
    if as_json:
        print_json({"current": rotated.current, "keys": sorted(rotated.keys),
                    "keyring": str(rotated.path), "fleet": fleet})  # fmt: skip
        return
    console.print(
        f"[green]✓[/] 新档案密钥 new archive key: {rotated.current} "
        f"({len(rotated.keys)} keys in {rotated.path}); back this file up now",
        highlight=False,
    )
    if fleet:
        console.print(
            "集群档案密钥已更新 the fleet's archive keyring is now this one: copy it to every "
            "other worker (or to where their XWQL_ARCHIVE_KEYS points), which is refused until "
            "it has it",
            highlight=False,
        )


@archive_app.command("retimestamp")
def archive_retimestamp(
    codes: Annotated[list[str] | None, typer.Argument(help="Archival codes (档号).")] = None,
    within: Annotated[
        float, typer.Option(help="Renew every signed package whose timestamp ends within N years.")
    ] = 2.0,
    as_json: JsonOption = False,
) -> None:
    """Add a new document timestamp to signed packages before their newest one ends.

    The update is stored beside the package (timestamps/<code>/), never in it:
    the locked objects are not touched. Without codes every package is checked
    and those due within --within years are renewed. Logged.

    Example: xwql archive retimestamp --within 2
    """
    from pipeline.archive.renewal import renew_timestamp, timestamp_until
    from pipeline.archive.retrieval import archived_codes, log_access
    from pipeline.archive.session import ArchiveSession
    from pipeline.errors import SigningError

    settings = current_settings()
    renewed, failed = [], []
    with ArchiveSession.open(settings, writing=True) as session:
        store, sealer, keys = session.store, session.sealer, session.keys
        if codes:
            due = list(codes)
        else:
            horizon = dt.timedelta(days=365.25 * within)
            # Every package is fetched and its signed file checked: a progress bar, not a
            # silent wait, over a district's thousands of packages.
            codes_archived = archived_codes(store)
            held = []
            with Progress(console=err_console, transient=True) as progress:
                task = progress.add_task("查找到期的时间戳 / finding timestamps due",
                                         total=len(codes_archived))  # fmt: skip
                for code in codes_archived:
                    # A package without a main PDF has nothing to renew.
                    with contextlib.suppress(SigningError):
                        held.append(timestamp_until(store, sealer, keys, code))
                    progress.advance(task)
                due = [h.archival_code for h in held if h.due(horizon)]
        for code in due:
            try:
                done = renew_timestamp(
                    store, sealer, keys, code, permanent_years=settings.permanent_retention_years
                )
            except XwqlError as exc:
                failed.append({"code": code, "why": str(exc)})
                continue
            log_access(store, session.index, actor=_operator(), role="operator",
                       action="retimestamp", what=code)  # fmt: skip
            renewed.append(done)
    if as_json:
        print_json({
            "renewed": [{"code": r.archival_code, "key": r.key, "level": r.level,
                         "timestamps": r.timestamps,
                         "until": r.until.isoformat() if r.until else None} for r in renewed],
            "failed": failed,
        })  # fmt: skip
    else:
        for r in renewed:
            until = f"{r.until:%Y-%m-%d}" if r.until else "—"
            console.print(
                f"[green]✓[/] {r.archival_code}: PAdES {r.level}, "
                f"{r.timestamps} timestamps, holds until {until}",
                highlight=False,
            )
        for f in failed:
            err_console.print(f"[red]✗[/] {f['why']}", highlight=False)
        console.print(f"{len(renewed)} 个续加 renewed, {len(failed)} 个失败 failed")
    if failed:
        raise typer.Exit(ExitCode.INCIDENT)


@archive_app.command("hold")
def archive_hold(
    code: Annotated[str, typer.Argument(help="Archival code (档号).")],
    release: Annotated[bool, typer.Option(help="Release the hold instead.")] = False,
) -> None:
    """Put every object of a package under legal hold (or release it).

    A held object cannot be deleted even after its retention ends. Holding and
    releasing are written to the access log.

    Example: xwql archive hold LZ-QL-001-2026-D30-QL.NM-022-0001
    """
    from pipeline.archive.retrieval import log_access, set_legal_hold
    from pipeline.archive.session import ArchiveSession

    with ArchiveSession.open(current_settings(), writing=False) as session:
        count = set_legal_hold(session.store, code, on=not release)
        log_access(
            session.store, session.index, actor=_operator(), role="operator",
            action="release-hold" if release else "hold", what=code,
        )  # fmt: skip
    verb = "解除 released" if release else "冻结 held"
    console.print(f"[green]✓[/] {code}: {count} objects {verb}")


def _operator() -> str:
    import getpass

    return getpass.getuser() or "unknown"


# --- audit -------------------------------------------------------------------------------------


@audit_app.command("search")
def audit_search(
    text: Annotated[str | None, typer.Argument(help="Free text: titles, reasons, names…")] = None,
    village: Annotated[str | None, typer.Option(help="Village code or name.")] = None,
    town: Annotated[str | None, typer.Option(help="Town name.")] = None,
    item: Annotated[str | None, typer.Option(help="Item code or name.")] = None,
    person: Annotated[str | None, typer.Option(help="Person name (part of one).")] = None,
    exact: Annotated[bool, typer.Option(help="--person is a whole name.")] = False,
    id_number: Annotated[
        str | None, typer.Option("--id-number", help="ID number (internal role only).")
    ] = None,
    date_from: Annotated[str | None, typer.Option("--from", help="First date YYYY-MM-DD.")] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="Last date YYYY-MM-DD.")] = None,
    code: Annotated[str | None, typer.Option(help="Archival code (档号).")] = None,
    kind: Annotated[
        str | None,
        typer.Option(
            help="case_file, notice, monthly_pack, catalog_edition, objection, district_summary"
        ),
    ] = None,
    limit: Annotated[int, typer.Option(help="Results per page.")] = 20,
    offset: Annotated[int, typer.Option(help="Results to skip.")] = 0,
    token_file: TokenFileOption = None,
    as_json: JsonOption = False,
) -> None:
    """Search the archive; every search is written to the access log.

    Example: xwql audit search --person 王芳
    Example: xwql audit search --village 南马村 --item xwql-022 --from 2026-11-01 --to 2026-11-30
    """
    from pipeline.jobs.audit import AuditDesk

    settings = current_settings()
    auditor = _auditor(settings, token_file)
    filters = {
        "text": text, "village": village, "town": town, "item": item, "person": person,
        "exact_person": exact, "id_number": id_number,
        "date_from": parse_iso_date(date_from) if date_from else None,
        "date_to": parse_iso_date(date_to) if date_to else None,
        "code": code, "kind": kind,
    }  # fmt: skip
    with AuditDesk.open(settings) as desk:
        page = desk.search(auditor, filters, limit=limit, offset=offset)
    if as_json:
        print_json(
            {"total": page.total,
             "entries": [e.model_dump(mode="json", exclude={"id_numbers"}) for e in page.entries]}
        )  # fmt: skip
        return
    # The archival code is what an auditor copies: never cut, the title wraps instead.
    table = Table(Column("档号 archival code", no_wrap=True), "题名 title",
                  Column("日期 date", no_wrap=True), "村 village", "版本")  # fmt: skip
    for entry in page.entries:
        table.add_row(entry.archival_code, entry.title, entry.date.isoformat(),
                      entry.village_name, str(entry.version))  # fmt: skip
    console.print(table)
    console.print(f"共 {page.total} 条 results (showing {len(page.entries)} from {offset})")


@audit_app.command("get")
def audit_get(
    code: Annotated[str, typer.Argument(help="Archival code (档号).")],
    out: Annotated[Path, typer.Option(help="Where to put the package.")] = Path("out/audit"),
    token_file: TokenFileOption = None,
    as_json: JsonOption = False,
) -> None:
    """Download a package and print its verification report (logged).

    Checks fixity, BagIt validity, the signature and its signer, the metadata
    schema, completeness, PDF/A, the objects' retention and the sealed personal
    parts. The package comes as stored, its personal parts sealed; the internal
    role also gets them opened into OUT/CODE.internal/ (logged as open-sealed).
    Exit status 9 when a check failed.

    Example: xwql audit get LZ-QL-001-2026-D30-QL.NM-022-0001 --out out/audit
    """
    from pipeline.jobs.audit import AuditDesk

    settings = current_settings()
    auditor = _auditor(settings, token_file)
    with AuditDesk.open(settings) as desk:
        retrieved = desk.retrieve(auditor, code, out, personal=True)
    downloaded, report = retrieved.downloaded, retrieved.report
    personal = str(retrieved.personal) if retrieved.personal else None
    data = report.as_dict() | {
        "folder": str(downloaded.folder), "sealed": retrieved.sealed, "personal": personal,
    }  # fmt: skip
    if as_json:
        print_json(data)
    else:
        console.print(f"已下载 downloaded: {downloaded.folder}")
        if personal:
            console.print(f"内部部分已解密 personal parts opened (logged): {personal}")
        elif retrieved.sealed:
            console.print(SEALED_FOR_INTERNAL(count=retrieved.sealed))
        show_report(data)
    if not report.ok:
        raise typer.Exit(ExitCode.INCIDENT)


@audit_app.command("verify")
def audit_verify(
    codes: Annotated[list[str] | None, typer.Argument(help="Archival codes.")] = None,
    all_packages: Annotated[bool, typer.Option("--all", help="Sweep the whole archive.")] = False,
    expiring_within: Annotated[
        float | None,
        typer.Option(help="Also list signed packages whose newest timestamp ends within N years."),
    ] = None,
    token_file: TokenFileOption = None,
    as_json: JsonOption = False,
) -> None:
    """Verify packages in the bucket (DA/T 70: authenticity, integrity, usability, security).

    Reports per package; a damaged object costs at most one read timeout (30 s).
    Exit status 9 when any package has an incident. With --expiring-within N,
    lists the signed packages to renew (`xwql archive retimestamp`).

    Example: xwql audit verify --all
    """
    from pipeline.jobs.audit import AuditDesk

    if not (codes or all_packages):
        raise InputInvalid(NAME_CODES_OR_ALL())
    settings = current_settings()
    auditor = _auditor(settings, token_file)
    reports = []
    with AuditDesk.open(settings, retries=0) as desk:
        checked = desk.verify(auditor, None if all_packages else codes)
        strays = desk.strays() if all_packages else []
        with Progress(console=err_console, transient=True) as progress:
            task = progress.add_task("核验 verifying", total=None)
            for report in checked:
                reports.append(report.as_dict())
                progress.advance(task)
                if not as_json:
                    mark = "[green]✓[/]" if report.ok else "[red]✗[/]"
                    failed = ", ".join(c.name for c in report.failed())
                    console.print(f"{mark} {report.archival_code} {failed}", highlight=False)
    bad = [r for r in reports if not r["ok"]]
    expiring = _expiring(reports, expiring_within)
    if as_json:
        print_json({"packages": len(reports), "incidents": len(bad), "strays": strays,
                    "expiring": expiring, "reports": reports})  # fmt: skip
    else:
        for report_data in bad:
            show_report(report_data)
        for stray in strays:
            console.print(f"[red]✗[/] {OUTSIDE_EVERY_PACKAGE(prefix=stray)}")
        if expiring_within is not None:
            console.print(TIMESTAMPS_EXPIRING(count=len(expiring), years=f"{expiring_within:g}"))
            for line in expiring:
                until = line["until"][:10] if line["until"] else "—"
                console.print(f"  {line['code']}  {line['level']}  {until}", highlight=False)
        console.print(f"{len(reports)} 个归档包 packages, {len(bad)} 个异常 with incidents")
    if bad or strays:
        raise typer.Exit(ExitCode.INCIDENT)


def _expiring(reports: list[dict[str, Any]], years: float | None) -> list[dict[str, Any]]:
    """The signed packages whose newest timestamp is missing or ends within ``years``."""
    if years is None:
        return []
    horizon = dt.datetime.now(dt.UTC) + dt.timedelta(days=365.25 * years)
    return [
        {"code": r["archival_code"], "level": r["level"], "until": r["timestamp_until"]}
        for r in reports
        if r["level"] is not None
        and (
            r["timestamp_until"] is None
            or dt.datetime.fromisoformat(r["timestamp_until"]) < horizon
        )
    ]


@audit_app.command("log")
def audit_log(
    actor: Annotated[str | None, typer.Option(help="Only this user's accesses.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many lines.")] = 100,
    token_file: TokenFileOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show the access log (admin role).

    Example: xwql audit log --actor 李审计
    """
    from pipeline.jobs.audit import AuditDesk

    settings = current_settings()
    auditor = _auditor(settings, token_file)
    with AuditDesk.open(settings) as desk:
        lines = desk.access_log(auditor, actor=actor, limit=limit)
    if as_json:
        print_json([{"actor": a.actor, "action": a.action, "what": a.query_or_code,
                     "at": a.at.isoformat()} for a in lines])  # fmt: skip
        return
    table = Table("时间 at (UTC)", "用户 actor", "操作 action", "内容 what")
    for line in lines:
        table.add_row(f"{line.at:%Y-%m-%d %H:%M:%S}", line.actor, line.action, line.query_or_code)
    console.print(table)


# --- auditors ----------------------------------------------------------------------------------


@auditors_app.command("add")
def auditors_add(
    name: Annotated[str, typer.Argument(help="The user's name, as the log shows it.")],
    role: Annotated[Role, typer.Option(help="auditor, internal or admin.")] = Role.AUDITOR,
) -> None:
    """Register a user of the archive and print their token (shown once only).

    Example: xwql auditors add 李审计 --role auditor
    """
    with contextlib.closing(AuditorRegistry.of(current_settings())) as registry:
        token = registry.add(name, role)
    console.print(f"[green]✓[/] {name} ({role.value})")
    console.print(f"口令 token (shown once; give it to {name}, keep it secret):")
    console.print(token, highlight=False, soft_wrap=True)


@auditors_app.command("list")
def auditors_list(as_json: JsonOption = False) -> None:
    """List the users of the archive and their roles (never their tokens).

    Example: xwql auditors list
    """
    with contextlib.closing(AuditorRegistry.of(current_settings())) as registry:
        users = registry.users()
    if as_json:
        print_json([{"name": n, "role": r.value, "added": a} for n, r, a in users])
        return
    table = Table("用户 name", "角色 role", "登记 added")
    for name, role, added in users:
        table.add_row(name, role.value, added)
    console.print(table)


@auditors_app.command("revoke")
def auditors_revoke(name: Annotated[str, typer.Argument(help="The user's name.")]) -> None:
    """Revoke a user's token.

    Example: xwql auditors revoke 李审计
    """
    with contextlib.closing(AuditorRegistry.of(current_settings())) as registry:
        revoked = registry.revoke(name)
    if not revoked:
        raise InputInvalid(NO_SUCH_USER(name=name))
    console.print(f"[green]✓[/] {name} revoked")
