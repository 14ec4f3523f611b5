"""The ``xwql`` command run in this process: every sub-command registered on the app.

Expected failures (``XwqlError``) print a message and exit with the error's code
(see ``pipeline.errors.ExitCode``); only bugs show a traceback.
"""

from __future__ import annotations

import re
import shlex
import sys

import typer
from rich.table import Table

from pipeline.cli import archive as _archive  # noqa: F401  (registers the commands)
from pipeline.cli import cases as _cases  # noqa: F401  (registers the commands)
from pipeline.cli import catalog as _catalog  # noqa: F401  (registers the commands)
from pipeline.cli import converters as _converters  # noqa: F401  (registers the commands)
from pipeline.cli import district as _district  # noqa: F401  (registers the command)
from pipeline.cli import monthly as _monthly  # noqa: F401  (registers the command)
from pipeline.cli import storage as _storage  # noqa: F401  (registers the commands)
from pipeline.cli import users as _users  # noqa: F401  (registers the commands)
from pipeline.cli import web as _web  # noqa: F401  (registers the command)
from pipeline.cli._app import (
    JsonOption,
    app,
    console,
    current_settings,
    err_console,
    expected_failure,
    print_json,
)
from pipeline.errors import ExitCode, XwqlError


@app.command()
def doctor(as_json: JsonOption = False) -> None:
    """Check LibreOffice, SC fonts, Graphviz and Python packages; say how to fix each.

    Example: xwql doctor
    """
    from pipeline.doctor import run_checks

    settings = current_settings()
    checks = run_checks(settings)
    if as_json:
        print_json([check.as_dict() for check in checks])
    else:
        # A copied checkout's venv finds the original's data folder unless XWQL_DATA says.
        console.print(f"数据目录 data folder (XWQL_DATA): {settings.data}", highlight=False)
        table = Table("check", "status", "detail / fix")
        for check in checks:
            status = "[green]ok[/]" if check.ok else "[red]FAIL[/]"
            table.add_row(
                check.name, status, check.detail if check.ok else f"{check.detail}\n→ {check.fix}"
            )
        console.print(table)
    if not all(check.ok for check in checks):
        raise typer.Exit(ExitCode.MISSING_DEPENDENCY)


@app.command()
def villages(as_json: JsonOption = False) -> None:
    """List the district's towns and villages, with the codes commands and ledgers take.

    Example: xwql villages
    """
    from pipeline.organisations import load_district

    directory = load_district(current_settings().district_path)
    rows = [
        {"town": place.town.name, "town_code": place.town.code, "village": place.village.name,
         "code": place.village.code, "committee": place.village.committee}
        for place in directory.villages
    ]  # fmt: skip
    if as_json:
        print_json(rows)
        return
    table = Table("镇（街道） town", "村（社区） village", "代码 code", "村民委员会 committee")
    for row in rows:
        table.add_row(f"{row['town']} {row['town_code']}", row["village"], row["code"],
                      row["committee"])  # fmt: skip
    console.print(table)


def _shell_line(args: list[str]) -> str:
    """``args`` as one would type them: quoted only where the shell needs it (not 南马村)."""
    return " ".join(a if _PLAIN_ARGUMENT.fullmatch(a) else shlex.quote(a) for a in args)


_PLAIN_ARGUMENT = re.compile(r"[\w\-./:=@,+%]+")


def run(argv: list[str] | None = None) -> int:
    """Run ``xwql`` with ``argv``; return the exit status instead of exiting.

    Expected failures become a message on stderr and their documented exit code.
    """
    try:
        app(args=argv, prog_name="xwql")
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else int(exc.code is not None)
    except (XwqlError, OSError) as exc:
        status = expected_failure(exc, err_console)
        if isinstance(exc, XwqlError) and exc.rerun:
            again = _shell_line(["xwql", *(sys.argv[1:] if argv is None else argv)])
            err_console.print(f"重新运行 re-run: {again}", highlight=False, soft_wrap=True)
        return status
    except KeyboardInterrupt:
        err_console.print("interrupted")
        return 130
    return 0
