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

# workspace/catalog.py: the district confirming drafted fields

CONFIRM_NEEDS_DOCUMENT = Bilingual(
    "请填写确认文件的文号，如 临民字〔2026〕3号",
    "name the confirming document, e.g. 临民字〔2026〕3号",
)
CONFIRM_NEEDS_FIELDS = Bilingual("请勾选要确认的内容", "tick the fields the document confirms")

# workspace/notices.py: the day's notices for the board

NO_SUCH_SHEET = Bilingual(
    "{village} {day} 的张贴公告中没有文件 {name}",
    "no such file among the notices printed for the board",
)
FILING_FAILED = Bilingual(
    "公告已生成，可照常打印张贴；但归档未能完成（已记录），将在下次打印或月度归档时补办",
    "the notices are printed but could not be filed; the next run files them",
)

# uploads.py and workspace/ledger.py: a ledger uploaded and imported

UPLOAD_MALFORMED = Bilingual(
    "上传不完整或格式不对，请重新选择文件上传",
    "the upload is not a complete form of files: choose the file and upload again",
)
UPLOAD_TOO_LARGE = Bilingual(
    "文件太大：一次上传的文件合计不能超过 {limit} MB，未导入",
    "too large: the files of one upload may hold {limit} MB at most; nothing was imported",
)
UPLOAD_NOT_WRITTEN = Bilingual(
    "上传的文件无法保存，请稍后再试",
    "the upload could not be written: {error}",
)
NO_LEDGER_CHOSEN = Bilingual(
    "请选择要上传的台账文件（.xlsx、.csv 或 .json）",
    "choose the ledger file to upload (.xlsx, .csv or .json)",
)
UPLOAD_NOT_A_WORKBOOK = Bilingual(  # the problem and fix: the intake's, for what the file is
    "「{name}」{problem_zh}，未导入。{fix_zh}",
    "{name}: {problem_en}; nothing was imported: {fix_en}",
)
UPLOAD_NOT_TEXT = Bilingual(
    "「{name}」的内容不是 CSV 或 JSON 文本，而是{kind_zh}，未导入。"
    "Excel 工作簿请以 .xlsx 为后缀上传",
    "{name} holds no CSV or JSON text but {kind_en}; nothing was imported: "
    "upload a workbook as .xlsx",
)
STEPS_ONLY_WITH_CSV = Bilingual(
    "办理环节 CSV 只随 CSV 台账上传；Excel 台账的办理环节在其“办理环节”表中，未导入",
    "a steps CSV goes with a CSV ledger only (a workbook keeps its steps in its "
    "办理环节 sheet); nothing was imported",
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

# board/: the village board online (public)

NO_SUCH_PACK = Bilingual(
    "档案中没有 {village} {month} 的月度公开材料",
    "no monthly pack of {village} for {month} is archived",
)
PACK_NOT_AS_ARCHIVED = Bilingual(
    "{village} {month} 的月度公开材料与存档记录不符",
    "the monthly pack of {village} for {month} does not match its archived record",
)
NO_SUCH_VILLAGE = Bilingual("没有村 {village!r}", "no village {village!r}")
NO_PHOTO = Bilingual("回执 {receipt} 没有照片", "{receipt} came with no photo")
OBJECTION_FILING_FAILED = Bilingual(
    "答复已记录，村民可以看到；但归档未能完成（已记录），将在月度归档时补办",
    "the answer is recorded and shown; filing it failed and the monthly run files it",
)
