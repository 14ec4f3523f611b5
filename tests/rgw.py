"""A one-node Ceph RGW on 127.0.0.1, from Debian's packages: the second S3 server proven.

One monitor, one OSD and one radosgw, each a daemon of its own, configured in one
folder (``ceph.conf``, the daemons' data, logs, sockets and pid files): nothing is
written outside it and every port is free when chosen. The OSD keeps its objects in
memory (``memstore``): the cluster is up in about 15 s instead of minutes, and what it
proves is the S3 API and its object lock, not Ceph's durability.

Run by hand (``bash scripts/rgw start DIR`` prints the ``XWQL_S3_*`` settings for
``xwql``; ``bash scripts/rgw stop DIR``), or by the tests' ``rgw`` fixture.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

PACKAGES = ("ceph-mon", "ceph-osd", "radosgw", "ceph-common")
ACCESS_KEY = "xwqlrgwaccess"
SECRET_KEY = "xwql-rgw-secret-for-tests-only"  # a throw-away cluster on 127.0.0.1
REGION = "us-east-1"
DAEMONS = ("client.rgw.a", "osd.0", "mon.a")  # stopped in this order
START_TIMEOUT = 120.0


class RgwUnavailable(RuntimeError):
    """The cluster could not be made or started; the message says which step and why."""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass(frozen=True)
class OneNodeRgw:
    """The cluster of ``folder``: its configuration, its daemons, its S3 endpoint."""

    folder: Path

    @property
    def conf(self) -> Path:
        return self.folder / "ceph.conf"

    @property
    def url(self) -> str:
        return (self.folder / "url").read_text().strip()

    def settings(self) -> dict[str, str]:
        """The environment that points ``xwql`` at this cluster."""
        return {
            "XWQL_S3_URL": self.url,
            "XWQL_S3_ACCESS_KEY": ACCESS_KEY,
            "XWQL_S3_SECRET_KEY": SECRET_KEY,
        }

    def _run(self, step: str, *command: str, timeout: float = 60) -> str:
        try:
            done = subprocess.run(
                [*command, "-c", str(self.conf)], capture_output=True, text=True,
                timeout=timeout, check=False,
            )  # fmt: skip
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise RgwUnavailable(f"{step}: {exc}") from exc
        if done.returncode != 0:
            raise RgwUnavailable(f"{step}: exit {done.returncode}: {done.stderr.strip()[-800:]}")
        return done.stdout

    def start(self) -> OneNodeRgw:
        """Make the cluster in the (new or emptied) folder and start it; wait for S3."""
        missing = [p for p in ("ceph-mon", "ceph-osd", "radosgw") if not shutil.which(p)]
        if missing:
            raise RgwUnavailable(
                f"{', '.join(missing)} not installed: apt-get install {' '.join(PACKAGES)}"
            )
        for attempt in (1, 2):
            try:
                return self._make()
            except RgwUnavailable as exc:
                # The OSD now and then fails its first start (exit 250) on a fresh
                # memstore; a cluster made again from nothing starts.
                self.stop()
                print(f"rgw: attempt {attempt}: {exc}; making the cluster again", file=sys.stderr)
        return self._make()

    def _make(self) -> OneNodeRgw:
        self.stop()
        if self.folder.exists():
            shutil.rmtree(self.folder)
        for name in ("run", "log", "mon", "osd0", "rgw"):
            (self.folder / name).mkdir(parents=True)
        mon, s3 = _free_port(), _free_port()
        fsid = str(uuid.uuid4())
        self.conf.write_text(_configuration(self.folder, fsid, mon, s3))
        (self.folder / "url").write_text(f"http://127.0.0.1:{s3}\n")
        monmap = str(self.folder / "monmap")
        subprocess.run(
            ["monmaptool", "--create", "--add", "a", f"v1:127.0.0.1:{mon}", "--fsid", fsid,
             monmap], capture_output=True, check=True, timeout=30,
        )  # fmt: skip
        self._run("monitor mkfs", "ceph-mon", "--mkfs", "-i", "a", "--monmap", monmap)
        self._run("monitor start", "ceph-mon", "-i", "a")
        self._run("OSD mkfs", "ceph-osd", "-i", "0", "--mkfs")
        # Not registered beforehand: the OSD adds itself with the id it was made with
        # (a uuid given to `ceph osd new` need not be the one memstore keeps).
        self._run("OSD start", "ceph-osd", "-i", "0")
        self._run("gateway start", "radosgw", "-n", "client.rgw.a")
        self._wait_for_s3()
        self._run(
            "S3 user", "radosgw-admin", "user", "create", "--uid=xwql", "--display-name=xwql",
            f"--access-key={ACCESS_KEY}", f"--secret={SECRET_KEY}",
        )  # fmt: skip
        return self

    def _wait_for_s3(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url, timeout=5):
                    return
            except urllib.error.HTTPError:
                return  # an S3 answer (e.g. 403): the gateway serves
            except OSError:
                time.sleep(1)
        log = self.folder / "log" / "client.rgw.a.log"
        tail = log.read_text(errors="replace")[-800:] if log.is_file() else "(no log)"
        raise RgwUnavailable(f"the gateway did not answer within {START_TIMEOUT:g} s: {tail}")

    def stop(self) -> None:
        """Stop the daemons (by their pid files); the folder stays for reading its logs."""
        for daemon in DAEMONS:
            pid_file = self.folder / "run" / f"{daemon}.pid"
            try:
                pid = int(pid_file.read_text().strip())
            except (OSError, ValueError):
                continue
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                continue
            for _ in range(100):
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.1)
            else:
                os.kill(pid, signal.SIGKILL)


def _configuration(folder: Path, fsid: str, mon: int, s3: int) -> str:
    return f"""[global]
fsid = {fsid}
mon host = v1:127.0.0.1:{mon}
mon initial members = a
auth cluster required = none
auth service required = none
auth client required = none
auth allow insecure global id reclaim = true
ms bind ipv6 = false
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd crush chooseleaf type = 0
mon allow pool size one = true
mon warn on pool no redundancy = false
mon data avail warn = 1
mon data avail crit = 0
osd objectstore = memstore
memstore device bytes = 2147483648
run dir = {folder}/run
log file = {folder}/log/$name.log
admin socket = {folder}/run/$name.asok
pid file = {folder}/run/$name.pid
[mon.a]
mon data = {folder}/mon
public addr = 127.0.0.1
[osd.0]
osd data = {folder}/osd0
[client.rgw.a]
rgw frontends = beast endpoint=127.0.0.1:{s3}
rgw data = {folder}/rgw
"""


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description="A one-node Ceph RGW on 127.0.0.1.")
    parser.add_argument("action", choices=("start", "stop"))
    parser.add_argument("folder", type=Path)
    args = parser.parse_args(argv)
    cluster = OneNodeRgw(args.folder.resolve())
    if args.action == "stop":
        cluster.stop()
        return 0
    started = time.monotonic()
    try:
        cluster.start()
    except RgwUnavailable as exc:
        print(f"rgw: {exc}", file=sys.stderr)
        return 1
    print(f"# Ceph RGW up in {time.monotonic() - started:.0f} s; point xwql at it with:")
    for name, value in cluster.settings().items():
        print(f"export {name}={value}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
