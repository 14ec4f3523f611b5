"""Objections (异议) to a notice and reports (反映问题) to the supervision committee.

=========================================  ============================================
``GET|POST /n/{code}/objection``           提出异议 to a notice while its period runs
``GET|POST /v/{village}/report``           反映问题 to the village's supervision committee
``GET /objection``                         the form to follow a receipt (回执码)
``GET /objection/{receipt}``               where it stands, and the committee's answer
=========================================  ============================================

No account is needed. The forms carry a token that their own page set in a cookie
(so another site cannot post them), sends are limited per address and per notice
in the database (every worker counts them together), and every send and refusal
goes into the log of writes with its address. The pages show what was written
literally (escaped) and never the objector's name, phone or photo.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import shutil
import uuid
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from pipeline.cases.verification import parse_verification_code
from pipeline.errors import AccessDenied, InputInvalid, NotArchived, TooManyAttempts
from pipeline.jobs.board import find_notice, village_place
from pipeline.jobs.objections import (
    MAX_PHOTO,
    MAX_TEXT,
    Submission,
    object_to_notice,
    public_view,
    report_problem,
)
from pipeline.web.messages import FORM_EXPIRED, NO_NOTICE_WITH_CODE, NO_SUCH_VILLAGE
from pipeline.web.security import new_token, same_token
from pipeline.web.state import client_address, page, render, set_cookie, web_state
from pipeline.web.uploads import ReceivedForm, UploadRefused, receive_form
from pipeline.web.workspace.base import open_workspace, today

router = APIRouter()

FORM_COOKIE = "xwql_board_form"
FIELD_LIMIT = 64 * 1024
"""Bytes the text field may hold: room for 2 000 characters and more, so that a longer
text is refused with the page's own words rather than as a broken form."""
MINUTE = dt.timedelta(minutes=1)
PUBLIC_ACTOR = "村民"
"""Who the log of writes names for a villager (no account)."""


def _form_page(
    request: Request, context: dict[str, Any], *, status: int = 200, form: str = ""
) -> HTMLResponse:
    """The objection or report form, with a fresh token in the page and its cookie."""
    token = new_token()
    values = {"form_token": token, "max_text": MAX_TEXT, "max_photo_mb": MAX_PHOTO >> 20}
    response = render(request, "board/objection_form.html", context | values, status=status)
    set_cookie(response, web_state(request), FORM_COOKIE, token, form or request.url.path)
    return response


def _limit(request: Request, *, notice: str | None) -> None:
    """Count one send from this address (and to this notice); refuse past the limits.

    Raises:
        TooManyAttempts: Over a limit (logged with the address).
    """
    state = web_state(request)
    address = client_address(request)
    hour = dt.timedelta(hours=1)
    try:
        state.accounts.limit("objection", address, per=hour, most=state.config.objections_per_hour)
        if notice is not None:
            state.accounts.limit(
                "objection-notice", notice, per=hour, most=state.config.objections_per_notice
            )
    except TooManyAttempts:
        # Logged once a minute per address: a flood costs the database reads, not writes.
        with contextlib.suppress(TooManyAttempts):
            state.accounts.limit("objection-limited-log", address, per=MINUTE, most=1)
            state.accounts.log(
                PUBLIC_ACTOR, "objection-limited", notice or "report", address=address
            )
        raise


async def _receive(request: Request, folder: Path) -> Submission:
    """The villager's form, its photo read into memory (at most 5 MB), its token checked."""
    expected = request.cookies.get(FORM_COOKIE)

    def check(fields: dict[str, str]) -> None:
        if not same_token(fields.get("form_token", ""), expected):
            raise AccessDenied(FORM_EXPIRED())

    form: ReceivedForm = await receive_form(
        request, folder, limit=MAX_PHOTO, field_limit=FIELD_LIMIT,
        fields=("form_token", "text", "name", "phone"), files=("photo",), before_files=check,
    )  # fmt: skip
    photo = form.files.get("photo")
    return Submission(
        text=form.fields.get("text", ""),
        name=form.fields.get("name", ""),
        phone=form.fields.get("phone", ""),
        photo=photo.path.read_bytes() if photo is not None and photo.size else None,
    )


def _scratch(request: Request) -> Path:
    return web_state(request).settings.data / "work" / "web" / f"objection-{uuid.uuid4().hex}"


