"""The messages of the flows, in Chinese and English (see pipeline.errors.Bilingual).

Each head is printed on its own line, followed by one line per unit, village or
package concerned.
"""

from pipeline.errors import Bilingual

# district.py: the district's flows

UNITS_NOT_DONE = Bilingual(
    "{job} {village}: {count} 件未完成",
    "not done:",
)
NOT_EVERYTHING_ARCHIVED = Bilingual(
    "未全部完成",
    "not everything was archived; run the same command again once the cause is fixed "
    "(finished work is not redone):",
)
DETAILS_IN_LOG = Bilingual("详细记录", "the tracebacks and library warnings are in {log}")
PACKAGES_WITH_INCIDENTS = Bilingual(
    "{count} 个归档包异常",
    "packages with incidents:",
)

# serve.py: the Prefect server and its deployments

PREFECT_DID_NOT_START = Bilingual(
    "Prefect 服务未启动",
    "the Prefect server did not start; see {log}",
)
