"""The archive record (``metadata.json``) of every archived unit, defined once.

Each archived unit — a case file (案卷), a notice, a monthly disclosure pack, a
catalog edition — is a package (see :mod:`pipeline.archive.package`) whose
``data/metadata.json`` is an :class:`ArchiveRecord`: the DA/T 46-style
description (title, responsible body 责任者, date, archival code 档号, retention
period, classification, page count, format, fixity of each file) plus the
domain fields (town, village, item, case, persons, amounts, notice period,
irregularities).

The JSON Schema ``archive_schema/archive-record.schema.json`` is generated from
these models by :func:`record_schema_text`; a test keeps the committed file
equal to it. The model enforces more than the schema can say (the archival
code agrees with the retention, item and village; the fields each kind of unit
needs are present; the page count adds up).

Privacy: the record is the *internal* record of the archive. Personal data
beyond a name — ID numbers, phones, addresses — can live only in
:attr:`ArchiveRecord.internal`; :class:`PublicRecord` has no field that can hold
it. :meth:`ArchiveRecord.public` drops that part, and :func:`s3_tags` and
:func:`s3_metadata` read only a public projection, passing free text through
the same masking as public notices (:func:`pipeline.cases.privacy.mask_text`).

Archival code (档号)
--------------------
``{fonds}-{year}-{retention}-{village}-{item}-{sequence}``, all ASCII, e.g.
``LZ-QL-001-2026-D30-QL.NM-022-0007``:

* ``fonds`` — the village's fonds number (全宗号), ``A-Z 0-9`` in ``-``-separated
  groups, at most 24 characters (``LZ-QL-001``);
* ``year`` — the year (年度), four digits;
* ``retention`` — 保管期限 as in DA/T 22: ``Y`` 永久, ``D30`` 定期30年, ``D10`` 定期10年;
* ``village`` — the village (or, for a catalog edition or a district summary, the
  district) code with its ``-`` written as ``.`` (``QL-NM`` → ``QL.NM``), so the
  code stays one field;
* ``item`` — the catalog item's three-digit number (``xwql-022`` → ``022``),
  ``000`` for units of no single item (monthly packs, catalog editions, summaries);
* ``sequence`` — the unit's number (件号) within the rest, four digits from ``0001``.

Only the leading ``fonds`` may contain ``-``, so a code splits unambiguously
from the right. Codes of one fonds sort as text by year, retention, village,
item and sequence, because every field after the fonds has a fixed width or
a fixed alphabet.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Final, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
    WithJsonSchema,
    model_validator,
)

from pipeline.archive._names import name_problem, nfc
from pipeline.archive.messages import (
    ARCHIVAL_CODE_INVALID,
    FONDS_FORM,
    ITEM_CODE_FORM,
    ITEM_FIELD_NOT_THREE_DIGITS,
    NOT_CANONICAL,
    NOT_SIX_FIELDS,
    RETENTION_FIELD_UNKNOWN,
    RETENTION_FORM,
    SEQUENCE_FIELD_NOT_FOUR_DIGITS,
    SEQUENCE_RANGE,
    VILLAGE_CODE_FORM,
    VILLAGE_FIELD_NOT_A_CODE,
    YEAR_FIELD_NOT_FOUR_DIGITS,
    YEAR_FORM,
)
from pipeline.cases.model import Advisory, Case, CaseId, Irregularity, ItemCode, Name, Person
from pipeline.cases.privacy import mask_text
from pipeline.catalog.model import (
    Aspect,
    CatalogItem,
    DayUnit,
    DocumentKind,
    Retention,
    StepKind,
)
from pipeline.errors import InputInvalid
from pipeline.organisations import OrgCode, Place
from pipeline.rules.flow import notice_period

SCHEMA_VERSION: Final = 1
SCHEMA_ID = "https://xwql.example/schema/archive-record/v1"
SCHEMA_FILE = "archive-record.schema.json"
ARCHIVE_FORMAT: Final = "PDF/A-2b"

RETENTION_CODES: dict[Retention, str] = {
    Retention.PERMANENT: "Y",
    Retention.YEARS_30: "D30",
    Retention.YEARS_10: "D10",
}
_RETENTION_BY_CODE = {code: retention for retention, code in RETENTION_CODES.items()}
NO_ITEM = "000"
MAX_FONDS = 24
_FONDS = re.compile(r"[A-Z0-9]+(?:-[A-Z0-9]+)*")
_VILLAGE_FIELD = re.compile(r"[A-Z][A-Z0-9.]{1,23}")
_ITEM_CODE = re.compile(r"xwql-([0-9]{3})")
ARCHIVAL_CODE_PATTERN = (
    r"^[A-Z0-9]+(?:-[A-Z0-9]+)*-[0-9]{4}-(?:Y|D30|D10)-[A-Z][A-Z0-9.]{1,23}-[0-9]{3}-[0-9]{4}$"
)


class ArchivalCodeInvalid(InputInvalid, ValueError):
    """An archival code (档号), or a part given to build one, is malformed."""


@dataclass(frozen=True, order=True)
class ArchivalCode:
    """The parts of an archival code (档号); ``str()`` gives the code.

    Attributes:
        fonds: The fonds number (全宗号), e.g. ``LZ-QL-001``.
        year: The year (年度).
        retention: The retention period (保管期限).
        village_code: The village (or district) code as in the organisations
            data, e.g. ``QL-NM``.
        item_code: The catalog item, e.g. ``xwql-022``; None for units of no
            single item.
        sequence: The unit's number (件号), 1–9999.
    """

    fonds: str
    year: int
    retention: Retention
    village_code: str
    item_code: str | None
    sequence: int

    def __str__(self) -> str:
        return archival_code(
            self.fonds, self.year, self.retention, self.village_code, self.item_code, self.sequence
        )


def _code_error(value: str, why: str, /, **blanks: object) -> ArchivalCodeInvalid:
    """The error for ``value``, ``why`` (a reason of ``messages``) filled with ``blanks``."""
    return ArchivalCodeInvalid(ARCHIVAL_CODE_INVALID(value=value, why=why.format(**blanks)))


def archival_code(
    fonds: str,
    year: int,
    retention: Retention | str,
    village_code: str,
    item_code: str | None,
    sequence: int,
) -> str:
    """Build an archival code (档号); see the module docstring for the form.

    Args:
        fonds: The fonds number (全宗号), e.g. ``LZ-QL-001``.
        year: The year (年度), 1000–9999.
        retention: 永久, 30年 or 10年.
        village_code: The village code, e.g. ``QL-NM`` (the district's code for a
            catalog edition).
        item_code: The catalog item, e.g. ``xwql-022``, or None.
        sequence: The unit's number, 1–9999.

    Returns:
        The code, e.g. ``LZ-QL-001-2026-D30-QL.NM-022-0007``.

    Raises:
        ArchivalCodeInvalid: A part is out of range or has characters the code
            cannot carry.
    """
    if len(fonds) > MAX_FONDS or not _FONDS.fullmatch(fonds):
        raise _code_error(fonds, FONDS_FORM, limit=MAX_FONDS)
    if not 1000 <= year <= 9999:
        raise _code_error(str(year), YEAR_FORM)
    try:
        retention_code = RETENTION_CODES[Retention(retention)]
    except ValueError:
        raise _code_error(str(retention), RETENTION_FORM) from None
    village = village_code.replace("-", ".")
    if "." in village_code or not _VILLAGE_FIELD.fullmatch(village):
        raise _code_error(village_code, VILLAGE_CODE_FORM)
    if item_code is None:
        item = NO_ITEM
    else:
        match = _ITEM_CODE.fullmatch(item_code)
        if match is None or match.group(1) == NO_ITEM:
            raise _code_error(item_code, ITEM_CODE_FORM)
        item = match.group(1)
    if not 1 <= sequence <= 9999:
        raise _code_error(str(sequence), SEQUENCE_RANGE)
    return f"{fonds}-{year:04d}-{retention_code}-{village}-{item}-{sequence:04d}"


def parse_archival_code(code: str) -> ArchivalCode:
    """Split an archival code into its parts (the inverse of :func:`archival_code`).

    Raises:
        ArchivalCodeInvalid: ``code`` is not an archival code.
    """
    parts = code.rsplit("-", 5)
    if len(parts) != 6 or not code.isascii():
        raise _code_error(code, NOT_SIX_FIELDS)
    fonds, year, retention, village, item, sequence = parts
    if not (len(year) == 4 and year.isdigit()):
        raise _code_error(code, YEAR_FIELD_NOT_FOUR_DIGITS, year=year)
    if retention not in _RETENTION_BY_CODE:
        raise _code_error(code, RETENTION_FIELD_UNKNOWN, retention=retention)
    if not (len(item) == 3 and item.isdigit()):
        raise _code_error(code, ITEM_FIELD_NOT_THREE_DIGITS, item=item)
    if not (len(sequence) == 4 and sequence.isdigit()):
        raise _code_error(code, SEQUENCE_FIELD_NOT_FOUR_DIGITS, sequence=sequence)
    if not _VILLAGE_FIELD.fullmatch(village):
        raise _code_error(code, VILLAGE_FIELD_NOT_A_CODE, village=village)
    parsed = ArchivalCode(
        fonds=fonds,
        year=int(year),
        retention=_RETENTION_BY_CODE[retention],
        village_code=village.replace(".", "-"),
        item_code=None if item == NO_ITEM else f"xwql-{item}",
        sequence=int(sequence),
    )
    if str(parsed) != code:  # checks the fonds and the ranges the same way as building
        raise _code_error(code, NOT_CANONICAL)
    return parsed


def _check_code(value: str) -> str:
    parse_archival_code(value)
    return value


# --- field types ----------------------------------------------------------------------------

_NO_CONTROL = r"^[^\x00-\x1f\x7f]*$"
Text = Annotated[
    str, StringConstraints(min_length=1, max_length=500, strip_whitespace=True, pattern=_NO_CONTROL)
]
ArchivalCodeText = Annotated[
    str,
    StringConstraints(pattern=ARCHIVAL_CODE_PATTERN),
    AfterValidator(_check_code),
    Field(description="档号, e.g. LZ-QL-001-2026-D30-QL.NM-022-0007"),
]
Sha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
VerificationCode = Annotated[str, StringConstraints(pattern=r"^[0-9A-Z]{4}-[0-9A-Z]{4}$")]
YearMonth = Annotated[str, StringConstraints(pattern=r"^[0-9]{4}-(?:0[1-9]|1[0-2])$")]


def _no_float(value: object) -> object:
    if isinstance(value, float):
        raise ValueError("give money as a string or Decimal (e.g. '1260.00'), never a float")
    return value


def _money_text(value: Decimal) -> str:
    return f"{value:.2f}"


Money = Annotated[
    Decimal,
    BeforeValidator(_no_float),
    Field(ge=0, max_digits=14, decimal_places=2),
    PlainSerializer(_money_text, return_type=str, when_used="json"),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^(?:0|[1-9][0-9]{0,11})\.[0-9]{2}$",
            "description": "Yuan as a decimal string with two places, e.g. 1260.00",
        }
    ),
]


def _check_payload_name(value: str) -> str:
    problem = name_problem(value)
    if problem is not None:
        raise ValueError(problem)
    if value != nfc(value):
        raise ValueError("payload names are stored in Unicode NFC")
    return value


PayloadName = Annotated[
    str,
    AfterValidator(_check_payload_name),
    Field(description="Path under the package's data/ folder, NFC, '/'-separated"),
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class UnitKind(StrEnum):
    """What an archived unit is."""

    CASE_FILE = "case_file"  # 案卷: every document of one case
    NOTICE = "notice"  # 公示 / 结果公开 as posted
    MONTHLY_PACK = "monthly_pack"  # 月度公开材料
    CATALOG_EDITION = "catalog_edition"  # 清单版本 and its booklet
    OBJECTION = "objection"  # 异议 / 反映问题 and the supervision committee's handling
    DISTRICT_SUMMARY = "district_summary"  # 区月度汇总表: every village's month, counted


_MONTHLY = frozenset({UnitKind.MONTHLY_PACK, UnitKind.DISTRICT_SUMMARY})
"""The kinds that are one month's (and name it)."""


