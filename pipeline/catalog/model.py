"""Data model of the power catalog, defined once.

The JSON Schema in ``archive_schema/catalog-item.schema.json`` is generated from
these models (``xwql catalog schema``); a test keeps the two in step.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

Code = Annotated[str, StringConstraints(pattern=r"^xwql-\d{3}$")]
Text = Annotated[str, StringConstraints(min_length=1, strip_whitespace=True)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Aspect(StrEnum):
    """The plan's eight aspects (八个方面) that group the powers."""

    PARTY_AND_GOVERNMENT = "党建政务"
    THREE_ASSETS = "三资管理"
    PRODUCTION = "生产发展"
    EMPLOYMENT = "就业创业"
    LIVELIHOOD = "社会民生"
    CIVILITY = "乡风文明"
    LIVABILITY = "生态宜居"
    RULE_OF_LAW = "平安法治"


class Provenance(StrEnum):
    """Where an item's flow comes from."""

    SOURCE = "from source document"
    DRAFTED = "drafted, to be confirmed by the district"


class Retention(StrEnum):
    """Archive retention period (保管期限)."""

    PERMANENT = "永久"
    YEARS_30 = "30年"
    YEARS_10 = "10年"


class DayUnit(StrEnum):
    """How a time limit counts days."""

    WORKING = "working"
    CALENDAR = "calendar"


class StepKind(StrEnum):
    """What a step does; the case rules depend on it."""

    APPLY = "apply"  # 申请 / 提议
    ACCEPT = "accept"  # 受理
    REVIEW = "review"  # 审核 / 初审 / 调查
    DECISION = "decision"  # 会议决定, needs a meeting record
    NOTICE = "notice"  # 公示, runs for the notice period
    REPORT = "report"  # 上报 to the town or district
    APPROVE = "approve"  # 审批 by an outside body
    IMPLEMENT = "implement"  # 实施 / 发放
    RESULT = "result"  # 结果公开
    ARCHIVE = "archive"  # 归档


class DocumentKind(StrEnum):
    """Documents a case of an item can produce."""

    APPLICATION = "application"  # 申请表
    NOTIFICATION = "notification"  # 一次性告知单
    RECEIPT = "receipt"  # 受理回执
    PROXY_AUTHORISATION = "proxy_authorisation"  # 代办委托书
    MEETING_RECORD = "meeting_record"  # 会议记录 / 决议
    PUBLIC_NOTICE = "public_notice"  # 公示
    RESULT_NOTICE = "result_notice"  # 结果公开
    SEAL_REGISTER = "seal_register"  # 用印登记

    @property
    def label(self) -> str:
        """The document's title as printed and listed (申请表, 公示 …)."""
        return _DOCUMENT_TITLES[self]


_DOCUMENT_TITLES = {
    DocumentKind.APPLICATION: "申请表",
    DocumentKind.NOTIFICATION: "一次性告知单",
    DocumentKind.RECEIPT: "受理回执",
    DocumentKind.PROXY_AUTHORISATION: "代办委托书",
    DocumentKind.MEETING_RECORD: "会议记录",
    DocumentKind.PUBLIC_NOTICE: "公示",
    DocumentKind.RESULT_NOTICE: "办理结果公开",
    DocumentKind.SEAL_REGISTER: "用印登记",
}


class TimeLimit(_Strict):
    """A deadline (限时办结) for a step."""

    days: int = Field(ge=1, le=366)
    unit: DayUnit


class Step(_Strict):
    """One step of an item's flow, in order."""

    id: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]
    name: Text
    kind: StepKind
    actor: Text
    action: Text
    time_limit: TimeLimit | None = Field(
        default=None, description="Null where the source sets no limit."
    )
    time_limit_note: str | None = Field(
        default=None, description="A limit the source states in words, e.g. 每年12月份."
    )
    documents: list[DocumentKind] = Field(default_factory=list)
    public: bool = False
    on_objection: str | None = Field(
        default=None,
        description="A notice step's: the earlier step done again when an objection to the "
        "notice is upheld, as its action says (有异议的重新调查核实); the step before the "
        "notice when not set.",
    )


class Material(_Strict):
    """A material the applicant brings (一次告知)."""

    name: Text
    note: str | None = None


class PublicNotice(_Strict):
    """The public-notice rule of an item."""

    required: bool
    days: int | None = Field(default=None, ge=1, le=60)
    unit: DayUnit = DayUnit.CALENDAR
    scope: str = "村级"
    text: str | None = None


class Handling(_Strict):
    """Who handles the item in the service room, and the contact placeholder."""

    role: Text
    phone: str = Field(
        default="{service_phone}",
        description="Placeholder filled from the village's data when printed.",
    )


class SourceRecord(_Strict):
    """How the item appears in the source document, and what was decided."""

    attachment1_number: int = Field(ge=1)
    attachment1_name: Text
    attachment1_code: Text
    attachment2_code: str | None = None
    attachment2_name: str | None = None
    decisions: list[str] = Field(default_factory=list)


