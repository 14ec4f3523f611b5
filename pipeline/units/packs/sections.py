"""The sections of a monthly pack: each table's rows, its summary line and its template values.

Every row is public: people are named, ID numbers masked and phones and
addresses never shown (the notices' helpers), and free text is masked with the
village's addresses (:meth:`VillageMonth.mask`).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pipeline.cases.meetings import meetings_deciding
from pipeline.cases.model import Case, CaseStatus
from pipeline.cases.objections import ObjectionKind
from pipeline.catalog.load import Catalog
from pipeline.catalog.model import DRAFT_MARK, CatalogItem
from pipeline.documents.render import chinese_date
from pipeline.rules.deadlines import case_due_date, step_due_dates
from pipeline.rules.flow import next_step
from pipeline.rules.violations import RuleId
from pipeline.units.contexts import format_amount, public_rows
from pipeline.units.packs.month import VillageMonth, closed_on, month_days, month_label, placed_at

MONEY_CATEGORIES = ("资金管理", "工资薪酬类", "保障救助")
"""Catalog categories whose cases move money: their results show the amount."""

PACK_TITLE = "村级小微权力“五公开”材料"

_RULE_NAMES: dict[str, str] = {
    RuleId.STEP_ORDER: "办理顺序",
    RuleId.NOTICE_PERIOD: "公示期限",
    RuleId.MEETING_RECORD: "会议记录",
    RuleId.PROXY_AUTHORISATION: "代办委托",
    RuleId.ACTOR: "办理主体",
    RuleId.DATE_ORDER: "办理日期",
}


@dataclass(frozen=True)
class PackAmount:
    """A sum of money published in the pack: a money item's case closed in the month."""

    case_id: str
    item_code: str
    label: str
    value: Decimal


def _item_names(facts: VillageMonth) -> dict[str, CatalogItem]:
    return {item.code: item for item in facts.items}


def _names(case: Case) -> str:
    return "、".join(row["name"] for row in public_rows(case))


def _masked_ids(case: Case) -> str:
    return "、".join(row["id_number"] or "—" for row in public_rows(case))


def list_rows(facts: VillageMonth) -> list[dict[str, str]]:
    """清单公开: the items used, with basis and acting body from the catalog."""
    return [
        {
            "number": str(index),
            "code": item.code,
            "name": item.name,
            "category": item.category,
            "basis": _marked_below(item, "basis", "\n".join(item.basis), facts),
            "acting_body": _marked_below(item, "acting_body", item.acting_body, facts),
            "cases": str(tally.cases),
        }
        for index, (item, tally) in enumerate(zip(facts.items, facts.tallies(), strict=True), 1)
    ]


def _decided_by(case: Case, facts: VillageMonth) -> str:
    """The case's latest meeting in the register: kind, day, attendance and the vote."""
    found = meetings_deciding(case, facts.meetings)
    if not found:
        return "—"
    meeting = found[-1]
    vote = meeting.vote_on(case.case_id)
    assert vote is not None  # meetings_deciding keeps those that voted on it
    return (
        f"{meeting.kind.value}\n{meeting.held_on.month}月{meeting.held_on.day}日\n"
        f"应到{meeting.members}人 实到{meeting.present}人\n"
        f"同意{vote.in_favour} 反对{vote.against} 弃权{vote.abstaining}"
    )


def process_rows(facts: VillageMonth) -> list[dict[str, str]]:
    """过程公开: each active case, the steps done and pending, the due dates, its meeting."""
    items = _item_names(facts)
    rows = []
    for index, case in enumerate(facts.cases, 1):
        item = items[case.item_code]
        names = {step.id: step.name for step in item.steps}
        done = case.steps[-1] if case.steps else None
        current = f"{names.get(done.step, done.step)}\n{chinese_date(done.date)}" if done else "—"
        pending_step = next_step(case, item) if case.status is CaseStatus.OPEN else None
        # Due dates from a drafted flow say so: a reader must not judge a clerk late by them.
        last = month_days(facts.month)[1]
        mark = DRAFT_MARK if item.drafted("steps", on=last) else ""
        if pending_step is None:
            pending = case.status.value
        else:
            due = next(d.due for d in step_due_dates(case, item) if d.step.id == pending_step.id)
            pending = pending_step.name + (f"\n{chinese_date(due)}前{mark}" if due else "")
        promised = case_due_date(case, item)
        rows.append(
            {
                "number": str(index),
                "case_id": facts.mask(case.case_id),
                "item": item.name,
                "applicants": _names(case),
                "received_on": chinese_date(case.received_on),
                "current": current,
                "pending": pending,
                "due": f"{chinese_date(promised)}{mark}" if promised else "无村级时限",
                "meeting": _decided_by(case, facts),
            }
        )
    return rows


def amounts(facts: VillageMonth) -> list[PackAmount]:
    """The money published: amounts of money items' cases closed in the month."""
    items = _item_names(facts)
    return [
        PackAmount(case.case_id, case.item_code, items[case.item_code].name, case.amount)
        for case in facts.closed
        if case.amount is not None and items[case.item_code].category in MONEY_CATEGORIES
    ]


