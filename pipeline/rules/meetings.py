"""Meetings decide, by quorum and vote: the rules a step's meeting is held to.

A decision step (and each step of 四议两公开 taken by a meeting) names its meeting by
number. When the meeting is in the register (:class:`MeetingBook`), the step is held
to five rules, each a stable id:

``meeting``
    The meeting is of a kind the catalog's step names (its actor: 村“两委”,
    村民代表会议 …, mapped in ``meetings.yaml``), held on or before the step's date,
    and it voted on this case. The kind comes from the catalog's flow: on a drafted
    flow a wrong kind is advice. A number not in the register is not judged here:
    its minutes are kept on paper, and the archive's completeness check says so.
``quorum``
    Enough of the body were present (村民代表会议: 三分之二以上 of its members in
    office on the meeting's day, from the organisations data).
``majority``
    Enough voted for the case (村民代表会议: 过半数 of those present).
``four-discussions``
    四议两公开 (xwql-001) in its order: 党支部会议提议 → 两委会议商议 → 党员大会审议 →
    村民代表会议或村民会议决议; a meeting of a later stage held before one of an earlier
    stage, or a stage taken before an earlier one, is refused.

Quorum and majority are the law's (``source`` in ``meetings.yaml``): they refuse,
except for kinds no law sets (``drafted``), which advise until the district confirms.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pipeline.cases.meetings import Meeting, TopicVote
from pipeline.cases.model import Case, StepRecord
from pipeline.catalog.model import CatalogItem, MeetingRule, MeetingRules, Share, Step, StepKind
from pipeline.errors import Bilingual
from pipeline.organisations import Village
from pipeline.rules.actors import actor_alternatives
from pipeline.rules.messages import (
    FOUR_DISCUSSIONS_EARLY,
    FOUR_DISCUSSIONS_OUT_OF_ORDER,
    MAJORITY_SHORT,
    MEETING_AFTER_STEP,
    MEETING_DID_NOT_DECIDE,
    MEETING_WRONG_KIND,
    QUORUM_SHORT,
)
from pipeline.rules.violations import RuleId, Violation, flow_violation

_BASES = {"members": "应到", "adults": "十八周岁以上村民", "households": "户", "present": "到会"}


@dataclass(frozen=True)
class MeetingBook:
    """The meetings of one village, by number, with the village (its bodies' sizes)."""

    meetings: Mapping[str, Meeting]
    village: Village
    rules: MeetingRules

    def get(self, number: str | None) -> Meeting | None:
        """The meeting named, if it is in the register."""
        return self.meetings.get((number or "").strip())


def meeting_kinds(step: Step, rules: MeetingRules) -> list[str]:
    """The kinds of meeting the step's actor names (none: the step is not a meeting's)."""
    kinds: list[str] = []
    for actor in actor_alternatives(step.actor):
        kinds += [kind for kind in rules.actors.get(actor, []) if kind not in kinds]
    return kinds


def needs_meeting(item: CatalogItem, step: Step, rules: MeetingRules) -> bool:
    """A decision step, or 四议两公开's proposal (提议) that the party branch meets on.

    Its two 公开 (notices of the resolution and of the outcome) are no meeting's.
    """
    if step.kind is StepKind.DECISION:
        return True
    return (
        item.code == rules.four_discussions.item
        and step.kind not in (StepKind.NOTICE, StepKind.RESULT)
        and bool(meeting_kinds(step, rules))
    )


def _base(share: Share, meeting: Meeting, village: Village) -> int | None:
    """What the share is taken of: the body's size on the meeting's day, or those present.

    Without the body in the organisations data, the meeting's own 应到 stands for
    its members (or, for 村民会议, its adults); a household count it cannot give.
    """
    if share.of == "present":
        return meeting.present
    body = village.body(meeting.kind, on=meeting.held_on)
    counted = {
        "members": body.members if body else None,
        "adults": body.adults if body else None,
        "households": body.households if body else None,
    }[share.of]
    return counted or (None if share.of == "households" else meeting.members)


def _quorum(meeting: Meeting, village: Village, rule: MeetingRule) -> tuple[Share, int, bool]:
    """The quorum test the meeting passed (any one suffices), or the first it failed."""
    tests = [(share, _base(share, meeting, village)) for share in rule.quorum]
    known = [(share, base) for share, base in tests if base is not None]
    passed = [(s, base) for s, base in known if meeting.present >= s.needed(base)]
    share, base = (passed or known or [(rule.quorum[0], meeting.members)])[0]
    return share, base, bool(passed)


def quorum_short(meeting: Meeting, village: Village, rule: MeetingRule) -> Bilingual | None:
    """Why too few were present, or None: any one of the kind's quorum tests suffices."""
    share, base, quorate = _quorum(meeting, village, rule)
    if quorate:
        return None
    return QUORUM_SHORT.fill(
        kind=meeting.kind.value, number=meeting.number, base_name=_BASES[share.of], base=base,
        present=meeting.present, share=share.words(), needed=share.needed(base),
        source=rule.source,
    )  # fmt: skip


def quorum_statement(meeting: Meeting, village: Village, rules: MeetingRules) -> str:
    """The minutes' quorum line: 符合三分之二以上要求, or what it fell short of."""
    rule = rules.kinds.get(meeting.kind.value)
    if rule is None:
        return ""
    share, _, quorate = _quorum(meeting, village, rule)
    return f"{'符合' if quorate else '未达到'}{share.words()}要求"


def majority_short(
    meeting: Meeting, vote: TopicVote, village: Village, rule: MeetingRule
) -> Bilingual | None:
    """Why too few voted for the topic, or None."""
    share = rule.majority
    base = _base(share, meeting, village) or meeting.members
    if vote.in_favour >= share.needed(base):
        return None
    return MAJORITY_SHORT.fill(
        kind=meeting.kind.value, number=meeting.number, topic=vote.topic,
        in_favour=vote.in_favour, base_name=_BASES[share.of], base=base, share=share.words(),
        needed=share.needed(base), source=rule.source,
    )  # fmt: skip


def _stage(kind: str, rules: MeetingRules) -> int | None:
    for index, stage in enumerate(rules.four_discussions.order):
        if kind == stage or (isinstance(stage, list) and kind in stage):
            return index
    return None


def _four_discussions(
    item: CatalogItem,
    record: StepRecord,
    meeting: Meeting,
    book: MeetingBook,
    earlier_steps: Sequence[StepRecord],
) -> list[Violation]:
    """Each earlier stage's meeting held no later, and no later stage taken already."""
    rules = book.rules
    stage = _stage(meeting.kind, rules)
    if item.code != rules.four_discussions.item or stage is None:
        return []
    found: list[Violation] = []
    for earlier in earlier_steps:
        other = book.get(earlier.meeting_record)
        other_stage = None if other is None else _stage(other.kind, rules)
        if other is None or other_stage is None or other.number == meeting.number:
            continue
        if other_stage > stage:
            text = FOUR_DISCUSSIONS_OUT_OF_ORDER.fill(
                kind=meeting.kind.value, other=other.kind.value, number=other.number
            )
        elif other_stage < stage and other.held_on > meeting.held_on:
            text = FOUR_DISCUSSIONS_EARLY.fill(
                kind=meeting.kind.value, held=meeting.held_on, other=other.kind.value,
                other_held=other.held_on,
            )  # fmt: skip
        else:
            continue
        found.append(Violation(RuleId.FOUR_DISCUSSIONS, record.step, text))
    return found


def check_meeting(
    case: Case, item: CatalogItem, step: Step, record: StepRecord, book: MeetingBook,
    *, draft: bool, earlier_steps: Sequence[StepRecord] = (),
) -> list[Violation]:  # fmt: skip
    """Every meeting rule the step ``record`` breaks (see the module doc).

    Args:
        case: The case as it stands.
        item: Its catalog item.
        step: The catalog step recorded.
        record: The step as recorded; ``meeting_record`` names the meeting.
        book: The village's meetings and bodies, and the meeting rules.
        draft: The item's flow is a draft on the step's date (a wrong kind advises).
        earlier_steps: The steps of the case's current pass (after an upheld
            objection sent it back, those since): their meetings come before.
    """
    rules = book.rules
    number = (record.meeting_record or "").strip()
    if not number or not needs_meeting(item, step, rules):
        return []
    meeting = book.get(number)
    if meeting is None:
        return []  # minutes kept on paper: the archive's completeness check reports them
    found: list[Violation] = []
    kinds = meeting_kinds(step, rules)
    if kinds and meeting.kind.value not in kinds:
        wrong = MEETING_WRONG_KIND.fill(
            number=number, kind=meeting.kind.value, step=step.name, kinds="、".join(kinds)
        )
        found.append(flow_violation(RuleId.MEETING, step.id, wrong, draft=draft))
    if meeting.held_on > record.date:
        after = MEETING_AFTER_STEP.fill(number=number, held=meeting.held_on, date=record.date)
        found.append(Violation(RuleId.MEETING, step.id, after))
    vote = meeting.vote_on(case.case_id)
    if vote is None:
        missed = MEETING_DID_NOT_DECIDE.fill(number=number, case=case.case_id)
        found.append(Violation(RuleId.MEETING, step.id, missed))
    rule = rules.kinds.get(meeting.kind.value)
    if rule is not None:
        short = quorum_short(meeting, book.village, rule)
        if short is not None:
            found.append(Violation(RuleId.QUORUM, step.id, short, advisory=rule.drafted))
        lacking = None if vote is None else majority_short(meeting, vote, book.village, rule)
        if lacking is not None:
            found.append(Violation(RuleId.MAJORITY, step.id, lacking, advisory=rule.drafted))
    return found + _four_discussions(item, record, meeting, book, earlier_steps)