class FileRole(StrEnum):
    """What a file is in its package."""

    MAIN = "main"  # 正文: the archived document itself
    ATTACHMENT = "attachment"  # 附件
    SOURCE = "source"  # the data the document was made from (catalog YAML, ledger)
    INTERNAL_RECORD = "internal_record"  # 内部记录: the record's personal part, sealed
    OTHER = "other"


class PersonRole(StrEnum):
    """How a person is concerned in a unit."""

    APPLICANT = "applicant"  # 申请人
    PROXY = "proxy"  # 代办人 (村民事务干部)
    FIRST_CONTACT_OFFICER = "first_contact_officer"  # 首问负责人
    OPERATOR = "operator"  # 经办人
    OTHER = "other"


class SealedFile(_Model):
    """What a sealed file holds (see :mod:`pipeline.archive.sealing`): its key and plain fixity."""

    name: PayloadName = Field(description="The plain file's name (the path without .sealed)")
    key_id: str = Field(max_length=40, pattern=r"^[A-Za-z0-9._-]+$", description="Archive key id")
    sha256: Sha256 = Field(description="SHA-256 of the plain file")
    size: int = Field(ge=0, description="Bytes of the plain file")


class FileEntry(_Model):
    """One payload file and its fixity (of the bytes stored; a sealed file's plain ones too)."""

    path: PayloadName
    sha256: Sha256
    size: int = Field(ge=0, description="Bytes")
    pages: int | None = Field(default=None, ge=0, description="Pages of a PDF; null otherwise")
    role: FileRole
    sealed: SealedFile | None = Field(
        default=None, description="Set when the file is sealed for the internal role"
    )


