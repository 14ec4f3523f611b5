"""The monthly disclosure pack (月度公开材料, 五公开) of a village, and the district summary.

For the town and district office (scenario 2): for one village and one month, a
single collated PDF/A-2b with a stamped cover, a table of contents, page numbers
(``— 7 —``) and one bookmarked section per part of the 五公开:

1. 清单公开 — the catalog items the village's cases used, with basis and acting body;
2. 制度与流程公开 — those items' flowchart pages, each rendered once per catalog
   edition and kept in a cache folder (the booklet's own pages and cache key: the
   item's data, the edition and the template), so a district month with dozens of
   villages converts each item's page once;
3. 过程公开 — every case active in the month, with its steps done, the step it waits
   for and the due dates;
4. 结果公开 — the cases closed in the month with their decision or result, and the
   amount of money items (资金管理, 工资薪酬类, 保障救助);
5. 逾期办件 — open cases past a step's due date on the month's last day;
6. 违规办理 — the irregularities (steps forced against the rules) of the month;
7. 用印登记 — the month's seal-use register lines of the village's seal.

Cases are read as they stood at the end of the month: steps dated later are left
out, so a pack rebuilt later shows the same month. The pack is a public document:
people are named, ID numbers masked and phones and addresses never shown (the
notices' helpers), free text is masked, and the finished PDF goes through the
notices' privacy guard. The district summary counts the same per town, village
and item (PDF, and an ``.xlsx`` for the office).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.styles import Font

from pipeline.cases.model import Case, CaseStatus, Irregularity
from pipeline.cases.privacy import mask_text
from pipeline.catalog.load import Catalog
from pipeline.catalog.model import CatalogItem
from pipeline.documents.collate import DocumentInfo, Part, collate, contents_entries, page_count
from pipeline.documents.engine import DocumentEngine
from pipeline.documents.render import chinese_date
from pipeline.documents.stamp import SealUse, draw_seal, stamp_pdf
from pipeline.errors import InputInvalid
from pipeline.organisations import Directory, Place, Town
from pipeline.rules.deadlines import Overdue, case_due_date, overdue, step_due_dates
from pipeline.rules.flow import RuleId, next_step
from pipeline.units.booklet import BookletBuilder, Job, _contents_rows
from pipeline.units.contexts import format_amount, public_rows
from pipeline.units.notices import check_public_text
from pipeline.workspace import Workspace

Month = tuple[int, int]
"""A calendar month as ``(year, month)``, e.g. ``(2026, 11)``."""

MONEY_CATEGORIES = ("资金管理", "工资薪酬类", "保障救助")
"""Catalog categories whose cases move money: their results show the amount."""

PACK_TITLE = "村级小微权力“五公开”材料"
CHINA = ZoneInfo("Asia/Shanghai")
_RULE_NAMES: dict[str, str] = {
    RuleId.STEP_ORDER: "办理顺序",
    RuleId.NOTICE_PERIOD: "公示期限",
    RuleId.MEETING_RECORD: "会议记录",
    RuleId.PROXY_AUTHORISATION: "代办委托",
    RuleId.ACTOR: "办理主体",
    RuleId.DATE_ORDER: "办理日期",
}
_MONTH_RE = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$")


# --- months ------------------------------------------------------------------------------


def parse_month(text: str) -> Month:
    """``2026-11`` → ``(2026, 11)``; a clear error for anything else."""
    match = _MONTH_RE.match(text)
    if match is None or not 1 <= int(match.group(2)) <= 12:
        raise InputInvalid(f"月份格式应为 YYYY-MM / the month must be YYYY-MM, got {text!r}")
    return int(match.group(1)), int(match.group(2))


def month_days(month: Month) -> tuple[dt.date, dt.date]:
    """The first and the last day of ``month``."""
    year, number = month
    first = dt.date(year, number, 1)
    following = dt.date(year + number // 12, number % 12 + 1, 1)
    return first, following - dt.timedelta(days=1)


def month_text(month: Month) -> str:
    """``(2026, 11)`` → ``2026-11`` (file names, archive records)."""
    return f"{month[0]:04d}-{month[1]:02d}"


def month_label(month: Month) -> str:
    """``(2026, 11)`` → ``2026年11月`` (printed)."""
    return f"{month[0]}年{month[1]}月"


def pack_file_name(place: Place, month: Month) -> str:
    """``QL-NM-2026-11-南马村月度公开材料.pdf``."""
    return f"{place.village.code}-{month_text(month)}-{place.village.name}月度公开材料.pdf"


# --- what happened in a village in a month ----------------------------------------------


def closed_on(case: Case) -> dt.date | None:
    """The day a case was concluded (its last step), ``None`` while it is open."""
    if case.status is CaseStatus.OPEN:
        return None
    return max((record.date for record in case.steps), default=case.received_on)


def as_of(case: Case, day: dt.date) -> Case | None:
    """The case as it stood at the end of ``day``; ``None`` if not yet received.

    Steps and irregularities dated later are dropped, and a case concluded later
    is still open (办理中).
    """
    if case.received_on > day:
        return None
    if all(record.date <= day for record in case.steps):
        return case
    return case.model_copy(
        update={
            "steps": [record for record in case.steps if record.date <= day],
            "irregularities": [entry for entry in case.irregularities if entry.date <= day],
            "status": CaseStatus.OPEN,  # its last step (which closes a case) came later
        }
    )


@dataclass(frozen=True)
class MonthCounts:
    """The month of one village (or a total) in numbers."""

    cases_active: int
    cases_closed: int
    overdue: int
    irregular: int
    seal_uses: int
    items_used: int

    def __add__(self, other: MonthCounts) -> MonthCounts:
        """Field-by-field sum (``items_used`` too: distinct items are counted by the caller)."""
        pairs = zip(dataclasses.astuple(self), dataclasses.astuple(other), strict=True)
        return MonthCounts(*(a + b for a, b in pairs))


@dataclass(frozen=True)
class ItemTally:
    """One item's cases in the month: active, closed, overdue, irregular."""

    code: str
    name: str
    category: str
    cases: int
    closed: int
    overdue: int
    irregular: int


