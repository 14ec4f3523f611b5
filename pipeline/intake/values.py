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
from pipeline.catalog.model import MeetingKind
from pipeline.errors import UnknownItem
from pipeline.intake.messages import (
    AMOUNT_BELOW_FEN,
    AMOUNT_IN_WAN,
    AMOUNT_TOO_LARGE,
    CODE_AND_NAME_DISAGREE,
    CODE_ON_ANOTHER_ITEM,
    CONTROL_CHARACTER,
    DATE_OUT_OF_RANGE,
    ID_NUMBER_AREA_UNKNOWN,
    ID_NUMBER_BIRTH_DATE,
    ID_NUMBER_CHARACTERS,
    ID_NUMBER_CHECK_DIGIT,
    ID_NUMBER_LENGTH,
    ID_NUMBER_STORED_AS_NUMBER,
    ITEM_RETIRED,
    LANDLINE_WITHOUT_AREA_CODE,
    NEGATIVE_AMOUNT,
    NO_SUCH_DAY,
    NO_SUCH_STEP,
    NOT_A_COUNT,
    NOT_A_DATE,
    NOT_A_MEETING_KIND,
    NOT_A_PHONE,
    NOT_AN_AMOUNT,
    NOT_TEXT,
    NOT_YES_OR_NO,
    OLD_ID_NUMBER_CONVERTED,
    UNKNOWN_ITEM,
    UNKNOWN_STATUS,
    UNKNOWN_VILLAGE,
    UNRECOGNISED_AMOUNT,
    UNRECOGNISED_DATE,
    Finding,
    bad,
    finding,
)
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
            raise bad(CONTROL_CHARACTER, code=code)
        return raw
    if isinstance(raw, int | Decimal) and not isinstance(raw, bool):
        return str(raw)
    if isinstance(raw, float) and math.isfinite(raw):
        return str(int(raw)) if raw.is_integer() else repr(raw)
    raise bad(NOT_TEXT, raw=show(raw))


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
        raise bad(NOT_A_DATE, raw=show(raw))
    if not EARLIEST <= day <= LATEST:
        raise bad(
            DATE_OUT_OF_RANGE, day=day.isoformat(), earliest=EARLIEST.year, latest=LATEST.year
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
                raise bad(NO_SUCH_DAY, raw=raw) from None
    if _DATE_SERIAL.fullmatch(text):
        return _date_from_serial(Decimal(text))
    raise bad(UNRECOGNISED_DATE, raw=raw)


def _date_from_serial(serial: int | float | Decimal) -> dt.date:
    """An Excel date serial (days since 1899-12-30); a fraction is the time of day."""
    if not 1 <= serial < 2958466:  # also refuses NaN and infinity
        raise bad(NOT_A_DATE, raw=show(serial))
    return _EXCEL_EPOCH + dt.timedelta(days=int(serial))


# --- amounts ---------------------------------------------------------------------------------

_AMOUNT = re.compile(
    r"(?P<sign>[-+])?(?:¥|RMB|CNY|人民币)?(?P<sign2>[-+])?"
    r"(?P<number>\d{1,3}(?:,\d{3})+|\d+)(?:\.(?P<fraction>\d+))?(?:元整|元|圆|整)?",
    re.IGNORECASE,
)


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
        raise bad(NOT_AN_AMOUNT, raw=show(raw))
    if value < 0:
        raise bad(NEGATIVE_AMOUNT, raw=show(raw))
    if value > MAX_AMOUNT:
        raise bad(AMOUNT_TOO_LARGE, raw=show(raw))
    if value.quantize(CENT) != value:
        raise bad(AMOUNT_BELOW_FEN, raw=show(raw))
    return abs(value).quantize(CENT)  # abs() only drops the sign of a negative zero


def _amount_from_text(raw: str) -> Decimal:
    text = re.sub(r"\s+", "", fold(raw))
    if "万" in text:
        raise bad(AMOUNT_IN_WAN, raw=raw)
    if text.startswith("(") and text.endswith(")"):
        text = "-" + text[1:-1]  # accountants' negative
    match = _AMOUNT.fullmatch(text)
    if match is None:
        raise bad(UNRECOGNISED_AMOUNT, raw=raw)
    value = Decimal(match["number"].replace(",", "") + "." + (match["fraction"] or "0"))
    return -value if "-" in (match["sign"], match["sign2"]) else value


# --- identity numbers and phones -------------------------------------------------------------


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
        raise bad(ID_NUMBER_STORED_AS_NUMBER, raw=show(raw))
    number = re.sub(r"\s+", "", fold(raw)).upper()
    if len(number) == 15 and number.isdigit():
        old = number
        number = f"{old[:6]}19{old[6:]}"
        number += ric.calc_check_digit(number + "0")
        ctx.warn(finding(OLD_ID_NUMBER_CONVERTED, old=old, number=number))
    if len(number) != 18:
        raise bad(ID_NUMBER_LENGTH, length=len(number))
    if not re.fullmatch(r"\d{17}[\dX]", number):
        raise bad(ID_NUMBER_CHARACTERS)
    if number[-1] != ric.calc_check_digit(number):
        raise bad(ID_NUMBER_CHECK_DIGIT)
    _check_birth_date(number)
    info = {
        key: value
        for _, props in numdb.get("cn/loc").info(number[:6])
        for key, value in props.items()
    }
    if "county" not in info:
        ctx.warn(finding(ID_NUMBER_AREA_UNKNOWN, area=number[:6]))
    return number


def _check_birth_date(number: str) -> None:
    try:
        born = ric.get_birth_date(number)
    except NumberInvalid:
        born = None
    if born is None or not dt.date(1900, 1, 1) <= born <= dt.date.today():
        raise bad(ID_NUMBER_BIRTH_DATE, born=number[6:14])


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
        raise bad(LANDLINE_WITHOUT_AREA_CODE, text=text)
    raise bad(NOT_A_PHONE, raw=show(raw))


# --- small values ------------------------------------------------------------------------------


def parse_count(raw: object) -> int:
    """A number of people or votes: ``4``, ``4人``, ``10票`` or a number cell.

    Raises:
        BadValue: if it is not a whole number.

    """
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    if isinstance(raw, float) and raw.is_integer():
        return int(raw)
    match = re.fullmatch(r"(\d{1,5})\s*[人口票户]?", fold(raw)) if isinstance(raw, str) else None
    if match is None:
        raise bad(NOT_A_COUNT, raw=show(raw))
    return int(match.group(1))


def parse_meeting_kind(raw: object) -> str:
    """One of the kinds of meeting (党支部会议, 村“两委”联席会议 …); quotes as typed.

    Raises:
        BadValue: for anything else.

    """

    # 两委 typed with curly quotes, plain ones or none all name 村“两委”联席会议.
    def key(text: str) -> str:
        return re.sub(r"[\s\"'“”‘’]+", "", fold(text))

    found = {key(kind.value): kind.value for kind in MeetingKind}.get(key(as_text(raw)))
    if found is None:
        raise bad(NOT_A_MEETING_KIND, raw=show(raw))
    return found


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
    raise bad(NOT_YES_OR_NO, raw=show(raw))


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
    raise bad(UNKNOWN_STATUS, text=text, allowed=allowed)


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
        raise bad(CODE_AND_NAME_DISAGREE, code=item.code, name=item.name, typed=name)
    # A code printed on two items' charts is no longer in doubt once its name agrees.
    return _use_item(item, None if name else resolution.warning, ctx)


def _resolve_code(text: str, ctx: Context) -> tuple[Resolution, str]:
    """The item of ``code`` or of ``code name``, and the name typed (or "")."""
    code, _, name = re.sub(r"\s+", " ", text).partition(" ")
    for candidate, typed_name in ((text, ""), (code, name)):
        try:
            return ctx.catalog.resolve(candidate), typed_name
        except UnknownItem:
            continue
    raise bad(UNKNOWN_ITEM, text=text, last=len(ctx.catalog))


def _use_item(item: CatalogItem, warning: str | None, ctx: Context) -> str:
    if warning:
        ctx.warn(finding(CODE_ON_ANOTHER_ITEM, warning=warning, code=item.code, name=item.name))
    if item.retired:
        ctx.warn(finding(ITEM_RETIRED, code=item.code, name=item.name))
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
        raise bad(UNKNOWN_VILLAGE, text=text, known=known)
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
    raise bad(NO_SUCH_STEP, code=item.code, name=item.name, raw=raw, steps=steps)