class Classification(_Model):
    """分类: the item's aspect (八个方面) and category (类别), where the unit has one item."""

    aspect: Aspect | None = None
    category: Text | None = None


class OrgRef(_Model):
    """A town or village: its code and name."""

    code: OrgCode
    name: Text


class ItemRef(_Model):
    """A catalog item: its code and name."""

    code: ItemCode
    name: Text


class PersonRef(_Model):
    """A person named in the unit: the name and role only, never an ID or phone."""

    name: Name
    role: PersonRole


class Amount(_Model):
    """A sum of money in the unit (补助金额, 工程造价…)."""

    label: Text
    value: Money
    currency: Literal["CNY"] = "CNY"


class NoticePeriod(_Model):
    """The notice period (公示期): first and last day, its length and how days count."""

    start: dt.date
    end: dt.date
    days: int = Field(ge=1, le=60)
    unit: DayUnit

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.end < self.start:
            raise ValueError(f"the notice period ends ({self.end}) before it starts ({self.start})")
        return self


class ContentEntry(_Model):
    """One line of the contents list (卷内目录) of a case file or pack.

    ``first_page`` counts pages of the main PDF from 1, the cover included.
    """

    number: int = Field(ge=1, description="顺序号")
    title: Text = Field(description="文件题名")
    author: Text = Field(description="责任者")
    date: dt.date
    first_page: int = Field(ge=1)
    pages: int = Field(ge=1)
    document: DocumentKind | None = Field(
        default=None, description="Which document of the item's flow it is, if any"
    )
    note: str = Field(default="", max_length=200, pattern=_NO_CONTROL, description="备注")


