"""Benchmark: wall time of ``xwql notice`` for one case, cold and with the services up.

The targets: one notice from a cold command line (nothing running before) in at
most 3 s, and with the services up (``xwql converters up``) in at most 0.5 s.

On a fresh temporary data folder (never the project's ``var/``) it imports one
village's ledger, runs the real ``xwql notice CASE --out DIR`` as a subprocess
once untimed (the one-off font extraction of a new data folder), then R times
cold, then starts the converter service (timed), R times warm, and stops the
service. Each run is the whole command: Python start-up, imports, catalog, case
store, rendering, conversion, seals and the register. With the service up, the
command is a thin client: the service issues the notice with the same code and
the command prints its answer; the warm runs check that the service ran each
of them (and converted its two documents). Prints median, min and
max against the targets, the command's own CPU time (the rest of the wall time
is waiting for LibreOffice), and appends one row to ``bench/results/notice.csv``.

With the service up it also times the same notice R times inside one Python
process that has imported xwql already (``pipeline.cli.run``; the first call
untimed): the command without its interpreter start and imports, which is what
a resident command process could answer in.

Run from the project root:

    .venv/bin/python bench/bench_notice.py --runs 7

``--source DIR`` measures another copy of the code instead (for example an
earlier commit unpacked with ``git archive``); with no converter service there,
only the cold runs are made.

The machine's load average is recorded with the figures: other work on the same
cores shows in them.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
XWQL = Path(sys.executable).parent / "xwql"
DEFAULT_CSV = ROOT / "bench" / "results" / "notice.csv"
DEFAULT_LEDGER = ROOT / "examples" / "linzi" / "ledgers" / "2026-11" / "上台村-2026-11-台账.xlsx"
TARGET_COLD_S = 3.0
TARGET_WARM_S = 0.5
CSV_COLUMNS = [
    "timestamp", "label", "cores", "runs", "case", "load_1min",
    "cold_median_s", "cold_min_s", "cold_max_s", "cold_cpu_s",
    "warm_median_s", "warm_min_s", "warm_max_s", "warm_cpu_s",
    "service_up_s", "service_down_s", "resident_median_s",
]  # fmt: skip

_RESIDENT = """
import contextlib, io, json, sys, time
from pipeline.cli import run
case, out, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
times = []
for index in range(runs + 1):
    started = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        code = run(["notice", case, "--out", f"{out}-{index}"])
    if code:
        raise SystemExit(code)
    times.append(time.perf_counter() - started)