async def _send(
    request: Request, context: dict[str, Any], *, notice: str | None, village: str
) -> Response:
    """Receive, check and keep one objection or report; the receipt's page, or the form again."""
    state = web_state(request)
    folder = _scratch(request)
    typed = Submission(text="")
    try:
        _limit(request, notice=notice)
        typed = await _receive(request, folder)
        workspace = open_workspace(request)
        now = state.accounts.now()
        if notice is not None:
            kept = await run_in_threadpool(
                object_to_notice, workspace, notice, typed, now=now,
                answer_days=state.config.answer_days,
            )  # fmt: skip
        else:
            kept = await run_in_threadpool(
                report_problem, workspace, village, typed, now=now,
                answer_days=state.config.answer_days,
            )  # fmt: skip
    except TooManyAttempts as exc:
        refused = _form_page(request, context | {"error": str(exc).split(" / ")[0]}, status=429)
        refused.headers["Retry-After"] = str(math.ceil(exc.retry_after))
        return refused
    except (InputInvalid, AccessDenied) as exc:
        status = exc.status if isinstance(exc, UploadRefused) else 400
        if isinstance(exc, AccessDenied):
            status = 403
        again = context | {"error": str(exc).split(" / ")[0], "typed": typed}
        return _form_page(request, again, status=status)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    state.accounts.log(
        PUBLIC_ACTOR, kept.kind.value, f"{kept.receipt} {notice or village}",
        address=client_address(request),
    )  # fmt: skip
    response = RedirectResponse(f"/objection/{kept.receipt}?new=1", status_code=303)
    response.delete_cookie(FORM_COOKIE, path=request.url.path)
    return response


# --- an objection to a notice ------------------------------------------------------------


def _notice_context(request: Request, code: str) -> dict[str, Any]:
    """What the objection form shows of its notice.

    Raises:
        InputInvalid: Not a code, or no notice has it.
    """
    normal = parse_verification_code(code)
    notice = find_notice(open_workspace(request), normal, today(request))
    if notice is None:
        raise NotArchived(NO_NOTICE_WITH_CODE(code=normal))
    return {"notice": notice, "kind": "异议", "village": notice.village}


@router.get("/n/{code}/objection", response_class=HTMLResponse)
def objection_form(request: Request, code: str) -> Response:
    """The form to object to a notice; after its period, where to report instead."""
    context = _notice_context(request, code)
    if not context["notice"].in_period:
        return render(request, "board/objection_closed.html", context, status=409)
    return _form_page(request, context)


@router.post("/n/{code}/objection")
async def send_objection(request: Request, code: str) -> Response:
    """Keep the objection; the villager goes on to its receipt."""
    context = await run_in_threadpool(_notice_context, request, code)
    notice = context["notice"]
    return await _send(request, context, notice=notice.code, village=notice.village)


# --- a report to the supervision committee -----------------------------------------------


def _village_context(request: Request, village: str) -> dict[str, Any]:
    place = village_place(open_workspace(request), village)
    if place is None:
        raise NotArchived(NO_SUCH_VILLAGE(village=village[:40]))
    return {"place": place, "kind": "反映问题", "village": place.village.code}


@router.get("/v/{village}/report", response_class=HTMLResponse)
def report_form(request: Request, village: str) -> Response:
    """The form to report a problem to the village's supervision committee."""
    return _form_page(request, _village_context(request, village))


@router.post("/v/{village}/report")
async def send_report(request: Request, village: str) -> Response:
    """Keep the report; the villager goes on to its receipt."""
    context = await run_in_threadpool(_village_context, request, village)
    return await _send(request, context, notice=None, village=context["village"])


# --- following a receipt -----------------------------------------------------------------


@router.get("/objection", response_class=HTMLResponse)
def receipt_form(request: Request, receipt: str = "") -> Response:
    """The form to follow a receipt code; a code given goes on to its page."""
    if not receipt.strip():
        return render(request, "board/receipt.html", {})
    try:
        normal = parse_verification_code(receipt[:40])
    except InputInvalid:
        error = "回执码格式不对：应为 8 位字母和数字，如 7K3D-Q9XM。"
        return render(request, "board/receipt.html", {"error": error}, status=400)
    return RedirectResponse(f"/objection/{normal}", status_code=303)


@router.get("/objection/{receipt}")
def objection_page(request: Request, receipt: str, new: int = 0) -> Response:
    """Where an objection or report stands, and the committee's answer once given."""
    if not web_state(request).lookups.allow(client_address(request)):
        error = "查询过于频繁，请稍等一分钟后再查询。"
        return render(request, "board/receipt.html", {"error": error}, status=429)
    workspace = open_workspace(request)
    try:
        objection = workspace.objections.get(parse_verification_code(receipt[:40]))
    except InputInvalid:
        error = f"没有回执码为 {receipt[:40]} 的异议或反映，请核对后再查。"
        return render(request, "board/receipt.html", {"error": error}, status=404)
    view = public_view(workspace, objection, today(request))
    return page(request, "board/objection.html", {"objection": view.as_dict(), "new": bool(new)})
