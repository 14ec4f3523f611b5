from __future__ import annotations

import datetime as dt

import chinese_calendar

from pipeline.cases.model import Case, CaseStatus
from pipeline.catalog import Catalog
from pipeline.catalog.model import Confirmation
from pipeline.rules.deadlines import Overdue, case_due_date, overdue, step_due_dates
from tests.rules.builders import LOW_INCOME_STEPS, D, make_case, record, run


def flexible_employment(catalog: Catalog, case_id: str, received: dt.date) -> Case:
    """灵活就业人员认定 (xwql-016): village check 3 working days, notice 7 days, report 3."""
    item = catalog.get("xwql-016")
    return run(
        make_case("xwql-016", received, case_id=case_id),
        item,
        record("apply", "申请人", received),
    )


def test_step_due_across_national_day_lands_on_the_adjusted_saturday(catalog: Catalog) -> None:
    saturday = D(2026, 10, 10)
    assert saturday.weekday() == 5 and chinese_calendar.is_workday(saturday)
    item = catalog.get("xwql-016")
    case = flexible_employment(catalog, "C-1", D(2026, 9, 30))

    dues = {d.step.id: d for d in step_due_dates(case, item)}

    assert dues["apply"].due is None and dues["apply"].done_on == D(2026, 9, 30)
    assert dues["village_check"].due == saturday  # 8, 9 and Saturday 10 October
    assert dues["village_check"].done_on is None
    assert dues["village_notice"].due is None  # counts from a date not known yet


def test_recorded_steps_are_due_from_the_step_before(catalog: Catalog) -> None:
    item = catalog.get("xwql-016")
    case = run(
        flexible_employment(catalog, "C-1", D(2026, 9, 25)),
        item,
        record("village_check", "村便民服务室", D(2026, 9, 29)),
        record("village_notice", "村民委员会", D(2026, 9, 30)),
    )
    dues = {d.step.id: d.due for d in step_due_dates(case, item)}
    assert dues["village_check"] == D(2026, 9, 30)  # 3 working days after Fri 25 Sep
    assert dues["village_notice"] == D(2026, 10, 6)  # 7 calendar days after 29 Sep
    assert dues["report_town"] == D(2026, 10, 10)  # pending: 3 working days after 30 Sep
    assert dues["district_decision"] is None  # no limit of its own


def test_a_step_after_a_notice_counts_from_the_periods_last_day(catalog: Catalog) -> None:
    # Regression: the report after a 7-day notice was due 3 working days after the
    # posting day, while the notice still ran: a false overdue, in the public pack.
    item = catalog.get("xwql-016")
    posted = D(2026, 11, 2)  # a Monday; the notice runs to Sunday 8 November
    case = run(
        flexible_employment(catalog, "C-1", D(2026, 10, 28)),
        item,
        record("village_check", "村便民服务室", D(2026, 10, 30)),
        record("village_notice", "村民委员会", posted),
    )
    dues = {d.step.id: d.due for d in step_due_dates(case, item)}
    assert dues["report_town"] == D(2026, 11, 11)  # Mon 9, Tue 10, Wed 11 November
    assert overdue([case], catalog, D(2026, 11, 11)) == []
    (late,) = overdue([case], catalog, D(2026, 11, 12))
    assert late.due == D(2026, 11, 11) and late.working_days_late == 1
    # Recorded on the last day, it was in time (its due date stays as it was).
    done = run(case, item, record("report_town", "村便民服务室", D(2026, 11, 11)))
    assert {d.step.id: d.due for d in step_due_dates(done, item)}["report_town"] == D(2026, 11, 11)


def test_case_due_date_chains_every_step_limit(catalog: Catalog) -> None:
    item = catalog.get("xwql-016")
    case = make_case("xwql-016", D(2026, 9, 30))
    # +3 working days: Sat 10 Oct; +7 calendar days: Sat 17 Oct; +3 working days: Wed 21 Oct.
    assert case_due_date(case, item) == D(2026, 10, 21)
    assert case_due_date(make_case("xwql-040", D(2026, 9, 30)), catalog.get("xwql-040")) is None


