"""The messages of the catalog, in Chinese and English (see ``pipeline.errors.Bilingual``).

The problems of a catalog file are short and printed side by side, ``中文 English``
(``Bilingual.side_by_side``); the others ``中文 / English``.
"""

from __future__ import annotations

from pathlib import Path

from pipeline.errors import Bilingual

# --- diff.py
EDITION_UNREADABLE = Bilingual("无法读取目录版本", "cannot read catalog edition {source}")
NOT_A_SNAPSHOT = Bilingual("{source} 不是目录快照", "is not a catalog snapshot")

# --- load.py: resolving a code
UNKNOWN_ITEM_CODE = Bilingual("未知事项编码", "unknown item code {code!r}")
USE_A_LISTED_CODE = (
    "请用 xwql-001 至 xwql-{last:03d} 之一（xwql catalog list 可查）"  # Chinese only
)
CODE_PRINTED_ON_ANOTHER_ITEM = (  # Chinese only: the warning of a ``Resolution``
    "编码 {code} 按附件1目录指“{name}”；附件2曾把同号印在“{other}”（现为 {other_code}）的流程图上。"
    "如指后者，请改用 {other_code}。"
)


def unknown_item_code(code: str, last: int) -> str:
    """``未知事项编码 unknown item code '…': 请用 …``: the code asked for, the codes there are."""
    return f"{UNKNOWN_ITEM_CODE.side_by_side(code=code)}: {USE_A_LISTED_CODE.format(last=last)}"


# --- load.py: the problems of a file, printed side by side
YAML_INVALID = Bilingual("不是有效的 YAML", "not valid YAML: {error}")  # printed 中文 / English
FILE_UNREADABLE = Bilingual("无法读取", "cannot read: {error}")  # printed 中文 / English
VALUE_SHOWN = Bilingual("值", "value: {value!r}")
DUPLICATE_CODE = Bilingual("重复的编码", "duplicate code {code}")
DUPLICATE_NUMBER = Bilingual("重复的序号", "duplicate number {number}")
ALSO_IN = Bilingual("也在", "also in {path}")
CODE_NOT_NUMBER = Bilingual(  # the two joined by "; "
    "编码 {code} 与序号 {number} 不一致", "expected xwql-{number:03d}"
)
FILE_NAME_NOT_CODE = Bilingual("文件名应为", "file should be named {code}.yaml")
CATEGORY_NOT_LISTED = Bilingual(  # printed 中文 / English
    "类别“{category}”不在 edition.yaml 的类别中", "category not listed in edition.yaml"
)
DUPLICATE_STEP_ID = Bilingual("步骤 id 重复", "duplicate step id {step!r}")
NOTICE_WITHOUT_DAYS = Bilingual("公示步骤需要公示天数", "a notice step needs public_notice.days")
ON_OBJECTION_NOT_EARLIER = Bilingual(
    "on_objection 只能写在公示步骤上，并指向本事项此前的步骤",
    "on_objection belongs on a notice step and names an earlier step of the item, not {step!r}",
)


def duplicate(message: Bilingual, path: Path, /, **blanks: object) -> str:
    """``重复的… duplicate … (也在 also in path)``: ``message`` and the file that has it too."""
    return f"{message.side_by_side(**blanks)} ({ALSO_IN.side_by_side(path=path)})"


# --- load.py: the catalog as a whole
NO_EDITION = Bilingual("目录中没有 edition.yaml", "no catalog edition in {folder}")
FILE_MISSING = Bilingual("文件不存在", "file missing")
NO_ITEM_FILES = Bilingual("没有事项文件", "no item files")
CATALOG_PROBLEMS = Bilingual(
    "事项清单有 {count} 处错误", "the catalog in {folder} has {count} problem(s):"
)

UNKNOWN_LAW = Bilingual(
    "行使依据不在法规表中",
    "{law} is not in laws.yaml: add it there with its promulgation and effective dates",
)
LAW_AFTER_EDITION = Bilingual(
    "行使依据在本版施行日期不生效",
    "{law} (in force from {effective}{repealed}) does not apply on edition {edition}'s date "
    "({date}): cite what was in force then; a later law comes in a later edition through "
    "its change log",
)
LAW_NOT_IN_FORCE_WHEN_CONFIRMED = Bilingual(
    "确认的行使依据在确认日期已不生效：{law}；请先在新版清单中改为当时有效的法规，再确认",
    "{law} (in force from {effective}{repealed}) no longer applies on {date}, when the "
    "district confirms the basis citing it: cite the law in force in a new edition first",
)
NOT_CONFIRMABLE = Bilingual(
    "{code} 的这些内容不能确认：{fields}（可确认的是起草的 {confirmable}）",
    "{code}: cannot confirm {fields}: confirmable are the drafted ones of {confirmable}",
)
ALREADY_CONFIRMED = Bilingual(
    "{code} 的这些内容不是待确认的起草稿：{fields}",
    "{code}: these are not drafts waiting for confirmation (confirmed already?): {fields}",
)
NOTHING_TO_CONFIRM = Bilingual(
    "没有待确认的内容", "{code}: every field is the source's or confirmed already"
)
VERSION_NOT_NUMBERED = Bilingual(
    "版本号无法递增", "{path}: the version must read N.M (e.g. 2020.1) for the next to be made"
)
CONFIRMED_BEFORE_EDITION = Bilingual(
    "确认日期早于本版施行日期",
    "a confirmation dated {date} would date the new edition before this one ({effective})",
)
CONFIRMATIONS_NOT_A_BLOCK = Bilingual(
    "确认记录格式不符",
    "{path}: keep confirmations as the file's last key, a block list (- document: …); "
    "edit it by hand otherwise",
)
EDITION_NOT_WRITTEN = Bilingual(
    "新版本未能写入", "{path}: the next edition's version or change-log line did not take"
)
