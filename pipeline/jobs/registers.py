"""The village's registers: the seal-use register (用印登记) and the overdue list (限时办结).

One function each, called alike by ``xwql seals``, ``xwql cases overdue`` and the
workspace's registers page: given the villages a face may show (a clerk's one, an
office's town; None for the whole store), each reads the case store and returns
the register's lines.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pipeline.organisations import Place
from pipeline.rules.deadlines import Overdue, overdue
from pipeline.units.packs.month import placed_at
from pipeline.workspace import Workspace


@dataclass(frozen=True)
class SealUseLine:
    """One seal placed on a document: a line of the seal-use register.

    Attributes:
        id: The line's number in the register (the order seals were placed in).
        placed_at: When, in China time (as written, where the database keeps no zone).
        organisation: The seal's text.
        village: The code of the village whose seal it is (None: the district's or
            a town's seal, e.g. on the catalog booklet's cover).
        document: The stamped document's file name.
        document_sha256: The stamped document's SHA-256.
        case_id: The case the document belongs to (None: not a case's document).
        page: The page the seal is on (1-based).
        purpose: What it was placed for (事由).
        operator: Who placed it (经办人).
    """

    id: int
    placed_at: dt.datetime
    organisation: str
    village: str | None
    document: str
    document_sha256: str
    case_id: str | None
    page: int
    purpose: str
    operator: str

    def as_dict(self) -> dict[str, object]:
        """The line as plain data (``xwql seals --json``)."""
        return dataclasses.asdict(self)


def seal_register(
    workspace: Workspace, villages: Sequence[Place] | None = None
) -> list[SealUseLine]:
    """The seal-use register of ``villages`` (None: every seal xwql placed), oldest first.

    Raises:
        InputInvalid: A line's time cannot be read back from the database.
    """
    seals = {place.village.seal_text: place.village.code for place in workspace.directory.villages}
    if villages is None:
        rows = workspace.store.seal_uses()
    else:
        rows = [
            row
            for place in villages
            for row in workspace.store.seal_uses(organisation=place.village.seal_text)
        ]
    lines = [_line(row, seals) for row in rows]
    return sorted(lines, key=lambda line: line.id)


def _line(row: Mapping[str, Any], seals: Mapping[str, str]) -> SealUseLine:
    """A row of the store's register as a line, its village named by its seal."""
    return SealUseLine(
        id=int(row["id"]), placed_at=placed_at(row["placed_at"]),
        organisation=row["organisation"], village=seals.get(row["organisation"]),
        document=row["document"], document_sha256=row["document_sha256"],
        case_id=row["case_id"], page=int(row["page"]), purpose=row["purpose"],
        operator=row["operator"],
    )  # fmt: skip


def overdue_register(
    workspace: Workspace, today: dt.date, villages: Sequence[Place] | None = None
) -> list[Overdue]:
    """The open cases of ``villages`` (None: all) past a step's deadline on ``today``.

    Deadlines count working days on the PRC calendar where the step's limit does
    (:mod:`pipeline.rules.deadlines`); the most late come first.

    Raises:
        UnknownItem: A case's item is not in the catalog.
        CalendarNotCovered: A working-day count falls in a year the calendar lacks.
    """
    if villages is None:
        cases = workspace.store.find()
    else:
        cases = [
            case for place in villages for case in workspace.store.find(village=place.village.code)
        ]
    return overdue(cases, workspace.catalog, today)
