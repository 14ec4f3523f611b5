"""The web pages: auditors' search, case files and access log; the public notice check.

Routes (all server-rendered, Chinese text):

=====================================  ================================================
``GET /``                              公告核验: enter (or scan) a notice's code
``GET /verify?code=…``                 the notice with that code (its board page), or 未找到
``GET /verify/{code}/sheet.pdf``       the sheet as posted (masked), inline
``GET|POST /login``, ``POST /logout``  auditors log in with their audit token
``GET /audit/search?…``                search form and results, with paging (logged)
``GET /audit/record/{code}``           a package: metadata, PDFs, verification report
``GET /audit/record/{code}/files/…``   one PDF of it, inline (logged)
``GET /audit/record/{code}/package.zip``  the BagIt package as a zip (logged)
``GET /audit/log``                     the access log (admin role; logged)
=====================================  ================================================

Every failure a user can meet (a wrong code, an expired session, a missing role,
storage down) is a page saying what happened, never a stack trace.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, FastAPI, Form, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from pipeline.accounts.model import Scope
from pipeline.accounts.store import AccountStore
from pipeline.archive.auditors import AuditorRegistry, Role
from pipeline.archive.index import MAX_LIMIT
from pipeline.archive.metadata import UnitKind
from pipeline.archive.sealing import SEALED_SUFFIX
from pipeline.config import Settings, load_settings
from pipeline.errors import (
    AccessDenied,
    InputInvalid,
    NotArchived,
    StorageError,
    TooManyAttempts,
    XwqlError,
)
from pipeline.jobs.messages import READ_ACCESS_LOG
from pipeline.rules.calendar import CHINA, china_today, parse_iso_date
from pipeline.web import labels
from pipeline.web.backend import ArchiveBackend, normalise_code
from pipeline.web.board import BOARD_ROUTERS
from pipeline.web.config import WebConfig
from pipeline.web.messages import FORM_EXPIRED
from pipeline.web.opened import OpenedOnce
from pipeline.web.security import RateLimiter, new_token, same_token
from pipeline.web.state import (
    ACCOUNT,
    AUDITOR,
    LOGIN_COOKIE,
    SESSION_COOKIE,
    LoginRequired,
    WebSession,
    WebState,
    auditor_session,
    client_address,
    file_response,
    find_session,
    lookup_refused,
    posted_sheet,
    render,
    set_cookie,
    web_state,
)
from pipeline.web.workspace import WORKSPACE_ROUTERS
from pipeline.workspace import Workspace

logger = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
MAX_TOKEN_INPUT = 200
MAX_NAME_INPUT = 40
MAX_PAGE = 10_000
SEARCH_FIELDS = ("text", "village", "town", "item", "person", "id_number", "code", "kind")
_CSP = (
    "default-src 'self'; img-src 'self' data:; object-src 'self'; frame-src 'self'; "
    "frame-ancestors 'self'; form-action 'self'; base-uri 'none'"
)


def _context(request: Request) -> dict[str, Any]:
    """What every template sees: the logged-in session (if the route looked it up), labels."""
    return {"session": getattr(request.state, "session", None), "labels": labels}


SessionDep = Annotated[WebSession, Depends(auditor_session)]


# --- public ----------------------------------------------------------------------------

public = APIRouter()


@public.get("/", response_class=HTMLResponse)
def verify_form(request: Request) -> HTMLResponse:
    """The public verification page: a form for the code printed on a notice."""
    return render(request, "verify.html")


@public.get("/verify", response_class=HTMLResponse)
def verify(request: Request, code: str = "") -> Response:
    """Whether a notice with this code was issued, and the notice as posted.

    A notice the case store registered goes on to its page on the village board
    (``/n/{code}``); one only the archive knows is shown here.
    """
    if not code.strip():
        return render(request, "verify.html", {"error": "请输入公告上的核验码。"}, status=400)
    refused = lookup_refused(request, "error.html")
    if refused is not None:
        return refused
    try:
        normal = normalise_code(code)
    except InputInvalid:
        error = "核验码格式不对：应为 8 位字母和数字，如 7K3D-Q9XM。"
        return render(request, "verify.html", {"error": error, "code": code[:40]}, status=400)
    if web_state(request).workspace.get().store.notice(normal) is not None:
        return RedirectResponse(f"/n/{normal}", status_code=303)  # the board's page of it
    notice = web_state(request).backend.find_notice(normal)
    if notice is None:
        return render(request, "not_found.html", {"code": normal}, status=404)
    return render(request, "notice.html", {"notice": notice})


@public.get("/verify/{code}/sheet.pdf")
def notice_sheet(request: Request, code: str) -> Response:
    """The notice as posted (the masked sheet, never the internal copy)."""
    return posted_sheet(request, code, "error.html")


# --- login -----------------------------------------------------------------------------

auth = APIRouter()

HOME = {AUDITOR: "/audit/search", ACCOUNT: "/w"}
"""Where each kind of user starts."""


def _login_page(request: Request, *, message: str = "", status: int = 200) -> HTMLResponse:
    state = web_state(request)
    form_token = new_token()
    response = render(
        request, "login.html", {"message": message, "form_token": form_token}, status=status
    )
    set_cookie(response, state, LOGIN_COOKIE, form_token, "/login")
    if request.cookies.get(SESSION_COOKIE) and status == 401:
        response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@auth.get("/login", response_class=HTMLResponse)
def login_form(request: Request, bye: int = 0) -> Response:
    """The login form of every user (a logged-in user goes on to their start page)."""
    session = find_session(request)
    if session is not None:
        return RedirectResponse(HOME[session.kind], status_code=303)
    return _login_page(request, message="已退出登录。" if bye else "")


@auth.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    name: Annotated[str, Form(max_length=MAX_NAME_INPUT)] = "",
    password: Annotated[str, Form(max_length=MAX_TOKEN_INPUT)] = "",
    token: Annotated[str, Form(max_length=MAX_TOKEN_INPUT)] = "",
    form_token: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Log in with an account's name and password, or with an audit token.

    The password or token is checked once and never kept; the session lives in the
    database. Logins are limited per address, and an account is locked after five
    wrong passwords (every failure is logged).
    """
    state = web_state(request)
    address = client_address(request)
    if not same_token(form_token, request.cookies.get(LOGIN_COOKIE)):
        return _login_page(request, message="登录表单已失效，请重新输入。", status=403)
    try:
        state.accounts.limit(
            "login", address, per=dt.timedelta(minutes=1), most=state.config.logins_per_minute
        )
        if token.strip():
            user = state.users.authenticate(token)
            kind, who, role, scope = AUDITOR, user.name, user.role.value, Scope()
        else:
            account = state.accounts.authenticate(name.strip(), password, address=address)
            kind, who, role, scope = ACCOUNT, account.name, account.role.value, account.scope
    except TooManyAttempts as exc:
        refused = _login_page(request, message=str(exc).split(" / ")[0], status=429)
        refused.headers["Retry-After"] = str(math.ceil(exc.retry_after))
        return refused
    except AccessDenied:
        message = "审计口令无效（已吊销或输入有误）。" if token.strip() else "账号或密码不对。"
        return _login_page(request, message=message, status=401)
    state.accounts.end_session(request.cookies.get(SESSION_COOKIE))
    # Sessions past their lifetime and old limit events go here, not in a job of their own.
    state.accounts.drop_expired(older_than=max(state.lifetime, dt.timedelta(days=1)))
    session_id, _ = state.accounts.start_session(kind=kind, name=who, role=role, scope=scope)
    response = RedirectResponse(HOME[kind], status_code=303)
    set_cookie(response, state, SESSION_COOKIE, session_id, "/")
    response.delete_cookie(LOGIN_COOKIE, path="/login")
    return response


