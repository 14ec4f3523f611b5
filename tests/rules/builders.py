"""Cases and step records built with the pydantic case model, for the rules tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pipeline.cases.model import Case, Person, StepRecord
from pipeline.catalog.model import CatalogItem
from pipeline.rules.flow import apply_step


def make_case(item_code: str, received_on: dt.date, **fields: Any) -> Case:
    values: dict[str, Any] = {
        "case_id": "QL-NM-2026-001",
        "item_code": item_code,
        "village": "QL-NM",
        "applicants": [Person(name="王𠮷", id_number="370305198001011234")],
        "first_contact_officer": "李娜",
        "received_on": received_on,
    }
    values.update(fields)
    return Case(**values)


def record(step: str, actor: str, date: dt.date, **fields: Any) -> StepRecord:
    return StepRecord(step=step, actor=actor, date=date, **fields)


def run(case: Case, item: CatalogItem, *records: StepRecord) -> Case:
    """The case after ``records`` are applied, each of which must be accepted."""
    for step_record in records:
        case = apply_step(case, item, step_record)
    return case


D = dt.date

# A 低保申请 (xwql-022) case that follows every rule, notice included.
LOW_INCOME_STEPS = [
    record("apply", "申请人", D(2025, 3, 3)),
    record("accept", "村便民服务室民政协理员", D(2025, 3, 3)),
    record("investigate", "镇（街道）调查人员", D(2025, 3, 5)),
    record("democratic_review", "村民委员会", D(2025, 3, 10), meeting_record="QL-NM-2025-评议-03"),
    record("town_review", "镇（街道）", D(2025, 3, 12)),
    record("notice", "村民委员会", D(2025, 3, 13)),
    record("confirm", "区民政局", D(2025, 3, 20)),
    record("result", "村民委员会", D(2025, 3, 25)),
]