@dataclass(frozen=True)
class VillageMonth:
    """What a village's month holds, with cases as they stood on its last day.

    Attributes:
        place: The village.
        month: The month.
        cases: Cases active in the month (received by its end, not closed before it
            began), by received date.
        closed: Those of ``cases`` concluded in the month.
        overdue: Open cases past a step's due date on the month's last day.
        irregularities: Irregularities dated in the month, with their case.
        seal_uses: The month's lines of the seal-use register of the village's seal.
        items: The catalog items of ``cases``, in catalog order.
        addresses: Addresses of every applicant of the village's cases: masked
            wherever they occur in printed free text.

    """

    place: Place
    month: Month
    cases: list[Case]
    closed: list[Case]
    overdue: list[Overdue]
    irregularities: list[tuple[Case, Irregularity]]
    seal_uses: list[dict[str, Any]]
    items: list[CatalogItem]
    addresses: list[str]

    @property
    def counts(self) -> MonthCounts:
        """The month in numbers."""
        return MonthCounts(
            cases_active=len(self.cases),
            cases_closed=len(self.closed),
            overdue=len(self.overdue),
            irregular=len({case.case_id for case, _ in self.irregularities}),
            seal_uses=len(self.seal_uses),
            items_used=len(self.items),
        )

    def tallies(self) -> list[ItemTally]:
        """One line per item used, in catalog order."""
        late = {entry.case_id for entry in self.overdue}
        irregular = {case.case_id for case, _ in self.irregularities}
        closed = {case.case_id for case in self.closed}
        return [
            ItemTally(
                code=item.code,
                name=item.name,
                category=item.category,
                cases=len(ids := [c.case_id for c in self.cases if c.item_code == item.code]),
                closed=len(closed.intersection(ids)),
                overdue=len(late.intersection(ids)),
                irregular=len(irregular.intersection(ids)),
            )
            for item in self.items
        ]

    def mask(self, text: str | None) -> str:
        """Free text as the pack may print it (IDs, phones and addresses masked)."""
        return mask_text(text, addresses=self.addresses)


