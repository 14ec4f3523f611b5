"""The service's answers to requests, on real LibreOffice."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from pipeline.errors import ConversionError, ConversionTimeout
from pipeline.programs.converter_service.client import request
from pipeline.programs.converter_service.lifecycle import ConverterService
from pipeline.programs.converter_service.pool import ServiceOrPool
from pipeline.programs.fonts import ensure_sc_fonts
from tests.programs.converter_service.conftest import TEMPLATE, one_converter
from tests.programs.processes import gone, wait_for

pytestmark = pytest.mark.soffice


def test_bad_requests_get_an_answer_not_a_crash(  # type: ignore[no-untyped-def]
    service: ConverterService, tmp_path: Path
) -> None:
    path = service.socket_path
    assert request(path, {"op": "dance"}, timeout=5)["ok"] is False
    relative = request(path, {"op": "convert", "source": "a.docx", "target": "a.pdf"}, timeout=5)
    assert relative == {"ok": False, "error": "conversion", "message": "paths must be absolute"}
    text = tmp_path / "note.docx"
    text.write_text("not a Word document")
    data = service.settings.data
    converters = ServiceOrPool(one_converter(data), ensure_sc_fonts(data))
    with pytest.raises(ConversionError, match="not a Word document"):
        converters.convert(text, tmp_path / "note.pdf")  # the service's error, typed
    assert converters.via_service
    status = service.query()
    assert status is not None and status["failed"] == 1


def test_a_service_given_no_commands_converts_only(service: ConverterService) -> None:
    status = service.status()
    assert status["runs_commands"] is False and status["commands_run"] == 0
    assert status["usable"] is True and status["commands_mismatch"] is None
    notice = {"op": "notice", "identity": {}, "args": {}, "console": {}}
    assert request(service.socket_path, notice, timeout=5) == {
        "ok": False, "error": "refused", "message": "this service runs no commands",
    }  # fmt: skip


@pytest.mark.slow
def test_timeout_inside_the_service_restarts_that_converter(  # type: ignore[no-untyped-def]
    env, data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XWQL_CONVERSION_TIMEOUT", "3")
    service = ConverterService(one_converter(data))
    status = service.start()
    try:
        (soffice,) = status["soffice_pids"]
        os.kill(soffice, signal.SIGSTOP)  # a real hang
        converters = ServiceOrPool(one_converter(data), ensure_sc_fonts(data))
        with pytest.raises(ConversionTimeout, match="restarted"):
            converters.convert(TEMPLATE, tmp_path / "hung.pdf")
        assert converters.via_service  # a document's timeout is not the service's failure
        assert not (tmp_path / "hung.pdf").exists()
        converters.convert(TEMPLATE, tmp_path / "next.pdf")
        after = service.query()
        assert after is not None and after["restarts"] == 1 and after["pid"] == status["pid"]
        assert after["soffice_pids"] != [soffice] and wait_for(lambda: gone(soffice))
        assert converters.restarts == 1
    finally:
        service.stop()
