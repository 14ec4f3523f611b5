"""Drafts advise, confirmed rules refuse: the flow rules on the shipped catalog's drafts."""

from __future__ import annotations

import pytest

from pipeline.cases.model import Case, Proxy
from pipeline.catalog import Catalog
from pipeline.errors import StepRefused
from pipeline.intake.importing import with_rule_findings
from pipeline.rules.flow import apply_step, check_step, validate_history
from pipeline.rules.violations import RuleId
from tests.catalogs import CONFIRMING_DOCUMENT, confirmed_catalog
from tests.rules.builders import LOW_INCOME_STEPS, D, make_case, record, run


def low_income(catalog: Catalog, steps: int) -> Case:
    return run(
        make_case("xwql-022", D(2025, 3, 3)), catalog.get("xwql-022"), *LOW_INCOME_STEPS[:steps]
    )


def test_the_shipped_catalog_drafts_all_flows_but_the_four_source_texts(catalog: Catalog) -> None:
    source = [item.code for item in catalog if not item.drafted("steps", on=D(2026, 11, 30))]
    assert source == ["xwql-032", "xwql-033", "xwql-034", "xwql-036"]


def test_a_step_out_of_a_drafted_order_is_recorded_with_advice(catalog: Catalog) -> None:
    item = catalog.get("xwql-022")
    skip = record("investigate", "镇（街道）调查人员", D(2025, 3, 5))
    case = apply_step(low_income(catalog, 1), item, skip)  # accept skipped: not refused
    (advice,) = case.advisories
    assert (advice.step, advice.rule, advice.date) == ("investigate", "step-order", D(2025, 3, 5))
    assert advice.message.startswith("提示（本事项流程为起草稿，区里尚未确认")
    assert (
        "下一步应为“村受理并一次性告知”（accept）" in advice.message
        and "advice (the item's flow is a draft" in advice.message
    )
    assert case.irregularities == [] and case.steps[-1].forced_reason is None


def test_each_rule_resting_on_a_drafted_flow_advises(catalog: Catalog) -> None:
    # notice-period: 低保 confirmed on the third day of its 7-day notice
    early = LOW_INCOME_STEPS[6].model_copy(update={"date": D(2025, 3, 15)})
    assert [
        (v.rule, v.advisory)
        for v in check_step(low_income(catalog, 6), catalog.get("xwql-022"), early)
    ] == [(RuleId.NOTICE_PERIOD, True)]
    # meeting-record: a wage decision without its meeting
    wages = catalog.get("xwql-017")
    case = run(
        make_case("xwql-017", D(2026, 11, 2)),
        wages,
        record("labour_request", "村民委员会", D(2026, 11, 2)),
    )
    decide = record("committees_decide", "村“两委”", D(2026, 11, 3))
    assert [(v.rule, v.advisory) for v in check_step(case, wages, decide)] == [
        (RuleId.MEETING_RECORD, True)
    ]
    # actor: a seal use approved by the deputy director
    seal = catalog.get("xwql-040")
    case = run(make_case("xwql-040", D(2026, 1, 5)), seal, record("apply", "经办人", D(2026, 1, 5)))
    deputy = record("approval", "村民委员会副主任", D(2026, 1, 5))
    assert [(v.rule, v.advisory) for v in check_step(case, seal, deputy)] == [(RuleId.ACTOR, True)]
    assert [a.rule for a in apply_step(case, seal, deputy).advisories] == ["actor"]


def test_rules_that_do_not_rest_on_a_draft_still_refuse(catalog: Catalog) -> None:
    item = catalog.get("xwql-022")
    case = low_income(catalog, 2)
    # date-order: before the case was received and before the previous step
    with pytest.raises(StepRefused) as refused:
        apply_step(case, item, record("investigate", "镇（街道）调查人员", D(2025, 3, 1)))
    assert [v.rule for v in refused.value.violations] == [RuleId.DATE_ORDER] * 2
    # proxy-authorisation: filed by a proxy the case does not name
    with pytest.raises(StepRefused) as refused:
        apply_step(
            case, item, record("investigate", "镇（街道）调查人员", D(2025, 3, 5), by_proxy=True)
        )
    assert [v.rule for v in refused.value.violations] == [RuleId.PROXY_AUTHORISATION]
    # step-order, but structural: an unknown step, a step recorded twice
    for wrong in (
        record("visit", "村民委员会", D(2025, 3, 5)),
        record("accept", "村便民服务室民政协理员", D(2025, 3, 5)),
    ):
        with pytest.raises(StepRefused) as refused:
            apply_step(case, item, wrong)
        assert [v.rule for v in refused.value.violations] == [RuleId.STEP_ORDER]
        assert not refused.value.violations[0].advisory


