"""The ``xwql`` command run in this process: every sub-command registered on the app.

Expected failures (``XwqlError``) print a message and exit with the error's code
(see ``pipeline.errors.ExitCode``); only bugs show a traceback.
"""

from __future__ import annotations

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

    checks = run_checks(current_settings())
    if as_json:
        print_json([check.as_dict() for check in checks])
    else:
        table = Table("check", "status", "detail / fix")
        for check in checks:
            status = "[green]ok[/]" if check.ok else "[red]FAIL[/]"
            table.add_row(
                check.name, status, check.detail if check.ok else f"{check.detail}\n→ {check.fix}"
            )
        console.print(table)
    if not all(check.ok for check in checks):
        raise typer.Exit(ExitCode.MISSING_DEPENDENCY)


def run(argv: list[str] | None = None) -> int:
    """Run ``xwql`` with ``argv``; return the exit status instead of exiting.

    Expected failures become a message on stderr and their documented exit code.
    """
    try:
        app(args=argv, prog_name="xwql")
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else int(exc.code is not None)
    except (XwqlError, OSError) as exc:
        return expected_failure(exc, err_console)
    except KeyboardInterrupt:
        err_console.print("interrupted")
        return 130
    return 0
