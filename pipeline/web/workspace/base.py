"""What every page of the workspace does first: who asks, may they, on which village.

Each route resolves the account's session (:func:`pipeline.web.state.account_session`),
then asks the one access question (:func:`pipeline.accounts.permissions.allowed`)
with the village its object belongs to, through :func:`require`. A refusal is a 403
page and a line in the log of writes; so is every write that goes through.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import Depends, Request

from pipeline.accounts.permissions import Action, allowed
from pipeline.cases.model import Case
from pipeline.errors import AccessDenied
from pipeline.organisations import Place
from pipeline.rules.calendar import CHINA
from pipeline.web.messages import FORM_EXPIRED, NOT_ALLOWED
from pipeline.web.security import same_token
from pipeline.web.state import WebSession, account_session, client_address, web_state
from pipeline.workspace import Workspace

AccountDep = Annotated[WebSession, Depends(account_session)]


def open_workspace(request: Request) -> Workspace:
    """The catalog, organisations and case store the pages share.

    The catalog is read again when its edition changed: a confirmation written by
    another worker process rules here from the next request on.
    """
    workspace = web_state(request).workspace.get()
    workspace.refresh_catalog()
    return workspace


def today(request: Request) -> dt.date:
    """Today in China, by the app's clock (a test moves it)."""
    return web_state(request).accounts.now().astimezone(CHINA).date()


def require(request: Request, session: WebSession, action: Action, place: Place | None) -> None:
    """Go on only if the session's account may do ``action`` on ``place``.

    Raises:
        AccessDenied: It may not; the refusal is logged with the account and the reason.
    """
    decision = allowed(session.role, session.scope, action, place)
    if decision:
        return
    where = place.village.code if place is not None else "district"
    log(request, session, "refused", f"{action.value} {where}: {decision.reason}")
    raise AccessDenied(NOT_ALLOWED(action=action.value))


def places(request: Request, session: WebSession, action: Action) -> list[Place]:
    """The villages of the session's scope where it may do ``action``, in data order."""
    directory = open_workspace(request).directory
    return [
        place
        for place in session.scope.villages(directory)
        if allowed(session.role, session.scope, action, place)
    ]


def places_for(
    request: Request, session: WebSession, action: Action, village: str = ""
) -> list[Place]:
    """The one village asked for, or every village of the scope, where ``action`` is allowed.

    A role without ``action`` anywhere is refused (and logged), not shown nothing.

    Raises:
        InputInvalid: No such village.
        AccessDenied: The village is outside the scope, or the role may not (logged).
    """
    if village:
        place = open_workspace(request).directory.get(village)
        require(request, session, action, place)
        return [place]
    chosen = places(request, session, action)
    if not chosen:
        require(request, session, action, None)
    return chosen


def case_for(request: Request, session: WebSession, case_id: str, action: Action) -> Case:
    """The case ``case_id``, if the session may do ``action`` on its village.

    Raises:
        InputInvalid: No such case.
        AccessDenied: Its village is outside the session's scope (logged).
    """
    workspace = open_workspace(request)
    case = workspace.store.get(case_id)
    require(request, session, action, workspace.directory.get(case.village))
    return case


def check_form(session: WebSession, form_token: str) -> None:
    """Refuse a form that does not carry the session's token (CSRF).

    Raises:
        AccessDenied: The form is stale or was not made by this session's page.
    """
    if not same_token(form_token, session.csrf):
        raise AccessDenied(FORM_EXPIRED())


def log(request: Request, session: WebSession, action: str, what: str) -> None:
    """One line in the log of writes: who, what, from where."""
    web_state(request).accounts.log(session.name, action, what, address=client_address(request))
