"""What every case job reads first: settings, catalog, organisations and the case store."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.config import Settings

if TYPE_CHECKING:  # imported by open(): a command module can name Workspace for free
    from pipeline.cases.meetings import Meeting, MeetingStore
    from pipeline.cases.objections import ObjectionStore
    from pipeline.cases.store import CaseStore
    from pipeline.catalog import Catalog
    from pipeline.organisations import Directory
    from pipeline.rules.meetings import MeetingBook


@dataclass
class Workspace:
    """The data a job works on, opened once and passed down."""

    settings: Settings
    catalog: Catalog
    directory: Directory
    store: CaseStore
    catalog_stamp: tuple[int, int] | None = None
    """The catalog's edition file as last read: its mtime (ns) and size (a change of
    either within the filesystem's time resolution still shows)."""

    def refresh_catalog(self) -> None:
        """Read the catalog again if its edition changed since (another process confirmed).

        A catalog caught half-written (the edition file first, then its item) fails to
        load: the one in hand is kept and the next call tries again.
        """
        from pipeline.catalog import load_catalog
        from pipeline.errors import CatalogInvalid

        stamp = _stamp(self.settings.catalog_dir)
        if stamp is None or stamp == self.catalog_stamp:
            return
        try:
            catalog = load_catalog(self.settings.catalog_dir)
        except CatalogInvalid:
            return
        self.catalog, self.catalog_stamp = catalog, stamp

    @functools.cached_property
    def objections(self) -> ObjectionStore:
        """The villagers' objections and reports, in the case store's database."""
        from pipeline.cases.objections import ObjectionStore

        return ObjectionStore(self.store.engine.url.render_as_string(hide_password=False))

    @functools.cached_property
    def meetings(self) -> MeetingStore:
        """The villages' meeting registers, in the case store's database."""
        from pipeline.cases.meetings import MeetingStore

        return MeetingStore(self.store.engine.url.render_as_string(hide_password=False))

    def meeting_book(self, village: str, also: Iterable[Meeting] = ()) -> MeetingBook | None:
        """A village's meeting register (its code), with ``also`` (a ledger's, which win).

        None when the catalog has no meeting rules (a bare test catalog).
        """
        from pipeline.rules.meetings import MeetingBook

        if self.catalog.meetings is None:
            return None
        meetings = self.meetings.of_village(village)
        meetings |= {m.number: m for m in also if m.village == village}
        return MeetingBook(meetings, self.directory.get(village).village, self.catalog.meetings)

    @classmethod
    @contextlib.contextmanager
    def open(cls, settings: Settings) -> Iterator[Workspace]:
        """Load catalog and organisations, connect to the store; close it afterwards."""
        from pipeline.cases.store import CaseStore
        from pipeline.catalog import load_catalog
        from pipeline.database import database_url
        from pipeline.organisations import load_district

        stamp = _stamp(settings.catalog_dir)
        catalog = load_catalog(settings.catalog_dir)
        directory = load_district(settings.district_path)
        store = CaseStore(database_url(settings.data, settings.database_url))
        workspace = cls(settings=settings, catalog=catalog, directory=directory, store=store,
                        catalog_stamp=stamp)  # fmt: skip
        try:
            yield workspace
        finally:
            store.close()
            for opened in ("objections", "meetings"):  # opened on first use only
                if opened in workspace.__dict__:
                    getattr(workspace, opened).close()


def _stamp(catalog_dir: Path) -> tuple[int, int] | None:
    """The edition file's mtime (ns) and size: what tells that a catalog changed.

    None when it cannot be read: loading the catalog says why, in its own words.
    """
    try:
        found = (catalog_dir / "edition.yaml").stat()
    except OSError:
        return None
    return found.st_mtime_ns, found.st_size
