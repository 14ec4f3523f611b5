"""The archive search index, on SQLite and on a real PostgreSQL (same tests, same API)."""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import re
import statistics
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from pipeline.archive.idkey import IdKey
from pipeline.archive.index import (
    ArchiveIndex,
    IndexEntry,
    SearchPage,
    Upserted,
    describe_query,
)
from pipeline.archive.tokens import normalize, pair_tokens, query_terms
from pipeline.errors import IndexKeyInvalid, InputInvalid

ID_NUMBER = "37030519900101123X"
KEY = IdKey(b"test key of the ID-number hashes, 32+ bytes")
D = dt.date


@pytest.fixture(params=["sqlite", "postgresql"])
def index(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ArchiveIndex]:
    """An empty index on either database (the PostgreSQL tables are shared by the tests)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'index.sqlite3'}"
    else:
        url = request.getfixturevalue("postgres_url")
    opened = ArchiveIndex(url, id_key=KEY)
    opened.remove_all()
    yield opened
    opened.remove_all()
    with opened.engine.begin() as db:
        db.execute(sa.text("DELETE FROM archive_access_log"))
    opened.close()


def entry(code: str, persons: list[str], **changes: Any) -> IndexEntry:
    fields: dict[str, Any] = {
        "archival_code": code,
        "kind": "case_file",
        "title": f"临淄区齐陵街道南马村低保申请（{'、'.join(persons)}）办件材料",
        "date": D(2026, 3, 1),
        "village_code": "QL-NM",
        "village_name": "南马村",
        "town": "齐陵街道",
        "item_code": "xwql-022",
        "item_name": "低保申请",
        "case_id": f"case-{code}",
        "persons": persons,
        "text": "申请书 入户调查表 因病致贫，申请最低生活保障",
        "manifest_sha256": "a" * 64,
        "object_prefix": f"archive/{code}/v1/",
    }
    fields.update(changes)
    return IndexEntry(**fields)


SAMPLE = [
    entry("LZ-QL-001-2026-D30-0001", ["张三丰"], date=D(2026, 1, 5)),
    entry("LZ-QL-001-2026-D30-0002", ["张三"], date=D(2026, 2, 10), id_numbers=[ID_NUMBER]),
    entry("LZ-QL-001-2026-D30-0003", ["王伟华"], date=D(2026, 2, 10), text="房屋年久失修"),
    entry(
        "LZ-QL-002-2026-D31-0001",
        ["王伟", "李四"],
        date=D(2026, 3, 20),
        village_code="QL-DZ",
        village_name="大张村",
        item_code="xwql-030",
        item_name="宅基地审批",
        title="临淄区齐陵街道大张村宅基地审批（王伟）办件材料",
        text="家庭人口增加，申请宅基地",
    ),
    entry(
        "LZ-JH-001-2025-D30-0001",
        ["刘丰"],
        date=D(2025, 12, 30),
        village_code="JH-XZ",
        village_name="西张村",
        town="金山镇",
        text="病，致贫；扫描件 PDF/A-2b",
        kind="notice",
    ),
]


def codes(page: SearchPage) -> list[str]:
    return [e.archival_code for e in page.entries]


@pytest.fixture
def loaded(index: ArchiveIndex) -> ArchiveIndex:
    assert index.upsert_many(SAMPLE) == {
        Upserted.ADDED: 5,
        Upserted.UPDATED: 0,
        Upserted.UNCHANGED: 0,
    }
    return index


def test_two_character_name_inside_three_character_names(loaded: ArchiveIndex) -> None:
    assert codes(loaded.search(person="张三")) == [
        "LZ-QL-001-2026-D30-0002",
        "LZ-QL-001-2026-D30-0001",
    ]
    assert codes(loaded.search(person="张三", exact_person=True)) == ["LZ-QL-001-2026-D30-0002"]
    assert codes(loaded.search(person="王伟")) == [
        "LZ-QL-002-2026-D31-0001",
        "LZ-QL-001-2026-D30-0003",
    ]
    assert codes(loaded.search(person="王 伟", exact_person=True)) == ["LZ-QL-002-2026-D31-0001"]
    assert codes(loaded.search(person="三丰")) == ["LZ-QL-001-2026-D30-0001"]
    assert loaded.search(person="张三丰华").total == 0
    # names are in the free text too (and in the titles)
    assert loaded.search(text="李四").total == 1


def test_single_character_is_a_prefix_of_every_position(loaded: ArchiveIndex) -> None:
    assert loaded.search(person="张").total == 2
    # 丰 is last in 张三丰 and in 刘丰: found in both, at any position
    assert codes(loaded.search(person="丰")) == [
        "LZ-QL-001-2026-D30-0001",
        "LZ-JH-001-2025-D30-0001",
    ]
    assert loaded.search(person="伟").total == 2
    assert loaded.search(text="宅").total == 1
    assert loaded.search(text="q").total == 0 and loaded.search(text="d").total == 0


def test_village_item_and_date_range(loaded: ArchiveIndex) -> None:
    in_q1: dict[str, Any] = {"date_from": D(2026, 1, 1), "date_to": D(2026, 3, 31)}
    assert loaded.search(village="QL-NM", item="xwql-022", **in_q1).total == 3
    assert loaded.search(village="南马村", item="低保申请", **in_q1).total == 3
    one_day: dict[str, Any] = {"date_from": D(2026, 2, 10), "date_to": D(2026, 2, 10)}
    assert codes(loaded.search(village="南马村", **one_day)) == [
        "LZ-QL-001-2026-D30-0002",
        "LZ-QL-001-2026-D30-0003",
    ]
    assert loaded.search(town="金山镇").total == 1
    assert loaded.search(town="齐陵街道", item="宅基地审批").total == 1
    assert loaded.search(village="南马村", person="王伟").total == 1
    assert loaded.search(kind="notice").total == 1
    assert loaded.search(date_to=D(2025, 12, 31)).total == 1
    with pytest.raises(InputInvalid):
        loaded.search(date_from=D(2026, 2, 1), date_to=D(2026, 1, 1))


def test_archival_code_is_exact(loaded: ArchiveIndex) -> None:
    assert codes(loaded.search(code="LZ-QL-001-2026-D30-0003")) == ["LZ-QL-001-2026-D30-0003"]
    assert (
        loaded.search(code=" ＬＺ-QL-001-2026-D30-0003 ").total == 1
    )  # full-width, as typed by an IME
    assert loaded.search(code="LZ-QL-001-2026-D30").total == 0
    assert loaded.search(code="LZ-QL-001-2026-D30-0003", village="大张村").total == 0


def test_free_text_phrases_over_reasons(loaded: ArchiveIndex) -> None:
    assert loaded.search(text="因病致贫").total == 2
    assert loaded.search(text="年久失修").total == 1
    assert loaded.search(text="病致贫因").total == 0
    # a phrase never spans a punctuation mark: "病，致贫" does not contain 病致
    assert loaded.search(text="病致").total == 2
    assert codes(loaded.search(text="病 致贫", village="西张村")) == ["LZ-JH-001-2025-D30-0001"]
    assert loaded.search(text="入户调查表 最低生活保障").total == 2
    assert loaded.search(text="齐陵街道 宅基地").total == 1
    assert loaded.search(text="因病致贫", person="张三", exact_person=True).total == 1
    # ASCII: whole lower-case words, a single character as a prefix
    for query, found in (("pdf", 1), ("ＰＤＦ", 1), ("df", 0), ("p", 1), ("2b", 1), ("2", 1),
                         ("b", 0), ("pdf 扫描件", 1), ("pdf 因病", 0)):  # fmt: skip
        assert loaded.search(text=query).total == found, query


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(st.text(alphabet="张三丰王伟 ，ab", min_size=1, max_size=10), min_size=1, max_size=5),
    st.text(alphabet="张三丰王伟 ，ab", min_size=1, max_size=4),
)
@example(["a", "张三丰"], " ")
@example(["a", "张三丰"], "，")
@example(["王伟，丰", "张三丰王伟"], "伟丰")
def test_text_search_is_the_substring_oracle(
    index: ArchiveIndex, texts: list[str], query: str
) -> None:
    """Same answers on both databases: every run a substring, ASCII a word (1 char: prefix)."""
    index.upsert_many(
        entry(f"H-{i}", [], text=text, title="", village_name="", town="", item_name="")
        for i, text in enumerate(texts)
    )
    try:
        expected = {f"H-{i}" for i, text in enumerate(texts) if oracle(text, query)}
        assert set(codes(index.search(text=query, limit=1000))) == expected
    finally:
        index.remove_all()


def oracle(text: str, query: str) -> bool:
    if not query.strip():
        return True  # a blank query is no filter; one with nothing searchable matches nothing
    words = re.findall("[0-9a-z]+", normalize(text))
    terms = query_terms(query)
    for term in terms:
        if term.cjk:
            found = term.text in normalize(text)
        else:
            found = any(w.startswith(term.text) if term.prefix else w == term.text for w in words)
        if not found:
            return False
    return bool(terms)


def test_concurrent_writers_do_not_collide(index: ArchiveIndex) -> None:
    batch = [entry(f"C-{i}", ["张三"]) for i in range(40)]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(index.upsert_many, [batch] * 4))
    assert sum(r[Upserted.ADDED] for r in results) == 40
    assert sum(r[Upserted.UNCHANGED] for r in results) == 120
    assert index.search(person="张三").total == 40
    assert_token_rows_match(index)


def test_id_number_search_by_keyed_hash_only(loaded: ArchiveIndex, tmp_path: Path) -> None:
    found = loaded.search(id_number="370305 19900101 123x")
    assert codes(found) == ["LZ-QL-001-2026-D30-0002"]
    assert found.entries[0].id_numbers == (KEY.hash(ID_NUMBER),)
    assert loaded.search(id_number="370305199001011231").total == 0
    with loaded.engine.connect() as db:
        stored = db.execute(sa.text("SELECT id_sha256 FROM archive_index_ids")).scalars().all()
    plain = hashlib.sha256(ID_NUMBER.encode()).hexdigest()
    assert stored == [KEY.hash(ID_NUMBER)] and plain not in stored  # not the reversible hash
    assert IdKey(b"another key of the ID-number hashes, 32+").hash(ID_NUMBER) not in stored
    log = describe_query(
        {"id_number": ID_NUMBER, "village": "南马村", "exact_person": False}, id_key=KEY
    )
    assert ID_NUMBER not in log and KEY.hash(ID_NUMBER) in log and "南马村" in log
    assert describe_query({"id_number": ID_NUMBER}) == '{"id_number":"given"}'
    if loaded.engine.dialect.name == "sqlite":
        database = (tmp_path / "index.sqlite3").read_bytes()
        assert ID_NUMBER.encode() not in database and b"19900101" not in database
        assert plain.encode() not in database


def test_another_key_finds_nothing_until_a_reindex(loaded: ArchiveIndex) -> None:
    url = loaded.engine.url.render_as_string(hide_password=False)
    other = IdKey(b"another key of the ID-number hashes, 32+")
    with ArchiveIndex(url, id_key=other) as reopened:
        with pytest.raises(IndexKeyInvalid, match="xwql archive reindex"):
            reopened.search(id_number=ID_NUMBER)
        with reopened.engine.connect() as db:
            held = db.execute(sa.text("SELECT count(*) FROM archive_index_ids")).scalar_one()
        assert held == 0  # hashes of the old key are of no use: dropped
        assert reopened.search(person="张三").total == 2  # everything else is unchanged
        reopened.reindex(SAMPLE)  # as `xwql archive reindex` does, from the records
        assert codes(reopened.search(id_number=ID_NUMBER)) == ["LZ-QL-001-2026-D30-0002"]
    with ArchiveIndex(url) as keyless, pytest.raises(IndexKeyInvalid, match="without the ID"):
        keyless.search(id_number=ID_NUMBER)


def test_unkeyed_hashes_of_an_older_index_are_dropped(loaded: ArchiveIndex) -> None:
    plain = hashlib.sha256(ID_NUMBER.encode()).hexdigest()
    with loaded.engine.begin() as db:  # the index as the version before keyed hashes left it
        db.execute(sa.text("DELETE FROM archive_index_ids"))
        db.execute(
            sa.text("INSERT INTO archive_index_ids (entry_id, id_sha256) VALUES (1, :h)"),
            {"h": plain},
        )
        db.execute(sa.text("DELETE FROM archive_index_meta WHERE key = 'id_key'"))
    old_line = '{"id_number":"sha256:' + plain + '","village":"南马村"}'
    loaded.log_access("internal-1", "search", old_line)
    url = loaded.engine.url.render_as_string(hide_password=False)
    with ArchiveIndex(url, id_key=KEY) as upgraded:
        with upgraded.engine.connect() as db:
            held = db.execute(sa.text("SELECT id_sha256 FROM archive_index_ids")).scalars().all()
        assert held == []
        (line,) = [a.query_or_code for a in upgraded.accesses(actor="internal-1")]
        assert plain not in line and "南马村" in line
        with pytest.raises(IndexKeyInvalid):
            upgraded.search(id_number=ID_NUMBER)
        upgraded.reindex(SAMPLE)
        assert upgraded.search(id_number=ID_NUMBER).total == 1


@pytest.mark.parametrize(
    "query",
    ['张三"', "AND", "OR", "NOT", "*", "NEAR(", "NEAR(张三 李四, 2)", '"', "(", ")", "张三 AND",
     "{persons}: 张三", "^张", "' OR 1=1 --", "\x00", "张\x00三", "😀", "%", "_", "\\"],
)  # fmt: skip
def test_hostile_queries_do_not_error(loaded: ArchiveIndex, query: str) -> None:
    filters: list[dict[str, Any]] = [
        {"text": query}, {"person": query}, {"person": query, "exact_person": True},
        {"village": query, "town": query, "item": query, "code": query, "kind": query},
        {"id_number": query}, {"text": query, "person": query, "village": "南马村"},
    ]  # fmt: skip
    for chosen in filters:
        page = loaded.search(**chosen)
        assert page.total == len(page.entries) <= 5
    assert loaded.search(text='张三"').total == 2  # the name, stripped of the quote
    assert loaded.search(person="NEAR(张三 李四, 2)").total == 0  # "near" is a word too


def test_upsert_is_idempotent_and_replaces_tokens(loaded: ArchiveIndex) -> None:
    first = SAMPLE[0]
    assert loaded.upsert(first) == Upserted.UNCHANGED
    assert loaded.upsert_many([first, first]) == {
        Upserted.ADDED: 0, Upserted.UPDATED: 0, Upserted.UNCHANGED: 1,
    }  # fmt: skip
    assert loaded.count() == 5
    assert loaded.search(person="张三丰").total == 1
    changed = entry(first.archival_code, ["赵六"], date=first.date, text="自然灾害")
    assert loaded.upsert(changed) == Upserted.UPDATED
    assert loaded.count() == 5
    assert loaded.search(person="张三丰").total == 0 and loaded.search(text="三丰").total == 0
    assert codes(loaded.search(person="赵六", exact_person=True)) == [first.archival_code]
    assert loaded.search(code=first.archival_code).entries == (changed,)
    assert_token_rows_match(loaded)


def assert_token_rows_match(index: ArchiveIndex) -> None:
    """No stale or doubled tokens: each token's document count is what the entries give."""
    entries = index.search(limit=1000).entries
    with index.engine.connect() as db:
        if index.engine.dialect.name == "sqlite":
            db.exec_driver_sql(
                "CREATE VIRTUAL TABLE IF NOT EXISTS temp.vocab"
                " USING fts5vocab(main, archive_index_fts, 'row')"
            )
            stored = {t: n for t, n in db.exec_driver_sql("SELECT term, doc FROM temp.vocab")}
            expected: dict[str, int] = {}
            for e in entries:
                for token in set(pair_tokens(e.body())) | {
                    t for n in e.persons for t in pair_tokens(n)
                }:
                    expected[token] = expected.get(token, 0) + 1
            assert stored == expected
        else:
            rows = db.execute(sa.text("SELECT count(*) FROM archive_index_persons")).scalar_one()
            assert rows == sum(len(e.persons) for e in entries)


