"""``xwql web``: binds to 127.0.0.1 only, with the session settings given."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI


def test_web_serves_the_app_on_loopback_only(cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    served: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: served.update(app=app, **options))
    monkeypatch.setenv("XWQL_WEB_SESSION_MINUTES", "30")  # restored after the test
    result = cli("web", "--port", "8123", "--session-minutes", "5", "--workers", "2")
    assert result.code == 0, result.err
    assert served["host"] == "127.0.0.1" and served["port"] == 8123 and served["workers"] == 2
    # Each worker builds the app from the environment, with the options given.
    assert served["factory"] is True and served["app"] == "pipeline.web.app:app_from_environment"
    module, name = served["app"].split(":")
    app = getattr(importlib.import_module(module), name)()
    assert isinstance(app, FastAPI)
    assert app.state.web.config.session_idle == 300
    assert "http://127.0.0.1:8123/" in result.out


@pytest.mark.parametrize(
    "args",
    [["--port", "0"], ["--port", "70000"], ["--session-minutes", "0"], ["--workers", "0"]],
)
def test_bad_options_are_refused(cli: Any, args: list[str]) -> None:
    assert cli("web", *args).code == 3
