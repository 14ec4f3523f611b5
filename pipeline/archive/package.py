"""Archive packages in BagIt 1.0 layout (RFC 8493): build, validate, list for upload.

A package is a folder::

    bagit.txt               BagIt-Version 1.0, UTF-8
    bag-info.txt            Source-Organization, External-Identifier (档号), Bagging-Date…
    data/…                  the PDF/A files, names in Unicode NFC
    data/metadata.json      the ArchiveRecord, with each file's SHA-256, size and pages
    data/….sealed           personal parts, sealed for the internal role (see below)
    manifest-sha256.txt     SHA-256 of every file under data/
    tagmanifest-sha256.txt  SHA-256 of bagit.txt, bag-info.txt and manifest-sha256.txt

Building is deterministic: the same files and record give byte-identical tag
files and metadata (the Bagging-Date is the record's date, not today), so the
package's identity, :func:`package_digest` (the SHA-256 of
``manifest-sha256.txt``), makes re-running a job idempotent. A package is
written in a temporary sibling folder and renamed into place only when complete.

:func:`validate_package` reports every problem at once in one
:class:`PackageInvalid`, whose ``details`` are typed (:class:`ChecksumMismatch`,
:class:`FileMissing`, :class:`UnexpectedFile`, :class:`MetadataInvalid`,
:class:`OxumMismatch`, :class:`SizeMismatch`, :class:`TagFileInvalid`), in two
tiers as bagit-python has them: ``fast`` checks the structure, the tag files
(a few KB, always hashed), the metadata and the file counts and sizes; the full
tier also re-hashes every payload file. The packages are plain BagIt: the
PyPI ``bagit`` tool validates them too. The reverse does not hold:
:func:`validate_package` checks xwql's profile (BagIt 1.0, SHA-256 only, exactly
these tag files, a valid ``metadata.json``), not every bag RFC 8493 allows.

Personal data (:mod:`pipeline.archive.sealing`): the files a unit names as
personal, and the record's internal part (``internal-record.json``), are stored
sealed (``<name>.sealed``); ``metadata.json`` then holds the public record, and
each sealed file's entry its key id and plain SHA-256. Fixity covers the bytes
stored, so anyone may check a package; only a holder of the archive keys reads
its personal part (:func:`open_sealed`, :func:`full_record`, :func:`unseal_into`).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pikepdf
from pydantic import ValidationError

from pipeline.archive._names import name_problem, nfc
from pipeline.archive.messages import (
    CANNOT_READ_SOURCE,
    CANNOT_WRITE_PACKAGE,
    CANNOT_WRITE_UNDER,
    CHECKSUM_MISMATCH,
    FILE_MISSING,
    METADATA_INVALID,
    NAME_COLLIDES,
    NAME_RESERVED,
    OXUM_MISMATCH,
    PACKAGE_FOLDER_TAKEN,
    PACKAGE_INVALID,
    RECORD_DOES_NOT_FIT,
    SIZE_MISMATCH,
    SOURCE_MISSING,
    SOURCE_NOT_PDF,
    TAG_FILE_INVALID,
    UNEXPECTED_FILE,
    UNKNOWN_ROLE,
    UNSAFE_NAMES,
    problem_line,
)
from pipeline.archive.metadata import (
    SCHEMA_VERSION,
    ArchiveRecord,
    FileEntry,
    FileRole,
    InternalPart,
    SealedFile,
)
from pipeline.archive.sealing import SEALED_SUFFIX, Sealer
from pipeline.errors import (
    ExitCode,
    InputInvalid,
    OutputError,
    Problem,
    SealedPartUnreadable,
    XwqlError,
)

DATA = "data"
METADATA = "metadata.json"
INTERNAL_RECORD = "internal-record.json"  # the record's personal part, stored sealed
BAGIT_TXT = "bagit.txt"
BAG_INFO = "bag-info.txt"
MANIFEST = "manifest-sha256.txt"
TAG_MANIFEST = "tagmanifest-sha256.txt"
TAG_FILES = (BAGIT_TXT, BAG_INFO, MANIFEST)  # the files the tag manifest covers
BAGIT_DECLARATION = "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
SOFTWARE_AGENT = f"xwql (archive record schema v{SCHEMA_VERSION})"
_CHUNK = 1 << 20


# --- problems ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PackageProblem:
    """One problem found in a package; ``path`` is relative to the package (NFC, ``/``)."""

    path: str

    def __str__(self) -> str:
        return self.path


@dataclass(frozen=True)
class ChecksumMismatch(PackageProblem):
    """A file's SHA-256 is not the one its manifest records."""

    expected: str
    actual: str

    def __str__(self) -> str:
        return problem_line(
            self.path, CHECKSUM_MISMATCH.fill(expected=self.expected[:16], actual=self.actual[:16])
        )


