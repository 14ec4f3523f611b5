"""Write the sample ledger of one village month: 南马村 (齐陵街道), November 2026.

Invented people; valid ID check digits; every step recorded by its item's rules
(steps in order, the actor the catalog names, meeting records for decisions,
results only after the notice period). Run from the project root:

    .venv/bin/python examples/linzi/make_sample_ledger.py
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from openpyxl import load_workbook
from stdnum.cn import ric

from pipeline.cases.meetings import Meeting, TopicVote
from pipeline.catalog import Catalog, load_catalog
from pipeline.catalog.model import CatalogItem, MeetingKind, MeetingRules, StepKind
from pipeline.intake import write_template_ledger
from pipeline.organisations import Directory, Place, load_district
from pipeline.rules.actors import actor_alternatives
from pipeline.rules.meetings import meeting_kinds

ROOT = Path(__file__).resolve().parents[2]
TARGET = Path(__file__).resolve().parent / "南马村-2026-11-台账.xlsx"


@dataclass(frozen=True)
class Sample:
    case_id: str
    item: str
    name: str
    birth: str  # YYYYMMDD
    phone: str
    address: str
    household: int | None
    received: dt.date
    reason: str
    steps: int | str  # how many steps, or "notice"/"result": up to that kind
    amount: str = ""
    materials: str = ""
    proxy: str = ""
    decision: str = ""
    result: str = ""


SAMPLES = [
    Sample("NM-2026-11-001", "xwql-022", "张秀英", "19580312", "13805331021", "南马村一街3号", 3,
           dt.date(2026, 11, 2), "丈夫因病去世，家庭无稳定收入", "notice", "1260.00",
           "书面申请、户口簿、身份证复印件、收入证明", decision="拟纳入农村低保，月保障金1260元"),
    Sample("NM-2026-11-002", "xwql-026", "王𠮷", "19710825", "13905332233", "南马村二街15号", 4,
           dt.date(2026, 11, 3), "家中失火，生活临时困难", "result", "2000.00",
           "书面申请、身份证复印件、受灾情况说明", decision="拟给予临时救助2000元",
           result="已发放临时救助金2000元"),
    Sample("NM-2026-11-003", "xwql-040", "李建国", "19800101", "13605335566", "南马村三街8号", None,
           dt.date(2026, 11, 4), "为村民开具居住证明用章", 99, materials="用印申请表、证明文稿",
           result="已在居住证明上加盖村委会公章1次，已登记用印登记簿"),
    Sample("NM-2026-11-004", "xwql-001", "南马村党支部", "", "", "", None,
           dt.date(2026, 11, 2), "村内东西主街道路硬化（约1.2公里）", "notice", "356000.00",
           decision="同意实施东西主街道路硬化工程，预算35.6万元，按限额以下工程程序招标"),
    Sample("NM-2026-11-005", "xwql-005", "赵䶮", "19900606", "13705331188", "南马村四街1号", None,
           dt.date(2026, 11, 5), "采购村委会办公用品（打印纸、硒鼓）", 99, "860.00", "采购清单、报价单",
           result="已采购打印纸20包、硒鼓2个，共计860元，已入账"),
    Sample("NM-2026-11-006", "xwql-045", "孙立新", "19650918", "13305334455", "南马村五街20号", None,
           dt.date(2026, 11, 10), "与邻居因宅基地界址发生纠纷", 2, materials="调解申请"),
    Sample("NM-2026-11-007", "xwql-028", "周桂兰", "19470214", "13105336677", "南马村一街18号", 2,
           dt.date(2026, 11, 6), "重度残疾，申请护理补贴", 2, "", "残疾人证、身份证、户口簿",
           proxy="刘芳"),
    Sample("NM-2026-11-008", "xwql-046", "吴德顺", "19690430", "15805337788", "南马村六街6号", 5,
           dt.date(2026, 11, 3), "申报2026年耕地地力保护补贴（8.6亩）", "notice", "1032.00",
           "承包地确权证明、身份证、银行卡", decision="拟申报耕地地力保护补贴8.6亩，1032元"),
    Sample("NM-2026-11-009", "xwql-027", "陈老汉", "19440720", "", "南马村七街2号", 1,
           dt.date(2026, 11, 2), "无劳动能力、无生活来源、无法定赡养人，申请特困供养", 1,
           materials="书面申请、身份证"),
    Sample("NM-2026-11-010", "xwql-041", "郑晓东", "19920315", "15905339900", "南马村二街7号", None,
           dt.date(2026, 11, 16), "返乡创业开办农产品网店，申请创业担保贷款10万元", 1,
           materials="贷款申请书、身份证、营业执照"),
]  # fmt: skip


STEP_HEADERS = [
    "办件编号",
    "环节",
    "办理主体",
    "经办人",
    "日期",
    "结果",
    "备注",
    "会议记录",
    "是否代办",
]
"""The step columns ``step_rows`` fills, in the order of its lists."""

Row = dict[str, object]
"""A ledger row: header → cell value; empty values are left blank."""


def id_number(birth: str, seq: int) -> str:
    """A valid (GB 11643 check digit), invented ID number of 临淄区: birth date, sequence."""
    body = f"370305{birth}{seq:03d}"
    return body + ric.calc_check_digit(body + "0")  # the function ignores the last digit


def step_rows(sample: Sample, item: CatalogItem, numbers: Iterator[int]) -> list[list[object]]:
    """The step rows of a sample, one list per step in ``STEP_HEADERS`` order.

    A decision step names its meeting record by the next of ``numbers``.
    """
    rows: list[list[object]] = []
    day = sample.received
    for index, step in enumerate(item.steps):
        if isinstance(sample.steps, int) and index >= sample.steps:
            break
        rows.append([
            sample.case_id, step.id, actor_alternatives(step.actor)[0], "刘芳", day,
            "通过" if step.kind in (StepKind.REVIEW, StepKind.APPROVE) else "",
            "", f"南马村〔2026〕{next(numbers)}号会议记录" if step.kind == StepKind.DECISION else "",
            "是" if sample.proxy and index == 0 else "否",
        ])  # fmt: skip
        if step.kind == sample.steps:
            break
        # A notice must run its full period before the next step.
        day += dt.timedelta(days=8 if step.kind == StepKind.NOTICE else 1)
    return rows


def case_row(sample: Sample, n: int, item: CatalogItem) -> Row:
    """The 办件台账 row of the ``n``-th sample (``n`` numbers its applicant's ID)."""
    return {
        "办件编号": sample.case_id, "事项编码": f"{item.code} {item.name}", "村（社区）": "南马村",
        "申请人": sample.name, "身份证号": id_number(sample.birth, 100 + n) if sample.birth else "",
        "联系电话": sample.phone, "住址": sample.address, "家庭人口": sample.household,
        "首问负责人": "刘芳", "代办人": sample.proxy,
        "代办委托日期": sample.received if sample.proxy else None,
        "受理日期": sample.received, "事由": sample.reason, "已收材料": sample.materials,
        "金额（元）": float(sample.amount) if sample.amount else None,
        "办理状态": "", "决定": sample.decision, "办理结果": sample.result,
    }  # fmt: skip


def sample_rows(catalog: Catalog) -> list[tuple[Row, list[Row]]]:
    """Each sample's case row and step rows."""
    rows = []
    numbers = itertools.count(1)  # meeting records numbered across the samples, in order
    for n, sample in enumerate(SAMPLES, start=1):
        item = catalog.get(sample.item)
        records = step_rows(sample, item, numbers)
        steps = [dict(zip(STEP_HEADERS, record, strict=True)) for record in records]
        rows.append((case_row(sample, n, item), steps))
    return rows


def sample_meetings(catalog: Catalog, directory: Directory) -> list[Meeting]:
    """The meetings the samples' decision steps name, each quorate and voting for its case."""
    place = directory.get("南马村")
    rules = catalog.meetings
    assert rules is not None
    rng = random.Random("南马村-meetings")
    meetings = []
    for (case, steps), sample in zip(sample_rows(catalog), SAMPLES, strict=True):
        item = catalog.get(sample.item)
        for row in steps:
            step = next(s for s in item.steps if s.id == row["环节"])
            kinds = meeting_kinds(step, rules)
            if row["会议记录"] and kinds:
                meetings.append(quorate_meeting(
                    str(row["会议记录"]), place, kinds[0], row["日期"], str(case["办件编号"]),
                    sample.reason, sample.decision or f"同意{item.name}按程序办理",
                    chair="王建国", recorder="刘芳", rng=rng, rules=rules,
                ))  # fmt: skip
    return meetings


def quorate_meeting(
    number: str, place: Place, kind: str, held_on: dt.date, case_id: str, topic: str,
    resolution: str, *, chair: str, recorder: str, rng: random.Random, rules: MeetingRules,
) -> Meeting:  # fmt: skip
    """A meeting of ``kind`` that reaches its quorum and votes ``case_id`` through."""
    rule, body = rules.kinds[kind], place.village.body(kind, on=held_on)
    assert body is not None, (place.village.code, kind)
    members = body.members or body.adults or 1
    needed = rule.quorum[0].needed(members)
    present = min(members, needed + rng.randint(0, max(1, (members - needed) // 2)))
    majority = rule.majority.needed(members if rule.majority.of == "members" else present)
    against = rng.randint(0, max(0, min(present - majority, present // 10)))
    return Meeting(
        number=number, village=place.village.code, kind=MeetingKind(kind), held_on=held_on,
        place=f"{place.village.committee}会议室", chair=chair, recorder=recorder,
        members=members, present=present, resolution=resolution,
        topics=[TopicVote(topic=topic[:200], case_id=case_id, in_favour=present - against,
                          against=against)],
    )  # fmt: skip


def meeting_rows(meeting: Meeting, village: str) -> list[Row]:
    """The 会议记录 rows of a meeting: its details on the first, one row per topic."""
    details: Row = {
        "会议编号": meeting.number, "村（社区）": village, "会议类别": meeting.kind.value,
        "会议日期": meeting.held_on, "地点": meeting.place, "主持人": meeting.chair,
        "记录人": meeting.recorder, "应到人数": meeting.members, "实到人数": meeting.present,
        "决议": meeting.resolution,
    }  # fmt: skip
    return [
        (details if index == 0 else {"会议编号": meeting.number})
        | {"议题": topic.topic, "决定的办件编号": topic.case_id, "同意": topic.in_favour,
           "反对": topic.against, "弃权": topic.abstaining}
        for index, topic in enumerate(meeting.topics)
    ]  # fmt: skip


def _header_row(sheet) -> tuple[int, dict[str, int]]:  # type: ignore[no-untyped-def]
    for row in sheet.iter_rows(min_row=1, max_row=5):
        headers = {str(c.value).strip(): c.column for c in row if c.value}
        if "办件编号" in headers or "会议编号" in headers:
            return row[0].row, headers
    raise SystemExit("template has no header row")


def write_ledger(
    target: Path,
    catalog: Catalog,
    directory: Directory,
    cases: list[tuple[Row, list[Row]]],
    meetings: Sequence[Row] = (),
) -> None:
    """Write a ledger from the blank template: one 办件台账 row per case, its steps after,
    and the 会议记录 rows given."""
    write_template_ledger(target, catalog, directory)
    book = load_workbook(target)
    names = ("办件台账", "办理环节", "会议记录")
    sheets = {name: (book[name], *_header_row(book[name])) for name in names}

    def put(name: str, values: Row) -> None:
        sheet, _, columns = sheets[name]
        row = sheet.max_row + 1
        for header, value in values.items():
            if value not in ("", None):
                sheet.cell(row, columns[header], value)

    for values, steps in cases:
        put("办件台账", values)
        for record in steps:
            put("办理环节", record)
    for values in meetings:
        put("会议记录", values)
    book.save(target)


def main() -> None:
    catalog = load_catalog(ROOT / "catalog")
    directory = load_district(ROOT / "examples" / "linzi" / "district.yaml")
    register = [
        row for m in sample_meetings(catalog, directory) for row in meeting_rows(m, "南马村")
    ]
    write_ledger(TARGET, catalog, directory, sample_rows(catalog), register)
    print(f"wrote {TARGET.relative_to(ROOT)}: {len(SAMPLES)} cases")


if __name__ == "__main__":
    main()
