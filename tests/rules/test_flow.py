from __future__ import annotations

import chinese_calendar
import pytest

from pipeline.cases.model import Case, CaseStatus, Proxy
from pipeline.catalog import Catalog
from pipeline.catalog.model import DayUnit, PublicNotice
from pipeline.errors import ExitCode, InputInvalid, StepRefused
from pipeline.rules.actors import actor_allowed, actor_alternatives
from pipeline.rules.flow import apply_step, check_step, next_step, validate_history
from pipeline.rules.violations import RuleId, Violation
from tests.catalogs import confirmed_catalog
from tests.rules.builders import LOW_INCOME_STEPS, D, make_case, record, run


@pytest.fixture
def catalog(catalog: Catalog) -> Catalog:
    """The shipped catalog with every flow confirmed: these tests are of refusing rules."""
    return confirmed_catalog(catalog)


def low_income_case(catalog: Catalog, steps: int) -> Case:
    """A 低保申请 case with its first ``steps`` steps recorded in order."""
    item = catalog.get("xwql-022")
    return run(make_case("xwql-022", D(2025, 3, 3)), item, *LOW_INCOME_STEPS[:steps])


def rules_of(violations: list[Violation]) -> list[str]:
    return [v.rule for v in violations]


# --- a whole case ------------------------------------------------------------------


def test_a_case_in_order_closes_after_its_last_step(catalog: Catalog) -> None:
    item = catalog.get("xwql-022")
    almost = low_income_case(catalog, len(LOW_INCOME_STEPS) - 1)
    assert almost.status is CaseStatus.OPEN
    assert next_step(almost, item) == item.steps[-1]

    closed = apply_step(almost, item, LOW_INCOME_STEPS[-1])

    assert closed.status is CaseStatus.CLOSED
    assert [r.step for r in closed.steps] == [s.id for s in item.steps]
    assert closed.irregularities == []
    assert next_step(closed, item) is None
    assert validate_history(closed, item) == []
    assert almost.status is CaseStatus.OPEN and len(almost.steps) == 7  # input unchanged


def test_seal_use_closes_after_archive(catalog: Catalog) -> None:
    item = catalog.get("xwql-040")
    case = make_case("xwql-040", D(2026, 1, 5))
    case = run(
        case,
        item,
        record("apply", "经办人", D(2026, 1, 5)),
        record("approval", "村党组织书记", D(2026, 1, 5)),
        record("register", "印章专管员", D(2026, 1, 6)),
        record("stamp", "印章专管员", D(2026, 1, 6)),
    )
    assert case.status is CaseStatus.OPEN
    case = apply_step(case, item, record("archive", "印章专管员", D(2026, 1, 7)))
    assert case.status is CaseStatus.CLOSED


# --- rule a: step order ------------------------------------------------------------


def test_step_out_of_order_is_refused(catalog: Catalog) -> None:
    item = catalog.get("xwql-022")
    case = low_income_case(catalog, 1)
    skip = record("investigate", "村民委员会", D(2025, 3, 5))

    with pytest.raises(StepRefused) as refused:
        apply_step(case, item, skip)

    (violation,) = refused.value.violations
    assert violation.rule is RuleId.STEP_ORDER
    assert violation.step == "investigate"
    assert "“入户调查”（investigate）不能现在办理" in violation.message
    assert "下一步应为“村受理并一次性告知”（accept）" in violation.message
    assert "out of order: the next step is “村受理并一次性告知”（accept）" in violation.message
    assert refused.value.exit_code is ExitCode.INPUT_INVALID
    assert violation.message in str(refused.value)


def test_the_first_step_comes_first(catalog: Catalog) -> None:
    item = catalog.get("xwql-022")
    case = make_case("xwql-022", D(2025, 3, 3))
    (violation,) = check_step(case, item, record("accept", "村便民服务室民政协理员", D(2025, 3, 3)))
    assert violation.rule is RuleId.STEP_ORDER
    assert "第一步应为“提出申请”（apply）" in violation.message
    assert "the first step is “提出申请”（apply）" in violation.message


