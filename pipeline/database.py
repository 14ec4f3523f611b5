"""The database the case store, the accounts and the pages' runs share.

SQLite in the data folder by default, PostgreSQL in production (``XWQL_DATABASE_URL``),
through one SQL layer (SQLAlchemy core). Each family keeps its own tables and makes
them on first use; a clock is injectable, so tests can move time.

Schema changes are additive: a column added later is nullable, and a store opened
on a database made before gains it (:func:`add_missing_columns`); rows written
before keep it empty, and the code reading it says what empty means.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar, Self

import sqlalchemy as sa
from sqlalchemy import event

from pipeline.config import Settings


def database_url(data_dir: Path, url: str | None) -> str:
    """The configured URL, or a SQLite file in the data folder."""
    if url:
        return url
    data_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{(data_dir / 'xwql.sqlite3').resolve()}"


def utc_now() -> dt.datetime:
    """The time now, in UTC."""
    return dt.datetime.now(dt.UTC)


def as_utc(value: dt.datetime) -> dt.datetime:
    """A time read back from SQLite (which drops the zone) as UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def create_tables(metadata: sa.MetaData, engine: sa.Engine) -> None:
    """Make the tables of ``metadata`` that are missing.

    Two processes or threads opening a new database at once both find a table
    missing and both create it; the second fails with "already exists". Looking
    again then finds it made, as wanted.
    """
    for attempt in range(3):
        try:
            metadata.create_all(engine)
            return
        except sa.exc.OperationalError as error:
            if "already exists" not in str(error.orig) or attempt == 2:
                raise


class SqlStore:
    """One family's tables in the database, made on first use.

    Args:
        url: The database (:func:`database_url`).
        clock: The time now, in UTC (injectable for tests).
    """

    metadata: ClassVar[sa.MetaData]
    """The family's tables."""

    def __init__(self, url: str, *, clock: Callable[[], dt.datetime] = utc_now) -> None:
        self.engine = sa.create_engine(url, future=True)
        if self.engine.dialect.name == "sqlite":
            _serialise_writers(self.engine)
        create_tables(self.metadata, self.engine)
        add_missing_columns(self.engine, self.metadata)
        self._clock = clock

    @classmethod
    def of(cls, settings: Settings, *, clock: Callable[[], dt.datetime] = utc_now) -> Self:
        """The store in the settings' database."""
        return cls(database_url(settings.data, settings.database_url), clock=clock)

    def close(self) -> None:
        """Release the connections."""
        self.engine.dispose()

    def now(self) -> dt.datetime:
        """The time now by the store's clock (UTC)."""
        return self._clock()


def add_missing_columns(engine: sa.Engine, metadata: sa.MetaData) -> list[str]:
    """Add to each table of ``metadata`` the nullable columns its database table lacks.

    Returns:
        The columns added, as ``table.column``.

    Raises:
        ValueError: A missing column is not nullable (a change no store may make).
    """
    inspector = sa.inspect(engine)
    added = []
    for table in metadata.sorted_tables:
        present = {column["name"] for column in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name in present:
                continue
            if not column.nullable:
                raise ValueError(f"{table.name}.{column.name} is new and not nullable")
            kind = column.type.compile(dialect=engine.dialect)
            with engine.begin() as db:
                db.execute(sa.text(f'ALTER TABLE {table.name} ADD COLUMN "{column.name}" {kind}'))
            added.append(f"{table.name}.{column.name}")
    return added


def _serialise_writers(engine: sa.Engine) -> None:
    """Make SQLite writers wait their turn instead of failing when processes write at once.

    Several processes use one file (the web's workers, the command line, the converter
    service). In SQLite's default journal a writer must wait for every reader to finish
    before it commits; under load readers kept coming, the driver's 5 s wait ran out and
    a page failed with "database is locked". With the write-ahead log readers and one
    writer go on side by side, and a writer waits up to 30 s for another.
    """

    @event.listens_for(engine, "connect")
    def _connect(connection: Any, _: Any) -> None:
        cursor = connection.cursor()
        cursor.execute("PRAGMA busy_timeout = 30000")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.close()
