"""Fault trials: kill the demo (SIGKILL) at random points, re-run it, count what is in the bucket.

Each trial uses a fresh data folder (so its own embedded S3 server), runs
``xwql demo`` for the villages given, kills its whole process group after a
random delay, runs the same command again to completion and takes a census of
the bucket: complete packages by kind, half-written packages, keys written
twice, units filed twice, objects outside any package. A trial passes when the
re-run exits 0, the census is clean, the outbox is empty and the packages
equal those of an uninterrupted reference run.

    .venv/bin/python tools/fault_trials.py --trials 10
    .venv/bin/python tools/fault_trials.py --trials 3 --village 南马村 --seed 7

Prints one line per trial and a summary for RELIABILITY.md.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.archive.objectstore import open_store  # noqa: E402
from pipeline.archive.retrieval import Census, census  # noqa: E402
from pipeline.config import load_settings  # noqa: E402
from pipeline.programs.s3server import EmbeddedS3  # noqa: E402


def demo(data: Path, villages: list[str]) -> subprocess.Popen[bytes]:
    """``xwql demo`` in its own process group, on the data folder given."""
    chosen = [argument for village in villages for argument in ("--village", village)]
    argv = [sys.executable, "-c", "from pipeline.cli import main; main()", "demo",
            "--out", str(data / "out"), *chosen]  # fmt: skip
    env = os.environ | {"XWQL_DATA": str(data), "PREFECT_HOME": str(data / "prefect")}
    return subprocess.Popen(
        argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        start_new_session=True,
    )  # fmt: skip


def take_census(data: Path) -> Census:
    """The census of the trial's bucket; the embedded server is stopped afterwards."""
    settings = replace(load_settings(), data=data)
    store, server = open_store(settings)
    try:
        return census(store)
    finally:
        if server is not None:
            server.stop()


def run_to_end(data: Path, villages: list[str]) -> tuple[int, float, str]:
    started = time.monotonic()
    process = demo(data, villages)
    _, err = process.communicate(timeout=3600)
    return process.returncode, time.monotonic() - started, err.decode(errors="replace")[-800:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=10)
    parser.add_argument("--village", action="append", default=None)
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    villages = args.village or ["南马村", "东周家村"]
    seed = args.seed if args.seed is not None else random.randrange(1_000_000)
    rng = random.Random(seed)
    scratch = Path(tempfile.mkdtemp(prefix="xwql-fault-trials-"))
    print(f"seed {seed}; villages {', '.join(villages)}; scratch {scratch}")
    try:
        code, duration, err = run_to_end(scratch / "reference", villages)
        if code != 0:
            raise SystemExit(f"the reference run failed ({code}):\n{err}")
        reference = take_census(scratch / "reference")
        print(f"reference: {duration:.0f} s, packages {reference.packages}")
        failures = 0
        for trial in range(1, args.trials + 1):
            data = scratch / f"trial-{trial}"
            delay = rng.uniform(5, max(6.0, duration * 0.95))
            process = demo(data, villages)
            time.sleep(delay)
            killed = process.poll() is None
            if killed:
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            code, _, err = run_to_end(data, villages)
            found = take_census(data)
            outbox = [p.name for p in (data / "outbox").glob("*") if p.name != ".lock"]
            ok = code == 0 and found.clean and not outbox and found.packages == reference.packages
            failures += not ok
            print(
                f"trial {trial:2d}: killed at {delay:5.1f} s{'' if killed else ' (had ended)'}; "
                f"re-run exit {code}; packages {sum(found.packages.values())}; "
                f"incomplete {len(found.incomplete)}, rewritten {len(found.rewritten)}, "
                f"duplicated {len(found.duplicated)}, strays {len(found.strays)}, "
                f"outbox {len(outbox)} -> {'ok' if ok else 'FAILED'}"
            )
            if not ok:
                print(f"   {found}\n   {err}")
            EmbeddedS3(data / "s3").stop()
        print(f"{args.trials} trials, {failures} failed (lost, duplicated or half-written)")
    finally:
        for folder in scratch.glob("*/s3"):
            EmbeddedS3(folder).stop()
        shutil.rmtree(scratch, ignore_errors=True)
    raise SystemExit(1 if failures else 0)


if __name__ == "__main__":
    main()
