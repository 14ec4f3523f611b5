"""Benchmark: query latency of the archive search index (``pipeline.archive.index``).

Builds N synthetic archive entries (titles like ``齐陵街道南马村 2025年11月 低保申请 张三``,
1–3 persons of 2–3 characters, two reasons each) in a temporary SQLite file (or in the
database ``--url`` names), then runs Q queries of each kind and prints median and p95
latency of ``ArchiveIndex.search`` (count + first page of 50, entries included):

* ``name``: a 2-character name (contains: also 3-character names holding it);
* ``exact name``: the same, whole names only;
* ``name+village+date``: a name within a village and a 90-day range;
* ``code``: one archival code;
* ``free text``: a 4-character phrase of the reasons;
* ``one char``: a single character over all the text (broad: many hits).

Run from the project root:

    .venv/bin/python bench/bench_search.py              # 100000 entries, SQLite
    .venv/bin/python bench/bench_search.py -n 20000 --url postgresql+psycopg://…

A ``--url`` database's index tables are emptied first and at the end; on PostgreSQL
the tables are vacuumed after the load (not timed), as autovacuum would do soon after a
reindex: the rows of an earlier run, deleted but not yet vacuumed, triple the time of
broad queries.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from pipeline.archive.index import ArchiveIndex, IndexEntry

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国玉凤红海波春梅林鹏飞"
TOWNS = ["齐陵街道", "金山镇", "皇城镇", "敬仲镇", "凤凰镇", "朱台镇", "稷下街道"]
VILLAGE_STEMS = [
    "南马",
    "大张",
    "西张",
    "东庄",
    "后李",
    "前王",
    "北刘",
    "小庄",
    "河崖",
    "柳店",
    "石槽",
    "田旺",
    "梧台",
    "单家",
    "路山",
]
ITEMS = [("xwql-022", "低保申请"), ("xwql-030", "宅基地审批"), ("xwql-041", "临时救助"),
         ("xwql-052", "残疾人补贴"), ("xwql-063", "土地承包"), ("xwql-070", "集体资产处置"),
         ("xwql-081", "工程项目招标"), ("xwql-090", "印章使用")]  # fmt: skip
REASONS = ["因病致贫", "房屋年久失修", "家庭人口增加", "子女上学费用高", "意外事故致残",
           "年老体弱无人赡养", "自然灾害受损严重", "无劳动能力", "村内道路硬化", "集体土地流转",
           "办公用品采购", "危房改造"]  # fmt: skip


def villages() -> list[tuple[str, str, str]]:
    """(code, name, town) for 105 villages."""
    return [
        (f"{t:02d}-{v:02d}", f"{stem}{'村' if v % 2 else '庄'}", town)
        for t, town in enumerate(TOWNS)
        for v, stem in enumerate(VILLAGE_STEMS)
    ]


def synthetic(n: int, seed: int = 2026) -> Iterator[IndexEntry]:
    rng = random.Random(seed)
    places = villages()
    for i in range(n):
        code, village, town = rng.choice(places)
        item_code, item = rng.choice(ITEMS)
        date = dt.date(2021, 1, 1) + dt.timedelta(days=rng.randrange(5 * 365))
        persons = [
            rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice((1, 2, 2))))
            for _ in range(rng.choice((1, 1, 2, 3)))
        ]
        reasons = "，".join(rng.sample(REASONS, 2))
        yield IndexEntry(
            archival_code=f"LZ-{code}-{date.year}-{item_code[-3:]}-{i:07d}",
            kind=rng.choice(("case_file", "case_file", "notice")),
            title=f"{town}{village} {date.year}年{date.month}月 {item} {'、'.join(persons)}",
            date=date, village_code=code, village_name=village, town=town,
            item_code=item_code, item_name=item, case_id=f"C{i}", persons=tuple(persons),
            id_numbers=(f"370305{1940 + i % 70}{1 + i % 12:02d}{1 + i % 28:02d}{i % 10000:04d}",),
            text=f"申请书 入户调查表 公示 {reasons} 村民代表会议决议", manifest_sha256=f"{i:064x}",
            object_prefix=f"archive/{code}/{i}/",
        )  # fmt: skip


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--records", type=int, default=100_000, help="entries to build")
    parser.add_argument("-q", "--queries", type=int, default=200, help="queries of each kind")
    parser.add_argument("--url", help="a database URL instead of a temporary SQLite file")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="xwql-bench-search-") as folder:
        url = args.url or f"sqlite:///{Path(folder) / 'index.sqlite3'}"
        index = ArchiveIndex(url)
        index.remove_all()
        start = time.perf_counter()
        sample = []
        rng = random.Random(7)

        def keep(entries: Iterator[IndexEntry]) -> Iterator[IndexEntry]:
            for entry in entries:
                if rng.random() < 0.01:
                    sample.append(entry)
                yield entry

        index.upsert_many(keep(synthetic(args.records)))
        built = time.perf_counter() - start
        if index.engine.dialect.name == "postgresql":  # the rows an earlier run deleted
            with index.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as db:
                for table in ("archive_index", "archive_index_persons", "archive_index_ids"):
                    db.exec_driver_sql(f"VACUUM ANALYZE {table}")
        size = Path(folder, "index.sqlite3").stat().st_size if not args.url else 0

        def name(e: IndexEntry) -> str:
            return rng.choice(e.persons)[:2]

        kinds: dict[str, Callable[[IndexEntry], dict[str, Any]]] = {
            "name": lambda e: {"person": name(e)},
            "exact name": lambda e: {"person": e.persons[0], "exact_person": True},
            "name+village+date": lambda e: {
                "person": name(e),
                "village": e.village_name,
                "date_from": e.date - dt.timedelta(days=90),
                "date_to": e.date,
            },
            "code": lambda e: {"code": e.archival_code},
            "free text": lambda e: {"text": rng.choice(REASONS)[:4]},
            "one char": lambda e: {"text": rng.choice(GIVEN)},
        }
        index.search(person="张三")  # warm up
        print(f"{index.engine.dialect.name}: {args.records} entries built in {built:.1f} s", end="")
        print(f", file {size / 2**20:.0f} MB" if size else "")
        print(f"{'query':<20}{'median ms':>10}{'p95 ms':>10}{'mean hits':>11}")
        for label, make in kinds.items():
            times, hits = [], []
            for _ in range(args.queries):
                query = make(rng.choice(sample))
                begin = time.perf_counter()
                page = index.search(**query)
                times.append((time.perf_counter() - begin) * 1000)
                hits.append(page.total)
            print(
                f"{label:<20}{statistics.median(times):>10.2f}{percentile(times, 0.95):>10.2f}"
                f"{statistics.mean(hits):>11.0f}"
            )
        if args.url:
            index.remove_all()
        index.close()


if __name__ == "__main__":
    main()
