"""Cell values as clerks type them, checked and normalised one at a time.

Each parser takes a raw value (text, number, date or bool, as a spreadsheet, a
CSV file or JSON gives it; never ``None``) and returns the normalised value, or
raises ``BadValue`` saying in Chinese and English what is wrong and how to fix
it. Codes, numbers, dates and phone numbers are folded with NFKC first, so
full-width digits and punctuation typed with a Chinese input method are read
as ASCII. Free text (names, reasons, addresses) is never folded, escaped or
stripped of characters: 𠮷, 䶮, 﨑, emoji and ``<script>&`` stay as typed. Text
with a control character (NUL, BEL… ; tabs and line breaks are fine) is refused:
no document, spreadsheet or index could hold it as typed.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal

from stdnum import numdb
from stdnum.cn import ric
from stdnum.exceptions import ValidationError as NumberInvalid

from pipeline.cases.model import CaseStatus
from pipeline.catalog import Catalog, CatalogItem
from pipeline.catalog.load import Resolution
from pipeline.errors import UnknownItem
from pipeline.intake.messages import Finding, bad, finding
from pipeline.organisations import Directory

EARLIEST = dt.date(1950, 1, 1)
"""The earliest date a ledger may hold."""
LATEST = dt.date(2099, 12, 31)
"""The latest date a ledger may hold."""
CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("999999999999.99")
"""The largest amount the case model stores (14 digits, 2 after the point)."""

_EXCEL_EPOCH = dt.date(1899, 12, 30)  # Excel day 0, right from serial 61 (1900-03-01) on


@dataclass
class Context:
    """What parsers need beyond the value: the catalog, the villages, and warnings."""

    catalog: Catalog
    directory: Directory
    _notes: list[Finding] = field(default_factory=list, init=False, repr=False)

    def warn(self, note: Finding) -> None:
        """Record a warning about the value being parsed; the value is still taken."""
        self._notes.append(note)

    def take_notes(self) -> list[Finding]:
        """The warnings recorded since the last call."""
        notes, self._notes = self._notes, []
        return notes


def fold(text: str) -> str:
    """NFKC-fold and trim text that is a code or a number (never free text)."""
    return unicodedata.normalize("NFKC", text).strip()


def show(raw: object) -> str:
    """A raw value as the clerk sees it, for error reports."""
    if raw is None:
        return ""
    if isinstance(raw, bool):
        return "TRUE" if raw else "FALSE"
    if isinstance(raw, dt.datetime) and raw.time() == dt.time():
        return raw.date().isoformat()
    if isinstance(raw, dt.date | dt.time):
        return raw.isoformat()
    if isinstance(raw, float):
        return format(raw, ".15g")  # what Excel shows: 15 significant digits
    if isinstance(raw, list | dict):
        return json.dumps(raw, ensure_ascii=False)
    return str(raw)


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # all but \t \n \r


def as_text(raw: object) -> str:
    """Text typed into a cell, taken literally; whole numbers lose Excel's ``.0``."""
    if isinstance(raw, str):
        control = _CONTROL.search(raw)
        if control:
            code = f"U+{ord(control.group()):04X}"
            raise bad(
                f"含有看不见的控制字符 {code}（多是从别的系统复制来的）",
                f"holds an invisible control character {code} (pasted from another system?)",
                "清空这个单元格，重新输入",
                "clear the cell and type the value again",
            )
        return raw
    if isinstance(raw, int | Decimal) and not isinstance(raw, bool):
        return str(raw)
    if isinstance(raw, float) and math.isfinite(raw):
        return str(int(raw)) if raw.is_integer() else repr(raw)
    raise bad(
        f"这里应填文字，却是 {show(raw)}",
        f"text expected, got {show(raw)}",
        "把单元格格式设为“文本”后重新输入",
        "format the cell as Text and type the value again",
    )


def parse_token(raw: object) -> str:
    """A code-like value (case number, step id): folded and trimmed."""
    return fold(as_text(raw))


# --- dates -----------------------------------------------------------------------------------

_DATE_SEPARATED = re.compile(
    r"(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
)
_DATE_CHINESE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?")
_DATE_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")
_DATE_SERIAL = re.compile(r"\d{1,5}(?:\.\d+)?")
_DATE_FIX = ("请写成 2026-11-03、2026/11/3 或 2026年11月3日", "write it as 2026-11-03 or 2026/11/3")


