"""Starting the embedded SeaweedFS when a chosen port has been taken in the meantime."""

from __future__ import annotations

import socket
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.errors import ExternalProgramError
from pipeline.programs import s3server
from pipeline.programs.s3server import GRPC_PORT_OFFSET, EmbeddedS3
from tests.s3 import remove_sockets

pytestmark = pytest.mark.s3


@pytest.fixture
def server(tmp_path: Path) -> Iterator[EmbeddedS3]:
    (tmp_path / "s3").mkdir()  # so its ports can be read before it first starts
    embedded = EmbeddedS3(tmp_path / "s3")
    try:
        yield embedded
    finally:
        embedded.stop()
        remove_sockets(list(embedded.ports().values()))


def _listen(port: int) -> socket.socket:
    sock = socket.socket()
    sock.bind(("127.0.0.1", port))
    sock.listen()
    return sock


def _server_header(url: str) -> str:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=5) as answer:
            return str(answer.headers.get("Server", ""))
    except urllib.error.HTTPError as refused:
        return str(refused.headers.get("Server", ""))


# The filer's gRPC port is the one a busy machine's outgoing connection once took;
# the S3 port is taken by a program that accepts connections, which must not be
# mistaken for weed being ready.
@pytest.mark.parametrize(("role", "offset"), [("filer", GRPC_PORT_OFFSET), ("s3", 0)])
def test_a_port_taken_before_weed_binds_it_is_replaced(
    server: EmbeddedS3, role: str, offset: int
) -> None:
    taken = server.ports()[role] + offset
    with _listen(taken):
        endpoint = server.start()
        assert server.ports()[role] + offset != taken
        assert server.pid() is not None
        assert endpoint.url == f"http://127.0.0.1:{server.ports()['s3']}"
        assert _server_header(endpoint.url).startswith("SeaweedFS")
    assert "address already in use" in server.log_path.read_text()


def test_a_port_taken_on_every_attempt_fails_with_weeds_own_reason(
    server: EmbeddedS3, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A port that stays taken whatever is chosen cannot be caused for real: every
    # new choice puts the master on the port held here, the others on free ones.
    held = server.ports()["master"]
    others = [p for role, p in server.ports().items() if role != "master"]
    chosen: list[int] = []

    def always_held(companion: int = 0) -> int:
        port = [others[0], held, *others[1:]][len(chosen) % 4]  # the State's order
        chosen.append(port)
        return port

    monkeypatch.setattr(s3server, "free_port", always_held)
    with _listen(held), pytest.raises(ExternalProgramError) as failed:
        server.start()
    message = str(failed.value)
    assert "stopped while starting" in message
    assert f"127.0.0.1:{held}: bind: address already in use" in message
    assert "goroutine" not in message  # weed's fatal line, not its stack dump
    assert f"another program holds port {held} on every attempt: stop it" in message
    assert len(chosen) == 4 * 2  # the two new choices after the first attempt
    assert server.pid() is None


def test_the_eight_ports_are_all_different(tmp_path: Path) -> None:
    for attempt in range(50):
        folder = tmp_path / str(attempt)
        folder.mkdir()
        chosen = EmbeddedS3(folder).ports().values()
        assert len({n for port in chosen for n in (port, port + GRPC_PORT_OFFSET)}) == 8