class StepRef(_Model):
    """One step taken on the case (办理过程), as the case file records it."""

    step: Text = Field(description="The catalog step's id")
    name: Text = Field(description="The step's name, e.g. 村民代表会议审议")
    date: dt.date
    actor: Text
    meeting_record: Text | None = Field(default=None, description="会议记录 number or title")
    forced: bool = Field(default=False, description="Taken against the rules (an irregularity)")


class PreviousVersion(_Model):
    """The unit this one supersedes: its archival code and the SHA-256 of its manifest."""

    archival_code: ArchivalCodeText
    manifest_sha256: Sha256


class Links(_Model):
    """Links to other archived units."""

    previous_version: PreviousVersion | None = None


class WormOverride(_Model):
    """Why a unit's write-once protection was set aside (normally absent)."""

    reason: Text
    authorised_by: Name
    date: dt.date


class InternalPart(_Model):
    """Personal data kept only in the internal record (ID numbers, phones, addresses).

    Each person here must also be named in the record's ``persons``.
    """

    persons: list[Person] = Field(default_factory=list)


class PublicRecord(_Model):
    """Everything of an archive record that may be shown beyond the archive's auditors.

    It has no field that can hold an ID number, a phone or an address.
    """

    schema_version: Literal[1] = SCHEMA_VERSION
    kind: UnitKind
    title: Text = Field(description="题名")
    responsible_body: Text = Field(description="责任者, e.g. 南马村民委员会")
    date: dt.date = Field(description="日期: when the unit was formed; also the Bagging-Date")
    archival_code: ArchivalCodeText
    retention: Retention = Field(description="保管期限")
    classification: Classification = Field(default_factory=Classification)
    page_count: int = Field(default=0, ge=0, description="页数: pages of all PDF files")
    format: Literal["PDF/A-2b"] = ARCHIVE_FORMAT
    files: list[FileEntry] = Field(
        default_factory=list, description="Payload files (not metadata.json), sorted by path"
    )
    district: Text
    town: OrgRef | None = None
    village: OrgRef | None = None
    item: ItemRef | None = None
    case_id: CaseId | None = None
    document: DocumentKind | None = Field(
        default=None, description="Which notice a notice unit is (public_notice, result_notice)"
    )
    verification_code: VerificationCode | None = Field(
        default=None, description="核验码 printed on a notice, for checking it against the archive"
    )
    receipt: VerificationCode | None = Field(
        default=None, description="回执码 of an objection, which its objector follows it with"
    )
    month: YearMonth | None = Field(
        default=None, description="Month of a monthly pack or a district summary"
    )
    edition: Text | None = Field(default=None, description="Version of a catalog edition")
    persons: list[PersonRef] = Field(default_factory=list)
    amounts: list[Amount] = Field(default_factory=list)
    notice_period: NoticePeriod | None = None
    irregularities: list[Irregularity] = Field(default_factory=list)
    advisories: list[Advisory] = Field(
        default_factory=list, description="Departures from a flow still drafted when taken"
    )
    abstract: str = Field(
        default="",
        max_length=500,
        pattern=_NO_CONTROL,
        description="内容提要: the case's reason (事由), masked as on public notices",
    )
    steps: list[StepRef] = Field(default_factory=list, description="办理过程 of a case")
    contents: list[ContentEntry] = Field(
        default_factory=list, description="卷内目录: the documents in the main PDF, in order"
    )
    source_sha256: Sha256 | None = Field(
        default=None,
        description="SHA-256 of the data the unit was made from (the case and its catalog "
        "item…): archiving the same source again adds nothing",
    )
    links: Links = Field(default_factory=Links)
    worm_override: WormOverride | None = None

    @property
    def code(self) -> ArchivalCode:
        """The archival code, parsed."""
        return parse_archival_code(self.archival_code)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        problems = [
            *self._kind_problems(),
            *self._code_problems(),
            *self._file_problems(),
            *self._contents_problems(),
        ]
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def _kind_problems(self) -> list[str]:
        needed = {
            UnitKind.CASE_FILE: ("town", "village", "item", "case_id"),
            UnitKind.NOTICE: (
                "town",
                "village",
                "item",
                "case_id",
                "document",
                "verification_code",
            ),
            UnitKind.MONTHLY_PACK: ("town", "village", "month"),
            UnitKind.CATALOG_EDITION: ("edition",),
            UnitKind.OBJECTION: ("town", "village", "receipt"),
            UnitKind.DISTRICT_SUMMARY: ("month",),
        }[self.kind]
        problems = [f"a {self.kind} record needs {n}" for n in needed if not getattr(self, n)]
        if self.month is not None and self.kind not in _MONTHLY:
            problems.append("only a monthly_pack or district_summary record has a month")
        if self.edition is not None and self.kind != UnitKind.CATALOG_EDITION:
            problems.append("only a catalog_edition record has an edition")
        if self.receipt is not None and self.kind != UnitKind.OBJECTION:
            problems.append("only an objection record has a receipt")
        if self.document is not None and self.kind != UnitKind.NOTICE:
            problems.append("only a notice record names its document")
        return problems

    def _code_problems(self) -> list[str]:
        code = self.code
        problems = []
        if code.retention != self.retention:
            problems.append(
                f"the archival code says {code.retention}, the record says {self.retention}"
            )
        item = self.item.code if self.item else None
        if code.item_code != item:
            problems.append(f"the archival code's item is {code.item_code}, the record's {item}")
        if self.village and code.village_code != self.village.code:
            problems.append(
                f"the archival code's village is {code.village_code}, "
                f"the record's {self.village.code}"
            )
        return problems

    def _file_problems(self) -> list[str]:
        problems = []
        paths = [entry.path for entry in self.files]
        if paths != sorted(paths):
            problems.append("files must be sorted by path")
        folded = [path.casefold() for path in paths]
        if len(set(folded)) != len(folded):
            problems.append("two files have the same name (ignoring case)")
        if "metadata.json" in folded:
            problems.append("metadata.json describes the files; it is not one of them")
        pages = sum(entry.pages or 0 for entry in self.files)
        if self.files and pages != self.page_count:
            problems.append(f"page_count is {self.page_count} but the files have {pages} pages")
        return problems

    def _contents_problems(self) -> list[str]:
        problems = []
        if [entry.number for entry in self.contents] != list(range(1, len(self.contents) + 1)):
            problems.append("contents must be numbered 1, 2, 3… in order")
        for before, after in itertools.pairwise(self.contents):
            if after.first_page < before.first_page + before.pages:
                problems.append(
                    f"contents line {after.number} starts on page {after.first_page}, "
                    f"inside line {before.number}"
                )
        return problems


