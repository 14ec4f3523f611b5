"""The messages of the intake, in Chinese and English (see ``pipeline.errors.Bilingual``).

What is wrong with a value, a row or a file is a ``Finding``: the problem and how
the clerk fixes it, each a ``Bilingual`` with named blanks; ``bad`` and ``finding``
fill one where it is found. Fixes and problems that go with more than one other
text are ``Bilingual`` constants of their own.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.errors import Bilingual, InputInvalid


@dataclass(frozen=True)
class Finding:
    """A problem and its fix, not yet tied to a place in a file."""

    problem: Bilingual
    fix: Bilingual

    def fill(self, **blanks: object) -> Finding:
        """The problem and the fix with their blanks filled."""
        return Finding(self.problem.fill(**blanks), self.fix.fill(**blanks))


BAD_VALUE = Bilingual("{problem_zh}（{fix_zh}）", "{problem_en} ({fix_en})")


class BadValue(InputInvalid):
    """A value that cannot be taken as it is; carries the problem and the fix."""

    def __init__(self, problem: Bilingual, fix: Bilingual) -> None:
        self.finding = Finding(problem, fix)
        super().__init__(
            BAD_VALUE(problem_zh=problem.zh, fix_zh=fix.zh, problem_en=problem.en, fix_en=fix.en)
        )


def bad(message: Finding, /, **blanks: object) -> BadValue:
    """A ``BadValue`` saying ``message``, its blanks filled."""
    found = message.fill(**blanks)
    return BadValue(found.problem, found.fix)


def finding(message: Finding, /, **blanks: object) -> Finding:
    """``message`` with its blanks filled."""
    return message.fill(**blanks)


# --- values.py
CONTROL_CHARACTER = Finding(
    Bilingual(
        "含有看不见的控制字符 {code}（多是从别的系统复制来的）",
        "holds an invisible control character {code} (pasted from another system?)",
    ),
    Bilingual("清空这个单元格，重新输入", "clear the cell and type the value again"),
)
NOT_TEXT = Finding(
    Bilingual("这里应填文字，却是 {raw}", "text expected, got {raw}"),
    Bilingual(
        "把单元格格式设为“文本”后重新输入", "format the cell as Text and type the value again"
    ),
)
DATE_FIX = Bilingual(
    "请写成 2026-11-03、2026/11/3 或 2026年11月3日", "write it as 2026-11-03 or 2026/11/3"
)
NOT_A_DATE = Finding(Bilingual("不是日期：{raw}", "not a date: {raw}"), DATE_FIX)
UNRECOGNISED_DATE = Finding(
    Bilingual("无法识别的日期：{raw}", "unrecognised date: {raw}"), DATE_FIX
)
NO_SUCH_DAY = Finding(
    Bilingual("没有这一天：{raw}", "no such day: {raw}"),
    Bilingual("请核对月份和日子（如 2月没有30日）", "check month and day (February has no 30th)"),
)
DATE_OUT_OF_RANGE = Finding(
    Bilingual(
        "日期 {day} 不在 {earliest}–{latest} 年之间", "date {day} is outside {earliest}–{latest}"
    ),
    Bilingual("请核对年份", "check the year"),
)
AMOUNT_FIX = Bilingual("用阿拉伯数字按元填写，如 1200.50", "enter yuan in digits, e.g. 1200.50")
NOT_AN_AMOUNT = Finding(Bilingual("不是金额：{raw}", "not an amount: {raw}"), AMOUNT_FIX)
UNRECOGNISED_AMOUNT = Finding(
    Bilingual("无法识别的金额：{raw}", "unrecognised amount: {raw}"), AMOUNT_FIX
)
NEGATIVE_AMOUNT = Finding(
    Bilingual("金额不能为负数：{raw}", "an amount cannot be negative: {raw}"),
    Bilingual(
        "填正数；退款或冲减请在事由或备注中说明",
        "enter a positive amount and explain refunds in 事由 or 备注",
    ),
)
AMOUNT_TOO_LARGE = Finding(
    Bilingual("金额过大：{raw}", "amount too large: {raw}"),
    Bilingual("请核对金额（单位是元，不是分）", "check the amount (it is in yuan, not fen)"),
)
AMOUNT_BELOW_FEN = Finding(
    Bilingual("金额最多两位小数（到分）：{raw}", "an amount has at most two decimal places: {raw}"),
    Bilingual("请四舍五入到分后填写", "round to the fen (0.01) and enter it again"),
)
AMOUNT_IN_WAN = Finding(
    Bilingual(
        "金额请以元为单位，不要用“万”：{raw}", "enter the amount in yuan, not 万 (10,000): {raw}"
    ),
    Bilingual("如 1.2万 请写成 12000", "e.g. write 1.2万 as 12000"),
)
ID_NUMBER_AS_TEXT = Bilingual(
    "把“身份证号”列设为文本格式后重新输入全部18位（或在号码前加英文单引号 '）",
    "format the 身份证号 column as Text and type all 18 characters again (or start with ')",
)
ID_NUMBER_STORED_AS_NUMBER = Finding(
    Bilingual(
        "身份证号被存成了数字（{raw}），Excel 只保留15位，后几位已丢失",
        "the ID number was stored as a number ({raw}); Excel keeps 15 digits only",
    ),
    ID_NUMBER_AS_TEXT,
)
OLD_ID_NUMBER_CONVERTED = Finding(
    Bilingual(
        "15位旧身份证号 {old} 已转为18位 {number}",
        "the old 15-digit ID number {old} was converted to 18 digits: {number}",
    ),
    Bilingual(
        "请核对申请人现用的身份证，并在台账中改填18位号码",
        "check the applicant's current card and enter the 18-digit number",
    ),
)
ID_NUMBER_LENGTH = Finding(
    Bilingual(
        "身份证号应为18位，这里是 {length} 位",
        "an ID number has 18 characters, this one has {length}",
    ),
    Bilingual(
        "请对照身份证核对，是否漏了或多了数字", "compare with the card: a digit is missing or extra"
    ),
)
ID_NUMBER_CHARACTERS = Finding(
    Bilingual(
        "身份证号只能是17位数字加一位数字或 X", "an ID number is 17 digits and a final digit or X"
    ),
    Bilingual(
        "请去掉字母、标点等多余字符", "remove letters, punctuation and other stray characters"
    ),
)
ID_NUMBER_CHECK_DIGIT = Finding(
    Bilingual(
        "身份证号校验位不对，可能有数字录错",
        "the ID number's check digit does not match: a digit is probably mistyped",
    ),
    Bilingual("请对照身份证逐位核对", "compare it with the card, digit by digit"),
)
ID_NUMBER_AREA_UNKNOWN = Finding(
    Bilingual(
        "身份证号地区码 {area} 不在行政区划代码表中",
        "area code {area} of the ID number is not a known area code",
    ),
    Bilingual("请对照身份证核对前6位", "check the first six digits against the card"),
)
ID_NUMBER_BIRTH_DATE = Finding(
    Bilingual(
        "身份证号中的出生日期 {born} 不存在",
        "the birth date {born} in the ID number is not a real date",
    ),
    Bilingual("请对照身份证核对第7–14位", "check digits 7–14 against the card"),
)
LANDLINE_WITHOUT_AREA_CODE = Finding(
    Bilingual("固定电话缺少区号：{text}", "the landline number has no area code: {text}"),
    Bilingual("请加上区号，如 0533-7211234", "add the area code, e.g. 0533-7211234"),
)
NOT_A_PHONE = Finding(
    Bilingual("不是有效的电话号码：{raw}", "not a valid phone number: {raw}"),
    Bilingual(
        "填11位手机号（13–19开头）或带区号的固定电话如 0533-7211234；只填一个号码",
        "enter one 11-digit mobile (starting 13–19) or a landline with area code, 0533-7211234",
    ),
)
NOT_A_COUNT = Finding(
    Bilingual("应为人数（整数）：{raw}", "a whole number of people expected: {raw}"),
    Bilingual("填阿拉伯数字，如 4", "enter a number such as 4"),
)
NOT_A_MEETING_KIND = Finding(
    Bilingual("不是会议类别：{raw}", "not a kind of meeting: {raw}"),
    Bilingual("从下拉列表选择，如 村民代表会议", "pick the kind from the list, e.g. 村民代表会议"),
)
NOT_YES_OR_NO = Finding(
    Bilingual("应填“是”或“否”：{raw}", "是 (yes) or 否 (no) expected: {raw}"),
    Bilingual("填“是”或“否”", "enter 是 or 否"),
)
UNKNOWN_STATUS = Finding(
    Bilingual("不认识的办理状态“{text}”", "unknown status {text!r}"),
    Bilingual("请从 {allowed} 中选一个", "choose one of {allowed}"),
)
CODE_AND_NAME_DISAGREE = Finding(
    Bilingual(
        "编码 {code} 是“{name}”，与所填名称“{typed}”不符", "code {code} is {name!r}, not {typed!r}"
    ),
    Bilingual(
        "请核对编码和名称，从下拉列表重新选择",
        "check code and name and pick the item again from the drop-down list",
    ),
)
UNKNOWN_ITEM = Finding(
    Bilingual("未知的事项编码或名称“{text}”", "unknown item code or name {text!r}"),
    Bilingual(
        "请从下拉列表中选择（xwql-001 至 xwql-{last:03d}，也可填事项名称）",
        "choose from the drop-down list (xwql-001 … xwql-{last:03d}, or the name)",
    ),
)
CODE_ON_ANOTHER_ITEM = Finding(  # the Chinese is the catalog's warning (Resolution.warning)
    Bilingual(
        "{warning}",
        "code {code} is taken as {name!r} (Attachment 1); Attachment 2 "
        "printed the same code on another item's flowchart",
    ),
    Bilingual(
        "如指的是另一事项，请改用提示中的编码",
        "if you meant the other item, use the code the Chinese message names",
    ),
)
ITEM_RETIRED = Finding(
    Bilingual("事项 {code}“{name}”已停用", "item {code} {name!r} is retired"),
    Bilingual("新办件请选用现行事项", "use a current item for new cases"),
)
UNKNOWN_VILLAGE = Finding(
    Bilingual("未知的村（社区）“{text}”", "unknown village {text!r}"),
    Bilingual(
        "请从下拉列表中选择，或填村代码；已知的有 {known}…",
        "choose from the drop-down list or enter the village code; known: {known}…",
    ),
)
NO_SUCH_STEP = Finding(
    Bilingual("事项 {code}“{name}”没有环节“{raw}”", "item {code} has no step {raw!r}"),
    Bilingual("可填环节编号或名称：{steps}", "enter a step id or name: {steps}"),
)

# --- tables.py
UNHEADED_COLUMNS = Finding(
    Bilingual(
        "{letters} 列有内容但没有列名，未导入",
        "column(s) {letters} hold values but have no header; not imported",
    ),
    Bilingual(
        "给这些列加上列名，或把内容移到正确的列",
        "give the column a header or move the value to the right column",
    ),
)
NO_HEADER = Finding(
    Bilingual(
        "找不到表头：前 {rows} 行中没有“{key}”等列名，整个文件未导入",
        "no header row in the first {rows} rows; nothing was imported",
    ),
    Bilingual(
        "第一行（或标题下一行）应为列名，至少包括 {required}；请用 xwql 的模板",
        "the first row (or the one below a title) must hold the headers: {required}",
    ),
)
COLUMN_TWICE = Bilingual("“{header}”出现两次", "{header} appears twice")
REQUIRED_COLUMN_MISSING = Bilingual("缺少必填列“{header}”", "required column {header} missing")
BAD_HEADER = Finding(  # the problems: COLUMN_TWICE and REQUIRED_COLUMN_MISSING, joined
    Bilingual(
        "表头有误，整个文件未导入：{problems_zh}",
        "the header row is wrong, nothing was imported: {problems_en}",
    ),
    Bilingual(
        "按模板补齐或改正列名（每列一次）后重新导入",
        "add or fix the headers as in the template (each once) and import again",
    ),
)
REQUIRED_EMPTY = Bilingual("“{header}”必填，不能为空", "{header} is required")  # fix: the guide
MERGED_CELLS = Finding(
    Bilingual(
        "合并单元格 {ref}：值「{value}」跨了几行或几列，分不清属于哪一行",
        "merged cells {ref}: the value {value!r} spans several rows or "
        "columns, so it belongs to no single row",
    ),
    Bilingual(
        "取消合并单元格，在每一行各自填写完整的值",
        "unmerge the cells and type the value in every row",
    ),
)
FORMULA = Finding(
    Bilingual(
        "单元格是公式；台账只收录入的值，公式保存的结果可能已过期",
        "the cell holds a formula; only typed values are imported (its saved result may be stale)",
    ),
    Bilingual(
        "选中该列，复制后“选择性粘贴→数值”，或直接输入值",
        "copy the column and Paste Special → Values, or type the value",
    ),
)
HIDDEN_ROW = Finding(
    Bilingual("这一行是隐藏行，已照常读取", "this row is hidden; it was read like the others"),
    Bilingual("取消隐藏并核对这一行", "unhide the row and check it"),
)
UNKNOWN_COLUMN = Finding(
    Bilingual("不认识的列，本列内容未导入", "unknown column; its values were not imported"),
    Bilingual(
        "如是台账的列，请改用模板中的列名；否则可以删去",
        "use the template's header if it is a ledger column, else delete the column",
    ),
)

# --- sources.py
NO_CASE_SHEET = Finding(
    Bilingual(
        "没有名为“{cases}”的工作表，按办件台账读取了“{sheet}”",
        "no sheet named {cases}; read {sheet!r} as the case sheet",
    ),
    Bilingual("把办件台账所在的工作表改名为“{cases}”", "rename the case sheet to {cases}"),
)
TOO_MANY_ROWS = Finding(
    Bilingual(
        "超过 {limit} 行的上限，整个文件未导入",
        "more than {limit} rows, over the limit: nothing was imported",
    ),
    Bilingual(
        "按月拆分成几个台账分别导入；若数据下方有大量带格式的空行，请删去这些行",
        "split the ledger by month and import each part; delete any formatted empty rows "
        "below the data",
    ),
)
OVERSIZED_PICTURE = Finding(
    Bilingual(
        "工作簿里嵌有超大的图片，为安全起见整个文件未读取",
        "the workbook holds an oversized picture ({error}); it was not read, for safety",
    ),
    Bilingual(
        "删去台账里的图片（xwql 不读取图片）后另存，再导入",
        "delete the pictures from the ledger (they are not read), save, import again",
    ),
)
WORKBOOK_DAMAGED = Bilingual(  # the fix: one of the five below, by what the file is
    "无法打开工作簿：内部已损坏（{error_type}）",
    "cannot open the workbook: it is damaged inside ({error_type}: {error})",
)
NOT_A_WORKBOOK = Bilingual(  # the fix: as WORKBOOK_DAMAGED's
    "无法打开工作簿：这是{kind_zh}", "cannot open the workbook: it is {kind_en}"
)
SAVE_AS_XLSX = Bilingual(
    "在 Excel 中打开后另存为“Excel 工作簿(.xlsx)”，不设密码，再导入",
    "open it in Excel, save it as an Excel Workbook (.xlsx) without a password, import that",
)
SAVE_WITHOUT_PASSWORD = Bilingual(
    "在 Excel 中打开（输入密码），另存一份不设密码的 .xlsx 再导入（文件→信息→保护工作簿"
    "→用密码进行加密，清空密码）",
    "open it in Excel with its password and save a copy without one (File → Info → "
    "Protect Workbook → Encrypt with Password: clear it), then import that copy",
)
COPY_AGAIN = Bilingual(
    "从原处重新复制或下载一份完整的台账再导入",
    "copy or download the ledger again from where it came, then import it",
)
RENAME_TO_CSV = Bilingual(
    "若是 CSV 台账，把后缀改为 .csv 再导入；否则在 Excel 中另存为 .xlsx",
    "if it is a CSV ledger, rename it to .csv and import it; else save it as .xlsx in Excel",
)
LET_EXCEL_REPAIR = Bilingual(
    "在 Excel 中打开（Excel 会提出修复），修复后另存为 .xlsx 再导入",
    "open it in Excel, let Excel repair it, save it as .xlsx and import again",
)
HIDDEN_SHEET_READ = Finding(
    Bilingual("工作表是隐藏的，已照常读取", "the sheet is hidden; it was read all the same"),
    Bilingual("取消隐藏并核对其中的内容", "unhide the sheet and check what it holds"),
)
PUT_IN_LEDGER_SHEETS = Bilingual(
    "办件请填在“{cases}”，办理环节请填在“{steps}”", "put cases in {cases} and steps in {steps}"
)
SHEET_NOT_READ = Finding(
    Bilingual(
        "这个工作表不属于台账，未读取", "this sheet is not part of the ledger; it was not read"
    ),
    PUT_IN_LEDGER_SHEETS,
)
HIDDEN_SHEET_NOT_READ = Finding(
    Bilingual(
        "这个工作表（隐藏）不属于台账，未读取",
        "this hidden sheet is not part of the ledger; it was not read",
    ),
    PUT_IN_LEDGER_SHEETS,
)
FILE_UNREADABLE = Finding(
    Bilingual("无法读取文件：{error}", "cannot read the file: {error}"),
    Bilingual("检查文件是否存在、能否打开", "check that the file exists and can be opened"),
)
UNKNOWN_ENCODING = Finding(
    Bilingual(
        "无法识别文件编码（既不是 UTF-8 也不是 GBK/GB18030），整个文件未导入",
        "the file is neither UTF-8 nor GBK/GB 18030 text; nothing was imported",
    ),
    Bilingual(
        "在 Excel 中另存为“CSV UTF-8（逗号分隔）”后重新导入",
        "in Excel, save as CSV UTF-8 (comma delimited) and import again",
    ),
)
MALFORMED_CSV = Finding(
    Bilingual(
        "CSV 格式有误：{error}；整个文件未导入", "malformed CSV: {error}; nothing was imported"
    ),
    Bilingual(
        "检查这一行的引号是否成对，或在 Excel 中重新另存为 CSV",
        "check this line's quotes, or save the CSV again from Excel",
    ),
)

# --- ledger.py
UNSUPPORTED_LEDGER = Bilingual(
    "不支持的台账文件类型 {suffix_zh}：请用 .xlsx、.csv 或 .json"
    "（旧版 .xls 请在 Excel 中另存为 .xlsx）",
    "unsupported ledger type {suffix_en}: use .xlsx, .csv or .json (save .xls as .xlsx)",
)
NO_SUFFIX = Bilingual("(无后缀)", "(none)")
NO_SUCH_LEDGER = Bilingual("台账文件不存在", "no such ledger file: {path}")
STEP_ROWS_WRONG = Finding(
    Bilingual(
        "本办件的办理环节有错（“{sheet}”第 {rows} 行），整件未导入",
        "the case's step rows {rows} in {sheet} have errors; the case was not imported",
    ),
    Bilingual("改正这些环节行后重新导入", "fix those step rows and import again"),
)
ORPHAN_STEP = Finding(
    Bilingual(
        "“{cases}”中没有办件编号 {case_id}，这一环节未导入",
        "no case numbered {case_id} in {cases}; this step was not imported",
    ),
    Bilingual(
        "核对办件编号，或先在“{cases}”中登记该办件",
        "check the number, or enter the case in {cases} first",
    ),
)
JSON_NOT_UTF8 = Finding(
    Bilingual("JSON 文件须为 UTF-8 编码：{error}", "a JSON file must be UTF-8: {error}"),
    Bilingual("以 UTF-8 编码重新保存", "save it again as UTF-8"),
)
JSON_INVALID = Finding(
    Bilingual(
        "不是有效的 JSON（第 {line} 行第 {column} 列）：{error}",
        "not valid JSON (line {line}, column {column}): {error}",
    ),
    Bilingual("检查这一处的引号、逗号和括号", "check the quotes, commas and brackets there"),
)
JSON_WITHOUT_CASES = Finding(
    Bilingual(
        'JSON 台账应为 {{"cases": [...]}}，整个文件未导入',
        'a JSON ledger is {{"cases": [...]}}; nothing was imported',
    ),
    Bilingual("把办件放在名为 cases 的列表中", "put the cases in a list named cases"),
)
JSON_UNKNOWN_FIELD = Finding(
    Bilingual("不认识的字段 {key}，未读取", "unknown field {key}; not read"),
    Bilingual("台账 JSON 只有 cases 一个字段", "a ledger JSON holds only cases"),
)
DUPLICATE_CASE_NUMBER = Finding(
    Bilingual(
        "办件编号 {case_id} 重复：{first_zh}已用过，本件未导入",
        "duplicate case number {case_id}, already used at {first_en}; this one not imported",
    ),
    Bilingual(
        "每件办件用不同的编号；若是同一件，请删去重复的行",
        "give each case its own number; if it is the same case, delete the repeated row",
    ),
)
# The Chinese of the case model's checks, by pydantic error type (the English is
# pydantic's own message); ``{name}`` from the error's context, blank if it has none.
MODEL_CHECKS_ZH = {
    "missing": "缺少此项",
    "string_too_long": "太长：最多 {max_length} 个字符",
    "string_too_short": "不能为空",
    "string_pattern_mismatch": "格式不对",
    "greater_than_equal": "不能小于 {ge}",
    "less_than_equal": "不能大于 {le}",
    "too_short": "至少要有 {min_length} 项",
    "decimal_max_digits": "位数太多：最多 {max_digits} 位",
    "extra_forbidden": "不认识的字段",
    "model_type": "应为一个对象 {{…}}",
    "model_attributes_type": "应为一个对象 {{…}}",
    "list_type": "应为列表 […]",
    "string_type": "应为文字",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "bool_parsing": "应为是或否",
    "date_from_datetime_parsing": "应为日期",
    "date_parsing": "应为日期",
    "decimal_parsing": "应为数字",
    "enum": "应为以下之一：{expected}",
}
MODEL_CHECK_OTHER_ZH = "不符合要求"
SEE_INSTRUCTIONS = Bilingual("请对照模板的“填写说明”修改", "see the template's 填写说明 sheet")

# --- importing.py: the problem is the broken rule's own message
CLOSED_BUT_STEPS_MISSING = Bilingual(
    "办件 {case} 标为“已办结”，但还缺办理环节：{missing}",
    "case {case} is marked 已办结 (closed) but these steps are not recorded: {missing}",
)
ADD_STEPS_OR_REOPEN = Bilingual(
    "在“办理环节”表补录缺少的环节后重新导入；尚未办完的，把办理状态改为“办理中”",
    "add the missing steps on the 办理环节 sheet and import again; if the case is not done, "
    "set its status to 办理中",
)
FOLLOW_OR_CONFIRM = Bilingual(
    "已导入；请核对是否按流程办理。该流程为起草稿，区里确认前仅作提示，确认后按规则拒绝",
    "imported; check the step against the flow. The flow is a draft: until the district "
    "confirms it (xwql catalog confirm) this is advice; once confirmed, the rule refuses",
)
CORRECT_OR_FORCE = Bilingual(
    "按事项流程改正该办件的办理环节后重新导入；确需破例的，由管理员用 "
    "xwql cases step --force 写明理由办理，或经管理员批准在该环节的"
    "“强制理由”列写明理由",
    "correct the case's steps and import again; an administrator may "
    "force an exception with xwql cases step --force and a reason, or "
    "approve writing the reason in the step's 强制理由 column",
)
VILLAGES_OUTSIDE_SCOPE = Bilingual(
    "台账中有不在您管辖范围内的村（社区）的办件：{villages}。整份台账未导入，"
    "请只导入您负责的村（社区）的台账",
    "the ledger holds cases of villages outside your scope: {villages}; nothing of it was imported",
)

# --- report.py
REPORT_NOT_WRITTEN = Bilingual("无法写入错误报告", "cannot write the error report {path}: {error}")

# --- result.py: a place, an issue at it, and the summary of an import
SHEET_PLACE = Bilingual("“{sheet}”表", "sheet {sheet}")
ROW_PLACE = Bilingual("第 {row} 行", "row {row}")
COLUMN_PLACE = Bilingual("“{column}”", "{column}")
ISSUE_AT = Bilingual(
    "{where_zh}{value}：{problem_zh}。{fix_zh}。", "{where_en}: {problem_en}; {fix_en}."
)
IMPORT_SUMMARY = Bilingual(
    "{file}：读入 {rows_in} 件，导入 {rows_imported} 件，退回 {rows_rejected} 件；"
    "办理环节 {steps_in} 行，导入 {steps_imported} 行；{errors} 个错误，{warnings} 个提醒",
    "{file}: {rows_in} cases read, {rows_imported} imported, {rows_rejected} rejected; "
    "{steps_in} step rows, {steps_imported} imported; {errors} errors, {warnings} warnings",
)

# --- template.py
TEMPLATE_NOT_WRITTEN = Bilingual(
    "无法写入台账模板", "cannot write the ledger template {path}: {error}"
)


# --- meetings.py: the 会议记录 sheet
JSON_MEETINGS_NOT_A_LIST = Finding(
    Bilingual("“meetings”应为会议记录的列表", '"meetings" must be a list of meeting records'),
    Bilingual("每个会议一条，放在方括号 [ ] 中", "one record per meeting, inside [ ]"),
)
MEETING_ROWS_DISAGREE = Finding(
    Bilingual(
        "同一会议（{number}）的“{header}”各行不一致：第{first_row}行是“{first}”，这里是“{value}”",
        "the rows of meeting {number} disagree on {header}: {first} (row {first_row}) and {value}",
    ),
    Bilingual("同一会议各行的会议信息须相同，或只在第一行填写",
              "give the meeting's details the same on each of its rows, or on its first only"),
)  # fmt: skip
MORE_PRESENT_THAN_MEMBERS = Finding(
    Bilingual("实到 {present} 人多于应到 {members} 人", "{present} present of {members} members"),
    Bilingual("核对实到人数和应到人数", "check who was present and the members in office"),
)
ATTENDEES_NOT_PRESENT = Finding(
    Bilingual("到会人员列了 {listed} 人，实到却是 {present} 人",
              "{listed} attendees are named but {present} were present"),
    Bilingual("到会人员逐一列出，人数与实到人数一致", "name each one present, as many as present"),
)  # fmt: skip
MORE_VOTES_THAN_PRESENT = Finding(
    Bilingual("同意、反对、弃权共 {votes} 票，多于实到 {present} 人",
              "{votes} votes were cast by {present} present"),
    Bilingual("核对表决票数：每位到会人员只有一票", "check the votes: one vote per person present"),
)  # fmt: skip
MEMBERS_NOT_AS_RECORDED = Finding(
    Bilingual(
        "组织数据中{village}{kind}自 {since} 起应到 {recorded} 人，这里填的是 {members} 人",
        "the organisations data give {village}'s {kind} {recorded} members from {since}, "
        "not {members}",
    ),
    Bilingual(
        "按在任组成人员填写；人数有变化的，请区管理员先更新组织数据（注明变化日期）",
        "enter the members in office; if they changed, have the organisations data updated "
        "with the date of the change first",
    ),
)
MEETING_INVALID = Finding(
    Bilingual("会议记录有误：{error}", "the meeting record is not valid: {error}"),
    Bilingual("按“填写说明”改正", "correct it as the instructions sheet says"),
)
