"""A flow run as the command line shows it: a progress bar the tasks advance, then a summary.

Prefect is imported only inside (``import pipeline.cli`` stays free of it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from pipeline.cli._app import console, err_console, today
from pipeline.config import Settings

if TYPE_CHECKING:
    from flows.district import RunSummary


@contextmanager
def flow_progress(
    settings: Settings, out: Path, total: int, *, issued_on: dt.date | None = None
) -> Iterator[Callable[[str], None]]:
    """Open the run's shared parts with a progress bar the flow's tasks advance."""
    from flows import configure_prefect

    configure_prefect(settings)
    from flows.district import run_context

    with Progress(
        TextColumn("{task.description:<28}"), BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), console=err_console, transient=True,
    ) as progress:  # fmt: skip
        task = progress.add_task("启动 Prefect / starting", total=total)

        def advance(message: str) -> None:
            progress.update(task, description=message, advance=1)

        with run_context(settings, out, issued_on=issued_on or today(), progress=advance):
            yield advance


def print_summary(summary: RunSummary) -> None:
    """What a flow run did, as a table."""
    table = Table("结果 outcome", "件 units")
    for outcome, count in sorted(summary.outcomes.items()):
        table.add_row(outcome, str(count))
    console.print(table)
    if summary.refused:
        console.print(f"[yellow]台账导入退回 refused at intake ({len(summary.refused)}):[/]")
        for line in summary.refused:
            console.print(f"  {line}", highlight=False, soft_wrap=True)
