"""The messages of the users' jobs, in Chinese and English (see pipeline.errors.Bilingual)."""

from pipeline.errors import Bilingual

# audit.py: what an auditor's role must allow (given to Auditor.require)

SEARCH_BY_ID_NUMBER = Bilingual("按身份证号检索", "search by ID number")
READ_ACCESS_LOG = Bilingual("查看访问日志", "read the access log")
READ_PERSONAL_DATA = Bilingual(
    "查看个人信息（内部部分）", "read the personal data (a package's sealed internal part)"
)

# cases.py: recording a step

NO_SUCH_STEP = Bilingual(
    "{item} 没有步骤 {step!r}",
    "no such step; steps: {choices}",
)

# notices.py: the notices to print

NAME_CASES_OR_VILLAGE = Bilingual(
    "给出办件编号，或 --village（可加 --date）",
    "give case ids, or --village",
)
NOTHING_TO_POST = Bilingual(
    "没有需要张贴的公示或结果公开",
    "no notice or result step recorded yet",
)

# runs.py: long jobs started from the pages, followed in the database

RUN_BUSY = Bilingual(
    "所选村的 {month} 月度公开材料正在生成（任务 {run}），请等它完成后再开始",
    "run {run} is still building the packs of {month}: wait until it has finished",
)
NO_SUCH_RUN = Bilingual(
    "没有生成任务 {run}",
    "no such run",
)
RUN_INTERRUPTED = Bilingual(
    "生成中断：服务重启或进程退出（interrupted），请重新开始",
    "interrupted: the process building it stopped; start it again",
)
RUN_FILING = Bilingual(
    "签章归档",
    "signing and filing the packs",
)
RUN_FILING_FAILED = Bilingual(
    "材料已生成，可照常打印；但签章归档未能完成（已记录），请稍后重新生成以补办归档",
    "the packs are printed but could not be filed; run it again later to file them",
)
RUN_CRASHED = Bilingual(
    "内部错误，生成未完成（已记录）",
    "internal error: the run did not finish (logged)",
)

# objections.py: what a villager sends, what the committee answers

OBJECTION_EMPTY = Bilingual(
    "请写明异议或反映的内容。", "write what the objection or report is about"
)
OBJECTION_TOO_LONG = Bilingual(
    "内容最多 {most} 个字，现有 {length} 个字；请精简后再提交。",
    "at most {most} characters; this has {length}",
)
NAME_TOO_LONG = Bilingual("姓名最多 {most} 个字。", "a name has at most {most} characters")
NOT_A_PHONE = Bilingual(
    "联系电话只能有数字、空格和连字符，如 13800000000 或 0533-1234567。",
    "a phone number has digits, spaces and hyphens only",
)
PHOTO_TOO_BIG = Bilingual("照片不能超过 {mb} MB。", "a photo has at most {mb} MB")
NOT_A_PHOTO = Bilingual(
    "附件不是能打开的 JPG 或 PNG 照片；请拍照后直接上传。",
    "the attachment is not a JPEG or PNG image that opens",
)
NOT_OBJECTABLE = Bilingual(
    "核验码 {code} 不是一份公示，不能对其提出异议；可以向村务监督委员会反映问题。",
    "{code} is not a notice with a notice period; report the matter to the supervision "
    "committee instead",
)
PERIOD_NOT_RUNNING = Bilingual(
    "公示 {code} 的公示期（{start} 至 {end}）不在今天，不能再提出异议；"
    "可以向村务监督委员会反映问题。",
    "the notice period of {code} ({start} to {end}) is not running; report the matter to the "
    "supervision committee instead",
)
FINDINGS_MISSING = Bilingual("请填写核实情况。", "write what the committee found")
ANSWERED_BEFORE_RECEIVED = Bilingual(
    "答复日期 {date} 早于收到日期 {received}。", "the answer's date {date} is before {received}"
)

# meetings.py: a village's meeting register

NO_SUCH_MEETING = Bilingual(
    "{village}的会议记录中没有“{number}”；已登记：{known}",
    "no such meeting in the village's register; its numbers: {known}",
)