@dataclass(frozen=True)
class FileMissing(PackageProblem):
    """A file a manifest lists (or the layout requires) is not there."""

    def __str__(self) -> str:
        return problem_line(self.path, FILE_MISSING)


@dataclass(frozen=True)
class UnexpectedFile(PackageProblem):
    """A file (or link) is in the package but in no manifest."""

    def __str__(self) -> str:
        return problem_line(self.path, UNEXPECTED_FILE)


@dataclass(frozen=True)
class SizeMismatch(PackageProblem):
    """A payload file's size is not the one ``metadata.json`` records."""

    expected: int
    actual: int

    def __str__(self) -> str:
        return problem_line(
            self.path, SIZE_MISMATCH.fill(expected=self.expected, actual=self.actual)
        )


@dataclass(frozen=True)
class OxumMismatch(PackageProblem):
    """The payload's total bytes and file count differ from ``Payload-Oxum``."""

    expected: str
    actual: str

    def __str__(self) -> str:
        return problem_line(
            self.path, OXUM_MISMATCH.fill(expected=self.expected, actual=self.actual)
        )


@dataclass(frozen=True)
class MetadataInvalid(PackageProblem):
    """``metadata.json`` is not a valid record or disagrees with the package."""

    errors: tuple[str, ...]

    def __str__(self) -> str:
        return problem_line(self.path, METADATA_INVALID.fill(errors="; ".join(self.errors)))


@dataclass(frozen=True)
class TagFileInvalid(PackageProblem):
    """A tag file (bagit.txt, bag-info.txt, a manifest) is malformed."""

    message: str

    def __str__(self) -> str:
        return problem_line(self.path, TAG_FILE_INVALID.fill(message=self.message))


class PackageInvalid(XwqlError):
    """A package failed validation; ``details`` lists every problem found.

    Attributes:
        folder: The package folder.
        details: The problems, typed (:class:`ChecksumMismatch`, :class:`FileMissing`…).
    """

    exit_code = ExitCode.INPUT_INVALID

    def __init__(self, folder: Path, details: Sequence[PackageProblem]) -> None:
        self.folder = folder
        self.details = tuple(details)
        lines = [
            PACKAGE_INVALID(folder=folder, count=len(self.details)),
            *(f"  - {detail}" for detail in self.details),
        ]
        super().__init__("\n".join(lines))


class UnsafeFileName(InputInvalid):
    """A file name given for a package is dangerous or not portable."""


# --- building ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Package:
    """A built package.

    Attributes:
        folder: Where it is.
        record: The record as written to ``data/metadata.json`` (files filled in).
        digest: :func:`package_digest`: SHA-256 of ``manifest-sha256.txt``.
        payload_oxum: ``bytes.files`` of the payload, metadata.json included.
    """

    folder: Path
    record: ArchiveRecord
    digest: str
    payload_oxum: str


@dataclass(frozen=True)
class _Entry:
    path: str  # relative to the package, NFC, e.g. data/南马村.pdf
    sha256: str
    size: int


