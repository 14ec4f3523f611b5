"""``xwql storage up|down|status``: the archive's object store."""

from __future__ import annotations

import json
from typing import Any

from rich.table import Table

from pipeline.cli._app import JsonOption, console, current_settings, print_json, storage_app
from pipeline.config import Settings
from pipeline.programs.s3server import PINNED_VERSION, EmbeddedS3


def _status(settings: Settings) -> dict[str, Any]:
    """Endpoint, version, folder, bucket, lock settings and the last self-check."""
    from pipeline.archive.objectstore import open_store

    server = None if settings.s3_url else EmbeddedS3(settings.s3_dir)
    status: dict[str, Any] = {
        "endpoint": settings.s3_url or (server.endpoint().url if server else None),
        "embedded": server is not None,
        "running": True if server is None else server.pid() is not None,
        "version": PINNED_VERSION if server else None,
        "data_folder": str(settings.s3_dir) if server else None,
        "bucket": settings.s3_bucket,
        "lock_mode": settings.lock_mode,
    }
    if status["running"]:
        store, _ = open_store(settings)
        lock = store.lock_configuration()
        status["object_lock"] = lock.enabled
        status["versioning"] = store.versioning_enabled()
        status["bucket_default_retention"] = (
            f"{lock.default_mode.value} {lock.default_duration}" if lock.default_mode else None
        )
    path = settings.self_check_file
    status["self_check"] = json.loads(path.read_text()) if path.is_file() else None
    return status


def _show(status: dict[str, Any]) -> None:
    table = Table("", "")
    for key, value in status.items():
        if key != "self_check":
            table.add_row(key, str(value))
    console.print(table)
    check = status["self_check"]
    if check is None:
        console.print("self-check: not run yet (xwql storage up runs it)")
        return
    verdict = "[green]enforces WORM[/]" if check["enforced"] else "[red]does NOT enforce WORM[/]"
    console.print(f"self-check {check['at']}: {verdict}")
    for item in check["checks"]:
        mark = "✓" if item["passed"] else ("✗" if item.get("needed", True) else "!")
        console.print(f"  {mark} {item['name']}: {item['detail']}")


@storage_app.command("up")
def storage_up(as_json: JsonOption = False) -> None:
    """Start the embedded S3 server (or reach the configured one) and self-check WORM.

    Returns only when the server answers and a PUT succeeds; with XWQL_S3_URL set
    nothing is started. The self-check's result is kept for `storage status`.

    Example: xwql storage up
    """
    from pipeline.archive.objectstore import open_store
    from pipeline.archive.selfcheck import run_self_check, save_report

    settings = current_settings()
    store, _ = open_store(settings)
    store.ensure_bucket()
    report = run_self_check(store)
    save_report(report, settings.self_check_file)
    status = _status(settings)
    print_json(status) if as_json else _show(status)


@storage_app.command("down")
def storage_down() -> None:
    """Stop the embedded S3 server (its own weed process; SIGTERM, then SIGKILL).

    Example: xwql storage down
    """
    settings = current_settings()
    if settings.s3_url:
        console.print(f"external endpoint {settings.s3_url}: nothing to stop")
        return
    stopped = EmbeddedS3(settings.s3_dir).stop()
    console.print("stopped" if stopped else "not running")


@storage_app.command("status")
def storage_status(as_json: JsonOption = False) -> None:
    """Say endpoint, version, data folder, bucket, lock mode, retention and the self-check.

    Example: xwql storage status --json
    """
    status = _status(current_settings())
    print_json(status) if as_json else _show(status)