def _placed_at(value: object) -> dt.datetime:
    """A register time in China time (PostgreSQL gives it aware, SQLite as written)."""
    if not isinstance(value, dt.datetime):
        raise InputInvalid(f"用印登记时间无效 / bad seal-use time {value!r}")
    return value.astimezone(CHINA) if value.tzinfo else value


def village_month(workspace: Workspace, place: Place, month: Month) -> VillageMonth:
    """Read the village's month from the case store (no documents are made)."""
    first, last = month_days(month)
    stored = workspace.store.find(village=place.village.code)
    cases = []
    for case in stored:
        then = as_of(case, last)
        ended = None if then is None else closed_on(then)
        if then is not None and (ended is None or ended >= first):
            cases.append(then)
    used = {case.item_code for case in cases}
    own_pack = pack_file_name(place, month)  # its cover seal is not part of its own month
    return VillageMonth(
        place=place,
        month=month,
        cases=cases,
        closed=[case for case in cases if closed_on(case) is not None],
        overdue=overdue(cases, workspace.catalog, last),
        irregularities=[
            (case, entry)
            for case in cases
            for entry in case.irregularities
            if first <= entry.date <= last
        ],
        seal_uses=[
            row
            for row in workspace.store.seal_uses(organisation=place.village.seal_text)
            if first <= _placed_at(row["placed_at"]).date() <= last and row["document"] != own_pack
        ],
        items=[item for item in workspace.catalog.items if item.code in used],
        addresses=sorted(
            {p.address for case in stored for p in case.applicants if p.address},
            key=len,
            reverse=True,  # a longer address first, before a shorter one inside it
        ),
    )


# --- the pack's sections -----------------------------------------------------------------


@dataclass(frozen=True)
class PackSection:
    """A part of the pack: its bookmark title and its pages (page 1 is the cover)."""

    title: str
    first_page: int
    pages: int

    @property
    def last_page(self) -> int:
        """The section's last page."""
        return self.first_page + self.pages - 1


@dataclass(frozen=True)
class PackAmount:
    """A sum of money published in the pack: a money item's case closed in the month."""

    case_id: str
    item_code: str
    label: str
    value: Decimal


@dataclass(frozen=True)
class MonthlyPack:
    """A written pack, with what its archive record needs.

    Attributes:
        path: The collated, stamped PDF/A-2b.
        place: The village (with its town and district).
        month: The month published.
        title: 题名, e.g. 临淄区齐陵街道南马村2026年11月村级小微权力“五公开”材料.
        responsible_body: 责任者: the village committee, whose seal is on the cover.
        issued_on: Date printed on the cover.
        pages: Page count of ``path``.
        sections: Every part in order, cover and contents included; their pages add
            up to ``pages``.
        counts: The month in numbers.
        items: Codes of the catalog items used, in catalog order.
        tallies: The month per item.
        amounts: Money published (money items' cases closed in the month).
        irregularities: ``(case id, irregularity)`` of the month.
        seal_use: The seal placed on the cover (also written to the register).
        source_sha256: SHA-256 of the data the pack was made from (the cases as they
            stood, the items, the register lines, the month): the same data gives
            the same digest, so archiving it again can add nothing.
        flowcharts_rendered: Flowchart pages converted for this pack (0 when every
            page came from the cache).

    """

    path: Path
    place: Place
    month: Month
    title: str
    responsible_body: str
    issued_on: dt.date
    pages: int
    sections: list[PackSection]
    counts: MonthCounts
    items: list[str]
    tallies: list[ItemTally]
    amounts: list[PackAmount]
    irregularities: list[tuple[str, Irregularity]]
    seal_use: SealUse
    source_sha256: str
    flowcharts_rendered: int

    @property
    def month_text(self) -> str:
        """``2026-11``."""
        return month_text(self.month)

    def as_dict(self) -> dict[str, Any]:
        """Plain data for ``--json`` and logs."""
        return {
            "path": str(self.path),
            "village": self.place.village.code,
            "place": self.place.full_name,
            "month": self.month_text,
            "title": self.title,
            "issued_on": self.issued_on.isoformat(),
            "pages": self.pages,
            "sections": [dataclasses.asdict(section) for section in self.sections],
            "counts": dataclasses.asdict(self.counts),
            "items": self.items,
            "flowcharts_rendered": self.flowcharts_rendered,
        }


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
            "basis": "\n".join(item.basis),
            "acting_body": item.acting_body,
            "cases": str(tally.cases),
        }
        for index, (item, tally) in enumerate(zip(facts.items, facts.tallies(), strict=True), 1)
    ]


