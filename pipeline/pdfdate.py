"""Dates as PDF writes them (``D:20261124093000+08'00'``), and info entries against XMP."""

from __future__ import annotations

import datetime as dt
import re

_PDF_DATE = re.compile(
    r"^D:(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?"
    r"(?:Z'?|([+-])(\d{2})'?(\d{2})?'?)?$"
)


def parse_pdf_date(text: str) -> dt.datetime:
    """A PDF date string as a datetime (UTC when it names no zone).

    LibreOffice writes ``D:20261207123653Z'``, pyHanko ``D:20261207143200Z``,
    others ``D:20261124093000+08'00'``: all read alike.

    Raises:
        ValueError: Not a PDF date.
    """
    match = _PDF_DATE.match(text.strip())
    if match is None:
        raise ValueError(f"not a PDF date: {text!r}")
    year, month, day, hour, minute, second, sign, zone_hours, zone_minutes = match.groups()
    offset = dt.timedelta(0)
    if sign:
        offset = dt.timedelta(hours=int(zone_hours), minutes=int(zone_minutes or 0))
        offset = -offset if sign == "-" else offset
    return dt.datetime(
        int(year), int(month or 1), int(day or 1), int(hour or 0), int(minute or 0),
        int(second or 0), tzinfo=dt.timezone(offset),
    )  # fmt: skip


def info_matches_xmp(info: object, xmp: object) -> bool:
    """Whether a document info entry says what its XMP property says (PDF/A-2, 6.6.2.3.1).

    Dates are compared as instants, to the second (XMP may carry fractions); a list
    (``dc:creator``, the authors) matches the info's authors joined by commas.
    """
    text = str(info)
    if text.startswith("D:"):
        try:
            moment = dt.datetime.fromisoformat(str(xmp)).replace(microsecond=0)
            return parse_pdf_date(text) == moment
        except ValueError:
            return False
    if isinstance(xmp, list | set):
        return text == ", ".join(sorted(str(x) for x in xmp)) or [text] == list(xmp)
    return text == (str(xmp) if xmp is not None else None)
