"""Write the sample ledgers of a whole district month: the 16 villages of 临淄区, November 2026.

One ledger per village (``ledgers/2026-11/<村名>-2026-11-台账.xlsx``), in the
format ``xwql intake`` reads. The month holds what a real one does: cases closed
in the month (relief with notice and result, purchases and wages with amounts),
cases still open at month end and some of them overdue on 30 November, cases
carried over from October, a few rejected (不予受理) or withdrawn (已撤回)
cases, cases filed by a proxy (代办), a few irregular cases whose forced step
and its written reason are recorded in the 强制理由 column, and a few whose steps
depart from a drafted flow (advice only, until the district confirms the flow).

People, ID numbers (valid GB 11643 check digits) and phone numbers are invented.
南马村's ledger starts with the ten hand-written cases of ``make_sample_ledger``.
The data come from a seeded generator, checked against the flow and deadline
rules before anything is written; the workbooks are written with fixed
timestamps, so running this twice gives identical files. From the project root:

    .venv/bin/python examples/linzi/make_sample_ledgers.py [--out DIR]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import re
import zipfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from make_sample_ledger import (
    Row,
    id_number,
    meeting_rows,
    quorate_meeting,
    sample_meetings,
    sample_rows,
    write_ledger,
)

from pipeline.cases.meetings import Meeting
from pipeline.cases.model import Case, CaseStatus, Person, Proxy, StepRecord
from pipeline.catalog import Catalog, load_catalog
from pipeline.catalog.model import CatalogItem, DayUnit, MeetingKind, MeetingRules, Step, StepKind
from pipeline.intake import read_ledger
from pipeline.intake.importing import with_rule_findings
from pipeline.intake.values import resolve_step
from pipeline.organisations import Directory, Place, load_district
from pipeline.rules.actors import actor_alternatives
from pipeline.rules.calendar import add_days, is_working_day
from pipeline.rules.deadlines import overdue
from pipeline.rules.flow import next_step, notice_period, validate_history
from pipeline.rules.meetings import meeting_kinds

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(__file__).resolve().parent / "ledgers" / "2026-11"
MONTH = "2026-11"
FIRST = dt.date(2026, 11, 1)
LAST = dt.date(2026, 11, 30)
SEED = "linzi-2026-11"
FROZEN = (2026, 12, 1, 0, 0, 0)
"""The timestamp every file in the written workbooks carries."""

MONEY_CATEGORIES = ("资金管理", "工资薪酬类", "保障救助")


# --- people ----------------------------------------------------------------------------------


def chunks(text: str, size: int) -> list[str]:
    """``text`` cut into pieces of ``size`` characters."""
    return [text[i : i + size] for i in range(0, len(text), size)]


SURNAMES = "王王王张张张李李李刘刘刘孙孙赵赵陈陈杨杨高高马马周吴徐于崔房边韩郑朱宋魏田董曹袁冯许石毕耿路翟蒋齐"
MALE_1 = "军伟强磊涛刚勇明亮斌峰杰海波辉鹏超东林兵华平健毅鑫浩宇帅堃"
FEMALE_1 = "芳娟敏静丽霞燕玲萍红梅兰凤琴艳慧婷雪莉娜颖洁"
MALE_2_OLD = chunks(
    "建国建华德顺庆福春生宝山振华立新国栋志强文斌金海玉成学军洪涛永胜兆勇传福衍军广平继东传明兆林庆丰守田",
    2,
)
FEMALE_2_OLD = chunks("秀英桂兰玉兰凤英秀兰桂芝秀珍玉芬淑芳春燕爱华丽娟翠英美玲红霞素梅桂荣玉梅", 2)
MALE_2_YOUNG = chunks("浩然子豪宇航俊杰文博思远博文嘉豪晓东明辉志远立伟", 2)
FEMALE_2_YOUNG = chunks("欣怡梦琪思雨雨萱佳怡子涵诗琪晓雯雅婷晓丽", 2)
MOBILE_PREFIXES = chunks(
    "130131132133135136137138139150151152153155156157158159177180186187188189199", 3
)
STREETS = ("一街", "二街", "三街", "四街", "五街", "前街", "后街", "东街", "西街", "中心街")


def yuan(amount: Decimal) -> str:
    """An amount as a notice writes it: 1260元, 1032.50元, 35.6万元."""
    if amount >= 10000 and amount % 100 == 0:
        return f"{(amount / 10000).normalize():f}万元"
    return f"{amount.normalize():f}元" if amount == amount.to_integral() else f"{amount}元"


@dataclass
class People:
    """Names and ID numbers already used, so every invented person is a different one."""

    rng: random.Random
    names: set[str] = field(default_factory=set)
    ids: set[str] = field(default_factory=set)

    def person(
        self,
        village: str,
        born: tuple[int, int],
        *,
        male: bool | None = None,
        household: bool = False,
        phone: bool = True,
    ) -> Person:
        """An invented villager of ``village`` born in the years ``born``."""
        rng = self.rng
        male = rng.random() < 0.5 if male is None else male
        birth = dt.date(rng.randint(*born), 1, 1) + dt.timedelta(days=rng.randrange(365))
        name = self._name(male, birth.year)
        while True:
            seq = rng.randrange(0, 500) * 2 + 1 if male else rng.randrange(1, 500) * 2  # odd: male
            number = id_number(f"{birth:%Y%m%d}", seq)
            if number not in self.ids:
                self.ids.add(number)
                break
        old = birth.year < 1950
        return Person(
            name=name,
            id_number=number,
            phone=self.phone() if phone and not (old and rng.random() < 0.4) else None,
            address=self.address(village),
            household_size=rng.choice((1, 2, 2, 3, 3, 4, 4, 5, 6)) if household else None,
        )

    def _name(self, male: bool, year: int) -> str:
        rng = self.rng
        while True:
            surname = rng.choice(SURNAMES)
            if rng.random() < 0.55:
                given = rng.choice(MALE_1 if male else FEMALE_1)
            elif year < 1975:
                given = rng.choice(MALE_2_OLD if male else FEMALE_2_OLD)
            else:
                given = rng.choice(MALE_2_YOUNG if male else FEMALE_2_YOUNG)
            if surname + given not in self.names:
                self.names.add(surname + given)
                return surname + given

    def phone(self) -> str:
        """An invented mobile number."""
        return self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"

    def address(self, village: str) -> str:
        """An invented address in ``village``."""
        rng = self.rng
        if village.endswith("社区"):
            return f"{village}{rng.randint(1, 18)}号楼{rng.randint(1, 3)}单元{rng.randint(1, 6)}0{rng.randint(1, 2)}室"
        return f"{village}{rng.choice(STREETS)}{rng.randint(1, 60)}号"


# --- what each item's cases are about --------------------------------------------------------

Draw = Callable[[random.Random, int], tuple[Decimal | None, dict[str, str]]]


def money(lo: int, hi: int, step: int = 10, **extra: str) -> Draw:
    """An amount between ``lo`` and ``hi`` yuan in steps of ``step``."""
    return lambda rng, _hh: (Decimal(rng.randrange(lo, hi + 1, step)), dict(extra))


def per_person(lo: int, hi: int, step: int = 10) -> Draw:
    """A monthly amount per household member."""
    return lambda rng, hh: (Decimal(hh * rng.randrange(lo, hi + 1, step)), {})


def choose(*options: tuple[str, int, int, int]) -> Draw:
    """One of several subjects (``{subject}``), each with its amount range and step."""

    def draw(rng: random.Random, _hh: int) -> tuple[Decimal | None, dict[str, str]]:
        subject, lo, hi, step = rng.choice(options)
        return (Decimal(rng.randrange(lo, hi + 1, step)) if hi else None), {"subject": subject}

    return draw


def workers(daily: int) -> Draw:
    """Temporary labour: ``{n}`` people for ``{days}`` days at ``daily`` yuan."""

    def draw(rng: random.Random, _hh: int) -> tuple[Decimal | None, dict[str, str]]:
        n, days = rng.randint(2, 8), rng.randint(3, 12)
        return Decimal(n * days * daily), {"n": str(n), "days": str(days)}

    return draw


def acres(per_mu: int) -> Draw:
    """Land of ``{mu}`` mu at ``per_mu`` yuan a mu."""

    def draw(rng: random.Random, _hh: int) -> tuple[Decimal | None, dict[str, str]]:
        mu = Decimal(rng.randrange(20, 121)) / 10
        return (mu * per_mu).quantize(Decimal("0.01")), {"mu": f"{mu:f}"}

    return draw


def pick(key: str, *values: str, amount: tuple[int, int, int] | None = None) -> Draw:
    """``{key}`` is one of ``values``; an amount in the range ``amount`` (lo, hi, step), if given."""

    def draw(rng: random.Random, _hh: int) -> tuple[Decimal | None, dict[str, str]]:
        words = {key: rng.choice(values)}
        return (
            Decimal(rng.randrange(amount[0], amount[1] + 1, amount[2])) if amount else None
        ), words

    return draw


@dataclass(frozen=True)
class Profile:
    """How the cases of one item read: who applies, why, for how much, with what result.

    Templates take ``{amount}`` (as ``yuan`` writes it), ``{hh}`` (household size),
    ``{village}`` and whatever the item's ``draw`` adds.
    """

    who: str  # person | cadre | body
    reasons: tuple[str, ...]
    draw: Draw | None = None
    decision: str = ""
    result: str = ""
    born: tuple[int, int] = (1955, 1995)
    household: bool = False
    reject: tuple[str, ...] = ()
    withdraw: str = ""


# fmt: off
PROFILES: dict[str, Profile] = {
    "xwql-001": Profile("body", ("{subject}",), choose(
        ("村内主街道路硬化（约1.2公里）", 280000, 420000, 1000),
        ("村文化广场提升改造", 120000, 260000, 1000),
        ("冬季清洁取暖“煤改电”配套线路改造", 150000, 300000, 1000),
        ("村北排水沟清淤及护坡改造", 60000, 150000, 1000)),
        "同意实施{subject}，预算{amount}，按限额以下工程程序实施", "“四议两公开”决议已公开，{subject}按程序实施"),
    "xwql-002": Profile("body", ("{subject}",), choose(
        ("村北排水沟清淤改造工程", 60000, 180000, 500),
        ("文化广场太阳能路灯安装工程", 40000, 90000, 500),
        ("村东生产路修缮工程", 80000, 250000, 500)),
        "经村“两委”研究，{subject}由报价最低的合格施工单位承建，合同价{amount}",
        "{subject}已竣工验收并结算，结算价{amount}，结果已公开"),
    "xwql-003": Profile("cadre", ("{subject}",), choose(
        ("道路硬化工程采购水泥、石子等材料", 30000, 90000, 100),
        ("排水沟改造工程采购管材", 8000, 30000, 100)),
        "经比价，向报价最低的供应商采购，金额{amount}", "材料已验收入库并报账，共计{amount}"),
    "xwql-004": Profile("body", ("区重点道路拓宽项目涉及本村集体土地征收（约{mu}亩）",), acres(48000),
        "征地补偿安置方案已公示，征求村民意见"),
    "xwql-005": Profile("cadre", ("{subject}",), choose(
        ("采购村委会办公用品（打印纸、硒鼓、档案盒）", 300, 1800, 10),
        ("采购冬季值班用品（棉门帘、取暖器）", 200, 900, 10),
        ("采购便民服务室复印纸和文件夹", 150, 600, 10)),
        "村“两委”同意采购，限额{amount}", "已采购并验收入库，共计{amount}，已报账并公开"),
    "xwql-006": Profile("cadre", ("{subject}",), choose(
        ("重阳节敬老活动采购慰问品", 1500, 5000, 50),
        ("村民冬季趣味运动会采购奖品", 800, 3000, 50),
        ("元旦文艺汇演采购演出用品", 1000, 3500, 50)),
        "同意活动方案，活动用品预算{amount}", "活动已举办，用品采购{amount}，已验收报账并公开"),
    "xwql-007": Profile("cadre", ("{subject}",), choose(
        ("便民服务室更换办公电脑2台", 7000, 11000, 100),
        ("村档案室购置密集档案柜", 12000, 26000, 100),
        ("村委会会议室更换空调", 5000, 9000, 100)),
        "村“两委”同意购置，经比价选定供应商，金额{amount}", "已购置并验收登记入账，共计{amount}，已公开"),
    "xwql-008": Profile("cadre", ("{subject}",), choose(
        ("村委会办公室空调维修", 300, 1200, 10),
        ("村内路灯线路维修", 800, 2600, 10),
        ("便民服务室打印机维修", 150, 600, 10)),
        "村“两委”同意维修，限额{amount}", "已维修并验收，维修费{amount}，已报账并公开"),
    "xwql-009": Profile("cadre", ("{subject}",), choose(
        ("村集体铲车发动机维修", 3000, 12000, 100),
        ("农田灌溉抽水泵维修", 2000, 8000, 100)),
        "村“两委”同意维修，经比价选定维修厂，金额{amount}", "已维修并验收，维修费{amount}，已报账并公开"),
    "xwql-010": Profile("body", ("{subject}",), choose(
        ("村集体闲置厂房公开出租（年租金底价）", 40000, 120000, 1000),
        ("原村小学闲置校舍公开出租（年租金底价）", 20000, 60000, 1000)),
        "同意公开出租，年租金底价{amount}", "经公开竞价出租，年租金{amount}，合同已签订并公开"),
    "xwql-011": Profile("body", ("村集体机动地{mu}亩公开发包（5年）",), acres(900),
        "同意公开发包，年承包费底价{amount}", "经公开竞价发包，年承包费{amount}，合同已签订并公开"),
    "xwql-012": Profile("person", ("递交入党申请书，申请加入中国共产党",), born=(1995, 2004)),
    "xwql-013": Profile("person", ("因工作调动，将党员组织关系转往{dest}",),
        pick("dest", "淄博市张店区", "临淄区辛店街道", "青岛市黄岛区", "济南市历下区"),
        result="组织关系介绍信已开具，已在接收党组织报到", born=(1975, 2000)),
    "xwql-014": Profile("person", ("报名村{post}公益性岗位",), pick("post", "保洁员", "护林员", "网格员"),
        "经村“两委”研究，拟推荐为公益性岗位人员", "经公示无异议，已推荐至镇（街道）", born=(1968, 1995)),
    "xwql-016": Profile("person", ("从事{job}，申请灵活就业人员认定",), pick("job", "网约车驾驶", "外卖配送", "家政服务", "个体电商"),
        result="已认定为灵活就业人员", born=(1975, 1998)),
    "xwql-017": Profile("cadre", ("冬季清雪、防火巡查临时用工{n}人，{days}天",), workers(120),
        "同意临时用工{n}人，日工资120元", "已按考勤发放临工薪酬{amount}，发放表已公开"),
    "xwql-018": Profile("cadre", ("村内绿化带冬季修剪补植短期用工{n}人，{days}天",), workers(110),
        "同意短期用工{n}人，日工资110元", "已按考勤发放短工工资{amount}，发放表已公开"),
    "xwql-019": Profile("cadre", ("村民代表参加村务会议及协助人口抽样调查误工补贴（{n}人，{days}天）",), workers(80),
        "按每人每天80元标准发放误工补贴", "已发放误工补贴{amount}，发放表已公开"),
    "xwql-020": Profile("cadre", ("{subject}",), choose(
        ("村干部赴淄博市参加乡村振兴培训差旅费", 200, 900, 10),
        ("赴区档案馆报送村级档案资料差旅费", 60, 200, 10)),
        result="已报销差旅费{amount}，已公开"),
    "xwql-021": Profile("person", ("老宅墙体开裂，申请原址翻修住房（约{m2}平方米）",), pick("m2", "80", "96", "110", "120"),
        "经村“两委”会议研究，同意原址翻修", born=(1950, 1978), household=True,
        withdraw="申请人决定暂缓翻修，于{date}书面撤回申请"),
    "xwql-022": Profile("person", ("配偶因病去世，家庭无稳定收入", "本人患慢性病丧失劳动能力，家庭收入低于低保标准",
                                   "年老体弱，无固定收入来源", "家庭成员患重病，医疗支出大，生活困难"),
        per_person(600, 800), "拟纳入农村低保，保障{hh}人，月保障金{amount}",
        "经区民政局确认，纳入农村低保，保障{hh}人，月保障金{amount}", born=(1945, 1975), household=True,
        reject=("家庭人均收入高于当地低保标准", "共同生活家庭成员名下有机动车辆，不符合低保条件")),
    "xwql-023": Profile("person", ("因{subject}住院治疗，自付医疗费用较高",), choose(
        ("脑梗", 1500, 8000, 100), ("股骨骨折", 2000, 9000, 100), ("心脏支架手术", 3000, 12000, 100)),
        "拟给予医疗救助{amount}", "已发放医疗救助金{amount}", born=(1950, 1990), household=True,
        reject=("已享受同类医疗救助，不重复救助",)),
    "xwql-024": Profile("person", ("考入{school}，家庭经济困难，申请民政助学",),
        pick("school", "山东理工大学", "淄博职业学院", "青岛科技大学", "山东师范大学", amount=(3000, 5000, 1000)),
        "拟给予助学金{amount}", "已发放助学金{amount}", born=(2006, 2008), household=True,
        reject=("家庭经济状况不符合民政助学条件",)),
    "xwql-025": Profile("person", ("住房经鉴定为危房，无力修缮，申请住房救助",), money(15000, 35000, 1000),
        "拟给予住房救助{amount}", born=(1945, 1970), household=True),
    "xwql-026": Profile("person", ("家中失火，生活临时困难", "遭遇交通事故，医疗费用支出大，生活临时困难",
                                   "突发重病，家庭生活陷入困境", "家中主要劳动力意外受伤，暂时无收入"),
        money(1000, 5000, 100), "拟给予临时救助{amount}", "已发放临时救助金{amount}", born=(1950, 1990),
        household=True, reject=("困难情形已通过低保和医疗救助解决，不符合临时救助条件",)),
    "xwql-027": Profile("person", ("无劳动能力、无生活来源、无法定赡养人，申请特困人员救助供养",),
        money(1150, 1350, 10), "拟认定为特困供养人员，基本生活费每月{amount}",
        "经区民政局确认为特困供养人员，分散供养，基本生活费每月{amount}", born=(1938, 1955)),
    "xwql-028": Profile("person", ("{disability}，申请困难残疾人生活补贴和重度残疾人护理补贴",),
        pick("disability", "肢体一级残疾", "视力二级残疾", "精神二级残疾"), born=(1950, 1995), household=True),
    "xwql-029": Profile("person", ("{subject}，申请受损住房恢复重建救助",), choose(
        ("大风天气致房屋屋顶受损", 2000, 8000, 500), ("连日降雨致房屋后墙局部倒塌", 5000, 15000, 500)),
        "拟给予受损住房恢复重建救助{amount}", "已发放救助金{amount}", born=(1945, 1980), household=True),
    "xwql-030": Profile("body", ("区应急管理局下拨冬春受灾群众生活救助款",), money(10000, 40000, 1000),
        "经村民委员会民主评议，确定救助对象{n}户", "救助款{amount}已发放到户，发放名单已公开",
    ),
    "xwql-031": Profile("body", ("接收冬春救助棉被、大米等救助物资（折合金额）",), money(5000, 20000, 500),
        "经村民代表会议评议，确定发放对象{n}户", "救助物资（折合{amount}）已发放到户，发放名单已公开"),
    "xwql-032": Profile("person", ("带病回乡退伍军人，申请生活补助金",), money(4000, 6000, 100), born=(1955, 1968)),
    "xwql-033": Profile("person", ("建档立卡家庭在校{school}学生，申请教育补助",), pick("school", "小学", "初中", "高中"),
        "拟上报教育补助对象", born=(2009, 2019)),
    "xwql-036": Profile("person", ("{who}，申请定期抚恤补助金",), pick("who", "烈士遗属", "因公牺牲军人遗属", "病故军人遗属",
        amount=(3000, 6000, 100)), born=(1940, 1960)),
    "xwql-037": Profile("person", ("办理第一个孩子的生育登记（生育服务手册）", "办理第二个孩子的生育登记（生育服务手册）"),
        result="生育服务手册已办理并发放", born=(1992, 2001)),
    "xwql-038": Profile("person", ("符合农村部分计划生育家庭奖励扶助条件，申请奖励扶助金",), money(960, 960, 1),
        "拟纳入奖励扶助对象，年扶助金{amount}", "已纳入奖励扶助对象，年扶助金{amount}按季发放", born=(1963, 1966)),
    "xwql-039": Profile("body", ("{subject}",), choose(
        ("举办“孝善敬老”重阳节活动", 0, 0, 1), ("举办村民冬季趣味运动会", 0, 0, 1), ("组织“移风易俗”文艺演出", 0, 0, 1)),
        "村“两委”同意活动方案", "活动已举办，活动情况已公开"),
    "xwql-040": Profile("cadre", ("为村民开具{doc}用章",), pick("doc", "居住证明", "家庭经济状况证明", "收入证明", "亲属关系证明"),
        result="已在{doc}上加盖村委会公章1次，已登记用印登记簿"),
    "xwql-041": Profile("person", ("返乡创业开办{subject}，申请创业担保贷款{amount}",), choose(
        ("农产品网店", 100000, 200000, 10000), ("蔬菜大棚", 150000, 300000, 10000), ("汽车维修店", 100000, 300000, 10000)),
        born=(1985, 2000), reject=("申请人有未结清的逾期贷款记录，不符合创业担保贷款条件",),
        withdraw="申请人已自筹资金，于{date}书面撤回贷款申请"),
    "xwql-042": Profile("person", ("办理2027年度城乡居民医疗保险参保登记",), result="已完成2027年度城乡居民医保参保登记并缴费",
        born=(1950, 2010)),
    "xwql-043": Profile("person", ("患{subject}，长期治疗费用高，申请医疗救助",), choose(
        ("尿毒症需定期透析", 3000, 10000, 100), ("恶性肿瘤术后化疗", 4000, 12000, 100), ("糖尿病并发症", 2000, 6000, 100)),
        "拟给予医疗救助{amount}", "已发放医疗救助金{amount}", born=(1950, 1985), household=True),
    "xwql-044": Profile("body", ("开展“宪法宣传周”普法宣传活动",), pick("n", "200", "300", "500"),
        "村“两委”同意普法工作计划", "已举办普法讲座1场，发放宣传资料{n}份，工作情况已公开"),
    "xwql-045": Profile("person", ("与邻居因宅基地界址发生纠纷", "与同村村民因排水问题发生纠纷", "家庭赡养纠纷",
                                   "与承包户因土地流转费用发生纠纷"),
        result="经调解达成书面协议，已履行", born=(1950, 1985),
        withdraw="双方自行和解，申请人于{date}撤回调解申请"),
    "xwql-046": Profile("person", ("申报2026年耕地地力保护补贴（{mu}亩）",), acres(120),
        "拟申报耕地地力保护补贴{mu}亩，{amount}", "补贴{amount}已由区财政局通过惠农“一卡通”发放",
        born=(1950, 1985), household=True, reject=("所报地块已流转他人耕种，应由实际种植者申报",)),
    "xwql-047": Profile("person", ("为{mu}亩冬小麦投保农业保险",), acres(6), "拟参保冬小麦{mu}亩，农户自缴保费{amount}",
        born=(1955, 1985)),
    "xwql-048": Profile("person", ("{kin}去世，申请安葬于村公益性公墓",), pick("kin", "父亲", "母亲"),
        result="已分配公益性墓位1个", born=(1958, 1985)),
    "xwql-049": Profile("body", ("日常巡查发现村内古井护栏破损",), decision="村“两委”研究制定保护措施"),
    "xwql-050": Profile("person", ("报名参加村志愿服务队（{service}）",), pick("service", "敬老助残", "环境整治", "文明交通劝导"),
        "村“两委”同意纳入志愿服务计划", "已登记为志愿者并参加志愿服务，服务记录已公开", born=(1990, 2008)),
}

CLOSED_AID = ("xwql-022", "xwql-023", "xwql-024", "xwql-026", "xwql-027", "xwql-029", "xwql-030",
              "xwql-031", "xwql-038", "xwql-043", "xwql-046")
CLOSED_FUNDS = ("xwql-003", "xwql-005", "xwql-006", "xwql-007", "xwql-008", "xwql-009",
                "xwql-017", "xwql-018", "xwql-019", "xwql-020")
CLOSED_OTHER = ("xwql-013", "xwql-037", "xwql-039", "xwql-040", "xwql-042", "xwql-044",
                "xwql-045", "xwql-048", "xwql-050")
OPEN = ("xwql-001", "xwql-002", "xwql-004", "xwql-010", "xwql-011", "xwql-012", "xwql-014",
        "xwql-016", "xwql-021", "xwql-022", "xwql-023", "xwql-024", "xwql-025", "xwql-026",
        "xwql-028", "xwql-032", "xwql-041", "xwql-046", "xwql-047", "xwql-049")
OVERDUE = ("xwql-002", "xwql-005", "xwql-013", "xwql-016", "xwql-017", "xwql-022", "xwql-026",
           "xwql-037", "xwql-038", "xwql-041", "xwql-042", "xwql-043", "xwql-045", "xwql-046",
           "xwql-048")
REJECTED = ("xwql-022", "xwql-023", "xwql-024", "xwql-026", "xwql-041", "xwql-046")
WITHDRAWN = ("xwql-021", "xwql-041", "xwql-045")
PROXY = ("xwql-016", "xwql-022", "xwql-023", "xwql-025", "xwql-026", "xwql-027", "xwql-028",
         "xwql-029", "xwql-038", "xwql-042", "xwql-043", "xwql-046", "xwql-048")
"""Items a villager may have a cadre file for them (代办)."""
# fmt: on

OUTCOMES = {
    StepKind.APPLY: "提交书面申请及材料",
    StepKind.ACCEPT: "材料齐全，予以受理，一次性告知办理流程和时限",
    StepKind.REVIEW: "审核通过",
    StepKind.DECISION: "会议研究同意",
    StepKind.APPROVE: "审批同意",
    StepKind.IMPLEMENT: "已办理",
    StepKind.REPORT: "已按要求报送",
    StepKind.RESULT: "结果已在村务公开栏公开",
    StepKind.ARCHIVE: "资料已整理归档",
}
OUTCOMES_BY_STEP = {
    "investigate": "入户调查核实，情况属实",
    "site_check": "现场查看，情况属实",
    "damage_check": "现场核查受灾情况属实",
    "inspect_goods": "验收数量、质量无误",
    "inspect_repair": "验收合格",
    "inspect_register": "验收合格，已登记固定资产",
    "acceptance": "验收合格",
    "reimburse": "票据审核无误，已报账",
    "accounting_review": "票据审核无误",
    "mediate": "经调解双方达成一致",
    "agreement": "签订人民调解协议书",
    "follow_up": "回访协议已履行",
    "stamp": "加盖村委会公章1次",
    "register": "已登记用印登记簿",
}


# --- the month of one village ---------------------------------------------------------------


@dataclass(frozen=True)
class Cadres:
    """The village's cadres who receive, handle, file by proxy and keep the accounts."""

    secretary: Person  # 村党组织书记、村委会主任（一肩挑）
    clerk: Person  # 便民服务室民政协理员: 首问负责人
    proxy: Person  # 村民事务代办员
    accountant: Person  # 村报账员
    supervisor: Person  # 村务监督委员会主任
    town: str  # the town's case officer


