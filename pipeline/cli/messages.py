"""The messages of the ``xwql`` command, in Chinese and English (see pipeline.errors.Bilingual).

Only its error and warning texts: table headers and progress or success lines
(``✓ 已记录 recorded``) are the command's presentation and stay where they are printed.
"""

from pipeline.errors import Bilingual

# _app.py: an expected failure as printed

CANNOT_READ_OR_WRITE = Bilingual(
    "无法读写文件",
    "cannot read or write {where}{why}",
)

# _client.py: the thin client of the converter service

SERVICE_STOPPED = Bilingual(
    "转换服务中断",
    "the converter service stopped before it finished this command; some notices may have "
    "been written. Run the command again (a reprint gives the same sheet and code); "
    "`xwql converters status` says whether the service runs, its log is in {log}.",
)

# archive.py: xwql archive, audit and auditors

NAME_CASES_VILLAGE_OR_ALL = Bilingual(
    "给出办件编号、--village 或 --all",
    "give case ids, --village or --all",
)
CASES_NOT_ARCHIVED = Bilingual(
    "{count} 件未归档",
    "not archived (see above)",
)
NAME_CODES_OR_ALL = Bilingual(
    "给出档号或 --all",
    "give archival codes or --all",
)
OUTSIDE_EVERY_PACKAGE = Bilingual(
    "{prefix}: 不属于任何归档包",
    "outside every package",
)
EXPECTED_INCIDENTS = Bilingual(
    "其中 {count} 个异常，为示例台账中故意设置的违规办件",
    "{count} with an incident, expected: the sample ledgers hold irregular cases on purpose, "
    "and `xwql audit verify --all` reports them the same way (exit status 9)",
)
SEALED_FOR_INTERNAL = Bilingual(
    "{count} 个文件含个人信息，已加密，仅内部角色可读",
    "personal parts sealed: readable by the internal role only",
)
TIMESTAMPS_EXPIRING = Bilingual(
    "{count} 个已签名归档包的时间戳将在 {years} 年内到期",
    "signed packages whose newest timestamp ends within {years} years: renew them with "
    "`xwql archive retimestamp`",
)
NO_SUCH_USER = Bilingual(
    "没有用户 {name}",
    "no such user",
)

# cases.py: xwql cases, notice, intake

GIVE_A_LEDGER = Bilingual(
    "请给出台账文件",
    "give a ledger file, or --template --out FILE",
)
FILE_THE_MINUTES = Bilingual(
    "决定所依据的会议不在会议记录表中，会议记录按纸质原件归档",
    "the deciding meeting is not in the register: file its minutes on paper",
)

# district.py: xwql demo

NO_SAMPLE_LEDGERS = Bilingual(
    "没有 {month} 的示例台账",
    "no sample ledgers in {folder}",
)

# monthly.py: xwql monthly

PACKS_NOT_WRITTEN = Bilingual(  # printed 中文 English, see packs_not_written()
    "{count} 个村未生成",
    "not written",
)
PACKS_WRITTEN = Bilingual(  # printed 中文 English, see packs_not_written()
    "{count} 个已生成",
    "written",
)


def packs_not_written(failed: int, written: int) -> str:
    """``2 个村未生成 not written; 5 个已生成 written``: the villages failed, the packs written."""
    not_written = PACKS_NOT_WRITTEN.side_by_side(count=failed)
    return f"{not_written}; {PACKS_WRITTEN.side_by_side(count=written)}"


# web.py: xwql web

BAD_PORT = Bilingual(
    "端口无效",
    "--port must be 1–65535, got {port}",
)
