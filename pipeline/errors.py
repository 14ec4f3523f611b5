"""The exception tree of xwql.

Every expected failure is an ``XwqlError`` whose message tells the user what went
wrong and what to do; the command line prints the message and exits with the
error's ``exit_code`` (stable, documented in the README) instead of a traceback.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Protocol


class ExitCode(IntEnum):
    """Process exit statuses; part of the command-line interface contract."""

    OK = 0
    USAGE = 2
    INPUT_INVALID = 3
    MISSING_DEPENDENCY = 4
    EXTERNAL_PROGRAM = 5
    TEMPLATE = 6
    OUTPUT = 7
    ACCESS_DENIED = 8
    INCIDENT = 9  # a verification found a problem in the archive
    INTERNAL = 15


@dataclass(frozen=True)
class Bilingual:
    """A message for the user in Simplified Chinese and in English, with named blanks.

    Each module family writes its messages once, in its ``messages.py``, and fills
    them where it raises: a wording fix, or a further language, is one edit there.

    Attributes:
        zh: The Chinese text (for the clerk, the office, the villager).
        en: The English text (for everyone else), with the same ``{blanks}``.
    """

    zh: str
    en: str

    def __call__(self, **blanks: object) -> str:
        """The message as printed, ``中文 / English``, its blanks filled."""
        filled = self.fill(**blanks)
        return f"{filled.zh} / {filled.en}"

    def fill(self, **blanks: object) -> Bilingual:
        """The message with its blanks filled, both languages kept apart."""
        return Bilingual(self.zh.format(**blanks), self.en.format(**blanks))

    def joined(self, between: str, /, **blanks: object) -> str:
        """The message with its blanks filled, ``between`` between Chinese and English."""
        filled = self.fill(**blanks)
        return f"{filled.zh}{between}{filled.en}"

    def side_by_side(self, **blanks: object) -> str:
        """The message as a short problem line, ``中文 English``, its blanks filled."""
        return self.joined(" ", **blanks)


class XwqlError(Exception):
    """Base of all expected xwql failures.

    Its text is the message and every note added on the way up (``add_note``: a
    kept work folder, say), since the user sees the text, never a traceback.
    """

    exit_code: ExitCode = ExitCode.INTERNAL
    rerun: bool = False
    """The same command, run again once the cause is fixed, finishes the work."""

    def __str__(self) -> str:
        return "\n".join([super().__str__(), *getattr(self, "__notes__", ())])


@dataclass(frozen=True)
class Problem:
    """One located problem in an input file: where it is and what is wrong."""

    file: str
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.field}" if self.field else self.file
        return f"{where}: {self.message}"


class InputInvalid(XwqlError):
    """Input data (catalog, ledger, template values) failed validation."""

    exit_code = ExitCode.INPUT_INVALID

    def __init__(self, summary: str, problems: list[Problem] | None = None) -> None:
        self.problems = list(problems or [])
        lines = [summary, *(f"  - {p}" for p in self.problems)]
        super().__init__("\n".join(lines))


class CatalogInvalid(InputInvalid):
    """The power catalog (村级小微权力清单) is not valid data."""


class UnknownItem(InputInvalid):
    """An item code or alias does not name any catalog item."""


class BrokenRule(Protocol):
    """One broken flow rule, as the rules report it (``pipeline.rules.flow.Violation``)."""

    @property
    def rule(self) -> str:
        """The rule's stable id."""

    @property
    def step(self) -> str:
        """The step it was broken on."""

    @property
    def message(self) -> str:
        """What is wrong and what to do (Chinese / English)."""

    @property
    def text(self) -> Bilingual:
        """The same, the two languages apart."""


class StepRefused(InputInvalid):
    """A case step breaks its item's flow rules; every broken rule is in ``violations``."""

    def __init__(self, summary: str, violations: Sequence[BrokenRule]) -> None:
        self.violations = list(violations)
        super().__init__(summary, [Problem(v.step, v.rule, v.message) for v in self.violations])