def test_unknown_step_id_is_refused(catalog: Catalog) -> None:
    item = catalog.get("xwql-022")
    case = make_case("xwql-022", D(2025, 3, 3))
    violations = check_step(case, item, record("approve_all", "村民委员会", D(2025, 3, 3)))
    assert rules_of(violations) == [RuleId.STEP_ORDER]
    message = violations[0].message
    assert "没有步骤 'approve_all'" in message
    assert "has no step 'approve_all'" in message
    assert "apply、accept、investigate" in message


def test_repeating_a_step_is_refused(catalog: Catalog) -> None:
    item = catalog.get("xwql-022")
    case = low_income_case(catalog, 2)
    violations = check_step(case, item, record("accept", "村便民服务室民政协理员", D(2025, 3, 4)))
    assert rules_of(violations) == [RuleId.STEP_ORDER]
    assert (
        "“村受理并一次性告知”（accept）已于 2025-03-03 办理，不能重复办理" in violations[0].message
    )
    assert "already recorded on 2025-03-03" in violations[0].message


# --- rule b: notice period ---------------------------------------------------------


def test_result_before_the_notice_period_has_run_is_refused(catalog: Catalog) -> None:
    item = catalog.get("xwql-022")
    case = low_income_case(catalog, 6)  # notice posted 2025-03-13 for 7 calendar days
    early = record("confirm", "区民政局", D(2025, 3, 19))

    violations = check_step(case, item, early)

    assert rules_of(violations) == [RuleId.NOTICE_PERIOD]
    message = violations[0].message
    assert "“区民政局审核确认”（confirm）日期 2025-03-19 在公示期内" in message
    assert "“村级公示”（notice）自 2025-03-13 起公示 7 个自然日，至 2025-03-19 期满" in message
    assert "请在 2025-03-20 或以后办理" in message
    assert "runs 7 calendar days to 2025-03-19; record this step on 2025-03-20 or later" in message
    assert check_step(case, item, early.model_copy(update={"date": D(2025, 3, 20)})) == []


def test_notice_in_working_days_runs_past_national_day(catalog: Catalog) -> None:
    """An item counting its notice in working days (no step limit): 2026 National Day."""
    real = catalog.get("xwql-033")
    steps = [
        s.model_copy(update={"time_limit": None}) if s.kind == "notice" else s for s in real.steps
    ]
    notice = PublicNotice(required=True, days=7, unit=DayUnit.WORKING)
    item = real.model_copy(update={"steps": steps, "public_notice": notice})
    case = run(
        make_case("xwql-033", D(2026, 9, 28)),
        item,
        record("survey", "村扶贫理事小组", D(2026, 9, 28)),
        record("notice", "村民委员会", D(2026, 9, 30)),
    )
    # Day 1 is 30 Sep; 1–7 Oct are off; the adjusted Saturday 10 Oct counts.
    assert not any(chinese_calendar.is_workday(D(2026, 10, d)) for d in range(1, 8))
    assert chinese_calendar.is_workday(D(2026, 10, 10)) and D(2026, 10, 10).weekday() == 5
    report = record("report", "村民委员会", D(2026, 10, 14))

    (violation,) = check_step(case, item, report)

    assert "公示 7 个工作日，至 2026-10-14 期满" in violation.message
    assert "runs 7 working days to 2026-10-14" in violation.message
    assert check_step(case, item, report.model_copy(update={"date": D(2026, 10, 15)})) == []


# --- rule c: meeting record --------------------------------------------------------


