"""The messages of the ground floor's single modules, in Chinese and English.

See ``pipeline.errors.Bilingual``. Besides the messages, two layouts for a message
printed otherwise than ``中文 / English``: ``side_by_side`` (``中文 English``, for
short problem lines) and ``joined`` (the two languages with any text between).
"""

from __future__ import annotations

from pipeline.errors import Bilingual


def joined(message: Bilingual, between: str, /, **blanks: object) -> str:
    """``message`` with its blanks filled, its Chinese and English with ``between`` between."""
    filled = message.fill(**blanks)
    return f"{filled.zh}{between}{filled.en}"


def side_by_side(message: Bilingual, /, **blanks: object) -> str:
    """``message`` with its blanks filled as ``中文 English``, the two separated by a space."""
    return joined(message, " ", **blanks)


# --- organisations.py
UNKNOWN_VILLAGE = Bilingual("未知的村", "unknown village {name!r}")
KNOWN_VILLAGES = Bilingual("已知", "known: {known}… (xwql villages lists them all)")
ORGANISATIONS_UNREADABLE = Bilingual("无法读取组织数据", "cannot read {path}: {error}")
ORGANISATIONS_INVALID = Bilingual("组织数据有误", "{path} is not valid")
DUPLICATE_VILLAGE_CODES = Bilingual("{path}: 村代码重复", "duplicate village codes: {codes}")


def unknown_village(name: str, known: str) -> str:
    """``未知的村 unknown village '…'; 已知 known: …``: the village asked for and some known."""
    unknown = side_by_side(UNKNOWN_VILLAGE, name=name)
    return f"{unknown}; {side_by_side(KNOWN_VILLAGES, known=known)}"


# --- workfolder.py
WORK_FOLDER_KEPT = Bilingual("工作文件夹已保留", "the work folder is kept for diagnosis: {path}")
KEEP_WORK_FOLDER = Bilingual(
    "设置 XWQL_KEEP_WORK=1 后重试可保留工作文件夹",
    "run again with XWQL_KEEP_WORK=1 to keep the work folder ({path}) for diagnosis",
)
