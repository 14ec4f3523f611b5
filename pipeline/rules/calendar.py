"""Working days on the PRC calendar (法定节假日 and 调休 workdays), via ``chinesecalendar``.

A working day is what the State Council's yearly holiday notice makes it: Monday to
Friday unless an official holiday, plus the Saturdays and Sundays turned into
workdays (调休). The data comes from the ``chinesecalendar`` package, which covers
one year more each release; a year it does not know raises ``CalendarNotCovered``
rather than guessing.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import chinese_calendar

from pipeline.catalog.model import DayUnit
from pipeline.errors import CalendarNotCovered, InputInvalid
from pipeline.rules.messages import CALENDAR_NOT_COVERED, NOT_AN_ISO_DATE

_ONE_DAY = dt.timedelta(days=1)


CHINA = ZoneInfo("Asia/Shanghai")


def china_today() -> dt.date:
    """Today's date in China (UTC+8), whatever the machine's time zone."""
    return dt.datetime.now(CHINA).date()


def is_working_day(day: dt.date) -> bool:
    """Whether ``day`` is a working day on the PRC calendar.

    Raises:
        CalendarNotCovered: ``chinesecalendar`` has no data for the year of ``day``.

    """
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError as exc:
        years = sorted({holiday.year for holiday in chinese_calendar.holidays})
        raise CalendarNotCovered(
            CALENDAR_NOT_COVERED.joined(
                "\n",
                version=chinese_calendar.__version__,
                year=day.year,
                first=years[0],
                last=years[-1],
            )
        ) from exc


def add_days(start: dt.date, days: int, unit: DayUnit) -> dt.date:
    """The date ``days`` days after ``start``.

    Args:
        start: The day counting starts from; it is not itself counted.
        days: How many days, zero or more (zero gives ``start``).
        unit: ``CALENDAR`` adds plain days; ``WORKING`` gives the ``days``-th working
            day after ``start``.

    Returns:
        The resulting date; with ``WORKING`` and ``days >= 1`` always a working day.

    Raises:
        ValueError: ``days`` is negative.
        CalendarNotCovered: a working day falls in a year ``chinesecalendar`` lacks.

    """
    if days < 0:
        raise ValueError(f"days must be zero or more, not {days}")
    if unit is DayUnit.CALENDAR:
        return start + dt.timedelta(days=days)
    day = start
    remaining = days
    while remaining:
        day += _ONE_DAY
        if is_working_day(day):
            remaining -= 1
    return day


def working_days_between(a: dt.date, b: dt.date) -> int:
    """How many working days lie after ``a`` up to and including ``b``.

    ``working_days_between(a, add_days(a, n, DayUnit.WORKING)) == n``. When ``b`` is
    before ``a`` the count is negative: ``-working_days_between(b, a)``.

    Raises:
        CalendarNotCovered: a day between them falls in a year ``chinesecalendar`` lacks.

    """
    if b < a:
        return -working_days_between(b, a)
    count = 0
    day = a
    while day < b:
        day += _ONE_DAY
        if is_working_day(day):
            count += 1
    return count


def parse_iso_date(text: str) -> dt.date:
    """A date typed as YYYY-MM-DD (an option, a form field), or a clear error.

    Raises:
        InputInvalid: ``text`` is not such a date.
    """
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InputInvalid(NOT_AN_ISO_DATE(text=text)) from None
