"""The auditors' jobs (纪检 / 审计 / 监督委员会): search, retrieve, verify, read the access log.

Each writes the access log *before* it reads anything, and goes no further if the
log cannot be written: who looked at what is itself part of the archive. Opening
a package's sealed personal part is the internal role's alone, and is logged on
its own line (``open-sealed``), so the log says who read personal data. ``xwql
audit`` and the auditors' web pages call these over one open archive and workspace
(:class:`AuditDesk`); they differ only in how they show the result.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from pipeline.archive.auditors import Auditor, Role
from pipeline.archive.index import (
    MAX_LIMIT,
    AccessRecord,
    IndexEntry,
    SearchPage,
    describe_query,
)
from pipeline.archive.metadata import ArchiveRecord, FileEntry, FileRole
from pipeline.archive.objectstore import RETRIES
from pipeline.archive.package import (
    INTERNAL_RECORD,
    PackageInvalid,
    full_record,
    load_record,
    open_sealed,
    unseal_into,
)
from pipeline.archive.retrieval import Downloaded, download_package, log_access, stray_prefixes
from pipeline.archive.session import ArchiveSession
from pipeline.archive.verify import VerificationReport, Verifier, sweep
from pipeline.config import Settings
from pipeline.errors import SealedPartUnreadable
from pipeline.jobs.messages import READ_ACCESS_LOG, READ_PERSONAL_DATA, SEARCH_BY_ID_NUMBER
from pipeline.workspace import Workspace


@dataclass(frozen=True)
class Retrieved:
    """A package fetched for an auditor, and what verifying it found.

    Attributes:
        downloaded: The package as fetched (a BagIt folder).
        indexed: Its entry in the search index, if the index has it.
        report: The verification report (fixity, signature, completeness …).
        personal: Where the sealed personal parts were opened, plain (internal
            role, when asked); None otherwise.
        sealed: How many files of the package are sealed.
    """

    downloaded: Downloaded
    indexed: IndexEntry | None
    report: VerificationReport
    personal: Path | None = None
    sealed: int = 0


def sealed_entries(downloaded: Downloaded) -> list[FileEntry]:
    """The sealed files of a downloaded package (none when its record is unreadable)."""
    try:
        return [e for e in load_record(downloaded.folder).files if e.sealed is not None]
    except PackageInvalid:
        return []


@dataclass
class AuditDesk:
    """The auditors' jobs over one open archive session and workspace.

    Attributes:
        session: The archive (bucket, index, keys).
        workspace: The catalog and the villages (what a package must hold, who signs it).
    """

    session: ArchiveSession
    workspace: Workspace

    @classmethod
    @contextlib.contextmanager
    def open(cls, settings: Settings, *, retries: int = RETRIES) -> Iterator[AuditDesk]:
        """Open the archive (read only) and the workspace; close both afterwards.

        Args:
            settings: The settings.
            retries: Retries of a failed S3 request (0 for a sweep: a damaged
                object then costs one read timeout, not several).

        Raises:
            StorageError: The store cannot be reached.
        """
        with (
            ArchiveSession.open(settings, writing=False, retries=retries) as session,
            Workspace.open(settings) as workspace,
        ):
            yield cls(session, workspace)

    def log(self, user: Auditor, action: str, what: str) -> None:
        """Write one access to the log (a locked object, then the index's copy).

        Raises:
            StorageError: The log could not be written: the access must not go on.
        """
        log_access(
            self.session.store, self.session.index, actor=user.name, role=user.role.value,
            action=action, what=what,
        )  # fmt: skip

    def search(
        self, user: Auditor, filters: Mapping[str, object], *, limit: int, offset: int
    ) -> SearchPage:
        """One page of a search (logged with the query, an ID number only as its hash).

        Raises:
            AccessDenied: An ID-number search by a user without the internal role.
            InputInvalid: A bad page, date range or query.
            StorageError: The access could not be logged.
        """
        if filters.get("id_number"):
            user.require(Role.INTERNAL, SEARCH_BY_ID_NUMBER)
        index = self.session.index
        self.log(user, "search", describe_query(filters, id_key=index.id_key))
        return index.search(**filters, limit=limit, offset=offset)  # type: ignore[arg-type]

    def download(
        self, user: Auditor, code: str, into: Path, *, action: str, what: str
    ) -> Downloaded:
        """Fetch a package into ``into`` (logged as ``action`` on ``what``).

        Raises:
            NotArchived: Nothing is archived under ``code``.
            StorageError: The access could not be logged, or the bucket not read.
        """
        self.log(user, action, what)
        return download_package(self.session.store, code, into)

    def retrieve(
        self, user: Auditor, code: str, into: Path, *, action: str = "get", personal: bool = False
    ) -> Retrieved:
        """Fetch a package into ``into`` and verify it (logged as ``action``).

        With ``personal``, a user of the internal role also gets the sealed parts
        opened into ``into/<code>.internal/`` (owner-only); other roles get the
        package as stored, its personal parts sealed.

        Raises:
            NotArchived: Nothing is archived under ``code``.
            StorageError: The access could not be logged, or the bucket not read.
        """
        downloaded = self.download(user, code, into, action=action, what=code)
        indexed = self.session.index.get(code)
        report = self.verifier().verify(downloaded, indexed=indexed, store=self.session.store)
        sealed = sealed_entries(downloaded)
        opened = None
        if personal and sealed and user.role.allows(Role.INTERNAL):
            opened = into / f"{code}.internal"
            try:
                self.unseal(user, downloaded, opened)
            except SealedPartUnreadable:
                opened = None  # the report's `sealed` check says which part and why
        return Retrieved(downloaded, indexed, report, opened, len(sealed))

    def unseal(self, user: Auditor, downloaded: Downloaded, into: Path) -> list[Path]:
        """Open the package's sealed parts into ``into`` (made owner-only; internal role; logged).

        Raises:
            AccessDenied: The user is not of the internal role.
            StorageError: The access could not be logged.
            SealedPartUnreadable: A sealed part does not open.
        """
        record = self._personal(user, downloaded)
        into.mkdir(mode=0o700, parents=True, exist_ok=True)
        into.chmod(0o700)  # a folder there already may be wider: the files are personal
        return unseal_into(downloaded.folder, record, self.session.sealer, into)

    def read_sealed(self, user: Auditor, downloaded: Downloaded, path: str) -> bytes:
        """The plain bytes of the sealed file ``path`` of the package (internal role; logged).

        Raises:
            AccessDenied: The user is not of the internal role.
            StorageError: The access could not be logged.
            SealedPartUnreadable: It does not open.
        """
        record = self._personal(user, downloaded, path)
        entry = next(entry for entry in record.files if entry.path == path)
        return open_sealed(downloaded.folder, record, entry, self.session.sealer)

    def internal_record(self, user: Auditor, downloaded: Downloaded) -> ArchiveRecord:
        """The package's record with its internal part (internal role; logged when sealed).

        Raises:
            AccessDenied: The user is not of the internal role.
            StorageError: The access could not be logged.
            SealedPartUnreadable: The internal record does not open.
        """
        user.require(Role.INTERNAL, READ_PERSONAL_DATA)
        record = load_record(downloaded.folder)
        if not any(entry.role == FileRole.INTERNAL_RECORD for entry in record.files):
            return record  # archived before sealing: the internal part is in metadata.json
        self._personal(user, downloaded, INTERNAL_RECORD)
        return full_record(downloaded.folder, self.session.sealer)

    def _personal(self, user: Auditor, downloaded: Downloaded, what: str = "") -> ArchiveRecord:
        user.require(Role.INTERNAL, READ_PERSONAL_DATA)
        record = load_record(downloaded.folder)
        self.log(user, "open-sealed", f"{downloaded.archival_code}/{what}".rstrip("/"))
        return record

    def verify(self, user: Auditor, codes: Sequence[str] | None) -> Iterator[VerificationReport]:
        """Verify the packages ``codes`` (None: the whole archive), one at a time (logged).

        Raises:
            StorageError: The access could not be logged.
        """
        self.log(user, "verify", "--all" if codes is None else " ".join(codes))
        return sweep(self.session.store, self.verifier(), self.session.index, codes=codes)

    def strays(self) -> list[str]:
        """What lies in the bucket outside every package, log and self-check."""
        return stray_prefixes(self.session.store)

    def access_log(
        self,
        user: Auditor,
        *,
        actor: str | None = None,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
        limit: int = MAX_LIMIT,
    ) -> list[AccessRecord]:
        """Lines of the access log, oldest first (admin role; reading it is logged too).

        Raises:
            AccessDenied: The user is not an admin.
            StorageError: The access could not be logged.
        """
        user.require(Role.ADMIN, READ_ACCESS_LOG)
        self.log(user, "log", actor or "")
        return self.session.index.accesses(actor=actor, since=since, until=until, limit=limit)

    def verifier(self) -> Verifier:
        """The archive's verifier with the workspace's catalog and villages."""
        return self.session.verifier(self.workspace.catalog, self.workspace.directory)