def process_rows(facts: VillageMonth) -> list[dict[str, str]]:
    """过程公开: each active case, the last step done, the step pending, the due dates."""
    items = _item_names(facts)
    rows = []
    for index, case in enumerate(facts.cases, 1):
        item = items[case.item_code]
        names = {step.id: step.name for step in item.steps}
        done = case.steps[-1] if case.steps else None
        current = f"{names.get(done.step, done.step)}\n{chinese_date(done.date)}" if done else "—"
        pending_step = next_step(case, item) if case.status is CaseStatus.OPEN else None
        if pending_step is None:
            pending = case.status.value
        else:
            due = next(d.due for d in step_due_dates(case, item) if d.step.id == pending_step.id)
            pending = pending_step.name + (f"\n{chinese_date(due)}前" if due else "")
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
                "due": chinese_date(promised) if promised else "无村级时限",
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
        when = _placed_at(row["placed_at"])
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


def _list_summary(facts: VillageMonth, count: int) -> str:
    if not count:
        return "本月无办件，未使用清单事项，无流程图。"
    return (
        f"本月{len(facts.cases)}件办件涉及清单事项{count}项。"
        "各事项的行使依据、行使主体如下，办理流程图见第二部分。"
    )


def _process_summary(facts: VillageMonth, count: int) -> str:
    return f"本月在办（含本月办结）办件共{count}件。" if count else "本月无办件。"


def _results_summary(facts: VillageMonth, count: int) -> str:
    return f"本月办结办件共{count}件。" if count else "本月无办结办件。"


def _overdue_summary(facts: VillageMonth, count: int) -> str:
    if not count:
        return "截至月末无逾期办件。"
    return f"截至{chinese_date(month_days(facts.month)[1])}，逾期未办结办件共{count}件。"


def _irregular_summary(facts: VillageMonth, count: int) -> str:
    return f"本月违规（强制）办理记录共{count}条。" if count else "本月无违规办理情况。"


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
class _Section:
    """A table section: its template, heading and title, and how it is filled."""

    template: str
    heading: str
    title: str
    rows: Callable[[VillageMonth], list[dict[str, str]]]
    summary: Callable[[VillageMonth, int], str]
    note: Callable[[VillageMonth], str] = _no_note

    @property
    def bookmark(self) -> str:
        return f"{self.heading}：{self.title}"


LIST_SECTION = _Section(
    "monthly_pack_list", "一、清单公开", "本月办理的小微权力事项", list_rows, _list_summary
)
FLOWCHART_GROUP = "二、制度与流程公开：事项流程图"
TABLE_SECTIONS = (
    _Section(
        "monthly_pack_process", "三、过程公开", "本月办件办理情况", process_rows,
        _process_summary,
    ),
    _Section(
        "monthly_pack_results", "四、结果公开", "本月办结事项办理结果", result_rows,
        _results_summary, _money_note,
    ),
    _Section(
        "monthly_pack_overdue", "五、逾期办件", "截至月末超过时限的办件", overdue_rows,
        _overdue_summary,
    ),
    _Section(
        "monthly_pack_irregularities", "六、违规办理", "未按规定程序强制办理的情况",
        irregularity_rows, _irregular_summary,
    ),
    _Section(
        "monthly_pack_seals", "七、用印登记", "本月村委会公章使用登记", seal_rows,
        _seal_summary,
    ),
)  # fmt: skip


