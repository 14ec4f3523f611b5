"""Benchmark: archive throughput (packages/s, MB/s) and verification speed, on the real server.

Starts a private embedded SeaweedFS (hardened, as ``xwql storage up`` does) in a
temporary data folder, then for N packages of one signed-size PDF each (random
bytes inside a real PDF, ``--size-kb`` per file, so nothing compresses):

* **build**: ``build_package`` into the outbox (hashing, metadata.json, tag files);
* **archive**: ``Archiver.finish``: 6 locked PUTs, a retention read-back per PUT,
  every object read back and compared, the index upsert;
* **unchanged**: the same N units again (the no-op path a re-run takes);
* **verify**: ``audit verify``'s sweep of every package (download, fixity,
  BagIt, schema, PDF, retention of each object).

Run from the project root:

    .venv/bin/python bench/bench_archive.py               # 200 packages of 200 KB
    .venv/bin/python bench/bench_archive.py -n 1000 --size-kb 500

Search latency at 100k indexed records is ``bench/bench_search.py``.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import hashlib
import os
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pikepdf

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.archive.archiver import Archiver  # noqa: E402
from pipeline.archive.index import ArchiveIndex  # noqa: E402
from pipeline.archive.metadata import ArchivalCode, PreviousVersion  # noqa: E402
from pipeline.archive.objectstore import EMBEDDED_REGION, ObjectStore  # noqa: E402
from pipeline.archive.package import Package, build_package  # noqa: E402
from pipeline.archive.signing import KeyStore  # noqa: E402
from pipeline.archive.verify import Verifier, sweep  # noqa: E402
from pipeline.catalog import load_catalog  # noqa: E402
from pipeline.catalog.model import Retention  # noqa: E402
from pipeline.organisations import load_district  # noqa: E402
from pipeline.programs.s3server import EmbeddedS3  # noqa: E402
from tests.archive.records import sample_record  # noqa: E402
from tests.keys import sealer_in  # noqa: E402

BASE = ArchivalCode("LZ-QL-001", 2026, Retention.YEARS_30, "QL-NM", "xwql-022", 1)


def make_pdf(path: Path, size_kb: int) -> Path:
    """A one-page PDF carrying ``size_kb`` KB of random bytes (incompressible)."""
    with pikepdf.new() as pdf:
        pdf.add_blank_page(page_size=(595, 842))
        pdf.Root.Filler = pdf.make_stream(os.urandom(size_kb * 1024))
        with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
            meta["pdfaid:part"] = "2"
            meta["pdfaid:conformance"] = "B"
        pdf.save(path)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=200, help="packages")
    parser.add_argument("--size-kb", type=int, default=200, help="PDF size per package")
    parser.add_argument("--csv", type=Path, default=ROOT / "bench" / "results" / "archive.csv")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="xwql-bench-archive-") as scratch:
        folder = Path(scratch)
        started = time.perf_counter()
        server = EmbeddedS3(folder / "s3")
        endpoint = server.start()
        try:
            store = ObjectStore(endpoint, "xwql-bench", region=EMBEDDED_REGION)
            store.ensure_bucket()
            start_s = time.perf_counter() - started
            with ArchiveIndex(f"sqlite:///{folder / 'index.sqlite3'}") as index:
                figures = run(args.n, args.size_kb, folder, store, index)
        finally:
            server.stop()
    figures["server_start_s"] = start_s
    report(args, figures)


def run(
    count: int, size_kb: int, folder: Path, store: ObjectStore, index: ArchiveIndex
) -> dict[str, float]:
    archiver = Archiver(store, index, folder / "outbox", sealer=sealer_in(folder))
    pdfs = folder / "pdfs"
    pdfs.mkdir()

    def unit(n: int) -> str:
        return f"case_file/BENCH-{n:06d}"

    def source(n: int) -> str:
        return hashlib.sha256(f"bench-{n}".encode()).hexdigest()

    def builder(n: int) -> Callable[[ArchivalCode, PreviousVersion | None, Path], Package]:
        def build(code: ArchivalCode, previous: PreviousVersion | None, target: Path) -> Package:
            record = sample_record(
                archival_code=str(code), source_sha256=source(n), case_id=f"BENCH-{n:06d}"
            )
            pdf = make_pdf(pdfs / f"{n}.pdf", size_kb)
            return build_package(
                target, [("案卷.pdf", pdf, "main")], record, sealer=archiver.sealer
            )

        return build

    # Four-digit sequences per (fonds, year, retention, village, item): spread the units.
    def base(n: int) -> ArchivalCode:
        return ArchivalCode(
            BASE.fonds, 2000 + n // 9000, BASE.retention, BASE.village_code, BASE.item_code, 1
        )

    t0 = time.perf_counter()
    folders = [archiver.prepare(unit(n), source(n), base(n), builder(n)) for n in range(count)]
    build_s = time.perf_counter() - t0
    payload = sum(f.stat().st_size for d in folders for f in d.rglob("*") if f.is_file())
    t0 = time.perf_counter()
    for prepared in folders:
        archiver.finish(prepared)
    archive_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    for n in range(count):
        archiver.archive(unit(n), source(n), base(n), builder(n))
    unchanged_s = time.perf_counter() - t0
    verifier = Verifier(
        ROOT / "archive_schema",
        KeyStore(folder / "signing").trust_roots(),
        load_catalog(ROOT / "catalog"),
        load_district(ROOT / "examples" / "linzi" / "district.yaml"),
    )
    t0 = time.perf_counter()
    reports = list(sweep(store, verifier, index, work=folder))
    verify_s = time.perf_counter() - t0
    fixity_ok = sum(
        1 for r in reports if all(c.passed for c in r.checks if c.name in {"fixity", "objects"})
    )
    return {
        "packages": count,
        "payload_mb": payload / 1e6,
        "build_s": build_s,
        "archive_s": archive_s,
        "unchanged_s": unchanged_s,
        "verify_s": verify_s,
        "fixity_ok": fixity_ok,
    }


def report(args: argparse.Namespace, f: dict[str, float]) -> None:
    n, mb = f["packages"], f["payload_mb"]
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rows = [
        ("server start (hardened weed)", f"{f['server_start_s']:.1f} s", ""),
        ("payload", f"{mb:.1f} MB", f"{int(n)} packages × 6 objects"),
        ("build packages", f"{f['build_s']:.1f} s", f"{n / f['build_s']:.1f} packages/s"),
        ("archive (PUT, lock check, read-back, index)", f"{f['archive_s']:.1f} s",
         f"{n / f['archive_s']:.1f} packages/s, {mb / f['archive_s']:.1f} MB/s"),
        ("re-run, nothing changed", f"{f['unchanged_s']:.2f} s",
         f"{n / f['unchanged_s']:.0f} units/s"),
        ("verify sweep", f"{f['verify_s']:.1f} s",
         f"{n / f['verify_s']:.1f} packages/s, {mb / f['verify_s']:.1f} MB/s"),
        ("fixity + objects passed", f"{int(f['fixity_ok'])}/{int(n)}", ""),
        ("peak RSS, this process", f"{rss:.0f} MB", ""),
    ]  # fmt: skip
    width = max(len(r[0]) for r in rows)
    for name, value, rate in rows:
        print(f"{name:<{width}}  {value:>10}  {rate}")
    new = not args.csv.exists()
    args.csv.parent.mkdir(parents=True, exist_ok=True)
    with args.csv.open("a", newline="") as handle:
        writer = csv.writer(handle)
        if new:
            writer.writerow(
                ["timestamp", "cores", "packages", "size_kb", "payload_mb", "archive_s",
                 "packages_per_s", "mb_per_s", "verify_s", "unchanged_s", "peak_rss_mb"]
            )  # fmt: skip
        writer.writerow(
            [dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), os.cpu_count(), int(n),
             args.size_kb, f"{mb:.1f}", f"{f['archive_s']:.2f}", f"{n / f['archive_s']:.2f}",
             f"{mb / f['archive_s']:.2f}", f"{f['verify_s']:.2f}", f"{f['unchanged_s']:.2f}",
             f"{rss:.0f}"]
        )  # fmt: skip


if __name__ == "__main__":
    main()