@auth.post("/logout")
def logout(request: Request, form_token: Annotated[str, Form(max_length=100)] = "") -> Response:
    """End the session (the form carries the session's token)."""
    session = find_session(request)
    if session is None:
        raise LoginRequired(expired=request.cookies.get(SESSION_COOKIE) is not None)
    if not same_token(form_token, session.csrf):
        raise AccessDenied(FORM_EXPIRED())
    web_state(request).accounts.end_session(session.id)
    response = RedirectResponse("/login?bye=1", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


# --- auditors ----------------------------------------------------------------------------

audit = APIRouter(prefix="/audit")


@audit.get("")
def audit_home(session: SessionDep) -> Response:
    """The auditors' start page is the search."""
    return RedirectResponse("/audit/search", status_code=303)


def _filters(form: dict[str, str]) -> dict[str, object]:
    """The search's filters from the form, as ``ArchiveIndex.search`` takes them.

    Raises:
        InputInvalid: A date is not YYYY-MM-DD.
    """
    filters: dict[str, object] = {name: form.get(name) or None for name in SEARCH_FIELDS}
    filters["exact_person"] = bool(form.get("exact"))
    filters["date_from"] = parse_iso_date(form["from"]) if form.get("from") else None
    filters["date_to"] = parse_iso_date(form["to"]) if form.get("to") else None
    return filters


@audit.get("/search", response_class=HTMLResponse)
def search(request: Request, session: SessionDep) -> HTMLResponse:
    """The search form; with a query, one page of results (every search is logged)."""
    state = web_state(request)
    form = {key: value.strip()[:500] for key, value in request.query_params.items()}
    context: dict[str, Any] = {
        "form": form,
        "kinds": [kind.value for kind in UnitKind],
        "internal": session.user.role.allows(Role.INTERNAL),
    }
    if not request.query_params:
        return render(request, "search.html", context)
    try:
        page_number = min(max(int(form.get("page") or 1), 1), MAX_PAGE)
    except ValueError:
        page_number = 1
    size = state.config.page_size
    try:
        found = state.backend.search(
            session.user, _filters(form), limit=size, offset=(page_number - 1) * size
        )
    except InputInvalid as exc:
        context["error"] = str(exc).split(" / ")[0]
        return render(request, "search.html", context, status=400)
    pages = max(math.ceil(found.total / size), 1)
    query = {k: v for k, v in form.items() if k != "page" and v}

    def page_link(number: int) -> str:
        return "/audit/search?" + urlencode({**query, "page": number})

    context.update(
        results=found.entries, total=found.total, page=page_number, pages=pages,
        first=(page_number - 1) * size + 1, page_link=page_link,
    )  # fmt: skip
    return render(request, "search.html", context)


@audit.get("/record/{code}", response_class=HTMLResponse)
def record(request: Request, session: SessionDep, code: str) -> HTMLResponse:
    """A package: metadata, PDFs with a viewer, the verification report (logged)."""
    view = web_state(request).backend.case_file(session.user, code)
    return render(request, "record.html", {"view": view})


@audit.get("/record/{code}/package.zip")
def package_zip(request: Request, session: SessionDep, code: str) -> Response:
    """The BagIt package as a zip file (logged as a download)."""
    data = web_state(request).backend.package_zip(session.user, code)
    return Response(
        data,
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{code}.zip"'},
    )


@audit.get("/record/{code}/files/{path:path}")
def document(request: Request, session: SessionDep, code: str, path: str) -> Response:
    """One file of a package as archived; PDFs open in the browser (logged as a view).

    A sealed file comes opened (internal role only), under its plain name.
    """
    data = web_state(request).backend.document(session.user, code, path)
    return file_response(data, path.rsplit("/", 1)[-1].removesuffix(SEALED_SUFFIX))


@audit.get("/log", response_class=HTMLResponse)
def access_log(
    request: Request, session: SessionDep, actor: str = "", start: str = "", end: str = ""
) -> HTMLResponse:
    """The access log, newest first, by Beijing date (admin role; reading it is logged)."""
    session.user.require(Role.ADMIN, READ_ACCESS_LOG)
    today = china_today()
    try:
        first = parse_iso_date(start) if start else today - dt.timedelta(days=6)
        last = parse_iso_date(end) if end else today
    except InputInvalid as exc:
        raise InputInvalid("日期格式应为 YYYY-MM-DD") from exc
    since = dt.datetime.combine(first, dt.time(), CHINA)
    until = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), CHINA)
    lines = web_state(request).backend.accesses(
        session.user, actor=actor.strip()[:200] or None, since=since, until=until
    )
    context = {
        "lines": [(line, line.at.astimezone(CHINA)) for line in lines],
        "actor": actor, "start": first.isoformat(), "end": last.isoformat(),
        "truncated": len(lines) >= MAX_LIMIT, "limit": MAX_LIMIT,
    }  # fmt: skip
    return render(request, "log.html", context)