def section_context(section: _Section, facts: VillageMonth) -> dict[str, Any]:
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
        "scope": "清单、制度、流程、过程、结果（五公开）\n逾期办件、违规办理、用印登记",
        "period": f"{chinese_date(first)}至{chinese_date(last)}",
        "cases_line": cases_line,
        "items_line": items_line,
        "edition_line": f"{edition.title}\n{edition.document_number}，版本 {edition.version}",
        "supervision_line": (
            f"村务监督委员会 {place.village.supervision_phone}；"
            f"区 {place.district.supervision_phone}"
        ),
        "issuer": place.village.committee,
        "issued_on": chinese_date(issued_on),
    }


def source_digest(facts: VillageMonth, catalog: Catalog) -> str:
    """SHA-256 of what the pack is made from (see ``MonthlyPack.source_sha256``)."""
    data = {
        "village": facts.place.village.code,
        "month": month_text(facts.month),
        "edition": catalog.edition.version,
        "cases": [case.model_dump(mode="json") for case in facts.cases],
        "items": [item.model_dump(mode="json") for item in facts.items],
        "seal_uses": [{k: str(v) for k, v in sorted(row.items())} for row in facts.seal_uses],
    }
    canonical = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def pack_path(out_dir: Path, place: Place, month: Month) -> Path:
    """Where the pack of ``place`` for ``month`` is written in ``out_dir``."""
    return out_dir / pack_file_name(place, month)


def _sections(parts: Sequence[Part]) -> list[PackSection]:
    sections: list[PackSection] = []
    page = 1
    for part in parts:
        count = page_count(part.pdf)
        title = part.group or part.title
        if sections and part.group and sections[-1].title == part.group:
            last = sections[-1]
            sections[-1] = dataclasses.replace(last, pages=last.pages + count)
        else:
            sections.append(PackSection(title, page, count))
        page += count
    return sections


