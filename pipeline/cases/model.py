"""The case model, defined once and shared by intake, rules, templates, archive and index.

Names, reasons and addresses take any Unicode a clerk types (rare characters such
as 𠮷 and 䶮, emoji, ``<script>&``); they are stored and printed literally.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

CaseId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$")]
ItemCode = Annotated[str, StringConstraints(pattern=r"^xwql-\d{3}$")]
Name = Annotated[str, StringConstraints(min_length=1, max_length=60, strip_whitespace=True)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Person(_Model):
    """An applicant (申请人) or household head; full data, masked only when printed publicly."""

    name: Name
    id_number: str | None = Field(default=None, description="居民身份证号, 18 digits (or 15, old)")
    phone: str | None = None
    address: str | None = Field(default=None, max_length=200)
    household_size: int | None = Field(default=None, ge=1, le=30)


class Proxy(_Model):
    """A cadre filing on a villager's behalf (村民事务干部代办)."""

    name: Name
    authorised_on: dt.date | None = Field(
        default=None, description="Date of the villager's written authorisation (代办委托书)"
    )


class StepRecord(_Model):
    """One step taken: which catalog step, by whom, when, with what outcome."""

    step: str = Field(description="Step id in the catalog item, e.g. village_review")
    actor: Name = Field(description="The body that acted, one of the catalog step's actors")
    operator: Name | None = Field(default=None, description="The person who did it (经办人)")
    date: dt.date
    outcome: str = ""
    note: str = ""
    meeting_record: str | None = Field(
        default=None, description="Number or title of the meeting record (decision steps)"
    )
    forced_reason: str | None = Field(
        default=None, description="Why an administrator forced a step the rules refused"
    )
    by_proxy: bool = False


class Advisory(_Model):
    """A step that departs from a drafted flow (起草中、待确认的流程): advice, not a refusal.

    Recorded on the case and shown to the clerk and the supervision committee, never
    in the public pack: the district has not confirmed the rule it rests on.
    """

    step: str
    date: dt.date
    rule: str
    message: str


class Irregularity(Advisory):
    """A rule broken on purpose (forced) or found late: shown to the supervision committee."""

    reason: str


class ObjectionDecision(StrEnum):
    """What the supervision committee (村务监督委员会) found an objection to be."""

    UPHELD = "成立"
    PARTLY_UPHELD = "部分成立"
    NOT_UPHELD = "不成立"

    @property
    def sends_back(self) -> bool:
        """Whether the case goes back to be checked again (有异议的重新核实)."""
        return self is not ObjectionDecision.NOT_UPHELD


class ObjectionAnswer(_Model):
    """How the supervision committee handled an objection (异议处理)."""

    findings: str = Field(min_length=1, max_length=2000, description="核实情况: what it found")
    decision: ObjectionDecision = Field(description="处理意见: upheld, partly or not")
    answered_on: dt.date
    answered_by: Name = Field(description="The supervisor who recorded the handling")
    steps_before: int = Field(
        ge=0, description="Steps the case had when answered: an upheld objection restarts there"
    )


class CaseObjection(_Model):
    """An objection to one of the case's notices, as the case's record keeps it.

    The objector's name and phone are not here: they stay in the objection's own
    record (``pipeline.cases.objections``), read only by the supervision committee.
    """

    receipt: str = Field(description="The receipt code the villager follows it with")
    notice_step: str = Field(description="The notice (公示) step objected to")
    notice_code: str = Field(description="The posted sheet's verification code (核验码)")
    received_on: dt.date
    due_on: dt.date = Field(description="The last day the committee may answer on")
    in_period: bool = Field(description="Received while the notice's period ran: it blocks")
    steps_before: int = Field(ge=0, description="Steps the case had when it was received")
    text: str = Field(max_length=2000)
    answer: ObjectionAnswer | None = None


class CaseStatus(StrEnum):
    """Where a case stands."""

    OPEN = "办理中"
    CLOSED = "已办结"
    REJECTED = "不予受理"
    WITHDRAWN = "已撤回"


class Case(_Model):
    """A case (办件) of one catalog item in one village."""

    case_id: CaseId
    item_code: ItemCode
    village: str = Field(description="Village code, e.g. QL-NM")
    applicants: list[Person] = Field(min_length=1)
    first_contact_officer: Name = Field(description="首问负责人")
    proxy: Proxy | None = None
    received_on: dt.date
    reason: str = Field(default="", max_length=500, description="事由")
    materials_received: list[str] = Field(default_factory=list)
    amount: Decimal | None = Field(default=None, ge=0, max_digits=14, decimal_places=2)
    steps: list[StepRecord] = Field(default_factory=list)
    decision: str | None = None
    result: str | None = None
    status: CaseStatus = CaseStatus.OPEN
    irregularities: list[Irregularity] = Field(default_factory=list)
    advisories: list[Advisory] = Field(
        default_factory=list, description="Departures from drafted flows (advice only)"
    )
    objections: list[CaseObjection] = Field(
        default_factory=list, description="Objections to its notices, recorded from the board"
    )

    @property
    def applicant(self) -> Person:
        """The first applicant: the one notices name."""
        return self.applicants[0]
