"""What the web pages read from the archive, and the access log they write.

The same index and bucket as ``xwql audit``: the archive is opened on the first
request that needs it and kept (a store that is down makes that request fail
with a clear page; the next one tries again). As in the command line, every
search, view and download by an auditor is written to the access log *before*
anything is read, and refused if the log cannot be written.

The public verification of a notice reads only the notice's public record
(:meth:`~pipeline.archive.metadata.ArchiveRecord.public`) and its main file, the
sheet as posted; the internal copy and the internal record never leave here.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import tempfile
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.archive.auditors import Auditor, Role
from pipeline.archive.index import AccessRecord, IndexEntry, SearchPage
from pipeline.archive.metadata import (
    FileEntry,
    FileRole,
    InternalPart,
    PublicRecord,
    UnitKind,
    parse_archival_code,
)
from pipeline.archive.package import DATA, PackageInvalid, load_record
from pipeline.archive.retrieval import Downloaded, download_package
from pipeline.archive.stored import read_record
from pipeline.cases.verification import parse_verification_code
from pipeline.config import Settings
from pipeline.errors import InputInvalid, NotArchived, SealedPartUnreadable
from pipeline.jobs.audit import AuditDesk, sealed_entries
from pipeline.jobs.board import BoardPack, village_packs
from pipeline.web.messages import (
    CODE_TOO_LONG,
    FILE_UNREADABLE,
    NO_NOTICE_WITH_CODE,
    NO_SUCH_FILE,
    NO_SUCH_PACK,
    PACK_NOT_AS_ARCHIVED,
    RECORD_UNREADABLE,
    SHEET_NOT_AS_ARCHIVED,
)
from pipeline.web.opened import OpenedOnce

MAX_CODE_INPUT = 40
"""Longer verification-code input is refused before it is parsed."""
MAX_SCANNED_INPUT = 300
"""Longer input is refused before a scanned address is taken apart."""
QR_PREFIX = "XWQL:"
"""What the QR code of notices printed before the village board held before the code."""
_NOTICE_PATH = "/n/"
"""What the QR code on a notice holds before the code: ``<public_url>/n/7K3D-Q9XM``."""


class NotAsArchived(NotArchived):
    """A file read from the bucket differs from what its package's record says it is."""


@dataclass(frozen=True)
class CaseFileView:
    """An archived package as its page shows it.

    Attributes:
        archival_code: The package's code.
        record: Its public record (None when its metadata cannot be read).
        internal: The internal personal data, for the internal and admin roles only.
        indexed: Its index entry, if the index has it.
        report: The verification report (``VerificationReport.as_dict()``).
        opens_sealed: The user may open the sealed personal parts (internal role).
    """

    archival_code: str
    record: PublicRecord | None
    internal: InternalPart | None
    indexed: IndexEntry | None
    report: dict[str, Any]
    opens_sealed: bool = False

    @property
    def pdfs(self) -> list[FileEntry]:
        """The package's PDF files the user may read, the main one first."""
        files = self.record.files if self.record else []
        pdfs = [
            f for f in files
            if (f.sealed.name if f.sealed else f.path).lower().endswith(".pdf")
            and (f.sealed is None or self.opens_sealed)
        ]  # fmt: skip
        return sorted(pdfs, key=lambda f: (f.role != FileRole.MAIN, f.path))


@dataclass(frozen=True)
class PublicNotice:
    """An issued notice as the public verification page shows it.

    Attributes:
        code: The verification code (核验码).
        record: The notice's public record only.
        sheet: The sheet as posted (the package's main file).
    """

    code: str
    record: PublicRecord
    sheet: FileEntry


def normalise_code(text: str) -> str:
    """A verification code as typed or scanned → ``7K3D-Q9XM``.

    Scanned is the address a notice's QR code opens (``https://…/n/7K3D-Q9XM``) or,
    on older notices, ``XWQL:7K3D-Q9XM``; typed may differ in case and spacing.

    Raises:
        InputInvalid: Too long, or not 8 characters of Crockford base 32.
    """
    text = text.strip()
    if len(text) > MAX_SCANNED_INPUT:
        raise InputInvalid(CODE_TOO_LONG())
    if _NOTICE_PATH in text and text.lower().startswith(("http://", "https://")):
        text = text.rsplit(_NOTICE_PATH, 1)[1].split("?", 1)[0].split("#", 1)[0].strip("/")
    if len(text) > MAX_CODE_INPUT:
        raise InputInvalid(CODE_TOO_LONG())
    if text.upper().startswith(QR_PREFIX):
        text = text[len(QR_PREFIX) :]
    return parse_verification_code(text)