@pytest.mark.parametrize("meeting_record", [None, "  "])
def test_decision_without_meeting_record_is_refused(
    catalog: Catalog, meeting_record: str | None
) -> None:
    item = catalog.get("xwql-001")
    case = run(
        make_case("xwql-001", D(2026, 3, 2)),
        item,
        record("party_proposal", "村党组织", D(2026, 3, 2), meeting_record="支委会-2026-03"),
    )
    decision = record(
        "committees_consult", "村“两委”", D(2026, 3, 4), meeting_record=meeting_record
    )

    violations = check_step(case, item, decision)

    assert rules_of(violations) == [RuleId.MEETING_RECORD]
    assert "“村“两委”会议商议”（committees_consult）是会议决定步骤" in violations[0].message
    assert "须填写会议记录编号或标题（meeting_record）" in violations[0].message
    assert "needs its meeting record: fill in meeting_record" in violations[0].message
    with_record = decision.model_copy(update={"meeting_record": "两委联席会议记录 2026-05"})
    assert check_step(case, item, with_record) == []


# --- rule d: proxy -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("proxy", "expected"),
    [
        (None, ["办件没有登记代办人", "the case names no proxy"]),
        (Proxy(name="赵代办"), ["代办人 赵代办 没有代办委托书日期", "no written authorisation"]),
        (
            Proxy(name="赵代办", authorised_on=D(2025, 3, 4)),
            ["代办委托书日期 2025-03-04 晚于步骤日期 2025-03-03", "a proxy acts only once"],
        ),
    ],
)
def test_proxy_without_authorisation_is_refused(
    catalog: Catalog, proxy: Proxy | None, expected: list[str]
) -> None:
    item = catalog.get("xwql-022")
    case = make_case("xwql-022", D(2025, 3, 3), proxy=proxy)
    filed = record("apply", "申请人", D(2025, 3, 3), by_proxy=True)

    violations = check_step(case, item, filed)

    assert rules_of(violations) == [RuleId.PROXY_AUTHORISATION]
    assert "步骤 apply 由代办人办理" in violations[0].message
    for text in expected:
        assert text in violations[0].message


def test_proxy_authorised_on_the_step_date_is_accepted(catalog: Catalog) -> None:
    item = catalog.get("xwql-022")
    proxy = Proxy(name="赵代办", authorised_on=D(2025, 3, 3))
    case = make_case("xwql-022", D(2025, 3, 3), proxy=proxy)
    assert check_step(case, item, record("apply", "申请人", D(2025, 3, 3), by_proxy=True)) == []


# --- rule e: actor -----------------------------------------------------------------


def test_wrong_actor_is_refused(catalog: Catalog) -> None:
    item = catalog.get("xwql-022")
    case = low_income_case(catalog, 2)
    violations = check_step(case, item, record("investigate", "村党组织", D(2025, 3, 5)))
    assert rules_of(violations) == [RuleId.ACTOR]
    message = violations[0].message
    assert (
        "“入户调查”（investigate）的办理主体应为 “镇（街道）调查人员”、“村民委员会” 之一" in message
    )
    assert "不是“村党组织”" in message
    assert "must be done by one of" in message


@pytest.mark.parametrize(
    ("actor", "alternatives"),
    [
        ("镇（街道）、村民委员会", ["镇（街道）", "村民委员会"]),
        ("村民代表会议或村民会议", ["村民代表会议", "村民会议"]),
        ("区民政局（或经委托的镇（街道））", ["区民政局", "经委托的镇（街道）"]),
        ("区民政局（会同区住房和城乡建设局）", ["区民政局"]),
        ("村民委员会（协助镇（街道））", ["村民委员会"]),
        ("村扶贫理事小组（镇（街道）统一组织、核实）", ["村扶贫理事小组"]),
        ("镇（街道）卫生健康（计生）办公室", ["镇（街道）卫生健康（计生）办公室"]),
        (
            "区人力资源和社会保障局、担保机构、经办银行",
            ["区人力资源和社会保障局", "担保机构", "经办银行"],
        ),
        ("申请人或其监护人、代理人", ["申请人", "监护人", "代理人"]),
        ("村两委和村务监督委员会/村民代表，党员", ["村两委", "村务监督委员会", "村民代表", "党员"]),
    ],
)
def test_actor_strings_list_alternatives(actor: str, alternatives: list[str]) -> None:
    assert actor_alternatives(actor) == alternatives


