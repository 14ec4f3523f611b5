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

NO_SUCH_POOL = Bilingual(
    "没有工作池“{pool}”",
    "there is no Prefect work pool named {pool}; make it once with "
    "`prefect work-pool create {pool} --type process` and start a worker on each machine "
    "with `xwql district worker --pool {pool}`",
)
POOL_NEEDS_SERVER = Bilingual(
    "工作池需要 Prefect 服务",
    "a work pool is served by a Prefect server that every worker reaches: set "
    "PREFECT_API_URL (e.g. http://127.0.0.1:4200/api) here and on the workers",
)
NO_WORKER_ONLINE = Bilingual(
    "工作池“{pool}”没有在线的工作机",
    "no worker of the pool {pool} is online: start one on each machine with "
    "`xwql district worker --pool {pool}`, then run this again",
)
SERVER_UNREACHABLE = Bilingual(
    "无法连接 Prefect 服务",
    "the Prefect server at {url} does not answer ({error}); start it, or correct PREFECT_API_URL",
)
VILLAGE_RUN_ENDED = Bilingual(
    "{village}：{state}（{host}）",
    "{village}: the run on {host} ended {state} (its log is on that machine): {message}",
)

# serve.py: the Prefect server and its deployments

PREFECT_DID_NOT_START = Bilingual(
    "Prefect 服务未启动",
    "the Prefect server did not start; see {log}",
)
