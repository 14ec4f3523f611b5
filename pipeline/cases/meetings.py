"""Meetings (会议) as data: who met, how many of how many, what they voted, which cases.

A decision step of a case names its meeting by number (``StepRecord.meeting_record``);
the meeting itself is kept once per village and number, from the ledger's 会议记录
sheet (or ``<name>-会议记录.csv``, or a JSON ledger's ``meetings``). Whether it could
decide — quorum and majority for its kind, from ``catalog/meetings.yaml`` — is judged by
:mod:`pipeline.rules.meetings`; here only what a meeting record must hold together.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from typing import Annotated

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from pipeline.cases.model import Case, CaseId, Name
from pipeline.cases.store import Change
from pipeline.catalog.model import MeetingKind
from pipeline.database import SqlStore

MeetingNumber = Annotated[
    str, StringConstraints(min_length=1, max_length=60, strip_whitespace=True)
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


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
    # A 村民会议 counts the village's adults: tens of thousands in a large community.
    members: int = Field(ge=1, le=99999, description="应到: members in office (组成人员)")
    present: int = Field(ge=0, le=99999, description="实到")
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


def meetings_deciding(case: Case, register: Mapping[str, Meeting]) -> list[Meeting]:
    """The registered meetings that voted on ``case``, in the order its steps name them."""
    named = dict.fromkeys((r.meeting_record or "").strip() for r in case.steps)
    found = [register[number] for number in named if number in register]
    return [meeting for meeting in found if meeting.vote_on(case.case_id) is not None]


_metadata = sa.MetaData()

meetings_table = sa.Table(
    "meetings", _metadata,
    sa.Column("village", sa.String(24), primary_key=True),
    sa.Column("number", sa.String(60), primary_key=True),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("held_on", sa.Date, nullable=False, index=True),
    sa.Column("content_hash", sa.String(64), nullable=False),
    sa.Column("data", sa.Text, nullable=False),
    sa.Column("source", sa.String(500), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)  # fmt: skip


class MeetingStore(SqlStore):
    """The meeting register in SQL (the same database as the cases), one per village."""

    metadata = _metadata

    def save(self, meeting: Meeting, *, source: str) -> Change:
        """Keep ``meeting`` (by village and number); the same minutes again change nothing."""
        data = meeting.model_dump_json()
        digest = hashlib.sha256(data.encode("utf-8")).hexdigest()
        key = (meetings_table.c.village == meeting.village) & (
            meetings_table.c.number == meeting.number
        )
        with self.engine.begin() as db:
            current = db.execute(
                sa.select(meetings_table.c.content_hash).where(key)
            ).scalar_one_or_none()
            if current == digest:
                return Change.UNCHANGED
            values = {
                "kind": meeting.kind.value, "held_on": meeting.held_on, "content_hash": digest,
                "data": data, "source": source, "updated_at": self.now(),
            }  # fmt: skip
            if current is None:
                db.execute(
                    sa.insert(meetings_table).values(
                        village=meeting.village, number=meeting.number, **values
                    )
                )
            else:
                db.execute(sa.update(meetings_table).where(key).values(**values))
        return Change.ADDED if current is None else Change.UPDATED

    def of_village(self, village: str) -> dict[str, Meeting]:
        """The village's meetings (its code), by number, the earliest held first."""
        query = (
            sa.select(meetings_table.c.data)
            .where(meetings_table.c.village == village)
            .order_by(meetings_table.c.held_on, meetings_table.c.number)
        )
        with self.engine.connect() as db:
            found = [Meeting.model_validate_json(row) for row in db.execute(query).scalars()]
        return {meeting.number: meeting for meeting in found}
