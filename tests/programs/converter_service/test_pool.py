"""A job's conversions through the service, and on a pool of its own when it is lost."""

from __future__ import annotations

import json
import logging
import os
import signal
import threading
import time
from pathlib import Path

import pikepdf
import pytest

from pipeline.programs.converter_service.lifecycle import ConverterService
from pipeline.programs.converter_service.pool import ServiceOrPool
from pipeline.programs.fonts import ensure_sc_fonts
from tests.conftest import pdf_text
from tests.programs.converter_service.conftest import SAMPLE, TEMPLATE, one_converter
from tests.programs.processes import gone, wait_for

pytestmark = pytest.mark.soffice


def _notice(env, out: Path) -> tuple[Path, Path]:  # type: ignore[no-untyped-def]
    result = env("notice", "NM-2026-11-001", "--out", str(out))
    assert result.code == 0, result.err
    (public,) = out.glob("NM-2026-11-001-公示-*.pdf")
    (internal,) = (out / "internal").glob("NM-2026-11-001-公示-*-内部.pdf")
    return public, internal


def _pages(pdf: Path) -> int:
    with pikepdf.open(pdf) as document:
        return len(document.pages)


def test_notice_through_the_service_equals_one_from_a_local_pool(  # type: ignore[no-untyped-def]
    env, data: Path, tmp_path: Path
) -> None:
    assert env("intake", str(SAMPLE)).code == 0
    local = _notice(env, tmp_path / "local")  # no service: the command starts LibreOffice
    service = ConverterService(one_converter(data))
    service.start()
    try:
        served = _notice(env, tmp_path / "served")
        status = json.loads(env("converters", "status", "--json").out)
    finally:
        service.stop()
    assert status["converted"] == 2  # the public sheet and the internal copy
    for mine, theirs in zip(local, served, strict=True):
        assert mine.name == theirs.name
        assert _pages(mine) == _pages(theirs)
        assert pdf_text(mine) == pdf_text(theirs)
        with pikepdf.open(theirs) as document:
            assert document.open_metadata().pdfa_status == "2B"


def test_service_killed_mid_request_the_document_is_converted_locally(  # type: ignore[no-untyped-def]
    service: ConverterService, data: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    status = service.query()
    assert status is not None
    converters = ServiceOrPool(one_converter(data), ensure_sc_fonts(data))
    try:
        converters.convert(TEMPLATE, tmp_path / "first.pdf")
        assert converters.via_service
        (soffice,) = status["soffice_pids"]
        os.kill(soffice, signal.SIGSTOP)  # the service's LibreOffice hangs: the request waits
        outcome: list[object] = []
        worker = threading.Thread(
            target=lambda: outcome.append(converters.convert(TEMPLATE, tmp_path / "second.pdf"))
        )
        with caplog.at_level(logging.WARNING):
            worker.start()
            time.sleep(1.0)
            assert not outcome  # still waiting on the service
            os.kill(status["pid"], signal.SIGKILL)
            worker.join(120)
        assert outcome == [tmp_path / "second.pdf"]
        assert not converters.via_service  # the rest of the job stays local
        assert "converter service lost" in caplog.text
        assert "结果公开" in pdf_text(tmp_path / "second.pdf")
    finally:
        converters.stop()
    assert gone(status["pid"])
    # Its LibreOffice hung, so its converter never read that the service died; handed
    # to another parent, the converter ends it and itself (and `down` or `up` would
    # end any left, found by the service's folder).
    assert wait_for(lambda: gone(soffice)) and wait_for(lambda: service.pool_processes() == [])
    service.stop()
