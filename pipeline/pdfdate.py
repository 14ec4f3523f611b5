"""Dates as PDF writes them (``D:20261124093000+08'00'``), read as aware datetimes."""

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
