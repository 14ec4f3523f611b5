"""What a broken rule is: its stable id, the step, the bilingual text, advice or refusal.

Shared by the flow rules (:mod:`pipeline.rules.flow`) and the meeting rules
(:mod:`pipeline.rules.meetings`); the ids are used in refusals, in the irregularities a
forced step leaves on a case, and in the monthly pack for the supervision committee.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from pipeline.errors import Bilingual
from pipeline.rules.messages import RESTS_ON_DRAFT


class RuleId(StrEnum):
    """Stable ids of the flow and meeting rules."""

    STEP_ORDER = "step-order"
    NOTICE_PERIOD = "notice-period"
    MEETING_RECORD = "meeting-record"
    PROXY_AUTHORISATION = "proxy-authorisation"
    ACTOR = "actor"
    DATE_ORDER = "date-order"
    OBJECTION = "objection"
    MEETING = "meeting"
    QUORUM = "quorum"
    MAJORITY = "majority"
    FOUR_DISCUSSIONS = "four-discussions"


MEETING_RULES = frozenset({RuleId.MEETING, RuleId.QUORUM, RuleId.MAJORITY, RuleId.FOUR_DISCUSSIONS})
"""The rules a deciding meeting is held to: breaking one, the decision had no valid meeting."""


@dataclass(frozen=True)
class Violation:
    """One broken rule: which rule, on which step, and what to do.

    Attributes:
        rule: The rule's stable id.
        step: The step it was broken on.
        text: What is wrong and what to do, in Chinese and English, its blanks filled.
        advisory: The rule rests on a drafted flow: advice, not a refusal.
    """

    rule: RuleId
    step: str
    text: Bilingual
    advisory: bool = False

    @property
    def message(self) -> str:
        """The text as printed, ``中文 / English`` (already filled: not formatted again)."""
        return f"{self.text.zh} / {self.text.en}"


def flow_violation(rule: RuleId, step: str, text: Bilingual, *, draft: bool) -> Violation:
    """A violation of a rule resting on the flow: advice, said so, while the flow is a draft."""
    if not draft:
        return Violation(rule, step, text)
    return Violation(rule, step, RESTS_ON_DRAFT.fill(zh=text.zh, en=text.en), advisory=True)
