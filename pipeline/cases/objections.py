"""Objections (异议) and reports (反映问题) from villagers, kept in the database.

An objection is made to a posted notice, on the board; a report goes to the
village's supervision committee (村务监督委员会) about any village matter. Either
gets a receipt code the villager follows it with, and an answer the committee
must give in time. The objector's name, phone and photo are kept here only: the
case's record (:class:`~pipeline.cases.model.CaseObjection`) and every public page
leave them out.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import StrEnum

import sqlalchemy as sa

from pipeline.cases.messages import ALREADY_ANSWERED, NO_SUCH_OBJECTION
from pipeline.cases.model import Case, CaseObjection, ObjectionAnswer, ObjectionDecision
from pipeline.database import SqlStore, as_utc
from pipeline.errors import InputInvalid

_CHINA_TIME = dt.timezone(dt.timedelta(hours=8))
"""China's time (no summer time), for the start of a day known only by its date."""

_metadata = sa.MetaData()

objections_table = sa.Table(
    "objections", _metadata,
    sa.Column("receipt", sa.String(9), primary_key=True),
    sa.Column("kind", sa.String(8), nullable=False),
    sa.Column("village", sa.String(24), nullable=False, index=True),
    sa.Column("case_id", sa.String(40), nullable=True, index=True),
    sa.Column("notice_code", sa.String(9), nullable=True, index=True),
    sa.Column("notice_step", sa.String(60), nullable=True),
    sa.Column("item_code", sa.String(8), nullable=True),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("contact_name", sa.String(60), nullable=True),
    sa.Column("contact_phone", sa.String(30), nullable=True),
    sa.Column("photo", sa.LargeBinary, nullable=True),
    sa.Column("photo_type", sa.String(20), nullable=True),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("received_on", sa.Date, nullable=False),
    sa.Column("in_period", sa.Boolean, nullable=False),
    sa.Column("due_on", sa.Date, nullable=False, index=True),
    sa.Column("findings", sa.Text, nullable=True),
    sa.Column("decision", sa.String(8), nullable=True),
    sa.Column("answered_on", sa.Date, nullable=True),
    sa.Column("answered_by", sa.String(60), nullable=True),
    sa.Column("steps_before", sa.Integer, nullable=True),
    sa.Column("archival_code", sa.String(80), nullable=True),
)  # fmt: skip


class ObjectionKind(StrEnum):
    """What a villager sent."""

    OBJECTION = "异议"  # to a notice, while its period runs
    REPORT = "反映问题"  # to the supervision committee, about a village matter


@dataclass(frozen=True)
class Objection:
    """One objection or report, with the objector's contact details (internal).

    Attributes:
        receipt: The receipt code (回执码) the villager follows it with.
        kind: An objection to a notice, or a report.
        village: The village's code.
        case_id: The case whose notice it objects to (objections only).
        notice_code: That notice's verification code (核验码).
        notice_step: That notice's step in the case's item.
        item_code: The case's item.
        text: What the villager wrote, as written.
        contact_name: The name the villager gave, if any.
        contact_phone: The phone the villager gave, if any.
        photo_type: The photo's media type, when one came with it.
        received_at: When it arrived (UTC).
        received_on: The day it arrived, in China.
        in_period: Sent while the notice's period ran (it then blocks the case).
        due_on: The last day the committee may answer on.
        answer: The committee's handling, once recorded.
        archival_code: Its package in the archive, once filed.
    """

    receipt: str
    kind: ObjectionKind
    village: str
    case_id: str | None
    notice_code: str | None
    notice_step: str | None
    item_code: str | None
    text: str
    contact_name: str | None
    contact_phone: str | None
    photo_type: str | None
    received_at: dt.datetime
    received_on: dt.date
    in_period: bool
    due_on: dt.date
    answer: ObjectionAnswer | None = None
    archival_code: str | None = None

    def overdue(self, today: dt.date) -> bool:
        """Whether it is still unanswered after its last day."""
        return self.answer is None and today > self.due_on

    def as_data(self) -> dict[str, object]:
        """Everything kept of it as plain JSON data (what its archived record is made from)."""
        data = dataclasses.asdict(self)
        data["answer"] = self.answer.model_dump(mode="json") if self.answer else None
        return {key: _plain(value) for key, value in data.items()}

    def as_of(self, day: dt.date) -> Objection:
        """The objection as it stood at the end of ``day`` (an answer given later left out)."""
        if self.answer is not None and self.answer.answered_on > day:
            return dataclasses.replace(self, answer=None)
        return self

    @classmethod
    def of_case(cls, case: Case, kept: CaseObjection) -> Objection:
        """An objection as the case's record keeps it: no contact details, no photo."""
        return cls(
            receipt=kept.receipt, kind=ObjectionKind.OBJECTION, village=case.village,
            case_id=case.case_id, notice_code=kept.notice_code, notice_step=kept.notice_step,
            item_code=case.item_code, text=kept.text, contact_name=None, contact_phone=None,
            photo_type=None,
            received_at=dt.datetime.combine(kept.received_on, dt.time(), _CHINA_TIME),
            received_on=kept.received_on, in_period=kept.in_period, due_on=kept.due_on,
            answer=kept.answer,
        )  # fmt: skip


