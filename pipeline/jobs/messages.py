"""The messages of the users' jobs, in Chinese and English (see pipeline.errors.Bilingual)."""

from pipeline.errors import Bilingual

# audit.py: what an auditor's role must allow (given to Auditor.require)

SEARCH_BY_ID_NUMBER = Bilingual("按身份证号检索", "search by ID number")
READ_ACCESS_LOG = Bilingual("查看访问日志", "read the access log")

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
