"""The shared parts of the ``xwql`` command: the app, consoles and option types."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from pipeline.cli.messages import CANNOT_READ_OR_WRITE
from pipeline.config import Settings, load_settings
from pipeline.errors import ExitCode, XwqlError

console = Console()
err_console = Console(stderr=True)

app = typer.Typer(
    help="xwql: village small and micro power list (村级小微权力清单) documents and archive.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
catalog_app = typer.Typer(
    help="The power catalog as data, and its published booklet.", no_args_is_help=True
)
app.add_typer(catalog_app, name="catalog")
cases_app = typer.Typer(help="Cases (办件): progress, steps, deadlines.", no_args_is_help=True)
app.add_typer(cases_app, name="cases")
storage_app = typer.Typer(
    help="The archive's object store (S3 with object lock).", no_args_is_help=True
)
app.add_typer(storage_app, name="storage")
converters_app = typer.Typer(
    help="The converter service: warm LibreOffice kept running between commands.",
    no_args_is_help=True,
)
app.add_typer(converters_app, name="converters")
archive_app = typer.Typer(
    help="Archive operations: file case files, rebuild the index, legal holds.",
    no_args_is_help=True,
)
app.add_typer(archive_app, name="archive")
audit_app = typer.Typer(
    help="Auditor retrieval: search, download with a verification report, sweep (logged).",
    no_args_is_help=True,
)
app.add_typer(audit_app, name="audit")
auditors_app = typer.Typer(
    help="Users of the archive, their roles and tokens.", no_args_is_help=True
)
app.add_typer(auditors_app, name="auditors")
district_app = typer.Typer(
    help="The district month on this machine, or across the workers of a Prefect work pool.",
    no_args_is_help=True,
)
app.add_typer(district_app, name="district")

CatalogOption = Annotated[
    Path | None,
    typer.Option("--catalog", help="Catalog folder (default: the shipped catalog/)."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]


def expected_failure(exc: XwqlError | OSError, err: Console) -> int:
    """Print an expected failure on ``err``; the command's exit status for it.

    An ``XwqlError`` carries its own code. An ``OSError`` (a folder that cannot be
    created, a full disk, a file without permission) is the machine's state, not
    a bug: say which file and why.
    """
    if isinstance(exc, XwqlError):
        err.print(f"[red]错误 error:[/] {exc}", highlight=False)
        return int(exc.exit_code)
    # ``filename`` is sometimes the open file object itself: show its name.
    name = getattr(exc.filename, "name", exc.filename)
    where = f"{name}: " if name else ""
    why = exc.strerror or exc
    err.print(f"[red]错误 error:[/] {CANNOT_READ_OR_WRITE(where=where, why=why)}", highlight=False)
    return int(ExitCode.OUTPUT)


def current_settings() -> Settings:
    return load_settings()


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


def today() -> dt.date:
    from pipeline.rules.calendar import china_today

    return china_today()