class ArchiveRecord(PublicRecord):
    """The archive record of one unit (``metadata.json``), as kept in the archive.

    ``internal`` carries the personal data only the internal record may hold;
    use :meth:`public` for anything shown beyond the archive's auditors.
    """

    internal: InternalPart | None = None

    @model_validator(mode="after")
    def _internal_named(self) -> Self:
        if self.internal is not None:
            named = {person.name for person in self.persons}
            unknown = [p.name for p in self.internal.persons if p.name not in named]
            if unknown:
                raise ValueError(
                    f"internal persons {unknown} are not named in persons; name them there too"
                )
        return self

    def public(self) -> PublicRecord:
        """The record without its internal part (no ID numbers, phones or addresses)."""
        return PublicRecord.model_validate(self.model_dump(exclude={"internal"}))

    def to_json(self) -> str:
        """The record as ``metadata.json`` text: sorted keys, UTF-8, final newline."""
        return record_json(self)


def unit_key(record: PublicRecord) -> str:
    """What the record is of, the same across its versions.

    ``case_file/NM-2026-11-001``, ``notice/NM-2026-11-001/public_notice/2026-11-09``,
    ``monthly_pack/QL-NM/2026-11``, ``catalog_edition/2026.1``, ``objection/7K3D-Q9XM``,
    ``district_summary/2026-11`` (a bucket keeps one district's archive).
    """
    match record.kind:
        case UnitKind.CASE_FILE:
            return f"case_file/{record.case_id}"
        case UnitKind.NOTICE:
            return f"notice/{record.case_id}/{record.document}/{record.date.isoformat()}"
        case UnitKind.MONTHLY_PACK:
            village = record.village.code if record.village else ""
            return f"monthly_pack/{village}/{record.month}"
        case UnitKind.CATALOG_EDITION:
            return f"catalog_edition/{record.edition}"
        case UnitKind.OBJECTION:
            return f"objection/{record.receipt}"
        case UnitKind.DISTRICT_SUMMARY:
            return f"district_summary/{record.month}"