@pytest.mark.parametrize(
    ("code", "step_id", "actor", "allowed"),
    [
        ("xwql-022", "investigate", "镇(街道)调查人员", True),  # half-width parentheses
        ("xwql-022", "investigate", " 村民 委员会 ", True),  # spaces
        ("xwql-022", "investigate", "镇（街道）调查人员、村民委员会", False),  # both at once
        ("xwql-022", "confirm", "区民政局", True),
        ("xwql-022", "confirm", "经委托的镇(街道)", True),
        ("xwql-022", "confirm", "镇（街道）", False),  # only when commissioned, as written
        ("xwql-022", "notice", "镇", False),  # not a prefix
        ("xwql-022", "notice", "村民委员", False),
        ("xwql-001", "committees_consult", '村"两委"', True),  # half-width quotes
        ("xwql-001", "committees_consult", "村“两委”会议", False),
        ("xwql-041", "village_review", "村党组织", False),
    ],
)
def test_actor_matching_ignores_width_and_spaces_only(
    catalog: Catalog, code: str, step_id: str, actor: str, allowed: bool
) -> None:
    step = next(s for s in catalog.get(code).steps if s.id == step_id)
    assert actor_allowed(step, actor) is allowed


def test_every_catalog_actor_parses_into_alternatives_it_accepts(catalog: Catalog) -> None:
    for item in catalog:
        for step in item.steps:
            alternatives = actor_alternatives(step.actor)
            assert alternatives, (item.code, step.id)
            for alternative in alternatives:
                assert alternative.strip() == alternative, (item.code, step.id)
                assert "、" not in alternative.split("（")[0], (item.code, step.id)
                assert actor_allowed(step, alternative), (item.code, step.id, alternative)


# --- rule f: dates -----------------------------------------------------------------


def test_step_dated_before_the_case_was_received_is_refused(catalog: Catalog) -> None:
    item = catalog.get("xwql-022")
    case = make_case("xwql-022", D(2025, 3, 3))
    violations = check_step(case, item, record("apply", "申请人", D(2025, 3, 1)))
    assert rules_of(violations) == [RuleId.DATE_ORDER]
    assert (
        "步骤 “提出申请”（apply） 日期 2025-03-01 早于受理日期 2025-03-03" in violations[0].message
    )
    assert "before the case was received on 2025-03-03" in violations[0].message


def test_step_dated_before_the_previous_step_is_refused(catalog: Catalog) -> None:
    item = catalog.get("xwql-022")
    case = low_income_case(catalog, 3)  # investigate on 2025-03-05
    decision = record("democratic_review", "村民委员会", D(2025, 3, 4), meeting_record="评议-1")
    violations = check_step(case, item, decision)
    assert rules_of(violations) == [RuleId.DATE_ORDER]
    assert "早于上一步 “入户调查”（investigate） 的日期 2025-03-05" in violations[0].message
    assert (
        "before the previous step “入户调查”（investigate） on 2025-03-05" in violations[0].message
    )


# --- forcing -----------------------------------------------------------------------


def test_refusal_lists_every_broken_rule(catalog: Catalog) -> None:
    item = catalog.get("xwql-022")
    case = low_income_case(catalog, 2)
    bad = record("democratic_review", "村党组织", D(2025, 3, 1), by_proxy=True)
    with pytest.raises(StepRefused) as refused:
        apply_step(case, item, bad)
    assert rules_of(refused.value.violations) == [
        RuleId.STEP_ORDER,
        RuleId.MEETING_RECORD,
        RuleId.PROXY_AUTHORISATION,
        RuleId.ACTOR,
        RuleId.DATE_ORDER,
        RuleId.DATE_ORDER,
    ]
    assert len(refused.value.problems) == 6


