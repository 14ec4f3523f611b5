"""``xwql notice`` through the converter service (the thin client), on real LibreOffice.

Each command runs as the installed ``xwql`` in a process of its own, as a user
runs it: once with no service (the command does the work) and once with the
service up (the service does it and the command prints its answer); both must
give the same files, text, seal-register rows, messages and exit statuses.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pikepdf
import pytest

from pipeline.cases.store import CaseStore
from pipeline.cli._client import parse_notice
from pipeline.cli.converters import converter_service
from pipeline.config import load_settings
from pipeline.database import database_url
from pipeline.programs._service_address import socket_path
from pipeline.programs.converter_service.lifecycle import ConverterService
from pipeline.programs.fonts import ensure_sc_fonts
from tests.conftest import ROOT, pdf_text

XWQL = Path(sys.executable).parent / "xwql"
SAMPLE = ROOT / "examples" / "linzi" / "南马村-2026-11-台账.xlsx"
CASE = "NM-2026-11-001"  # has a 公示 step
NO_NOTICE = "NM-2026-11-003"  # has none


@dataclass
class Done:
    code: int
    out: str
    err: str


def xwql(*args: str, cwd: Path, env: dict[str, str] | None = None) -> Done:
    done = subprocess.run(
        [str(XWQL), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )
    return Done(done.returncode, done.stdout, done.stderr)


# --- which command lines travel ----------------------------------------------------------


def test_what_travels_and_what_runs_here(tmp_path: Path) -> None:
    request = parse_notice(
        ["A-1", "--out", "x/y", "B-2", "--operator=张三", "--no-archive"], tmp_path
    )
    assert request is not None
    assert request["case_ids"] == ["A-1", "B-2"]
    assert request["out"] == str(tmp_path / "x/y") and request["shown_out"] == "x/y"
    assert request["operator"] == "张三"
    village = parse_notice(["--village", "南马村", "--date", "2026-11-09"], tmp_path)
    assert village is not None and village["village"] == "南马村" and village["case_ids"] == []
    # The last of a repeated option wins, as on the command line.
    repeated = parse_notice(["A-1", "--out", "a", "--out", "b"], tmp_path)
    assert repeated is not None and repeated["shown_out"] == "b"
    for here in (
        ["A-1", "--archive"], ["A-1", "--help"], ["--", "A-1"], ["A-1", "--out"],
        ["A-1", "--out", "--operator", "x"], ["A-1", "--out="], ["A-1", "-h"], ["A-1", "--arch"],
        ["A-1", "--json"], [""],
    ):  # fmt: skip
        assert parse_notice(here, tmp_path) is None, here


# --- the same results through the service -----------------------------------------------


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder holding one village's ledger."""
    folder = tmp_path_factory.mktemp("thin-client") / "data"
    folder.mkdir()
    ensure_sc_fonts(folder)
    imported = xwql("intake", str(SAMPLE), cwd=folder, env={**os.environ, "XWQL_DATA": str(folder)})
    assert imported.code == 0, imported.err
    return folder


