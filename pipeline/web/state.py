"""What every page shares: the app's state, the session of a request, rendering, cookies.

A session is resolved once per request from its cookie (an id whose hash the
database keeps, see :mod:`pipeline.accounts.store`), so every worker process of
``xwql web`` sees the same sessions. Its actor is either an account of the
workspace (a clerk, a town office, a supervisor, the administrator: each scoped)
or a user of the archive (an auditor with a token): each kind reaches only its
own pages.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from fastapi import Request, Response
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.templating import Jinja2Templates

from pipeline.accounts.model import AccountRole, Scope
from pipeline.accounts.permissions import ROLE_ACTIONS, Action
from pipeline.accounts.store import AccountStore, SessionActor
from pipeline.archive.auditors import Auditor, AuditorRegistry, Role
from pipeline.config import Settings
from pipeline.web import labels
from pipeline.web.backend import ArchiveBackend, normalise_code
from pipeline.web.config import WebConfig
from pipeline.web.opened import OpenedOnce
from pipeline.web.security import RateLimiter
from pipeline.workspace import Workspace

SESSION_COOKIE = "xwql_session"
LOGIN_COOKIE = "xwql_login"
AUDITOR, ACCOUNT = "auditor", "account"


@dataclass
class WebState:
    """What the routes share: settings, the archive, accounts and sessions, templates."""

    settings: Settings
    config: WebConfig
    backend: ArchiveBackend
    workspace: OpenedOnce[Workspace]
    accounts: AccountStore
    users: AuditorRegistry
    lookups: RateLimiter
    templates: Jinja2Templates

    @property
    def idle(self) -> dt.timedelta:
        """How long a session may go without a request."""
        return dt.timedelta(seconds=self.config.session_idle)

    @property
    def lifetime(self) -> dt.timedelta:
        """How long a session may last in any case."""
        return dt.timedelta(seconds=self.config.session_lifetime)


@dataclass(frozen=True)
class WebSession:
    """A logged-in request's session: its cookie id and its actor."""

    id: str
    actor: SessionActor

    @property
    def kind(self) -> str:
        """``account`` or ``auditor``."""
        return self.actor.kind

    @property
    def name(self) -> str:
        """Who is logged in."""
        return self.actor.name

    @property
    def csrf(self) -> str:
        """The token the session's forms carry."""
        return self.actor.csrf

    @property
    def scope(self) -> Scope:
        """Where an account works (the district, for auditors)."""
        return self.actor.scope

    @property
    def role(self) -> AccountRole | None:
        """The workspace role of an account; None for a user of the archive."""
        return AccountRole(self.actor.role) if self.kind == ACCOUNT else None

    @property
    def user(self) -> Auditor:
        """The archive user of an auditor's session (only auditors' pages ask)."""
        return Auditor(self.actor.name, Role(self.actor.role))

    def may(self, action: str) -> bool:
        """Whether the account's role has ``action`` (an ``Action`` value) at all, somewhere.

        For the page's links only: every route asks the full question, with its village.
        """
        return self.role is not None and Action(action) in ROLE_ACTIONS[self.role]

    @property
    def role_label(self) -> str:
        """The role as the header prints it."""
        if self.role is not None:
            return self.role.label
        return labels.label(labels.ROLES, self.actor.role)


class LoginRequired(Exception):
    """The page needs a login of ``kind``; ``expired`` when the browser had a session."""

    def __init__(self, *, expired: bool, kind: str = AUDITOR) -> None:
        super().__init__("login required")
        self.expired = expired
        self.kind = kind


def web_state(request: Request) -> WebState:
    """The app's shared state."""
    state: WebState = request.app.state.web
    return state


def client_address(request: Request) -> str:
    """The address a request came from (the proxy's, behind one)."""
    return request.client.host if request.client else "unknown"