def parse_date(raw: object) -> dt.date:
    """A date as clerks type it.

    Accepts date and datetime cells, Excel serial numbers (46329, also as text),
    ``2026-11-03``, ``2026/11/3``, ``2026.11.3``, ``2026年11月3日``, ``20261103``
    and the same with full-width digits. Dates outside 1950–2099 are refused.

    Raises:
        BadValue: naming the problem and the expected form.

    """
    if isinstance(raw, dt.datetime):
        day = raw.date()
    elif isinstance(raw, dt.date):
        day = raw
    elif isinstance(raw, int | float | Decimal) and not isinstance(raw, bool):
        day = _date_from_serial(raw)
    elif isinstance(raw, str):
        day = _date_from_text(raw)
    else:
        raise bad(f"不是日期：{show(raw)}", f"not a date: {show(raw)}", *_DATE_FIX)
    if not EARLIEST <= day <= LATEST:
        raise bad(
            f"日期 {day.isoformat()} 不在 {EARLIEST.year}–{LATEST.year} 年之间",
            f"date {day.isoformat()} is outside {EARLIEST.year}–{LATEST.year}",
            "请核对年份",
            "check the year",
        )
    return day


def _date_from_text(raw: str) -> dt.date:
    text = fold(raw)
    for pattern, groups in (
        (_DATE_SEPARATED, (1, 3, 4)),
        (_DATE_CHINESE, (1, 2, 3)),
        (_DATE_COMPACT, (1, 2, 3)),
    ):
        match = pattern.fullmatch(text)
        if match:
            year, month, day = (int(match.group(g)) for g in groups)
            try:
                return dt.date(year, month, day)
            except ValueError:
                raise bad(
                    f"没有这一天：{raw}",
                    f"no such day: {raw}",
                    "请核对月份和日子（如 2月没有30日）",
                    "check month and day (February has no 30th)",
                ) from None
    if _DATE_SERIAL.fullmatch(text):
        return _date_from_serial(Decimal(text))
    raise bad(f"无法识别的日期：{raw}", f"unrecognised date: {raw}", *_DATE_FIX)


def _date_from_serial(serial: int | float | Decimal) -> dt.date:
    """An Excel date serial (days since 1899-12-30); a fraction is the time of day."""
    if not 1 <= serial < 2958466:  # also refuses NaN and infinity
        raise bad(f"不是日期：{show(serial)}", f"not a date: {show(serial)}", *_DATE_FIX)
    return _EXCEL_EPOCH + dt.timedelta(days=int(serial))


# --- amounts ---------------------------------------------------------------------------------

_AMOUNT = re.compile(
    r"(?P<sign>[-+])?(?:¥|RMB|CNY|人民币)?(?P<sign2>[-+])?"
    r"(?P<number>\d{1,3}(?:,\d{3})+|\d+)(?:\.(?P<fraction>\d+))?(?:元整|元|圆|整)?",
    re.IGNORECASE,
)
_AMOUNT_FIX = ("用阿拉伯数字按元填写，如 1200.50", "enter yuan in digits, e.g. 1200.50")


def parse_amount(raw: object) -> Decimal:
    """An amount in yuan: ``1,200.50元``, ``￥1200.5``, ``1200`` or a number cell.

    Returns a ``Decimal`` with exactly two places. Negative amounts, more than two
    decimal places, 万 and Chinese capital numerals are refused.

    Raises:
        BadValue: naming the problem and the expected form.

    """
    if isinstance(raw, int) and not isinstance(raw, bool):
        value = Decimal(raw)
    elif isinstance(raw, float) and math.isfinite(raw):
        value = Decimal(repr(raw))  # the shortest text that is this float: what was typed
    elif isinstance(raw, Decimal) and raw.is_finite():
        value = raw
    elif isinstance(raw, str):
        value = _amount_from_text(raw)
    else:
        raise bad(f"不是金额：{show(raw)}", f"not an amount: {show(raw)}", *_AMOUNT_FIX)
    if value < 0:
        raise bad(
            f"金额不能为负数：{show(raw)}",
            f"an amount cannot be negative: {show(raw)}",
            "填正数；退款或冲减请在事由或备注中说明",
            "enter a positive amount and explain refunds in 事由 or 备注",
        )
    if value > MAX_AMOUNT:
        raise bad(
            f"金额过大：{show(raw)}",
            f"amount too large: {show(raw)}",
            "请核对金额（单位是元，不是分）",
            "check the amount (it is in yuan, not fen)",
        )
    if value.quantize(CENT) != value:
        raise bad(
            f"金额最多两位小数（到分）：{show(raw)}",
            f"an amount has at most two decimal places: {show(raw)}",
            "请四舍五入到分后填写",
            "round to the fen (0.01) and enter it again",
        )
    return abs(value).quantize(CENT)  # abs() only drops the sign of a negative zero