@pytest.fixture
def home(data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """This test's working directory; the commands (and a service started here) use ``data``."""
    monkeypatch.setenv("XWQL_DATA", str(data))
    monkeypatch.setenv("XWQL_CONVERTER_WORKERS", "1")
    monkeypatch.delenv("COLUMNS", raising=False)  # the default width, 80 columns, both ways
    return tmp_path


@pytest.fixture
def service(home: Path) -> Iterator[ConverterService]:
    started = converter_service(load_settings())
    status = started.start()
    assert status["runs_commands"] and status["commands_mismatch"] is None, status
    try:
        yield started
    finally:
        started.stop()
        assert started.pool_processes() == []


def _commands_run(service: ConverterService) -> int:
    status = service.query()
    assert status is not None
    return int(status["commands_run"])


def _register(data: Path) -> list[tuple[object, ...]]:
    store = CaseStore(database_url(data, None))
    try:
        return [
            (r["organisation"], Path(str(r["document"])).name, r["case_id"], r["page"],
             r["purpose"], r["operator"])
            for r in store.seal_uses()
        ]  # fmt: skip
    finally:
        store.close()


def _pages(pdf: Path) -> int:
    with pikepdf.open(pdf) as document:
        return len(document.pages)


def test_served_notice_equals_the_local_one(home: Path, data: Path) -> None:
    before = len(_register(data))
    local = xwql("notice", CASE, "--out", "local", "--operator", "王五", cwd=home)
    assert local.code == 0, local.err
    local_rows = _register(data)[before:]
    service = converter_service(load_settings())
    service.start()
    try:
        served = xwql("notice", CASE, "--out", "served", "--operator", "王五", cwd=home)
        assert _commands_run(service) == 1  # the service issued it, not this command
        assert served.code == 0, served.err
        served_rows = _register(data)[before + len(local_rows) :]
    finally:
        service.stop()
    # The output folder shows as typed, relative to where the command ran.
    assert served.out == local.out.replace("local/", "served/")
    assert f"served/{CASE}-公示-" in served.out
    assert served.err == local.err
    assert served_rows == local_rows and len(local_rows) == 2  # sheet and internal copy
    mine = sorted(p.relative_to(home / "local") for p in (home / "local").rglob("*.pdf"))
    theirs = sorted(p.relative_to(home / "served") for p in (home / "served").rglob("*.pdf"))
    assert mine == theirs and len(mine) == 2
    for name in mine:
        assert pdf_text(home / "local" / name) == pdf_text(home / "served" / name)
        assert _pages(home / "local" / name) == _pages(home / "served" / name)
        with pikepdf.open(home / "served" / name) as document:
            assert document.open_metadata().pdfa_status == "2B"


def test_failures_are_the_same_through_the_service(home: Path, service: ConverterService) -> None:
    cases = [
        (["NOPE-2026-11-999"], 3, "NOPE-2026-11-999"),
        ([NO_NOTICE], 3, "no notice or result step recorded yet"),
        ([], 3, "give case ids, or"),
        (["--village", "南马村", "--date", "2026-13-40"], 3, "YYYY-MM-DD"),
        ([CASE, "--village", "没有这个村"], 0, "内部存档件"),  # named cases win over --village
    ]
    for number, (args, code, message) in enumerate(cases, start=1):
        served = xwql("notice", *args, "--out", "o", cwd=home)
        assert _commands_run(service) == number, args
        local = xwql("notice", *args, "--out", "o", cwd=home, env=_runs_here())
        assert _commands_run(service) == number  # other settings: the command ran itself
        assert (served.code, served.out, served.err) == (local.code, local.out, local.err)
        assert served.code == code, served.err
        assert message in served.out + served.err


def _runs_here() -> dict[str, str]:
    """The environment with one setting changed: the service must not run the command."""
    return {**os.environ, "XWQL_CONVERSION_TIMEOUT": "61"}


def test_options_that_do_not_travel_run_here(home: Path, service: ConverterService) -> None:
    assert xwql("notice", "--help", cwd=home).code == 0
    done = xwql("notice", CASE, "--out", "o", "--bogus", cwd=home)
    assert done.code == 2 and "--bogus" in done.err  # the command line's own usage error
    assert _commands_run(service) == 0


# --- a service that goes away ------------------------------------------------------------


def _fake_service(path: Path, accept: bool) -> threading.Thread:
    """A socket that takes one request, then closes (after accepting it, or before)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(1)

    def one() -> None:
        with server:
            connection, _ = server.accept()
            with connection:
                connection.makefile("rb").readline()
                if accept:
                    connection.sendall(json.dumps({"ok": True, "accepted": True}).encode() + b"\n")

    thread = threading.Thread(target=one, daemon=True)
    thread.start()
    return thread


def _notice_through_fake_service(home: Path, data: Path, *, accept: bool) -> Done:
    """``xwql notice`` for CASE while a fake service answers once (``accept``) and is gone."""
    path = socket_path(data)
    if len(os.fsencode(path)) > 100:
        pytest.skip("data folder path too long to bind a socket by name")
    thread = _fake_service(path, accept=accept)
    try:
        return xwql("notice", CASE, "--out", "o", cwd=home)
    finally:
        thread.join(10)
        path.unlink(missing_ok=True)


def test_a_service_lost_after_accepting_is_a_clear_failure(home: Path, data: Path) -> None:
    done = _notice_through_fake_service(home, data, accept=True)
    assert done.code == 5
    assert "the converter service stopped before it finished" in done.err
    assert "Run the command again" in done.err
    assert not (home / "o").exists()  # and the command did not do it a second time


def test_a_service_lost_before_accepting_leaves_the_command_to_run_here(
    home: Path, data: Path
) -> None:
    done = _notice_through_fake_service(home, data, accept=False)
    assert done.code == 0, done.err
    assert len(list((home / "o").glob(f"{CASE}-公示-*.pdf"))) == 1


def test_a_service_killed_during_the_command_is_a_clear_failure(
    home: Path, service: ConverterService
) -> None:
    status = service.query()
    assert status is not None
    (soffice,) = status["soffice_pids"]
    os.kill(soffice, signal.SIGSTOP)  # its LibreOffice hangs: the notice waits in the service
    command = subprocess.Popen(
        [str(XWQL), "notice", CASE, "--out", "o"], cwd=home, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        time.sleep(3.0)
        assert command.poll() is None  # accepted, and waiting for the answer
        os.kill(int(status["pid"]), signal.SIGKILL)
        out, err = command.communicate(timeout=60)
    finally:
        if command.poll() is None:
            command.kill()
    assert command.returncode == 5, err
    assert out == ""
    assert "the converter service stopped before it finished" in err
    # Orphaned, its converter ends the hung LibreOffice by itself.
    deadline = time.monotonic() + 20
    while service.pool_processes() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert service.pool_processes() == []


def test_the_service_lays_out_output_as_the_client_terminal_would() -> None:
    from pipeline.cli._served import _console

    output: list[list[str]] = []
    pty = _console("out", {"env": {"TERM": "xterm"}, "tty": [True, False], "size": [0, 0]}, output)
    assert pty.size == (80, 25) and pty.is_terminal  # a pseudo-terminal that says 0 × 0
    narrow = _console("err", {"env": {"COLUMNS": "50"}, "tty": [True, True], "size": [120, 40]}, [])
    assert narrow.width == 50 and narrow.is_terminal
    piped = _console("out", {"env": {}, "tty": [False, False], "size": None}, [])
    assert piped.width == 80 and not piped.is_terminal
    pty.print("[green]✓[/] done")
    assert output == [["out", "\x1b[32m✓\x1b[0m done\n"]]
