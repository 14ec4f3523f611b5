"""``xwql web``: the auditors' pages and the public notice check, on 127.0.0.1."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from pipeline.cli._app import app, console, current_settings
from pipeline.cli.messages import BAD_PORT
from pipeline.errors import InputInvalid

HOST = "127.0.0.1"
APP_FACTORY = "pipeline.web.app:app_from_environment"
"""What each worker imports to build the app (``xwql web`` never imports the pages itself)."""


@app.command()
def web(
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1.")] = 8080,
    session_minutes: Annotated[
        float | None,
        typer.Option(help="Minutes without a request before a login ends (default 30)."),
    ] = None,
    secure_cookies: Annotated[
        bool, typer.Option(help="Mark cookies Secure (served over HTTPS by a proxy in front).")
    ] = False,
    workers: Annotated[
        int, typer.Option(help="Worker processes; they share sessions and limits (database).")
    ] = 1,
) -> None:
    """Serve the web pages: auditors search, view, verify and download; villagers check notices.

    Binds to 127.0.0.1 only: put an HTTPS proxy in front to reach it from elsewhere.
    Auditors log in with the token from `xwql auditors add`; every search, view
    and download is written to the access log, as with `xwql audit`.

    Example: xwql web --port 8080
    """
    import uvicorn

    if not 1 <= port <= 65535:
        raise InputInvalid(BAD_PORT(port=port))
    if session_minutes is not None and session_minutes <= 0:
        raise InputInvalid("--session-minutes must be more than 0")
    if workers < 1:
        raise InputInvalid("--workers must be 1 or more")
    # Each worker process builds the app from the environment (uvicorn's factory):
    # the options travel there as the variables WebConfig reads.
    if session_minutes is not None:
        os.environ["XWQL_WEB_SESSION_MINUTES"] = str(session_minutes)
    if secure_cookies:
        os.environ["XWQL_WEB_SECURE_COOKIES"] = "1"
    current_settings()  # the settings are read, and refused if wrong, before serving
    console.print(
        f"xwql web: http://{HOST}:{port}/  (公告核验)  http://{HOST}:{port}/login  (登录)",
        highlight=False, soft_wrap=True,
    )  # fmt: skip
    uvicorn.run(APP_FACTORY, factory=True, host=HOST, port=port, workers=workers,
                log_level="info", proxy_headers=False)  # fmt: skip