def result_rows(facts: VillageMonth) -> list[dict[str, str]]:
    """结果公开: each case concluded in the month, its result and (money items) amount."""
    items = _item_names(facts)
    money = {entry.case_id: entry.value for entry in amounts(facts)}
    rows = []
    for index, case in enumerate(facts.closed, 1):
        ended = closed_on(case)
        assert ended is not None
        result = facts.mask(case.result or case.decision) or "—"
        if case.status is not CaseStatus.CLOSED:
            result = f"{case.status.value}：{result}"
        rows.append(
            {
                "number": str(index),
                "case_id": facts.mask(case.case_id),
                "item": items[case.item_code].name,
                "applicants": _names(case),
                "id_numbers": _masked_ids(case),
                "closed_on": chinese_date(ended),
                "result": result,
                "amount": format_amount(money.get(case.case_id), missing="—"),
            }
        )
    return rows


def overdue_rows(facts: VillageMonth) -> list[dict[str, str]]:
    """逾期办件: open cases past a step's due date on the month's last day."""
    cases = {case.case_id: case for case in facts.cases}
    return [
        {
            "number": str(index),
            "case_id": facts.mask(late.case_id),
            "item": late.item_name,
            "applicants": _names(cases[late.case_id]),
            "step": late.step_name,
            "due": chinese_date(late.due),
            "working_days": str(late.working_days_late),
            "days": str(late.calendar_days_late),
        }
        for index, late in enumerate(facts.overdue, 1)
    ]


def irregularity_rows(facts: VillageMonth) -> list[dict[str, str]]:
    """违规办理: steps recorded against the rules (forced) in the month."""
    items = _item_names(facts)
    rows = []
    for index, (case, entry) in enumerate(facts.irregularities, 1):
        item = items[case.item_code]
        step = next((s.name for s in item.steps if s.id == entry.step), entry.step)
        rule = _RULE_NAMES.get(entry.rule, entry.rule)
        rows.append(
            {
                "number": str(index),
                "case_id": facts.mask(case.case_id),
                "item": item.name,
                "step": step,
                "date": chinese_date(entry.date),
                "rule": rule,
                "message": facts.mask(entry.message.partition(" / ")[0]),
                "reason": facts.mask(entry.reason),
            }
        )
    return rows


def seal_rows(facts: VillageMonth) -> list[dict[str, str]]:
    """用印登记: the month's register lines of the village's seal."""
    rows = []
    for index, row in enumerate(facts.seal_uses, 1):
        when = placed_at(row["placed_at"])
        rows.append(
            {
                "number": str(index),
                "placed_at": f"{chinese_date(when.date())}\n{when:%H:%M}",
                "document": facts.mask(str(row["document"])),
                "page": str(row["page"]),
                "purpose": facts.mask(str(row["purpose"])),
                "case_id": facts.mask(row["case_id"]) or "—",
                "operator": str(row["operator"]),
            }
        )
    return rows


def _marked_below(item: CatalogItem, field: str, text: str, facts: VillageMonth) -> str:
    """A table cell's text with the draft mark on a line of its own (narrow columns)."""
    drafted = item.drafted(field, on=month_days(facts.month)[1])
    return f"{text}\n{DRAFT_MARK}" if drafted else text


def _list_summary(facts: VillageMonth, count: int) -> str:
    if not count:
        return "本月无办件，未使用清单事项，无流程图。"
    return (
        f"本月{len(facts.cases)}件办件涉及清单事项{count}项。"
        "各事项的行使依据、行使主体如下，办理流程图见第二部分；"
        f"标“{DRAFT_MARK.strip('（）')}”的为清单原文未载、待区里确认的内容。"
    )


def _process_summary(facts: VillageMonth, count: int) -> str:
    return f"本月在办（含本月办结）办件共{count}件。" if count else "本月无办件。"


def _results_summary(facts: VillageMonth, count: int) -> str:
    return f"本月办结办件共{count}件。" if count else "本月无办结办件。"


def _overdue_summary(facts: VillageMonth, count: int) -> str:
    drafted = len(facts.overdue_drafted)
    pending = (
        f"另有{drafted}件超过的是起草中、待区里确认的时限，确认前不在此公开。" if drafted else ""
    )
    if not count:
        return f"截至月末无逾期办件。{pending}"
    return f"截至{chinese_date(month_days(facts.month)[1])}，逾期未办结办件共{count}件。{pending}"


def _irregular_summary(facts: VillageMonth, count: int) -> str:
    return f"本月违规（强制）办理记录共{count}条。" if count else "本月无违规办理情况。"


def objection_rows(facts: VillageMonth) -> list[dict[str, str]]:
    """The month's objections and reports: what about and how handled, never by whom."""
    names = _item_names(facts)
    rows = []
    for index, objection in enumerate(facts.objections, 1):
        item = names.get(objection.item_code or "")
        subject = "村务"
        if objection.case_id is not None:
            about = f"{item.name}（{objection.case_id}）" if item else objection.case_id
            subject = f"{about}公示，核验码 {objection.notice_code}"
        answer = objection.answer
        state = "逾期未答复" if objection.overdue(month_days(facts.month)[1]) else "待答复"
        if answer is not None:
            state = f"{chinese_date(answer.answered_on)}答复：异议{answer.decision.value}"
        rows.append(
            {
                "number": str(index), "receipt": objection.receipt, "kind": objection.kind.value,
                "subject": subject, "received_on": chinese_date(objection.received_on),
                "due_on": chinese_date(objection.due_on), "state": state,
            }
        )  # fmt: skip
    return rows


