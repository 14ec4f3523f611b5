"""The pair tokenizer and the FTS5 query builder, against a real SQLite FTS5 table."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from pipeline.archive.tokens import match_query, normalize, pair_tokens, query_terms, token_set

TOKENIZE = "unicode61 remove_diacritics 0 categories 'L* N* Co Cn'"  # as in index.py
CJK_SAMPLE = "张三丰王伟华南马村低保因病致贫〇𠮷䶮𪜀\U0002b820\U0002ebf0\U00031350\U00032400"
TOKEN = re.compile(
    "[\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ee5f"
    "\U0002f800-\U0002fa1f\U00030000-\U0003347f]{1,2}|[0-9a-z]+"
)
HOSTILE = ['张三"', "AND", "OR", "NOT", "*", "NEAR(", "NEAR(张三 李四, 2)", '"', '""', "(", ")",
           "^张", "{body}: 张", "body:张三", "张\x00三", "😀", "-", "+", "张三 AND",
           "' OR 1=1 --"]  # fmt: skip


@pytest.fixture(scope="module")
def fts() -> Iterator[sqlite3.Connection]:
    db = sqlite3.connect(":memory:")
    db.execute(f"CREATE VIRTUAL TABLE t USING fts5(body, content='', tokenize=\"{TOKENIZE}\")")
    db.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, 'row')")
    yield db
    db.close()


def matches(db: sqlite3.Connection, docs: list[str], query: str) -> set[int]:
    db.execute("INSERT INTO t(t) VALUES ('delete-all')")
    db.executemany(
        "INSERT INTO t(rowid, body) VALUES (?, ?)",
        [(i, " ".join(pair_tokens(doc))) for i, doc in enumerate(docs)],
    )
    return {
        row[0] for row in db.execute("SELECT rowid FROM t WHERE t MATCH ?", (match_query(query),))
    }


def test_pair_tokens_examples() -> None:
    assert pair_tokens("南马村") == ["南马", "马村", "村"]
    assert pair_tokens("张") == ["张"]
    assert pair_tokens("齐陵街道南马村 D30号，ＬＺ－１") == [
        "齐陵", "陵街", "街道", "道南", "南马", "马村", "村", "d30", "号", "lz", "1",
    ]  # fmt: skip
    assert pair_tokens("Café «王伟»😀") == ["caf", "王伟", "伟"]
    assert pair_tokens("") == [] and pair_tokens("，。!?😀") == []
    assert token_set("王伟伟") == ["伟", "伟伟", "王", "王伟"]


def test_match_query_examples() -> None:
    assert match_query("王小明") == '"王小 小明"'
    assert match_query("张") == '"张" *'
    assert match_query("  张三丰  低保 D30 ") == '"张三 三丰" AND "低保" AND "d30"'
    assert match_query('张三" OR NEAR(') == '"张三" AND "or" AND "near"'
    assert match_query("低保 低保") == '"低保"'
    assert match_query("*") == match_query("") == '""'
    assert [t.text for t in query_terms("Ａ张")] == ["a", "张"]


@given(st.text())
@example("\x00")
@example("张三\x00丰")
def test_tokens_hold_only_ideographs_and_ascii_words(text: str) -> None:
    for token in pair_tokens(text) + token_set(text):
        assert TOKEN.fullmatch(token), token


@settings(max_examples=300)
@given(st.text() | st.sampled_from(HOSTILE))
@example("")
def test_any_input_gives_a_query_sqlite_accepts(fts: sqlite3.Connection, text: str) -> None:
    fts.execute("INSERT INTO t(rowid, body) VALUES (1, '张三 三丰 丰')")
    fts.execute("SELECT rowid FROM t WHERE t MATCH ?", (match_query(text),)).fetchall()
    fts.execute("SELECT rowid FROM t WHERE t MATCH ?", (f"{{body}} : ({match_query(text)})",))
    fts.execute("INSERT INTO t(t) VALUES ('delete-all')")


@given(st.text(alphabet=st.sampled_from(CJK_SAMPLE + "ab1 ,Ａ"), max_size=30))
def test_fts5_keeps_every_token_as_cut(fts: sqlite3.Connection, text: str) -> None:
    """unicode61 must neither split nor drop a token (rare and new ideographs included)."""
    fts.execute("INSERT INTO t(t) VALUES ('delete-all')")
    fts.execute("INSERT INTO t(rowid, body) VALUES (1, ?)", (" ".join(pair_tokens(text)),))
    assert {row[0] for row in fts.execute("SELECT term FROM v")} == set(pair_tokens(text))


def oracle(doc: str, query: str) -> bool:
    """Every query run occurs: a CJK run as a substring of a CJK run, ASCII as a word."""
    words = re.findall("[0-9a-z]+", normalize(doc))
    for term in query_terms(query):
        if not term.cjk:
            found = any(w.startswith(term.text) if term.prefix else w == term.text for w in words)
        else:
            found = term.text in normalize(doc)
        if not found:
            return False
    return True


@settings(max_examples=300)
@given(
    st.lists(st.text(alphabet="张三丰王伟华 ，ab", max_size=12), min_size=1, max_size=6),
    st.text(alphabet="张三丰王伟华 ，ab", max_size=5),
)
@example(["王伟华", "王伟", "伟王"], "王伟")
@example(["王小，小明"], "王小明")
@example(["张三丰"], "丰")
def test_fts_matches_exactly_the_substring_oracle(
    fts: sqlite3.Connection, docs: list[str], query: str
) -> None:
    if not query_terms(query):
        assert matches(fts, docs, query) == set()
        return
    expected = {i for i, doc in enumerate(docs) if oracle(doc, query)}
    assert matches(fts, docs, query) == expected