def test_reindex_gives_the_same_results(loaded: ArchiveIndex) -> None:
    queries: list[dict[str, Any]] = [
        {"person": "张三"}, {"person": "王伟", "exact_person": True}, {"text": "因病致贫"},
        {"village": "南马村", "date_from": D(2026, 2, 1)}, {"id_number": ID_NUMBER}, {"text": "丰"},
    ]  # fmt: skip
    before = [loaded.search(**q) for q in queries]
    loaded.remove_all()
    assert loaded.count() == 0 and loaded.search(person="张三").total == 0
    loaded.upsert_many(SAMPLE)
    assert [loaded.search(**q) for q in queries] == before
    assert loaded.reindex(reversed(SAMPLE)) == 5
    assert [loaded.search(**q) for q in queries] == before
    assert_token_rows_match(loaded)
    # an index built by another tokenizer version is re-tokenized when opened
    with loaded.engine.begin() as db:
        db.execute(sa.text("UPDATE archive_index_meta SET value = '0' WHERE key = 'tokenizer'"))
    reopened = ArchiveIndex(loaded.engine.url.render_as_string(hide_password=False), id_key=KEY)
    try:
        assert [reopened.search(**q) for q in queries] == before
        assert_token_rows_match(reopened)
    finally:
        reopened.close()


