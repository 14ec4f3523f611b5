from __future__ import annotations

import datetime as dt

import chinese_calendar
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.catalog.model import DayUnit
from pipeline.errors import CalendarNotCovered, ExitCode, MissingDependency
from pipeline.rules.calendar import add_days, is_working_day, working_days_between

D = dt.date
W = DayUnit.WORKING
# Years the installed chinesecalendar covers, with room for 250 working days after.
covered = st.dates(min_value=D(2004, 1, 1), max_value=D(2025, 12, 31))
counts = st.integers(min_value=0, max_value=250)


def test_national_day_2026_and_its_adjusted_saturday() -> None:
    holiday = [D(2026, 10, d) for d in range(1, 8)]
    assert not any(chinese_calendar.is_workday(day) for day in holiday)
    saturday = D(2026, 10, 10)
    assert saturday.weekday() == 5 and chinese_calendar.is_workday(saturday)
    assert is_working_day(saturday) and not is_working_day(D(2026, 10, 11))

    assert add_days(D(2026, 9, 30), 1, W) == D(2026, 10, 8)
    assert add_days(D(2026, 9, 30), 3, W) == saturday
    assert add_days(D(2026, 9, 30), 4, W) == D(2026, 10, 12)
    assert working_days_between(D(2026, 9, 30), D(2026, 10, 12)) == 4
    assert working_days_between(D(2026, 10, 12), D(2026, 9, 30)) == -4


def test_spring_festival_2025_and_its_adjusted_sunday() -> None:
    sunday = D(2025, 1, 26)
    assert sunday.weekday() == 6 and chinese_calendar.is_workday(sunday)
    assert not chinese_calendar.is_workday(D(2025, 1, 28))
    assert not chinese_calendar.is_workday(D(2025, 2, 4))

    assert add_days(D(2025, 1, 24), 1, W) == sunday
    assert add_days(D(2025, 1, 27), 1, W) == D(2025, 2, 5)
    assert working_days_between(D(2025, 1, 27), D(2025, 2, 8)) == 4  # 5, 6, 7 Feb and Sat 8


def test_calendar_days_are_plain_days() -> None:
    assert add_days(D(2026, 9, 30), 7, DayUnit.CALENDAR) == D(2026, 10, 7)
    assert add_days(D(2026, 9, 30), 0, W) == D(2026, 9, 30)
    assert add_days(D(2031, 2, 1), 30, DayUnit.CALENDAR) == D(2031, 3, 3)  # needs no holiday data


def test_negative_days_are_refused() -> None:
    with pytest.raises(ValueError, match="zero or more"):
        add_days(D(2026, 1, 5), -1, W)


@pytest.mark.parametrize(("start", "year"), [(D(2026, 12, 28), 2027), (D(2003, 12, 1), 2003)])
def test_a_year_the_package_does_not_cover_asks_for_an_upgrade(start: dt.date, year: int) -> None:
    with pytest.raises(CalendarNotCovered) as error:
        add_days(start, 10, W)
    message = str(error.value)
    assert f"没有 {year} 年的节假日安排" in message
    assert "请升级" in message
    assert f"has no holiday data for {year}" in message
    assert "pip install --upgrade chinesecalendar" in message
    assert chinese_calendar.__version__ in message
    assert isinstance(error.value, MissingDependency)
    assert error.value.exit_code is ExitCode.MISSING_DEPENDENCY
    assert isinstance(error.value.__cause__, NotImplementedError)
    with pytest.raises(CalendarNotCovered):
        working_days_between(D(2026, 12, 1), D(2027, 1, 4))


@given(covered, st.integers(min_value=1, max_value=250))
def test_working_add_days_lands_on_a_working_day(start: dt.date, n: int) -> None:
    assert chinese_calendar.is_workday(add_days(start, n, W))


@given(covered, counts)
def test_working_add_days_is_monotonic(start: dt.date, n: int) -> None:
    assert add_days(start, n, W) < add_days(start, n + 1, W)


@given(covered, counts)
def test_working_days_between_inverts_add_days(start: dt.date, n: int) -> None:
    assert working_days_between(start, add_days(start, n, W)) == n
