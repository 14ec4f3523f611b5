"""The messages of the issued units, in Chinese and English (see pipeline.errors.Bilingual)."""

from pipeline.errors import Bilingual

# casefile.py: the case file and its filing

CASE_HAS_NO_DOCUMENTS = Bilingual(
    "办件 {case} 没有可归档的文件",
    "the case has no documents",
)
CASE_STILL_OPEN = Bilingual(
    "办件 {case} 尚未办结（{status}）",
    "the case is still open: a case file is archived after its last step",
)

# contexts.py: the template values of a case's documents

CANNOT_BUILD_DOCUMENT = Bilingual(
    "无法生成 {kind}",
    "cannot build the {kind} of case {case}: {problems}",
)
# Its problems, printed in Chinese only and joined by PROBLEMS_JOINED (str.format blanks):
CASE_OF_ANOTHER_ITEM = "办件 {case} 属于事项 {actual}，不是 {expected}"
CASE_OF_ANOTHER_VILLAGE = "办件 {case} 属于村 {actual}，不是 {expected}"
ITEM_HAS_NO_SUCH_DOCUMENT = "事项 {item}（{name}）不产生 {kind} 文书（该事项产生：{produced}）"
PROBLEMS_JOINED = "；"

DUE_BEFORE_RECEIVED = Bilingual(
    "办件 {case}：承诺办结日期 {due} 早于受理日期 {received}",
    "the due date is before the date received",
)
CASE_HAS_NO_PROXY = Bilingual(
    "办件 {case} 没有代办人，无需代办委托书",
    "case {case} has no proxy",
)
MEETING_RECORD_WRONG = Bilingual(
    "办件 {case} 的会议记录有误：{problems}",
    "the meeting record of case {case} is wrong: {problems}",
)
MEETING_OF_ANOTHER_VILLAGE = Bilingual(
    "会议“{number}”不是{village}的会议",
    "meeting {number} is not this village's",
)
# Its problem, printed in Chinese only (str.format blanks):
NOT_VOTED = "会议“{number}”没有表决本办件"

NOTICE_ENDS_BEFORE_START = Bilingual(
    "办件 {case}：公示结束日期 {end} 早于开始日期 {start}",
    "the notice period ends before it starts",
)
RESULT_BEFORE_REACHED = Bilingual(
    "办件 {case}：公开日期 {issued} 早于办结日期 {result}",
    "a result cannot be published before it is reached",
)
NO_RESULT_YET = Bilingual(
    "办件 {case} 还没有办理结果，不能公开",
    "case {case} has no result or decision to publish yet",
)
DOCUMENT_VALUE_MISSING = Bilingual(
    "办件 {case}：生成文书缺少 {field}",
    "{field} is needed for this document",
)
NO_DOCUMENT_TEMPLATE = Bilingual(
    "没有 {kind} 的文书模板",
    "no document template for {kind} (known: {known})",
)

# filing.py: filing notices, packs and catalog editions

DISTRICT_NOT_CODED = Bilingual(
    "{district} 缺少代码或全宗号",
    "the district needs `code` and `fonds` in its organisations file to archive catalog editions",
)

# notices.py: the notices for posting

NO_NOTICE_PERIOD = Bilingual(
    "{item} 的公示步骤“{step}”没有公示天数",
    "the catalog sets no notice period for this step; fix the catalog",
)
PUBLIC_SHEET_LEAKED = Bilingual(
    "{file}: 公开文件含有未遮蔽的个人信息，已删除",
    "the public sheet showed a full ID or phone number and was deleted; check the case's "
    "decision and result",
)

# packs/month.py: the month and its facts

MONTH_FORM = Bilingual(
    "月份格式应为 YYYY-MM",
    "the month must be YYYY-MM, got {text!r}",
)
SEAL_USE_TIME_INVALID = Bilingual(
    "用印登记时间无效",
    "bad seal-use time {value!r}",
)

# packs/pack.py: the monthly pack

ISSUED_BEFORE_MONTH = Bilingual(
    "发布日期 {issued} 早于所公开的月份 {month}",
    "the date of issue is before the month published",
)

# packs/summary.py: which villages

UNKNOWN_TOWN = Bilingual(  # printed 中文English, see unknown_town()
    "未知的镇（街道）",
    "unknown town {name!r}",
)
KNOWN_TOWNS = Bilingual(  # printed 中文 English, see unknown_town()
    "已知",
    "known: {known}",
)
VILLAGE_NOT_IN_TOWN = Bilingual(
    "{village}属于{its_town}，不属于{town}",
    "the village is not in that town",
)


def unknown_town(name: str, known: str) -> str:
    """``未知的镇（街道）unknown town '…'; 已知 known: …``: the town asked for, those there are."""
    unknown = UNKNOWN_TOWN.joined("", name=name)
    return f"{unknown}; {KNOWN_TOWNS.side_by_side(known=known)}"


# booklet.py
FACTS_MISSING = Bilingual(
    "清单版本缺少必须印出的信息",
    "edition {version} cannot be published: fill in what it lacks in edition.yaml",
)
FACT_MISSING = Bilingual(
    "缺少",
    "the district's value is missing (a sample value listed under samples will do "
    "for a demonstration, printed with （示例）)",
)