def _amount_from_text(raw: str) -> Decimal:
    text = re.sub(r"\s+", "", fold(raw))
    if "万" in text:
        raise bad(
            f"金额请以元为单位，不要用“万”：{raw}",
            f"enter the amount in yuan, not 万 (10,000): {raw}",
            "如 1.2万 请写成 12000",
            "e.g. write 1.2万 as 12000",
        )
    if text.startswith("(") and text.endswith(")"):
        text = "-" + text[1:-1]  # accountants' negative
    match = _AMOUNT.fullmatch(text)
    if match is None:
        raise bad(f"无法识别的金额：{raw}", f"unrecognised amount: {raw}", *_AMOUNT_FIX)
    value = Decimal(match["number"].replace(",", "") + "." + (match["fraction"] or "0"))
    return -value if "-" in (match["sign"], match["sign2"]) else value


# --- identity numbers and phones -------------------------------------------------------------

_ID_FIX_TEXT = (
    "把“身份证号”列设为文本格式后重新输入全部18位（或在号码前加英文单引号 '）",
    "format the 身份证号 column as Text and type all 18 characters again (or start with ')",
)


def parse_id_number(raw: object, ctx: Context) -> str:
    """A resident identity number (居民身份证号), checked against GB 11643.

    Returns the 18-character number with an upper-case ``X``. A 15-digit number of
    the first generation is converted to 18 digits (a warning says so).

    Raises:
        BadValue: wrong length, characters, check digit or birth date, or a number
            that Excel stored as a number and so rounded.

    """
    if isinstance(raw, int) and not isinstance(raw, bool) and len(str(raw)) <= 15:
        raw = str(raw)  # up to 15 digits a number cell keeps every digit
    if not isinstance(raw, str) or re.fullmatch(r"\d(?:\.\d+)?E\+?\d+", fold(raw).upper()):
        raise bad(
            f"身份证号被存成了数字（{show(raw)}），Excel 只保留15位，后几位已丢失",
            f"the ID number was stored as a number ({show(raw)}); Excel keeps 15 digits only",
            *_ID_FIX_TEXT,
        )
    number = re.sub(r"\s+", "", fold(raw)).upper()
    if len(number) == 15 and number.isdigit():
        old = number
        number = f"{old[:6]}19{old[6:]}"
        number += ric.calc_check_digit(number + "0")
        ctx.warn(
            finding(
                f"15位旧身份证号 {old} 已转为18位 {number}",
                f"the old 15-digit ID number {old} was converted to 18 digits: {number}",
                "请核对申请人现用的身份证，并在台账中改填18位号码",
                "check the applicant's current card and enter the 18-digit number",
            )
        )
    if len(number) != 18:
        raise bad(
            f"身份证号应为18位，这里是 {len(number)} 位",
            f"an ID number has 18 characters, this one has {len(number)}",
            "请对照身份证核对，是否漏了或多了数字",
            "compare with the card: a digit is missing or extra",
        )
    if not re.fullmatch(r"\d{17}[\dX]", number):
        raise bad(
            "身份证号只能是17位数字加一位数字或 X",
            "an ID number is 17 digits and a final digit or X",
            "请去掉字母、标点等多余字符",
            "remove letters, punctuation and other stray characters",
        )
    if number[-1] != ric.calc_check_digit(number):
        raise bad(
            "身份证号校验位不对，可能有数字录错",
            "the ID number's check digit does not match: a digit is probably mistyped",
            "请对照身份证逐位核对",
            "compare it with the card, digit by digit",
        )
    _check_birth_date(number)
    info = {
        key: value
        for _, props in numdb.get("cn/loc").info(number[:6])
        for key, value in props.items()
    }
    if "county" not in info:
        ctx.warn(
            finding(
                f"身份证号地区码 {number[:6]} 不在行政区划代码表中",
                f"area code {number[:6]} of the ID number is not a known area code",
                "请对照身份证核对前6位",
                "check the first six digits against the card",
            )
        )
    return number