def build_package(
    folder: Path,
    files: Sequence[tuple[str, Path, FileRole | str]],
    record: ArchiveRecord,
    *,
    sealer: Sealer | None = None,
    personal: Collection[str] = (),
) -> Package:
    """Write a package of ``files`` described by ``record`` into ``folder``.

    Args:
        folder: The package folder; it must not exist, or be empty.
        files: ``(name, source, role)`` per payload file: ``name`` is its path
            under ``data/`` (stored in NFC, ``/`` for sub-folders), ``source``
            the file to copy, ``role`` a :class:`FileRole`.
        record: The unit's record. Its ``files`` and ``page_count`` are replaced
            by what the files are (SHA-256, size, pages of each PDF); its
            internal part is stored sealed, as ``internal-record.json``.
        sealer: Seals the personal parts; needed when there are any.
        personal: Names of the files that carry personal data: stored sealed.

    Returns:
        The package, with the record as written and its digest.

    Raises:
        UnsafeFileName: A name is absolute, escapes ``data/`` (``..``), has NUL or
            control characters, is over 200 bytes, is ``metadata.json`` or
            collides with another name (after NFC, ignoring case).
        InputInvalid: A source is not a readable file, a PDF cannot be read, a
            role is unknown, or the record is inconsistent with the files.
        OutputError: ``folder`` holds files already, or cannot be written.
    """
    if sealer is None and (personal or record.internal is not None):
        raise ValueError("a package with personal data is built with a sealer")
    names = _checked_names(files)
    roles = _checked_roles(files)
    unknown = sorted(set(personal) - set(names))
    if unknown:  # a personal file named wrongly would be stored plain
        raise ValueError(f"personal files {unknown} are not among the package's files")
    for (_, source, _), name in zip(files, names, strict=True):
        if not source.is_file():
            raise InputInvalid(SOURCE_MISSING(source=source, name=name))
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise OutputError(PACKAGE_FOLDER_TAKEN(folder=folder))
    # An earlier attempt at this package killed half-way left its work folder: the
    # builder of a package holds its archival code, so no other one is building it.
    for stale in folder.parent.glob(f".{folder.name}.*.tmp"):
        shutil.rmtree(stale, ignore_errors=True)
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".tmp", dir=folder.parent))
    except OSError as exc:
        raise OutputError(CANNOT_WRITE_UNDER(folder=folder.parent, reason=exc)) from exc
    try:
        work.chmod(0o755)
        built = _write_package(work, names, files, roles, record, _Sealing(sealer, personal))
        if folder.exists():
            folder.rmdir()
        work.rename(folder)
    except OSError as exc:
        shutil.rmtree(work, ignore_errors=True)
        raise OutputError(CANNOT_WRITE_PACKAGE(folder=folder, reason=exc)) from exc
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return Package(folder, built.record, built.digest, built.payload_oxum)


def _checked_names(files: Sequence[tuple[str, Path, FileRole | str]]) -> list[str]:
    problems: list[Problem] = []
    names: list[str] = []
    seen: dict[str, str] = {}
    for name, _, _ in files:
        problem = name_problem(name)
        if problem is None:
            normal = nfc(name)
            folded = normal.casefold()
            if folded in (METADATA, INTERNAL_RECORD) or folded.endswith(SEALED_SUFFIX):
                problem = NAME_RESERVED()
            elif folded in seen:
                problem = NAME_COLLIDES(other=seen[folded])
            else:
                seen[folded] = name
            names.append(normal)
        if problem is not None:
            problems.append(Problem("package", repr(name), problem))
    if problems:
        raise UnsafeFileName(UNSAFE_NAMES(), problems)
    return names


def _checked_roles(files: Sequence[tuple[str, Path, FileRole | str]]) -> list[FileRole]:
    try:
        return [FileRole(role) for _, _, role in files]
    except ValueError as exc:
        known = ", ".join(role.value for role in FileRole)
        raise InputInvalid(UNKNOWN_ROLE(reason=exc, known=known)) from None


@dataclass(frozen=True)
class _Sealing:
    sealer: Sealer | None
    personal: Collection[str]

    def write(self, plain: bytes, target: Path, *, name: str, code: str) -> SealedFile:
        """Seal ``plain`` (file ``name`` of package ``code``) into ``target``."""
        assert self.sealer is not None  # build_package checked it
        sealed = self.sealer.seal(plain, sealed_for=f"{code}/{name}")
        with target.open("xb") as writer:
            writer.write(sealed)
            writer.flush()
            os.fsync(writer.fileno())
        return SealedFile(
            name=name, key_id=self.sealer.keyring.current,
            sha256=hashlib.sha256(plain).hexdigest(), size=len(plain),
        )  # fmt: skip