def test_pages_are_ordered_by_date_then_code(loaded: ArchiveIndex) -> None:
    everything = loaded.search()
    assert everything.total == 5
    assert [(e.date, e.archival_code) for e in everything.entries] == sorted(
        ((e.date, e.archival_code) for e in SAMPLE), key=lambda k: (-k[0].toordinal(), k[1])
    )
    second = loaded.search(limit=2, offset=2)
    assert second.total == 5 and second.entries == everything.entries[2:4]
    assert loaded.search(offset=10) == SearchPage(5, ())
    for bad in ({"limit": 0}, {"limit": 1001}, {"offset": -1}, {"text": "张" * 501}):
        with pytest.raises(InputInvalid):
            loaded.search(**bad)


def test_entries_are_validated() -> None:
    with pytest.raises(ValidationError):
        entry("", ["张三"])
    with pytest.raises(ValidationError):
        entry("X-1", ["张\x00三"])
    made = entry(" ＬＺ-1 ", [" 张三 ", "张三", ""], id_numbers=[ID_NUMBER, f" {ID_NUMBER} ", ""])
    assert made.archival_code == "LZ-1" and made.persons == ("张三",)
    assert made.id_numbers == (ID_NUMBER,) and ID_NUMBER not in repr(made)
    assert IndexEntry.model_validate(made.model_dump()) == made