def find_session(request: Request) -> WebSession | None:
    """The request's live session of either kind, its idle time restarted; None if none.

    An auditor whose token was revoked has no session any more.
    """
    state = web_state(request)
    cookie = request.cookies.get(SESSION_COOKIE)
    actor = state.accounts.session(cookie, idle=state.idle, lifetime=state.lifetime)
    if actor is None or cookie is None:
        return None
    if actor.kind == AUDITOR:
        registered = {(name, role.value) for name, role, _ in state.users.users()}
        if (actor.name, actor.role) not in registered:
            state.accounts.end_session(cookie)
            return None
    session = WebSession(cookie, actor)
    request.state.session = session
    return session


def session_of(request: Request, kind: str) -> WebSession:
    """The request's live session, which must be of ``kind``.

    Raises:
        LoginRequired: No session, or it expired, or it is of the other kind.
    """
    session = find_session(request)
    if session is None or session.kind != kind:
        raise LoginRequired(expired=request.cookies.get(SESSION_COOKIE) is not None, kind=kind)
    return session


def auditor_session(request: Request) -> WebSession:
    """The session of a user of the archive (the auditors' pages)."""
    return session_of(request, AUDITOR)


def account_session(request: Request) -> WebSession:
    """The session of an account of the workspace (the workspace's pages)."""
    return session_of(request, ACCOUNT)


def lookup_refused(request: Request, template: str) -> HTMLResponse | None:
    """The 429 page, from ``template``, when this address looked up too many codes.

    None when the look-up may go on (it is counted against the minute's limit).
    """
    if web_state(request).lookups.allow(client_address(request)):
        return None
    message = {"title": "查询过于频繁", "message": "请稍等一分钟后再查询。"}
    return render(request, template, message, status=429)


def posted_sheet(request: Request, code: str, template: str) -> Response:
    """The sheet of the notice ``code`` as posted and archived (never its internal copy).

    Look-ups are limited per address (the 429 page from ``template``).

    Raises:
        InputInvalid: Not a verification code.
        NotArchived: No notice has it, or its sheet is not as archived.
    """
    refused = lookup_refused(request, template)
    if refused is not None:
        return refused
    notice, data = web_state(request).backend.notice_sheet(normalise_code(code))
    return file_response(data, notice.sheet.path)


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, status: int = 200
) -> HTMLResponse:
    """A page from its template and context."""
    return web_state(request).templates.TemplateResponse(
        request, name, context or {}, status_code=status
    )


def wants_json(request: Request) -> bool:
    """Whether the client asked for the page's JSON twin (``?format=json`` or ``Accept``)."""
    accept = request.headers.get("accept", "")
    return request.query_params.get("format") == "json" or accept.startswith("application/json")


def page(request: Request, name: str, context: dict[str, Any], *, status: int = 200) -> Response:
    """A page, or its JSON twin made from the same context (for scripts and tests).

    Only the context's plain data goes into the JSON (values under keys starting
    with ``_`` are for the template alone).
    """
    if wants_json(request):
        data = {key: value for key, value in context.items() if not key.startswith("_")}
        return JSONResponse(_jsonable(data), status_code=status)
    return render(request, name, context, status=status)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def set_cookie(response: Response, state: WebState, name: str, value: str, path: str) -> None:
    """An HttpOnly, SameSite=Strict cookie (Secure behind TLS)."""
    response.set_cookie(
        name, value, path=path, httponly=True, samesite="strict",
        secure=state.config.secure_cookies,
    )  # fmt: skip


def file_response(data: bytes, name: str, media_type: str | None = None) -> Response:
    """A file for the browser: PDFs inline (its viewer), anything else as a download."""
    pdf = name.lower().endswith(".pdf")
    disposition = "inline" if pdf else "attachment"
    ascii_name = "".join(c if (c.isascii() and c.isalnum()) or c in ".-_" else "_" for c in name)
    return Response(
        data,
        media_type=media_type or ("application/pdf" if pdf else "application/octet-stream"),
        headers={
            "Content-Disposition": f'{disposition}; filename="{ascii_name}"; '
            f"filename*=UTF-8''{quote(name)}"
        },
    )
