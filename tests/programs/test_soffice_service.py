"""The converter service (``xwql converters up|down|status``) on real LibreOffice."""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import stat
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pikepdf
import pytest

from pipeline.config import Settings
from pipeline.errors import ConversionError, ConversionTimeout
from pipeline.programs.fonts import ensure_sc_fonts
from pipeline.programs.soffice_service import (
    ConverterService,
    ServiceOrPool,
    identity,
    mismatch,
    request,
    service_folder,
)
from tests.conftest import ROOT, pdf_text
from tests.programs.processes import gone, wait_for

pytestmark = pytest.mark.soffice

SAMPLE = ROOT / "examples" / "linzi" / "南马村-2026-11-台账.xlsx"
TEMPLATE = ROOT / "templates" / "result_notice.docx"  # a real DOCX (fields left unfilled)


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder whose path is too long for a Unix socket address (over 108 bytes)."""
    folder = tmp_path_factory.mktemp("service") / ("a-long-data-folder-name-" * 3) / "data"
    folder.mkdir(parents=True)
    ensure_sc_fonts(folder)
    return folder


@pytest.fixture
def env(cli, data: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """The CLI on the long data folder; the service (and this side) with one converter."""
    monkeypatch.setenv("XWQL_DATA", str(data))
    monkeypatch.setenv("XWQL_CONVERTER_WORKERS", "1")
    return cli


@pytest.fixture
def service(data: Path, env) -> Iterator[ConverterService]:  # type: ignore[no-untyped-def]
    """A started service for ``data``; stopped (and checked stopped) afterwards."""
    settings = replace(Settings(), data=data)
    started = ConverterService(settings)
    started.start()
    try:
        yield started
    finally:
        started.stop()
        assert started.query() is None
        assert started.pool_processes() == []


def _settings(data: Path) -> Settings:
    return replace(Settings(), data=data, converter_workers=1)


def test_up_status_down(env, data: Path) -> None:  # type: ignore[no-untyped-def]
    assert len(os.fsencode(service_folder(data) / "socket")) > 108
    up = env("converters", "up", "--json")
    try:
        assert up.code == 0, up.err
        status = json.loads(env("converters", "status", "--json").out)
        assert status["running"] and status["usable"], status
        assert status["converted"] == 0 and status["restarts"] == 0 and status["workers"] == 1
        assert status["data"] == str(data.resolve())
        soffice = status["soffice_pids"]
        assert len(soffice) == 1 and not gone(soffice[0])
        folder = service_folder(data)
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        assert stat.S_IMODE((folder / "socket").stat().st_mode) == 0o600
        again = env("converters", "up", "--json")  # already up: the same service
        assert again.code == 0 and json.loads(again.out)["pid"] == status["pid"]
        text = env("converters", "status").out
        assert "documents converted" in text and str(status["pid"]) in text
    finally:
        down = env("converters", "down")
    assert down.code == 0 and "stopped" in down.out
    assert gone(status["pid"]) and all(gone(pid) for pid in soffice)
    assert ConverterService(_settings(data)).pool_processes() == []
    assert not (service_folder(data) / "socket").exists()
    after = json.loads(env("converters", "status", "--json").out)
    assert after["running"] is False and after["stale_socket"] is False
    assert env("converters", "down").out.strip() == "not running"


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
    service = ConverterService(_settings(data))
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


def test_stale_socket_after_a_crash(  # type: ignore[no-untyped-def]
    env, service: ConverterService, data: Path, tmp_path: Path
) -> None:
    status = service.query()
    assert status is not None
    os.kill(status["pid"], signal.SIGKILL)
    assert wait_for(lambda: gone(status["pid"]))
    # Its converter notices and ends LibreOffice with it.
    assert wait_for(lambda: all(gone(pid) for pid in status["soffice_pids"]))
    after = json.loads(env("converters", "status", "--json").out)
    assert after["running"] is False and after["stale_socket"] is True
    # A command converts on a pool of its own, at once (nothing listens on the socket).
    converters = ServiceOrPool(_settings(data), ensure_sc_fonts(data))
    try:
        started = time.monotonic()
        converters.convert(TEMPLATE, tmp_path / "local.pdf")
        assert not converters.via_service and time.monotonic() - started < 60
    finally:
        converters.stop()
    assert "结果公开" in pdf_text(tmp_path / "local.pdf")
    # `up` starts a new service over the stale socket.
    assert env("converters", "up").code == 0
    assert json.loads(env("converters", "status", "--json").out)["running"] is True


def test_service_killed_mid_request_the_document_is_converted_locally(  # type: ignore[no-untyped-def]
    service: ConverterService, data: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    status = service.query()
    assert status is not None
    converters = ServiceOrPool(_settings(data), ensure_sc_fonts(data))
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


def test_service_of_another_data_folder_is_not_used_and_up_replaces_it(  # type: ignore[no-untyped-def]
    env,
    data: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    old = tmp_path / "old" / "data"
    shutil.copytree(data / "fonts", old / "fonts")
    first = ConverterService(_settings(old))
    first.start()
    moved = tmp_path / "moved" / "data"
    try:
        moved.parent.mkdir()
        old.rename(moved)  # the data folder moved while its service ran
        ensure_sc_fonts(moved)  # the fonts' configuration now names the new folder
        monkeypatch.setenv("XWQL_DATA", str(moved))
        status = json.loads(env("converters", "status", "--json").out)
        assert status["running"] is True and status["usable"] is False
        assert "data folder" in status["mismatch"]
        converters = ServiceOrPool(_settings(moved), ensure_sc_fonts(moved))
        with caplog.at_level(logging.WARNING):
            converters.convert(TEMPLATE, tmp_path / "local.pdf")
        converters.stop()
        assert not converters.via_service and "not used" in caplog.text
        assert env("converters", "up").code == 0  # replaces the stale service
        replaced = json.loads(env("converters", "status", "--json").out)
        assert replaced["usable"] is True and replaced["pid"] != status["pid"]
        assert gone(status["pid"])
    finally:
        ConverterService(_settings(moved)).stop()
        first.stop()


def test_mismatch_names_what_differs(data: Path) -> None:
    mine = identity(data, ensure_sc_fonts(data))
    assert mismatch(mine, mine) is None
    assert "fonts" in (mismatch(mine | {"fontconfig": "/elsewhere/fonts.conf"}, mine) or "")
    assert "updated" in (mismatch(mine | {"code": "0" * 16}, mine) or "")


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
    converters = ServiceOrPool(_settings(data), ensure_sc_fonts(data))
    with pytest.raises(ConversionError, match="not a Word document"):
        converters.convert(text, tmp_path / "note.pdf")  # the service's error, typed
    assert converters.via_service
    status = service.query()
    assert status is not None and status["failed"] == 1


@pytest.mark.slow
def test_timeout_inside_the_service_restarts_that_converter(  # type: ignore[no-untyped-def]
    env, data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XWQL_CONVERSION_TIMEOUT", "3")
    service = ConverterService(_settings(data))
    status = service.start()
    try:
        (soffice,) = status["soffice_pids"]
        os.kill(soffice, signal.SIGSTOP)  # a real hang
        converters = ServiceOrPool(_settings(data), ensure_sc_fonts(data))
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