def test_access_log(index: ArchiveIndex) -> None:
    t0 = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    index.log_access("auditor-1", "search", describe_query({"person": "张三"}), t0)
    index.log_access("auditor-2", "view", "LZ-QL-001-2026-D30-0001", t0 + dt.timedelta(hours=1))
    now = index.log_access("auditor-1", "download", "LZ-QL-001-2026-D30-0001")
    lines = index.accesses()
    assert [line.action for line in lines] == ["search", "view", "download"]
    assert lines[0].at == t0 and lines[0].at.tzinfo == dt.UTC and lines[2] == now
    assert [line.action for line in index.accesses(actor="auditor-1")] == ["search", "download"]
    assert [line.actor for line in index.accesses(contains="D30-0001")] == [
        "auditor-2",
        "auditor-1",
    ]
    assert [
        line.action for line in index.accesses(since=t0 + dt.timedelta(minutes=1), until=now.at)
    ] == ["view"]
    with pytest.raises(ValueError):
        index.log_access("a", "search", "{}", dt.datetime(2026, 1, 1))
    index.remove_all()
    assert len(index.accesses()) == 3  # the log survives a reindex


# -- load ----------------------------------------------------------------------------------

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂"
PLACES = [("南马", "齐陵街道"), ("大张", "齐陵街道"), ("西张", "金山镇"), ("东庄", "金山镇"),
          ("后李", "皇城镇"), ("前王", "皇城镇"), ("北刘", "敬仲镇"), ("小庄", "敬仲镇"),
          ("河崖", "凤凰镇"), ("柳店", "凤凰镇")]  # fmt: skip
