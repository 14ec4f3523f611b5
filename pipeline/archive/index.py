"""The search index of the archive: what auditors query, on SQLite or PostgreSQL.

One entry per archived record (案卷/文件) under its archival code (档号). Auditors
filter by village, town, item, date range, code and kind (plain indexed columns),
by person name and free text (character-pair tokens, see
:mod:`pipeline.archive.tokens`), and internal roles by ID number, which is never
stored: the index keeps only its keyed hash (HMAC-SHA256 with a key kept outside
the database, :mod:`pipeline.archive.idkey`), which cannot be reversed by hashing
every possible number. ``archive_index_meta`` records the key's fingerprint; an
index opened with another key (or one made before the hashes were keyed) drops
the hashes it holds, and searches by ID number are refused until
``xwql archive reindex`` has hashed the archived records' numbers anew.

The same API runs on both databases (SQLAlchemy Core):

* **SQLite** keeps the entries in ``archive_index`` and the tokens in a
  *contentless* FTS5 table ``archive_index_fts`` (``content=''``, ``unicode61``
  over pre-cut tokens, columns ``body`` and ``persons``), whose rowid is the
  entry's ``id``. A contentless table cannot ``UPDATE`` or ``DELETE`` on
  SQLite 3.40, so a changed or removed entry is taken out with FTS5's
  ``'delete'`` command fed the tokens it was indexed with; they are recomputed
  from the stored entry, which is why ``archive_index_meta`` records the
  tokenizer version and an index built by another version is re-tokenized when
  opened. (An external-content table would need the token strings stored a
  second time; this costs nothing but that rule.) A phrase of pairs is exact,
  so no further check is needed.
* **PostgreSQL** keeps the distinct tokens (pairs, every single ideograph,
  ASCII words: :func:`~pipeline.archive.tokens.token_set`) in
  ``tokens``/``person_tokens`` (``text[]`` with GIN indexes; ``pg_trgm`` cannot
  serve 1–2 characters) and the normalised text in ``haystack``/``person_haystack``:
  ``tokens @> ARRAY[…]`` finds the candidates through the index, and
  ``strpos(haystack, run) > 0`` keeps those containing a run of 3 or more
  ideographs itself (its pairs could be apart). A lone ASCII letter is a regular
  expression on the haystack (no index).

Text search means: every term of the query occurs in the entry's title, text,
village, town, item or person names — a CJK run as a substring, a 1-character
term as that character (or an ASCII word starting with it), an ASCII word as a
whole word. ``person`` does the same over the person names only, or compares
whole names with ``exact_person=True`` (so ``王伟`` does not return ``王伟华``).
A blank ``text`` or ``person`` is no filter; one with nothing searchable in it
(``"。"``, ``"😀"``) matches nothing.

Writers are serialised (SQLite: the write lock is taken by the transaction's
first statement; PostgreSQL: a transaction-level advisory lock), so concurrent
upserts of one code cannot both insert it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from enum import StrEnum
from itertools import islice
from typing import Annotated, Any

import sqlalchemy as sa
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator
from sqlalchemy.dialects import postgresql

from pipeline.archive.idkey import IdKey
from pipeline.archive.messages import (
    DATES_REVERSED,
    ID_HASHES_REMOVED,
    INDEX_DATABASE_UNSUPPORTED,
    INDEX_WITHOUT_ID_KEY,
    NO_FTS5,
    PAGE_OUT_OF_RANGE,
    QUERY_TOO_LONG,
)
from pipeline.archive.tokens import (
    TOKENIZER_VERSION,
    Term,
    match_query,
    normalize,
    pair_tokens,
    query_terms,
    token_set,
)
from pipeline.database import create_tables
from pipeline.errors import IndexKeyInvalid, InputInvalid, MissingDependency
from pipeline.stages import stage

logger = logging.getLogger(__name__)

MAX_LIMIT = 1000
"""The largest page a search returns."""
MAX_QUERY_CHARS = 500
"""Longer ``text`` or ``person`` queries are refused (a phrase per run costs per pair)."""
ANALYZE_AFTER = 1000
"""``upsert_many`` refreshes PostgreSQL's statistics when it changed this many entries."""
SQLITE_CACHE_KIB = 65536
"""SQLite page cache per connection, KiB (the index takes about 130 MB per 100k entries)."""
_BATCH = 500
_PG_WRITE_LOCK = 0x78777161  # "xwqa": the advisory lock serialising index writers
_GIN: dict[str, Any] = {"postgresql_with": {"gin_pending_list_limit": 256}}
"""A short GIN pending list: every search reads all of it, and with the default 4 MB a name
lookup took 5 ms instead of 1 after a bulk load, until the next VACUUM. (``fastupdate=off``
does the same for searches but makes loading 50 % slower.)"""
_FTS = "archive_index_fts"
_FTS_TOKENIZER = "unicode61 remove_diacritics 0 categories 'L* N* Co Cn'"
_HEX64 = re.compile(r"[0-9a-f]{64}")
_UNKEYED_ID_HASH = re.compile(r'"id_number":"sha256:[0-9a-f]{64}"')
_UNKEYED_ID_REMOVED = '"id_number":"sha256 removed"'
_META_ID_KEY = "id_key"  # the fingerprint of the key the ID hashes were made with
_META_ID_STALE = "id_hashes_dropped"  # set until a reindex hashes every record anew


def _key(value: str) -> str:
    """Codes and names compared as given: NFKC (full-width ``ＬＺ`` → ``LZ``), trimmed."""
    return unicodedata.normalize("NFKC", value).strip()


def name_key(name: str) -> str:
    """A person name as compared by the exact filter: NFKC, without any whitespace.

    Args:
        name: A name as written (``王 伟``, ``王伟``).

    Returns:
        The key (``王伟``).
    """
    return "".join(unicodedata.normalize("NFKC", name).split())


def _nonempty_key(value: str) -> str:
    key = _key(value)
    if not key:
        raise ValueError("must not be empty")
    return key


def _optional_key(value: str | None) -> str | None:
    return _key(value) or None if value is not None else None


CodeStr = Annotated[str, AfterValidator(_nonempty_key), Field(max_length=100)]
NameStr = Annotated[str, AfterValidator(_key), Field(max_length=200)]


