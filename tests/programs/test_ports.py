"""Ports for xwql's own servers are chosen where outgoing connections cannot take them."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from pipeline.programs import ports
from pipeline.programs.ports import LOWEST_PORT, free_port
from pipeline.programs.s3server import GRPC_PORT_OFFSET


def _bindable(port: int) -> bool:
    """Whether a server could listen on ``port`` now (checked apart from the module's own way)."""
    try:
        socket.create_server(("127.0.0.1", port)).close()
    except OSError:
        return False
    return True


@pytest.fixture(autouse=True)
def linux_default_range(monkeypatch: pytest.MonkeyPatch) -> None:
    """Linux's default ephemeral range (32768–60999), whatever this machine is set to."""
    monkeypatch.setattr(ports, "ephemeral_start", lambda: 32768)


def test_the_ephemeral_range_is_read_from_the_kernel(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.undo()  # the real function, not the fixture's
    setting = tmp_path / "ip_local_port_range"
    setting.write_text("40000\t60999\n")
    monkeypatch.setattr(ports, "_EPHEMERAL_RANGE", setting)
    assert ports.ephemeral_start() == 40000
    monkeypatch.setattr(ports, "_EPHEMERAL_RANGE", tmp_path / "missing")
    assert ports.ephemeral_start() == 32768


def test_a_range_starting_low_leaves_the_choice_to_the_kernel(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(ports, "ephemeral_start", lambda: 1024)
    port = free_port(GRPC_PORT_OFFSET)
    assert _bindable(port) and _bindable(port + GRPC_PORT_OFFSET)


def test_ports_lie_below_the_ephemeral_range_and_are_free() -> None:
    top = ports.ephemeral_start()
    for _ in range(50):
        port = free_port()
        assert LOWEST_PORT <= port < top
        assert _bindable(port)


def test_a_port_pair_lies_wholly_below_the_ephemeral_range() -> None:
    for _ in range(50):
        port = free_port(GRPC_PORT_OFFSET)
        assert port >= LOWEST_PORT and port + GRPC_PORT_OFFSET < ports.ephemeral_start()
        assert _bindable(port) and _bindable(port + GRPC_PORT_OFFSET)


@pytest.mark.parametrize("taken_offset", [0, GRPC_PORT_OFFSET])
def test_a_pair_with_either_port_in_use_is_passed_over(
    monkeypatch: pytest.MonkeyPatch, taken_offset: int
) -> None:
    busy, spare = free_port(GRPC_PORT_OFFSET), free_port(GRPC_PORT_OFFSET)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", busy + taken_offset))
        taken.listen()
        picks = iter([busy, spare])
        monkeypatch.setattr(ports.random, "randint", lambda low, high: next(picks))
        assert free_port(GRPC_PORT_OFFSET) == spare