class MissingDependency(XwqlError):
    """A program, font or package xwql needs is not installed."""

    exit_code = ExitCode.MISSING_DEPENDENCY


class CalendarNotCovered(MissingDependency):
    """The installed ``chinesecalendar`` has no holiday data for a year asked about."""


class ExternalProgramError(XwqlError):
    """An external program (LibreOffice, Graphviz) failed or timed out."""

    exit_code = ExitCode.EXTERNAL_PROGRAM


class ConversionError(ExternalProgramError):
    """LibreOffice could not turn a document into PDF."""


class ConversionTimeout(ConversionError):
    """LibreOffice did not finish a document in time and was restarted."""


class ConverterServiceError(ExternalProgramError):
    """The converter service (``xwql converters up``) could not be started, reached or stopped."""


class TemplateError(XwqlError):
    """A document template is broken or a value it needs is missing."""

    exit_code = ExitCode.TEMPLATE


class OutputError(XwqlError):
    """An output file could not be written where asked."""

    exit_code = ExitCode.OUTPUT


class StorageError(XwqlError):
    """The S3 archive store failed or refused a request.

    Attributes:
        code: The S3 error code (``AccessDenied``, ``NoSuchVersion``…) or None
            when the server was not reached or gave no code.
        status: The HTTP status of the failed answer, when there was one.
    """

    exit_code = ExitCode.EXTERNAL_PROGRAM

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None) -> None:
        self.code = code
        self.status = status
        super().__init__(message)


class WormNotEnforced(StorageError):
    """The S3 store does not enforce write-once retention (object lock) as xwql needs."""


class ArchiveConflict(StorageError):
    """An object key of a package already holds other content; xwql never overwrites."""


class ArchiveBusy(StorageError):
    """Another worker holds the unit's claim and has not filed it within a lease."""


class NotArchived(InputInvalid):
    """No archived unit has the archival code asked for."""


class AccessDenied(XwqlError):
    """The user lacks the role (auditor, internal) or gave no valid token."""

    exit_code = ExitCode.ACCESS_DENIED


class TooManyAttempts(AccessDenied):
    """Too many logins, objections or look-ups in a while; ``retry_after`` says when to retry."""

    def __init__(self, message: str, retry_after: float) -> None:
        self.retry_after = retry_after  # seconds
        super().__init__(message)


class StorageConfigInvalid(StorageError):
    """The S3 settings (``XWQL_S3_*``, ``XWQL_LOCK_MODE``) are incomplete or wrong."""

    exit_code = ExitCode.USAGE


class IndexKeyInvalid(XwqlError):
    """The key of the index's ID-number hashes is unusable, or not the one it was built with."""

    exit_code = ExitCode.USAGE


class ArchiveKeyInvalid(XwqlError):
    """The archive keys (which seal the packages' personal parts) cannot be read or made."""

    exit_code = ExitCode.USAGE


class SealedPartUnreadable(XwqlError):
    """A sealed part of a package does not open: changed, misplaced, or its key is missing."""

    exit_code = ExitCode.INCIDENT


class FleetKeysDiffer(XwqlError):
    """A worker's keys are not the ones the fleet registered in the shared database.

    Attributes:
        kinds: The keys that differ (``signing``, ``index``, ``archive``).
    """

    exit_code = ExitCode.USAGE

    def __init__(self, message: str, kinds: Sequence[str]) -> None:
        self.kinds = tuple(kinds)
        super().__init__(message)


class ObjectMetadataInvalid(InputInvalid):
    """Metadata or tags given for an archived object break the S3 limits."""


class SigningError(XwqlError):
    """A PDF could not be signed (unusable key, unreadable source, output not written)."""

    exit_code = ExitCode.OUTPUT


class SigningKeysInvalid(SigningError):
    """The signing keys (demo key store or production key folder) are missing or wrong."""

    exit_code = ExitCode.USAGE


class PdfUnreadable(InputInvalid):
    """A PDF to verify cannot be read as a PDF at all (a bad signature is reported, not raised)."""
