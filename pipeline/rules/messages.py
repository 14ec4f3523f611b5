"""The messages of the rules, in Chinese and English (see ``pipeline.errors.Bilingual``)."""

from __future__ import annotations

from pipeline.errors import Bilingual

# --- calendar.py
CALENDAR_NOT_COVERED = Bilingual(  # printed on two lines, Chinese first
    "已安装的 chinesecalendar {version} 没有 {year} 年的节假日安排（只有 {first}–{last} 年），"
    "无法计算工作日；请升级：pip install --upgrade chinesecalendar",
    "The installed chinesecalendar {version} has no holiday data for {year} (only "
    "{first}-{last}), so working days cannot be counted; upgrade it: "
    "pip install --upgrade chinesecalendar",
)
NOT_AN_ISO_DATE = Bilingual("日期格式应为 YYYY-MM-DD", "date must be YYYY-MM-DD, got {text!r}")

# --- flow.py: a step's label is “name”（id）
NO_SUCH_STEP = Bilingual(
    "事项 {item}“{name}”没有步骤 {step!r}，请用本事项的步骤：{known}",
    "item {item} has no step {step!r}; use one of its steps: {known}",
)
STEP_ALREADY_RECORDED = Bilingual(
    "步骤{step}已于 {date} 办理，不能重复办理",
    "step {step} was already recorded on {date}; a step is recorded once",
)
AFTER_LAST_STEP = Bilingual(
    "本事项最后一步已办理，不能再办理{step}",
    "the item's last step is recorded; {step} cannot follow it",
)
STEP_OUT_OF_ORDER = Bilingual(
    "{step}不能现在办理：{position_zh}应为{expected}",
    "step {step} is out of order: the {position_en} step is {expected}",
)
FIRST_STEP = Bilingual("第一步", "first")
NEXT_STEP = Bilingual("下一步", "next")
INSIDE_NOTICE_PERIOD = Bilingual(
    "{step}日期 {date} 在公示期内：{notice}自 {posted} 起公示 {days} 个{unit_zh}，"
    "至 {last} 期满；请在 {earliest} 或以后办理",
    "step {step} dated {date} is inside the notice period: {notice} posted on {posted} "
    "runs {days} {unit_en} days to {last}; record this step on {earliest} or later",
)
WORKING_DAYS = Bilingual("工作日", "working")
CALENDAR_DAYS = Bilingual("自然日", "calendar")
MEETING_RECORD_MISSING = Bilingual(
    "{step}是会议决定步骤，须填写会议记录编号或标题（meeting_record）",
    "decision step {step} needs its meeting record: "
    "fill in meeting_record with the record's number or title",
)
FILED_BY_PROXY_BUT = Bilingual(  # the blanks: one of the three proxy problems below
    "步骤 {step} 由代办人办理，但{problem_zh}",
    "step {step} was filed by proxy, but {problem_en}",
)
NO_PROXY = Bilingual(
    "办件没有登记代办人；请登记代办人及代办委托书日期",
    "the case names no proxy; record the proxy and the date of the written authorisation",
)
NO_AUTHORISATION_DATE = Bilingual(
    "代办人 {proxy} 没有代办委托书日期；请补签代办委托书并登记日期",
    "proxy {proxy} has no written authorisation date; "
    "have the villager sign 代办委托书 and record its date",
)
AUTHORISED_AFTER_STEP = Bilingual(
    "代办委托书日期 {authorised} 晚于步骤日期 {date}；代办须先取得委托",
    "the written authorisation of {authorised} is later than the step date {date}; "
    "a proxy acts only once authorised",
)
WRONG_ACTOR = Bilingual(
    "{step}的办理主体应为 {allowed} 之一，不是“{actor}”",
    "step {step} must be done by one of {allowed}, not “{actor}”; "
    "record the body that acted as the catalog names it",
)
BEFORE_RECEIVED = Bilingual(
    "步骤 {step} 日期 {date} 早于受理日期 {received}；请核对日期",
    "step {step} is dated {date}, before the case was received on {received}; check the date",
)
BEFORE_PREVIOUS_STEP = Bilingual(
    "步骤 {step} 日期 {date} 早于上一步 {previous} 的日期 {previous_date}；请核对日期",
    "step {step} is dated {date}, before the previous step {previous} on {previous_date}; "
    "check the date",
)
RESTS_ON_DRAFT = Bilingual(  # the blanks: a flow rule's message, already filled
    "提示（本事项流程为起草稿，区里尚未确认，不作拒绝，已记录备查）：{zh}",
    "advice (the item's flow is a draft the district has not confirmed, so this does not "
    "refuse; it is recorded): {en}",
)
# --- meetings.py: a decision step's meeting
MEETING_WRONG_KIND = Bilingual(
    "会议“{number}”是{kind}，但“{step}”须由{kinds}作出",
    "meeting {number} is a {kind}, but step {step} is decided by: {kinds}",
)
MEETING_AFTER_STEP = Bilingual(
    "会议“{number}”于 {held} 召开，晚于本环节日期 {date}；须先开会决定，再办理",
    "meeting {number} was held on {held}, after this step's date {date}: "
    "a meeting decides before the step is taken",
)
MEETING_DID_NOT_DECIDE = Bilingual(
    "会议“{number}”的议题中没有办件 {case}；请在会议记录表的该议题填写办件编号",
    "meeting {number} voted on no topic of case {case}: name the case on its topic",
)
QUORUM_SHORT = Bilingual(
    "{kind}“{number}”{base_name}{base}人、实到{present}人，未达到{share}（须{needed}人），"
    "会议不能作出决定。依据：{source}",
    "{kind} {number}: {present} present of {base} ({base_name}); the law needs {needed} "
    "({share}) for the meeting to decide",
)
MAJORITY_SHORT = Bilingual(
    "{kind}“{number}”议题“{topic}”同意{in_favour}票，{base_name}{base}人，未达到{share}"
    "（须{needed}票），决定未通过。依据：{source}",
    "{kind} {number}, topic {topic}: {in_favour} in favour of {base} ({base_name}); "
    "{needed} ({share}) are needed to decide",
)
FOUR_DISCUSSIONS_OUT_OF_ORDER = Bilingual(
    "“四议两公开”须依次进行：{kind}应在{other}（“{number}”）之前",
    "四议两公开 runs in order: the {kind} comes before the {other} ({number})",
)
FOUR_DISCUSSIONS_EARLY = Bilingual(
    "“四议两公开”须依次进行：{kind}于 {held} 召开，早于前一环节的{other}（{other_held}）",
    "四议两公开 runs in order: the {kind} on {held} was held before the earlier "
    "{other} ({other_held})",
)
FORCE_WITHOUT_REASON = Bilingual(
    "强制办理须写明书面理由", "a forced step needs the administrator's written reason"
)
STEP_REFUSED = Bilingual(
    "办件 {case} 的步骤 {step} 不符合办理规则，未记录；改正后重试，或由管理员写明理由强制办理",
    "step {step} of case {case} breaks {count} rule(s) and was not recorded; correct it, "
    "or have an administrator force it with a written reason",
)
OBJECTION_PENDING = Bilingual(
    "{step}不能办理：村民于 {received} 对{notice}提出异议（回执 {receipt}），"
    "村务监督委员会尚未答复；请待监督委员会记录核实情况和处理意见后再办理",
    "step {step} is blocked: a villager objected to {notice} on {received} (receipt "
    "{receipt}) and the supervision committee has not answered yet; record the step once "
    "the committee has recorded what it found and decided",
)
OBJECTION_UPHELD = Bilingual(
    "{step}不能现在办理：对{notice}的异议（回执 {receipt}）于 {answered} 认定{decision}，"
    "应重新办理{expected}，再重新公示",
    "step {step} is out of order: the objection to {notice} (receipt {receipt}) was found "
    "{decision_en} on {answered}; record {expected} again, then post the notice again",
)