def test_spring_festival_2025_deadlines(catalog: Catalog) -> None:
    """生育手册办理: the village accepts within 1 working day."""
    item = catalog.get("xwql-037")
    before = run(
        make_case("xwql-037", D(2025, 1, 24)), item, record("apply", "申请人", D(2025, 1, 24))
    )
    during = run(
        make_case("xwql-037", D(2025, 1, 27)), item, record("apply", "申请人", D(2025, 1, 27))
    )
    assert step_due_dates(before, item)[1].due == D(2025, 1, 26)  # the adjusted Sunday
    assert step_due_dates(during, item)[1].due == D(2025, 2, 5)  # after 28 Jan - 4 Feb
    # +1 working day then +3: 5 Feb, then 6, 7 and Saturday 8 Feb.
    assert case_due_date(during, item) == D(2025, 2, 8)

    late = overdue([during], catalog, D(2025, 2, 10))
    assert late == [
        Overdue(
            case_id="QL-NM-2026-001",
            village="QL-NM",
            item_code="xwql-037",
            item_name="生育手册办理",
            step_id="village_accept",
            step_name=item.steps[1].name,
            due=D(2025, 2, 5),
            working_days_late=4,  # 6, 7, Saturday 8 and Monday 10 Feb
            calendar_days_late=5,
            drafted=True,  # 生育手册's 1-working-day limit is a draft: internal only
        )
    ]
    # Once the district confirms the item's flow, its limit is the public one.
    confirmed = item.model_copy(update={"confirmations": [
        Confirmation(document="临民字〔2025〕1号", date=D(2025, 1, 1), fields=["steps"])
    ]})  # fmt: skip
    edition = Catalog(
        edition=catalog.edition, folder=catalog.folder,
        items=[confirmed if i.code == item.code else i for i in catalog.items],
    )  # fmt: skip
    assert [e.drafted for e in overdue([during], edition, D(2025, 2, 10))] == [False]


def test_overdue_lists_open_late_cases_most_late_first(catalog: Catalog) -> None:
    today = D(2026, 10, 12)
    on_time = flexible_employment(catalog, "C-on-time", D(2026, 10, 9))
    late_2 = flexible_employment(catalog, "C-late-2", D(2026, 9, 30))  # due Sat 10 Oct
    # Received Thu 24 Sep; Fri 25 Sep is the Mid-autumn Festival: due 28, 29, 30 Sep.
    assert not chinese_calendar.is_workday(D(2026, 9, 25))
    late_12 = flexible_employment(catalog, "C-late-12", D(2026, 9, 24))
    withdrawn = late_12.model_copy(
        update={"case_id": "C-withdrawn", "status": CaseStatus.WITHDRAWN}
    )

    late = overdue([on_time, late_2, withdrawn, late_12], catalog, today)

    assert [(o.case_id, o.due, o.working_days_late, o.calendar_days_late) for o in late] == [
        ("C-late-12", D(2026, 9, 30), 4, 12),  # 8, 9, Saturday 10 and 12 Oct
        ("C-late-2", D(2026, 10, 10), 1, 2),
    ]
    assert late[0].step_id == "village_check" and late[0].item_name == "灵活就业人员认定"
    assert overdue([late_2], catalog, D(2026, 10, 10)) == []  # due today is not late


def test_a_closed_case_is_never_overdue(catalog: Catalog) -> None:
    item = catalog.get("xwql-022")
    closed = run(make_case("xwql-022", D(2025, 3, 3)), item, *LOW_INCOME_STEPS)
    assert closed.status is CaseStatus.CLOSED
    assert overdue([closed], catalog, D(2026, 6, 1)) == []


def test_a_step_without_limit_is_never_overdue(catalog: Catalog) -> None:
    item = catalog.get("xwql-022")
    waiting = run(make_case("xwql-022", D(2025, 3, 3)), item, *LOW_INCOME_STEPS[:1])
    assert overdue([waiting], catalog, D(2026, 6, 1)) == []
    notice_due = run(make_case("xwql-022", D(2025, 3, 3)), item, *LOW_INCOME_STEPS[:5])
    (late,) = overdue([notice_due], catalog, D(2025, 3, 20))
    assert (late.step_id, late.due) == ("notice", D(2025, 3, 19))