# --- errors --------------------------------------------------------------------------------

_ERRORS: list[tuple[type[XwqlError], int, str, str]] = [
    (AccessDenied, 403, "无权访问", "您的角色无权进行此操作。"),
    (NotArchived, 404, "未找到", "档案库中没有所查找的内容。"),
    (InputInvalid, 400, "输入有误", "请检查输入后重试。"),
    (StorageError, 503, "档案存储暂时无法访问", "档案存储服务暂时无法访问，请稍后再试。"),
    (XwqlError, 500, "处理失败", "请求未能完成，请稍后再试。"),
]


def _error_page(request: Request, status: int, title: str, message: str) -> HTMLResponse:
    return render(request, "error.html", {"title": title, "message": message}, status=status)


def _logged_in(request: Request) -> bool:
    return find_session(request) is not None


async def _xwql_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, XwqlError)
    status, title, message = next((s, t, m) for k, s, t, m in _ERRORS if isinstance(exc, k))
    if status >= 500:
        logger.warning("%s %s: %s", request.method, request.url.path, exc)
    # An auditor sees what went wrong; the public only the plain sentence.
    detail = str(exc).split(" / ")[0] if _logged_in(request) else ""
    if detail:
        message = f"{message}（{detail}）" if status >= 500 else detail
    return _error_page(request, status, title, message)