@dataclass(frozen=True)
class _Built:
    record: ArchiveRecord
    digest: str
    payload_oxum: str


def _write_package(
    work: Path,
    names: list[str],
    files: Sequence[tuple[str, Path, FileRole | str]],
    roles: list[FileRole],
    record: ArchiveRecord,
    sealing: _Sealing,
) -> _Built:
    data = work / DATA
    data.mkdir()
    described: list[FileEntry] = []
    code = record.archival_code
    for name, (_, source, _), role in zip(names, files, roles, strict=True):
        target = data.joinpath(*name.split("/"))
        target.parent.mkdir(parents=True, exist_ok=True)
        is_pdf = name.lower().endswith(".pdf")
        sealed = None
        if name in sealing.personal:
            target = target.with_name(target.name + SEALED_SUFFIX)
            plain = b"".join(_chunks(source))
            sealed = sealing.write(plain, target, name=name, code=code)
            stored = name + SEALED_SUFFIX
            sha256, size = hashlib.sha256(target.read_bytes()).hexdigest(), target.stat().st_size
            pages = _pdf_pages(source, source) if is_pdf else None
        else:
            stored = name
            sha256, size = _copy_hashing(source, target)
            pages = _pdf_pages(target, source) if is_pdf else None
        described.append(
            FileEntry(path=stored, sha256=sha256, size=size, pages=pages, role=role, sealed=sealed)
        )
    if record.internal is not None:
        target = data / (INTERNAL_RECORD + SEALED_SUFFIX)
        plain = record.internal.model_dump_json(indent=2).encode("utf-8")
        sealed = sealing.write(plain, target, name=INTERNAL_RECORD, code=code)
        described.append(
            FileEntry(
                path=INTERNAL_RECORD + SEALED_SUFFIX, role=FileRole.INTERNAL_RECORD,
                sha256=hashlib.sha256(target.read_bytes()).hexdigest(),
                size=target.stat().st_size, sealed=sealed,
            )
        )  # fmt: skip
    described.sort(key=lambda entry: entry.path)
    try:
        final = ArchiveRecord.model_validate(
            {
                **record.model_dump(exclude={"internal"}),
                "files": described,
                "page_count": sum(entry.pages or 0 for entry in described),
            }
        )
    except ValidationError as exc:
        raise InputInvalid(
            RECORD_DOES_NOT_FIT(),
            [Problem(METADATA, _loc(e["loc"]), e["msg"]) for e in exc.errors()],
        ) from None
    metadata = final.to_json().encode("utf-8")
    (data / METADATA).write_bytes(metadata)
    entries = [
        *(_Entry(f"{DATA}/{e.path}", e.sha256, e.size) for e in described),
        _Entry(f"{DATA}/{METADATA}", hashlib.sha256(metadata).hexdigest(), len(metadata)),
    ]
    entries.sort(key=lambda entry: entry.path)
    oxum = f"{sum(e.size for e in entries)}.{len(entries)}"
    manifest = _manifest_text(entries).encode("utf-8")
    tag_texts = {
        BAGIT_TXT: BAGIT_DECLARATION.encode("utf-8"),
        BAG_INFO: _bag_info(final, oxum, sum(e.size for e in entries)).encode("utf-8"),
        MANIFEST: manifest,
    }
    for name, content in tag_texts.items():
        (work / name).write_bytes(content)
    tag_entries = [
        _Entry(name, hashlib.sha256(content).hexdigest(), len(content))
        for name, content in sorted(tag_texts.items())
    ]
    (work / TAG_MANIFEST).write_bytes(_manifest_text(tag_entries).encode("utf-8"))
    return _Built(final, hashlib.sha256(manifest).hexdigest(), oxum)


def _loc(loc: Iterable[int | str]) -> str:
    return ".".join(map(str, loc))


