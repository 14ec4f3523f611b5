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
