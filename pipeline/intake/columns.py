"""The ledger layout, defined once as data: sheets, their columns, and what each fills.

The reader, the template writer and the instructions sheet (填写说明) all come
from ``CASES``, ``STEPS`` and ``MEETINGS``. A column's ``path`` says where its value goes in
the case's JSON form (``("applicants", 0, "id_number")``); an empty path marks a
column that is not a field of the record (the step sheet's link to its case).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pipeline.cases.model import CaseStatus
from pipeline.catalog import Catalog
from pipeline.catalog.model import MeetingKind
from pipeline.errors import Bilingual
from pipeline.intake.values import (
    Context,
    parse_amount,
    parse_bool,
    parse_count,
    parse_date,
    parse_id_number,
    parse_item,
    parse_list,
    parse_meeting_kind,
    parse_phone,
    parse_status,
    parse_token,
    parse_village,
)
from pipeline.intake.values import as_text as parse_text
from pipeline.organisations import Directory

Loc = tuple[str | int, ...]
Parser = Callable[[object, Context], object]
Choices = Callable[[Catalog, Directory], list[str]]

TEXT = "@"
DATE = "yyyy-mm-dd"
MONEY = "#,##0.00"


def _plain(parse: Callable[[object], object]) -> Parser:
    """A parser that needs no context."""
    return lambda raw, _ctx: parse(raw)


def item_choices(catalog: Catalog, _directory: Directory) -> list[str]:
    """``xwql-045 民间纠纷调解`` for every current item."""
    return [f"{item.code} {item.name}" for item in catalog if not item.retired]


def village_choices(_catalog: Catalog, directory: Directory) -> list[str]:
    """Village names; a name two towns share is given with its town."""
    names = [place.village.name for place in directory.villages]
    return [
        place.village.name
        if names.count(place.village.name) == 1
        else f"{place.town.name}{place.village.name}"
        for place in directory.villages
    ]


def status_choices(_catalog: Catalog, _directory: Directory) -> list[str]:
    """The values of ``CaseStatus``."""
    return [status.value for status in CaseStatus]


def meeting_kind_choices(_catalog: Catalog, _directory: Directory) -> list[str]:
    """The values of ``MeetingKind``."""
    return [kind.value for kind in MeetingKind]


def yes_no_choices(_catalog: Catalog, _directory: Directory) -> list[str]:
    """是 and 否."""
    return ["是", "否"]


@dataclass(frozen=True)
class Column:
    """One ledger column: its header, the field it fills and how to fill it.

    Attributes:
        header: The header as the template prints it.
        path: Where the value goes in the record's JSON form; ``()`` for none.
        parse: Turns a raw cell value into the field's value (raises ``BadValue``).
        guide: How to fill the column (the instructions sheet and error fixes).
        example: The value of the instructions sheet's example row.
        required: An empty cell rejects the row.
        aliases: Other headers clerks use for the same column.
        width: Column width in the template (characters).
        number_format: Excel number format for the template column.
        choices: The drop-down list of the template column.

    """

    header: str
    path: Loc
    parse: Parser
    guide: Bilingual
    example: str = ""
    required: bool = False
    aliases: tuple[str, ...] = ()
    width: int = 14
    number_format: str | None = None
    choices: Choices | None = None


@dataclass(frozen=True)
class SheetSpec:
    """A sheet of the ledger: its name, its columns and the column naming the case."""

    name: str
    columns: tuple[Column, ...]
    key: str = "办件编号"

    def column_for(self, loc: Loc) -> Column | None:
        """The column whose path is the longest prefix of ``loc``."""
        matches = [c for c in self.columns if c.path and loc[: len(c.path)] == c.path]
        return max(matches, key=lambda c: len(c.path), default=None)


_CASE_ID_GUIDE = Bilingual(
    "本村自编的唯一编号，只用字母、数字、- 和 _，以字母或数字开头，最多40个字符，如 NM-2026-001",
    "a unique number of your own: letters, digits, - and _, at most 40, e.g. NM-2026-001",
)

CASES = SheetSpec(
    "办件台账",
    (
        Column("办件编号", ("case_id",), _plain(parse_token), _CASE_ID_GUIDE, "NM-2026-001",
               required=True, aliases=("编号", "办件号"), width=16, number_format=TEXT),
        Column("事项编码", ("item_code",), parse_item,
               Bilingual("从下拉列表选择；也可填编码（xwql-026、xwql-26）或事项名称",
                         "pick from the list, or enter the code (xwql-026) or the item's name"),
               "xwql-026 临时救助", required=True, aliases=("事项", "事项编号", "权力事项"),
               width=40, choices=item_choices),
        Column("村（社区）", ("village",), parse_village,
               Bilingual("从下拉列表选择村（社区）名称，或填村代码如 QL-NM",
                         "pick the village from the list, or enter its code such as QL-NM"),
               "南马村", required=True, aliases=("村", "村名", "社区", "村居"),
               choices=village_choices),
        Column("申请人", ("applicants", 0, "name"), _plain(parse_text),
               Bilingual("申请人姓名，照身份证填写，生僻字照录（最多60字）",
                         "the applicant's name as on the ID card, rare characters as they are"),
               "张三", required=True, aliases=("申请人姓名", "姓名"), width=12),
        Column("身份证号", ("applicants", 0, "id_number"), parse_id_number,
               Bilingual("18位居民身份证号，末位 X 大写；本列须为文本格式，否则 Excel 会丢掉后几位",
                         "the 18-character ID number; keep the column as Text"),
               "370305199003150040", aliases=("身份证号码", "公民身份号码"), width=22,
               number_format=TEXT),
        Column("联系电话", ("applicants", 0, "phone"), _plain(parse_phone),
               Bilingual("11位手机号，或带区号的固定电话如 0533-7211234，只填一个",
                         "one 11-digit mobile or a landline with area code, e.g. 0533-7211234"),
               "13805331234", aliases=("电话", "手机", "手机号", "联系方式"), width=16,
               number_format=TEXT),
        Column("住址", ("applicants", 0, "address"), _plain(parse_text),
               Bilingual("家庭住址（最多200字）", "home address (at most 200 characters)"),
               "南马村三街12号", aliases=("家庭住址", "地址"), width=28),
        Column("家庭人口", ("applicants", 0, "household_size"), _plain(parse_count),
               Bilingual("家庭人口数，1–30 的整数", "household size, a whole number 1–30"),
               "3", aliases=("人口", "家庭人数"), width=10),
        Column("首问负责人", ("first_contact_officer",), _plain(parse_text),
               Bilingual("第一个接待申请人的村干部姓名（首问负责）",
                         "the cadre who first received the applicant (首问负责)"),
               "李四", required=True, aliases=("首问责任人",), width=12),
        Column("代办人", ("proxy", "name"), _plain(parse_text),
               Bilingual("由村民事务干部代办时填代办人姓名；填了代办委托日期就必须填",
                         "the cadre filing for the villager; needed with 代办委托日期"),
               "王五", aliases=("代办员",), width=12),
        Column("代办委托日期", ("proxy", "authorised_on"), _plain(parse_date),
               Bilingual("代办委托书签署日期，如 2026-11-02", "date of the proxy authorisation"),
               "2026-11-02", aliases=("委托日期",), number_format=DATE),
        Column("受理日期", ("received_on",), _plain(parse_date),
               Bilingual("如 2026-11-03、2026/11/3 或 2026年11月3日",
                         "e.g. 2026-11-03, 2026/11/3 or 2026年11月3日"),
               "2026-11-03", required=True, aliases=("受理时间", "申请日期"), number_format=DATE),
        Column("事由", ("reason",), _plain(parse_text),
               Bilingual("申请或办理的事由，照实填写（最多500字）", "the reason, max 500"),
               "家中失火，生活临时困难", aliases=("申请事由",), width=30),
        Column("已收材料", ("materials_received",), _plain(parse_list),
               Bilingual("已收到的材料，多个用顿号“、”分隔", "materials received, separated by 、"),
               "书面申请、身份证复印件", aliases=("收到材料", "材料"), width=30),
        Column("金额（元）", ("amount",), _plain(parse_amount),
               Bilingual("以元为单位，最多两位小数，不能为负，如 1200.50",
                         "in yuan, at most two decimals, not negative, e.g. 1200.50"),
               "1200.50", aliases=("金额",), number_format=MONEY),
        Column("办理状态", ("status",), _plain(parse_status),
               Bilingual("从下拉列表选择；空白为“办理中”", "pick from the list; empty: 办理中"),
               "办理中", aliases=("状态",), width=12, choices=status_choices),
        Column("决定", ("decision",), _plain(parse_text),
               Bilingual("村级会议决定或决议的内容（如有）", "the village decision, if any"),
               "", aliases=("决定事项", "决议"), width=20),
        Column("办理结果", ("result",), _plain(parse_text),
               Bilingual("办结后的结果（如有）", "the result once closed, if any"),
               "", width=20),
    ),
)  # fmt: skip

STEPS = SheetSpec(
    "办理环节",
    (
        Column("办件编号", (), _plain(parse_token),
               Bilingual("这一环节所属办件的编号，须与“办件台账”中的一致",
                         "the case this step belongs to, as numbered in 办件台账"),
               "NM-2026-001", required=True, aliases=("编号", "办件号"), width=16,
               number_format=TEXT),
        Column("环节", ("step",), _plain(parse_token),
               Bilingual("流程中的环节名称或编号，如 村受理并一次性告知 或 accept；按先后逐行填",
                         "the step's name or id in the item's flow; one row per step, in order"),
               "村受理并一次性告知", required=True, aliases=("办理环节", "步骤"), width=24),
        Column("办理主体", ("actor",), _plain(parse_text),
               Bilingual("办理这一环节的组织，如 村便民服务室民政协理员",
                         "the body that acted, e.g. 村民委员会"),
               "村便民服务室民政协理员", required=True, aliases=("主体", "办理单位"), width=22),
        Column("经办人", ("operator",), _plain(parse_text),
               Bilingual("具体经办的人", "the person who did it"), "李四", width=12),
        Column("日期", ("date",), _plain(parse_date),
               Bilingual("办理日期，如 2026-11-03", "the date, e.g. 2026-11-03"),
               "2026-11-03", required=True, aliases=("办理日期",), number_format=DATE),
        Column("结果", ("outcome",), _plain(parse_text),
               Bilingual("这一环节的结果", "the step's outcome"), "予以受理，一次性告知所需材料",
               aliases=("办理结果",), width=24),
        Column("备注", ("note",), _plain(parse_text),
               Bilingual("其他需要说明的情况", "anything else worth recording"), "", width=24),
        Column("会议记录", ("meeting_record",), _plain(parse_text),
               Bilingual("会议决定环节填会议记录的编号或标题", "meeting record number or title"),
               "", aliases=("会议记录编号",), width=20),
        Column("是否代办", ("by_proxy",), _plain(parse_bool),
               Bilingual("由代办人代为办理的填“是”；空白为“否”", "是 if a proxy acted; empty: 否"),
               "否", aliases=("代办",), width=10, choices=yes_no_choices),
        Column("强制理由", ("forced_reason",), _plain(parse_text),
               Bilingual("仅限管理员批准破例办理、不符合流程规则的环节：填书面理由，该环节记为异常，"
                         "在月度公开中向村务监督委员会公示；按规则办理的环节留空",
                         "only for a step an administrator forced against the flow rules: the "
                         "written reason; the step is recorded as an irregularity for the "
                         "supervision committee; leave empty otherwise"),
               "", aliases=("破例理由", "强制办理理由"), width=24),
    ),
)  # fmt: skip

MEETINGS = SheetSpec(
    "会议记录",
    (
        Column("会议编号", ("number",), _plain(parse_text),
               Bilingual("会议记录的编号，与“办理环节”表“会议记录”列所填一致；"
                         "一次会议有几个议题就填几行，编号相同",
                         "the meeting's number, as the steps name it; one row per topic"),
               "南马村〔2026〕3号会议记录", required=True, aliases=("会议记录编号",), width=24),
        Column("村（社区）", ("village",), parse_village,
               Bilingual("从下拉列表选择村（社区）", "pick the village from the list"),
               "南马村", required=True, aliases=("村",), choices=village_choices),
        Column("会议类别", ("kind",), _plain(parse_meeting_kind),
               Bilingual("从下拉列表选择：党支部会议、村“两委”联席会议、党员大会、村民代表会议、"
                         "村民会议、村务监督委员会会议", "pick the kind of meeting from the list"),
               "村民代表会议", required=True, aliases=("会议类型", "类别"), width=20,
               choices=meeting_kind_choices),
        Column("会议日期", ("held_on",), _plain(parse_date),
               Bilingual("召开日期，须在据此办理的环节日期当天或之前", "the day it was held"),
               "2026-11-04", required=True, aliases=("日期", "召开日期"), number_format=DATE),
        Column("地点", ("place",), _plain(parse_text),
               Bilingual("开会地点", "where it met"), "村委会会议室", required=True, width=16),
        Column("主持人", ("chair",), _plain(parse_text),
               Bilingual("主持人姓名", "who chaired"), "王建国", required=True, width=10),
        Column("记录人", ("recorder",), _plain(parse_text),
               Bilingual("记录人姓名", "who took the minutes"), "刘芳", required=True, width=10),
        Column("应到人数", ("members",), _plain(parse_count),
               Bilingual("组成人员（在任）人数；村民会议填本村十八周岁以上村民数。"
                         "须与组织数据中该村该会议的人数一致",
                         "the body's members in office (村民会议: adult villagers)"),
               "15", required=True, aliases=("组成人员数", "应到"), width=10),
        Column("实到人数", ("present",), _plain(parse_count),
               Bilingual("实际到会人数，不能多于应到人数", "how many were present"),
               "11", required=True, aliases=("实到",), width=10),
        Column("到会人员", ("attendees",), _plain(parse_list),
               Bilingual("到会人员姓名，用顿号“、”分隔；填了就须与实到人数一致",
                         "the names of those present, separated by 、"),
               "王建国、刘芳、……", aliases=("参会人员",), width=30),
        Column("议题", ("topic",), _plain(parse_text),
               Bilingual("本行表决的议题", "the topic voted on in this row"),
               "村内主街道路硬化工程实施方案", required=True, width=30),
        Column("决定的办件编号", ("case_id",), _plain(parse_token),
               Bilingual("这个议题决定的办件编号（与“办件台账”一致）；不涉及办件的留空",
                         "the case this topic decided, if any"),
               "NM-2026-11-004", aliases=("办件编号",), width=16, number_format=TEXT),
        Column("同意", ("in_favour",), _plain(parse_count),
               Bilingual("同意票数", "votes in favour"), "10", required=True, width=8),
        Column("反对", ("against",), _plain(parse_count),
               Bilingual("反对票数，空白为0", "votes against; empty: 0"), "1", width=8),
        Column("弃权", ("abstaining",), _plain(parse_count),
               Bilingual("弃权票数，空白为0", "abstentions; empty: 0"), "0", width=8),
        Column("决议", ("resolution",), _plain(parse_text),
               Bilingual("会议形成的决议（同一会议填一次即可）", "the resolution, once a meeting"),
               "同意实施，按程序公开", aliases=("决议内容",), width=30),
    ),
    key="会议编号",
)  # fmt: skip

SHEETS = (CASES, STEPS, MEETINGS)
INSTRUCTIONS = "填写说明"
CHOICES = "下拉选项"
TEMPLATE_ONLY = frozenset({INSTRUCTIONS, CHOICES})
"""Sheets of the template that hold no data: read by nobody, warned about by nobody."""


def column_for(loc: Loc) -> Column | None:
    """The column a location in the case's JSON form comes from (steps included)."""
    if len(loc) > 2 and loc[0] == "steps":
        return STEPS.column_for(loc[2:])
    return CASES.column_for(loc)