VILLAGES = [(f"V{i:02d}", f"{name}村", town) for i, (name, town) in enumerate(PLACES)]
ITEMS = [("xwql-022", "低保申请"), ("xwql-030", "宅基地审批"), ("xwql-041", "临时救助"),
         ("xwql-052", "残疾人补贴"), ("xwql-063", "土地承包")]  # fmt: skip
REASONS = ["因病致贫", "房屋年久失修", "家庭人口增加", "子女上学", "意外事故致残", "年老体弱",
           "自然灾害受损", "无劳动能力"]  # fmt: skip


def synthetic(n: int, seed: int = 7) -> list[IndexEntry]:
    rng = random.Random(seed)
    made = []
    for i in range(n):
        village_code, village, town = rng.choice(VILLAGES)
        item_code, item = rng.choice(ITEMS)
        date = D(2024, 1, 1) + dt.timedelta(days=rng.randrange(730))
        persons = [
            rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice((1, 2))))
            for _ in range(rng.choice((1, 1, 2, 3)))
        ]
        reasons = "，".join(rng.sample(REASONS, 2))
        made.append(
            IndexEntry(
                archival_code=f"LZ-{village_code}-{date.year}-{item_code[-3:]}-{i:06d}",
                kind=rng.choice(("case_file", "notice")),
                title=f"{town}{village} {date.year}年{date.month}月 {item} {'、'.join(persons)}",
                date=date,
                village_code=village_code,
                village_name=village,
                town=town,
                item_code=item_code,
                item_name=item,
                case_id=f"C{i}",
                persons=tuple(persons),
                id_numbers=(f"370305{1950 + i % 60}0101{i % 1000:03d}{i % 10}",)
                if i % 3 == 0
                else (),
                text=f"申请书 入户调查表 {reasons}",
                manifest_sha256=f"{i:064x}",
                object_prefix=f"archive/{i}/",
            )
        )
    return made