def _working_day(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    days = [start + dt.timedelta(n) for n in range((end - start).days + 1)]
    return rng.choice([day for day in days if is_working_day(day)])


@dataclass
class Month:
    """Plans the cases of one village's month, each checked against the rules."""

    place: Place
    catalog: Catalog
    people: People
    cadres: Cadres
    rng: random.Random
    cases: list[Case] = field(default_factory=list)

    # -- building blocks ------------------------------------------------------------------

    def applicant(self, item: CatalogItem, profile: Profile) -> Person:
        village = self.place.village
        if profile.who == "body":
            party = actor_alternatives(item.steps[0].actor)[0] == "村党组织"
            return Person(name=f"{village.name}党支部" if party else village.committee)
        if profile.who == "cadre":
            return self.rng.choice(
                (self.cadres.secretary, self.cadres.clerk, self.cadres.accountant)
            )
        return self.people.person(village.name, profile.born, household=profile.household)

    def dates(self, item: CatalogItem, received: dt.date, count: int) -> list[dt.date]:
        """The dates of the item's first ``count`` steps, each a working day after the last.

        A step after a notice waits for the notice period to end; a step with a time
        limit is done within it.
        """
        dates: list[dt.date] = []
        for index, step in enumerate(item.steps[:count]):
            if index == 0:
                dates.append(received)
                continue
            base = dates[-1]
            previous = item.steps[index - 1]
            period = (
                notice_period(item, previous, base) if previous.kind is StepKind.NOTICE else None
            )
            if period is not None:
                base = period[1]
            gap = self.rng.choice((1, 1, 1, 2, 2, 3))
            if step.time_limit is not None:
                gap = min(gap, step.time_limit.days)
            dates.append(add_days(base, gap, DayUnit.WORKING))
        return dates

    def actor(self, step: Step, case_proxy: bool) -> str:
        alternatives = actor_alternatives(step.actor)
        if case_proxy and step.kind is StepKind.APPLY and "代理人" in alternatives:
            return "代理人"
        return alternatives[0]

    def operator(self, actor: str, applicant: Person, proxy: bool) -> str | None:
        if actor in ("申请人", "代理人", "纠纷当事人", "党员", "参保人", "学生", "志愿者",
                     "投保农户", "逝者家属", "户主", "受灾人员"):  # fmt: skip
            return self.cadres.proxy.name if proxy else applicant.name
        if "监督" in actor:
            return self.cadres.supervisor.name
        if "报账员" in actor:
            return self.cadres.accountant.name
        if actor.startswith(("区", "市", "担保", "保险", "代理发放")):
            return None
        if actor.startswith("镇"):
            return self.cadres.town
        if actor.startswith(("村党组织", "党员大会", "村“两委”", "村民代表", "村民会议")):
            return self.cadres.secretary.name
        return self.cadres.clerk.name

    def outcome(
        self, item: CatalogItem, step: Step, date: dt.date, last: bool, amount: Decimal | None
    ) -> str:
        if step.kind is StepKind.NOTICE:
            period = notice_period(item, step, date)
            if period is None:
                return "已张贴公示"
            end = period[1]
            tail = "，期间无异议" if not last else ""
            return f"张贴公示{period[2]}天（{date.month}月{date.day}日至{end.month}月{end.day}日）{tail}"
        if step.id in ("pay", "payment", "distribute") and amount is not None:
            return f"已发放{yuan(amount)}"
        return OUTCOMES_BY_STEP.get(step.id, OUTCOMES[step.kind])

    def records(
        self,
        item: CatalogItem,
        dates: list[dt.date],
        applicant: Person,
        proxy: bool,
        amount: Decimal | None,
        *,
        complete: bool,
    ) -> list[StepRecord]:
        records = []
        for index, (step, date) in enumerate(zip(item.steps, dates, strict=False)):
            actor = self.actor(step, proxy)
            # A placeholder: ``number`` numbers the meetings in the order they were held.
            meeting = "会议记录" if step.kind is StepKind.DECISION else None
            last = index == len(dates) - 1 and not complete
            records.append(StepRecord(
                step=step.id, actor=actor, operator=self.operator(actor, applicant, proxy and index == 0),
                date=date, outcome=self.outcome(item, step, date, last, amount),
                meeting_record=meeting, by_proxy=proxy and index == 0,
            ))  # fmt: skip
        return records

    def case(
        self,
        item: CatalogItem,
        received: dt.date,
        count: int,
        *,
        proxy: bool = False,
        status: CaseStatus | None = None,
    ) -> Case:
        """A case of ``item`` received on ``received`` with its first ``count`` steps."""
        profile = PROFILES[item.code]
        applicant = self.applicant(item, profile)
        amount, words = (
            profile.draw(self.rng, applicant.household_size or 1) if profile.draw else (None, {})
        )
        words |= {"hh": str(applicant.household_size or 1), "village": self.place.village.name,
                  "n": words.get("n", str(self.rng.randint(6, 30)))}  # fmt: skip
        if amount is not None:
            words["amount"] = yuan(amount)
        dates = self.dates(item, received, count)
        complete = count == len(item.steps)
        proxy = proxy and item.code in PROXY
        steps = self.records(item, dates, applicant, proxy, amount, complete=complete)
        reached = {record.step for record in steps}
        decided = any(
            s.id in reached and s.kind in (StepKind.DECISION, StepKind.NOTICE) for s in item.steps
        )
        if profile.decision.startswith("拟") and not decided:
            amount = None  # relief is granted by the decision; none yet
        materials = [
            m.name for m in item.materials[: self.rng.randint(2, max(2, len(item.materials)))]
        ]
        return Case(
            case_id="TBD",
            item_code=item.code,
            village=self.place.village.code,
            applicants=[applicant],
            first_contact_officer=self.cadres.clerk.name,
            proxy=Proxy(name=self.cadres.proxy.name, authorised_on=received) if proxy else None,
            received_on=received,
            reason=self.rng.choice(profile.reasons).format_map(words),
            materials_received=materials,
            amount=amount,
            steps=steps,
            decision=profile.decision.format_map(words) if profile.decision and decided else None,
            result=profile.result.format_map(words) if profile.result and complete else None,
            status=status or (CaseStatus.CLOSED if complete else CaseStatus.OPEN),
        )

    def fits(self, case: Case) -> bool:
        """No step after the month, and the flow rules hold (forced steps aside)."""
        item = self.catalog.get(case.item_code)
        return all(s.date <= LAST for s in case.steps) and not validate_history(case, item)

    def late(self, case: Case) -> bool:
        return bool(overdue([case], self.catalog, LAST))

    def add(self, make: Callable[[], Case], wanted: Callable[[Case], bool]) -> None:
        """Draw cases from ``make`` until one fits the rules and is ``wanted``."""
        for _ in range(500):
            case = make()
            if self.fits(case) and wanted(case):
                self.cases.append(case)
                return
        raise SystemExit(f"no fitting case for {self.place.village.name}: {make}")

    # -- the kinds of case ----------------------------------------------------------------

    def closed(self, code: str, proxy: bool = False) -> None:
        item = self.catalog.get(code)
        self.add(
            lambda: self.case(item, _working_day(self.rng, dt.date(2026, 10, 12), dt.date(2026, 11, 20)),
                              len(item.steps), proxy=proxy),
            lambda case: case.steps[-1].date >= FIRST,
        )  # fmt: skip

    def open(self, code: str, proxy: bool = False) -> None:
        item = self.catalog.get(code)
        self.add(
            lambda: self.case(item, _working_day(self.rng, dt.date(2026, 11, 2), LAST),
                              self.rng.randint(1, len(item.steps) - 1), proxy=proxy),
            lambda case: not self.late(case),
        )  # fmt: skip

    def late_case(self, code: str) -> None:
        item = self.catalog.get(code)
        limited = [i for i, step in enumerate(item.steps) if step.time_limit is not None and i > 0]
        self.add(
            lambda: self.case(item, _working_day(self.rng, dt.date(2026, 10, 9), dt.date(2026, 11, 16)),
                              self.rng.choice(limited)),
            self.late,
        )  # fmt: skip

    def refused(self, code: str, status: CaseStatus) -> None:
        item = self.catalog.get(code)
        profile = PROFILES[code]
        first_check = next(i for i, s in enumerate(item.steps)
                           if s.kind in (StepKind.ACCEPT, StepKind.REVIEW))  # fmt: skip

        def make() -> Case:
            count = first_check + 1 if status is CaseStatus.REJECTED else self.rng.randint(2, 3)
            case = self.case(item, _working_day(self.rng, dt.date(2026, 11, 2), dt.date(2026, 11, 24)),
                             count, status=status)  # fmt: skip
            if "{amount}" not in "".join(profile.reasons):
                case = case.model_copy(update={"amount": None})  # nothing granted
            last = case.steps[-1]
            if status is CaseStatus.REJECTED:
                why = self.rng.choice(profile.reject)
                steps = [
                    *case.steps[:-1],
                    last.model_copy(update={"outcome": f"经核实，{why}，不予受理"}),
                ]
                result = f"不予受理：{why}；已书面告知申请人并说明理由"
                return case.model_copy(update={"steps": steps, "result": result, "decision": None})
            gone = add_days(last.date, self.rng.randint(1, 4), DayUnit.WORKING)
            return case.model_copy(
                update={"result": profile.withdraw.format(date=f"{gone.month}月{gone.day}日")}
            )

        self.add(make, lambda case: True)

    # -- cases off the rules: forced (an irregularity) or off a drafted flow (advice) ------

    def departing(self, departure: Departure) -> None:
        item = self.catalog.get(departure.item)

        def make() -> Case:
            received = _working_day(self.rng, dt.date(2026, 10, 26), dt.date(2026, 11, 12))
            case = self.case(item, received, departure.steps or len(item.steps),
                             proxy=departure.proxy)  # fmt: skip
            update: dict[str, object] = {}
            if departure.case_reason:
                update["reason"] = departure.case_reason
            if departure.drop:
                update["steps"] = [r for r in case.steps if r.step != departure.drop]
                update["decision"] = None
            if case.proxy is not None:  # the authorisation signed the next working day
                signed = add_days(received, 1, DayUnit.WORKING)
                update["proxy"] = case.proxy.model_copy(update={"authorised_on": signed})
            case = case.model_copy(update=update)
            changes = departure.change(case)
            forced = {"forced_reason": departure.reason} if departure.reason else {}
            steps = [
                r.model_copy(update=changes[r.step] | forced) if r.step in changes else r
                for r in case.steps
            ]
            return case.model_copy(update={"steps": steps})

        def departs(case: Case) -> bool:
            found = with_rule_findings(case, item)
            wanted = found.irregularities if departure.reason else found.advisories
            unwanted = found.advisories if departure.reason else found.irregularities
            return bool(wanted) and not unwanted and not self.late(case)

        self.add(make, departs)


def _day_of(case: Case, step: str, later: int = 0) -> dt.date:
    """The date of ``step`` in ``case``, or the ``later``-th working day after it."""
    day = next(record.date for record in case.steps if record.step == step)
    return add_days(day, later, DayUnit.WORKING)


@dataclass(frozen=True)
class Departure:
    """A case of ``item`` whose steps ``change`` makes depart from the rules.

    With a ``reason`` the changed steps are forced against a rule that refuses (the
    flows the source prints, and the rules that rest on no draft): an irregularity,
    public in the monthly pack. Without one the change breaks only a drafted flow:
    advice to the clerk, internal. The case has all its item's steps, or its first
    ``steps``; ``drop`` names a step left out; ``proxy`` files it by proxy, with the
    authorisation signed a day after the first step.
    """

    item: str
    change: Callable[[Case], dict[str, dict[str, object]]]
    reason: str = ""
    case_reason: str = ""
    steps: int | None = None
    drop: str = ""
    proxy: bool = False


# fmt: off
DEPARTURES = (
    # notice-period (a source flow: refuses): the pupils' list reported while its notice ran
    Departure("xwql-033", lambda c: {"report": {"date": _day_of(c, "notice", 2)}},
              "镇（街道）要求当日上报补助名单，经镇（街道）分管领导同意先行上报，公示照常进行，期满无异议后再行确认"),
    # step-order (a source flow: refuses): the district reviewed before the town
    Departure("xwql-032", lambda c: {"district_review": {}},
              "镇（街道）退役军人服务站站长外出培训，经区退役军人事务局同意先行审核，镇级审核意见事后补签",
              drop="town_review", steps=4),
    # meeting-record (a drafted flow: advice): a wage decision entered without its meeting
    Departure("xwql-017", lambda c: {"committees_decide": {"meeting_record": None}}),
    # notice-period (a drafted flow: advice): the outcome published while the resolution was on notice
    Departure("xwql-001", lambda c: {"outcome_notice": {"date": _day_of(c, "resolution_notice", 3)}}),
    # actor (a source flow: refuses): reviewed by the village committee, not the service station
    Departure("xwql-036", lambda c: {"village_review": {"actor": "村民委员会"}},
              "村退役军人服务站站长岗位空缺，经镇（街道）退役军人服务站同意由村民委员会代为初审",
              steps=3),
    # proxy-authorisation (refuses): a proxy filed before the villager signed the authorisation
    Departure("xwql-028", lambda c: {"apply": {}},
              "申请人重度残疾卧床，代办员先行上门代交材料，代办委托书于次日补签", steps=3, proxy=True),
)
DEPARTING_VILLAGES = (1, 3, 6, 9, 12, 14)
"""The villages (by their place in district.yaml) with the cases of ``DEPARTURES``, in order."""
# fmt: on


def _cadres(people: People, place: Place, town_officer: str) -> Cadres:
    name = place.village.name
    clerk = people.person(name, (1975, 1992), male=False)
    if place.village.code == "QL-NM":  # the clerk of make_sample_ledger's cases
        people.names.add("刘芳")
        clerk = clerk.model_copy(update={"name": "刘芳"})
    return Cadres(
        secretary=people.person(name, (1965, 1982), male=True),
        clerk=clerk,
        proxy=people.person(name, (1980, 1995)),
        accountant=people.person(name, (1970, 1990)),
        supervisor=people.person(name, (1955, 1975)),
        town=town_officer,
    )


def start_month(
    place: Place, catalog: Catalog, people: People, town_officer: str, rng: random.Random
) -> Month:
    """An empty month of ``place``: its cadres drawn, cases to add with ``Month``'s methods.

    People are drawn from ``rng``; ``people`` keeps the names and ID numbers in use.
    """
    return Month(place, catalog, People(rng, people.names, people.ids),
                 _cadres(People(rng, people.names, people.ids), place, town_officer), rng)  # fmt: skip


def plan_village(
    place: Place, index: int, catalog: Catalog, people: People, town_officer: str
) -> list[Case]:
    """The new cases of one village's month (南马村's hand-written ones not included)."""
    rng = random.Random(f"{SEED}-{place.village.code}")
    month = start_month(place, catalog, people, town_officer, rng)
    for code in rng.sample(CLOSED_AID, rng.randint(2, 4)):
        month.closed(code, proxy=rng.random() < 0.3)
    for code in rng.sample(CLOSED_FUNDS, rng.randint(1, 3)):
        month.closed(code)
    for code in rng.sample(CLOSED_OTHER, rng.randint(1, 3)):
        month.closed(code)
    for code in rng.sample(OPEN, rng.randint(2, 4)):
        month.open(code, proxy=rng.random() < 0.25)
    for code in rng.sample(OVERDUE, rng.randint(1, 2)):
        month.late_case(code)
    if index % 3 == 0:
        month.refused(rng.choice(REJECTED), CaseStatus.REJECTED)
    elif index % 3 == 1:
        month.refused(rng.choice(WITHDRAWN), CaseStatus.WITHDRAWN)
    if index in DEPARTING_VILLAGES:
        month.departing(DEPARTURES[DEPARTING_VILLAGES.index(index)])
    return number(place, month.cases, taken=10 if place.village.code == "QL-NM" else 0)


def number(place: Place, cases: list[Case], taken: int) -> list[Case]:
    """Number the cases by month received: ``DZ-2026-11-001``; ``taken`` numbers already used in November."""
    prefix = place.village.code.split("-")[1]
    counters: Counter[str] = Counter({MONTH: taken})
    numbered = []
    for case in sorted(cases, key=lambda c: (c.received_on, c.item_code)):
        month = f"{case.received_on:%Y-%m}"
        counters[month] += 1
        numbered.append(
            case.model_copy(update={"case_id": f"{prefix}-{month}-{counters[month]:03d}"})
        )
    # Meeting records are numbered in the order the meetings were held (after the
    # hand-written cases' numbers in 南马村).
    held = sorted(
        (record.date, n, i)
        for n, case in enumerate(numbered)
        for i, record in enumerate(case.steps)
        if record.meeting_record
    )
    start = 11 if taken else 1
    names = {
        (n, i): f"{place.village.name}〔2026〕{k}号会议记录"
        for k, (_, n, i) in enumerate(held, start=start)
    }
    return [
        case.model_copy(update={"steps": [
            record.model_copy(update={"meeting_record": names[n, i]}) if (n, i) in names else record
            for i, record in enumerate(case.steps)
        ]})
        for n, case in enumerate(numbered)
    ]  # fmt: skip


# --- the meeting register: a meeting for every decision ----------------------------------

# fmt: off
MEETING_FAULTS = {
    5: "quorum",  # 刘家庄村: a decision by a meeting short of its quorum
    10: "quorum",  # 大王村: the same
    7: "votes",  # 王店村: more votes recorded than members present
    12: "order",  # 上台村: 四议两公开 with the party members' meeting before the committees'
}
"""The villages (by their place in district.yaml) whose registers hold a deliberate fault."""
# fmt: on


def minutes(place: Place, cases: list[Case], catalog: Catalog, fault: str = "") -> list[Meeting]:
    """The meetings the cases' decision steps name, one per meeting record, quorate.

    With ``fault``, one meeting goes wrong as :data:`MEETING_FAULTS` says: the import
    refuses its case (quorum, order) or the meeting's row (votes).
    """
    rules = catalog.meetings
    assert rules is not None
    rng = random.Random(f"{SEED}-{place.village.code}-meetings")
    meetings: list[Meeting] = []
    for case in cases:
        item = catalog.get(case.item_code)
        for record in case.steps:
            step = next(s for s in item.steps if s.id == record.step)
            kinds = meeting_kinds(step, rules)
            if not record.meeting_record or not kinds:
                continue
            law = [kind for kind in kinds if not rules.kinds[kind].drafted]
            kind = law[0] if fault == "quorum" and law else kinds[0]
            meetings.append(quorate_meeting(
                record.meeting_record, place, kind, record.date, case.case_id,
                case.reason or item.name, case.decision or f"同意{item.name}事项按程序办理",
                chair=record.operator or case.first_contact_officer,
                recorder=case.first_contact_officer, rng=rng, rules=rules,
            ))  # fmt: skip
    return _with_fault(meetings, fault, rules)


def _with_fault(meetings: list[Meeting], fault: str, rules: MeetingRules) -> list[Meeting]:
    if fault == "quorum":
        lawful = next(m for m in meetings if not rules.kinds[m.kind.value].drafted)
        short = rules.kinds[lawful.kind.value].quorum[0].needed(lawful.members) - 1
        topics = [t.model_copy(update={"in_favour": short, "against": 0}) for t in lawful.topics]
        return [m.model_copy(update={"present": short, "topics": topics}) if m is lawful else m
                for m in meetings]  # fmt: skip
    if fault == "votes":
        counted = meetings[0]
        topic = counted.topics[0].model_copy(update={"against": counted.present})
        return [counted.model_copy(update={"topics": [topic]}), *meetings[1:]]
    if fault == "order":  # a 四议两公开 case's party members met the day before its committees
        of_case = {(m.cases[0], m.kind): m for m in meetings}
        case = next(c for c, kind in of_case if kind is MeetingKind.PARTY_MEMBERS
                    and (c, MeetingKind.COMMITTEES) in of_case)  # fmt: skip
        members = of_case[case, MeetingKind.PARTY_MEMBERS]
        early = of_case[case, MeetingKind.COMMITTEES].held_on - dt.timedelta(days=1)
        return [m.model_copy(update={"held_on": early}) if m is members else m for m in meetings]
    return meetings


# --- ledger rows and files ------------------------------------------------------------------


def rows(case: Case, item: CatalogItem, village: str) -> tuple[Row, list[Row]]:
    """The 办件台账 row and 办理环节 rows of a case, as a clerk fills them in."""
    person = case.applicant
    values: Row = {
        "办件编号": case.case_id, "事项编码": f"{item.code} {item.name}", "村（社区）": village,
        "申请人": person.name, "身份证号": person.id_number, "联系电话": person.phone,
        "住址": person.address, "家庭人口": person.household_size,
        "首问负责人": case.first_contact_officer,
        "代办人": case.proxy.name if case.proxy else None,
        "代办委托日期": case.proxy.authorised_on if case.proxy else None,
        "受理日期": case.received_on, "事由": case.reason, "已收材料": "、".join(case.materials_received),
        "金额（元）": float(case.amount) if case.amount is not None else None,
        "办理状态": case.status.value, "决定": case.decision, "办理结果": case.result,
    }  # fmt: skip
    steps: list[Row] = []
    for record in case.steps:
        step = next(s for s in item.steps if s.id == record.step)
        named = resolve_step(item, step.name) == step.id  # names are what clerks write
        steps.append({
            "办件编号": case.case_id, "环节": step.name if named else step.id, "办理主体": record.actor,
            "经办人": record.operator, "日期": record.date, "结果": record.outcome, "备注": record.note,
            "会议记录": record.meeting_record, "是否代办": "是" if record.by_proxy else "否",
            "强制理由": record.forced_reason,
        })  # fmt: skip
    return values, steps


def freeze(path: Path) -> None:
    """Give every file in the workbook, and its document properties, one fixed timestamp."""
    with zipfile.ZipFile(path) as source:
        entries = [(info, source.read(info)) for info in source.infolist()]
    stamp = f"{FROZEN[0]:04d}-{FROZEN[1]:02d}-{FROZEN[2]:02d}T00:00:00Z"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info, data in entries:
            if info.filename == "docProps/core.xml":
                data = re.sub(
                    rb"(<dcterms:(created|modified)[^>]*>)[^<]*", rb"\g<1>" + stamp.encode(), data
                )
            frozen = zipfile.ZipInfo(info.filename, date_time=FROZEN)
            frozen.compress_type = zipfile.ZIP_DEFLATED
            frozen.external_attr = info.external_attr
            target.writestr(frozen, data)


@dataclass
class Summary:
    """What the district month holds (the sample's promises, checked before writing)."""

    villages: int = 0
    cases: int = 0
    items: set[str] = field(default_factory=set)
    overdue: int = 0
    irregular: int = 0
    advised: int = 0
    meetings: int = 0
    refused: int = 0
    proxy: int = 0
    closed_money: int = 0

    def add(self, cases: list[Case], catalog: Catalog) -> None:
        self.villages += 1
        self.cases += len(cases)
        self.items |= {case.item_code for case in cases}
        self.overdue += len(overdue(cases, catalog, LAST))
        found = [with_rule_findings(case, catalog.get(case.item_code)) for case in cases]
        self.irregular += sum(bool(case.irregularities) for case in found)
        self.advised += sum(bool(case.advisories) for case in found)
        self.refused += sum(c.status in (CaseStatus.REJECTED, CaseStatus.WITHDRAWN) for c in cases)
        self.proxy += sum(case.proxy is not None for case in cases)
        self.closed_money += sum(
            case.status is CaseStatus.CLOSED and case.amount is not None
            and catalog.get(case.item_code).category in MONEY_CATEGORIES
            for case in cases
        )  # fmt: skip

    def check(self) -> None:
        wanted = {"villages": (self.villages, 12), "cases": (self.cases, 150),
                  "items": (len(self.items), 20), "overdue": (self.overdue, 5),
                  "irregular": (self.irregular, 3), "advised": (self.advised, 2),
                  "refused": (self.refused, 1),
                  "closed money": (self.closed_money, 10), "proxy": (self.proxy, 1)}  # fmt: skip
        short = [f"{name} {have} < {need}" for name, (have, need) in wanted.items() if have < need]
        if short:
            raise SystemExit("the sample falls short: " + "; ".join(short))


def _hand_written(catalog: Catalog, directory: Directory) -> list[Case]:
    """make_sample_ledger's cases as the model holds them (for the summary)."""
    path = Path(__file__).resolve().parent / "南马村-2026-11-台账.xlsx"
    cases = read_ledger(path, catalog, directory).cases
    return [  # as the import closes them
        case.model_copy(update={"status": CaseStatus.CLOSED})
        if case.status is CaseStatus.OPEN and next_step(case, catalog.get(case.item_code)) is None
        else case
        for case in cases
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT, help="folder for the ledgers")
    out: Path = parser.parse_args().out
    catalog = load_catalog(ROOT / "catalog")
    directory = load_district(ROOT / "examples" / "linzi" / "district.yaml")
    people = People(random.Random(SEED))
    officers = {
        town.code: people.person("", (1975, 1990)).name for town in directory.district.towns
    }
    summary = Summary()
    ledgers: list[tuple[Path, list[tuple[Row, list[Row]]]]] = []
    registers: list[list[Row]] = []
    for index, place in enumerate(directory.villages):
        cases = plan_village(place, index, catalog, people, officers[place.town.code])
        ledger = [rows(case, catalog.get(case.item_code), place.village.name) for case in cases]
        held = minutes(place, cases, catalog, MEETING_FAULTS.get(index, ""))
        registers.append([row for m in held for row in meeting_rows(m, place.village.name)])
        summary.meetings += len(held)
        known = cases
        if place.village.code == "QL-NM":
            ledger = sample_rows(catalog) + ledger
            registers[-1][:0] = [
                row
                for m in sample_meetings(catalog, directory)
                for row in meeting_rows(m, "南马村")
            ]
            known = _hand_written(catalog, directory) + cases
        summary.add(known, catalog)
        ledgers.append((out / f"{place.village.name}-{MONTH}-台账.xlsx", ledger))
    summary.check()
    out.mkdir(parents=True, exist_ok=True)
    for (path, ledger), register in zip(ledgers, registers, strict=True):
        write_ledger(path, catalog, directory, ledger, register)
        freeze(path)
    print(
        f"wrote {len(ledgers)} ledgers to {out}: {summary.cases} cases of {len(summary.items)} items; "
        f"{summary.overdue} overdue on {LAST}, {summary.irregular} irregular, "
        f"{summary.advised} with advice, {summary.meetings} meetings, "
        f"{summary.refused} rejected or withdrawn, {summary.proxy} by proxy, "
        f"{summary.closed_money} closed money cases with amounts"
    )


if __name__ == "__main__":
    main()
