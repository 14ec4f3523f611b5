"""Masking of personal data for public documents (公示, 结果公开).

Public notices show a person's name (notice rules require it) but never a full
ID number, phone number or address. The rules here:

* ID numbers (居民身份证号): the first 6 characters (the issuing area) and the
  last 4 are kept, the birth date and sequence between them are starred —
  ``370305199001011234`` → ``370305********1234``; old 15-digit numbers
  likewise (``370305900101123`` → ``370305*****1123``).
* Mobile phones: the first 3 and the last 4 digits are kept —
  ``13812345678`` → ``138****5678``. Landlines keep the area code and the
  first 2 and last 2 digits of the local number — ``0533-7211234`` →
  ``0533-72***34``.
* Anything else typed into those fields is masked conservatively: the length
  is kept, at most a quarter of the characters at either end (never more than
  6 at the start or 4 at the end) stay visible, everything between is starred.
  No function here raises on odd input; ``None`` and blanks give ``""``.
* Free text printed publicly (a reason, a decision) goes through
  :func:`mask_text`, which masks every ID-like or phone-like number in it and
  any address given.

Archived internal copies keep the full data: masking happens only when a
public document's values are built.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from pipeline.cases.model import Case, Person

MASK = "*"
_ID18 = re.compile(r"[0-9]{17}[0-9X]")
_ID15 = re.compile(r"[0-9]{15}")
_MOBILE = re.compile(r"(?:\+?86)?(1[3-9][0-9]{9})")
_LANDLINE = re.compile(r"(0[0-9]{2,3})([- ]?)([0-9]{7,8})")
# In free text: numbers that look like an ID, a mobile or a landline, not inside a longer number.
_TEXT_ID = re.compile(r"(?<![0-9])(?:[0-9]{17}[0-9Xx]|[0-9]{15})(?![0-9])")
_TEXT_MOBILE = re.compile(r"(?<![0-9])(?:\+?86[- ]?)?1[3-9][0-9](?:[- ]?[0-9]{4}){2}(?![0-9])")
_TEXT_LANDLINE = re.compile(r"(?<![0-9])0[0-9]{2,3}[- ][0-9]{7,8}(?![0-9])")
_TEXT_LONG_NUMBER = re.compile(r"[0-9]{11,}")  # amounts up to 10 digits stay readable
_MIN_ADDRESS = 4  # shorter "addresses" (a village name) are not identifying on their own


def _mask_middle(text: str, *, head: int, tail: int) -> str:
    """Keep ``head`` leading and ``tail`` trailing characters, star the rest (same length)."""
    if head + tail >= len(text):
        return MASK * len(text)
    return text[:head] + MASK * (len(text) - head - tail) + (text[-tail:] if tail else "")


def _mask_unknown(text: str) -> str:
    """Conservative mask for a value of no known shape: length kept, ends mostly hidden."""
    quarter = len(text) // 4
    return _mask_middle(text, head=min(6, quarter), tail=min(4, quarter))


def _normalised(value: str) -> str:
    # Full-width digits (１２３) and letters typed on a Chinese keyboard become ASCII.
    return unicodedata.normalize("NFKC", value).strip().upper()


def mask_id(value: str | None) -> str:
    """Mask a resident ID number (居民身份证号) for public documents.

    Args:
        value: The ID as entered: 18 characters (last may be ``X``), an old
            15-digit number, or anything else a clerk typed.

    Returns:
        ``370305********1234`` for an 18-character ID (first 6 and last 4 kept),
        ``370305*****1123`` for a 15-digit one, a same-length conservative mask
        for anything else, and ``""`` for ``None`` or blank input.

    """
    if value is None or not value.strip():
        return ""
    normal = _normalised(value)
    if _ID18.fullmatch(normal) or _ID15.fullmatch(normal):
        return _mask_middle(normal, head=6, tail=4)
    return _mask_unknown(value.strip())


def mask_phone(value: str | None) -> str:
    """Mask a phone number for public documents.

    Args:
        value: A mobile (``13812345678``, ``+86 138 1234 5678``), a landline
            (``0533-7211234``, ``05337211234``) or anything else a clerk typed.

    Returns:
        ``138****5678`` for a mobile (country code dropped), ``0533-72***34`` for a
        landline (area code and separator kept), a same-length conservative mask for
        anything else, and ``""`` for ``None`` or blank input.

    """
    if value is None or not value.strip():
        return ""
    normal = _normalised(value)
    compact = re.sub(r"[\s()（）-]", "", normal)
    mobile = _MOBILE.fullmatch(compact)
    if mobile:
        return _mask_middle(mobile.group(1), head=3, tail=4)
    landline = _LANDLINE.fullmatch(normal) or _LANDLINE.fullmatch(compact)
    if landline:
        area, separator, local = landline.groups()
        return area + separator + _mask_middle(local, head=2, tail=2)
    if re.fullmatch(r"[0-9]{7,8}", compact):  # a local number without area code
        return _mask_middle(compact, head=2, tail=2)
    return _mask_unknown(value.strip())


def mask_text(text: str | None, *, addresses: Iterable[str | None] = ()) -> str:
    """Mask the personal data inside free text printed publicly.

    Every ID-like number (15 or 18 characters), mobile and landline number in
    ``text`` is masked as by :func:`mask_id` and :func:`mask_phone`; any other
    run of 7 or more digits keeps only its ends; each of ``addresses`` (of 4 or
    more characters) is replaced by ``（住址已隐去）``.

    Args:
        text: Free text such as a reason (事由) or decision; ``None`` gives ``""``.
        addresses: Addresses of the people concerned, removed wherever they occur.

    Returns:
        The text with personal data masked.

    """
    if not text:
        return ""
    result = text
    for address in addresses:
        if address and len(address.strip()) >= _MIN_ADDRESS:
            result = result.replace(address.strip(), "（住址已隐去）")
    result = _TEXT_ID.sub(lambda m: mask_id(m.group(0)), result)
    result = _TEXT_MOBILE.sub(lambda m: mask_phone(m.group(0)), result)
    result = _TEXT_LANDLINE.sub(lambda m: mask_phone(m.group(0)), result)
    return _TEXT_LONG_NUMBER.sub(lambda m: _mask_middle(m.group(0), head=2, tail=2), result)


def public_person(person: Person) -> dict[str, str]:
    """A person as public documents may show them.

    Args:
        person: An applicant with full data.

    Returns:
        ``name`` (kept, as notice rules require), ``id_number`` and ``phone``
        (masked), ``household_size`` (``—`` when unknown). There is deliberately
        no ``address`` key.

    """
    return {
        "name": person.name,
        "id_number": mask_id(person.id_number),
        "phone": mask_phone(person.phone),
        "household_size": str(person.household_size) if person.household_size else "—",
    }


def public_text(case: Case, text: str | None) -> str:
    """Free text of ``case`` as a public document may print it: masked, addresses too."""
    return mask_text(text, addresses=[person.address for person in case.applicants])
