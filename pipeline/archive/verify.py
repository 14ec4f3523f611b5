"""The verification report of an archived package: the four checks of DA/T 70.

For one package fetched from the bucket (:func:`pipeline.archive.retrieval.download_package`)
every check runs and reports, none stops the others:

=============  ==========================================================================
真实性 authenticity  ``index`` (the package digest is the one indexed when it was filed),
               ``schema`` (metadata.json valid against the versioned JSON Schema and the
               model), ``signature`` (PAdES, intact, trusted, by the record's village),
               ``timestamp`` (the level reached; the newest timestamp, renewals
               included, still holds)
完整性 integrity     ``objects`` (every object readable, written once, never deleted),
               ``fixity`` (the manifests' SHA-256 of every file), ``bagit`` (the
               Library of Congress BagIt validator), ``completeness`` (every document
               the item's flow requires for the steps taken is in the case file)
可用性 usability     ``pdf`` (each PDF opens, claims PDF/A-2b, has the pages recorded)
安全性 security      ``retention`` (every object locked in the mode and for at least the
               retention its record needs; legal holds reported), ``sealed`` (the
               personal parts open with the archive keys and are the files recorded)
=============  ==========================================================================

A check is passed, failed, or not applicable / only a warning (``passed`` None:
e.g. a meeting record kept on paper and referenced by number). A case decided by a
meeting that broke the meeting rules (short of quorum or majority, the wrong kind,
四议两公开 out of order: forced, so kept as irregularities) fails ``completeness``:
a decision without a valid meeting is an incident however complete its file.

The sealed parts are opened in memory and in a private scratch folder removed
afterwards, whoever asks: a report says what was checked, never what was read.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import bagit
import jsonschema
import pikepdf
from cryptography import x509

from pipeline.archive.archiver import retention_end
from pipeline.archive.index import ArchiveIndex, IndexEntry
from pipeline.archive.messages import (
    BAGIT_INVALID,
    BOOKMARKS_DIFFER,
    BOOKMARKS_UNREADABLE,
    DECISION_WITHOUT_VALID_MEETING,
    DIGEST_AS_FILED,
    DIGEST_DIFFERS,
    DOCUMENTS_MISSING,
    DOCUMENTS_PRESENT,
    DUPLICATE_PACKAGE,
    FIXITY_MATCHES,
    MEETING_RECORD_ON_PAPER,
    METADATA_UNREADABLE,
    NO_FILES,
    NO_MAIN_PDF,
    NO_MANIFEST,
    NO_METADATA,
    NO_TIMESTAMP,
    NO_VALID_SIGNATURE,
    NOT_INDEXED,
    NOT_LOCKED,
    NOT_PDFA_2B,
    NOT_SIGNED_BY_VILLAGE,
    NOTHING_SEALED,
    OBJECTS_WRITTEN_ONCE,
    ONE_PACKAGE_OF_ITS_SOURCE,
    PACKAGE_ABANDONED,
    PDF_UNOPENABLE,
    PERSONAL_DATA_UNSEALED,
    RETENTION_TOO_SHORT,
    SEALED_NOT_OPENED,
    SEALED_OPEN,
    SIGNATURE_VALID,
    TIMESTAMP_EXPIRED,
    TIMESTAMP_HOLDS,
    UNIQUENESS_UNKNOWN,
    UNKNOWN_ITEM,
    UNSIGNED_NOT_REQUIRED,
)
from pipeline.archive.metadata import SCHEMA_FILE, ArchiveRecord, FileEntry, UnitKind, unit_key
from pipeline.archive.objectstore import LockMode, ObjectStore
from pipeline.archive.package import (
    DATA,
    METADATA,
    PackageInvalid,
    load_record,
    open_sealed,
    package_digest,
    validate_package,
)
from pipeline.archive.retrieval import (
    Downloaded,
    archived_codes,
    download_package,
    earlier_package,
)
from pipeline.archive.sealing import Sealer
from pipeline.archive.signing import verify_pdf
from pipeline.archive.stored import object_prefix, read_abandoned
from pipeline.catalog import Catalog
from pipeline.catalog.model import DocumentKind
from pipeline.errors import PdfUnreadable, SealedPartUnreadable, StorageError, XwqlError
from pipeline.organisations import Directory
from pipeline.rules.documents import required_documents
from pipeline.rules.violations import MEETING_RULES


class Aspect(StrEnum):
    """The four properties DA/T 70 checks."""

    AUTHENTICITY = "真实性 authenticity"
    INTEGRITY = "完整性 integrity"
    USABILITY = "可用性 usability"
    SECURITY = "安全性 security"


@dataclass(frozen=True)
class Check:
    """One check of a package.

    Attributes:
        name: ``index``, ``schema``, ``signature``, ``objects``, ``fixity``,
            ``bagit``, ``completeness``, ``pdf`` or ``retention``.
        aspect: The DA/T 70 property it is part of.
        passed: True, False, or None for not applicable / a warning.
        detail: What was found.
    """

    name: str
    aspect: Aspect
    passed: bool | None
    detail: str


@dataclass
class VerificationReport:
    """Every check of one archived package.

    Attributes:
        archival_code: The package's code.
        title: Its title, when its metadata could be read.
        signer: Who signed its main PDF, when it is signed.
        checks: The checks, in the order of the module's table.
        level: The PAdES level its signature reached (``B-B`` … ``B-LTA``), if signed.
        timestamp_until: Until when its newest timestamp holds, if it has one.
    """

    archival_code: str
    title: str | None = None
    signer: str | None = None
    checks: list[Check] = field(default_factory=list)
    level: str | None = None
    timestamp_until: dt.datetime | None = None

    @property
    def ok(self) -> bool:
        """No check failed."""
        return all(check.passed is not False for check in self.checks)

    def failed(self) -> list[Check]:
        """The checks that failed."""
        return [check for check in self.checks if check.passed is False]

    def aspects(self) -> dict[Aspect, bool]:
        """Per DA/T 70 property: no check of it failed."""
        return {
            aspect: all(c.passed is not False for c in self.checks if c.aspect == aspect)
            for aspect in Aspect
        }

    def as_dict(self) -> dict[str, Any]:
        """The report as plain data (for ``--json``)."""
        return {
            "archival_code": self.archival_code,
            "title": self.title,
            "signer": self.signer,
            "level": self.level,
            "timestamp_until": self.timestamp_until.isoformat() if self.timestamp_until else None,
            "ok": self.ok,
            "aspects": {aspect.name.lower(): ok for aspect, ok in self.aspects().items()},
            "checks": [
                {"name": c.name, "aspect": c.aspect.name.lower(), "passed": c.passed,
                 "detail": c.detail}
                for c in self.checks
            ],
        }  # fmt: skip


@dataclass(frozen=True)
class Verifier:
    """What verifying needs besides the package: the schema, trust roots, catalog, villages.

    Attributes:
        schema_dir: ``archive_schema/``.
        trust_roots: Root certificates village signatures must chain to.
        catalog: The catalog (for the documents each item requires).
        directory: The villages (for the expected signer).
        lock_mode: The retention mode objects must carry.
        permanent_years: Retention of 永久 units, in years.
        sealer: Opens the sealed personal parts (None: they are not checked).
    """

    schema_dir: Path
    trust_roots: Sequence[x509.Certificate]
    catalog: Catalog
    directory: Directory
    lock_mode: LockMode = LockMode.COMPLIANCE
    permanent_years: int = 100
    sealer: Sealer | None = None

    def verify(
        self,
        downloaded: Downloaded,
        *,
        indexed: IndexEntry | None,
        store: ObjectStore | None = None,
    ) -> VerificationReport:
        """Check a downloaded package; with ``store``, also the locks of its objects."""
        folder = downloaded.folder
        report = VerificationReport(downloaded.archival_code)
        record: ArchiveRecord | None = None
        try:
            record = load_record(folder)
            report.title = record.title
        except PackageInvalid:
            pass
        checks = report.checks
        with tempfile.TemporaryDirectory(prefix="xwql-unsealed-") as scratch:
            files, sealed = self._readable(folder, record, Path(scratch))
            files = files.renewed(downloaded.renewals, Path(scratch))
            checks.append(self._index(folder, indexed))
            checks.append(self._schema(folder))
            checks.append(self._signature(files, record, report))
            checks.append(_timestamp(checks[-1], report))
            checks.append(_objects(downloaded))
            checks.append(_fixity(folder))
            checks.append(_bagit(folder))
            checks.append(self._completeness(files, record))
            checks.append(_pdfs(files, record))
        if store is not None:
            checks.append(self._retention(store, downloaded, record))
        checks.append(sealed)
        return report

    def _readable(
        self, folder: Path, record: ArchiveRecord | None, scratch: Path
    ) -> tuple[Readable, Check]:
        """Where each payload file can be read plain, and the ``sealed`` check."""
        if record is None:
            found = sorted((folder / DATA).glob("*.pdf"))
            return Readable({p.name: p for p in found}, None), Check(
                "sealed", Aspect.SECURITY, False, NO_METADATA()
            )
        plain = {e.path: folder / DATA / e.path for e in record.files if e.sealed is None}
        sealed = [entry for entry in record.files if entry.sealed is not None]
        files = Readable(plain, record)
        if not sealed:
            personal = record.internal is not None and bool(record.internal.persons)
            return files, Check(
                "sealed", Aspect.SECURITY, None if personal else True,
                PERSONAL_DATA_UNSEALED() if personal else NOTHING_SEALED(),
            )  # fmt: skip
        if self.sealer is None:
            return files, Check("sealed", Aspect.SECURITY, None, SEALED_NOT_OPENED())
        problems, keys = [], set()
        for number, entry in enumerate(sealed):
            assert entry.sealed is not None
            try:
                data = open_sealed(folder, record, entry, self.sealer)
            except SealedPartUnreadable as exc:
                problems.append(str(exc))
                continue
            target = scratch / str(number) / entry.sealed.name
            target.parent.mkdir(parents=True)
            target.write_bytes(data)
            plain[entry.path] = target
            keys.add(entry.sealed.key_id)
        if problems:
            return files, Check("sealed", Aspect.SECURITY, False, "; ".join(problems))
        return files, Check(
            "sealed", Aspect.SECURITY, True,
            SEALED_OPEN(count=len(sealed), keys=", ".join(sorted(keys))),
        )  # fmt: skip

    # --- authenticity -----------------------------------------------------------------

    @staticmethod
    def _index(folder: Path, indexed: IndexEntry | None) -> Check:
        if indexed is None:
            return Check(
                "index", Aspect.AUTHENTICITY, None,
                NOT_INDEXED(),
            )  # fmt: skip
        try:
            digest = package_digest(folder)
        except PackageInvalid:
            return Check("index", Aspect.AUTHENTICITY, False, NO_MANIFEST())
        if digest != indexed.manifest_sha256:
            return Check(
                "index", Aspect.AUTHENTICITY, False,
                DIGEST_DIFFERS(digest=digest[:16], filed=indexed.manifest_sha256[:16]),
            )  # fmt: skip
        return Check(
            "index", Aspect.AUTHENTICITY, True,
            DIGEST_AS_FILED(digest=digest[:16]),
        )  # fmt: skip

    def _schema(self, folder: Path) -> Check:
        path = folder / DATA / METADATA
        try:
            data = json.loads(path.read_bytes())
            schema = json.loads((self.schema_dir / SCHEMA_FILE).read_bytes())
        except (OSError, ValueError) as exc:
            return Check("schema", Aspect.AUTHENTICITY, False, METADATA_UNREADABLE(reason=exc))
        errors = sorted(
            jsonschema.Draft202012Validator(schema).iter_errors(data), key=lambda e: e.path
        )
        if errors:
            where = "; ".join(
                f"{'/'.join(map(str, e.path)) or '(record)'}: {e.message}" for e in errors[:5]
            )
            return Check("schema", Aspect.AUTHENTICITY, False, f"不符合 {SCHEMA_FILE}: {where}")
        try:
            load_record(folder)
        except PackageInvalid as exc:
            return Check("schema", Aspect.AUTHENTICITY, False, str(exc.details[0]))
        version = data.get("schema_version")
        return Check("schema", Aspect.AUTHENTICITY, True, f"{SCHEMA_FILE} v{version}: valid")

    def _signature(
        self, files: Readable, record: ArchiveRecord | None, report: VerificationReport
    ) -> Check:
        pdfs = files.main_pdfs()
        if not pdfs:
            return Check("signature", Aspect.AUTHENTICITY, False, NO_MAIN_PDF())
        village = self.directory.find(record.village.code) if record and record.village else None
        problems, signers = [], []
        for pdf in pdfs:
            try:
                found = verify_pdf(
                    pdf,
                    expected_village=village.village if village else None,
                    trust_roots=self.trust_roots,
                )
            except PdfUnreadable as exc:
                problems.append(str(exc))
                continue
            if not found.signed and record is not None and record.kind != UnitKind.CASE_FILE:
                continue  # only case files must be signed
            if found.signer_common_name:
                signers.append(found.signer_common_name)
                report.level = found.level
                if found.timestamp_until is not None:
                    until = report.timestamp_until or found.timestamp_until
                    report.timestamp_until = min(until, found.timestamp_until)
            problems += [f"{pdf.name}: {p}" for p in found.problems]
            if found.matches_expected is False and not found.problems:
                problems.append(NOT_SIGNED_BY_VILLAGE(pdf=pdf.name))
        report.signer = ", ".join(dict.fromkeys(signers)) or None
        if problems:
            return Check("signature", Aspect.AUTHENTICITY, False, "; ".join(problems))
        if not signers:
            return Check("signature", Aspect.AUTHENTICITY, None, UNSIGNED_NOT_REQUIRED())
        return Check(
            "signature", Aspect.AUTHENTICITY, True,
            f"{SIGNATURE_VALID(signer=report.signer)}, PAdES {report.level}",
        )  # fmt: skip

    # --- integrity ----------------------------------------------------------------------

    def _completeness(self, files: Readable, record: ArchiveRecord | None) -> Check:
        if record is None:
            return Check("completeness", Aspect.INTEGRITY, False, NO_METADATA())
        if record.kind != UnitKind.CASE_FILE or record.item is None:
            return Check(
                "completeness", Aspect.INTEGRITY, bool(record.files),
                f"{len(record.files)} file(s)" if record.files else NO_FILES(),
            )  # fmt: skip
        try:
            item = self.catalog.get(record.item.code)
        except XwqlError as exc:
            return Check("completeness", Aspect.INTEGRITY, False, UNKNOWN_ITEM(reason=exc))
        proxy = any(p.role == "proxy" for p in record.persons)
        required = required_documents(item, [s.step for s in record.steps], proxy=proxy)
        present = {entry.document for entry in record.contents}
        missing = [kind for kind in required if kind not in present]
        referenced = [
            step.meeting_record
            for step in record.steps
            if step.meeting_record and DocumentKind.MEETING_RECORD in missing
        ]
        problems = _outline_problems(files, record)
        names = [k.label for k in missing]
        if problems:
            return Check("completeness", Aspect.INTEGRITY, False, "; ".join(problems))
        # Forced past a meeting rule: taken by no valid meeting, an incident, not a gap.
        invalid = [i for i in record.irregularities if i.rule in MEETING_RULES]
        if invalid:
            found = "；".join(f"{i.step}：{i.message}" for i in invalid)
            return Check(
                "completeness", Aspect.INTEGRITY, False, DECISION_WITHOUT_VALID_MEETING(found=found)
            )
        if missing == [DocumentKind.MEETING_RECORD] and referenced:
            return Check(
                "completeness", Aspect.INTEGRITY, None,
                MEETING_RECORD_ON_PAPER(numbers="、".join(referenced)),
            )  # fmt: skip
        if missing:
            return Check(
                "completeness", Aspect.INTEGRITY, False,
                DOCUMENTS_MISSING(names="、".join(names), item=item.code),
            )  # fmt: skip
        return Check(
            "completeness", Aspect.INTEGRITY, True,
            DOCUMENTS_PRESENT(count=len(required)),
        )  # fmt: skip

    # --- security -----------------------------------------------------------------------

    def _retention(
        self, store: ObjectStore, downloaded: Downloaded, record: ArchiveRecord | None
    ) -> Check:
        if record is None:
            return Check("retention", Aspect.SECURITY, False, NO_METADATA())
        prefix = object_prefix(downloaded.archival_code)
        problems, held = [], 0
        earliest: dt.datetime | None = None
        for key, version_id in sorted(downloaded.versions.items()):
            try:
                retention = store.retention(prefix + key, version_id)
                if store.legal_hold(prefix + key, version_id):
                    held += 1
            except StorageError as exc:
                problems.append(f"{key}: {exc}")
                continue
            if retention is None:
                problems.append(NOT_LOCKED(key=key))
                continue
            if retention.mode != self.lock_mode:
                problems.append(f"{key}: mode {retention.mode.value}, not {self.lock_mode.value}")
            earliest = min(earliest or retention.retain_until, retention.retain_until)
        needed = retention_end(record, permanent_years=self.permanent_years)
        if earliest is not None and earliest < needed:
            problems.append(
                RETENTION_TOO_SHORT(until=earliest, retention=record.retention.value, needed=needed)
            )
        if problems:
            return Check("retention", Aspect.SECURITY, False, "; ".join(problems))
        hold = f"; {held} object(s) under legal hold" if held else ""
        return Check(
            "retention", Aspect.SECURITY, True,
            f"{len(downloaded.versions)} objects locked {self.lock_mode.value} until "
            f"{earliest:%Y-%m-%d} or later{hold}",
        )  # fmt: skip


@dataclass(frozen=True)
class Readable:
    """The payload files as they can be read: plain ones where they are, sealed ones opened.

    Attributes:
        paths: Per path in the record, the plain file (a sealed one that did not
            open is absent).
        record: The record (None when unreadable: then ``paths`` are the PDFs found).
    """

    paths: dict[str, Path]
    record: ArchiveRecord | None

    def main_pdfs(self) -> list[Path]:
        """The main PDFs (every PDF found, when the record is unreadable)."""
        if self.record is None:
            return list(self.paths.values())
        return [
            self.paths.get(entry.path, Path(entry.path))
            for entry in self.record.files
            if entry.role == "main" and _plain_name(entry).endswith(".pdf")
        ]

    def renewed(self, renewals: Sequence[bytes], scratch: Path) -> Readable:
        """These files with the renewed timestamps appended to the (first) main PDF."""
        main = self.main_pdfs()
        if not renewals or not main or not main[0].is_file():
            return self
        target = scratch / "renewed" / main[0].name
        target.parent.mkdir(exist_ok=True)
        target.write_bytes(main[0].read_bytes() + b"".join(renewals))
        paths = {key: target if path == main[0] else path for key, path in self.paths.items()}
        return Readable(paths, self.record)


def _timestamp(signature: Check, report: VerificationReport) -> Check:
    """Whether the signature's newest timestamp still holds (PAdES B-T and up)."""
    if signature.passed is not True:
        return Check("timestamp", Aspect.AUTHENTICITY, None, NO_VALID_SIGNATURE())
    until = report.timestamp_until
    if until is None:
        return Check("timestamp", Aspect.AUTHENTICITY, None, NO_TIMESTAMP(level=report.level))
    if until <= dt.datetime.now(dt.UTC):
        return Check("timestamp", Aspect.AUTHENTICITY, False, TIMESTAMP_EXPIRED(until=until))
    return Check(
        "timestamp", Aspect.AUTHENTICITY, True,
        TIMESTAMP_HOLDS(level=report.level, until=f"{until:%Y-%m-%d}"),
    )  # fmt: skip


