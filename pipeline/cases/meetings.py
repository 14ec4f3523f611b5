"""Meetings (会议) as data: who met, how many of how many, what they voted, which cases.

A decision step of a case names its meeting by number (``StepRecord.meeting_record``);
the meeting itself is kept once per village and number, from the ledger's 会议记录
sheet (or ``<name>-会议记录.csv``, or a JSON ledger's ``meetings``). Whether it could
decide — quorum and majority for its kind, from ``catalog/meetings.yaml`` — is judged by
:mod:`pipeline.rules.meetings`; here only what a meeting record must hold together.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from pipeline.cases.model import CaseId, Name

MeetingNumber = Annotated[
    str, StringConstraints(min_length=1, max_length=60, strip_whitespace=True)
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MeetingKind(StrEnum):
    """The kinds of meeting that decide in a village (四议两公开 and the catalog's flows)."""

    PARTY_BRANCH = "党支部会议"
    COMMITTEES = "村“两委”联席会议"
    PARTY_MEMBERS = "党员大会"
    REPRESENTATIVES = "村民代表会议"
    VILLAGERS = "村民会议"
    SUPERVISION = "村务监督委员会会议"


class TopicVote(_Model):
    """One topic (议题) of a meeting and its vote (表决)."""

    topic: str = Field(min_length=1, max_length=200)
    case_id: CaseId | None = Field(default=None, description="The case the topic decided")
    in_favour: int = Field(ge=0, description="同意")
    against: int = Field(default=0, ge=0, description="反对")
    abstaining: int = Field(default=0, ge=0, description="弃权")

    @property
    def votes(self) -> int:
        """Every vote cast on the topic."""
        return self.in_favour + self.against + self.abstaining


class Meeting(_Model):
    """A village meeting as its minutes (会议记录) record it."""

    number: MeetingNumber = Field(description="会议记录编号, e.g. 南马村〔2026〕3号会议记录")
    village: str = Field(description="Village code, e.g. QL-NM")
    kind: MeetingKind
    held_on: dt.date
    place: str = Field(min_length=1, max_length=100)
    chair: Name = Field(description="主持人")
    recorder: Name = Field(description="记录人")
    members: int = Field(ge=1, le=5000, description="应到: members in office (组成人员)")
    present: int = Field(ge=0, le=5000, description="实到")
    attendees: list[Name] = Field(default_factory=list, description="到会人员 (names)")
    topics: list[TopicVote] = Field(min_length=1)
    resolution: str = Field(default="", max_length=2000, description="决议")

    @model_validator(mode="after")
    def _counts_hold_together(self) -> Meeting:
        if self.present > self.members:
            raise ValueError(f"实到 {self.present} 人多于应到 {self.members} 人")
        if self.attendees and len(self.attendees) != self.present:
            raise ValueError(f"到会人员列了 {len(self.attendees)} 人，实到却是 {self.present} 人")
        for topic in self.topics:
            if topic.votes > self.present:
                raise ValueError(
                    f"议题“{topic.topic}”的表决票数 {topic.votes} 多于实到 {self.present} 人"
                )
        return self

    @property
    def cases(self) -> list[str]:
        """The cases the meeting decided, in topic order."""
        return [topic.case_id for topic in self.topics if topic.case_id]

    def vote_on(self, case_id: str) -> TopicVote | None:
        """The topic that decided ``case_id``, if the meeting decided it."""
        return next((topic for topic in self.topics if topic.case_id == case_id), None)