class FieldSource(StrEnum):
    """Where one field of an item comes from."""

    ATTACHMENT_1 = "attachment 1"  # 附件1《基本目录》: code, number, name, category
    ATTACHMENT_2 = "attachment 2 text"  # 附件2 the flows the source spells out
    DRAFTED = "drafted for xwql"  # 起草，待区里确认
    CONFIRMED = "confirmed by the district"  # 经区里发文确认


DRAFT_MARK = "（起草，待确认）"
"""What a printed drafted field carries, so that no reader takes it for the source's."""

_FROM_ATTACHMENT_1 = frozenset({"code", "number", "name", "category"})
_FLOW = frozenset({"steps", "public_notice", "documents"})
CONFIRMABLE = (
    "aspect", "basis", "acting_body", "handling", "steps", "materials", "public_notice",
    "supervision", "accountability", "retention", "documents",
)  # fmt: skip
"""The fields the district can confirm (the others are the source's own)."""

FIELD_LABELS = {
    "aspect": "所属方面", "basis": "行使依据", "acting_body": "行使主体", "handling": "经办",
    "steps": "办理流程及时限", "materials": "申请材料", "public_notice": "公示要求",
    "supervision": "监督", "accountability": "责任追究", "retention": "保管期限",
    "documents": "文书",
}  # fmt: skip
"""The confirmable fields as the catalog's readers know them."""


class Confirmation(_Strict):
    """The district confirming drafted fields of an item by a document (发文确认)."""

    document: Text = Field(description="The confirming document, e.g. 临民字〔2026〕3号")
    date: dt.date = Field(description="From when the confirmed fields rule")
    fields: list[str] = Field(min_length=1)

    @model_validator(mode="after")
    def _known_fields(self) -> Self:
        unknown = sorted(set(self.fields) - set(CONFIRMABLE))
        if unknown:
            raise ValueError(f"cannot confirm {unknown}: confirmable are {list(CONFIRMABLE)}")
        return self


class CatalogItem(_Strict):
    """One power item (小微权力事项).

    Each field says where it comes from (:meth:`field_source`): Attachment 1 gives
    the code, number, name and category of all 50; Attachment 2 spells out four
    flows; everything else was drafted for xwql until the district confirms it
    (``confirmations``).
    """

    code: Code
    number: int = Field(ge=1, le=999)
    name: Text
    category: Text
    aspect: Aspect
    provenance: Provenance
    source: SourceRecord
    aliases: list[str] = Field(default_factory=list)
    basis: list[Text] = Field(min_length=1, description="行使依据")
    acting_body: Text = Field(description="行使主体")
    handling: Handling
    steps: list[Step] = Field(min_length=2)
    materials: list[Material] = Field(default_factory=list)
    public_notice: PublicNotice
    supervision: Text
    accountability: Text
    retention: Retention
    documents: list[DocumentKind] = Field(min_length=1)
    retired: bool = False
    confirmations: list[Confirmation] = Field(default_factory=list)

    def field_source(self, name: str, *, on: dt.date | None = None) -> FieldSource:
        """Where field ``name`` comes from (as of ``on``: a confirmation dated later waits)."""
        if name in _FROM_ATTACHMENT_1:
            return FieldSource.ATTACHMENT_1
        if any(name in c.fields and (on is None or c.date <= on) for c in self.confirmations):
            return FieldSource.CONFIRMED
        if name in _FLOW and self.provenance == Provenance.SOURCE:
            return FieldSource.ATTACHMENT_2
        return FieldSource.DRAFTED

    def drafted(self, name: str, *, on: dt.date | None = None) -> bool:
        """Whether field ``name`` is a draft not confirmed (as of ``on``)."""
        return self.field_source(name, on=on) == FieldSource.DRAFTED

    def marked(self, name: str, text: str, *, on: dt.date | None = None) -> str:
        """``text`` (field ``name`` as printed) with :data:`DRAFT_MARK` when it is a draft then."""
        return f"{DRAFT_MARK}{text}" if self.drafted(name, on=on) else text


class LawDates(_Strict):
    """When a law or policy document cited as 行使依据 was adopted and took effect."""

    promulgated: dt.date
    effective: dt.date
    repealed: dt.date | None = Field(default=None, description="The day it ceased to apply")

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.effective < self.promulgated:
            raise ValueError(f"effective {self.effective} before promulgated {self.promulgated}")
        if self.repealed is not None and self.repealed <= self.effective:
            raise ValueError(f"repealed {self.repealed} before it took effect {self.effective}")
        return self

    def in_force(self, on: dt.date) -> bool:
        """Whether the law applies on ``on``."""
        return self.effective <= on and (self.repealed is None or on < self.repealed)


class LawTable(_Strict):
    """``laws.yaml``: every law the items may cite, by its title as cited (《…》)."""

    laws: dict[str, LawDates] = Field(min_length=1)