def _copy_hashing(source: Path, target: Path) -> tuple[str, int]:
    """Copy ``source`` to ``target``, synced, hashing it on the way.

    Raises:
        InputInvalid: ``source`` cannot be read.
        OSError: ``target`` cannot be written (a full disk): the package's fault,
            which :func:`build_package` reports with the package's folder.
    """
    digest = hashlib.sha256()
    size = 0
    with target.open("xb") as writer:
        for chunk in _chunks(source):
            digest.update(chunk)
            writer.write(chunk)
            size += len(chunk)
        writer.flush()
        os.fsync(writer.fileno())
    return digest.hexdigest(), size


def _chunks(source: Path) -> Iterator[bytes]:
    """The content of ``source`` piece by piece; failing to read it is the input's fault."""
    try:
        with source.open("rb") as reader:
            while chunk := reader.read(_CHUNK):
                yield chunk
    except OSError as exc:
        raise InputInvalid(CANNOT_READ_SOURCE(source=source, reason=exc)) from exc


def _pdf_pages(copy: Path, source: Path) -> int:
    try:
        with pikepdf.open(copy) as pdf:
            return len(pdf.pages)
    except (pikepdf.PdfError, OSError) as exc:
        raise InputInvalid(SOURCE_NOT_PDF(source=source, reason=exc)) from None


def _manifest_text(entries: Iterable[_Entry]) -> str:
    return "".join(f"{entry.sha256}  {entry.path}\n" for entry in entries)


def _one_line(text: str) -> str:
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())


def _bag_size(octets: int) -> str:
    size = float(octets)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{octets} B" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    raise AssertionError("unreachable")  # pragma: no cover


def _bag_info(record: ArchiveRecord, oxum: str, octets: int) -> str:
    fields = [
        ("Source-Organization", record.responsible_body),
        ("External-Identifier", record.archival_code),
        ("External-Description", record.title),
        ("Bagging-Date", record.date.isoformat()),
        ("Bag-Size", _bag_size(octets)),
        ("Payload-Oxum", oxum),
        ("Bag-Software-Agent", SOFTWARE_AGENT),
        ("XWQL-Unit-Kind", str(record.kind)),
    ]
    return "".join(f"{key}: {_one_line(value)}\n" for key, value in fields)


# --- reading ----------------------------------------------------------------------------------


def package_digest(folder: Path) -> str:
    """The package's identity: the SHA-256 of its ``manifest-sha256.txt`` (not validated).

    Raises:
        PackageInvalid: The manifest is missing.
    """
    try:
        return hashlib.sha256((folder / MANIFEST).read_bytes()).hexdigest()
    except FileNotFoundError:
        raise PackageInvalid(folder, [FileMissing(MANIFEST)]) from None


def package_objects(folder: Path) -> list[tuple[str, Path]]:
    """The package's files in upload order: payload, ``data/metadata.json``, then tag files.

    The order ends with ``bagit.txt``, ``bag-info.txt``, ``manifest-sha256.txt``
    and last ``tagmanifest-sha256.txt``, so a half-uploaded package never looks
    complete. Files are listed from the manifests (a stray file is never
    uploaded); validate the package first.

    Returns:
        ``(key, path)`` pairs: ``key`` relative to the package (NFC, ``/``),
        ``path`` the file on disk (whatever its normal form there).

    Raises:
        PackageInvalid: A manifest is missing or malformed, or lists a missing file.
    """
    problems: list[PackageProblem] = [
        FileMissing(name) for name in (MANIFEST, TAG_MANIFEST) if not (folder / name).is_file()
    ]
    payload = _read_manifest(folder, MANIFEST, problems)
    tags = _read_manifest(folder, TAG_MANIFEST, problems)
    if not problems and set(tags) != set(TAG_FILES):
        problems.append(TagFileInvalid(TAG_MANIFEST, f"must list exactly {', '.join(TAG_FILES)}"))
    on_disk = _payload_on_disk(folder, problems)
    if problems:
        raise PackageInvalid(folder, problems)
    metadata_key = f"{DATA}/{METADATA}"
    ordered = sorted(payload, key=lambda key: (key == metadata_key, key))
    objects: list[tuple[str, Path]] = []
    for key in ordered:
        if key not in on_disk:
            problems.append(FileMissing(key))
        else:
            objects.append((key, on_disk[key]))
    for key in TAG_FILES:
        if not (folder / key).is_file():
            problems.append(FileMissing(key))
        objects.append((key, folder / key))
    if problems:
        raise PackageInvalid(folder, problems)
    objects.append((TAG_MANIFEST, folder / TAG_MANIFEST))
    return objects