class ArchiveBackend:
    """The archive as the web pages use it: opened once, shared by all requests.

    Args:
        settings: The settings (the same ``XWQL_*`` as the command line).
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._desk = OpenedOnce(lambda: AuditDesk.open(settings))

    def _open(self) -> AuditDesk:
        """The auditors' desk over the archive and workspace, opened on first use.

        Raises:
            StorageError: The store cannot be reached (the next call tries again).
        """
        return self._desk.get()

    def close(self) -> None:
        """Close the index and the case store (at shutdown)."""
        self._desk.close()

    @contextlib.contextmanager
    def _scratch(self) -> Iterator[Path]:
        """A scratch folder for one fetched package, removed afterwards."""
        scratch = self.settings.data / "work" / "web"
        scratch.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="get-", dir=scratch) as folder:
            yield Path(folder)

    # --- auditors ------------------------------------------------------------------------

    def search(
        self, user: Auditor, filters: Mapping[str, object], *, limit: int, offset: int
    ) -> SearchPage:
        """One page of a search (logged).

        Raises:
            AccessDenied: An ID-number search by a user without the internal role.
            InputInvalid: A bad page, date range or query.
            StorageError: The access could not be logged.
        """
        return self._open().search(user, filters, limit=limit, offset=offset)

    def case_file(self, user: Auditor, code: str) -> CaseFileView:
        """A package with its verification report (logged as a view).

        Raises:
            InputInvalid: Not an archival code.
            NotArchived: Nothing is archived under it.
            StorageError: The access could not be logged, or the bucket not read.
        """
        parse_archival_code(code)
        desk = self._open()
        opens_sealed = user.role.allows(Role.INTERNAL)
        with self._scratch() as folder:
            retrieved = desk.retrieve(user, code, folder, action="view")
            indexed, report = retrieved.indexed, retrieved.report
            try:
                record = load_record(retrieved.downloaded.folder)
                if opens_sealed:
                    record = desk.internal_record(user, retrieved.downloaded)
            except (PackageInvalid, SealedPartUnreadable):
                record = None
        # A package archived before sealing keeps its internal part in metadata.json:
        # only the internal role sees it either way.
        internal = record.internal if record is not None and opens_sealed else None
        return CaseFileView(
            code, record.public() if record else None, internal, indexed, report.as_dict(),
            opens_sealed,
        )  # fmt: skip

    def document(self, user: Auditor, code: str, path: str) -> bytes:
        """One payload file of a package (logged as a view); a sealed one opened.

        Raises:
            NotArchived: No such package, or it lists no such file.
            AccessDenied: The file is sealed and the user not of the internal role.
            SealedPartUnreadable: It is sealed and does not open.
            StorageError: The access could not be logged, or the bucket not read.
        """
        parse_archival_code(code)
        desk = self._open()
        with self._scratch() as folder:
            what = f"{code}/{DATA}/{path}"
            downloaded = desk.download(user, code, folder, action="view", what=what)
            data = _payload(downloaded, path)
            if path in {entry.path for entry in sealed_entries(downloaded)}:
                data = desk.read_sealed(user, downloaded, path)
            return data

    def package_zip(self, user: Auditor, code: str) -> bytes:
        """The whole package (BagIt folder) as a zip file (logged as a download).

        The package is as stored, its personal parts sealed; for the internal role
        the zip also holds them opened, under ``<code>.internal/`` (logged).

        Raises:
            NotArchived: Nothing is archived under the code.
            StorageError: The access could not be logged, or the bucket not read.
        """
        parse_archival_code(code)
        desk = self._open()
        with self._scratch() as folder:
            downloaded = desk.download(user, code, folder, action="download", what=code)
            opened = None
            if user.role.allows(Role.INTERNAL) and sealed_entries(downloaded):
                opened = folder / f"{code}.internal"
                try:
                    desk.unseal(user, downloaded, opened)
                except SealedPartUnreadable:
                    opened = None  # the package as stored is the evidence: still given
            return _zip(downloaded.folder, code, opened)

    def accesses(
        self, user: Auditor, *, actor: str | None, since: dt.datetime, until: dt.datetime
    ) -> list[AccessRecord]:
        """Lines of the access log, newest first (admin role; reading it is logged too).

        Raises:
            AccessDenied: The user is not an admin.
            StorageError: The access could not be logged.
        """
        return self._open().access_log(user, actor=actor, since=since, until=until)[::-1]

    # --- the public ----------------------------------------------------------------------

    def find_notice(self, code: str) -> PublicNotice | None:
        """The issued notice with verification code ``code`` (normalised), if archived.

        Of several versions of one notice the latest counts.

        Raises:
            StorageError: The index or the bucket cannot be read.
        """
        session = self._open().session
        page = session.index.search(text=code, kind=UnitKind.NOTICE.value, limit=20)
        found: PublicNotice | None = None
        for entry in sorted(page.entries, key=lambda e: e.version):
            read = read_record(session.store, entry.archival_code)
            if read is None or read[0].verification_code != code:
                continue
            record = read[0].public()
            sheet = next((f for f in record.files if f.role == FileRole.MAIN), None)
            if sheet is not None:
                found = PublicNotice(code, record, sheet)
        return found

    def notice_sheet(self, code: str) -> tuple[PublicNotice, bytes]:
        """The sheet as posted of the notice with verification code ``code``.

        Raises:
            NotArchived: No notice has that code, or its sheet is not as archived.
            StorageError: The index or the bucket cannot be read.
        """
        notice = self.find_notice(code)
        if notice is None:
            raise NotArchived(NO_NOTICE_WITH_CODE(code=code))
        store = self._open().session.store
        with self._scratch() as folder:
            downloaded = download_package(store, notice.record.archival_code, folder)
            data = _payload(downloaded, notice.sheet.path)
        if hashlib.sha256(data).hexdigest() != notice.sheet.sha256:
            raise NotAsArchived(SHEET_NOT_AS_ARCHIVED(code=code))
        return notice, data

    def packs(self, village: str) -> list[BoardPack]:
        """The village's (code) monthly packs in the archive, newest month first.

        Raises:
            StorageError: The index cannot be read.
        """
        return village_packs(self._open().session.index, village)

    def pack(self, village: str, month: str) -> tuple[BoardPack, bytes]:
        """A village's monthly pack (``2026-11``) as archived: the latest version's PDF.

        Raises:
            NotArchived: No such pack is archived, or its PDF is not as archived.
            StorageError: The index or the bucket cannot be read.
        """
        pack = next((p for p in self.packs(village) if p.month == month), None)
        store = self._open().session.store
        read = read_record(store, pack.archival_code) if pack is not None else None
        if pack is None or read is None:
            raise NotArchived(NO_SUCH_PACK(village=village, month=month))
        main = next((f for f in read[0].files if f.role == FileRole.MAIN), None)
        if main is None:
            raise NotArchived(NO_SUCH_PACK(village=village, month=month))
        with self._scratch() as folder:
            data = _payload(download_package(store, pack.archival_code, folder), main.path)
        if hashlib.sha256(data).hexdigest() != main.sha256:
            raise NotAsArchived(PACK_NOT_AS_ARCHIVED(village=village, month=month))
        return pack, data


def _payload(downloaded: Downloaded, path: str) -> bytes:
    """A payload file the package's record lists (no other path is ever opened)."""
    try:
        record = load_record(downloaded.folder)
    except PackageInvalid as exc:
        raise NotArchived(RECORD_UNREADABLE(code=downloaded.archival_code)) from exc
    if path not in {entry.path for entry in record.files}:
        raise NotArchived(NO_SUCH_FILE(code=downloaded.archival_code, path=path))
    target = downloaded.folder / DATA / path
    if not target.is_file():
        raise NotArchived(FILE_UNREADABLE(code=downloaded.archival_code, path=path))
    return target.read_bytes()


def _zip(folder: Path, code: str, opened: Path | None) -> bytes:
    """Every file of the package folder under ``<code>/`` (and of ``opened`` beside it)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for root in (folder, opened):
            if root is None:
                continue
            for path in sorted(root.rglob("*")):
                if path.is_file():
                    archive.write(path, f"{root.name}/{path.relative_to(root).as_posix()}")
    return buffer.getvalue()
