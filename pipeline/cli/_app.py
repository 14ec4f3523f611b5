"""The shared parts of the ``xwql`` command: the app, consoles and option types."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer
from rich.console import Console

from pipeline.config import Settings, load_settings
from pipeline.errors import InputInvalid

console = Console()
err_console = Console(stderr=True)
CHINA = ZoneInfo("Asia/Shanghai")

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

CatalogOption = Annotated[
    Path | None,
    typer.Option("--catalog", help="Catalog folder (default: the shipped catalog/)."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]


def current_settings() -> Settings:
    return load_settings()


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


def today() -> dt.date:
    return dt.datetime.now(CHINA).date()


def parse_date(text: str) -> dt.date:
    """A YYYY-MM-DD option value, or a clear error."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InputInvalid(
            f"日期格式应为 YYYY-MM-DD / date must be YYYY-MM-DD, got {text!r}"
        ) from None