class IndexEntry(BaseModel):
    """One archived record as the index knows it.

    Codes and names are NFKC-normalised and trimmed. ``id_numbers`` are given as
    the numbers; the index stores their keyed hashes only, which is what an entry
    read back holds (they are left out of ``repr``).

    Attributes:
        archival_code: 档号, the key (``LZ-QL-001-2026-D30-0001``).
        kind: What was archived (``case_file``, ``notice``…).
        title: 题名.
        date: The record's date (filing date).
        village_code: The village's code.
        village_name: The village's name (``南马村``).
        town: The town or sub-district (``齐陵街道``).
        item_code: The power-list item code (``xwql-022``).
        item_name: The item's name (``低保申请``).
        case_id: The case the record belongs to, if any.
        persons: Names of the people concerned.
        id_numbers: Their ID numbers (internal search only); read back, their
            keyed hashes (:meth:`ArchiveIndex.hash_id`).
        text: Free text: titles of the documents, reasons…
        manifest_sha256: SHA-256 of the archived manifest.
        object_prefix: Where the record's objects are in the S3 archive.
        version: 1 for the first filing, then 2, 3…
        supersedes: The archival code this version replaces, if any.
        unit: What the record is of, stable across versions
            (``case_file/NM-2026-11-001``, ``monthly_pack/QL-NM/2026-11``).
        source_sha256: SHA-256 of the data the record was made from.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    archival_code: CodeStr
    kind: CodeStr
    title: str
    date: dt.date
    village_code: CodeStr
    village_name: NameStr
    town: NameStr
    item_code: CodeStr
    item_name: NameStr
    case_id: Annotated[str | None, AfterValidator(_optional_key)] = None
    persons: tuple[str, ...] = ()
    id_numbers: tuple[str, ...] = Field(default=(), repr=False)
    text: str = ""
    manifest_sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    object_prefix: str
    version: Annotated[int, Field(ge=1)] = 1
    supersedes: Annotated[str | None, AfterValidator(_optional_key)] = None
    unit: Annotated[str | None, AfterValidator(_optional_key)] = Field(default=None, max_length=200)
    source_sha256: Annotated[str | None, Field(pattern=r"^[0-9a-f]{64}$")] = None

    @field_validator("persons")
    @classmethod
    def _names(cls, persons: tuple[str, ...]) -> tuple[str, ...]:
        cleaned = (_key(name) for name in persons)
        return tuple(dict.fromkeys(name for name in cleaned if name))

    @field_validator("id_numbers")
    @classmethod
    def _ids(cls, numbers: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(dict.fromkeys(number.strip() for number in numbers if number.strip()))

    @field_validator("*")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        texts = value if isinstance(value, tuple) else (value,)
        if any(isinstance(text, str) and "\x00" in text for text in texts):
            raise ValueError("must not contain NUL characters")
        return value

    def body(self) -> str:
        """What free-text search looks in: title, text, village, town, item, persons."""
        parts = (self.title, self.text, self.village_name, self.town, self.item_name)
        return "\n".join((*parts, *self.persons))

    def digest(self) -> str:
        """SHA-256 of the canonical JSON: equal entries, equal digests."""
        canonical = json.dumps(self.model_dump(mode="json"), ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class Upserted(StrEnum):
    """What an upsert did to an entry."""

    ADDED = "added"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class SearchPage:
    """One page of search results.

    Attributes:
        total: How many entries match, on every page.
        entries: This page's entries, by date (newest first) then archival code.
    """

    total: int
    entries: tuple[IndexEntry, ...]


@dataclass(frozen=True)
class AccessRecord:
    """One line of the access log.

    Attributes:
        id: Increasing number of the line.
        actor: Who (user id or name).
        action: What (``search``, ``view``, ``download``…).
        query_or_code: The search (see :func:`describe_query`) or the archival code.
        at: When, in UTC.
    """

    id: int
    actor: str
    action: str
    query_or_code: str
    at: dt.datetime


def describe_query(filters: Mapping[str, object], *, id_key: IdKey | None = None) -> str:
    """A search's filters as one canonical line for the access log.

    An ``id_number`` is replaced by its keyed hash (:meth:`IdKey.hash`), or left
    out without a key: the log (also written to WORM storage) must not keep the
    number, nor a hash anyone could reverse.

    Args:
        filters: The keyword arguments given to :meth:`ArchiveIndex.search`.
        id_key: The index's key (:attr:`ArchiveIndex.id_key`).

    Returns:
        Sorted compact JSON of the filters that are set.
    """
    shown: dict[str, object] = {}
    for name, value in filters.items():
        if value is None or value is False:
            continue
        if name == "id_number" and isinstance(value, str):
            value = f"hmac-sha256:{id_key.hash(value)}" if id_key else "given"
        shown[name] = value.isoformat() if isinstance(value, dt.date) else value
    return json.dumps(shown, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def without_unkeyed_id_hashes(line: str) -> str:
    """An access-log line with the plain SHA-256 of an ID number taken out.

    Before the hashes were keyed, an ID-number search was logged with the number's
    plain SHA-256, which is reversible; the locked log objects keep it until their
    retention ends, the queryable copy does not.
    """
    return _UNKEYED_ID_HASH.sub(_UNKEYED_ID_REMOVED, line)


@dataclass(frozen=True)
class _Schema:
    metadata: sa.MetaData
    entries: sa.Table
    persons: sa.Table
    ids: sa.Table
    meta: sa.Table
    access_log: sa.Table
    claims: sa.Table
    abandoned: sa.Table


def _schema(*, postgres: bool) -> _Schema:
    metadata = sa.MetaData()
    extra: list[sa.Column[Any]] = []
    if postgres:
        extra = [
            sa.Column("tokens", postgresql.ARRAY(sa.Text), nullable=False),
            sa.Column("person_tokens", postgresql.ARRAY(sa.Text), nullable=False),
            sa.Column("haystack", sa.Text, nullable=False),
            sa.Column("person_haystack", sa.Text, nullable=False),
        ]
    entries = sa.Table(
        "archive_index", metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("archival_code", sa.String(100), nullable=False, unique=True),
        sa.Column("kind", sa.String(100), nullable=False, index=True),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("date", sa.Date, nullable=False),
        sa.Column("village_code", sa.String(100), nullable=False),
        sa.Column("village_name", sa.String(200), nullable=False),
        sa.Column("town", sa.String(200), nullable=False),
        sa.Column("item_code", sa.String(100), nullable=False),
        sa.Column("item_name", sa.String(200), nullable=False),
        sa.Column("case_id", sa.String(100), nullable=True, index=True),
        sa.Column("persons", sa.Text, nullable=False),  # JSON list, as given
        sa.Column("id_hashes", sa.Text, nullable=False),  # JSON list of SHA-256
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("manifest_sha256", sa.String(64), nullable=False),
        sa.Column("object_prefix", sa.Text, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("supersedes", sa.String(100), nullable=True, index=True),
        sa.Column("unit", sa.String(200), nullable=True, index=True),
        sa.Column("source_sha256", sa.String(64), nullable=True),
        sa.Column("entry_sha256", sa.String(64), nullable=False),
        *extra,
    )  # fmt: skip
    c = entries.c
    sa.Index("ix_archive_index_date_code", c.date.desc(), c.archival_code)
    for column in (c.village_code, c.village_name, c.town, c.item_code, c.item_name):
        sa.Index(f"ix_archive_index_{column.name}_date", column, c.date)
    if postgres:
        sa.Index("ix_archive_index_tokens", c.tokens, postgresql_using="gin", **_GIN)
        sa.Index("ix_archive_index_person_tokens", c.person_tokens, postgresql_using="gin", **_GIN)
    persons = sa.Table(
        "archive_index_persons", metadata,
        sa.Column("entry_id", sa.Integer, nullable=False, index=True),
        sa.Column("name_key", sa.String(200), nullable=False, index=True),
    )  # fmt: skip
    ids = sa.Table(
        "archive_index_ids", metadata,
        sa.Column("entry_id", sa.Integer, nullable=False, index=True),
        sa.Column("id_sha256", sa.String(64), nullable=False, index=True),
    )  # fmt: skip
    meta = sa.Table(
        "archive_index_meta", metadata,
        sa.Column("key", sa.String(40), primary_key=True),
        sa.Column("value", sa.String(200), nullable=False),
    )  # fmt: skip
    access_log = sa.Table(
        "archive_access_log", metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("actor", sa.String(200), nullable=False, index=True),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("query_or_code", sa.Text, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, index=True),
    )  # fmt: skip
    # A unit being filed, made from a source: by whom, under which code, until when.
    claims = sa.Table(
        "archive_claims", metadata,
        sa.Column("unit", sa.String(200), primary_key=True),
        sa.Column("source_sha256", sa.String(64), primary_key=True),
        sa.Column("archival_code", sa.String(100), nullable=False, unique=True),
        sa.Column("worker", sa.String(300), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )  # fmt: skip
    # An archival code whose package was begun and never finished: its objects stay
    # (WORM) and the unit went under another code; the sweep says so, by name.
    abandoned = sa.Table(
        "archive_abandoned", metadata,
        sa.Column("archival_code", sa.String(100), primary_key=True),
        sa.Column("unit", sa.String(200), nullable=False),
        sa.Column("superseded_by", sa.String(100), nullable=False),
        sa.Column("worker", sa.String(300), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )  # fmt: skip
    return _Schema(metadata, entries, persons, ids, meta, access_log, claims, abandoned)


_SCHEMAS = {"sqlite": _schema(postgres=False), "postgresql": _schema(postgres=True)}
_fts_rowid = sa.table(_FTS, sa.column("rowid", sa.Integer)).c.rowid
_fts_table: sa.ColumnClause[Any] = sa.literal_column(_FTS)
_FTS_INSERT = sa.text(f"INSERT INTO {_FTS} (rowid, body, persons) VALUES (:id, :body, :persons)")
_FTS_DELETE = sa.text(
    f"INSERT INTO {_FTS} ({_FTS}, rowid, body, persons) VALUES ('delete', :id, :body, :persons)"
)


def _sqlite_pragmas(connection: Any, _record: object) -> None:
    """A page cache the index fits in (the default 2 MB makes broad queries read from disk)."""
    connection.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")


def _batches(items: Iterable[IndexEntry]) -> Iterator[list[IndexEntry]]:
    iterator = iter(items)
    while batch := list(islice(iterator, _BATCH)):
        yield batch


def _utc(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None:  # SQLite hands back what it was given: UTC, naive
        return moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


@dataclass(frozen=True)
class Claim:
    """Who files a unit made from a source, and under which archival code.

    Attributes:
        unit: The unit key.
        source_sha256: The source it is made from.
        archival_code: The code its package is built under.
        worker: Who holds the claim.
        mine: The asking worker holds it (else another one is filing the unit).
        taken_over: It was another worker's, whose lease had run out.
        filed: The unit's current version is made from this source (its code given).
    """

    unit: str
    source_sha256: str
    archival_code: str
    worker: str
    mine: bool
    taken_over: bool = False
    filed: bool = False


class ArchiveIndex:
    """The archive's search index and access log. Tables are created on first use.

    Args:
        url: A SQLAlchemy URL, ``sqlite:///…`` or ``postgresql+psycopg://…``.
        id_key: The key of the ID-number hashes; without it the index neither
            stores ID numbers nor searches by them (reading the rest is the same).

    Raises:
        InputInvalid: The URL names another database.
        MissingDependency: SQLite was built without FTS5.
    """

    def __init__(self, url: str, *, id_key: IdKey | None = None) -> None:
        self.id_key = id_key
        self.engine = sa.create_engine(url)
        name = self.engine.dialect.name
        if name not in _SCHEMAS:
            self.engine.dispose()
            raise InputInvalid(INDEX_DATABASE_UNSUPPORTED(name=name))
        self._postgres = name == "postgresql"
        self._schema = _SCHEMAS[name]
        # every column but PostgreSQL's tokens: what an entry is rebuilt from
        self._stored = [c for c in self._schema.entries.c if c.name not in _PG_TOKEN_COLUMNS]
        if not self._postgres:
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)
        create_tables(self._schema.metadata, self.engine)
        with self._writing() as db:
            if not self._postgres:
                try:
                    db.exec_driver_sql(
                        f"CREATE VIRTUAL TABLE IF NOT EXISTS {_FTS} USING fts5("
                        f"body, persons, content='', columnsize=0, tokenize=\"{_FTS_TOKENIZER}\")"
                    )
                except sa.exc.OperationalError as error:
                    raise MissingDependency(NO_FTS5(error=error.orig)) from error
            meta = self._schema.meta
            version = db.execute(
                sa.select(meta.c.value).where(meta.c.key == "tokenizer")
            ).scalar_one_or_none()
            if version != str(TOKENIZER_VERSION):
                if version is not None:
                    self._retokenize(db)
                db.execute(sa.delete(meta).where(meta.c.key == "tokenizer"))
                db.execute(sa.insert(meta).values(key="tokenizer", value=str(TOKENIZER_VERSION)))
            if id_key is not None:
                self._adopt_id_key(db, id_key)

    def _adopt_id_key(self, db: sa.Connection, id_key: IdKey) -> None:
        """Record ``id_key``'s fingerprint; drop ID hashes made with another key, or none.

        Those hashes cannot be compared with the new ones (and unkeyed ones are
        reversible): they are removed, with their plain copies in the access log's
        table, and ID-number searches are refused until a reindex.
        """
        schema = self._schema
        meta = schema.meta
        known = db.execute(
            sa.select(meta.c.value).where(meta.c.key == _META_ID_KEY)
        ).scalar_one_or_none()
        if known == id_key.fingerprint:
            return
        held = db.execute(sa.select(sa.func.count()).select_from(schema.ids)).scalar_one()
        if held:
            logger.warning(
                "the index's %d ID-number hashes were made with another key (or none): "
                "removed; run `xwql archive reindex` to search by ID number again",
                held,
            )
            db.execute(sa.delete(schema.ids))
            db.execute(sa.update(schema.entries).values(id_hashes="[]"))
            db.execute(sa.delete(meta).where(meta.c.key == _META_ID_STALE))
            db.execute(sa.insert(meta).values(key=_META_ID_STALE, value=str(held)))
        log = schema.access_log
        marked = sa.func.strpos if self._postgres else sa.func.instr
        for row_id, line in db.execute(
            sa.select(log.c.id, log.c.query_or_code).where(
                marked(log.c.query_or_code, '"id_number":"sha256:') > 0
            )
        ).all():
            db.execute(
                sa.update(log)
                .where(log.c.id == row_id)
                .values(query_or_code=without_unkeyed_id_hashes(line))
            )
        db.execute(sa.delete(meta).where(meta.c.key == _META_ID_KEY))
        db.execute(sa.insert(meta).values(key=_META_ID_KEY, value=id_key.fingerprint))

    def hash_id(self, id_number: str) -> str:
        """The keyed hash the index keeps of ``id_number``.

        Raises:
            IndexKeyInvalid: The index was opened without a key.
        """
        if self.id_key is None:
            raise IndexKeyInvalid(INDEX_WITHOUT_ID_KEY())
        return self.id_key.hash(id_number)

    def close(self) -> None:
        """Release the connections."""
        self.engine.dispose()

    def __enter__(self) -> ArchiveIndex:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- writing ---------------------------------------------------------------------------

    @contextmanager
    def _writing(self) -> Iterator[sa.Connection]:
        """A write transaction, holding the one writer's lock from its first statement."""
        with self.engine.begin() as db:
            if self._postgres:
                db.execute(sa.select(sa.func.pg_advisory_xact_lock(_PG_WRITE_LOCK)))
            else:  # a write as first statement makes pysqlite BEGIN and take the write lock
                db.exec_driver_sql("DELETE FROM archive_index_meta WHERE key = '-'")
            yield db

    def upsert(self, entry: IndexEntry) -> Upserted:
        """Add or replace the entry with ``entry.archival_code``; an equal entry is left alone.

        Args:
            entry: The entry.

        Returns:
            What happened.
        """
        with stage("index"), self._writing() as db:
            counts = self._upsert_batch(db, [entry])
        return next(change for change, count in counts.items() if count)

    def upsert_many(self, entries: Iterable[IndexEntry]) -> dict[Upserted, int]:
        """Upsert many entries in one transaction (of a code given twice, the last wins).

        Args:
            entries: The entries.

        Returns:
            How many were added, updated and left unchanged.
        """
        totals = dict.fromkeys(Upserted, 0)
        with stage("index"), self._writing() as db:
            for batch in _batches(entries):
                for change, count in self._upsert_batch(db, batch).items():
                    totals[change] += count
            if totals[Upserted.ADDED] + totals[Upserted.UPDATED] >= ANALYZE_AFTER:
                self._analyze(db)
        return totals

    def remove_all(self) -> None:
        """Empty the index (the access log stays); :meth:`reindex` empties and refills at once."""
        with self._writing() as db:
            self._remove_all(db)

    def reindex(self, entries: Iterable[IndexEntry]) -> int:
        """Replace the whole index with ``entries`` in one transaction.

        Searches see the old index until the new one is committed. On PostgreSQL
        the tables are vacuumed afterwards: the deleted rows stay in the GIN index
        until then and made a broad text query 2.5 times slower.

        Args:
            entries: Every entry the index should hold.

        Returns:
            How many entries the index holds now.
        """
        with self._writing() as db:
            self._remove_all(db)
            for batch in _batches(entries):
                self._upsert_batch(db, batch)
            self._analyze(db)
            total = self._count(db)
        if self._postgres:
            with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as db:
                for table in (self._schema.entries, self._schema.persons, self._schema.ids):
                    db.exec_driver_sql(f"VACUUM ANALYZE {table.name}")
        return total

    def _analyze(self, db: sa.Connection) -> None:
        """Fresh PostgreSQL statistics after a bulk load.

        Without them the planner guesses 1 row for ``tokens @> …`` and walks the
        date index for a page: 135 ms instead of 1 ms for a name at 100k entries.
        (SQLite's planner needs none; see :meth:`_fts_condition`.)
        """
        if self._postgres:
            for table in (self._schema.entries, self._schema.persons, self._schema.ids):
                db.exec_driver_sql(f"ANALYZE {table.name}")

    def _remove_all(self, db: sa.Connection) -> None:
        schema = self._schema
        db.execute(sa.delete(schema.meta).where(schema.meta.c.key == _META_ID_STALE))
        if not self._postgres:
            db.exec_driver_sql(f"INSERT INTO {_FTS} ({_FTS}) VALUES ('delete-all')")
        for table in (schema.persons, schema.ids, schema.entries):
            db.execute(sa.delete(table))

    def _upsert_batch(self, db: sa.Connection, batch: Sequence[IndexEntry]) -> dict[Upserted, int]:
        schema, entries = self._schema, self._schema.entries
        wanted = {entry.archival_code: self._with_id_hashes(entry) for entry in batch}
        digests = {code: entry.digest() for code, entry in wanted.items()}
        existing = db.execute(
            sa.select(*self._stored).where(entries.c.archival_code.in_(list(wanted)))
        ).all()
        stale = [row for row in existing if row.entry_sha256 != digests[row.archival_code]]
        counts = {
            Upserted.UNCHANGED: len(existing) - len(stale),
            Upserted.UPDATED: len(stale),
            Upserted.ADDED: len(wanted) - len(existing),
        }
        if stale:
            stale_ids = [row.id for row in stale]
            if not self._postgres:
                db.execute(_FTS_DELETE, [self._fts_values(row.id, _entry(row)) for row in stale])
            for table in (schema.persons, schema.ids):
                db.execute(sa.delete(table).where(table.c.entry_id.in_(stale_ids)))
            db.execute(sa.delete(entries).where(entries.c.id.in_(stale_ids)))
        kept = {row.archival_code for row in existing} - {row.archival_code for row in stale}
        fresh = [entry for code, entry in wanted.items() if code not in kept]
        if not fresh:
            return counts
        db.execute(sa.insert(entries), [self._row(entry, digests) for entry in fresh])
        ids: dict[str, int] = {
            code: row_id
            for code, row_id in db.execute(
                sa.select(entries.c.archival_code, entries.c.id).where(
                    entries.c.archival_code.in_([entry.archival_code for entry in fresh])
                )
            )
        }
        persons = [
            {"entry_id": ids[entry.archival_code], "name_key": key}
            for entry in fresh
            for key in dict.fromkeys(name_key(name) for name in entry.persons)
        ]
        hashes = [
            {"entry_id": ids[entry.archival_code], "id_sha256": digest}
            for entry in fresh
            for digest in entry.id_numbers
        ]
        if persons:
            db.execute(sa.insert(schema.persons), persons)
        if hashes:
            db.execute(sa.insert(schema.ids), hashes)
        if not self._postgres:
            db.execute(
                _FTS_INSERT, [self._fts_values(ids[entry.archival_code], entry) for entry in fresh]
            )
        return counts

    def _with_id_hashes(self, entry: IndexEntry) -> IndexEntry:
        """``entry`` with its ID numbers replaced by their keyed hashes (none without a key).

        A value that is a hash already (an entry read back and stored again) is kept:
        no ID number is 64 hex digits.
        """
        if not entry.id_numbers:
            return entry
        hashes = (
            ()
            if self.id_key is None
            else tuple(
                dict.fromkeys(
                    number if _HEX64.fullmatch(number) else self.hash_id(number)
                    for number in entry.id_numbers
                )
            )
        )
        return entry.model_copy(update={"id_numbers": hashes})

    @staticmethod
    def _fts_values(entry_id: int, entry: IndexEntry) -> dict[str, object]:
        persons = [token for name in entry.persons for token in pair_tokens(name)]
        return {
            "id": entry_id,
            "body": " ".join(pair_tokens(entry.body())),
            "persons": " ".join(persons),
        }

    def _row(self, entry: IndexEntry, digests: Mapping[str, str]) -> dict[str, object]:
        row: dict[str, object] = entry.model_dump(exclude={"persons", "id_numbers"})
        row["persons"] = json.dumps(list(entry.persons), ensure_ascii=False)
        row["id_hashes"] = json.dumps(list(entry.id_numbers))
        row["entry_sha256"] = digests[entry.archival_code]
        if self._postgres:
            row.update(_pg_tokens(entry))
        return row

    def _retokenize(self, db: sa.Connection) -> None:
        """Rebuild every token from the stored entries (after a tokenizer change)."""
        entries = self._schema.entries
        if not self._postgres:
            db.exec_driver_sql(f"INSERT INTO {_FTS} ({_FTS}) VALUES ('delete-all')")
        update = (
            sa.update(entries)
            .where(entries.c.id == sa.bindparam("row_id"))
            .values({name: sa.bindparam(name) for name in _PG_TOKEN_COLUMNS})
        )
        last = 0
        while rows := db.execute(
            sa.select(*self._stored).where(entries.c.id > last).order_by(entries.c.id).limit(_BATCH)
        ).all():
            last = rows[-1].id
            if self._postgres:
                db.execute(update, [{"row_id": row.id, **_pg_tokens(_entry(row))} for row in rows])
            else:
                db.execute(_FTS_INSERT, [self._fts_values(row.id, _entry(row)) for row in rows])

    # -- reading ---------------------------------------------------------------------------

    def count(self) -> int:
        """How many entries the index holds."""
        with self.engine.connect() as db:
            return self._count(db)

    def _count(self, db: sa.Connection) -> int:
        return db.execute(sa.select(sa.func.count()).select_from(self._schema.entries)).scalar_one()

    def versions_of(self, unit: str) -> list[IndexEntry]:
        """Every entry of one archived unit, oldest version first.

        Args:
            unit: The unit key (:attr:`IndexEntry.unit`).
        """
        c = self._schema.entries.c
        with self.engine.connect() as db:
            rows = db.execute(
                sa.select(*self._stored).where(c.unit == _key(unit)).order_by(c.version)
            ).all()
        return [_entry(row) for row in rows]

    def claim(
        self,
        unit: str,
        source_sha256: str,
        worker: str,
        *,
        lease: dt.timedelta,
        next_code: Callable[[set[str]], str],
        gone: Callable[[str], bool] = lambda worker: False,
        now: dt.datetime | None = None,
    ) -> Claim:
        """Claim the filing of ``unit`` from ``source_sha256`` for ``worker``, atomically.

        One write transaction, holding the index's one writer's lock (an advisory
        lock on PostgreSQL, SQLite's write lock): of workers asking at once, one
        gets the unit, the others learn who has it. A claim whose lease ran out
        (its worker was killed) is taken over, at once when ``gone`` knows its
        worker is no more (a killed process of this host, whose restart finishes
        its own package).

        Args:
            unit: The unit key.
            source_sha256: Hash of the data the unit is made from.
            worker: Who asks (stable across restarts of the same worker).
            lease: How long the claim holds unless released.
            next_code: The next free archival code, given the codes claimed now.
            gone: Whether a worker is known to be gone (a process of this host
                that no longer runs): its claim is taken over at once.
            now: The time (tests).

        Returns:
            The claim: ``mine`` is False when another worker holds it, ``filed``
            when the unit's current version is made from this source already.
        """
        now = now or dt.datetime.now(dt.UTC)
        c = self._schema.claims.c
        key = (c.unit == unit) & (c.source_sha256 == source_sha256)
        e = self._schema.entries.c
        with self._writing() as db:
            latest = db.execute(
                sa.select(e.archival_code, e.source_sha256)
                .where(e.unit == unit).order_by(e.version.desc()).limit(1)
            ).one_or_none()  # fmt: skip
            if latest is not None and latest.source_sha256 == source_sha256:
                return Claim(unit, source_sha256, latest.archival_code, "", mine=False, filed=True)
            held = db.execute(
                sa.select(c.archival_code, c.worker, c.expires_at).where(key)
            ).one_or_none()
            lapsed = held is not None and (_utc(held.expires_at) <= now or gone(held.worker))
            if held is not None and held.worker != worker and not lapsed:
                return Claim(unit, source_sha256, held.archival_code, held.worker, mine=False)
            expires = now + lease
            if held is not None:
                db.execute(sa.update(self._schema.claims).where(key).values(
                    worker=worker, expires_at=expires))  # fmt: skip
                return Claim(unit, source_sha256, held.archival_code, worker, mine=True,
                             taken_over=held.worker != worker)  # fmt: skip
            claimed = set(db.execute(sa.select(c.archival_code)).scalars())
            code = next_code(claimed)
            db.execute(sa.insert(self._schema.claims).values(
                unit=unit, source_sha256=source_sha256, archival_code=code, worker=worker,
                expires_at=expires,
            ))  # fmt: skip
        return Claim(unit, source_sha256, code, worker, mine=True)

    def recode(self, claim: Claim, next_code: Callable[[set[str]], str]) -> Claim:
        """Move ``claim`` (its worker's) to the next free archival code.

        For a claim taken over from a worker that had begun writing its package:
        its objects stay where they are, the unit is filed under a new code.
        """
        c = self._schema.claims.c
        key = (
            (c.unit == claim.unit) & (c.source_sha256 == claim.source_sha256)
            & (c.worker == claim.worker)
        )  # fmt: skip
        with self._writing() as db:
            claimed = set(db.execute(sa.select(c.archival_code)).scalars())
            code = next_code(claimed)
            db.execute(sa.update(self._schema.claims).where(key).values(archival_code=code))
            self._record_abandoned(db, claim.archival_code, claim.unit, code, claim.worker)
        return replace(claim, archival_code=code)

    def renew(
        self, unit: str, source_sha256: str, worker: str, code: str, *, lease: dt.timedelta
    ) -> bool:
        """Extend ``worker``'s claim on ``unit`` under ``code``; False if another has it.

        Asked before a package's objects are written and again before it is indexed:
        a worker slower than its lease whose unit was taken over meanwhile must
        neither write nor index it. No claim at all (a package finished by hand,
        nobody filing the unit) is no obstacle.
        """
        c = self._schema.claims.c
        key = (c.unit == unit) & (c.source_sha256 == source_sha256)
        with self._writing() as db:
            held = db.execute(sa.select(c.worker, c.archival_code).where(key)).one_or_none()
            if held is None:
                return True
            if held.worker != worker or held.archival_code != code:
                return False
            db.execute(sa.update(self._schema.claims).where(key).values(
                expires_at=dt.datetime.now(dt.UTC) + lease))  # fmt: skip
        return True

    def abandon(self, code: str, unit: str, superseded_by: str, worker: str) -> None:
        """Record that the package begun under ``code`` will not be finished.

        ``unit`` is filed under ``superseded_by`` instead; what was written under
        ``code`` stays in the bucket (it cannot be deleted) and the sweep names it.
        """
        with self._writing() as db:
            self._record_abandoned(db, code, unit, superseded_by, worker)

    def _record_abandoned(
        self, db: sa.Connection, code: str, unit: str, superseded_by: str, worker: str
    ) -> None:
        table = self._schema.abandoned
        if db.execute(sa.select(table.c.archival_code).where(
            table.c.archival_code == code
        )).first() is None:  # fmt: skip
            db.execute(sa.insert(table).values(
                archival_code=code, unit=unit, superseded_by=superseded_by, worker=worker,
                at=dt.datetime.now(dt.UTC),
            ))  # fmt: skip

    def abandoned(self) -> dict[str, tuple[str, str]]:
        """The codes whose packages were given up: code → (unit, the code filed instead)."""
        table = self._schema.abandoned
        with self.engine.connect() as db:
            rows = db.execute(sa.select(table.c.archival_code, table.c.unit,
                                        table.c.superseded_by))  # fmt: skip
            return {row.archival_code: (row.unit, row.superseded_by) for row in rows}

    def release(self, unit: str, source_sha256: str, worker: str) -> None:
        """Give up the claim of ``worker`` (its unit is filed and indexed, or it failed)."""
        c = self._schema.claims.c
        with self._writing() as db:
            db.execute(sa.delete(self._schema.claims).where(
                (c.unit == unit) & (c.source_sha256 == source_sha256) & (c.worker == worker)
            ))  # fmt: skip

    def codes_starting(self, prefix: str) -> list[str]:
        """The archival codes that start with ``prefix``, sorted."""
        c = self._schema.entries.c
        escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        with self.engine.connect() as db:
            return list(
                db.execute(
                    sa.select(c.archival_code)
                    .where(c.archival_code.like(f"{escaped}%", escape="\\"))
                    .order_by(c.archival_code)
                ).scalars()
            )

    def get(self, code: str) -> IndexEntry | None:
        """The entry with archival code ``code``, if any."""
        c = self._schema.entries.c
        with self.engine.connect() as db:
            row = db.execute(sa.select(*self._stored).where(c.archival_code == _key(code))).first()
        return None if row is None else _entry(row)

    def search(
        self,
        *,
        text: str | None = None,
        person: str | None = None,
        exact_person: bool = False,
        id_number: str | None = None,
        village: str | None = None,
        town: str | None = None,
        item: str | None = None,
        date_from: dt.date | None = None,
        date_to: dt.date | None = None,
        code: str | None = None,
        kind: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> SearchPage:
        """The entries matching every filter given, newest first, then by archival code.

        Args:
            text: Free text; every term must occur in title, text, village, town,
                item or person names (see the module's docstring).
            person: A name or part of one, over the person names only.
            exact_person: Compare ``person`` with whole names (``王伟`` ≠ ``王伟华``).
            id_number: An ID number, matched through its hash (internal roles only:
                the caller checks the role).
            village: Village code or name.
            town: Town name.
            item: Item code or name.
            date_from: First date, inclusive.
            date_to: Last date, inclusive.
            code: Archival code, exactly.
            kind: Kind of record, exactly.
            limit: Page size, 1 to ``MAX_LIMIT``.
            offset: Entries to skip.

        Returns:
            The total count and one page.

        Raises:
            InputInvalid: A bad page, a reversed date range or an over-long query.
        """
        _check_search(
            limit=limit,
            offset=offset,
            date_from=date_from,
            date_to=date_to,
            text=text,
            person=person,
        )
        conditions, match = self._conditions(
            text=text, person=person, exact_person=exact_person, id_number=id_number,
            village=village, town=town, item=item, date_from=date_from, date_to=date_to,
            code=code, kind=kind,
        )  # fmt: skip
        if conditions is None:
            return SearchPage(0, ())
        return self._page(conditions, match, limit=limit, offset=offset)

    def _page(
        self,
        conditions: Sequence[sa.ColumnElement[bool]],
        match: str | None,
        *,
        limit: int,
        offset: int,
    ) -> SearchPage:
        """Count the entries matching, then read one page of them, newest first."""
        entries = self._schema.entries
        with self.engine.connect() as db:
            if match is not None and not conditions:  # text only: FTS5 counts alone
                counted = sa.select(sa.func.count()).where(_fts_table.op("MATCH")(match))
                total = db.execute(counted.select_from(sa.table(_FTS))).scalar_one()
            else:
                where = [*conditions, *self._fts_condition(match, total=None, db=db)]
                total = db.execute(
                    sa.select(sa.func.count()).select_from(entries).where(*where)
                ).scalar_one()
            if total <= offset:
                return SearchPage(total, ())
            where = [
                *conditions,
                *self._fts_condition(match, total=total, db=db, rows=offset + limit),
            ]
            rows = db.execute(
                sa.select(*self._stored)
                .where(*where)
                .order_by(entries.c.date.desc(), entries.c.archival_code)
                .limit(limit)
                .offset(offset)
            ).all()
        return SearchPage(total, tuple(_entry(row) for row in rows))

    def _fts_condition(
        self, match: str | None, *, total: int | None, db: sa.Connection, rows: int = 0
    ) -> list[sa.ColumnElement[bool]]:
        """``id IN (FTS5 rowids)``, shaped for the planner.

        With few hits SQLite should look the rows up by id, then sort them; with
        many it should walk the date index and stop after the page. It cannot
        know which, so, knowing ``total``, we hide the id from it (``id + 0``) when a
        walk in date order reaches the page after fewer rows than there are hits.
        """
        if match is None:
            return []
        c = self._schema.entries.c
        hits = sa.select(_fts_rowid).where(_fts_table.op("MATCH")(match))
        if total is not None and total > 0:
            # max(id) ≥ the number of entries, and costs one index probe (count(*) a scan)
            bound = db.execute(sa.select(sa.func.max(c.id))).scalar_one() or 0
            if rows * bound < total * total:
                return [(c.id + 0).in_(hits)]  # not an index: scan by date
        return [c.id.in_(hits)]

    def _conditions(
        self,
        *,
        text: str | None,
        person: str | None,
        exact_person: bool,
        id_number: str | None,
        village: str | None,
        town: str | None,
        item: str | None,
        date_from: dt.date | None,
        date_to: dt.date | None,
        code: str | None,
        kind: str | None,
    ) -> tuple[list[sa.ColumnElement[bool]] | None, str | None]:
        """The WHERE conditions but text, and SQLite's FTS5 query; None when nothing can match."""
        schema = self._schema
        c = schema.entries.c
        conditions: list[sa.ColumnElement[bool]] = []
        match: str | None = None
        given = {
            name: _key(value)
            for name, value in (
                ("village", village), ("town", town), ("item", item), ("code", code),
                ("kind", kind),
            )
            if value is not None and value.strip()
        }  # fmt: skip
        if any("\x00" in value for value in given.values()):
            return None, None  # no stored value holds NUL (IndexEntry refuses it)
        if "village" in given:
            conditions.append(
                sa.or_(c.village_code == given["village"], c.village_name == given["village"])
            )
        if "item" in given:
            conditions.append(sa.or_(c.item_code == given["item"], c.item_name == given["item"]))
        if "town" in given:
            conditions.append(c.town == given["town"])
        if "code" in given:
            conditions.append(c.archival_code == given["code"])
        if "kind" in given:
            conditions.append(c.kind == given["kind"])
        if date_from is not None:
            conditions.append(c.date >= date_from)
        if date_to is not None:
            conditions.append(c.date <= date_to)
        if id_number is not None and id_number.strip():
            ids = schema.ids
            digest = self._id_search_hash(id_number)
            conditions.append(c.id.in_(sa.select(ids.c.entry_id).where(ids.c.id_sha256 == digest)))
        text_terms = _terms(text)
        person_terms = None if exact_person else _terms(person)
        if text_terms == [] or person_terms == []:
            return None, None  # something was typed, but nothing searchable
        if exact_person and person is not None and name_key(person):
            key = name_key(person)
            if "\x00" in key:
                return None, None
            persons = schema.persons
            conditions.append(
                c.id.in_(sa.select(persons.c.entry_id).where(persons.c.name_key == key))
            )
        if self._postgres:
            if text_terms:
                conditions += _pg_match(c.tokens, c.haystack, text_terms)
            if person_terms:
                conditions += _pg_match(c.person_tokens, c.person_haystack, person_terms)
        else:
            parts = []
            if text_terms:
                parts.append(f"{{body}} : ({match_query(text or '')})")
            if person_terms:
                parts.append(f"{{persons}} : ({match_query(person or '')})")
            if parts:
                match = " AND ".join(parts)
        return conditions, match

    def _id_search_hash(self, id_number: str) -> str:
        """The hash to look ``id_number`` up by, once every entry's hashes use this key.

        Raises:
            IndexKeyInvalid: No key, or hashes were dropped and not yet rebuilt.
        """
        digest = self.hash_id(id_number)
        meta = self._schema.meta
        with self.engine.connect() as db:
            dropped = db.execute(
                sa.select(meta.c.value).where(meta.c.key == _META_ID_STALE)
            ).scalar_one_or_none()
        if dropped is not None:
            raise IndexKeyInvalid(ID_HASHES_REMOVED())
        return digest

    # -- access log ------------------------------------------------------------------------

    def log_access(
        self, actor: str, action: str, query_or_code: str, at: dt.datetime | None = None
    ) -> AccessRecord:
        """Append one line to the queryable copy of the access log.

        Args:
            actor: Who.
            action: What (``search``, ``view``, ``download``…).
            query_or_code: The search (:func:`describe_query`) or the archival code.
            at: When (timezone-aware); now if omitted.

        Returns:
            The line as stored.

        Raises:
            ValueError: ``at`` has no timezone.
        """
        if at is not None and at.tzinfo is None:
            raise ValueError("at must be timezone-aware")
        moment = _utc(at or dt.datetime.now(dt.UTC))
        log = self._schema.access_log
        stored = moment if self._postgres else moment.replace(tzinfo=None)
        with self.engine.begin() as db:
            row_id = db.execute(
                sa.insert(log)
                .values(actor=actor, action=action, query_or_code=query_or_code, at=stored)
                .returning(log.c.id)
            ).scalar_one()
        return AccessRecord(row_id, actor, action, query_or_code, moment)

    def accesses(
        self,
        *,
        actor: str | None = None,
        action: str | None = None,
        contains: str | None = None,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
        limit: int = MAX_LIMIT,
    ) -> list[AccessRecord]:
        """Lines of the access log, oldest first.

        Args:
            actor: Only this actor's.
            action: Only this action.
            contains: Only lines whose query or code contains this text.
            since: From this moment, inclusive (timezone-aware).
            until: Before this moment, exclusive (timezone-aware).
            limit: At most this many lines.

        Returns:
            The lines.
        """
        log = self._schema.access_log
        query = sa.select(log).order_by(log.c.at, log.c.id).limit(limit)
        if actor is not None:
            query = query.where(log.c.actor == actor)
        if action is not None:
            query = query.where(log.c.action == action)
        if contains is not None:
            position = sa.func.strpos if self._postgres else sa.func.instr
            query = query.where(position(log.c.query_or_code, contains) > 0)
        for moment, compare in ((since, log.c.at.__ge__), (until, log.c.at.__lt__)):
            if moment is not None:
                stored = _utc(moment)
                query = query.where(
                    compare(stored if self._postgres else stored.replace(tzinfo=None))
                )
        with self.engine.connect() as db:
            return [
                AccessRecord(row.id, row.actor, row.action, row.query_or_code, _utc(row.at))
                for row in db.execute(query)
            ]


def _check_search(
    *,
    limit: int,
    offset: int,
    date_from: dt.date | None,
    date_to: dt.date | None,
    text: str | None,
    person: str | None,
) -> None:
    """Refuse a bad page, a reversed date range or an over-long query (``InputInvalid``)."""
    if not 1 <= limit <= MAX_LIMIT or offset < 0:
        raise InputInvalid(PAGE_OUT_OF_RANGE(max_limit=MAX_LIMIT, limit=limit, offset=offset))
    if date_from is not None and date_to is not None and date_from > date_to:
        raise InputInvalid(DATES_REVERSED(date_from=date_from, date_to=date_to))
    for label, query in (("text", text), ("person", person)):
        if query is not None and len(query) > MAX_QUERY_CHARS:
            raise InputInvalid(QUERY_TOO_LONG(field=label, limit=MAX_QUERY_CHARS))


_PG_TOKEN_COLUMNS = ("tokens", "person_tokens", "haystack", "person_haystack")


def _pg_tokens(entry: IndexEntry) -> dict[str, object]:
    names = "\n".join(entry.persons)
    return {
        "tokens": token_set(entry.body()),
        "person_tokens": token_set(names),
        "haystack": normalize(entry.body()),
        "person_haystack": normalize(names),
    }


def _terms(query: str | None) -> list[Term] | None:
    """None when no query was given; else its terms (empty: nothing searchable)."""
    if query is None or not query.strip():
        return None
    return query_terms(query)


def _pg_match(
    tokens: sa.ColumnElement[Any], haystack: sa.ColumnElement[str], terms: Sequence[Term]
) -> list[sa.ColumnElement[bool]]:
    """``tokens @> ARRAY[…]`` for the GIN index, then the checks the tokens cannot make."""
    needed: set[str] = set()
    checks: list[sa.ColumnElement[bool]] = []
    for term in terms:
        if term.cjk or not term.prefix:
            needed.update(term.tokens)  # a lone CJK character is indexed as itself
        else:  # a lone ASCII character: any word starting with it (no index)
            checks.append(haystack.regexp_match(f"(^|[^0-9a-z]){term.text}"))
        if term.cjk and len(term.text) > 2:  # the pairs can be apart: check the run itself
            checks.append(sa.func.strpos(haystack, term.text) > 0)
    if needed:
        checks.insert(0, tokens.contains(sorted(needed)))
    return checks


def _entry(row: sa.Row[Any]) -> IndexEntry:
    """The entry of a stored row (validated when stored: not again, it costs 30 µs each)."""
    fields = {name: getattr(row, name) for name in IndexEntry.model_fields if name != "id_numbers"}
    fields["persons"] = tuple(json.loads(row.persons))
    fields["id_numbers"] = tuple(json.loads(row.id_hashes))
    return IndexEntry.model_construct(**fields)
