"""The supervision desk (监督台): objections and reports to answer, and what to watch.

=========================================  ============================================
``GET /w/supervision?village``             the inbox and the lists of the scope (or one
                                           of its villages): overdue cases,
                                           irregularities, objections overdue, notices
                                           posted late or taken down early
``GET /w/supervision/{receipt}``           one objection or report, with the contact
                                           details the villager gave; the answer form
``POST /w/supervision/{receipt}``          record the handling: 核实情况, 处理意见, date
``GET /w/supervision/{receipt}/photo``     the photo sent with it
=========================================  ============================================

Only the supervision committee's role (and the district's administrator) may open
these: the objector's name and phone are read nowhere else.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from pipeline.accounts.permissions import Action
from pipeline.cases.model import ObjectionDecision
from pipeline.cases.objections import Objection
from pipeline.cases.verification import parse_verification_code
from pipeline.errors import InputInvalid, NotArchived, XwqlError
from pipeline.jobs.objections import answer_objection, file_objections
from pipeline.jobs.supervision import supervision_desk
from pipeline.rules.calendar import parse_iso_date
from pipeline.web.messages import NO_PHOTO, OBJECTION_FILING_FAILED
from pipeline.web.state import WebSession, page, web_state
from pipeline.web.workspace.base import (
    AccountDep,
    check_form,
    log,
    open_workspace,
    places,
    places_for,
    require,
    today,
)

router = APIRouter(prefix="/w/supervision")

MAX_FINDINGS = 2000


def _objection(request: Request, session: WebSession, receipt: str) -> Objection:
    """The objection ``receipt``, if the session may answer for its village.

    Raises:
        InputInvalid: Not a receipt code, or no such objection.
        AccessDenied: Its village is outside the scope, or the role answers nothing (logged).
    """
    workspace = open_workspace(request)
    objection = workspace.objections.get(parse_verification_code(receipt[:40]))
    require(request, session, Action.ANSWER_OBJECTIONS, workspace.directory.get(objection.village))
    return objection


@router.get("")
def desk(request: Request, session: AccountDep, village: str = "") -> Response:
    """The inbox and the lists of the scope, or of one of its villages."""
    workspace = open_workspace(request)
    chosen = places_for(request, session, Action.ANSWER_OBJECTIONS, village)
    day = today(request)
    scope = places(request, session, Action.ANSWER_OBJECTIONS)
    context = {
        "scope": session.scope.label(workspace.directory), "today": day, "village": village,
        "villages": [(p.village.code, p.village.name) for p in scope],
        "names": {p.village.code: p.village.name for p in scope},
        "desk": supervision_desk(workspace, chosen, day),
    }  # fmt: skip
    return page(request, "workspace/supervision.html", context)


@router.get("/{receipt}")
def objection(request: Request, session: AccountDep, receipt: str, unfiled: int = 0) -> Response:
    """One objection or report with its contact details, and the form to answer it."""
    error = OBJECTION_FILING_FAILED.zh if unfiled else ""
    return _page(request, _objection(request, session, receipt), error)


def _page(request: Request, found: Objection, error: str = "", status: int = 200) -> Response:
    workspace = open_workspace(request)
    place = workspace.directory.get(found.village)
    item = workspace.catalog.get(found.item_code) if found.item_code else None
    context = {
        "objection": found, "place": f"{place.town.name}{place.village.name}",
        "item": f"{item.code} {item.name}" if item else "", "today": today(request),
        "decisions": [d.value for d in ObjectionDecision], "error": error,
        "overdue": found.overdue(today(request)),
    }  # fmt: skip
    return page(request, "workspace/objection.html", context, status=status)


@router.post("/{receipt}")
def answer(
    request: Request,
    session: AccountDep,
    receipt: str,
    findings: Annotated[str, Form(max_length=MAX_FINDINGS * 4)] = "",
    decision: Annotated[str, Form(max_length=10)] = "",
    answered_on: Annotated[str, Form(max_length=20)] = "",
    form_token: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Record the committee's handling; the villager sees it on the receipt's page."""
    check_form(session, form_token)
    found = _objection(request, session, receipt)
    workspace = open_workspace(request)
    if decision not in {d.value for d in ObjectionDecision}:
        return _page(request, found, "请选择处理意见。", 400)
    if len(findings.strip()) > MAX_FINDINGS:
        return _page(request, found, "核实情况最多 2000 字。", 400)
    day = parse_iso_date(answered_on) if answered_on.strip() else today(request)
    if day > today(request):
        return _page(request, found, "答复日期不能晚于今天。", 400)
    try:
        answer_objection(
            workspace, found.receipt, findings=findings, decision=ObjectionDecision(decision),
            answered_on=day, answered_by=session.name,
        )  # fmt: skip
    except InputInvalid as exc:
        return _page(request, found, str(exc).split(" / ")[0], 409)
    log(request, session, "answer-objection", f"{found.receipt} {decision}")
    try:
        filed = file_objections(web_state(request).settings, [found.receipt])
        log(request, session, "objection-filed", f"{found.receipt} {filed[0].archival_code}")
        return RedirectResponse(f"/w/supervision/{found.receipt}", status_code=303)
    except XwqlError as exc:
        # The answer stands: the district's monthly run files the record.
        log(request, session, "objection-filing-failed", f"{found.receipt}: {exc}")
        return RedirectResponse(f"/w/supervision/{found.receipt}?unfiled=1", status_code=303)


@router.get("/{receipt}/photo")
def photo(request: Request, session: AccountDep, receipt: str) -> Response:
    """The photo the villager sent (checked as a JPEG or PNG when it came)."""
    found = _objection(request, session, receipt)
    data = open_workspace(request).objections.photo(found.receipt)
    if data is None or found.photo_type is None:
        raise NotArchived(NO_PHOTO(receipt=found.receipt))
    return Response(data, media_type=found.photo_type, headers={"Cache-Control": "private"})