def record_json(record: PublicRecord) -> str:
    """A record as stable JSON text (sorted keys, not ASCII-escaped, final newline)."""
    data = record.model_dump(mode="json")
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def record_schema_text() -> str:
    """The JSON Schema of archive records, as stable, sorted JSON text."""
    generated = ArchiveRecord.model_json_schema(ref_template="#/$defs/{model}")
    defs = generated.pop("$defs", {})
    generated.pop("title", None)
    schema: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "xwql archive record (metadata.json of an archived unit), version 1",
        **generated,
        "$defs": defs,
    }
    return json.dumps(schema, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


# --- building a record for a case -----------------------------------------------------------


def case_record(
    case: Case,
    item: CatalogItem,
    place: Place,
    *,
    title: str,
    date: dt.date,
    sequence: int,
    kind: UnitKind = UnitKind.CASE_FILE,
    year: int | None = None,
    internal: bool = True,
    previous: PreviousVersion | None = None,
    contents: Sequence[ContentEntry] = (),
    source_sha256: str | None = None,
    worm_override: WormOverride | None = None,
    document: DocumentKind | None = None,
    verification_code: str | None = None,
) -> ArchiveRecord:
    """The archive record of a case file or notice of ``case`` (files are added when packaged).

    Args:
        case: The case.
        item: Its catalog item (retention and classification come from it).
        place: Its village, town and district (the fonds comes from the village).
        title: 题名.
        date: The unit's date.
        sequence: The unit's number (件号) in its archival code.
        kind: ``case_file`` or ``notice``.
        year: The archival year; ``date``'s year by default.
        internal: Keep the applicants' full data in the internal part.
        previous: The unit this one supersedes, if any.
        contents: The contents list (卷内目录) of the main PDF.
        source_sha256: The hash of the data the unit is made from.
        worm_override: Why write-once protection was set aside, if it was.
        document: For a notice: which one (public_notice, result_notice).
        verification_code: For a notice: its 核验码.

    Raises:
        ArchivalCodeInvalid: The fonds or village code cannot form an archival code.
    """
    persons = _case_persons(case)
    code = archival_code(
        place.village.fonds,
        date.year if year is None else year,
        item.retention,
        place.village.code,
        item.code,
        sequence,
    )
    return ArchiveRecord(
        kind=kind,
        title=title,
        responsible_body=place.village.committee,
        date=date,
        archival_code=code,
        retention=item.retention,
        classification=Classification(aspect=item.aspect, category=item.category),
        district=place.district.name,
        town=OrgRef(code=place.town.code, name=place.town.name),
        village=OrgRef(code=place.village.code, name=place.village.name),
        item=ItemRef(code=item.code, name=item.name),
        case_id=case.case_id,
        document=document,
        verification_code=verification_code,
        persons=persons,
        amounts=[] if case.amount is None else [Amount(label="金额", value=case.amount)],
        notice_period=_case_notice_period(case, item),
        irregularities=case.irregularities,
        advisories=case.advisories,
        abstract=mask_text(case.reason),
        steps=_case_steps(case, item),
        contents=list(contents),
        source_sha256=source_sha256,
        links=Links(previous_version=previous),
        worm_override=worm_override,
        internal=InternalPart(persons=case.applicants) if internal else None,
    )


def _case_persons(case: Case) -> list[PersonRef]:
    """The applicants, the proxy if any, and the first-contact officer (首问负责人)."""
    persons = [PersonRef(name=p.name, role=PersonRole.APPLICANT) for p in case.applicants]
    if case.proxy is not None:
        persons.append(PersonRef(name=case.proxy.name, role=PersonRole.PROXY))
    persons.append(
        PersonRef(name=case.first_contact_officer, role=PersonRole.FIRST_CONTACT_OFFICER)
    )
    return persons


def _case_steps(case: Case, item: CatalogItem) -> list[StepRef]:
    """The steps taken, named as in the item's flow."""
    names = {step.id: step.name for step in item.steps}
    return [
        StepRef(
            step=record.step,
            name=names.get(record.step, record.step),
            date=record.date,
            actor=record.actor,
            meeting_record=record.meeting_record or None,
            forced=record.forced_reason is not None,
        )
        for record in case.steps
    ]


def _case_notice_period(case: Case, item: CatalogItem) -> NoticePeriod | None:
    """The period of the case's last notice step (公示), if it has one."""
    steps = {step.id: step for step in item.steps if step.kind == StepKind.NOTICE}
    for record in reversed(case.steps):
        step = steps.get(record.step)
        period = None if step is None else notice_period(item, step, record.date)
        if period is not None:
            start, end, days, unit = period
            return NoticePeriod(start=start, end=end, days=days, unit=unit)
    return None


# --- S3 tags and user metadata ----------------------------------------------------------------

MAX_TAGS = 10
MAX_TAG_VALUE = 256
METADATA_LIMIT = 2048
_TAG_ALLOWED = re.compile(r"[^\w .:/=+\-@]")
_SPACES = re.compile(r"\s+")


def _ascii_digits(text: str) -> str:
    """Every decimal digit of any script as its ASCII digit (so masking sees it)."""
    return "".join(
        str(unicodedata.decimal(c)) if not c.isascii() and c.isdecimal() else c for c in text
    )


def tag_text(text: str, *, limit: int = MAX_TAG_VALUE) -> str:
    """``text`` as an S3 tag value: personal numbers masked, the tag alphabet only.

    Full-width forms become ASCII (NFKC), ID-, phone-like and long numbers are
    masked (as on public notices, with ``_`` for ``*``), every character outside
    the tag alphabet (letters, digits, space and ``+ - = . _ : / @``) becomes a
    space, runs of spaces collapse, and the result is cut to ``limit`` characters.
    """
    normal = _ascii_digits(unicodedata.normalize("NFKC", text))
    masked = mask_text(normal).replace("*", "_")
    cleaned = _SPACES.sub(" ", _TAG_ALLOWED.sub(" ", masked)).strip()
    return cleaned[:limit].rstrip()


def s3_tags(record: PublicRecord) -> dict[str, str]:
    """Up to 10 S3 object tags with the key fields, searchable from any S3 client.

    Keys are ASCII; values may be Chinese. Only the public projection is read,
    and every free-text value goes through :func:`tag_text`, so no tag carries an
    ID number or a phone number. Empty values are left out.
    """
    view = record.public() if isinstance(record, ArchiveRecord) else record
    names = " ".join(person.name for person in view.persons)
    tags = {
        "archival-code": view.archival_code,
        "kind": str(view.kind),
        "title": tag_text(view.title),
        "date": view.date.isoformat(),
        "retention": tag_text(view.retention),
        "town": tag_text(view.town.name) if view.town else "",
        "village": tag_text(view.village.name) if view.village else "",
        "item": tag_text(f"{view.item.code} {view.item.name}") if view.item else "",
        "case-id": tag_text(view.case_id or ""),
        "month": view.month or "",
        "edition": tag_text(view.edition or ""),
        "persons": tag_text(names),
    }
    # The kinds' required and allowed fields leave at most 10 of these filled.
    present = [(key, value) for key, value in tags.items() if value]
    return dict(present[:MAX_TAGS])


def s3_metadata(record: PublicRecord, *, manifest_sha256: str | None = None) -> dict[str, str]:
    """S3 user metadata: printable ASCII only, well under 2 KB.

    Args:
        record: The record (only its public projection is read).
        manifest_sha256: The package digest (:func:`pipeline.archive.package.package_digest`),
            when known.

    Returns:
        ``archival-code``, ``kind``, ``schema-version``, ``date``, ``retention``
        (``Y``/``D30``/``D10``) and, where the unit has them, ``item-code``,
        ``village-code``, ``town-code``, ``case-id``, ``month``,
        ``manifest-sha256`` and ``previous-manifest-sha256``.
    """
    view = record.public() if isinstance(record, ArchiveRecord) else record
    previous = view.links.previous_version
    metadata = {
        "archival-code": view.archival_code,
        "kind": str(view.kind),
        "schema-version": str(view.schema_version),
        "date": view.date.isoformat(),
        "retention": RETENTION_CODES[view.retention],
        "item-code": view.item.code if view.item else "",
        "village-code": view.village.code if view.village else "",
        "town-code": view.town.code if view.town else "",
        "case-id": mask_text(view.case_id or "").replace("*", "_"),
        "month": view.month or "",
        "manifest-sha256": manifest_sha256 or "",
        "previous-manifest-sha256": previous.manifest_sha256 if previous else "",
    }
    return {key: value for key, value in metadata.items() if value}
