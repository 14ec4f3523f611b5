"""The district administrator's pages: the accounts of the workspace and the log of writes.

=========================================  =============================================
``GET /w/accounts``                        every account (role, scope, state, created)
                                           and the form to add one
``POST /w/accounts``                       add an account; its password is shown once
``POST /w/accounts/disable``, ``/enable``  disable (its sessions end) or enable ``name``
``POST /w/accounts/password``              a new password for ``name``, shown once
``GET /w/activity?actor``                  the log of writes: who, what, when, from where
=========================================  =============================================

Only the district's administrator reaches them (``Action.MANAGE_ACCOUNTS`` on the
district); anyone else is refused and the refusal logged. Passwords are made as
``xwql users`` makes them (:func:`pipeline.accounts.passwords.new_password`), shown in
the answer to the form that made them and kept nowhere but as a hash. Every page
has a JSON twin (``?format=json``).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from pipeline.accounts.model import AccountRole, Scope
from pipeline.accounts.passwords import new_password
from pipeline.accounts.permissions import Action
from pipeline.errors import InputInvalid
from pipeline.rules.calendar import CHINA
from pipeline.web.messages import OWN_ACCOUNT, UNKNOWN_ROLE
from pipeline.web.state import WebSession, page, web_state
from pipeline.web.workspace.base import AccountDep, check_form, log, open_workspace, require

router = APIRouter(prefix="/w")

ACTIVITY_LIMIT = 200
"""Lines of the log of writes one page shows (the newest)."""
MAX_INPUT = 200
"""Longest text a field takes; the store refuses what is too long for it, in its words."""

ACTIVITY_LABELS = {
    "login": "登录",
    "login-failed": "登录失败",
    "locked-out": "账号锁定",
    "refused": "越权被拒",
    "step": "记录办理环节",
    "step-refused": "办理环节被拒",
    "documents": "生成文书",
    "account-add": "新增账号",
    "account-refused": "新增账号被拒",
    "account-disable": "停用账号",
    "account-enable": "启用账号",
    "account-password": "重置密码",
    "catalog-confirm": "确认清单内容",
    "catalog-refused": "确认清单内容被拒",
}
"""The Chinese names of the log's actions (others show as written)."""


def _administrator(request: Request, session: WebSession) -> None:
    """Go on only for the district's administrator (anyone else is refused and logged)."""
    require(request, session, Action.MANAGE_ACCOUNTS, None)


def _accounts_page(
    request: Request,
    session: WebSession,
    *,
    form: dict[str, str] | None = None,
    form_error: str = "",
    error: str = "",
    shown: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    """The accounts and the form to add one.

    Args:
        request: The request.
        session: The administrator's session.
        form: What the form held (a refused one is shown again).
        form_error: Why the form was refused.
        error: Why a change to a listed account was refused.
        shown: A new password to show once: ``name``, ``password``, ``why``
            (``created`` or ``reset``).
        status: The page's status.
    """
    directory = open_workspace(request).directory
    context: dict[str, Any] = {
        "accounts": [
            {
                "name": a.name, "role": a.role.value, "role_label": a.role.label,
                "scope": a.scope.label(directory), "active": a.active,
                "created_at": a.created_at.astimezone(CHINA),
            }
            for a in web_state(request).accounts.accounts()
        ],
        "roles": [(role.value, role.label) for role in AccountRole],
        "towns": [(town.code, town.name) for town in directory.district.towns],
        "villages": [
            (p.village.code, f"{p.town.name}{p.village.name}") for p in directory.villages
        ],
        "form": form or {"role": AccountRole.CLERK.value},
        "form_error": form_error,
        "error": error,
        "shown": shown,
        "me": session.name,
    }  # fmt: skip
    return page(request, "workspace/accounts.html", context, status=status)


@router.get("/accounts")
def accounts(request: Request, session: AccountDep) -> Response:
    """Every account of the workspace, and the form to add one."""
    _administrator(request, session)
    return _accounts_page(request, session)


@router.post("/accounts")
def add_account(
    request: Request,
    session: AccountDep,
    name: Annotated[str, Form(max_length=MAX_INPUT)] = "",
    role: Annotated[str, Form(max_length=MAX_INPUT)] = "",
    village: Annotated[str, Form(max_length=MAX_INPUT)] = "",
    town: Annotated[str, Form(max_length=MAX_INPUT)] = "",
    form_token: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Add an account scoped as its role needs; its new password is shown once.

    A name taken, or a scope that does not fit the role, is refused in the
    store's own words, in the form (status 400).
    """
    _administrator(request, session)
    check_form(session, form_token)
    form = {"name": name, "role": role, "village": village, "town": town}
    password = new_password()
    directory = open_workspace(request).directory
    try:
        if role not in {r.value for r in AccountRole}:
            raise InputInvalid(UNKNOWN_ROLE(role=role, roles=", ".join(AccountRole)))
        scope = Scope(town=town or None, village=village or None)
        account = web_state(request).accounts.add(
            name, AccountRole(role), scope, password, directory
        )
    except InputInvalid as exc:
        message = str(exc).split(" / ")[0]
        log(request, session, "account-refused", f"{name[:60]} {role[:12]}: {message}")
        return _accounts_page(request, session, form=form, form_error=message, status=400)
    where = account.scope.label(directory)
    log(request, session, "account-add", f"{account.name} {account.role.value} {where}")
    shown = {"name": account.name, "password": password, "why": "created"}
    return _accounts_page(request, session, shown=shown)


@router.post("/accounts/{change}")
def change_account(
    request: Request,
    session: AccountDep,
    change: Literal["disable", "enable", "password"],
    name: Annotated[str, Form(max_length=MAX_INPUT)] = "",
    form_token: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Disable an account (its live sessions end), enable it, or give it a new password.

    The administrator's own account is left alone here (disabling it, or a new
    password, would end the very session asking): ``xwql users`` does that.
    """
    _administrator(request, session)
    check_form(session, form_token)
    store = web_state(request).accounts
    password = new_password() if change == "password" else ""
    try:
        if name == session.name and change != "enable":
            raise InputInvalid(OWN_ACCOUNT())
        if password:
            store.set_password(name, password)
        else:
            store.set_active(name, change == "enable")
    except InputInvalid as exc:
        return _accounts_page(request, session, error=str(exc).split(" / ")[0], status=400)
    log(request, session, f"account-{change}", name)
    if password:
        shown = {"name": name, "password": password, "why": "reset"}
        return _accounts_page(request, session, shown=shown)
    return RedirectResponse("/w/accounts", status_code=303)


@router.get("/activity")
def activity(request: Request, session: AccountDep, actor: str = "") -> Response:
    """The newest lines of the log of writes, of everyone or of one account."""
    _administrator(request, session)
    store = web_state(request).accounts
    wanted = actor.strip()[:60]
    context = {
        "actor": wanted,
        "limit": ACTIVITY_LIMIT,
        "accounts": [account.name for account in store.accounts()],
        "lines": [
            {
                "at": line.at.astimezone(CHINA), "actor": line.actor, "action": line.action,
                "action_label": ACTIVITY_LABELS.get(line.action, line.action),
                "what": line.what, "address": line.address,
            }
            for line in store.activity(actor=wanted or None, limit=ACTIVITY_LIMIT)
        ],
    }  # fmt: skip
    return page(request, "workspace/activity.html", context)