def load_record(folder: Path) -> ArchiveRecord:
    """The package's ``data/metadata.json`` as a record (the package is not validated).

    Raises:
        PackageInvalid: With a :class:`MetadataInvalid` or :class:`FileMissing` detail.
    """
    problems: list[PackageProblem] = []
    record = _read_record(folder / DATA / METADATA, problems)
    if record is None:
        raise PackageInvalid(folder, problems)
    return record


def open_sealed(folder: Path, record: ArchiveRecord, entry: FileEntry, sealer: Sealer) -> bytes:
    """The plain bytes of the sealed file ``entry`` of the package in ``folder``.

    Raises:
        SealedPartUnreadable: The file is missing, changed, misplaced, or its
            key is not in the keyring.
    """
    if entry.sealed is None:
        raise ValueError(f"{entry.path} is not sealed")
    name = f"{record.archival_code}/{entry.sealed.name}"
    try:
        stored = (folder / DATA).joinpath(*entry.path.split("/")).read_bytes()
    except OSError as exc:
        raise SealedPartUnreadable(f"{name}: {exc.strerror or exc}") from exc
    plain = sealer.open(stored, sealed_for=name)
    if hashlib.sha256(plain).hexdigest() != entry.sealed.sha256:
        raise SealedPartUnreadable(f"{name}: the plain file is not the one the record describes")
    return plain


def full_record(folder: Path, sealer: Sealer) -> ArchiveRecord:
    """The package's record with its internal part opened (the personal data).

    Raises:
        PackageInvalid: ``metadata.json`` is missing or invalid.
        SealedPartUnreadable: The internal record does not open.
    """
    record = load_record(folder)
    return with_internal(record, lambda entry: open_sealed(folder, record, entry, sealer))


def with_internal(record: ArchiveRecord, read: Callable[[FileEntry], bytes]) -> ArchiveRecord:
    """``record`` with its internal part, read by ``read`` from its sealed entry (if any).

    A record archived before sealing keeps its internal part in ``metadata.json``.
    """
    entry = next((e for e in record.files if e.role == FileRole.INTERNAL_RECORD), None)
    if entry is None:
        return record
    try:
        internal = InternalPart.model_validate_json(read(entry))
    except ValidationError as exc:
        raise SealedPartUnreadable(f"{record.archival_code}/{INTERNAL_RECORD}: {exc}") from None
    return ArchiveRecord.model_validate({**record.model_dump(), "internal": internal})


def unseal_into(folder: Path, record: ArchiveRecord, sealer: Sealer, into: Path) -> list[Path]:
    """Write the plain files of the package's sealed parts into ``into``; return them.

    Raises:
        SealedPartUnreadable: A sealed part does not open.
        OSError: ``into`` cannot be written.
    """
    written = []
    for entry in record.files:
        if entry.sealed is None:
            continue
        target = into.joinpath(*entry.sealed.name.split("/"))
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(open_sealed(folder, record, entry, sealer))
        written.append(target)
    return written


def is_valid(folder: Path, *, fast: bool = False) -> bool:
    """Whether :func:`validate_package` finds no problem."""
    try:
        validate_package(folder, fast=fast)
    except PackageInvalid:
        return False
    return True