def _objection_summary(facts: VillageMonth, count: int) -> str:
    if not count:
        return "本月未收到异议或反映。"
    counts = facts.counts
    kinds = Counter(objection.kind for objection in facts.objections)
    return (
        f"本月收到异议{kinds[ObjectionKind.OBJECTION]}件、反映问题{kinds[ObjectionKind.REPORT]}件，"
        f"已答复{counts.objections_answered}件，成立{counts.objections_upheld}件（含部分成立）。"
    )


def _seal_summary(facts: VillageMonth, count: int) -> str:
    if not count:
        return "本月无用印登记。"
    return f"本月“{facts.place.village.seal_text}”印章用印共{count}次。"


def _money_note(facts: VillageMonth) -> str:
    money = amounts(facts)
    if not money:
        return ""
    total = sum((entry.value for entry in money), Decimal(0))
    categories = "、".join(MONEY_CATEGORIES)
    return f"本月办结资金类事项（{categories}）{len(money)}件，金额合计{format_amount(total)}元。"


def _no_note(facts: VillageMonth) -> str:
    return ""


@dataclass(frozen=True)
class TableSection:
    """A table section: its template, heading and title, and how it is filled."""

    template: str
    heading: str
    title: str
    rows: Callable[[VillageMonth], list[dict[str, str]]]
    summary: Callable[[VillageMonth, int], str]
    note: Callable[[VillageMonth], str] = _no_note

    @property
    def bookmark(self) -> str:
        """Its bookmark and contents line, e.g. ``三、过程公开：本月办件办理情况``."""
        return f"{self.heading}：{self.title}"


LIST_SECTION = TableSection(
    "monthly_pack_list", "一、清单公开", "本月办理的小微权力事项", list_rows, _list_summary
)
FLOWCHART_GROUP = "二、制度与流程公开：事项流程图"
TABLE_SECTIONS = (
    TableSection(
        "monthly_pack_process", "三、过程公开", "本月办件办理情况", process_rows,
        _process_summary,
    ),
    TableSection(
        "monthly_pack_results", "四、结果公开", "本月办结事项办理结果", result_rows,
        _results_summary, _money_note,
    ),
    TableSection(
        "monthly_pack_overdue", "五、逾期办件", "截至月末超过时限的办件", overdue_rows,
        _overdue_summary,
    ),
    TableSection(
        "monthly_pack_irregularities", "六、违规办理", "未按规定程序强制办理的情况",
        irregularity_rows, _irregular_summary,
    ),
    TableSection(
        "monthly_pack_seals", "七、用印登记", "本月村委会公章使用登记", seal_rows,
        _seal_summary,
    ),
    TableSection(
        "monthly_pack_objections", "八、异议与反映", "村民异议和反映问题的办理情况",
        objection_rows, _objection_summary,
    ),
)  # fmt: skip


def section_context(section: TableSection, facts: VillageMonth) -> dict[str, Any]:
    """Template values of a table section of the pack."""
    rows = section.rows(facts)
    return {
        "heading": section.heading,
        "title": section.title,
        "place_name": facts.place.full_name,
        "month": month_label(facts.month),
        "summary": section.summary(facts, len(rows)),
        "rows": rows,
        "note": section.note(facts),
    }


def cover_context(facts: VillageMonth, catalog: Catalog, issued_on: dt.date) -> dict[str, Any]:
    """Template values of the pack's cover."""
    counts = facts.counts
    first, last = month_days(facts.month)
    place = facts.place
    edition = catalog.edition
    if counts.cases_active:
        cases_line = (
            f"在办{counts.cases_active}件，其中本月办结{counts.cases_closed}件、"
            f"逾期{counts.overdue}件、违规办理{counts.irregular}件"
        )
        items_line = f"清单事项{counts.items_used}项（流程图附后）"
    else:
        cases_line, items_line = "本月无办件", "无"
    return {
        "place_name": place.full_name,
        "title": PACK_TITLE,
        "month": month_label(facts.month),
        "scope": "清单、制度、流程、过程、结果（五公开）\n逾期办件、违规办理、用印登记、异议与反映",
        "period": f"{chinese_date(first)}至{chinese_date(last)}",
        "cases_line": cases_line,
        "items_line": items_line,
        "edition_line": f"{edition.title}\n{edition.document_number}，版本 {edition.version}",
        # One phone per line: a number is never broken across lines.
        "supervision_line": (
            f"村务监督委员会 {place.district.shown(place.village.supervision_phone)}\n"
            f"区监督电话 {place.district.shown(place.district.supervision_phone)}"
        ),
        "issuer": place.village.committee,
        "issued_on": chinese_date(issued_on),
    }