def build_monthly_pack(
    workspace: Workspace,
    engine: DocumentEngine,
    place: Place,
    month: Month,
    out_dir: Path,
    *,
    flowchart_cache_dir: Path,
    issued_on: dt.date,
    operator: str = "xwql",
) -> MonthlyPack:
    """Write the village's pack for ``month`` into ``out_dir``.

    Args:
        workspace: Catalog, organisations and the case store.
        engine: Templates, fonts and the warm converters.
        place: The village.
        month: ``(year, month)``.
        out_dir: Where the PDF goes (see :func:`pack_path`).
        flowchart_cache_dir: Flowchart pages kept across packs and runs (the
            catalog booklet's cache can be shared).
        issued_on: Date printed on the cover, on or after the month's first day.
        operator: Who places the seal (用印经办人), for the register.

    Returns:
        The pack; the cover's seal use is written to the register.

    Raises:
        InputInvalid: The date of issue is before the month.
        PrivacyLeak: The finished pack showed a full ID or phone number (it is deleted).
        ConversionError: LibreOffice failed on a page.

    """
    first, _ = month_days(month)
    if issued_on < first:
        raise InputInvalid(
            f"发布日期 {chinese_date(issued_on)} 早于所公开的月份 {month_label(month)} / the date "
            "of issue is before the month published"
        )
    catalog = workspace.catalog
    facts = village_month(workspace, place, month)
    work = engine.settings.data / "work" / "packs" / f"{place.village.code}-{month_text(month)}"
    work.mkdir(parents=True, exist_ok=True)
    charted = [item for item in facts.items if not item.retired]
    builder = BookletBuilder(
        Catalog(edition=catalog.edition, items=charted, folder=catalog.folder),
        engine,
        work=work,
        cache=flowchart_cache_dir,
    )
    cached_before = set(flowchart_cache_dir.glob("*.pdf"))
    charts = builder.flowchart_pages()
    rendered = len(set(charts) - cached_before)

    jobs: list[Job] = [
        ("monthly_pack_cover", cover_context(facts, catalog, issued_on), work / "cover.pdf"),
        *(
            (section.template, section_context(section, facts), work / f"{section.template}.pdf")
            for section in (LIST_SECTION, *TABLE_SECTIONS)
        ),
    ]
    cover, listed, *tables = builder.render_and_convert(jobs)
    body = [
        Part(listed, title=LIST_SECTION.bookmark),
        *(
            Part(chart, title=f"{item.code} {item.name}", group=FLOWCHART_GROUP)
            for item, chart in zip(charted, charts, strict=True)
        ),
        *(
            Part(pdf, title=section.bookmark)
            for section, pdf in zip(TABLE_SECTIONS, tables, strict=True)
        ),
    ]
    (contents,) = builder.render_and_convert(
        [
            (
                "contents",
                {"title": "目　录", "entries": _contents_rows(contents_entries(body))},
                work / "contents.pdf",
            )
        ]
    )
    target = pack_path(out_dir, place, month)
    title = f"{place.full_name}{month_label(month)}{PACK_TITLE}"
    stamped = work / "cover-stamped.pdf"
    use = stamp_pdf(
        cover, stamped, draw_seal(place.village.seal_text, engine.fonts),
        anchor=place.village.committee, operator=operator,
        purpose=f"{month_label(month)}村级小微权力“五公开”材料封面",
    )  # fmt: skip
    parts = [
        Part(stamped, title="封面", numbered=False),
        Part(contents, title="目录", numbered=False),
    ]
    pages = collate(
        [*parts, *body],
        target,
        DocumentInfo(
            title=title,
            author=place.village.committee,
            subject=f"{place.full_name} {month_label(month)} 五公开",
            keywords="村级小微权力清单;五公开;月度公开材料",
        ),
    )
    check_public_text(target)
    use = dataclasses.replace(use, document=target.name)
    digest = hashlib.sha256(target.read_bytes()).hexdigest()
    workspace.store.record_seal_use(use, document_sha256=digest, case_id=None)
    return MonthlyPack(
        path=target,
        place=place,
        month=month,
        title=title,
        responsible_body=place.village.committee,
        issued_on=issued_on,
        pages=pages,
        sections=_sections([*parts, *body]),
        counts=facts.counts,
        items=[item.code for item in facts.items],
        tallies=facts.tallies(),
        amounts=amounts(facts),
        irregularities=[(case.case_id, entry) for case, entry in facts.irregularities],
        seal_use=use,
        source_sha256=source_digest(facts, catalog),
        flowcharts_rendered=rendered,
    )


# --- which villages -------------------------------------------------------------------------


def find_town(directory: Directory, name_or_code: str) -> Town:
    """The town or street named (齐陵街道) or coded (QL); ``InputInvalid`` otherwise."""
    wanted = name_or_code.strip()
    for town in directory.district.towns:
        if wanted in (town.code, town.name):
            return town
    known = "、".join(town.name for town in directory.district.towns)
    raise InputInvalid(f"未知的镇（街道）unknown town {name_or_code!r}; 已知 known: {known}")


def select_villages(
    directory: Directory, *, town: str | None = None, village: str | None = None
) -> list[Place]:
    """The villages of the district, of one town, or one village (checked against the town)."""
    if village is not None:
        place = directory.get(village)
        if town is not None and find_town(directory, town).code != place.town.code:
            raise InputInvalid(
                f"{place.village.name}属于{place.town.name}，不属于{town} / the village is not in "
                "that town"
            )
        return [place]
    if town is not None:
        code = find_town(directory, town).code
        return [place for place in directory.villages if place.town.code == code]
    return directory.villages


