"""Meetings decide, by quorum and vote: each meeting rule at its boundary.

南马村's 村民代表会议 has 17 members in office from the 2021 换届 and 15 from 1 June 2026
(examples/linzi/district.yaml); 三分之二以上 of 15 is 10 or more (the law's 以上 counts
the figure itself), 过半数 of 11 present is 6 or more.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from pydantic import ValidationError

from pipeline.cases.meetings import Meeting, TopicVote
from pipeline.cases.model import Case
from pipeline.catalog import Catalog
from pipeline.catalog.model import MeetingKind
from pipeline.errors import StepRefused
from pipeline.intake.importing import with_rule_findings
from pipeline.organisations import load_district
from pipeline.rules.flow import apply_step, check_step
from pipeline.rules.meetings import MeetingBook, meeting_kinds, quorum_short, quorum_statement
from pipeline.rules.violations import RuleId
from tests.catalogs import confirmed_catalog
from tests.conftest import ROOT
from tests.rules.builders import D, make_case, record, run

NANMA = load_district(ROOT / "examples" / "linzi" / "district.yaml").get("南马村").village
CASE = "QL-NM-2026-001"


def meeting(number: str, kind: MeetingKind, held_on: dt.date, **fields: Any) -> Meeting:
    members = fields.pop("members", 15)
    present = fields.pop("present", members)
    vote = {"topic": "议题", "case_id": CASE, "in_favour": present} | fields.pop("vote", {})
    return Meeting(
        number=number, village="QL-NM", kind=kind, held_on=held_on, place="村委会会议室",
        chair="王书记", recorder="刘芳", members=members, present=present,
        topics=[TopicVote(**vote)], **fields,
    )  # fmt: skip


def book(catalog: Catalog, *meetings: Meeting) -> MeetingBook:
    assert catalog.meetings is not None
    return MeetingBook({m.number: m for m in meetings}, NANMA, catalog.meetings)


def wages_case(catalog: Catalog) -> Case:
    """临时用工 (xwql-017) waiting for the 村“两委” decision."""
    item = catalog.get("xwql-017")
    return run(make_case("xwql-017", D(2026, 11, 2)), item,
               record("labour_request", "村民委员会", D(2026, 11, 2)))  # fmt: skip


def decide(number: str) -> Any:
    """The 村“两委” decision of the wages case on 5 November, by meeting ``number``."""
    return record("committees_decide", "村“两委”", D(2026, 11, 5), meeting_record=number)


def test_a_meeting_record_holds_together() -> None:
    with pytest.raises(ValidationError, match="实到 16 人多于应到 15 人"):
        meeting("M1", MeetingKind.REPRESENTATIVES, D(2026, 11, 4), members=15, present=16)
    with pytest.raises(ValidationError, match="表决票数 12 多于实到 11 人"):
        meeting("M1", MeetingKind.REPRESENTATIVES, D(2026, 11, 4), present=11,
                vote={"in_favour": 10, "against": 2})  # fmt: skip
    with pytest.raises(ValidationError, match="到会人员列了 2 人"):
        meeting("M1", MeetingKind.REPRESENTATIVES, D(2026, 11, 4), present=3,
                attendees=["甲", "乙"])  # fmt: skip


def test_the_step_actor_names_the_meeting_kinds(catalog: Catalog) -> None:
    assert catalog.meetings is not None
    steps = {step.id: step for step in catalog.get("xwql-001").steps}
    assert meeting_kinds(steps["villagers_resolution"], catalog.meetings) == [
        "村民代表会议", "村民会议",
    ]  # fmt: skip
    assert meeting_kinds(steps["party_proposal"], catalog.meetings) == ["党支部会议"]


@pytest.mark.parametrize(
    ("held_on", "members_then", "present", "quorate"),
    [
        (D(2026, 11, 4), 15, 9, False),  # 9 of 15: short of 三分之二以上 (10)
        (D(2026, 11, 4), 15, 10, True),  # 10 of 15 is two thirds: 以上 counts it
        (D(2026, 5, 20), 17, 11, False),  # before 1 June 17 were in office: 12 needed
        (D(2026, 5, 20), 17, 12, True),
    ],
)
def test_representatives_quorum_is_two_thirds_of_the_members_on_the_day(
    catalog: Catalog, held_on: dt.date, members_then: int, present: int, quorate: bool
) -> None:
    confirmed = confirmed_catalog(catalog)
    item = confirmed.get("xwql-001")
    step = next(s for s in item.steps if s.id == "villagers_resolution")
    held = meeting("NM-代表-1", MeetingKind.REPRESENTATIVES, held_on, members=members_then,
                   present=present)  # fmt: skip
    resolution = record(step.id, "村民代表会议", held_on, meeting_record="NM-代表-1")
    case = make_case("xwql-001", D(2026, 1, 5))
    found = check_step(case, item, resolution, book=book(confirmed, held))
    quorum = [v for v in found if v.rule is RuleId.QUORUM]
    assert (not quorum) is quorate
    if quorum:
        assert not quorum[0].advisory  # the law's figure: it refuses
        assert f"应到{members_then}人、实到{present}人，未达到三分之二以上" in quorum[0].text.zh
        assert "村民委员会组织法》第二十六条" in quorum[0].text.zh


@pytest.mark.parametrize(("in_favour", "passed"), [(5, False), (6, True)])
def test_representatives_decide_by_more_than_half_of_those_present(
    catalog: Catalog, in_favour: int, passed: bool
) -> None:
    confirmed = confirmed_catalog(catalog)
    item = confirmed.get("xwql-001")
    held = meeting("NM-代表-2", MeetingKind.REPRESENTATIVES, D(2026, 11, 4), present=11,
                   vote={"in_favour": in_favour, "against": 11 - in_favour})  # fmt: skip
    step = record("villagers_resolution", "村民代表会议", D(2026, 11, 4),
                  meeting_record="NM-代表-2")  # fmt: skip
    found = check_step(make_case("xwql-001", D(2026, 1, 5)), item, step,
                       book=book(confirmed, held))  # fmt: skip
    majority = [v for v in found if v.rule is RuleId.MAJORITY]
    assert (not majority) is passed
    if majority:
        assert "同意5票，到会11人，未达到过半数（须6票）" in majority[0].text.zh


def test_a_village_assembly_needs_half_its_adults_or_two_thirds_of_households(
    catalog: Catalog,
) -> None:
    confirmed = confirmed_catalog(catalog)
    item = confirmed.get("xwql-001")
    body = NANMA.body("村民会议", on=D(2026, 11, 4))
    assert body is not None and (body.adults, body.households) == (1774, 657)
    step = record("villagers_resolution", "村民会议", D(2026, 11, 4), meeting_record="NM-村民-1")
    for present, quorate in ((438, True), (437, False), (888, True)):
        held = meeting("NM-村民-1", MeetingKind.VILLAGERS, D(2026, 11, 4), members=1774,
                       present=present)  # fmt: skip
        found = check_step(make_case("xwql-001", D(2026, 1, 5)), item, step,
                           book=book(confirmed, held))  # fmt: skip
        assert (RuleId.QUORUM not in [v.rule for v in found]) is quorate, present


def test_a_decision_needs_its_own_meeting_held_before(catalog: Catalog) -> None:
    confirmed = confirmed_catalog(catalog)
    item = confirmed.get("xwql-017")
    case = wages_case(confirmed)
    later = meeting("NM-两委-1", MeetingKind.COMMITTEES, D(2026, 11, 6), members=7)
    other = meeting("NM-两委-2", MeetingKind.COMMITTEES, D(2026, 11, 4), members=7,
                    vote={"case_id": "QL-NM-2026-099"})  # fmt: skip
    wrong = meeting("NM-代表-3", MeetingKind.REPRESENTATIVES, D(2026, 11, 4))
    register = book(confirmed, later, other, wrong)
    rules = {
        number: [(v.rule, v.advisory) for v in check_step(case, item, decide(number),
                                                        book=register)]
        for number in ("NM-两委-1", "NM-两委-2", "NM-代表-3", "NM-未录入")
    }  # fmt: skip
    assert rules["NM-两委-1"] == [(RuleId.MEETING, False)]  # held after the step
    assert rules["NM-两委-2"] == [(RuleId.MEETING, False)]  # decided another case
    assert rules["NM-代表-3"] == [(RuleId.MEETING, False)]  # not the kind the step names
    assert rules["NM-未录入"] == []  # kept on paper: the archive's check reports it
    with pytest.raises(StepRefused):
        apply_step(case, item, decide("NM-两委-1"), book=register)


def test_on_a_drafted_flow_the_wrong_kind_advises_but_the_facts_refuse(catalog: Catalog) -> None:
    item = catalog.get("xwql-017")  # its flow is a draft
    case = wages_case(catalog)
    wrong = meeting("NM-代表-3", MeetingKind.REPRESENTATIVES, D(2026, 11, 4))
    found = check_step(case, item, decide("NM-代表-3"), book=book(catalog, wrong))
    assert [(v.rule, v.advisory) for v in found] == [(RuleId.MEETING, True)]
    short = meeting("NM-代表-4", MeetingKind.REPRESENTATIVES, D(2026, 11, 4), present=9)
    found = check_step(case, item, decide("NM-代表-4"), book=book(catalog, short))
    assert [(v.rule, v.advisory) for v in found] == [
        (RuleId.MEETING, True), (RuleId.QUORUM, False),
    ]  # fmt: skip


def test_a_kind_no_law_sets_advises_on_its_quorum(catalog: Catalog) -> None:
    confirmed = confirmed_catalog(catalog)
    item = confirmed.get("xwql-017")
    thin = meeting("NM-两委-3", MeetingKind.COMMITTEES, D(2026, 11, 4), members=7, present=3)
    found = check_step(wages_case(confirmed), item, decide("NM-两委-3"),
                       book=book(confirmed, thin))  # fmt: skip
    assert [(v.rule, v.advisory) for v in found] == [(RuleId.QUORUM, True)]
    assert "起草，待区里确认" in found[0].text.zh


def test_four_discussions_run_in_their_order(catalog: Catalog) -> None:
    confirmed = confirmed_catalog(catalog)
    item = confirmed.get("xwql-001")
    branch = meeting("NM-支部-1", MeetingKind.PARTY_BRANCH, D(2026, 10, 12), members=5)
    committees = meeting("NM-两委-4", MeetingKind.COMMITTEES, D(2026, 10, 16), members=7)
    members = meeting("NM-党员-1", MeetingKind.PARTY_MEMBERS, D(2026, 10, 14), members=54,
                      present=40)  # fmt: skip
    register = book(confirmed, branch, committees, members)
    case = make_case("xwql-001", D(2026, 10, 12))
    case = apply_step(case, item, record("party_proposal", "村党组织", D(2026, 10, 12),
                                         meeting_record="NM-支部-1"), book=register)  # fmt: skip
    case = apply_step(case, item, record("committees_consult", "村“两委”", D(2026, 10, 16),
                                         meeting_record="NM-两委-4"), book=register)  # fmt: skip
    # The party members' meeting was held on 14 October, before the committees' of the 16th.
    review = record("party_meeting_review", "党员大会", D(2026, 10, 20),
                    meeting_record="NM-党员-1")  # fmt: skip
    found = check_step(case, item, review, book=register)
    assert [v.rule for v in found] == [RuleId.FOUR_DISCUSSIONS]
    assert "党员大会于 2026-10-14 召开，早于前一环节的村“两委”联席会议" in found[0].text.zh


def test_the_two_publications_of_four_discussions_are_no_meetings(catalog: Catalog) -> None:
    # Regression: the resolution's and outcome's notices (actors 村“两委”, 村民委员会) were
    # held to the stages' order as if they were the committees' meeting.
    confirmed = confirmed_catalog(catalog)
    item = confirmed.get("xwql-001")
    late = meeting("NM-两委-9", MeetingKind.COMMITTEES, D(2026, 11, 20), members=7)
    step = record("outcome_notice", "村民委员会", D(2026, 11, 20), meeting_record="NM-两委-9")
    found = check_step(make_case("xwql-001", D(2026, 1, 5)), item, step, book=book(confirmed, late))
    assert RuleId.FOUR_DISCUSSIONS not in [v.rule for v in found]


def test_without_the_body_in_the_data_the_meetings_own_count_is_the_base(
    catalog: Catalog,
) -> None:
    assert catalog.meetings is not None
    rule = catalog.meetings.kinds["村民会议"]
    bare = NANMA.model_copy(update={"bodies": []})
    held = meeting("X-1", MeetingKind.VILLAGERS, D(2026, 11, 4), members=100, present=51)
    assert quorum_short(held, bare, rule) is None  # 过半数 of the 100 adults it names
    short = held.model_copy(update={"present": 50, "topics": [held.topics[0].model_copy(
        update={"in_favour": 50})]})  # fmt: skip
    assert quorum_short(short, bare, rule) is not None


def test_the_minutes_name_the_quorum_test_the_meeting_passed(catalog: Catalog) -> None:
    assert catalog.meetings is not None
    # 500 of 1774 adults is not half; of 657 households two thirds are 438: passed so.
    held = meeting("NM-村民-2", MeetingKind.VILLAGERS, D(2026, 11, 4), members=1774, present=500)
    assert quorum_statement(held, NANMA, catalog.meetings) == "符合三分之二以上要求"
    few = held.model_copy(update={"present": 400, "topics": [held.topics[0].model_copy(
        update={"in_favour": 400})]})  # fmt: skip
    assert quorum_statement(few, NANMA, catalog.meetings) == "未达到过半数要求"


def test_a_forced_step_keeps_each_way_it_broke_a_meeting_rule(catalog: Catalog) -> None:
    # Regression: two refusals of one rule on one step were kept as one on import.
    confirmed = confirmed_catalog(catalog)
    item = confirmed.get("xwql-017")
    other = meeting("NM-两委-7", MeetingKind.COMMITTEES, D(2026, 11, 9), members=7,
                    vote={"case_id": "QL-NM-2026-099"})  # fmt: skip
    forced = decide("NM-两委-7").model_copy(update={"forced_reason": "会议记录补录"})
    case = wages_case(confirmed).model_copy(
        update={"steps": [*wages_case(confirmed).steps, forced]}
    )
    found = with_rule_findings(case, item, book(confirmed, other))
    assert [i.rule for i in found.irregularities] == ["meeting", "meeting"]
    assert with_rule_findings(found, item, book(confirmed, other)) is found
