"""What an import produced: the cases, and every problem located where the clerk sees it."""

from __future__ import annotations

from dataclasses import dataclass, field

from pipeline.cases.model import Case
from pipeline.errors import Bilingual
from pipeline.intake.messages import Finding


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
        zh = [f"“{self.sheet}”表" if self.sheet else self.file]
        en = [f"sheet {self.sheet}" if self.sheet else self.file]
        if self.row is not None:
            zh.append(f"第 {self.row} 行")
            en.append(f"row {self.row}")
        if self.column:
            zh.append(f"“{self.column}”")
            en.append(self.column)
        return Bilingual("".join(zh), ", ".join(en))


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
        value = f"「{self.value}」" if self.value else ""
        return (
            f"{where.zh}{value}：{self.problem.zh}。{self.fix.zh}。"
            f" / {where.en}: {self.problem.en}; {self.fix.en}."
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
        return Bilingual(
            f"{self.file}：读入 {self.rows_in} 件，导入 {self.rows_imported} 件，"
            f"退回 {self.rows_rejected} 件；办理环节 {self.steps_in} 行，导入 "
            f"{self.steps_imported} 行；{len(self.errors)} 个错误，{len(self.warnings)} 个提醒",
            f"{self.file}: {self.rows_in} cases read, {self.rows_imported} imported, "
            f"{self.rows_rejected} rejected; {self.steps_in} step rows, {self.steps_imported} "
            f"imported; {len(self.errors)} errors, {len(self.warnings)} warnings",
        )