# --- the district summary ------------------------------------------------------------------


@dataclass(frozen=True)
class VillageLine:
    """One row of the district summary."""

    town: str
    village: str
    counts: MonthCounts
    items: str


@dataclass(frozen=True)
class DistrictSummary:
    """The written summary of a district month.

    Attributes:
        pdf: The summary (PDF/A-2b).
        xlsx: The same tables as a workbook.
        month: The month.
        pages: Page count of ``pdf``.
        villages: One line per village, in district order.
        items: The district's month per item.
        totals: All villages together (``items_used`` counts distinct items).

    """

    pdf: Path
    xlsx: Path
    month: Month
    pages: int
    villages: list[VillageLine]
    items: list[ItemTally]
    totals: MonthCounts

    def as_dict(self) -> dict[str, Any]:
        """Plain data for ``--json``."""
        return {
            "pdf": str(self.pdf),
            "xlsx": str(self.xlsx),
            "month": month_text(self.month),
            "pages": self.pages,
            "totals": dataclasses.asdict(self.totals),
        }


_ZERO = MonthCounts(0, 0, 0, 0, 0, 0)


def _district_items(months: Sequence[VillageMonth]) -> tuple[list[ItemTally], dict[str, int]]:
    merged: dict[str, ItemTally] = {}
    villages: dict[str, int] = {}
    for facts in months:
        for tally in facts.tallies():
            known = merged.get(tally.code)
            merged[tally.code] = tally if known is None else dataclasses.replace(
                known, cases=known.cases + tally.cases, closed=known.closed + tally.closed,
                overdue=known.overdue + tally.overdue, irregular=known.irregular + tally.irregular,
            )  # fmt: skip
            villages[tally.code] = villages.get(tally.code, 0) + 1
    ordered = sorted(merged.values(), key=lambda tally: tally.code)
    return ordered, villages


def _count_cells(counts: MonthCounts) -> dict[str, str]:
    return {
        "cases": str(counts.cases_active),
        "closed": str(counts.cases_closed),
        "overdue": str(counts.overdue),
        "irregular": str(counts.irregular),
        "seal_uses": str(counts.seal_uses),
    }


def _summary_rows(lines: Sequence[VillageLine], totals: MonthCounts) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    towns = list(dict.fromkeys(line.town for line in lines))
    for town in towns:
        members = [line for line in lines if line.town == town]
        for index, line in enumerate(members):
            rows.append(
                {"town": town if index == 0 else "", "village": line.village, "used": line.items}
                | _count_cells(line.counts)
            )
        if len(towns) > 1:
            subtotal = sum((line.counts for line in members), _ZERO)
            rows.append({"town": "", "village": "小计", "used": ""} | _count_cells(subtotal))
    rows.append({"town": "合计", "village": "", "used": ""} | _count_cells(totals))
    return rows


_VILLAGE_COLUMNS = (
    ("town", "镇（街道）"), ("village", "村（社区）"), ("cases", "本月办件"),
    ("closed", "其中办结"), ("overdue", "逾期"), ("irregular", "违规"), ("seal_uses", "用印"),
    ("used", "涉及事项"),
)  # fmt: skip
_ITEM_COLUMNS = (
    ("number", "序号"), ("code", "事项编码"), ("name", "事项名称"), ("category", "类别"),
    ("cases", "办件"), ("closed", "办结"), ("overdue", "逾期"), ("irregular", "违规"),
    ("villages", "涉及村数"),
)  # fmt: skip