class ObjectionStore(SqlStore):
    """Objections and reports in SQL (the same database as the cases)."""

    metadata = _metadata

    def add(self, objection: Objection, *, photo: bytes | None = None) -> None:
        """Keep a new objection (and its photo)."""
        values = {
            key: value for key, value in objection.__dict__.items() if key not in ("answer", "kind")
        }
        with self.engine.begin() as db:
            db.execute(
                sa.insert(objections_table).values(**values, kind=objection.kind.value, photo=photo)
            )

    def get(self, receipt: str) -> Objection:
        """The objection with ``receipt``.

        Raises:
            InputInvalid: There is none.
        """
        found = self._select(objections_table.c.receipt == receipt)
        if not found:
            raise InputInvalid(NO_SUCH_OBJECTION(receipt=receipt))
        return found[0]

    def photo(self, receipt: str) -> bytes | None:
        """The photo sent with an objection, if any."""
        with self.engine.connect() as db:
            photo: bytes | None = db.execute(
                sa.select(objections_table.c.photo).where(objections_table.c.receipt == receipt)
            ).scalar_one_or_none()
        return photo

    def find(
        self,
        *,
        villages: Iterable[str] | None = None,
        case_id: str | None = None,
        answered: bool | None = None,
    ) -> list[Objection]:
        """Objections matching every filter given, oldest first."""
        conditions: list[sa.ColumnElement[bool]] = []
        if villages is not None:
            conditions.append(objections_table.c.village.in_(list(villages)))
        if case_id is not None:
            conditions.append(objections_table.c.case_id == case_id)
        if answered is not None:
            column = objections_table.c.answered_on
            conditions.append(column.is_not(None) if answered else column.is_(None))
        return self._select(*conditions)

    def record_answer(self, receipt: str, answer: ObjectionAnswer) -> Objection:
        """Record the committee's handling of an objection (once).

        Raises:
            InputInvalid: No such objection, or it was answered already.
        """
        with self.engine.begin() as db:
            done = db.execute(
                sa.update(objections_table)
                .where(
                    objections_table.c.receipt == receipt,
                    objections_table.c.answered_on.is_(None),
                )
                .values(
                    findings=answer.findings, decision=answer.decision.value,
                    answered_on=answer.answered_on, answered_by=answer.answered_by,
                    steps_before=answer.steps_before,
                )
            ).rowcount  # fmt: skip
        objection = self.get(receipt)
        if not done:
            raise InputInvalid(ALREADY_ANSWERED(receipt=receipt))
        return objection

    def mark_archived(self, receipt: str, archival_code: str) -> Objection:
        """Note the package an objection was filed in."""
        with self.engine.begin() as db:
            db.execute(
                sa.update(objections_table)
                .where(objections_table.c.receipt == receipt)
                .values(archival_code=archival_code)
            )
        return replace(self.get(receipt), archival_code=archival_code)

    def _select(self, *conditions: sa.ColumnElement[bool]) -> list[Objection]:
        columns = [c for c in objections_table.c if c.name != "photo"]
        query = sa.select(*columns).where(*conditions).order_by(objections_table.c.received_at)
        with self.engine.connect() as db:
            return [_objection(row._mapping) for row in db.execute(query)]


def _plain(value: object) -> object:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value.value if isinstance(value, StrEnum) else value


def _objection(row: sa.RowMapping) -> Objection:
    answer = None
    if row["answered_on"] is not None:
        answer = ObjectionAnswer(
            findings=row["findings"], decision=ObjectionDecision(row["decision"]),
            answered_on=row["answered_on"], answered_by=row["answered_by"],
            steps_before=row["steps_before"],
        )  # fmt: skip
    fields = {
        key: row[key]
        for key in Objection.__dataclass_fields__
        if key not in ("answer", "kind", "received_at")
    }
    return Objection(
        **fields,
        kind=ObjectionKind(row["kind"]),
        received_at=as_utc(row["received_at"]),
        answer=answer,
    )