def _check_birth_date(number: str) -> None:
    try:
        born = ric.get_birth_date(number)
    except NumberInvalid:
        born = None
    if born is None or not dt.date(1900, 1, 1) <= born <= dt.date.today():
        raise bad(
            f"身份证号中的出生日期 {number[6:14]} 不存在",
            f"the birth date {number[6:14]} in the ID number is not a real date",
            "请对照身份证核对第7–14位",
            "check digits 7–14 against the card",
        )


_MOBILE = re.compile(r"1[3-9]\d{9}")
# Three-digit area codes are 010 and 02x; all others have four digits.
_LANDLINE = re.compile(
    r"\(?(01\d|02\d|0[3-9]\d{2})\)?-?(\d{7,8})(?:(?:-|转|ext\.?|#)(\d{1,6}))?", re.IGNORECASE
)


def parse_phone(raw: object) -> str:
    """A mobile (``13805331234``) or landline (``0533-7211234``) number, normalised.

    Spaces and dashes in mobiles and a ``+86`` prefix are dropped; landlines are
    written ``area-number`` (``-ext`` if there is one).

    Raises:
        BadValue: naming what is wrong with the number.

    """
    text = re.sub(r"\s+", "", fold(as_text(raw)))
    mobile = re.sub(r"^\+?86(?=1\d{10}$)", "", text.replace("-", ""))
    if _MOBILE.fullmatch(mobile):
        return mobile
    match = _LANDLINE.fullmatch(text)
    if match:
        area, number, extension = match.groups()
        return f"{area}-{number}" + (f"-{extension}" if extension else "")
    if re.fullmatch(r"\d{7,8}", text):
        raise bad(
            f"固定电话缺少区号：{text}",
            f"the landline number has no area code: {text}",
            "请加上区号，如 0533-7211234",
            "add the area code, e.g. 0533-7211234",
        )
    raise bad(
        f"不是有效的电话号码：{show(raw)}",
        f"not a valid phone number: {show(raw)}",
        "填11位手机号（13–19开头）或带区号的固定电话如 0533-7211234；只填一个号码",
        "enter one 11-digit mobile (starting 13–19) or a landline with area code, 0533-7211234",
    )


# --- small values ------------------------------------------------------------------------------


def parse_count(raw: object) -> int:
    """A number of people: ``4``, ``4人`` or a number cell.

    Raises:
        BadValue: if it is not a whole number.

    """
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    if isinstance(raw, float) and raw.is_integer():
        return int(raw)
    match = re.fullmatch(r"(\d{1,3})\s*[人口]?", fold(raw)) if isinstance(raw, str) else None
    if match is None:
        raise bad(
            f"应为人数（整数）：{show(raw)}",
            f"a whole number of people expected: {show(raw)}",
            "填阿拉伯数字，如 4",
            "enter a number such as 4",
        )
    return int(match.group(1))


_YES = frozenset({"是", "y", "yes", "true", "1", "√", "✓", "代办"})
_NO = frozenset({"否", "n", "no", "false", "0", "×", "✗", "不是"})


def parse_bool(raw: object) -> bool:
    """是/否 (also Y/N, TRUE/FALSE, 1/0, √/×).

    Raises:
        BadValue: for anything else.

    """
    if isinstance(raw, bool):
        return raw
    text = fold(as_text(raw)).lower()
    if text in _YES or text in _NO:
        return text in _YES
    raise bad(
        f"应填“是”或“否”：{show(raw)}",
        f"是 (yes) or 否 (no) expected: {show(raw)}",
        "填“是”或“否”",
        "enter 是 or 否",
    )


def parse_list(raw: object) -> list[str]:
    """A list typed in one cell, separated by 、，,；; or line breaks (or a JSON list)."""
    parts = raw if isinstance(raw, list) else re.split(r"[、，,；;\n]+", as_text(raw))
    return [text for text in (as_text(part).strip() for part in parts) if text]


def parse_status(raw: object) -> CaseStatus:
    """The case status, one of ``CaseStatus``'s Chinese values.

    Raises:
        BadValue: naming the allowed values.

    """
    text = fold(as_text(raw))
    for status in CaseStatus:
        if text in (status.value, status.name.lower(), status.name):
            return status
    allowed = "、".join(status.value for status in CaseStatus)
    raise bad(
        f"不认识的办理状态“{text}”",
        f"unknown status {text!r}",
        f"请从 {allowed} 中选一个",
        f"choose one of {allowed}",
    )