def _write_workbook(
    target: Path, rows: Sequence[dict[str, str]], items: Sequence[dict[str, str]]
) -> None:
    book = Workbook()
    book.remove(book.active)
    for name, data, columns in (
        ("分村统计", rows, _VILLAGE_COLUMNS),
        ("分事项统计", items, _ITEM_COLUMNS),
    ):
        sheet = book.create_sheet(name)
        sheet.append([header for _, header in columns])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in data:
            sheet.append([int(row[k]) if row[k].isdigit() else row[k] for k, _ in columns])
        for cells in sheet.iter_rows():
            for cell in cells:
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # text stays text, never a formula
        for column in sheet.columns:
            width = max(len(str(cell.value or "")) for cell in column)
            sheet.column_dimensions[column[0].column_letter].width = min(60, 2 * width + 2)
        sheet.freeze_panes = "A2"
    partial = target.with_name(f".{target.name}.part")
    book.save(partial)
    partial.replace(target)


def build_district_summary(
    workspace: Workspace,
    engine: DocumentEngine,
    month: Month,
    out_dir: Path,
    *,
    places: Sequence[Place] | None = None,
    issued_on: dt.date,
) -> DistrictSummary:
    """Write the district's month per town, village and item as PDF and ``.xlsx``.

    Args:
        workspace: Catalog, organisations and the case store.
        engine: Templates and the warm converters.
        month: ``(year, month)``.
        out_dir: Where the files go.
        places: The villages to count (default: every village of the district).
        issued_on: Date printed on the summary.

    Returns:
        What was written, with the counts.

    """
    chosen = list(places) if places is not None else workspace.directory.villages
    months = [village_month(workspace, place, month) for place in chosen]
    lines = [
        VillageLine(
            town=facts.place.town.name,
            village=facts.place.village.name,
            counts=facts.counts,
            items="、".join(f"{t.name}{t.cases}件" for t in facts.tallies()) or "—",
        )
        for facts in months
    ]
    tallies, village_counts = _district_items(months)
    totals = dataclasses.replace(
        sum((line.counts for line in lines), _ZERO), items_used=len(tallies)
    )
    rows = _summary_rows(lines, totals)
    item_rows = [
        {
            "number": str(index), "code": t.code, "name": t.name, "category": t.category,
            "cases": str(t.cases), "closed": str(t.closed), "overdue": str(t.overdue),
            "irregular": str(t.irregular), "villages": str(village_counts[t.code]),
        }
        for index, t in enumerate(tallies, 1)
    ]  # fmt: skip
    district = workspace.directory.district
    towns = list(dict.fromkeys(place.town.name for place in chosen))
    scope = district.name + (towns[0] if len(towns) == 1 else "")
    first, last = month_days(month)
    with_cases = sum(1 for line in lines if line.counts.cases_active)
    context = {
        "title": f"{scope}{month_label(month)}村级小微权力运行情况汇总表",
        "period": f"{chinese_date(first)}至{chinese_date(last)}",
        "issuer": workspace.catalog.edition.publisher,
        "issued_on": chinese_date(issued_on),
        "summary": (
            f"本月统计{len(towns)}个镇（街道）{len(lines)}个村（社区），其中{with_cases}个有办件；"
            f"在办办件{totals.cases_active}件，办结{totals.cases_closed}件，"
            f"逾期{totals.overdue}件，违规办理{totals.irregular}件，用印{totals.seal_uses}次，"
            f"涉及清单事项{totals.items_used}项。"
        ),
        "rows": rows,
        "items": item_rows,
        "note": "" if item_rows else "本月各村均无办件。",
    }
    stem = f"{scope}-{month_text(month)}-月度汇总"
    work = engine.settings.data / "work" / "packs"
    docx = engine.templates.render("district_summary", context, work / f"{stem}.docx")
    pdf = engine.pool.convert(docx, out_dir / f"{stem}.pdf")
    xlsx = out_dir / f"{stem}.xlsx"
    _write_workbook(xlsx, rows, item_rows)
    return DistrictSummary(
        pdf=pdf,
        xlsx=xlsx,
        month=month,
        pages=page_count(pdf),
        villages=lines,
        items=tallies,
        totals=totals,
    )
