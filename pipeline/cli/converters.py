"""``xwql converters up|down|status``: the converter service (warm LibreOffice)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pipeline.cli._app import JsonOption, console, converters_app, current_settings, print_json

if TYPE_CHECKING:
    from pipeline.config import Settings
    from pipeline.programs.converter_service.lifecycle import ConverterService

# The service `up` starts: it converts, and runs `xwql notice` for the thin client.
_SERVICE_ENTRY = "pipeline.cli._served"


def converter_service(settings: Settings) -> ConverterService:
    """The converter service of ``settings.data`` as the command line starts and checks it.

    It is started through :mod:`pipeline.cli._served`, so it runs ``xwql notice``
    too, and it is usable only if it would run this side's commands: the same
    check the thin client's request meets in the service.
    """
    from pipeline.cli._client import job_identity, job_mismatch
    from pipeline.programs.converter_service.lifecycle import ConverterService

    def commands_mismatch(theirs: Any) -> str | None:
        return job_mismatch(theirs, job_identity(settings))

    return ConverterService(settings, entry=_SERVICE_ENTRY, commands_mismatch=commands_mismatch)


def _show(status: dict[str, Any]) -> None:
    from rich.table import Table

    if not status["running"]:
        if status.get("starting_or_hung"):
            console.print(f"starting, or not answering (pid {status.get('pid')})")
        else:
            console.print("not running" + (" (stale socket)" if status["stale_socket"] else ""))
        return
    table = Table("", "")
    rows = {
        "pid": status["pid"],
        "uptime": f"{status['uptime_seconds']:.0f} s (since {status['started_at']})",
        "documents converted": status["converted"],
        "documents failed": status["failed"],
        "commands run": status.get("commands_run", 0),
        "LibreOffice restarts": status["restarts"],
        "converters": status["workers"],
        "timeout": f"{status['timeout']:.0f} s",
        "data folder": status["data"],
        "fonts": status["fontconfig"],
    }
    for key, value in rows.items():
        table.add_row(key, str(value))
    console.print(table)
    if status["mismatch"]:
        console.print(f"[red]not used by commands[/]: {status['mismatch']}")
    elif status.get("commands_mismatch"):
        console.print(
            f"[yellow]converts for commands, but does not run them[/]: "
            f"{status['commands_mismatch']}; restart it: xwql converters down && xwql converters up"
        )


@converters_app.command("up")
def converters_up(as_json: JsonOption = False) -> None:
    """Start the converter service: warm LibreOffice that commands convert through.

    Returns when it answers, its converters started and warmed up. Commands of
    the same data folder (XWQL_DATA) then use it instead of starting
    LibreOffice themselves; without it they start their own, as before.

    Example: xwql converters up
    """
    status = converter_service(current_settings()).start()
    print_json(status) if as_json else _show(status)


@converters_app.command("down")
def converters_down() -> None:
    """Stop the converter service and its LibreOffice (requests under way finish first).

    Example: xwql converters down
    """
    stopped = converter_service(current_settings()).stop()
    console.print("stopped" if stopped else "not running")


@converters_app.command("status")
def converters_status(as_json: JsonOption = False) -> None:
    """Say whether the service runs: pid, uptime, documents converted, restarts.

    Example: xwql converters status --json
    """
    status = converter_service(current_settings()).status()
    print_json(status) if as_json else _show(status)