def validate_package(folder: Path, *, fast: bool = False) -> None:
    """Check a package and raise one error listing every problem.

    Args:
        folder: The package folder.
        fast: Check structure, tag files, metadata, file counts and sizes only;
            the full check (the default) also re-hashes every payload file.

    Raises:
        PackageInvalid: With every problem in ``details``.
    """
    if not folder.is_dir():
        raise PackageInvalid(folder, [FileMissing(".")])
    problems: list[PackageProblem] = []
    _check_root(folder, problems)
    _check_declaration(folder, problems)
    _check_tag_manifest(folder, problems)
    info = _read_bag_info(folder, problems)
    manifest = _read_manifest(folder, MANIFEST, problems)
    on_disk = _payload_on_disk(folder, problems)
    for key in sorted(set(manifest) - set(on_disk)):
        problems.append(FileMissing(key))
    for key in sorted(set(on_disk) - set(manifest)):
        problems.append(UnexpectedFile(key))
    sizes = {key: path.stat().st_size for key, path in on_disk.items()}
    declared = info.get("Payload-Oxum")
    actual = f"{sum(sizes.values())}.{len(sizes)}"
    if declared is None:
        problems.append(TagFileInvalid(BAG_INFO, "no Payload-Oxum"))
    elif declared != actual:
        problems.append(OxumMismatch(BAG_INFO, declared, actual))
    _check_record(folder, manifest, sizes, info, problems)
    if not fast:
        for key in sorted(set(manifest) & set(on_disk)):
            found = _sha256_file(on_disk[key])
            if found != manifest[key]:
                problems.append(ChecksumMismatch(key, manifest[key], found))
    if problems:
        raise PackageInvalid(folder, problems)


def _check_root(folder: Path, problems: list[PackageProblem]) -> None:
    allowed = {DATA, *TAG_FILES, TAG_MANIFEST}
    for entry in sorted(folder.iterdir()):
        name = nfc(entry.name)
        if name not in allowed:
            problems.append(UnexpectedFile(name))
        elif entry.is_symlink() or (name == DATA) != entry.is_dir():
            problems.append(TagFileInvalid(name, "not a plain file or folder as BagIt needs"))
    for name in (*TAG_FILES, TAG_MANIFEST):
        if not (folder / name).exists():
            problems.append(FileMissing(name))
    if not (folder / DATA).exists():
        problems.append(FileMissing(DATA))


def _read_text(path: Path, problems: list[PackageProblem], name: str) -> str | None:
    try:
        return path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        return None  # reported by _check_root
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(TagFileInvalid(name, f"unreadable as UTF-8: {exc}"))
        return None


def _check_declaration(folder: Path, problems: list[PackageProblem]) -> None:
    text = _read_text(folder / BAGIT_TXT, problems, BAGIT_TXT)
    if text is not None and text != BAGIT_DECLARATION:
        problems.append(
            TagFileInvalid(BAGIT_TXT, "must declare BagIt-Version 1.0 and UTF-8, nothing else")
        )


def _check_tag_manifest(folder: Path, problems: list[PackageProblem]) -> None:
    listed = _read_manifest(folder, TAG_MANIFEST, problems)
    for name in TAG_FILES:
        if name not in listed and (folder / TAG_MANIFEST).exists():
            problems.append(TagFileInvalid(TAG_MANIFEST, f"does not cover {name}"))
    for name, expected in sorted(listed.items()):
        path = folder / name
        if name not in TAG_FILES:
            problems.append(TagFileInvalid(TAG_MANIFEST, f"lists {name}, not a tag file"))
        elif path.is_file():
            found = _sha256_file(path)
            if found != expected:
                problems.append(ChecksumMismatch(name, expected, found))


def _read_bag_info(folder: Path, problems: list[PackageProblem]) -> dict[str, str]:
    text = _read_text(folder / BAG_INFO, problems, BAG_INFO)
    info: dict[str, str] = {}
    last: str | None = None
    for number, line in enumerate((text or "").splitlines(), start=1):
        if line[:1] in {" ", "\t"} and last is not None:
            info[last] += " " + line.strip()  # a continued value
        elif ":" in line:
            key, value = line.split(":", 1)
            last = key.strip()
            info[last] = value.strip()
        elif line.strip():
            problems.append(TagFileInvalid(BAG_INFO, f"line {number} is not 'Label: value'"))
    return info


