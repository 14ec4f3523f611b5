"""The messages of ``xwql web``, in Chinese and English (see pipeline.errors.Bilingual).

A page shows the Chinese part (an error's text before its first `` / ``); the
pages' own Chinese sentences stay in ``app.py``.
"""

from pipeline.errors import Bilingual

# app.py: the auditors' pages

FORM_EXPIRED = Bilingual(
    "表单已失效",
    "the form token does not match: reload the page",
)

# workspace/: the clerks' and offices' pages

NOT_ALLOWED = Bilingual(
    "无权进行此操作，或所涉村不在您的管辖范围内",
    "not allowed: {action} is outside your role or your villages",
)

# workspace/notices.py: the day's notices for the board

NO_SUCH_SHEET = Bilingual(
    "{village} {day} 的张贴公告中没有文件 {name}",
    "no such file among the notices printed for the board",
)
FILING_FAILED = Bilingual(
    "公告已生成，可照常打印张贴；但归档未能完成（已记录），将在下次打印或月度归档时补办",
    "the notices are printed but could not be filed; the next run files them",
)

# backend.py: notices and packages as the pages show them

CODE_TOO_LONG = Bilingual(
    "核验码格式不对",
    "not a verification code: too long",
)
NO_NOTICE_WITH_CODE = Bilingual(
    "没有核验码为 {code} 的公告",
    "no notice has code {code}",
)
SHEET_NOT_AS_ARCHIVED = Bilingual(
    "公告文件与归档记录不符",
    "the sheet of {code} is not as archived",
)
RECORD_UNREADABLE = Bilingual(
    "{code}: 元数据不可读",
    "no readable record",
)
NO_SUCH_FILE = Bilingual(
    "{code} 中没有文件 {path}",
    "no such file",
)
FILE_UNREADABLE = Bilingual(
    "{code}/{path}: 文件不可读",
    "could not be read",
)

# workspace/accounts.py: the administrator's accounts page

UNKNOWN_ROLE = Bilingual(
    "未知的角色 {role!r}（可选：{roles}）",
    "unknown role {role!r}; roles: {roles}",
)
OWN_ACCOUNT = Bilingual(
    "不能在此停用自己的账号或重置自己的密码",
    "your own account cannot be disabled or its password reset here: use xwql users",
)

# workspace/month.py: the month's packs

NO_VILLAGES_CHOSEN = Bilingual(
    "请至少选择一个村（社区）",
    "choose at least one village",
)