def test_forced_step_is_recorded_as_irregularities_with_the_reason(catalog: Catalog) -> None:
    item = catalog.get("xwql-022")
    case = low_income_case(catalog, 6)
    early = record("confirm", "镇（街道）", D(2025, 3, 15))
    reason = "区民政局急件：申请人病危，经镇长书面批准提前确认（批件 2025-07 号）"

    forced = apply_step(case, item, early, force_reason=f"  {reason} ")

    assert forced.steps[-1].forced_reason == reason
    assert forced.steps[-1].step == "confirm"
    assert [i.rule for i in forced.irregularities] == ["notice-period", "actor"]
    for irregularity, violation in zip(
        forced.irregularities, check_step(case, item, early), strict=True
    ):
        assert irregularity.reason == reason
        assert irregularity.step == "confirm"
        assert irregularity.date == D(2025, 3, 15)
        assert irregularity.message == violation.message
    assert forced.status is CaseStatus.OPEN
    assert case.irregularities == [] and len(case.steps) == 6
    # The replay accepts the forced step: an irregularity, not an error.
    assert validate_history(forced, item) == []


@pytest.mark.parametrize("reason", ["", "   "])
def test_forcing_needs_a_written_reason(catalog: Catalog, reason: str) -> None:
    item = catalog.get("xwql-022")
    case = low_income_case(catalog, 6)
    with pytest.raises(InputInvalid, match="written reason"):
        apply_step(case, item, record("confirm", "区民政局", D(2025, 3, 15)), force_reason=reason)


def test_validate_history_reports_unforced_broken_steps(catalog: Catalog) -> None:
    item = catalog.get("xwql-022")
    ledger = make_case("xwql-022", D(2025, 3, 3), steps=LOW_INCOME_STEPS[:2])
    ledger = ledger.model_copy(
        update={"steps": [*ledger.steps, record("town_review", "镇（街道）", D(2025, 3, 12))]}
    )
    violations = validate_history(ledger, item)
    assert rules_of(violations) == [RuleId.STEP_ORDER]
    assert "下一步应为“入户调查”（investigate）" in violations[0].message


def test_rules_refuse_a_case_of_another_item(catalog: Catalog) -> None:
    case = make_case("xwql-022", D(2025, 3, 3))
    with pytest.raises(ValueError, match="xwql-022, not xwql-040"):
        check_step(case, catalog.get("xwql-040"), record("apply", "经办人", D(2025, 3, 3)))


def test_calendar_day_notice_counts_holidays(catalog: Catalog) -> None:
    """Calendar-day notices count weekends and holidays: posted 1 Oct, may end 7 Oct."""
    item = catalog.get("xwql-033")
    case = run(
        make_case("xwql-033", D(2026, 9, 28)),
        item,
        record("survey", "村扶贫理事小组", D(2026, 9, 28)),
        record("notice", "村民委员会", D(2026, 10, 1)),
    )
    assert check_step(case, item, record("report", "村民委员会", D(2026, 10, 8))) == []
    assert check_step(case, item, record("report", "村民委员会", D(2026, 10, 7)))


def test_nothing_follows_the_last_step_even_when_it_was_forced(catalog: Catalog) -> None:
    item = catalog.get("xwql-040")
    case = run(make_case("xwql-040", D(2026, 1, 5)), item, record("apply", "经办人", D(2026, 1, 5)))
    skipped = apply_step(
        case,
        item,
        record("archive", "印章专管员", D(2026, 1, 6)),
        force_reason="补录：纸质台账已归档",
    )
    assert skipped.status is CaseStatus.CLOSED
    assert [i.rule for i in skipped.irregularities] == ["step-order"]

    (violation,) = check_step(skipped, item, record("approval", "村党组织书记", D(2026, 1, 7)))
    assert "本事项最后一步已办理，不能再办理“审批”（approval）" in violation.message
    assert "the item's last step is recorded" in violation.message
