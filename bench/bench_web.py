"""Benchmark: the workspace's pages under many clerks, and one notice printed through the page.

The targets: the workspace's pages answer with a p95 of at most 150 ms with 50
users on 2 cores (scenario A), and printing one notice through the notices page,
with the services warm, takes at most 1 s end to end (scenario B).

On a fresh temporary data folder (never the project's ``var/``, nor a database,
bucket or keys the environment names: those settings are dropped) it imports the
sample district's 16 ledgers (``examples/linzi/ledgers/2026-11``), makes a clerk
account per village and a town office account for 齐陵街道, and serves the real app
with ``xwql web --workers 2`` on 127.0.0.1 (uvicorn, a worker per core).

* **A** runs locust headless (``bench/locust_workspace.py``): U users, started at
  R a second, for T seconds. Every tenth user is the town office, the others
  clerks of the villages in turn. Each logs in once through the login form, then
  goes round the cases list (``/w/cases``), one of its cases (``/w/cases/<id>``)
  and the start page (``/w``), with a think time between pages. Each user comes
  from a loopback address of its own (the login limit counts per address). After
  an untimed warm-up of both workers, prints per route the requests, median, p95,
  p99, requests a second and failures: first of the requests started once every
  user has logged in (the target's figures), then of the whole run, logins
  included; and the CPU seconds the server (all its processes) and locust used.
* **B** starts the converter service (``xwql converters up``) and the embedded S3
  store (``xwql storage up``) for that data folder, logs in as 南马村's clerk and
  posts the notices form for 2026-11-02 (one notice, a 结果公开): printed, stamped,
  collated into the PDF to print and filed in the archive, as a clerk's click does.
  The first print is timed alone (it also files the notice), then P reprints
  (the notice is printed again; filing finds it archived, unchanged). Prints
  min, median and max. The services are stopped at the end.

Run from the project root:

    .venv/bin/python bench/bench_web.py                   # 50 users, 30 s, 5 reprints
    .venv/bin/python bench/bench_web.py --users 20 --duration 60 --think 2 6 --skip-notice

Appends one row per route of each of A's two tables and one per kind of print of
B to ``bench/results/web.csv``. The load generator runs on the same cores as the
server, and so does any other work on the machine: the cores and load averages
are printed with the figures, and the CSV keeps the 1-minute load average read
before the run (the machine's other work; the run adds its own).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import math
import os
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx

from pipeline.accounts.model import AccountRole, Scope
from pipeline.accounts.store import AccountStore
from pipeline.config import Settings
from pipeline.intake.importing import import_ledger
from pipeline.jobs.month import file_packs, write_packs
from pipeline.jobs.notices import NoticeRequest, archive_notices, issue_notices, notices_of
from pipeline.rules.calendar import CHINA
from pipeline.web.config import WebConfig
from pipeline.workspace import Workspace

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
XWQL = BIN / "xwql"
LOCUSTFILE = ROOT / "bench" / "locust_workspace.py"
LOCUST_BOARD = ROOT / "bench" / "locust_board.py"
LEDGERS = ROOT / "examples" / "linzi" / "ledgers" / "2026-11"
DEFAULT_CSV = ROOT / "bench" / "results" / "web.csv"
PASSWORD = "bench password 2026"
OFFICE, OFFICE_TOWN = "bench-ql-office", "QL"
NOTICE_CLERK, NOTICE_VILLAGE, NOTICE_DAY = "bench-ql-nm", "QL-NM", "2026-11-02"
PAGES = ("/w/cases", "/w/cases/[id]", "/w")
TARGET_PAGE_P95_MS = 150.0
TARGET_PRINT_S = 1.0
BOARD_PAGES = ("/v/[village]", "/n/[code]")
TARGET_BOARD_P95_MS, TARGET_BOARD_RPS = 100.0, 300.0
BOARD_MONTH, BOARD_PACKS_ISSUED, OPERATOR = (2026, 11), dt.date(2026, 12, 1), "基准测试"
FLOOD_ADDRESS, FLOOD_VILLAGE = "127.0.99.1", "QL-NM"
FLOOD_ROUTE = "/v/[village]/report (flood)"
BOARD_LOOKUPS = 6000
"""Notice look-ups an address may make a minute in C (the app's default is 20): each villager
here reads a notice every second or faster, which a person does not do for long."""
FORM_TOKEN = re.compile(r'name="form_token" value="([^"]+)"')
ELSEWHERE = (
    "XWQL_DATABASE_URL", "XWQL_INDEX_URL", "XWQL_INDEX_KEY", "XWQL_S3_URL", "XWQL_S3_BUCKET",
    "XWQL_S3_ACCESS_KEY", "XWQL_S3_ACCESS_KEY_FILE", "XWQL_S3_SECRET_KEY",
    "XWQL_S3_SECRET_KEY_FILE", "XWQL_SIGNING_KEYS", "XWQL_SIGNING_PASSPHRASE", "XWQL_DISTRICT",
)  # fmt: skip
"""Settings that name stores, keys or a district outside the data folder: not for a benchmark."""
CSV_COLUMNS = [
    "date", "commit", "scenario", "cores", "load_1min", "users", "think_s", "duration_s",
    "route", "requests", "median_ms", "p95_ms", "p99_ms", "min_ms", "max_ms", "rps", "failures",
]  # fmt: skip


def _commit() -> str:
    """The commit measured; ``+`` when the code has changes not committed yet."""
    head = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    changed = subprocess.run(
        ["git", "status", "--porcelain", "--", "pipeline"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    return f"{head or 'unknown'}{'+' if changed else ''}"


def _load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) used so far by process ``pid`` and its descendants."""
    parents: dict[int, int] = {}
    ticks: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # gone meanwhile
        child = int(stat.parent.name)
        parents[child], ticks[child] = int(fields[1]), int(fields[11]) + int(fields[12])
    tree, grew = {pid}, True
    while grew:
        found = {p for p, parent in parents.items() if parent in tree} - tree
        tree |= found
        grew = bool(found)
    return sum(ticks.get(p, 0) for p in tree) / os.sysconf("SC_CLK_TCK")


def _xwql(argv: list[str], env: dict[str, str]) -> float:
    """Run ``xwql argv`` to the end; its wall seconds."""
    started = time.perf_counter()
    done = subprocess.run([str(XWQL), *argv], cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"xwql {' '.join(argv)} failed ({done.returncode}):\n{done.stderr}")
    return time.perf_counter() - started


def _stop_service(name: str, env: dict[str, str]) -> None:
    """``xwql NAME down``, even when the run failed (a failure here is only printed)."""
    done = subprocess.run([str(XWQL), name, "down"], cwd=ROOT, env=env, capture_output=True,
                          text=True, check=False)  # fmt: skip
    if done.returncode != 0:
        print(f"xwql {name} down failed ({done.returncode}): {done.stderr}", flush=True)


def prepare(settings: Settings, users: int) -> list[dict[str, Any]]:
    """Import the 16 ledgers, make the accounts; the locust users' seats, in order."""
    started = time.perf_counter()
    with Workspace.open(settings) as workspace:
        for ledger in sorted(LEDGERS.glob("*-台账.xlsx")):
            import_ledger(ledger, workspace)
        villages = workspace.directory.villages
        codes = [place.village.code for place in villages]
        cases = {code: [c.case_id for c in workspace.store.find(village=code)] for code in codes}
        store = AccountStore.of(settings)
        try:
            for place in villages:
                name = f"bench-{place.village.code.lower()}"
                store.add(name, AccountRole.CLERK, Scope(village=place.village.code), PASSWORD,
                          workspace.directory)  # fmt: skip
            store.add(OFFICE, AccountRole.OFFICE, Scope(town=OFFICE_TOWN), PASSWORD,
                      workspace.directory)  # fmt: skip
        finally:
            store.close()
    town = [p.village.code for p in villages if p.town.code == OFFICE_TOWN]
    office = {"name": OFFICE, "password": PASSWORD, "cases": [c for v in town for c in cases[v]]}
    seats = []
    for number in range(users):
        if number % 10 == 9:
            seats.append(office)
        else:
            code = villages[(number - number // 10) % len(villages)].village.code
            seats.append({"name": f"bench-{code.lower()}", "password": PASSWORD,
                          "cases": cases[code]})  # fmt: skip
    total = sum(len(found) for found in cases.values())
    print(
        f"prepared: {len(villages)} villages, {total} cases, {len(villages) + 1} accounts "
        f"in {time.perf_counter() - started:.1f} s",
        flush=True,
    )
    return seats


def serve(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    """``xwql web --workers 2`` on ``port``, once it answers."""
    with log.open("wb") as out:
        server = subprocess.Popen(
            [str(XWQL), "web", "--port", str(port), "--workers", "2"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"xwql web stopped ({server.returncode}):\n{log.read_text()}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/", timeout=2).status_code == 200:
                return server
        except httpx.TransportError:
            pass  # not listening yet
        time.sleep(0.2)
    server.terminate()
    raise SystemExit(f"xwql web did not answer within 60 s:\n{log.read_text()}")


def stop(server: subprocess.Popen[bytes]) -> None:
    """Stop the server as Ctrl-C would (uvicorn stops its workers first)."""
    server.send_signal(signal.SIGINT)
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def _percentile(ordered: list[float], share: float) -> float:
    """The nearest-rank percentile of sorted values."""
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def _figures(route: str, requests: list[tuple[float, bool]], seconds: float) -> dict[str, Any]:
    """Count, failures and times (ms) of one route's requests over ``seconds``."""
    times = sorted(ms for ms, _ in requests)
    return {
        "route": route, "requests": len(times), "failures": sum(f for _, f in requests),
        "median_ms": statistics.median(times), "p95_ms": _percentile(times, 0.95),
        "p99_ms": _percentile(times, 0.99), "min_ms": times[0], "max_ms": times[-1],
        "rps": len(times) / seconds,
    }  # fmt: skip


def _table(title: str, rows: list[dict[str, Any]]) -> None:
    print(title)
    print(f"  {'route':<48}{'requests':>9}{'median':>8}{'p95':>7}{'p99':>7}{'max':>7}"
          f"{'req/s':>7}{'failed':>7}   (ms)")  # fmt: skip
    for row in rows:
        verdict = ""
        route = row["route"].removeprefix("GET ")
        target = {**dict.fromkeys(PAGES, TARGET_PAGE_P95_MS),
                  **dict.fromkeys(BOARD_PAGES, TARGET_BOARD_P95_MS)}.get(route)  # fmt: skip
        if target is not None:
            met = row["p95_ms"] <= target and not row["failures"]
            verdict = f"  p95 target ≤ {target:.0f} ms: {'meets' if met else 'MISSES'}"
        print(
            f"  {row['route']:<48}{row['requests']:>9}{row['median_ms']:>8.0f}"
            f"{row['p95_ms']:>7.0f}{row['p99_ms']:>7.0f}{row['max_ms']:>7.0f}{row['rps']:>7.1f}"
            f"{row['failures']:>7}{verdict}"
        )


@dataclass(frozen=True)
class LocustRun:
    """What one locust run did: its requests as written, and the CPU the server and it used.

    Attributes:
        read: The rows of the requests file (route, start, ms, status, error).
        requests: Route, start (epoch seconds), milliseconds and whether it failed, each.
        server_cpu: CPU seconds of the server's processes over the run.
        locust_cpu: CPU seconds of locust over the run.
    """

    read: list[dict[str, str]]
    requests: list[tuple[str, float, float, bool]]
    server_cpu: float
    locust_cpu: float


def _locust(
    locustfile: Path, users: int, spawn_rate: float, duration: int, env: dict[str, str],
    url: str, server: int, work: Path,
) -> LocustRun:  # fmt: skip
    """Run ``locustfile`` headless with ``users`` for ``duration`` seconds; what it did."""
    log = work / f"requests-{locustfile.stem}.csv"
    log.unlink(missing_ok=True)
    command = [
        str(BIN / "locust"), "-f", str(locustfile), "--headless", "--only-summary",
        "-u", str(users), "-r", f"{spawn_rate:g}", "-t", f"{duration}s",
        "--host", url, "--logfile", str(work / f"{locustfile.stem}.log"),
    ]  # fmt: skip
    cpu_before = _tree_cpu(server)
    used_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(
        command, cwd=ROOT, env={**env, "XWQL_BENCH_REQUESTS": str(log)},
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_cpu = _tree_cpu(server) - cpu_before
    locust_cpu = (used.ru_utime - used_before.ru_utime) + (used.ru_stime - used_before.ru_stime)
    if not log.is_file():  # locust failed before it ran (a bad option, the locustfile)
        raise SystemExit(f"locust failed ({done.returncode}):\n{done.stderr}")
    with log.open(newline="") as handle:
        read = list(csv.DictReader(handle))
    requests = [(r["route"], float(r["start"]), float(r["ms"]), bool(r["error"])) for r in read]
    if not requests:
        raise SystemExit(f"locust made no request:\n{done.stderr}")
    return LocustRun(read, requests, server_cpu, locust_cpu)


def scenario_a(
    args: argparse.Namespace, env: dict[str, str], url: str, server: int, work: Path
) -> list[tuple[str, list[dict[str, Any]]]]:
    """Run locust; the figures of the pages once every user is in, then of the whole run.

    The users log in at the start, all within a few seconds (each login hashes the
    password with Argon2id, ~0.15 s of CPU on purpose); pages asked for meanwhile
    wait behind the logins. The target is about the pages once the clerks are at
    work, so the first figures count only the requests started after the last
    login; the whole run's, logins included, follow.
    """
    think = f"{args.think[0]:g} {args.think[1]:g}"
    print(f"A: {args.users} users (+{args.spawn_rate:g}/s), {args.duration} s, think {think} s; "
          f"load average {_load()}", flush=True)  # fmt: skip
    _warm_up(url)
    extra = {"XWQL_BENCH_SEATS": str(work / "seats.json"), "XWQL_BENCH_THINK": think}
    run = _locust(LOCUSTFILE, args.users, args.spawn_rate, args.duration, {**env, **extra},
                  url, server, work)  # fmt: skip
    read, requests, server_cpu, locust_cpu = run.read, run.requests, run.server_cpu, run.locust_cpu
    first = min(start for _, start, _, _ in requests)
    last = max(start + ms / 1000 for _, start, ms, _ in requests)
    logins = [start + ms / 1000 for route, start, ms, _ in requests if route == "POST /login"]
    logged_in = max(logins, default=first)

    def rows(since: float, routes: list[str]) -> list[dict[str, Any]]:
        seconds = last - since
        chosen = [(route, ms, failed) for route, start, ms, failed in requests
                  if start >= since and route in routes]  # fmt: skip
        found = [
            _figures(route, [(ms, f) for r, ms, f in chosen if r == route], seconds)
            for route in routes
            if any(r == route for r, _, _ in chosen)
        ]
        return [*found, _figures("all", [(ms, f) for _, ms, f in chosen], seconds)]

    pages = [f"GET {path}" for path in PAGES]
    every = pages + sorted({route for route, *_ in requests} - set(pages))
    steady = rows(logged_in, pages)
    whole = rows(first, every)
    _table(f"once all {len(logins)} users are in ({last - logged_in:.0f} s, after "
           f"{logged_in - first:.1f} s of logins):", steady)  # fmt: skip
    _table(f"the whole run ({last - first:.0f} s, logins included):", whole)
    print(
        f"CPU: server {server_cpu:.1f} s ({1000 * server_cpu / len(requests):.1f} ms a request), "
        f"locust {locust_cpu:.1f} s, of the {(last - first) * (os.cpu_count() or 1):.0f} "
        f"core-seconds of the run; load average after {_load()}",
        flush=True,
    )
    errors = Counter(f"{r['route']}: {r['error']}" for r in read if r["error"])
    for error, count in errors.most_common(5):
        print(f"  failed {count}×  {error}", flush=True)
    failed_logins = sum(f for route, _, _, f in requests if route == "POST /login")
    if len(logins) - failed_logins < args.users:
        print("  NOTE: not every user logged in (see the failures above)", flush=True)
    return [("A once all are in", steady), ("A whole run", whole)]


def _log_in(client: httpx.Client, name: str) -> str:
    """Log in through the form as a browser does; the session's form token."""
    page = client.get("/login")
    match = FORM_TOKEN.search(page.text)
    assert match, page.text
    fields = {"name": name, "password": PASSWORD, "form_token": match.group(1)}
    answer = client.post("/login", data=fields)
    if answer.status_code != 303:
        raise SystemExit(f"login of {name} refused ({answer.status_code})")
    start = client.get("/w")
    token = FORM_TOKEN.search(start.text)
    assert token, start.text
    return token.group(1)


def _warm_up(url: str) -> None:
    """Each page a few times, untimed, on new connections: both workers open the workspace.

    A worker opens the catalog, the organisations and the case store on its first
    page; a server that has been up a while has done so long ago.
    """
    no_keep_alive = httpx.Limits(max_keepalive_connections=0)
    with httpx.Client(base_url=url, timeout=60, limits=no_keep_alive) as client:
        _log_in(client, OFFICE)
        for _ in range(6):
            for path in ("/w/cases", "/w"):
                client.get(path).raise_for_status()


def scenario_b(args: argparse.Namespace, env: dict[str, str], url: str) -> list[dict[str, Any]]:
    """The first print and ``args.prints`` reprints of one notice through the page."""
    print(f"B: one notice ({NOTICE_VILLAGE} {NOTICE_DAY}) through POST /w/notices; "
          f"load average {_load()}", flush=True)  # fmt: skip
    with httpx.Client(base_url=url, timeout=120, follow_redirects=False) as client:
        token = _log_in(client, NOTICE_CLERK)
        form = {"village": NOTICE_VILLAGE, "date": NOTICE_DAY, "form_token": token}
        times: list[float] = []
        printed: list[bool] = []
        for index in range(args.prints + 1):
            started = time.perf_counter()
            answer = client.post("/w/notices?format=json", data=form)
            times.append(time.perf_counter() - started)
            result = answer.json().get("result") if answer.status_code == 200 else None
            sheets = result["sheets"] if result else []
            label = "first print" if index == 0 else f"reprint {index}/{args.prints}"
            printed.append(
                len(sheets) == 1 and bool(sheets[0]["archival_code"]) and not result["filing_error"]
            )
            if printed[-1]:
                print(f"  {label}: {times[-1]:.2f} s  {sheets[0]['filed']}", flush=True)
            else:
                print(f"  {label}: {times[-1]:.2f} s  NOT printed and filed "
                      f"({answer.status_code}): {answer.text[:300]}", flush=True)  # fmt: skip
    first, again = times[0], times[1:]
    median = statistics.median(again)
    verdict = "meets" if median <= TARGET_PRINT_S and all(printed) else "MISSES"
    print(
        f"first print {first:.2f} s; reprints median {median:.2f} s  min {min(again):.2f}  "
        f"max {max(again):.2f}  (target ≤ {TARGET_PRINT_S:.0f} s: {verdict}); "
        f"load average after {_load()}",
        flush=True,
    )

    def row(route: str, values: list[float], failed: int) -> dict[str, Any]:
        return {
            "route": route, "requests": len(values), "failures": failed,
            "median_ms": 1000 * statistics.median(values), "p95_ms": "", "p99_ms": "",
            "min_ms": 1000 * min(values), "max_ms": 1000 * max(values), "rps": "",
        }  # fmt: skip

    return [
        row("POST /w/notices first print", [first], int(not printed[0])),
        row("POST /w/notices reprint", again, printed[1:].count(False)),
    ]


def prepare_board(settings: Settings, users: int) -> dict[str, Any]:
    """Issue, post and file every notice of the district, file the packs; the villagers' seats.

    As the clerks' notice job does (the converter and storage services up): each
    village's notices printed day by day, stamped, registered in the case store with
    their codes and filed in the archive (those issued already, by B, are left as
    they are: a second print would register another sheet than the one filed); each
    village's November pack written and filed. The board's pages then read what a
    district's board would hold.
    """
    started = time.perf_counter()
    out = settings.data / "posted"
    with Workspace.open(settings) as workspace:
        villages = [place.village.code for place in workspace.directory.villages]
        days: dict[str, list[dt.date]] = {}  # the days of notices not issued yet (B's is)
        for village in villages:
            known = {n.verification_code for n in workspace.store.notices_of_village(village)}
            jobs = notices_of(workspace, workspace.store.find(village=village))
            days[village] = sorted({j.step.date for j in jobs if j.verification_code not in known})
    issued = 0
    for village in villages:
        for day in days[village]:
            request = NoticeRequest([], village, day, out / village, operator=OPERATOR)
            done = issue_notices(settings, request)
            if done.failed:
                raise SystemExit(f"notices of {village} on {day} not issued: {done.failed}")
            archive_notices(settings, done.issued)
            issued += len(done.issued)
    noticed = time.perf_counter()
    packs = write_packs(settings, BOARD_MONTH, out / "packs", issued_on=BOARD_PACKS_ISSUED,
                        operator=OPERATOR)  # fmt: skip
    if packs.failed:
        raise SystemExit(f"packs not written: {packs.failed}")
    file_packs(settings, packs.packs)
    with Workspace.open(settings) as workspace:
        codes = {
            village: [n.verification_code for n in workspace.store.notices_of_village(village)]
            for village in villages
        }
    posted = [village for village in villages if codes[village]]
    seats = [{"village": v, "codes": codes[v]} for v in (posted[n % len(posted)]
             for n in range(users))]  # fmt: skip
    print(
        f"board prepared: {issued} notices of {len(posted)} villages issued and filed in "
        f"{noticed - started:.0f} s, {len(packs.packs)} monthly packs written and filed in "
        f"{time.perf_counter() - noticed:.0f} s",
        flush=True,
    )
    return {"seats": seats, "flood": {"address": FLOOD_ADDRESS, "village": FLOOD_VILLAGE}}


def _warm_board(url: str, board: dict[str, Any]) -> None:
    """Every village's board and every notice once, untimed, on new connections; checked.

    Each worker opens the workspace and the archive's index on its first board;
    each notice's sheet is fetched from the archive on the first view of its page
    and its pages kept (a notice's page seen once already on a real board).
    Raises SystemExit unless every page renders with its sheet.
    """
    no_keep_alive = httpx.Limits(max_keepalive_connections=0)
    villages = {seat["village"]: seat["codes"] for seat in board["seats"]}
    with httpx.Client(base_url=url, timeout=60, limits=no_keep_alive) as client:
        for village, codes in villages.items():
            for _ in range(2):
                answer = client.get(f"/v/{village}")
                if answer.status_code != 200:
                    raise SystemExit(f"/v/{village} answered {answer.status_code}")
            for code in codes:
                answer = client.get(f"/n/{code}")
                if answer.status_code != 200 or f"/n/{code}/page-1.png" not in answer.text:
                    raise SystemExit(f"/n/{code} answered {answer.status_code} without its sheet")


def scenario_c(
    args: argparse.Namespace, env: dict[str, str], url: str, server: int, work: Path,
    board: dict[str, Any],
) -> list[tuple[str, list[dict[str, Any]]]]:  # fmt: skip
    """Villagers read the board while a flood of reports from one address is refused.

    The figures of the requests started once every user is running (the target's),
    then of the whole run; the flood's sends, accepted and refused, in both.
    """
    think = f"{args.board_think[0]:g} {args.board_think[1]:g}"
    users, flooders = args.board_users, args.flooders
    codes = sum(len(codes) for codes in {s["village"]: s["codes"] for s in board["seats"]}.values())
    print(
        f"C: {users} villagers (+{args.board_spawn_rate:g}/s; {codes} notices of "
        f"{len({s['village'] for s in board['seats']})} villages), think {think} s, and "
        f"{flooders} flooders from {FLOOD_ADDRESS} sending reports to {FLOOD_VILLAGE} without "
        f"pause; {args.board_duration} s; load average {_load()}",
        flush=True,
    )
    _warm_board(url, board)
    (work / "board.json").write_text(json.dumps(board, ensure_ascii=False))
    extra = {"XWQL_BENCH_BOARD": str(work / "board.json"), "XWQL_BENCH_THINK": think,
             "XWQL_BENCH_FLOODERS": str(flooders)}  # fmt: skip
    run = _locust(LOCUST_BOARD, users + flooders, args.board_spawn_rate, args.board_duration,
                  {**env, **extra}, url, server, work)  # fmt: skip
    first = min(start for _, start, _, _ in run.requests)
    last = max(start + ms / 1000 for _, start, ms, _ in run.requests)
    all_in = first + (users + flooders) / args.board_spawn_rate
    pages = [f"GET {path}" for path in BOARD_PAGES]

    def rows(since: float) -> list[dict[str, Any]]:
        seconds = last - since
        chosen = [(r, ms, f) for r, start, ms, f in run.requests if start >= since]
        found = [
            _figures(route, [(ms, f) for r, ms, f in chosen if r == route], seconds)
            for route in pages
            if any(r == route for r, _, _ in chosen)
        ]
        found.append(_figures("board pages", [(ms, f) for r, ms, f in chosen if r in pages],
                              seconds))  # fmt: skip
        sent = [r for r in run.read
                if r["route"] == f"POST {FLOOD_ROUTE}" and float(r["start"]) >= since]  # fmt: skip
        for status, label in (("303", "accepted (303)"), ("429", "refused (429)")):
            sends = [(float(r["ms"]), bool(r["error"])) for r in sent if r["status"] == status]
            if sends:
                found.append(_figures(f"POST {FLOOD_ROUTE} {label}", sends, seconds))
        forms = [(ms, f) for r, ms, f in chosen if r == f"GET {FLOOD_ROUTE}"]
        if forms:
            found.append(_figures(f"GET {FLOOD_ROUTE}", forms, seconds))
        return found

    steady, whole = rows(all_in), rows(first)
    _table(f"C once all {users + flooders} users are in ({last - all_in:.0f} s, after "
           f"{all_in - first:.1f} s of start):", steady)  # fmt: skip
    _table(f"C, the whole run ({last - first:.0f} s, the start included):", whole)
    total = next(row for row in steady if row["route"] == "board pages")
    met = total["rps"] >= TARGET_BOARD_RPS and all(
        row["p95_ms"] <= TARGET_BOARD_P95_MS and not row["failures"]
        for row in steady
        if row["route"] in pages
    )
    print(
        f"board pages once all are in: {total['rps']:.0f} requests/s, p95 "
        f"{total['p95_ms']:.0f} ms (target: p95 ≤ {TARGET_BOARD_P95_MS:.0f} ms and "
        f"≥ {TARGET_BOARD_RPS:.0f}/s with {users} users: {'meets' if met else 'MISSES'})",
        flush=True,
    )
    flood = [row for row in run.read if row["route"] == f"POST {FLOOD_ROUTE}"]
    answers = Counter(row["status"] for row in flood)
    others = {k: v for k, v in answers.items() if k not in ("303", "429")}
    print(
        f"flood: {len(flood)} reports sent from one address, {answers['303']} accepted, "
        f"{answers['429']} refused (429)" + (f", other answers {dict(others)}" if others else ""),
        flush=True,
    )
    print(
        f"CPU: server {run.server_cpu:.1f} s ({1000 * run.server_cpu / len(run.requests):.2f} ms "
        f"a request), locust {run.locust_cpu:.1f} s, of the "
        f"{(last - first) * (os.cpu_count() or 1):.0f} "
        f"core-seconds of the run ({os.cpu_count()} cores); load average after {_load()}",
        flush=True,
    )
    errors = Counter(f"{r['route']}: {r['status']} {r['error']}" for r in run.read if r["error"])
    for error, count in errors.most_common(5):
        print(f"  failed {count}×  {error}", flush=True)
    return [("once all are in", steady), ("whole run", whole)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--users", type=int, default=50, help="simulated users in A (50)")
    parser.add_argument("--spawn-rate", type=float, default=25, help="users started a second (25)")
    parser.add_argument("--duration", type=int, default=30, help="seconds of A (30)")
    parser.add_argument(
        "--think", type=float, nargs=2, default=(1.0, 3.0), metavar=("MIN", "MAX"),
        help="seconds a user waits between pages (1 3)",
    )  # fmt: skip
    parser.add_argument("--prints", type=int, default=5, help="reprints timed in B (5)")
    parser.add_argument("--board-users", type=int, default=200, help="villagers in C (200)")
    parser.add_argument("--flooders", type=int, default=3,
                        help="senders of reports from one address in C (3)")  # fmt: skip
    parser.add_argument("--board-spawn-rate", type=float, default=100,
                        help="villagers started a second in C (100)")  # fmt: skip
    parser.add_argument("--board-duration", type=int, default=30, help="seconds of C (30)")
    parser.add_argument(
        "--board-think", type=float, nargs=2, default=(0.4, 0.8), metavar=("MIN", "MAX"),
        help="seconds a villager waits between pages in C (0.4 0.8: 200 ask about 300 a "
        "second; 0 0: as fast as answered, the capacity)",
    )  # fmt: skip
    parser.add_argument(
        "--lookups-per-minute", type=int, default=BOARD_LOOKUPS,
        help=f"the server's limit of notice look-ups per address in C ({BOARD_LOOKUPS})",
    )  # fmt: skip
    parser.add_argument("--skip-pages", action="store_true", help="skip A")
    parser.add_argument("--skip-notice", action="store_true", help="skip B")
    parser.add_argument("--skip-board", action="store_true", help="skip C")
    parser.add_argument("--only-board", action="store_true", help="run C only")
    parser.add_argument("--csv", type=Path, default=DEFAULT_CSV, help="where rows are appended")
    parser.add_argument(
        "--keep", action="store_true", help="keep the data folder and the logs (web.log, requests)"
    )
    args = parser.parse_args()

    # Everything lives in the temporary data folder, here and in every command started:
    # a benchmark never writes to a configured database or bucket.
    for name in ELSEWHERE:
        os.environ.pop(name, None)
    commit = _commit()
    cores = os.cpu_count() or 1
    before = os.getloadavg()[0]
    print(f"{commit}: {cores} cores; load average {_load()} (1, 5, 15 min). Other work on "
          "these cores, and locust itself, shows in the figures.", flush=True)  # fmt: skip
    work = Path(tempfile.mkdtemp(prefix="xwql-bench-web-"))
    data = work / "data"
    env = {**os.environ, "XWQL_DATA": str(data), "COLUMNS": "200"}
    settings = replace(Settings(), data=data)
    figures: list[tuple[str, int, str, int, list[dict[str, Any]]]] = []
    with ExitStack() as cleanup:
        if args.keep:
            print(f"data folder and logs kept in {work}", flush=True)
        else:
            cleanup.callback(shutil.rmtree, work, ignore_errors=True)
        seats = prepare(settings, args.users)
        (work / "seats.json").write_text(json.dumps(seats, ensure_ascii=False))
        run_a = not (args.skip_pages or args.only_board)
        run_b = not (args.skip_notice or args.only_board)
        run_c = not args.skip_board
        server = None
        if run_a or run_b:
            port = _free_port()
            url = f"http://127.0.0.1:{port}"
            server = serve(env, port, work / "web.log")
            cleanup.callback(stop, server)
        if run_a:
            assert server is not None
            think = f"{args.think[0]:g}-{args.think[1]:g}"
            for scenario, rows in scenario_a(args, env, url, server.pid, work):
                figures.append((scenario, args.users, think, args.duration, rows))
        if run_b or run_c:
            up = _xwql(["converters", "up"], env)
            cleanup.callback(_stop_service, "converters", env)
            storage = _xwql(["storage", "up"], env)
            cleanup.callback(_stop_service, "storage", env)
            print(f"converters up {up:.1f} s, storage up (with its WORM self-check) "
                  f"{storage:.1f} s", flush=True)  # fmt: skip
        if run_b:
            started = time.perf_counter()
            rows = scenario_b(args, env, url)
            figures.append(("B", 1, "", round(time.perf_counter() - started), rows))
        if server is not None:
            stop(server)
        if run_c:
            board = prepare_board(settings, args.board_users)
            port = _free_port()
            url = f"http://127.0.0.1:{port}"
            lookups = {"XWQL_WEB_LOOKUPS_PER_MINUTE": str(args.lookups_per_minute)}
            limits = WebConfig()
            print(
                f"C's server: XWQL_WEB_LOOKUPS_PER_MINUTE={args.lookups_per_minute} (default 20 "
                "a minute per address; each simulated villager reads a notice every second or "
                "faster, so the default would refuse them after 20: the limit is still checked "
                "on every look-up). Sends limited as the server reads them: "
                f"{limits.objections_per_hour} an hour per address, "
                f"{limits.objections_per_notice} an hour per notice. "
                f"The app's today is the system clock's, {dt.datetime.now(CHINA).date()} in China: "
                "November's notices have ended their periods (the boards show them as results; "
                "no objection can be made), so the flood sends reports, which need no period.",
                flush=True,
            )
            board_server = serve({**env, **lookups}, port, work / "web-board.log")
            cleanup.callback(stop, board_server)
            think = f"{args.board_think[0]:g}-{args.board_think[1]:g}"
            for window, rows in scenario_c(args, env, url, board_server.pid, work, board):
                scenario = f"C board {args.board_users} users + {args.flooders} flooders, {window}"
                figures.append((scenario, args.board_users, think, args.board_duration, rows))

    args.csv.parent.mkdir(parents=True, exist_ok=True)
    new = not args.csv.is_file()
    with args.csv.open("a", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS, extrasaction="ignore")
        if new:
            writer.writeheader()
        for scenario, users, think, duration, rows in figures:
            for row in rows:
                writer.writerow({
                    **{k: (f"{v:.1f}" if isinstance(v, float) else v) for k, v in row.items()},
                    "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                    "commit": commit, "scenario": scenario, "cores": cores,
                    "load_1min": f"{before:.2f}", "users": users, "think_s": think,
                    "duration_s": duration,
                })  # fmt: skip
    print(f"appended to {args.csv}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