def _plain_name(entry: FileEntry) -> str:
    return entry.sealed.name if entry.sealed is not None else entry.path


def _objects(downloaded: Downloaded) -> Check:
    if downloaded.issues:
        lines = [f"{issue.key}: {issue.kind}: {issue.detail}" for issue in downloaded.issues]
        return Check("objects", Aspect.INTEGRITY, False, "; ".join(lines))
    return Check(
        "objects", Aspect.INTEGRITY, True,
        OBJECTS_WRITTEN_ONCE(count=len(downloaded.versions)),
    )  # fmt: skip


def _fixity(folder: Path) -> Check:
    try:
        validate_package(folder)
    except PackageInvalid as exc:
        return Check("fixity", Aspect.INTEGRITY, False, "; ".join(map(str, exc.details)))
    return Check("fixity", Aspect.INTEGRITY, True, FIXITY_MATCHES())


def _bagit(folder: Path) -> Check:
    try:
        bagit.Bag(str(folder)).validate()
    except (bagit.BagError, OSError) as exc:
        detail = "; ".join(str(d) for d in getattr(exc, "details", ())[:5]) or str(exc)
        return Check("bagit", Aspect.INTEGRITY, False, BAGIT_INVALID(detail=detail))
    return Check("bagit", Aspect.INTEGRITY, True, "BagIt 1.0 valid (Library of Congress bagit)")


