"""Benchmark: a synthetic district month end to end, through the flows, the real S3 and LibreOffice.

Writes a district of N villages (``district.yaml``) and one ledger of M cases
per village with the sample district's seeded generator
(``examples/linzi/make_sample_ledgers.py``), then runs ``district_month_flow``
inside ``run_context`` as ``xwql demo`` does, on a temporary ``XWQL_DATA`` (its
own embedded SeaweedFS, SQLite stores, Prefect home) — import, catalog, notices,
case files (signed, archived, indexed), monthly packs, district summary. Prints:

* documents/s and pages/s end to end (a document is a PDF LibreOffice produced);
* each stage (``pipeline.stages``) as summed thread-seconds and as a share of the
  summed stage time;
* the raw-conversion baseline: the same DOCX files through ``ConverterPool.convert``
  alone, as many threads as the pipeline converts with (so the converters join
  documents as they do in the run), and the ratio pipeline/baseline; and the same
  files one per LibreOffice call, for scale;
* a cold ``soffice --convert-to pdf`` per document on a sample, for scale;
* peak RSS of this process and of the whole process tree (LibreOffice, weed, …);
* with ``--scale 5``, the time against the last 1× run of the same size in the CSV.

Appends one row to ``bench/results/district.csv`` with the core count. Run from
the project root:

    .venv/bin/python bench/bench_district.py --villages 4 --cases 10    # a quick check
    .venv/bin/python bench/bench_district.py                            # 50 villages × 20 cases
    .venv/bin/python bench/bench_district.py --villages 10 --scale 5    # 5× of 10 × 20
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import dataclasses
import datetime as dt
import itertools
import math
import os
import random
import re
import resource
import shutil
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pikepdf
import yaml

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
SAMPLE = ROOT / "examples" / "linzi"
sys.path.insert(0, str(SAMPLE))  # the generator's two scripts import each other by name

import make_sample_ledgers as generator  # noqa: E402
from bench_documents import _rss_mb, process_tree  # noqa: E402
from make_sample_ledger import write_ledger  # noqa: E402

from pipeline.cases.model import CaseStatus  # noqa: E402
from pipeline.catalog import Catalog, load_catalog  # noqa: E402
from pipeline.config import Settings, load_settings  # noqa: E402
from pipeline.errors import CalendarNotCovered  # noqa: E402
from pipeline.organisations import Directory, Place, load_district  # noqa: E402
from pipeline.programs.fonts import ensure_sc_fonts  # noqa: E402
from pipeline.programs.s3server import EmbeddedS3  # noqa: E402
from pipeline.programs.soffice import ConverterPool, cold_convert  # noqa: E402
from pipeline.stages import StageTotal, reset, snapshot  # noqa: E402

DEFAULT_CSV = BENCH_DIR / "results" / "district.csv"
MONTH = generator.MONTH
ISSUED_ON = dt.date(2026, 12, 1)
STAGES = ("render", "convert", "stamp", "sign", "collate", "archive", "index")
VILLAGES_PER_TOWN = 10
GIB = 1024**3

# The issue's targets (on 2 cores, default workload; RSS and growth at 5×).
TARGET_DOCS_PER_S = 15.0
TARGET_OVERHEAD = 0.20
TARGET_GROWTH = 5.5
TARGET_RSS_GIB = 1.5

# One village's cases, repeated in this order: per 10 cases 3 closed relief cases, 2 closed
# money cases, 1 other closed case, 2 open, 1 open and overdue, 1 rejected or withdrawn.
MIX = ("aid", "funds", "open", "other", "aid", "late", "funds", "open", "aid", "refused")

CSV_COLUMNS = [
    "timestamp", "cores", "workers", "villages", "cases_per_village", "scale", "cases",
    "documents", "pages", "total_s", "docs_per_s", "pages_per_s", "baseline_s",
    "baseline_start_s", "ratio", "overhead_share", "cold_s_per_doc", "peak_rss_self_mb",
    "peak_rss_tree_mb", "peak_pss_tree_mb", *(f"{name}_s" for name in STAGES),
    "baseline_single_s",
]  # fmt: skip


# --- the synthetic district -------------------------------------------------------------------


def village_names(count: int) -> list[str]:
    """``count`` different village names: 东王庄村, 西王庄村, …"""
    surnames = list(dict.fromkeys(generator.SURNAMES))
    names = (
        f"{direction}{surname}{suffix}"
        for suffix in ("庄村", "家村", "店村", "营村", "屯村", "官村", "桥村")
        for surname in surnames
        for direction in "东西南北前后上下大小"
    )
    chosen = list(itertools.islice(names, count))
    if len(chosen) < count:
        raise SystemExit(f"at most {len(chosen)} villages")
    return chosen


def district_data(villages: int) -> dict[str, Any]:
    """An organisations file of ``villages`` villages, ten to a town."""
    names = village_names(villages)
    town_names = [f"{a}{b}镇" for a in "东西南北中" for b in "山河湖川岭原林泉"]
    towns: list[dict[str, Any]] = []
    for number, name in enumerate(names, start=1):
        t = (number - 1) // VILLAGES_PER_TOWN + 1
        if len(towns) < t:
            towns.append({"code": f"T{t:02d}", "name": town_names[(t - 1) % len(town_names)]
                          + ("" if t <= len(town_names) else str(t)),
                          "phone": f"0533-71{t:05d}", "villages": []})  # fmt: skip
        committee = f"{name}民委员会"
        towns[-1]["villages"].append({
            "code": f"T{t:02d}-V{number:03d}", "name": name, "committee": committee,
            "seal_text": f"样例区{towns[-1]['name']}{committee}",
            "service_phone": f"0533-72{number:05d}", "supervision_phone": f"0533-73{number:05d}",
            "fonds": f"BZ-T{t:02d}-{number:03d}",
        })  # fmt: skip
    return {"name": "样例区", "city": "淄博市", "code": "BZ", "fonds": "BZ-000",
            "supervision_phone": "0533-7000000", "towns": towns}  # fmt: skip


def plan_cases(
    place: Place, index: int, count: int, catalog: Catalog, ids: set[str], town_officer: str
) -> list[Any]:
    """``count`` cases of ``place``'s month in the proportions of ``MIX``, checked by the rules.

    Every fourth village also has one of the sample's irregular (forced) cases.
    """
    rng = random.Random(f"bench-{place.village.code}")
    people = generator.People(rng, set(), ids)  # names repeat between villages, IDs never
    month = generator.start_month(place, catalog, people, town_officer, rng)
    draws: dict[str, Callable[[], None]] = {
        "aid": lambda: month.closed(rng.choice(generator.CLOSED_AID), proxy=rng.random() < 0.3),
        "funds": lambda: month.closed(rng.choice(generator.CLOSED_FUNDS)),
        "other": lambda: month.closed(rng.choice(generator.CLOSED_OTHER)),
        "open": lambda: month.open(rng.choice(generator.OPEN), proxy=rng.random() < 0.25),
        "late": lambda: month.late_case(rng.choice(generator.OVERDUE)),
        "rejected": lambda: month.refused(rng.choice(generator.REJECTED), CaseStatus.REJECTED),
        "withdrawn": lambda: month.refused(rng.choice(generator.WITHDRAWN), CaseStatus.WITHDRAWN),
    }
    for number in range(count):
        kind = MIX[number % len(MIX)]
        if kind == "refused":
            kind = "rejected" if number % 20 < 10 else "withdrawn"
        if number == count - 1 and index % 4 == 1:
            forcing = generator.IRREGULAR[index // 4 % len(generator.IRREGULAR)]
            draws["irregular"] = lambda forcing=forcing: month.irregular(forcing)
            kind = "irregular"
        for _ in range(50):
            try:
                draws[kind]()
                break
            except CalendarNotCovered:  # a draw whose steps run into 2027: not this month's
                continue
        else:
            raise SystemExit(f"no {kind} case fits {place.village.name}'s month")
    return generator.number(place, month.cases, taken=0)


def write_district(folder: Path, villages: int, cases: int, catalog: Catalog) -> list[Path]:
    """Write ``district.yaml`` and one ledger per village into ``folder``; return the ledgers."""
    district_file = folder / "district.yaml"
    folder.mkdir(parents=True, exist_ok=True)
    district_file.write_text(
        yaml.safe_dump(district_data(villages), allow_unicode=True, sort_keys=False),
        encoding="utf-8",
    )
    directory: Directory = load_district(district_file)
    officers = generator.People(random.Random("bench-towns"))
    town_officer = {
        town.code: officers.person("", (1975, 1990)).name for town in directory.district.towns
    }
    ids: set[str] = set()
    ledgers = []
    for index, place in enumerate(directory.villages):
        planned = plan_cases(place, index, cases, catalog, ids, town_officer[place.town.code])
        rows = [
            generator.rows(case, catalog.get(case.item_code), place.village.name)
            for case in planned
        ]
        path = folder / "ledgers" / f"{place.village.name}-{MONTH}-台账.xlsx"
        path.parent.mkdir(parents=True, exist_ok=True)
        write_ledger(path, catalog, directory, rows)
        ledgers.append(path)
    return ledgers


# --- what the run converts ----------------------------------------------------------------


KINDS = (
    "notices posted, public", "notices in case files, public",
    "notices, internal copies (posted and in case files)", "case documents",
    "case-file covers and contents", "catalog booklet", "flowchart pages", "pack parts",
    "district summary", "other",
)  # fmt: skip


_FLOWCHART_PAGE = re.compile(r"xwql-\d{3}-[0-9a-f]{24}")  # an item's code and its page's key


def classify(pdf: Path, data: Path, out: Path, callers: set[str]) -> str:
    """What a converted PDF is, from where it was written and who asked for it."""
    internal = pdf.stem.endswith("-内部")
    if "write_case_documents" in callers:
        return "case documents"
    if internal:  # converted on a thread of its own beside the public sheet: no caller to tell
        return "notices, internal copies (posted and in case files)"
    if "NoticeIssuer.issue" in callers:
        where = "in case files" if "collect_documents" in callers else "posted"
        return f"notices {where}, public"
    if "assemble_case_file" in callers:
        return "case-file covers and contents"
    if "build_district_summary" in callers:
        return "district summary"
    if _FLOWCHART_PAGE.fullmatch(pdf.stem):  # made in a work folder, renamed into the cache
        return "flowchart pages"
    for folder, kind in (
        (data / "work" / "catalog", "catalog booklet"),
        (data / "work" / "packs", "pack parts"),
        (out / "catalog", "catalog booklet"),
    ):
        if pdf.is_relative_to(folder):
            return kind
    return "other"


@dataclasses.dataclass
class Converted:
    """One conversion of the run: a copy of its DOCX, a link to its PDF, its kind."""

    docx: Path
    pdf: Path
    kind: str


class Keeper:
    """Keeps every DOCX the run converts and the PDF it became (work folders are removed).

    Wraps ``ConverterPool.convert`` outside its ``convert`` stage: the DOCX is
    copied (a later render may rewrite the same file), the PDF hard-linked.
    """

    def __init__(self, folder: Path, data: Path, out: Path) -> None:
        self.folder, self.data, self.out = folder, data, out
        self.converted: list[Converted] = []
        self._lock = threading.Lock()
        self._numbers = itertools.count()
        (folder / "docx").mkdir(parents=True, exist_ok=True)
        (folder / "pdf").mkdir(parents=True, exist_ok=True)

    def keep(self, source: Path, pdf: Path) -> None:
        frame, callers = sys._getframe(2), set()
        while frame is not None:
            callers.add(frame.f_code.co_qualname)
            frame = frame.f_back
        with self._lock:
            number = next(self._numbers)
        docx = self.folder / "docx" / f"{number:06d}.docx"
        kept = self.folder / "pdf" / f"{number:06d}.pdf"
        shutil.copyfile(source, docx)
        try:
            kept.hardlink_to(pdf)
        except OSError:
            shutil.copyfile(pdf, kept)
        kind = classify(pdf.resolve(), self.data, self.out, callers)
        with self._lock:
            self.converted.append(Converted(docx, kept, kind))

    @contextlib.contextmanager
    def installed(self) -> Iterator[Keeper]:
        original = ConverterPool.convert

        def convert(pool: ConverterPool, source: Path, target: Path) -> Path:
            result = original(pool, source, target)
            self.keep(source, result)
            return result

        ConverterPool.convert = convert  # type: ignore[method-assign]
        try:
            yield self
        finally:
            ConverterPool.convert = original  # type: ignore[method-assign]


# --- memory -------------------------------------------------------------------------------------


class RssSampler:
    """Samples the memory of this process and all its descendants once a second.

    Keeps the peak of the summed RSS (pages shared between processes, such as
    LibreOffice's libraries, count once per process: an upper bound) and, at that
    peak, the summed PSS (shared pages split between their users: what the tree
    really holds; read only at a new peak, as it costs more to read).
    """

    def __init__(self, interval: float = 1.0) -> None:
        self.interval = interval
        self.peak_rss_kib = 0
        self.peak_pss_kib = 0
        self.peak_parts: dict[str, int] = {}
        self.sampling_s = 0.0
        self._cpu_ticks: dict[int, tuple[str, int]] = {}  # pid → (part, user + system ticks)
        self._page_kib = os.sysconf("SC_PAGE_SIZE") // 1024
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()

    def cpu_seconds(self) -> dict[str, float]:
        """CPU seconds each part of the tree used, as last seen (a process that ended
        between two samples lost at most a second's worth)."""
        per_part: Counter[str] = Counter()
        for part, ticks in self._cpu_ticks.values():
            per_part[part] += ticks
        hertz = os.sysconf("SC_CLK_TCK")
        return {part: ticks / hertz for part, ticks in per_part.most_common()}

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def sample(self) -> None:
        started = time.thread_time()
        rss: dict[int, int] = {}
        for pid in process_tree(os.getpid()):
            with contextlib.suppress(OSError, ValueError, IndexError):
                rss[pid] = int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * self._page_kib
        for pid in rss:
            with contextlib.suppress(OSError, ValueError, IndexError):
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                ticks = int(fields[11]) + int(fields[12])  # utime + stime
                part = self._cpu_ticks[pid][0] if pid in self._cpu_ticks else _label(pid)
                self._cpu_ticks[pid] = (part, ticks)
        total = sum(rss.values())
        if total > self.peak_rss_kib:
            parts: Counter[str] = Counter()
            pss = 0
            for pid, kib in rss.items():
                with contextlib.suppress(OSError, ValueError):
                    parts[_label(pid)] += kib
                    rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
                    found = re.search(r"^Pss:\s*(\d+) kB", rollup, re.M)
                    pss += int(found.group(1)) if found else 0
            self.peak_rss_kib, self.peak_parts = total, dict(parts.most_common())
            self.peak_pss_kib = pss
        self.sampling_s += time.thread_time() - started


def _label(pid: int) -> str:
    """Which part of the run a process is."""
    if pid == os.getpid():
        return "this process"
    command = (
        Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    )
    for needle, label in (("_soffice_worker", "converter workers"), ("soffice", "LibreOffice"),
                          ("weed", "weed (S3)"), ("prefect", "Prefect server")):  # fmt: skip
        if needle in command:
            return label
    return Path(command.split(" ", 1)[0]).name or str(pid)


# --- the run -------------------------------------------------------------------------------------


@dataclasses.dataclass
class Result:
    """The figures of one run (seconds, MB)."""

    cores: int
    workers: int
    villages: int
    cases_per_village: int
    scale: int
    cases: int
    generate_s: float
    timeline: list[tuple[str, float]]
    total_s: float
    outcomes: dict[str, int]
    documents: Counter[str]
    pages: Counter[str]
    stages: dict[str, StageTotal]
    baseline_start_s: float
    baseline_convert_s: float
    baseline_single_s: float
    cold: list[float]
    restarts: int
    recycles: int
    peak_self_mb: float
    peak_tree_mb: float
    peak_pss_mb: float
    peak_parts_mb: dict[str, float]
    sampler_s: float
    cpu_s: dict[str, float]

    @property
    def document_count(self) -> int:
        return sum(self.documents.values())

    @property
    def page_count(self) -> int:
        return sum(self.pages.values())

    @property
    def docs_per_s(self) -> float:
        return self.document_count / self.total_s

    @property
    def pages_per_s(self) -> float:
        return self.page_count / self.total_s

    @property
    def baseline_s(self) -> float:
        """The converters alone: start-up and every conversion of the run."""
        return self.baseline_start_s + self.baseline_convert_s

    @property
    def ratio(self) -> float:
        return self.total_s / self.baseline_s

    @property
    def overhead(self) -> float:
        """The share of the run's time beyond what conversion alone takes."""
        return 1 - self.baseline_s / self.total_s

    @property
    def overhead_single(self) -> float:
        """The same, against conversion one document per LibreOffice call."""
        return 1 - self.baseline_single_s / self.total_s

    @property
    def convert_busy(self) -> float:
        """Share of the converters' capacity (wall × converters) spent converting."""
        convert = self.stages.get("convert")
        return (convert.seconds if convert else 0.0) / (self.total_s * self.workers)

    @property
    def cold_per_doc(self) -> float:
        return sum(self.cold) / len(self.cold) if self.cold else math.nan


def _environment(data: Path, district: Path, workers: int | None) -> None:
    """Point xwql at the temporary data folder and the synthetic district, nothing else."""
    for name in ("XWQL_S3_URL", "XWQL_S3_ACCESS_KEY", "XWQL_S3_ACCESS_KEY_FILE",
                 "XWQL_S3_SECRET_KEY", "XWQL_S3_SECRET_KEY_FILE", "XWQL_DATABASE_URL",
                 "XWQL_INDEX_URL", "XWQL_SIGNING_KEYS"):  # fmt: skip
        os.environ.pop(name, None)
    os.environ["XWQL_DATA"] = str(data)
    os.environ["XWQL_DISTRICT"] = str(district)
    os.environ["PREFECT_HOME"] = str(data / "prefect")
    if workers is not None:
        os.environ["XWQL_CONVERTER_WORKERS"] = str(workers)


def run_flow(
    settings: Settings, ledgers: Sequence[Path], out: Path, keeper: Keeper
) -> tuple[float, list[tuple[str, float]], dict[str, int], int, int]:
    """The district month through ``district_month_flow``.

    Returns the seconds, the progress messages with their times, the archive
    outcomes, and how many times a converter was restarted and recycled.
    """
    from flows import configure_prefect

    configure_prefect(settings)
    from flows.district import district_month_flow, run_context

    marks: list[tuple[str, float]] = []
    started = time.perf_counter()

    def mark(message: str) -> None:
        marks.append((message, time.perf_counter() - started))

    with (
        keeper.installed(),
        run_context(settings, out, issued_on=ISSUED_ON, progress=mark) as context,
    ):
        mark("opened")
        summary = district_month_flow(month=MONTH, ledgers=[str(p) for p in ledgers], out=str(out))
        mark("flow done")
        restarts = context.engine.pool.restarts
        recycles = context.engine.pool.recycles
    total = time.perf_counter() - started
    return total, marks, dict(summary.outcomes), restarts, recycles


def phases(marks: list[tuple[str, float]], total: float) -> list[tuple[str, float]]:
    """Wall-clock phases of the run from the flow's progress messages."""

    def last(prefix: str) -> float | None:
        times = [t for message, t in marks if message.startswith(prefix)]
        return max(times) if times else None

    points = [
        ("open store, index, archive (S3 start, WORM check)", last("opened")),
        ("Prefect start-up + ledger import", last("导入")),
        ("villages: notices, case files, packs; the catalog booklet alongside", max(
            (t for t in (last("公示"), last("案卷"), last("公开材料"), last("清单与流程图"))
             if t is not None),
            default=None)),
        ("district summary", last("区汇总表")),
        ("flow end, converters stopped", total),
    ]  # fmt: skip
    timeline, previous = [], 0.0
    for name, at in points:
        if at is not None:
            timeline.append((name, at - previous))
            previous = at
    return timeline


def baseline(
    settings: Settings, converted: Sequence[Converted], folder: Path, *, joined: bool
) -> tuple[float, float]:
    """The run's DOCX files through a fresh pool alone; (start-up s, conversion s).

    ``joined``: as many threads as the pipeline converts with, so that documents
    waiting together are joined as in the run; else one thread per converter
    and one document per LibreOffice call.
    """
    folder.mkdir(parents=True, exist_ok=True)
    pool = ConverterPool(
        settings.data / "baseline-converters", ensure_sc_fonts(settings.data),
        workers=settings.converter_workers, timeout=settings.conversion_timeout,
        batch=settings.conversion_batch if joined else 1,
        recycle_mb=settings.converter_recycle_mb,
    )  # fmt: skip
    workers = pool.callers
    started = time.perf_counter()
    with pool:
        start_s = time.perf_counter() - started

        def convert(item: Converted) -> Path:
            return pool.convert(item.docx, folder / item.pdf.name)

        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=workers) as executor:
            list(executor.map(convert, converted))
        convert_s = time.perf_counter() - started
    return start_s, convert_s


def count_pages(converted: Sequence[Converted]) -> Counter[str]:
    pages: Counter[str] = Counter()
    for item in converted:
        with pikepdf.open(item.pdf) as pdf:
            pages[item.kind] += len(pdf.pages)
    return pages


def run(args: argparse.Namespace, root: Path) -> Result:
    villages = args.villages * args.scale
    data, out, keep = root / "data", root / "out", root / "kept"
    catalog = load_catalog(ROOT / "catalog")
    started = time.perf_counter()
    ledgers = write_district(root / "district", villages, args.cases, catalog)
    generate_s = time.perf_counter() - started
    print(f"wrote {villages} ledgers of {args.cases} cases in {generate_s:.1f} s", flush=True)
    _environment(data, root / "district" / "district.yaml", args.workers)
    (data / "prefect").mkdir(parents=True, exist_ok=True)
    settings = load_settings()
    keeper = Keeper(keep, data.resolve(), out.resolve())
    reset()
    with RssSampler() as sampler:
        total_s, marks, outcomes, restarts, recycles = run_flow(settings, ledgers, out, keeper)
        stages = snapshot()
        sampler.sample()
        cpu_s = sampler.cpu_seconds()
        print(f"district month done in {total_s:.1f} s; stopping the S3 server", flush=True)
        EmbeddedS3(settings.s3_dir).stop()
        converted = sorted(keeper.converted, key=lambda c: c.docx.name)
        print(f"baseline: {len(converted)} DOCX files through the converters alone", flush=True)
        start_s, convert_s = baseline(settings, converted, root / "baseline", joined=True)
        single_start_s, single_s = (
            baseline(settings, converted, root / "single", joined=False)
            if args.single_baseline
            else (math.nan, math.nan)
        )
    step = max(1, len(converted) // args.cold_sample) if args.cold_sample else 0
    sample = converted[::step][: args.cold_sample] if step else []
    cold = []
    for item in sample:
        t0 = time.perf_counter()
        cold_convert(item.docx, root / "cold")
        cold.append(time.perf_counter() - t0)
    return Result(
        cores=os.cpu_count() or 1,
        workers=settings.converter_workers,
        villages=villages,
        cases_per_village=args.cases,
        scale=args.scale,
        cases=villages * args.cases,
        generate_s=generate_s,
        timeline=phases(marks, total_s),
        total_s=total_s,
        outcomes=outcomes,
        documents=Counter(item.kind for item in converted),
        pages=count_pages(converted),
        stages=stages,
        baseline_start_s=start_s,
        baseline_convert_s=convert_s,
        baseline_single_s=single_start_s + single_s,
        cold=cold,
        restarts=restarts,
        recycles=recycles,
        peak_self_mb=_rss_mb(resource.RUSAGE_SELF),
        peak_tree_mb=sampler.peak_rss_kib / 1024,
        peak_pss_mb=sampler.peak_pss_kib / 1024,
        peak_parts_mb={name: kib / 1024 for name, kib in sampler.peak_parts.items()},
        sampler_s=sampler.sampling_s,
        cpu_s=cpu_s,
    )


# --- report ---------------------------------------------------------------------------------


def previous_base(path: Path, result: Result) -> dict[str, str] | None:
    """The last 1× row of the size this run is ``scale`` times, on the same machine shape."""
    if result.scale == 1 or not path.is_file():
        return None
    with path.open(encoding="utf-8", newline="") as handle:
        rows = [
            row for row in csv.DictReader(handle)
            if row["scale"] == "1" and int(row["villages"]) * result.scale == result.villages
            and int(row["cases_per_village"]) == result.cases_per_village
            and int(row["cores"]) == result.cores and int(row["workers"]) == result.workers
        ]  # fmt: skip
    return rows[-1] if rows else None


def _verdict(ok: bool | None) -> str:
    return {True: "MET", False: "NOT MET", None: "not judged"}[ok]


def report(result: Result, base: dict[str, str] | None, args: argparse.Namespace) -> list[str]:
    r = result
    lines = [
        f"cores / converters                  {r.cores} / {r.workers}",
        f"district                            {r.villages} villages × {r.cases_per_village} "
        f"cases = {r.cases} cases (scale {r.scale}); generated in {r.generate_s:.1f} s (excluded)",
        "archived units                      "
        + ", ".join(f"{n} {o}" for o, n in sorted(r.outcomes.items())),
        "",
        "wall-clock phases",
    ]
    lines += [f"  {name:<50} {seconds:8.1f} s" for name, seconds in r.timeline]
    lines += [
        f"  {'end to end':<50} {r.total_s:8.1f} s",
        "",
        f"{'documents (PDFs LibreOffice produced)':<52} {'docs':>6} {'pages':>7}",
    ]
    lines += [
        f"  {kind:<50} {r.documents[kind]:6d} {r.pages[kind]:7d}"
        for kind in KINDS
        if r.documents[kind]
    ]
    lines += [
        f"  {'total':<50} {r.document_count:6d} {r.page_count:7d}",
        "",
        f"end to end                          {r.docs_per_s:.2f} documents/s, "
        f"{r.pages_per_s:.2f} pages/s",
        "",
        "stages (thread-seconds, summed over every thread; own = without nested stages)",
        f"  {'stage':<10} {'uses':>6} {'thread-s':>9} {'own s':>8} {'share':>6} {'ms/use':>7}",
    ]
    own_total = sum(t.own_seconds for t in r.stages.values())
    for name in STAGES:
        t = r.stages.get(name, StageTotal(name, 0, 0.0, 0.0))
        share = t.own_seconds / own_total if own_total else math.nan
        per_use = 1000 * t.seconds / t.count if t.count else math.nan
        lines.append(
            f"  {name:<10} {t.count:6d} {t.seconds:9.1f} {t.own_seconds:8.1f} {share:6.1%} "
            f"{per_use:7.1f}"
        )
    lines += [
        f"  {'sum':<10} {'':>6} {'':>9} {own_total:8.1f} {1:6.0%}",
        f"  (capacity: {r.total_s:.1f} s wall × {r.workers} converters = "
        f"{r.total_s * r.workers:.1f} thread-s; stage time covers "
        f"{own_total / (r.total_s * r.workers):.0%} of it)",
        f"  converters busy {r.convert_busy:.0%} of the run "
        f"(convert thread-s / capacity)",
        "",
        f"baseline: converters alone          {r.baseline_s:.1f} s "
        f"(start-up {r.baseline_start_s:.1f} s + {r.document_count} conversions "
        f"{r.baseline_convert_s:.1f} s = {r.document_count / r.baseline_convert_s:.2f} docs/s, "
        "documents joined as in the run)",
        "  one document per call             "
        + (f"{r.baseline_single_s:.1f} s ({r.document_count / r.baseline_single_s:.2f} "
           "docs/s, start-up included)" if not math.isnan(r.baseline_single_s) else "skipped"),
        f"converter restarts in the run       {r.restarts}",
        f"converters recycled (memory limit)  {r.recycles}",
        f"pipeline / baseline                 {r.ratio:.2f}x; overhead beyond conversion "
        f"{r.overhead:.0%} of the total",
        "  against one document per call     "
        + (f"{r.total_s / r.baseline_single_s:.2f}x; overhead {r.overhead_single:.0%} of the "
           "total" if not math.isnan(r.baseline_single_s) else "skipped"),
        f"cold soffice, {len(r.cold)} documents          "
        + (f"{r.cold_per_doc:.2f} s/document ({1 / r.cold_per_doc:.2f} docs/s, one at a time)"
           if r.cold else "skipped"),
        "",
        f"peak RSS, this process              {r.peak_self_mb:.0f} MB",
        f"peak RSS, process tree (sampled)    {r.peak_tree_mb:.0f} MB = "
        + ", ".join(f"{name} {mb:.0f}" for name, mb in r.peak_parts_mb.items() if mb >= 1),
        f"  PSS at that peak                  {r.peak_pss_mb:.0f} MB (shared pages split)",
        f"  (sampling cost {r.sampler_s:.1f} s of CPU over the run)",
        f"CPU over the run                    {sum(r.cpu_s.values()):.0f} s of "
        f"{r.total_s * r.cores:.0f} (wall × cores) = "
        + ", ".join(f"{name} {s:.0f}" for name, s in r.cpu_s.items() if s >= 0.5),
    ]  # fmt: skip
    growth = None
    if base is not None:
        growth = r.total_s / float(base["total_s"])
        lines.append(
            f"growth: {r.scale}× the size of the {base['timestamp']} run "
            f"({base['total_s']} s, {base['documents']} documents): {growth:.2f}× the time, "
            f"{r.document_count / int(base['documents']):.2f}× the documents"
        )
    elif r.scale > 1:
        lines.append(f"growth: no 1× row of {r.villages // r.scale} villages in {args.csv}")
    default = r.villages == 50 and r.cases_per_village == 20
    lines += [
        "",
        f"targets (on {r.cores} cores; the issue's machine has 2)",
        f"  end to end ≥ {TARGET_DOCS_PER_S:.0f} documents/s (default 50 × 20)  "
        f"{r.docs_per_s:6.2f}  {_verdict(r.docs_per_s >= TARGET_DOCS_PER_S if default else None)}"
        + ("" if default else " (not the default workload)"),
        f"  overhead beyond conversion ≤ {TARGET_OVERHEAD:.0%}            "
        f"{r.overhead:6.0%}  {_verdict(r.overhead <= TARGET_OVERHEAD)} (joined baseline"
        + ("" if math.isnan(r.baseline_single_s) else f"; one per call: {r.overhead_single:.0%}")
        + ")",
        f"  5× run ≤ {TARGET_GROWTH}× the time                    "
        + (f"{growth:6.2f}  {_verdict(growth <= TARGET_GROWTH if r.scale == 5 else None)}"
           if growth is not None else "   n/a  not judged (run with --scale 5)"),
        f"  peak RSS ≤ {TARGET_RSS_GIB} GiB at 5× (process tree)       "
        f"{r.peak_tree_mb * 1024**2 / GIB:6.2f}  "
        f"{_verdict(r.peak_tree_mb * 1024**2 <= TARGET_RSS_GIB * GIB if r.scale == 5 else None)}"
        + ("" if r.scale == 5 else " (not a 5× run)"),
    ]  # fmt: skip
    return lines


def append_csv(path: Path, r: Result) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    _widen_csv(path)
    new = not path.exists() or path.stat().st_size == 0
    with path.open("a", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        if new:
            writer.writerow(CSV_COLUMNS)
        writer.writerow([
            dt.datetime.now().astimezone().isoformat(timespec="seconds"), r.cores, r.workers,
            r.villages, r.cases_per_village, r.scale, r.cases, r.document_count, r.page_count,
            f"{r.total_s:.2f}", f"{r.docs_per_s:.3f}", f"{r.pages_per_s:.3f}",
            f"{r.baseline_s:.2f}", f"{r.baseline_start_s:.2f}", f"{r.ratio:.3f}",
            f"{r.overhead:.3f}", f"{r.cold_per_doc:.3f}", f"{r.peak_self_mb:.0f}",
            f"{r.peak_tree_mb:.0f}", f"{r.peak_pss_mb:.0f}",
            *(f"{r.stages[n].own_seconds:.2f}" if n in r.stages else "0" for n in STAGES),
            f"{r.baseline_single_s:.2f}",
        ])  # fmt: skip


def _widen_csv(path: Path) -> None:
    """Rewrite an older CSV under the current header (new columns empty in old rows)."""
    if not path.is_file() or path.stat().st_size == 0:
        return
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    if rows and list(rows[0]) == CSV_COLUMNS:
        return
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, CSV_COLUMNS)
        writer.writeheader()
        writer.writerows({k: row.get(k, "") for k in CSV_COLUMNS} for row in rows)


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--villages", type=int, default=50, help="villages (default 50)")
    parser.add_argument("--cases", type=int, default=20, help="cases per village (default 20)")
    parser.add_argument(
        "--scale", type=int, default=1, help="multiply the villages (5: the 5× run)"
    )
    parser.add_argument("--workers", type=int, default=None, help="converters (default: settings)")
    parser.add_argument("--cold-sample", type=int, default=5, help="cold soffice calls (default 5)")
    parser.add_argument("--csv", type=Path, default=DEFAULT_CSV, help="CSV to append a row to")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument(
        "--no-single-baseline", dest="single_baseline", action="store_false",
        help="skip the baseline of one document per LibreOffice call (the longest part)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    for name in ("villages", "cases", "scale"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")
    if args.workers is not None and args.workers < 1:
        parser.error("--workers must be at least 1")
    if args.cold_sample < 0:
        parser.error("--cold-sample must be 0 or more")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(argv)
    root = Path(tempfile.mkdtemp(prefix="xwql-bench-district-"))
    try:
        result = run(args, root)
    finally:
        with contextlib.suppress(Exception):  # a failed run may leave the server up
            EmbeddedS3(root / "data" / "s3").stop()
        if args.keep:
            print(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
    base = previous_base(args.csv, result)
    print("\n".join(report(result, base, args)))
    append_csv(args.csv, result)
    print(f"row appended to {args.csv}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
