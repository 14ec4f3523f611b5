"""The case store: cases, every version of them, their steps, and the seal-use register.

One SQL layer (SQLAlchemy Core) for SQLite (default, a file in the data folder)
and PostgreSQL (``XWQL_DATABASE_URL=postgresql+psycopg://…``). Cases are kept as
their model's JSON plus indexed columns; every change is a new row in
``case_versions``, so the history of every step survives. Importing the same
ledger twice changes nothing: a case whose content hash is unchanged is skipped.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

import sqlalchemy as sa

from pipeline.cases.messages import NO_SUCH_CASE
from pipeline.cases.model import Case, CaseObjection
from pipeline.database import SqlStore
from pipeline.errors import InputInvalid

if TYPE_CHECKING:  # stamping (pikepdf, PDFium, Pillow) is imported by those who stamp
    from pipeline.documents.stamp import SealUse

_metadata = sa.MetaData()

cases_table = sa.Table(
    "cases", _metadata,
    sa.Column("case_id", sa.String(40), primary_key=True),
    sa.Column("item_code", sa.String(8), nullable=False, index=True),
    sa.Column("village", sa.String(24), nullable=False, index=True),
    sa.Column("status", sa.String(8), nullable=False, index=True),
    sa.Column("received_on", sa.Date, nullable=False, index=True),
    sa.Column("content_hash", sa.String(64), nullable=False),
    sa.Column("data", sa.Text, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)  # fmt: skip

versions_table = sa.Table(
    "case_versions", _metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("case_id", sa.String(40), nullable=False, index=True),
    sa.Column("content_hash", sa.String(64), nullable=False),
    sa.Column("data", sa.Text, nullable=False),
    sa.Column("source", sa.String(500), nullable=False),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
)  # fmt: skip

seal_uses_table = sa.Table(
    "seal_uses", _metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("organisation", sa.String(100), nullable=False, index=True),
    sa.Column("document", sa.String(300), nullable=False),
    sa.Column("document_sha256", sa.String(64), nullable=False),
    sa.Column("case_id", sa.String(40), nullable=True, index=True),
    sa.Column("page", sa.Integer, nullable=False),
    sa.Column("purpose", sa.String(300), nullable=False),
    sa.Column("operator", sa.String(60), nullable=False),
    sa.Column("placed_at", sa.DateTime(timezone=True), nullable=False, index=True),
    # The document's own date (the month the use counts in); none on lines written before.
    sa.Column("document_date", sa.Date, nullable=True),
)  # fmt: skip

notices_table = sa.Table(
    "notices", _metadata,
    sa.Column("verification_code", sa.String(16), primary_key=True),
    sa.Column("case_id", sa.String(40), nullable=False, index=True),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("village", sa.String(24), nullable=False),
    sa.Column("item_code", sa.String(8), nullable=False),
    sa.Column("period_start", sa.Date, nullable=True),
    sa.Column("period_end", sa.Date, nullable=True),
    sa.Column("issued_on", sa.Date, nullable=False),
    sa.Column("public_sha256", sa.String(64), nullable=False),
    sa.Column("public_file", sa.String(300), nullable=False),
)  # fmt: skip


class Change(StrEnum):
    """What saving a case did."""

    ADDED = "added"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class CaseVersion:
    """One recorded version of a case."""

    content_hash: str
    source: str
    recorded_at: dt.datetime
    case: Case


@dataclass(frozen=True)
class IssuedNotice:
    """A notice as registered for verification (核验)."""

    verification_code: str
    case_id: str
    kind: str
    village: str
    item_code: str
    period_start: dt.date | None
    period_end: dt.date | None
    issued_on: dt.date
    public_sha256: str
    public_file: str


def case_data(case: Case, *, objections: bool = False) -> dict[str, object]:
    """The case as its hashes take it: JSON data, without advice when it has none.

    A case without advice hashes as before advice was kept, so nothing made from
    the cases stored then is seen as changed. With ``objections``, empty objections
    are kept (the monthly packs hashed them so); else left out likewise.
    """
    empty = set() if case.advisories else {"advisories"}
    if not objections and not case.objections:
        empty.add("objections")
    return case.model_dump(mode="json", exclude=empty)


def content_hash(case: Case) -> str:
    """SHA-256 of the case's canonical JSON (see :func:`case_data`)."""
    canonical = json.dumps(case_data(case), ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class CaseStore(SqlStore):
    """Cases in SQL. Create with ``CaseStore(url)``; tables are created on first use."""

    metadata = _metadata

    def save(self, case: Case, *, source: str) -> Change:
        """Insert or update ``case``; an unchanged case is left alone."""
        digest = content_hash(case)
        data = case.model_dump_json()
        now = _now()
        with self.engine.begin() as db:
            current = db.execute(
                sa.select(cases_table.c.content_hash).where(cases_table.c.case_id == case.case_id)
            ).scalar_one_or_none()
            if current == digest:
                return Change.UNCHANGED
            values = {
                "item_code": case.item_code, "village": case.village, "status": case.status.value,
                "received_on": case.received_on, "content_hash": digest, "data": data,
                "updated_at": now,
            }  # fmt: skip
            if current is None:
                db.execute(sa.insert(cases_table).values(case_id=case.case_id, **values))
            else:
                db.execute(
                    sa.update(cases_table)
                    .where(cases_table.c.case_id == case.case_id)
                    .values(**values)
                )
            db.execute(
                sa.insert(versions_table).values(
                    case_id=case.case_id, content_hash=digest, data=data, source=source,
                    recorded_at=now,
                )
            )  # fmt: skip
        return Change.ADDED if current is None else Change.UPDATED

    def get(self, case_id: str) -> Case:
        """The case with ``case_id``; ``InputInvalid`` if there is none."""
        with self.engine.connect() as db:
            data = db.execute(
                sa.select(cases_table.c.data).where(cases_table.c.case_id == case_id)
            ).scalar_one_or_none()
        if data is None:
            raise InputInvalid(NO_SUCH_CASE(case=case_id))
        return Case.model_validate_json(data)

    def find(
        self,
        *,
        village: str | None = None,
        item_code: str | None = None,
        status: str | None = None,
    ) -> list[Case]:
        """Cases matching every filter given, by received date then id."""
        query = sa.select(cases_table.c.data).order_by(
            cases_table.c.received_on, cases_table.c.case_id
        )
        for column, value in (
            (cases_table.c.village, village),
            (cases_table.c.item_code, item_code),
            (cases_table.c.status, status),
        ):
            if value is not None:
                query = query.where(column == value)
        with self.engine.connect() as db:
            return [Case.model_validate_json(row) for row in db.execute(query).scalars()]

    def history(self, case_id: str) -> list[CaseVersion]:
        """Every recorded version of a case, oldest first."""
        query = (
            sa.select(versions_table)
            .where(versions_table.c.case_id == case_id)
            .order_by(versions_table.c.id)
        )
        with self.engine.connect() as db:
            return [
                CaseVersion(
                    content_hash=row.content_hash,
                    source=row.source,
                    recorded_at=row.recorded_at,
                    case=Case.model_validate_json(row.data),
                )
                for row in db.execute(query)
            ]

    def record_seal_use(self, use: SealUse, *, document_sha256: str, case_id: str | None) -> None:
        """Write one line of the seal-use register (用印登记)."""
        with self.engine.begin() as db:
            db.execute(
                sa.insert(seal_uses_table).values(
                    organisation=use.organisation, document=use.document,
                    document_sha256=document_sha256, case_id=case_id, page=use.page,
                    purpose=use.purpose, operator=use.operator, placed_at=use.placed_at,
                    document_date=use.dated,
                )
            )  # fmt: skip

    def seal_uses(self, *, organisation: str | None = None) -> list[dict[str, object]]:
        """The seal-use register, oldest first."""
        query = sa.select(seal_uses_table).order_by(seal_uses_table.c.id)
        if organisation is not None:
            query = query.where(seal_uses_table.c.organisation == organisation)
        with self.engine.connect() as db:
            return [dict(row._mapping) for row in db.execute(query)]

    def register_notice(self, notice: IssuedNotice) -> None:
        """Record an issued notice under its verification code (idempotent)."""
        with self.engine.begin() as db:
            exists = db.execute(
                sa.select(notices_table.c.verification_code).where(
                    notices_table.c.verification_code == notice.verification_code
                )
            ).scalar_one_or_none()
            if exists is None:
                db.execute(sa.insert(notices_table).values(**notice.__dict__))
            else:
                db.execute(
                    sa.update(notices_table)
                    .where(notices_table.c.verification_code == notice.verification_code)
                    .values(public_sha256=notice.public_sha256, public_file=notice.public_file)
                )

    def notice(self, verification_code: str) -> IssuedNotice | None:
        """The notice issued under a verification code, if any."""
        with self.engine.connect() as db:
            row = db.execute(
                sa.select(notices_table).where(
                    notices_table.c.verification_code == verification_code.strip().upper()
                )
            ).one_or_none()
        return IssuedNotice(**row._mapping) if row is not None else None

    def notices_of_village(self, village: str) -> list[IssuedNotice]:
        """Every notice issued for ``village`` (its code), newest first."""
        query = (
            sa.select(notices_table)
            .where(notices_table.c.village == village)
            .order_by(notices_table.c.issued_on.desc(), notices_table.c.verification_code)
        )
        with self.engine.connect() as db:
            return [IssuedNotice(**row._mapping) for row in db.execute(query)]

    def save_all(self, cases: Sequence[Case], *, source: str) -> dict[Change, int]:
        """Save many cases from a ledger; count what happened to them.

        A ledger never carries objections (they come from the board), so a case
        imported again keeps the objections recorded on it.
        """
        kept = self._objections_of([case.case_id for case in cases])
        counts = dict.fromkeys(Change, 0)
        for case in cases:
            if not case.objections and case.case_id in kept:
                case = case.model_copy(update={"objections": kept[case.case_id]})
            counts[self.save(case, source=source)] += 1
        return counts

    def _objections_of(self, case_ids: Sequence[str]) -> dict[str, list[CaseObjection]]:
        """The objections stored on these cases, of those that have any (one query)."""
        # A case's JSON names its objections as "objections":[{…}] when it has some.
        query = sa.select(cases_table.c.data).where(
            cases_table.c.case_id.in_(list(case_ids)),
            cases_table.c.data.contains('"objections":[{'),
        )
        with self.engine.connect() as db:
            stored = [Case.model_validate_json(data) for data in db.execute(query).scalars()]
        return {case.case_id: case.objections for case in stored}
