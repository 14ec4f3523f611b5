"""One question answers all access: may this actor do this action on this place.

Every page of the workspace asks :func:`allowed` before it reads or writes, with the
village the object belongs to (a case's, a ledger's, a notice's); nothing is decided
inside a page. Each decision is logged at debug level with its reason.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum

from pipeline.accounts.model import AccountRole, Scope
from pipeline.organisations import Place

log = logging.getLogger(__name__)


class Action(StrEnum):
    """What an actor may ask to do in the workspace."""

    VIEW_CASES = "view-cases"  # cases, their steps, documents and notices
    UPLOAD_LEDGER = "upload-ledger"  # import a ledger (台账)
    RECORD_STEP = "record-step"  # record a case's next step
    FORCE_STEP = "force-step"  # record a refused step, as an irregularity
    PRINT_NOTICES = "print-notices"  # print (and file) the board's notices
    BUILD_PACKS = "build-packs"  # build the month's packs and the summary
    VIEW_REGISTERS = "view-registers"  # seal-use register, overdue list
    MANAGE_ACCOUNTS = "manage-accounts"  # add, disable, reset accounts
    ANSWER_OBJECTIONS = "answer-objections"  # read objections with contacts, record answers
    CONFIRM_CATALOG = "confirm-catalog"  # record the district's confirmation of drafted fields


ROLE_ACTIONS: dict[AccountRole, frozenset[Action]] = {
    AccountRole.CLERK: frozenset(
        {
            Action.VIEW_CASES,
            Action.UPLOAD_LEDGER,
            Action.RECORD_STEP,
            Action.PRINT_NOTICES,
            Action.VIEW_REGISTERS,
        }
    ),
    AccountRole.OFFICE: frozenset(
        {
            Action.VIEW_CASES,
            Action.UPLOAD_LEDGER,
            Action.RECORD_STEP,
            Action.FORCE_STEP,
            Action.PRINT_NOTICES,
            Action.BUILD_PACKS,
            Action.VIEW_REGISTERS,
        }
    ),
    AccountRole.SUPERVISOR: frozenset(
        {Action.VIEW_CASES, Action.VIEW_REGISTERS, Action.ANSWER_OBJECTIONS}
    ),
    AccountRole.ADMIN: frozenset(Action),
}
"""What each role may do, within its scope."""


@dataclass(frozen=True)
class Decision:
    """The answer to one access question, and why."""

    allowed: bool
    reason: str

    def __bool__(self) -> bool:
        return self.allowed


def allowed(
    role: AccountRole | None, scope: Scope, action: Action, place: Place | None
) -> Decision:
    """Whether an actor of ``role`` and ``scope`` may do ``action`` on ``place``.

    Args:
        role: The actor's workspace role (None: not a workspace account, e.g. an
            auditor of the archive, who has no workspace rights).
        scope: Where the actor works.
        action: What is asked.
        place: The village the object belongs to; None for a district-wide object
            (the district summary, the accounts), which only the district's scope covers.
    """
    if role is None:
        decision = Decision(False, "not a workspace account")
    elif action not in ROLE_ACTIONS[role]:
        decision = Decision(False, f"the {role.value} role may not {action.value}")
    elif place is None and (scope.town or scope.village):
        decision = Decision(False, "a district-wide object is outside a town's or village's scope")
    elif place is not None and not scope.covers(place):
        decision = Decision(False, f"{place.village.code} is outside the actor's scope")
    else:
        decision = Decision(True, "role and scope allow it")
    log.debug("%s %s on %s: %s", role, action.value, place and place.village.code, decision)
    return decision