print(json.dumps(times[1:]))
"""


@dataclass
class Runs:
    """Wall and CPU seconds of repeated runs of one command."""

    wall: list[float]
    cpu: list[float]

    def row(self, label: str, target: float) -> str:
        median = statistics.median(self.wall)
        verdict = "meets" if median <= target else "MISSES"
        return (
            f"{label:<6} median {median:5.2f} s  min {min(self.wall):5.2f}  "
            f"max {max(self.wall):5.2f}  cpu {statistics.median(self.cpu):4.2f} s  "
            f"(target ≤ {target:.1f} s: {verdict})"
        )


def _run(argv: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Run ``xwql argv``; wall seconds, CPU seconds (user + system) and its output."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        [str(XWQL), *argv], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode != 0:
        raise SystemExit(f"xwql {' '.join(argv)} failed ({done.returncode}):\n{done.stderr}")
    return wall, cpu, done.stdout


def _notices(case: str, runs: int, work: Path, label: str, env: dict[str, str]) -> Runs:
    result = Runs([], [])
    for index in range(runs):
        wall, cpu, _ = _run(["notice", case, "--out", str(work / f"{label}-{index}")], env)
        result.wall.append(wall)
        result.cpu.append(cpu)
        print(f"  {label} {index + 1}/{runs}: {wall:.2f} s", flush=True)
    return result


def _commit() -> str:
    done = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    )
    return done.stdout.strip() or "unknown"


def _has_service(env: dict[str, str]) -> bool:
    done = subprocess.run(
        [str(XWQL), "converters", "--help"], cwd=ROOT, env=env, capture_output=True, check=False
    )
    return done.returncode == 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=7, help="runs of each kind (default 7)")
    parser.add_argument("--case", default="ST-2026-10-004", help="the case (has a notice)")
    parser.add_argument("--ledger", type=Path, default=DEFAULT_LEDGER)
    parser.add_argument("--csv", type=Path, default=DEFAULT_CSV)
    parser.add_argument("--source", type=Path, help="another copy of the code to measure")
    parser.add_argument("--label", help="what is measured (default: the current commit)")
    args = parser.parse_args()
    label = args.label or _commit()

    work = Path(tempfile.mkdtemp(prefix="xwql-bench-notice-"))
    env = {**os.environ, "XWQL_DATA": str(work / "data"), "COLUMNS": "200"}
    # As installed, Python keeps the compiled modules: the untimed first run writes them.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if args.source is not None:
        env["PYTHONPATH"] = str(args.source.resolve())  # found before the installed copy
        ledger_root = args.source.resolve()
    else:
        ledger_root = ROOT
    load = os.getloadavg()[0]
    print(f"data folder {work / 'data'}; load average {load:.2f}; {os.cpu_count()} cores")
    up_s = down_s = 0.0
    warm: Runs | None = None
    resident: list[float] = []
    try:
        _run(["intake", str(ledger_root / args.ledger.resolve().relative_to(ROOT))], env)
        _run(["notice", args.case, "--out", str(work / "first")], env)  # fonts, once
        cold = _notices(args.case, args.runs, work, "cold", env)
        if _has_service(env):
            up_s, _, _ = _run(["converters", "up"], env)
            print(f"  converters up: {up_s:.2f} s", flush=True)
            warm = _notices(args.case, args.runs, work, "warm", env)
            _, _, out = _run(["converters", "status", "--json"], env)
            served, commands = json.loads(out)["converted"], json.loads(out).get("commands_run")
            if served != 2 * args.runs:  # the public sheet and the internal copy, each run
                raise SystemExit(f"the warm runs converted {served} documents via the service")
            if commands is not None and commands != args.runs:  # older code: no commands
                raise SystemExit(f"the service ran {commands} of the {args.runs} warm commands")
            done = subprocess.run(
                [sys.executable, "-c", _RESIDENT, args.case, str(work / "resident"),
                 str(args.runs)],
                cwd=ROOT, env=env, capture_output=True, text=True, check=True,
            )  # fmt: skip
            resident = json.loads(done.stdout.splitlines()[-1])
        else:
            print("  no converter service in this code: no warm runs", flush=True)
    finally:
        started = time.perf_counter()
        if warm is not None:
            subprocess.run([str(XWQL), "converters", "down"], cwd=ROOT, env=env, check=False)
        down_s = time.perf_counter() - started
        shutil.rmtree(work, ignore_errors=True)

    print()
    load = max(load, os.getloadavg()[0])  # the higher of the readings before and after
    print(f"{label}: load average up to {load:.2f}")
    print(cold.row("cold", TARGET_COLD_S))
    if warm is not None:
        print(warm.row("warm", TARGET_WARM_S))
        print(f"converters up {up_s:.2f} s, down {down_s:.2f} s")
        print(
            f"resident: median {statistics.median(resident):.2f} s  min {min(resident):.2f}  "
            f"max {max(resident):.2f}  (xwql imported already, services up)"
        )

    def figure(runs: Runs | None, what: str) -> str:
        if runs is None:
            return ""
        value = {
            "median": statistics.median(runs.wall), "min": min(runs.wall),
            "max": max(runs.wall), "cpu": statistics.median(runs.cpu),
        }[what]  # fmt: skip
        return f"{value:.3f}"

    row = {
        "timestamp": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "label": label,
        "cores": os.cpu_count(),
        "runs": args.runs,
        "case": args.case,
        "load_1min": f"{load:.2f}",
        **{f"cold_{what}_s": figure(cold, what) for what in ("median", "min", "max", "cpu")},
        **{f"warm_{what}_s": figure(warm, what) for what in ("median", "min", "max", "cpu")},
        "service_up_s": f"{up_s:.2f}" if warm else "",
        "service_down_s": f"{down_s:.2f}" if warm else "",
        "resident_median_s": f"{statistics.median(resident):.3f}" if resident else "",
    }
    args.csv.parent.mkdir(parents=True, exist_ok=True)
    new = not args.csv.is_file()
    with args.csv.open("a", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS)
        if new:
            writer.writeheader()
        writer.writerow(row)
    print(f"appended to {args.csv}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