# --- catalog and organisations ---------------------------------------------------------------


def parse_item(raw: object, ctx: Context) -> str:
    """The catalog item a code, alias, name or ``code name`` pair names: its code.

    ``xwql-045``, ``xwql-45``, ``xwq1-0045``, ``民间纠纷调解`` and the drop-down
    form ``xwql-045 民间纠纷调解`` are all accepted; a name that disagrees with the
    code is refused. Warnings of ``Catalog.resolve`` (codes 033–036) and retired
    items are passed on.

    Raises:
        BadValue: unknown code or name, or code and name of different items.

    """
    text = as_text(raw).strip()
    by_name = {_name_key(item.name): item for item in ctx.catalog}
    if _name_key(text) in by_name:
        return _use_item(by_name[_name_key(text)], None, ctx)
    resolution, name = _resolve_code(text, ctx)
    item = resolution.item
    if name and _name_key(name) != _name_key(item.name):
        raise bad(
            f"编码 {item.code} 是“{item.name}”，与所填名称“{name}”不符",
            f"code {item.code} is {item.name!r}, not {name!r}",
            "请核对编码和名称，从下拉列表重新选择",
            "check code and name and pick the item again from the drop-down list",
        )
    return _use_item(item, resolution.warning, ctx)


def _resolve_code(text: str, ctx: Context) -> tuple[Resolution, str]:
    """The item of ``code`` or of ``code name``, and the name typed (or "")."""
    code, _, name = re.sub(r"\s+", " ", text).partition(" ")
    for candidate, typed_name in ((text, ""), (code, name)):
        try:
            return ctx.catalog.resolve(candidate), typed_name
        except UnknownItem:
            continue
    raise bad(
        f"未知的事项编码或名称“{text}”",
        f"unknown item code or name {text!r}",
        f"请从下拉列表中选择（xwql-001 至 xwql-{len(ctx.catalog):03d}，也可填事项名称）",
        f"choose from the drop-down list (xwql-001 … xwql-{len(ctx.catalog):03d}, or the name)",
    )


def _use_item(item: CatalogItem, warning: str | None, ctx: Context) -> str:
    if warning:
        ctx.warn(
            finding(
                warning,
                f"code {item.code} is taken as {item.name!r} (Attachment 1); Attachment 2 "
                "printed the same code on another item's flowchart",
                "如指的是另一事项，请改用提示中的编码",
                "if you meant the other item, use the code the Chinese message names",
            )
        )
    if item.retired:
        ctx.warn(
            finding(
                f"事项 {item.code}“{item.name}”已停用",
                f"item {item.code} {item.name!r} is retired",
                "新办件请选用现行事项",
                "use a current item for new cases",
            )
        )
    return item.code


def _name_key(text: str) -> str:
    return re.sub(r"\s+", "", fold(text))


def parse_village(raw: object, ctx: Context) -> str:
    """The code of the village named (南马村, 齐陵街道南马村) or coded (QL-NM).

    Raises:
        BadValue: naming some known villages.

    """
    text = as_text(raw).strip()
    place = ctx.directory.find(text) or ctx.directory.find(fold(text))
    if place is None:
        known = "、".join(p.village.name for p in ctx.directory.villages[:6])
        raise bad(
            f"未知的村（社区）“{text}”",
            f"unknown village {text!r}",
            f"请从下拉列表中选择，或填村代码；已知的有 {known}…",
            f"choose from the drop-down list or enter the village code; known: {known}…",
        )
    return place.village.code


def resolve_step(item: CatalogItem, raw: str) -> str:
    """The id of ``item``'s step given by id (``accept``), name (受理登记) or both.

    Raises:
        BadValue: listing the item's steps.

    """
    text = _name_key(raw)
    for step in item.steps:
        if text in (step.id, _name_key(step.name), _name_key(step.id + step.name)):
            return step.id
    steps = "、".join(f"{step.id} {step.name}" for step in item.steps)
    raise bad(
        f"事项 {item.code}“{item.name}”没有环节“{raw}”",
        f"item {item.code} has no step {raw!r}",
        f"可填环节编号或名称：{steps}",
        f"enter a step id or name: {steps}",
    )
