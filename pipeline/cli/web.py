"""``xwql web``: the auditors' pages and the public notice check, on 127.0.0.1."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

import typer

from pipeline.cli._app import app, console, current_settings
from pipeline.cli.messages import BAD_PORT
from pipeline.errors import InputInvalid

HOST = "127.0.0.1"


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
) -> None:
    """Serve the web pages: auditors search, view, verify and download; villagers check notices.

    Binds to 127.0.0.1 only: put an HTTPS proxy in front to reach it from elsewhere.
    Auditors log in with the token from `xwql auditors add`; every search, view
    and download is written to the access log, as with `xwql audit`.

    Example: xwql web --port 8080
    """
    import uvicorn

    from pipeline.web import create_app
    from pipeline.web.config import WebConfig

    if not 1 <= port <= 65535:
        raise InputInvalid(BAD_PORT(port=port))
    config = WebConfig()
    if session_minutes is not None:
        if session_minutes <= 0:
            raise InputInvalid("--session-minutes must be more than 0")
        config = replace(config, session_idle=session_minutes * 60)
    if secure_cookies:
        config = replace(config, secure_cookies=True)
    console.print(
        f"xwql web: http://{HOST}:{port}/  (公告核验)  http://{HOST}:{port}/login  (审计)",
        highlight=False, soft_wrap=True,
    )  # fmt: skip
    uvicorn.run(create_app(current_settings(), config=config), host=HOST, port=port,
                log_level="info", proxy_headers=False)  # fmt: skip
