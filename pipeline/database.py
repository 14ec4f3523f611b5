"""The database the case store, the accounts and the pages' runs share.

SQLite in the data folder by default, PostgreSQL in production (``XWQL_DATABASE_URL``),
through one SQL layer (SQLAlchemy core). Each family keeps its own tables and makes
them on first use; a clock is injectable, so tests can move time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar, Self

import sqlalchemy as sa

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
        self.metadata.create_all(self.engine)
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