def _outline_problems(files: Readable, record: ArchiveRecord) -> list[str]:
    """The main PDF's bookmarks must list the contents' documents in order."""
    pdfs = files.main_pdfs()
    if not pdfs or not pdfs[0].is_file():
        return [NO_MAIN_PDF()]
    try:
        with pikepdf.open(pdfs[0]) as pdf, pdf.open_outline() as outline:
            titles = [entry.title for entry in outline.root]
    except (pikepdf.PdfError, OSError) as exc:
        return [BOOKMARKS_UNREADABLE(reason=exc)]
    expected = [f"{e.number}. {e.title}" for e in record.contents]
    found = [title for title in titles if title in expected]
    if found != expected:
        return [BOOKMARKS_DIFFER(expected=expected, titles=titles)]
    return []


def _pdfs(files: Readable, record: ArchiveRecord | None) -> Check:
    if record is None:
        return Check("pdf", Aspect.USABILITY, False, NO_METADATA())
    problems = []
    for entry in record.files:
        if not _plain_name(entry).endswith(".pdf"):
            continue
        path = files.paths.get(entry.path)
        if path is None:
            problems.append(PDF_UNOPENABLE(path=entry.path, reason=SEALED_NOT_OPENED()))
            continue
        try:
            with pikepdf.open(path) as pdf:
                claim = pdf.open_metadata().pdfa_status
                pages = len(pdf.pages)
        except (pikepdf.PdfError, OSError) as exc:
            problems.append(PDF_UNOPENABLE(path=entry.path, reason=exc))
            continue
        if claim != "2B":
            problems.append(NOT_PDFA_2B(path=entry.path, claim=claim or "no PDF/A"))
        if entry.pages is not None and pages != entry.pages:
            problems.append(f"{entry.path}: {pages} pages, recorded {entry.pages}")
    if problems:
        return Check("pdf", Aspect.USABILITY, False, "; ".join(problems))
    return Check("pdf", Aspect.USABILITY, True, f"PDF/A-2b, {record.page_count} 页 pages, readable")


