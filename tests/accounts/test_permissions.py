"""Every role × every action × its own and another scope's village: the one access question."""

from __future__ import annotations

import pytest

from pipeline.accounts.model import AccountRole, Scope
from pipeline.accounts.permissions import ROLE_ACTIONS, Action, allowed
from pipeline.config import Settings
from pipeline.organisations import Directory, load_district


@pytest.fixture(scope="module")
def directory() -> Directory:
    return load_district(Settings().district_path)


def _scopes(directory: Directory) -> dict[AccountRole, Scope]:
    nanma = directory.get("QL-NM")
    return {
        AccountRole.CLERK: Scope(nanma.town.code, nanma.village.code),
        AccountRole.OFFICE: Scope(nanma.town.code),
        AccountRole.SUPERVISOR: Scope(nanma.town.code, nanma.village.code),
        AccountRole.ADMIN: Scope(),
    }


@pytest.mark.parametrize("role", list(AccountRole))
@pytest.mark.parametrize("action", list(Action))
def test_nobody_acts_outside_their_scope_or_role(
    directory: Directory, role: AccountRole, action: Action
) -> None:
    scope = _scopes(directory)[role]
    nanma = directory.get("QL-NM")
    same_town = next(p for p in directory.villages if p.town == nanma.town and p != nanma)
    other_town = next(p for p in directory.villages if p.town != nanma.town)
    may = action in ROLE_ACTIONS[role]
    assert bool(allowed(role, scope, action, nanma)) is may
    assert bool(allowed(role, scope, action, same_town)) is (may and scope.village is None)
    assert bool(allowed(role, scope, action, other_town)) is (may and scope.town is None)
    assert bool(allowed(role, scope, action, None)) is (may and role is AccountRole.ADMIN)


def test_what_each_role_may_do() -> None:
    assert Action.FORCE_STEP not in ROLE_ACTIONS[AccountRole.CLERK]
    assert Action.BUILD_PACKS not in ROLE_ACTIONS[AccountRole.CLERK]
    assert {Action.FORCE_STEP, Action.BUILD_PACKS} <= ROLE_ACTIONS[AccountRole.OFFICE]
    assert Action.MANAGE_ACCOUNTS not in ROLE_ACTIONS[AccountRole.OFFICE]
    assert ROLE_ACTIONS[AccountRole.SUPERVISOR] == {
        Action.VIEW_CASES,
        Action.VIEW_REGISTERS,
        Action.ANSWER_OBJECTIONS,
    }
    assert Action.ANSWER_OBJECTIONS not in ROLE_ACTIONS[AccountRole.CLERK]
    assert Action.ANSWER_OBJECTIONS not in ROLE_ACTIONS[AccountRole.OFFICE]
    assert ROLE_ACTIONS[AccountRole.ADMIN] == set(Action)


def test_an_archive_user_has_no_workspace_rights(directory: Directory) -> None:
    for action in Action:
        decision = allowed(None, Scope(), action, directory.get("QL-NM"))
        assert not decision and decision.reason == "not a workspace account"
