"""What an import produced: the cases, and every problem located where the clerk sees it."""

from __future__ import annotations

from dataclasses import dataclass, field

from pipeline.cases.meetings import Meeting
from pipeline.cases.model import Case
from pipeline.errors import Bilingual
from pipeline.intake.messages import (
    COLUMN_PLACE,
    IMPORT_SUMMARY,
    ISSUE_AT,
    ROW_PLACE,
    SHEET_PLACE,
    Finding,
)


@dataclass(frozen=True)
class Location:
    """A place in an input file.

    Attributes:
        file: The file's name.
        sheet: The worksheet (``None`` for CSV and JSON files).
        row: The row number as Excel (or a text editor, for CSV) shows it.
        column: The column's header; for JSON, the path of the value
            (``cases[2].applicants[0].phone``).

    """

    file: str
    sheet: str | None = None
    row: int | None = None
    column: str | None = None

    def at(self, column: str | None) -> Location:
        """The same place in another column."""
        return Location(self.file, self.sheet, self.row, column)

    def issue(self, value: str, found: Finding) -> Issue:
        """A problem found here."""
        return Issue(self.file, self.sheet, self.row, self.column, value, found.problem, found.fix)

    def describe(self) -> Bilingual:
        """The place in words, for messages that point to another row."""
        parts = [
            SHEET_PLACE.fill(sheet=self.sheet) if self.sheet else Bilingual(self.file, self.file)
        ]
        if self.row is not None:
            parts.append(ROW_PLACE.fill(row=self.row))
        if self.column:
            parts.append(COLUMN_PLACE.fill(column=self.column))
        return Bilingual("".join(p.zh for p in parts), ", ".join(p.en for p in parts))


@dataclass(frozen=True)
class Issue:
    """A located problem: where, the raw value, what is wrong and how to fix it."""

    file: str
    sheet: str | None
    row: int | None
    column: str | None
    value: str
    problem: Bilingual
    fix: Bilingual

    @property
    def location(self) -> Location:
        """Where the problem is."""
        return Location(self.file, self.sheet, self.row, self.column)

    def __str__(self) -> str:
        where = self.location.describe()
        return ISSUE_AT(
            where_zh=where.zh,
            value=f"「{self.value}」" if self.value else "",
            problem_zh=self.problem.zh,
            fix_zh=self.fix.zh,
            where_en=where.en,
            problem_en=self.problem.en,
            fix_en=self.fix.en,
        )


@dataclass
class IntakeResult:
    """The outcome of reading one ledger.

    Every non-blank case row is counted in ``rows_in`` and is either imported (a
    ``Case``) or rejected (with at least one error, or one error for the whole
    file): ``rows_in == rows_imported + rows_rejected``. Step rows are counted the
    same way. Whole blank rows between data rows are counted in ``blank_rows``.
    """

    file: str
    cases: list[Case] = field(default_factory=list)
    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    rows_in: int = 0
    rows_rejected: int = 0
    blank_rows: int = 0
    steps_in: int = 0
    steps_rejected: int = 0
    case_locations: dict[str, Location] = field(default_factory=dict)
    meetings: list[Meeting] = field(default_factory=list)
    """The meetings of the 会议记录 sheet read whole (one per number)."""
    meeting_locations: dict[tuple[str, str], Location] = field(default_factory=dict)
    """Where each meeting read is, by (village code, number): its first row's number cell."""
    meeting_rows_in: int = 0
    meeting_rows_rejected: int = 0

    @property
    def rows_imported(self) -> int:
        """Case rows that became cases."""
        return len(self.cases)

    @property
    def steps_imported(self) -> int:
        """Step rows that became step records of imported cases."""
        return sum(len(case.steps) for case in self.cases)

    @property
    def ok(self) -> bool:
        """True if there was no error (warnings allowed)."""
        return not self.errors

    def summary(self) -> Bilingual:
        """One line for the clerk: rows read, imported and rejected."""
        return IMPORT_SUMMARY.fill(
            file=self.file,
            rows_in=self.rows_in,
            rows_imported=self.rows_imported,
            rows_rejected=self.rows_rejected,
            steps_in=self.steps_in,
            steps_imported=self.steps_imported,
            errors=len(self.errors),
            warnings=len(self.warnings),
        )