async def _login_required(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LoginRequired)
    if exc.expired:
        minutes = round(web_state(request).config.session_idle / 60)
        message = f"登录已过期（{minutes} 分钟未操作）或已失效，请重新登录。"
    elif exc.kind == ACCOUNT:
        message = "请先用账号和密码登录。"
    else:
        message = "请先用审计口令登录。"
    return _login_page(request, message=message, status=401)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    titles = {404: "页面不存在", 405: "不支持的请求方式"}
    title = titles.get(exc.status_code, "请求无法处理")
    return _error_page(request, exc.status_code, title, "请从首页重新进入。")


async def _invalid_request(request: Request, exc: Exception) -> Response:
    return _error_page(request, 400, "请求参数有误", "请检查输入后重试。")


async def _unexpected(request: Request, exc: Exception) -> Response:
    logger.exception("unexpected error on %s %s", request.method, request.url.path)
    return _error_page(request, 500, "内部错误", "服务器内部错误，已记录，请稍后再试。")


# --- the app --------------------------------------------------------------------------------


def create_app(
    settings: Settings,
    *,
    config: WebConfig | None = None,
    clock: Callable[[], dt.datetime] | None = None,
) -> FastAPI:
    """The web app over the archive and case store the settings name.

    Args:
        settings: The settings (the same ``XWQL_*`` as the command line).
        config: Session, paging and limit settings (default: from the environment).
        clock: The time now, in UTC, for sessions, lock-outs and limits (injectable
            for tests).

    Returns:
        The app; serve it with uvicorn on 127.0.0.1 (``xwql web``).
    """
    config = config or WebConfig()
    now = clock or (lambda: dt.datetime.now(dt.UTC))
    backend = ArchiveBackend(settings)
    workspace = OpenedOnce(lambda: Workspace.open(settings))
    accounts = AccountStore.of(settings, clock=now)
    users = AuditorRegistry.of(settings, clock=now)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        backend.close()
        workspace.close()
        accounts.close()
        users.close()

    app = FastAPI(title="xwql", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    templates = Jinja2Templates(directory=HERE / "templates", context_processors=[_context])
    # The templates ship with the package: no need to look at each file's time on every page.
    templates.env.auto_reload = False
    app.state.web = WebState(
        settings=settings,
        config=config,
        backend=backend,
        workspace=workspace,
        accounts=accounts,
        users=users,
        lookups=RateLimiter(config.lookups_per_minute, clock=lambda: now().timestamp()),
        templates=templates,
    )
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    for router in (public, auth, audit, *WORKSPACE_ROUTERS, *BOARD_ROUTERS):
        app.include_router(router)
    app.add_exception_handler(LoginRequired, _login_required)
    app.add_exception_handler(XwqlError, _xwql_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(Exception, _unexpected)

    @app.middleware("http")
    async def headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", _CSP)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Frame-Options"] = "SAMEORIGIN"
        if not request.url.path.startswith("/static/"):
            response.headers["Cache-Control"] = "no-store"
        return response

    return app


def app_from_environment() -> FastAPI:
    """The app as ``xwql web`` serves it: settings and web config from the environment."""
    return create_app(load_settings(), config=WebConfig())