# --- the sweep ------------------------------------------------------------------------------


def sweep(
    store: ObjectStore,
    verifier: Verifier,
    index: ArchiveIndex | None = None,
    *,
    codes: Sequence[str] | None = None,
    work: Path | None = None,
) -> Iterator[VerificationReport]:
    """Verify every package in the bucket (or ``codes``), one at a time, in bounded space.

    Each package is downloaded into a temporary folder, checked and removed.
    A package the bucket cannot even list is reported, not raised; one the bucket
    or the index records as abandoned (begun by a lost worker, its unit filed under
    another code) is reported as such, not as an incident.
    """
    first: dict[tuple[str, str | None], str] = {}  # (unit, source) → its first package
    abandoned = read_abandoned(store) | (index.abandoned() if index is not None else {})
    for code in codes if codes is not None else archived_codes(store):
        if code in abandoned:  # known, and why: not judged as a package
            unit, filed_as = abandoned[code]
            seen = {code}
            while filed_as in abandoned and filed_as not in seen:  # given up in turn
                seen.add(filed_as)
                filed_as = abandoned[filed_as][1]
            yield VerificationReport(code, checks=[Check(
                "abandoned", Aspect.INTEGRITY, None, PACKAGE_ABANDONED(unit=unit, code=filed_as)
            )])  # fmt: skip
            continue
        scratch = Path(tempfile.mkdtemp(prefix="xwql-verify-", dir=work))
        try:
            try:
                downloaded = download_package(store, code, scratch)
            except XwqlError as exc:
                yield VerificationReport(
                    code, checks=[Check("objects", Aspect.INTEGRITY, False, str(exc))]
                )
                continue
            indexed = index.get(code) if index is not None else None
            report = verifier.verify(downloaded, indexed=indexed, store=store)
            report.checks.append(_uniqueness(downloaded, first))
            yield report
        finally:
            shutil.rmtree(scratch, ignore_errors=True)


def _uniqueness(downloaded: Downloaded, seen: dict[tuple[str, str | None], str]) -> Check:
    """Whether an earlier package of the sweep is of the same unit and the same source.

    A second one (two workers that both filed it) is an incident, named with the first.
    """
    try:
        record = load_record(downloaded.folder)
    except PackageInvalid:
        return Check("unique", Aspect.INTEGRITY, None, UNIQUENESS_UNKNOWN())
    if record.source_sha256 is None:
        return Check("unique", Aspect.INTEGRITY, None, UNIQUENESS_UNKNOWN())
    unit = unit_key(record)
    earlier = earlier_package(record, downloaded.archival_code, seen)
    if earlier is not None:
        return Check("unique", Aspect.INTEGRITY, False, DUPLICATE_PACKAGE(unit=unit, first=earlier))
    return Check("unique", Aspect.INTEGRITY, True, ONE_PACKAGE_OF_ITS_SOURCE(unit=unit))
