"""A workspace on a case store of its own, for tests that import into it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pipeline.cases.store import CaseStore
from pipeline.catalog import Catalog
from pipeline.config import Settings
from pipeline.organisations import Directory
from pipeline.workspace import Workspace


@contextmanager
def private_workspace(
    settings: Settings, catalog: Catalog, directory: Directory, folder: Path
) -> Iterator[Workspace]:
    """The catalog and directory given, on a new SQLite store in ``folder``; closed after."""
    store = CaseStore(f"sqlite:///{folder / 'cases.sqlite3'}")
    opened = Workspace(settings=settings, catalog=catalog, directory=directory, store=store)
    try:
        yield opened
    finally:
        store.close()
        if "meetings" in opened.__dict__:  # the register is opened on first use only
            opened.meetings.close()
