"""``xwql monthly``: the monthly disclosure packs (月度公开材料) and the district summary."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from pipeline.cli._app import (
    JsonOption,
    app,
    console,
    current_settings,
    err_console,
    print_json,
    today,
)
from pipeline.cli.messages import packs_not_written
from pipeline.config import Settings
from pipeline.errors import XwqlError
from pipeline.rules.calendar import parse_iso_date

if TYPE_CHECKING:
    from pipeline.units.packs.month import Month
    from pipeline.units.packs.pack import MonthlyPack
    from pipeline.units.packs.summary import DistrictSummary


@app.command()
def monthly(
    month: Annotated[str, typer.Option(help="The month to publish, YYYY-MM.")],
    town: Annotated[
        str | None, typer.Option(help="Only this town or street (name or code).")
    ] = None,
    village: Annotated[str | None, typer.Option(help="Only this village (name or code).")] = None,
    out: Annotated[Path, typer.Option(help="Output folder.")] = Path("out/monthly"),
    date: Annotated[
        str | None, typer.Option(help="Date of issue on the covers, YYYY-MM-DD (default: today).")
    ] = None,
    operator: Annotated[str, typer.Option(help="Who places the seals (用印经办人).")] = "xwql",
    archive: Annotated[
        bool, typer.Option(help="Also sign and archive each pack (through the Prefect flow).")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Write each village's monthly disclosure pack (五公开) and the district summary.

    One stamped PDF/A per village — cover, contents, the list, the flowcharts, case
    progress and results, overdue and irregular cases, the seal register — then
    the district summary (PDF and .xlsx) of the villages chosen.

    With --archive the packs are built, signed by their villages and archived by
    the monthly-packs flow (a pack archived from the same data is not rebuilt),
    under OUT/monthly/.

    Example: xwql monthly --month 2026-11
    Example: xwql monthly --month 2026-11 --village 南马村 --out out/monthly
    Example: xwql monthly --month 2026-11 --archive --out out
    """
    from pipeline.units.packs.month import parse_month

    period = parse_month(month)
    issued_on = parse_iso_date(date) if date else today()
    settings = current_settings()
    if archive:
        _archive_packs(settings, month, town, village, out, issued_on, as_json)
        return
    packs, failed, summary = _write_packs(
        settings, period, town, village, out, issued_on=issued_on, operator=operator
    )
    if as_json:
        print_json(
            {
                "month": month,
                "packs": [pack.as_dict() for pack in packs],
                "failed": [{"village": name, "error": str(error)} for name, error in failed],
                "summary": summary.as_dict(),
            }
        )
    else:
        _print_written(packs, failed, summary)
    if failed:
        err_console.print(packs_not_written(len(failed), len(packs)))
        raise typer.Exit(max(int(error.exit_code) for _, error in failed))


def _write_packs(
    settings: Settings,
    period: Month,
    town: str | None,
    village: str | None,
    out: Path,
    *,
    issued_on: dt.date,
    operator: str,
) -> tuple[list[MonthlyPack], list[tuple[str, XwqlError]], DistrictSummary]:
    """The month job with a progress bar; the packs, the failed villages and the summary."""
    from pipeline.jobs.month import write_packs

    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), console=err_console, transient=True,
    ) as progress:  # fmt: skip
        task = progress.add_task("月度公开材料 monthly packs", total=None)

        def show(message: str, done: int, total: int) -> None:
            progress.update(task, description=message, completed=done, total=total)

        written = write_packs(
            settings, period, out, town=town, village=village, issued_on=issued_on,
            operator=operator, progress=show,
        )  # fmt: skip
    return written.packs, written.failed, written.summary


def _print_written(
    packs: Sequence[MonthlyPack], failed: Sequence[tuple[str, XwqlError]], summary: DistrictSummary
) -> None:
    """One line per pack and for the summary, then the villages that failed."""
    for pack in packs:
        counts = pack.counts
        console.print(
            f"[green]✓[/] {pack.path}  {pack.pages}页 · 办件 {counts.cases_active} · "
            f"办结 {counts.cases_closed} · 逾期 {counts.overdue} · 违规 {counts.irregular}",
            highlight=False,
        )
    console.print(f"区汇总 district summary: {summary.pdf}  {summary.xlsx}", highlight=False)
    for name, error in failed:
        err_console.print(f"[red]✗[/] {name}: {error}", highlight=False)


def _archive_packs(
    settings: Settings,
    month: str,
    town: str | None,
    village: str | None,
    out: Path,
    issued_on: dt.date,
    as_json: bool,
) -> None:
    """Run the monthly-packs flow for the villages chosen."""
    from flows.district import monthly_pack_flow
    from pipeline.cli._flowrun import flow_progress, print_summary
    from pipeline.organisations import load_district
    from pipeline.units.packs.summary import select_villages

    places = select_villages(load_district(settings.district_path), town=town, village=village)
    codes = [place.village.code for place in places]
    with flow_progress(settings, out, total=len(places) + 1, issued_on=issued_on):
        summary = monthly_pack_flow(month=month, villages=codes, out=str(out.resolve()))
    if as_json:
        print_json({"month": month, "outcomes": summary.outcomes, "files": summary.files})
        return
    print_summary(summary)
    console.print(f"[green]✓[/] 月度公开材料 packs: {out / 'monthly'}")
    console.print(f"[green]✓[/] 区汇总表 summary: {summary.files.get('district_summary')}")
