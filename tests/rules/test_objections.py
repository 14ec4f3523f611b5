"""The objection rule: an objection in a notice period blocks; an upheld one sends the case back."""

from __future__ import annotations

import pytest

from pipeline.cases.model import Case, CaseObjection, ObjectionAnswer, ObjectionDecision
from pipeline.catalog import Catalog
from pipeline.errors import StepRefused
from pipeline.rules.flow import apply_step, check_step, next_step, validate_history
from pipeline.rules.violations import RuleId
from tests.catalogs import confirmed_catalog
from tests.rules.builders import LOW_INCOME_STEPS, D, make_case, record, run


@pytest.fixture
def catalog(catalog: Catalog) -> Catalog:
    """The shipped catalog with every flow confirmed: these tests are of refusing rules."""
    return confirmed_catalog(catalog)


CONFIRM = LOW_INCOME_STEPS[6]  # 区民政局审核确认, after the 7-day notice of 2025-03-13


def posted(catalog: Catalog) -> Case:
    """A 低保申请 case whose notice was posted on 2025-03-13."""
    return run(make_case("xwql-022", D(2025, 3, 3)), catalog.get("xwql-022"), *LOW_INCOME_STEPS[:6])


def objected(case: Case, answer: ObjectionAnswer | None = None) -> Case:
    objection = CaseObjection(
        receipt="R7K3-Q9XM", notice_step="notice", notice_code="7K3D-Q9XM",
        received_on=D(2025, 3, 15), due_on=D(2025, 3, 21), in_period=True,
        steps_before=len(case.steps), text="申请人家中有轿车，不符合低保条件。", answer=answer,
    )  # fmt: skip
    return case.model_copy(update={"objections": [*case.objections, objection]})


def answered(case: Case, decision: ObjectionDecision) -> ObjectionAnswer:
    return ObjectionAnswer(
        findings="经入户核实，车辆登记在其子名下。", decision=decision,
        answered_on=D(2025, 3, 18), answered_by="王监督", steps_before=len(case.steps),
    )  # fmt: skip


def test_an_unanswered_objection_blocks_the_next_step(catalog: Catalog) -> None:
    item = catalog.get("xwql-022")
    case = objected(posted(catalog))

    with pytest.raises(StepRefused) as refused:
        apply_step(case, item, CONFIRM)

    (violation,) = refused.value.violations
    assert violation.rule is RuleId.OBJECTION
    assert "村民于 2025-03-15 对“村级公示”（notice）提出异议（回执 R7K3-Q9XM）" in violation.message
    assert "supervision committee has not answered yet" in violation.message


def test_forcing_past_a_pending_objection_is_an_irregularity(catalog: Catalog) -> None:
    item = catalog.get("xwql-022")
    forced = apply_step(objected(posted(catalog)), item, CONFIRM, force_reason="区里急需确认")
    assert [i.rule for i in forced.irregularities] == [RuleId.OBJECTION]
    assert validate_history(forced, item) == []


def test_an_objection_outside_the_period_does_not_block(catalog: Catalog) -> None:
    item = catalog.get("xwql-022")
    case = posted(catalog)
    late = objected(case).objections[0].model_copy(update={"in_period": False})
    assert check_step(case.model_copy(update={"objections": [late]}), item, CONFIRM) == []


def test_without_on_objection_the_step_before_the_notice_is_done_again(catalog: Catalog) -> None:
    item = catalog.get("xwql-022")
    notice = item.steps[5].model_copy(update={"on_objection": None})
    plain = item.model_copy(update={"steps": [*item.steps[:5], notice, *item.steps[6:]]})
    case = posted(catalog)
    case = objected(case, answered(case, ObjectionDecision.UPHELD))
    assert next_step(case, plain) == item.steps[4]  # 镇（街道）审核


def test_a_rejected_objection_lets_the_case_go_on(catalog: Catalog) -> None:
    item = catalog.get("xwql-022")
    case = posted(catalog)
    case = objected(case, answered(case, ObjectionDecision.NOT_UPHELD))
    assert check_step(case, item, CONFIRM) == []
    assert next_step(case, item) == item.steps[6]


@pytest.mark.parametrize("decision", [ObjectionDecision.UPHELD, ObjectionDecision.PARTLY_UPHELD])
def test_an_upheld_objection_sends_the_case_back_before_the_notice(
    catalog: Catalog, decision: ObjectionDecision
) -> None:
    item = catalog.get("xwql-022")
    case = posted(catalog)
    case = objected(case, answered(case, decision))
    # 有异议的重新调查核实: the notice step's on_objection names the household survey.
    assert next_step(case, item) == item.steps[2]

    (violation,) = check_step(case, item, CONFIRM)
    assert violation.rule is RuleId.STEP_ORDER
    assert f"异议（回执 R7K3-Q9XM）于 2025-03-18 认定{decision.value}" in violation.message
    assert "应重新办理“入户调查”（investigate），再重新公示" in violation.message

    # Surveyed, reviewed and checked again, posted again with a new period, then on.
    again = run(
        case, item, record("investigate", "镇（街道）调查人员", D(2025, 3, 19)),
        record("democratic_review", "村民委员会", D(2025, 3, 19), meeting_record="评议-2"),
        record("town_review", "镇（街道）", D(2025, 3, 19)),
        record("notice", "村民委员会", D(2025, 3, 20)),
    )  # fmt: skip
    (early,) = check_step(again, item, CONFIRM.model_copy(update={"date": D(2025, 3, 25)}))
    assert early.rule is RuleId.NOTICE_PERIOD  # the new period runs to 2025-03-26
    done = run(
        again, item, CONFIRM.model_copy(update={"date": D(2025, 3, 27)}),
        LOW_INCOME_STEPS[7].model_copy(update={"date": D(2025, 3, 30)}),
    )  # fmt: skip
    assert done.status.value == "已办结"
    assert validate_history(done, item) == []
