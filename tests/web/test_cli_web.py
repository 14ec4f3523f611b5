"""``xwql web``: binds to 127.0.0.1 only, with the session settings given."""

from __future__ import annotations

from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI


def test_web_serves_the_app_on_loopback_only(cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    served: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: served.update(app=app, **options))
    result = cli("web", "--port", "8123", "--session-minutes", "5")
    assert result.code == 0, result.err
    assert served["host"] == "127.0.0.1" and served["port"] == 8123
    assert isinstance(served["app"], FastAPI)
    assert served["app"].state.web.config.session_idle == 300
    assert "http://127.0.0.1:8123/" in result.out


@pytest.mark.parametrize("args", [["--port", "0"], ["--port", "70000"], ["--session-minutes", "0"]])
def test_bad_options_are_refused(cli: Any, args: list[str]) -> None:
    assert cli("web", *args).code == 3