class MeetingKind(StrEnum):
    """The kinds of meeting that decide in a village (四议两公开 and the catalog's flows)."""

    PARTY_BRANCH = "党支部会议"
    COMMITTEES = "村“两委”联席会议"
    PARTY_MEMBERS = "党员大会"
    REPRESENTATIVES = "村民代表会议"
    VILLAGERS = "村民会议"
    SUPERVISION = "村务监督委员会会议"


class Share(_Strict):
    """A share a meeting must reach: 三分之二以上 of the members, 过半数 of those present."""

    share: str = Field(pattern=r"^[1-9]\d*/[1-9]\d*$", description="A fraction, e.g. 2/3")
    rule: Literal["at least", "more than"] = Field(
        description="at least: the law's 以上 (the figure itself counts); more than: 过半数"
    )
    of: Literal["members", "adults", "households", "present"]

    def needed(self, base: int) -> int:
        """The smallest count that reaches the share of ``base``."""
        numerator, denominator = (int(part) for part in self.share.split("/"))
        exact, remainder = divmod(numerator * base, denominator)
        if self.rule == "at least":
            return exact + (1 if remainder else 0)
        return exact + 1

    def words(self) -> str:
        """The share as the law says it: 三分之二以上, 过半数."""
        numerator, denominator = (int(part) for part in self.share.split("/"))
        if (numerator, denominator) == (1, 2):
            return "过半数" if self.rule == "more than" else "半数以上"
        fraction = f"{_CHINESE_DIGITS[denominator]}分之{_CHINESE_DIGITS[numerator]}"
        return f"{fraction}以上" if self.rule == "at least" else f"超过{fraction}"


_CHINESE_DIGITS = dict(enumerate("零一二三四五六七八九十"))


class MeetingRule(_Strict):
    """What makes one kind of meeting's decision valid, and where the law says so."""

    quorum: list[Share] = Field(min_length=1, description="Any one of these suffices")
    majority: Share
    source: Text
    drafted: bool = Field(default=False, description="No law sets it: the district confirms")


class FourDiscussions(_Strict):
    """四议两公开: the meetings of a major decision, in their order."""

    item: Code
    order: list[str | list[str]] = Field(min_length=2, description="Kinds; a list: any of them")


class MeetingRules(_Strict):
    """``meetings.yaml``: quorum and majority per kind, actors' meetings, 四议两公开's order."""

    kinds: dict[str, MeetingRule] = Field(min_length=1)
    actors: dict[str, list[str]] = Field(min_length=1)
    four_discussions: FourDiscussions

    @model_validator(mode="after")
    def _kinds_known(self) -> Self:
        every = {kind.value for kind in MeetingKind}
        missing, unknown = sorted(every - set(self.kinds)), sorted(set(self.kinds) - every)
        if missing or unknown:
            raise ValueError(
                f"kinds must be the kinds of meeting: missing {missing}, unknown {unknown}"
            )
        named = [kind for kinds in self.actors.values() for kind in kinds]
        named += [
            k
            for step in self.four_discussions.order
            for k in ([step] if isinstance(step, str) else step)
        ]
        unknown = sorted(set(named) - set(self.kinds))
        if unknown:
            raise ValueError(f"unknown meeting kinds {unknown}: known are {sorted(self.kinds)}")
        return self


class Category(_Strict):
    """A category of Attachment 1 (类别)."""

    number: int = Field(ge=1)
    name: Text
    attachment2_name: str | None = None


class Change(_Strict):
    """One entry of the edition's change log."""

    date: dt.date
    summary: Text


SAMPLE_MARK = "（示例）"
"""What a sample value stood in for an unknown fact carries wherever it is printed."""


class SampleFact(StrEnum):
    """Facts the source does not give, which an edition may fill with a sample value."""

    EFFECTIVE_DATE = "effective_date"  # 施行日期
    SUPERVISION_PHONE = "supervision_phone"  # 监督电话


class Edition(_Strict):
    """A catalog edition (动态管理: items added, changed and retired over time).

    Facts the source does not give are the district's to fill: a missing
    supervision phone stops publishing (:meth:`missing_facts`), and a value
    listed in ``samples`` is printed with :data:`SAMPLE_MARK`.
    """

    version: Text
    effective_date: dt.date
    title: Text
    issuer: Text = Field(description="The bodies that issued the plan, as the source lists them")
    publisher: Text = Field(description="Body that publishes the catalog; its seal is used.")
    document_number: Text
    district: Text
    supervision_phone: Text | None = None
    samples: list[SampleFact] = Field(
        default_factory=list, description="Facts filled with a sample value, not the district's"
    )
    categories: list[Category] = Field(min_length=1)
    changes: list[Change] = Field(min_length=1)
    decisions: list[str] = Field(default_factory=list)

    def shown(self, fact: SampleFact, text: str) -> str:
        """``text`` (the fact as printed) with :data:`SAMPLE_MARK` when it is a sample."""
        return f"{text}{SAMPLE_MARK}" if fact in self.samples else text

    def missing_facts(self) -> list[SampleFact]:
        """Facts a published edition must state that this one does not."""
        return [SampleFact.SUPERVISION_PHONE] if not self.supervision_phone else []