def test_a_refusal_lists_only_what_refuses_and_records_the_advice_when_forced(
    catalog: Catalog,
) -> None:
    item = catalog.get("xwql-022")
    case = low_income(catalog, 1).model_copy(update={"proxy": Proxy(name="张代办")})
    # out of order (advice) and filed by a proxy without an authorisation date (refusal)
    wrong = record("investigate", "镇（街道）调查人员", D(2025, 3, 5), by_proxy=True)
    with pytest.raises(StepRefused) as refused:
        apply_step(case, item, wrong)
    assert [v.rule for v in refused.value.violations] == [RuleId.PROXY_AUTHORISATION]
    forced = apply_step(case, item, wrong, force_reason="申请人卧床，委托书次日补签")
    assert [i.rule for i in forced.irregularities] == ["proxy-authorisation"]
    assert [a.rule for a in forced.advisories] == ["step-order"]


@pytest.mark.parametrize(
    ("code", "steps", "wrong", "rule"),
    [
        # 032: the district's review before the town's (source flow: 村→镇→区→市)
        ("xwql-032", [("apply", "申请人", 2), ("village_review", "村（居）退役军人服务站", 3)],
         ("district_review", "区退役军人事务局", 4), RuleId.STEP_ORDER),
        # 033: reported on the 5th day of the 7-day notice the source sets
        ("xwql-033", [("survey", "村扶贫理事小组", 2), ("notice", "村民委员会", 3)],
         ("report", "村民委员会", 7), RuleId.NOTICE_PERIOD),
        # 036: reviewed by the village committee, not the veterans' service station
        ("xwql-036", [("apply", "申请人", 2)], ("village_review", "村民委员会", 3), RuleId.ACTOR),
    ],
)  # fmt: skip
def test_a_source_flow_refuses(
    catalog: Catalog,
    code: str,
    steps: list[tuple[str, str, int]],
    wrong: tuple[str, str, int],
    rule: RuleId,
) -> None:
    item = catalog.get(code)
    case = run(
        make_case(code, D(2026, 11, 2)), item, *(record(s, a, D(2026, 11, d)) for s, a, d in steps)
    )
    with pytest.raises(StepRefused) as refused:
        apply_step(case, item, record(wrong[0], wrong[1], D(2026, 11, wrong[2])))
    assert [(v.rule, v.advisory) for v in refused.value.violations] == [(rule, False)]


def test_a_confirmed_flow_refuses_from_the_confirmation_date_on(catalog: Catalog) -> None:
    confirmed = confirmed_catalog(catalog, "xwql-022", on=D(2025, 3, 5))
    assert confirmed.get("xwql-022").confirmations[-1].document == CONFIRMING_DOCUMENT
    item = confirmed.get("xwql-022")
    case = low_income(confirmed, 1)
    before = record("investigate", "镇（街道）调查人员", D(2025, 3, 4))
    on_the_day = record("investigate", "镇（街道）调查人员", D(2025, 3, 5))
    assert [v.advisory for v in check_step(case, item, before)] == [True]
    assert [v.advisory for v in check_step(case, item, on_the_day)] == [False]
    with pytest.raises(StepRefused):
        apply_step(case, item, on_the_day)


def test_a_history_off_a_drafted_flow_imports_with_its_advice_once(catalog: Catalog) -> None:
    item = catalog.get("xwql-022")
    case = apply_step(
        low_income(catalog, 1), item, record("investigate", "镇（街道）调查人员", D(2025, 3, 5))
    )
    bare = case.model_copy(update={"advisories": []})
    assert validate_history(bare, item) == []
    again = with_rule_findings(bare, item)
    assert again.advisories == case.advisories
    assert with_rule_findings(again, item) is again  # nothing added twice