def test_load_20k_is_exact(index: ArchiveIndex) -> None:
    records = synthetic(20_000)
    assert index.upsert_many(records)[Upserted.ADDED] == 20_000
    rng = random.Random(1)

    def order(e: IndexEntry) -> tuple[int, str]:
        return (-e.date.toordinal(), e.archival_code)

    def check(found: SearchPage, expected: list[IndexEntry]) -> None:
        expected.sort(key=order)
        assert found.total == len(expected)
        assert [e.archival_code for e in found.entries] == [e.archival_code for e in expected[:50]]

    timings: list[float] = []

    def timed(**query: Any) -> SearchPage:
        start = time.perf_counter()
        page = index.search(**query)
        timings.append(time.perf_counter() - start)
        return page

    for _ in range(15):
        sample = rng.choice(records)
        name = rng.choice(sample.persons)[:2]
        check(timed(person=name), [e for e in records if any(name in p for p in e.persons)])
        check(timed(person=name, exact_person=True), [e for e in records if name in e.persons])
        low, high = sorted((sample.date, sample.date - dt.timedelta(days=90)))
        check(
            timed(person=name, village=sample.village_name, date_from=low, date_to=high),
            [e for e in records if any(name in p for p in e.persons)
             and e.village_name == sample.village_name and low <= e.date <= high],
        )  # fmt: skip
        check(timed(code=sample.archival_code), [sample])
        phrase = rng.choice(REASONS)[:4]
        check(
            timed(text=phrase, item=sample.item_code),
            [e for e in records if phrase in e.text and e.item_code == sample.item_code],
        )
        char = rng.choice(GIVEN)
        check(
            timed(text=char, town=sample.town),
            [e for e in records if char in e.body() and e.town == sample.town],
        )
    with_id = records[rng.randrange(0, 20_000, 3)]
    id_number = f"370305{1950 + int(with_id.case_id[1:]) % 60}0101"  # type: ignore[index]
    assert index.search(id_number=id_number).total == 0  # a partial number finds nothing
    print(
        f"\n{index.engine.dialect.name}: 20k entries, {len(timings)} queries, "
        f"median {statistics.median(timings) * 1000:.2f} ms, max {max(timings) * 1000:.1f} ms"
    )
