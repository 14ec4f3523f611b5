"""Benchmark: documents/s through xwql's warm LibreOffice pool against cold ``soffice``.

Builds N ``flowchart_page`` documents from the catalog (charts drawn once per item,
then one ``.docx`` per document), converts them all to PDF/A-2b over W threads through
the warm ``ConverterPool``, then converts the first K of the same ``.docx`` files with
one cold ``soffice --convert-to pdf`` each. Prints a table and appends one row to a CSV.

Run from the project root:

    .venv/bin/python bench/bench_documents.py --docs 50

Run-time state goes to a temporary ``XWQL_DATA`` unless you set one, so the
project's ``var/`` is never touched.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import datetime as dt
import math
import os
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from pipeline.catalog.load import load_catalog
from pipeline.config import load_settings
from pipeline.documents.engine import DocumentEngine
from pipeline.documents.flowchart import render_flowchart
from pipeline.documents.render import TemplateSet
from pipeline.programs.converter_service.pool import local_pool
from pipeline.programs.fonts import ensure_sc_fonts
from pipeline.programs.soffice import cold_convert
from pipeline.units.booklet import BookletBuilder

BENCH_DIR = Path(__file__).resolve().parent
DEFAULT_CSV = BENCH_DIR / "results" / "documents.csv"
CSV_COLUMNS = [
    "timestamp",
    "cores",
    "workers",
    "docs",
    "render_s",
    "convert_s",
    "total_s",
    "docs_per_s",
    "cold_docs_per_s",
    "ratio_warm_cold",
    "peak_rss_mb",
    "children_peak_rss_mb",
]


@dataclasses.dataclass
class Result:
    """The figures of one run (seconds, documents/s, MB)."""

    cores: int
    workers: int
    docs: int
    cold_docs: int
    fonts_s: float
    startup_s: float
    shutdown_s: float
    charts: int
    charts_s: float
    docx_s: float
    convert_s: float
    cold_s: float
    restarts: int
    warm_pool_mb: float | None
    self_rss_mb: float
    children_rss_mb: float

    @property
    def render_s(self) -> float:
        """Building the documents: drawing the charts and filling the template."""
        return self.charts_s + self.docx_s

    @property
    def total_s(self) -> float:
        """Render and convert, pool start-up excluded."""
        return self.render_s + self.convert_s

    @property
    def total_rate(self) -> float:
        return _rate(self.docs, self.total_s)

    @property
    def convert_rate(self) -> float:
        return _rate(self.docs, self.convert_s)

    @property
    def cold_rate(self) -> float:
        return _rate(self.cold_docs, self.cold_s)

    @property
    def ratio(self) -> float:
        """Warm conversion docs/s over cold conversion docs/s (same .docx files)."""
        cold = self.cold_rate
        return self.convert_rate / cold if cold > 0 else float("nan")


def _rate(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 and count > 0 else float("nan")


def _rss_mb(who: int) -> float:
    # ru_maxrss is in KiB on Linux.
    return resource.getrusage(who).ru_maxrss / 1024


def process_tree(root: int) -> set[int]:
    """``root`` and its live descendants (empty off Linux)."""
    proc = Path("/proc")
    if not proc.is_dir():
        return set()
    parents: dict[int, int] = {}
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # Field 4 is the parent pid; the command name (field 2) may contain spaces.
        parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    tree, frontier = {root}, [root]
    while frontier:
        pid = frontier.pop()
        children = [child for child, parent in parents.items() if parent == pid]
        tree.update(children)
        frontier.extend(children)
    return tree


def _tree_hwm_mb(root: int) -> float | None:
    """Sum of peak RSS (VmHWM) over ``root`` and its live descendants; None off Linux."""
    proc = Path("/proc")
    tree = process_tree(root)
    if not tree:
        return None
    total_kib = 0
    for pid in tree:
        try:
            status = (proc / str(pid) / "status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                total_kib += int(line.split()[1])
    return total_kib / 1024


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Documents/s: render + DOCX→PDF through the warm pool vs cold soffice."
    )
    parser.add_argument("--docs", type=int, default=50, help="documents to build (default 50)")
    parser.add_argument(
        "--cold-sample",
        type=int,
        default=5,
        help="documents converted with a cold soffice each (default 5)",
    )
    parser.add_argument(
        "--workers", type=int, default=None, help="warm converters (default: settings)"
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="folder for the .docx and .pdf files (default: a temporary folder, removed after)",
    )
    parser.add_argument(
        "--csv",
        type=Path,
        default=DEFAULT_CSV,
        help=f"CSV to append a row to (default {DEFAULT_CSV.relative_to(BENCH_DIR.parent)})",
    )
    args = parser.parse_args(argv)
    if args.docs < 1:
        parser.error("--docs must be at least 1")
    if args.cold_sample < 0:
        parser.error("--cold-sample must be 0 or more")
    if args.workers is not None and args.workers < 1:
        parser.error("--workers must be at least 1")
    return args


def run(args: argparse.Namespace, out: Path) -> Result:
    """Build, convert and cold-convert the documents into ``out``; return the figures."""
    settings = load_settings()
    workers = args.workers or settings.converter_workers
    settings = dataclasses.replace(settings, converter_workers=workers)
    catalog = load_catalog(settings.catalog_dir)
    items = [item for item in catalog.items if not item.retired]
    chosen = [items[index % len(items)] for index in range(args.docs)]
    charts_dir, docx_dir, pdf_dir, cold_dir = (
        out / name for name in ("charts", "docx", "pdf", "cold")
    )
    for folder in (charts_dir, docx_dir, pdf_dir, cold_dir):
        folder.mkdir(parents=True, exist_ok=True)

    # Font extraction is a one-off per data folder; keep it out of the start-up figure.
    started = time.perf_counter()
    ensure_sc_fonts(settings.data)
    fonts_s = time.perf_counter() - started
    print(f"data folder {settings.data}; fonts ready in {fonts_s:.2f} s", flush=True)

    started = time.perf_counter()
    # A pool of its own, never the converter service: the benchmark measures the pool.
    pool = local_pool(settings, ensure_sc_fonts(settings.data), settings.data / "converters")
    with pool:
        engine = DocumentEngine(
            settings=settings,
            fonts=ensure_sc_fonts(settings.data),
            templates=TemplateSet(settings.templates_dir),
            pool=pool,
        )
        startup_s = time.perf_counter() - started
        print(f"pool of {workers} started in {startup_s:.2f} s", flush=True)
        booklet = BookletBuilder(catalog, engine, work=out, cache=out / "cache")

        started = time.perf_counter()
        charts: dict[str, Path] = {}
        for item in chosen:
            if item.code not in charts:
                charts[item.code] = render_flowchart(
                    item, charts_dir / f"{item.code}.png", engine.fonts
                )
        charts_s = time.perf_counter() - started

        started = time.perf_counter()
        documents: list[Path] = []
        for index, item in enumerate(chosen):
            context = booklet.flowchart_context(item, charts[item.code])
            target = docx_dir / f"{index:04d}-{item.code}.docx"
            documents.append(engine.templates.render("flowchart_page", context, target))
        docx_s = time.perf_counter() - started
        print(f"rendered {len(documents)} documents in {charts_s + docx_s:.2f} s", flush=True)

        def convert(document: Path) -> Path:
            return engine.pool.convert(document, pdf_dir / f"{document.stem}.pdf")

        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=workers) as executor:
            pdfs = list(executor.map(convert, documents))
        convert_s = time.perf_counter() - started
        print(f"converted {len(pdfs)} documents in {convert_s:.2f} s (warm)", flush=True)
        _check_pdfs(pdfs)
        restarts = engine.pool.restarts
        # Read before the pool stops: LibreOffice is not a direct child, so RUSAGE_CHILDREN
        # never sees it once the pool kills it.
        peaks = [
            _tree_hwm_mb(instance.process.pid)
            for instance in pool.instances
            if instance.process is not None
        ]
        warm_pool_mb = (
            sum(p for p in peaks if p is not None) if peaks and None not in peaks else None
        )
        stopping = time.perf_counter()
    shutdown_s = time.perf_counter() - stopping

    # The pool is stopped: the cold runs do not compete with it for the cores.
    sample = documents[: args.cold_sample]
    started = time.perf_counter()
    cold_pdfs = [cold_convert(document, cold_dir) for document in sample]
    cold_s = time.perf_counter() - started
    if sample:
        print(f"converted {len(sample)} documents in {cold_s:.2f} s (cold)", flush=True)
    _check_pdfs(cold_pdfs)

    return Result(
        cores=os.cpu_count() or 1,
        workers=workers,
        docs=len(documents),
        cold_docs=len(sample),
        fonts_s=fonts_s,
        startup_s=startup_s,
        shutdown_s=shutdown_s,
        charts=len(charts),
        charts_s=charts_s,
        docx_s=docx_s,
        convert_s=convert_s,
        cold_s=cold_s,
        restarts=restarts,
        warm_pool_mb=warm_pool_mb,
        self_rss_mb=_rss_mb(resource.RUSAGE_SELF),
        children_rss_mb=_rss_mb(resource.RUSAGE_CHILDREN),
    )


def _check_pdfs(pdfs: Sequence[Path]) -> None:
    bad = [pdf for pdf in pdfs if not pdf.is_file() or pdf.stat().st_size == 0]
    if bad:
        raise SystemExit(f"{len(bad)} PDF(s) missing or empty, e.g. {bad[0]}")


def _per_s(rate: float) -> str:
    return "n/a" if math.isnan(rate) else f"{rate:.2f} docs/s"


def _table(result: Result) -> str:
    r = result
    warm_pool = "n/a" if r.warm_pool_mb is None else f"{r.warm_pool_mb:.0f} MB"
    rows = [
        ("cores / warm converters", f"{r.cores} / {r.workers}", ""),
        ("documents (warm / cold)", f"{r.docs} / {r.cold_docs}", ""),
        ("pool start-up", f"{r.startup_s:.2f} s", ""),
        ("pool shut-down", f"{r.shutdown_s:.2f} s", ""),
        (
            f"render ({r.charts} charts + {r.docs} docx)",
            f"{r.render_s:.2f} s",
            _per_s(_rate(r.docs, r.render_s)),
        ),
        ("  of which charts", f"{r.charts_s:.2f} s", ""),
        ("  of which docx", f"{r.docx_s:.2f} s", _per_s(_rate(r.docs, r.docx_s))),
        ("convert, warm pool", f"{r.convert_s:.2f} s", _per_s(r.convert_rate)),
        ("end-to-end (render + convert)", f"{r.total_s:.2f} s", _per_s(r.total_rate)),
        ("convert, cold soffice", f"{r.cold_s:.2f} s", _per_s(r.cold_rate)),
        ("speed-up (warm / cold convert)", "n/a" if math.isnan(r.ratio) else f"{r.ratio:.1f}x", ""),
        ("converter restarts", str(r.restarts), ""),
        ("peak RSS, this process", f"{r.self_rss_mb:.0f} MB", ""),
        ("peak RSS, largest child", f"{r.children_rss_mb:.0f} MB", ""),
        ("peak RSS, warm pool (sum)", warm_pool, ""),
    ]  # fmt: skip
    width = max(len(label) for label, _, _ in rows)
    lines = [f"{label:<{width}}  {value:>12}  {rate}".rstrip() for label, value, rate in rows]
    rule = "-" * max(len(line) for line in lines)
    return "\n".join([rule, *lines, rule])


def _append_csv(path: Path, result: Result) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    new = not path.exists() or path.stat().st_size == 0
    r = result
    with path.open("a", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        if new:
            writer.writerow(CSV_COLUMNS)
        writer.writerow(
            [
                dt.datetime.now().astimezone().isoformat(timespec="seconds"),
                r.cores,
                r.workers,
                r.docs,
                f"{r.render_s:.3f}",
                f"{r.convert_s:.3f}",
                f"{r.total_s:.3f}",
                f"{r.total_rate:.3f}",
                f"{r.cold_rate:.3f}",
                f"{r.ratio:.2f}",
                f"{r.self_rss_mb:.1f}",
                f"{r.children_rss_mb:.1f}",
            ]
        )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark once; print the table and append the CSV row."""
    args = _parse_args(argv)
    temporary: list[Path] = []
    if not os.environ.get("XWQL_DATA"):
        data = Path(tempfile.mkdtemp(prefix="xwql-bench-data-"))
        os.environ["XWQL_DATA"] = str(data)
        temporary.append(data)
    if args.out is None:
        out = Path(tempfile.mkdtemp(prefix="xwql-bench-out-"))
        temporary.append(out)
    else:
        out = args.out.resolve()
        out.mkdir(parents=True, exist_ok=True)
    try:
        result = run(args, out)
    finally:
        for folder in temporary:
            shutil.rmtree(folder, ignore_errors=True)
    print(_table(result))
    _append_csv(args.csv, result)
    print(f"row appended to {args.csv}")
    if args.out is not None:
        print(f"documents kept in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
