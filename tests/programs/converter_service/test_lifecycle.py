"""``xwql converters up|down|status``: starting, replacing and stopping the service."""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import stat
import time
from pathlib import Path

import pytest

from pipeline.programs._service_address import service_folder
from pipeline.programs.converter_service.lifecycle import ConverterService
from pipeline.programs.converter_service.pool import ServiceOrPool
from pipeline.programs.fonts import ensure_sc_fonts
from tests.conftest import pdf_text
from tests.programs.converter_service.conftest import TEMPLATE, one_converter
from tests.programs.processes import gone, wait_for

pytestmark = pytest.mark.soffice


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
    assert ConverterService(one_converter(data)).pool_processes() == []
    assert not (service_folder(data) / "socket").exists()
    after = json.loads(env("converters", "status", "--json").out)
    assert after["running"] is False and after["stale_socket"] is False
    assert env("converters", "down").out.strip() == "not running"


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
    converters = ServiceOrPool(one_converter(data), ensure_sc_fonts(data))
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


def test_service_of_another_data_folder_is_not_used_and_up_replaces_it(  # type: ignore[no-untyped-def]
    env,
    data: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    old = tmp_path / "old" / "data"
    shutil.copytree(data / "fonts", old / "fonts")
    first = ConverterService(one_converter(old))
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
        converters = ServiceOrPool(one_converter(moved), ensure_sc_fonts(moved))
        with caplog.at_level(logging.WARNING):
            converters.convert(TEMPLATE, tmp_path / "local.pdf")
        converters.stop()
        assert not converters.via_service and "not used" in caplog.text
        assert env("converters", "up").code == 0  # replaces the stale service
        replaced = json.loads(env("converters", "status", "--json").out)
        assert replaced["usable"] is True and replaced["pid"] != status["pid"]
        assert gone(status["pid"])
    finally:
        ConverterService(one_converter(moved)).stop()
        first.stop()