def _read_manifest(folder: Path, name: str, problems: list[PackageProblem]) -> dict[str, str]:
    """A manifest as {NFC path: lower-case hex}; malformed lines become problems."""
    text = _read_text(folder / name, problems, name)
    entries: dict[str, str] = {}
    for number, line in enumerate((text or "").splitlines(), start=1):
        parts = line.strip().split(None, 1)
        if len(parts) != 2 or len(parts[0]) != 64 or not _is_hex(parts[0]):
            problems.append(TagFileInvalid(name, f"line {number} is not 'sha256  path'"))
            continue
        digest, raw = parts
        path = nfc(raw.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%"))
        if name == MANIFEST:
            under_data = path.startswith(f"{DATA}/")
            problem = name_problem(path[len(DATA) + 1 :]) if under_data else "not under data/"
        else:
            problem = None if "/" not in path and path not in {"", ".", ".."} else "not a tag file"
        if problem is not None:
            problems.append(TagFileInvalid(name, f"line {number}: unsafe path {path!r}: {problem}"))
        elif path in entries:
            problems.append(TagFileInvalid(name, f"line {number}: {path} is listed twice"))
        else:
            entries[path] = digest.lower()
    return entries


def _is_hex(text: str) -> bool:
    return all(c in "0123456789abcdefABCDEF" for c in text)


def _payload_on_disk(folder: Path, problems: list[PackageProblem]) -> dict[str, Path]:
    """Every file under data/ as {NFC key: path}; links and specials become problems."""
    found: dict[str, Path] = {}
    root = folder / DATA
    if root.is_symlink():
        problems.append(UnexpectedFile(DATA))
        return found
    if not root.is_dir():
        return found
    for directory, subfolders, filenames in os.walk(root):
        here = Path(directory)
        for name in sorted([*subfolders, *filenames]):
            path = here / name
            key = nfc(path.relative_to(folder).as_posix())
            if path.is_symlink() or not (path.is_dir() or path.is_file()):
                problems.append(UnexpectedFile(key))
            elif path.is_file():
                if key in found:  # the same name twice, in NFC and in NFD
                    problems.append(UnexpectedFile(path.relative_to(folder).as_posix()))
                else:
                    found[key] = path
        subfolders[:] = [d for d in subfolders if not (here / d).is_symlink()]
    return found


def _read_record(path: Path, problems: list[PackageProblem]) -> ArchiveRecord | None:
    key = f"{DATA}/{METADATA}"
    try:
        data = json.loads(path.read_bytes().decode("utf-8"))
    except FileNotFoundError:
        problems.append(FileMissing(key))
        return None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        problems.append(MetadataInvalid(key, (f"not JSON: {exc}",)))
        return None
    try:
        return ArchiveRecord.model_validate(data)
    except ValidationError as exc:
        errors = tuple(f"{_loc(e['loc']) or '(record)'}: {e['msg']}" for e in exc.errors())
        problems.append(MetadataInvalid(key, errors))
        return None


def _check_record(
    folder: Path,
    manifest: dict[str, str],
    sizes: dict[str, int],
    info: dict[str, str],
    problems: list[PackageProblem],
) -> None:
    """metadata.json is a valid record describing exactly the payload the manifest lists."""
    key = f"{DATA}/{METADATA}"
    if key not in sizes:
        if key not in manifest:  # otherwise already reported as missing
            problems.append(FileMissing(key))
        return
    record = _read_record(folder / DATA / METADATA, problems)
    if record is None:
        return
    errors: list[str] = []
    described = {f"{DATA}/{entry.path}": entry for entry in record.files}
    for path, entry in sorted(described.items()):
        if path not in manifest:
            errors.append(f"lists {path}, which the manifest does not")
        elif manifest[path] != entry.sha256:
            errors.append(f"records another SHA-256 for {path} than the manifest")
        if path in sizes and sizes[path] != entry.size:
            problems.append(SizeMismatch(path, entry.size, sizes[path]))
    for path in sorted(set(manifest) - set(described) - {key}):
        errors.append(f"does not describe {path}")
    if info.get("External-Identifier") != record.archival_code:
        errors.append(
            f"archival code {record.archival_code} is not bag-info's External-Identifier "
            f"{info.get('External-Identifier')}"
        )
    if errors:
        problems.append(MetadataInvalid(key, tuple(errors)))


def _sha256_file(path: Path) -> str:
    with path.open("rb") as reader:
        return hashlib.file_digest(reader, "sha256").hexdigest()
