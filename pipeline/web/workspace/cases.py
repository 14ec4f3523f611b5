"""The cases of a clerk's village or an office's town: list, case page, recording a step.

=========================================  =============================================
``GET /w``                                 the start page: the villages of the scope
``GET /w/cases?village&item&status&flag``  cases with next step, due date, days left
``GET /w/cases/{id}``                      one case: steps, deadlines, irregularities,
                                           versions, its documents
``GET|POST /w/cases/{id}/step``            record the next step (refused as the CLI
                                           refuses; an office may force with a reason)
``POST /w/cases/{id}/documents``           write the case's own documents (stamped)
``GET /w/cases/{id}/files/{name}``         one of them, to open or print
=========================================  =============================================

Every page has a JSON twin (``?format=json``) made from the same context.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from pipeline.accounts.permissions import Action, allowed
from pipeline.cases.model import Advisory, Case, CaseObjection, CaseStatus, Irregularity, Person
from pipeline.catalog.model import StepKind
from pipeline.errors import InputInvalid, StepRefused
from pipeline.jobs.cases import CaseOverview, StepEntry, case_documents, case_overview, record_step
from pipeline.rules.actors import actor_alternatives
from pipeline.rules.calendar import parse_iso_date
from pipeline.rules.deadlines import step_due_dates
from pipeline.units.notices import notice_jobs
from pipeline.web import labels
from pipeline.web.state import WebSession, file_response, page, web_state
from pipeline.web.workspace.base import (
    AccountDep,
    case_for,
    check_form,
    log,
    open_workspace,
    places,
    require,
    today,
)
from pipeline.workspace import Workspace

router = APIRouter(prefix="/w")

FLAGS = {"overdue": "逾期", "irregular": "有异常"}
MAX_TEXT = 500


def case_folder(request: Request, case: Case) -> Path:
    """Where the pages write a case's own documents (inside the data folder)."""
    return web_state(request).settings.data / "web" / "cases" / case.village / case.case_id


def _row(seen: CaseOverview) -> dict[str, Any]:
    case = seen.case
    return {
        "case_id": case.case_id,
        "village": seen.place.village.name,
        "item": f"{seen.item.code} {seen.item.name}",
        "applicant": case.applicant.name,
        "received_on": case.received_on,
        "status": case.status.value,
        "next_step": seen.next_step.name if seen.next_step else "",
        "step_due": seen.step_due,
        "days_left": seen.days_left,
        "day_unit": "工作日" if seen.working_days else "日",
        "late": seen.late,
        "irregularities": len(case.irregularities),
    }


@router.get("")
def home(request: Request, session: AccountDep) -> Response:
    """The start page: each village of the scope with its open, late and irregular cases."""
    workspace = open_workspace(request)
    day = today(request)
    villages = []
    for place in places(request, session, Action.VIEW_CASES):
        seen = [
            case_overview(workspace, c, day)
            for c in workspace.store.find(village=place.village.code)
        ]
        villages.append(
            {
                "code": place.village.code, "name": place.village.name, "town": place.town.name,
                "open": sum(1 for s in seen if s.case.status == CaseStatus.OPEN),
                "late": sum(1 for s in seen if s.late),
                "irregular": sum(1 for s in seen if s.case.irregularities),
            }
        )  # fmt: skip
    directory = workspace.directory
    context = {"scope": session.scope.label(directory), "today": day, "villages": villages}
    return page(request, "workspace/home.html", context)


@router.get("/cases")
def cases(
    request: Request,
    session: AccountDep,
    village: str = "",
    item: str = "",
    status: str = "",
    flag: str = "",
) -> Response:
    """The cases of the scope (or of one of its villages), with their deadlines."""
    workspace = open_workspace(request)
    day = today(request)
    scope = places(request, session, Action.VIEW_CASES)
    chosen = scope
    if village:
        place = workspace.directory.get(village)
        require(request, session, Action.VIEW_CASES, place)
        chosen = [place]
    item_code = workspace.catalog.get(item).code if item else None
    rows = []
    for place in chosen:
        found = workspace.store.find(
            village=place.village.code, item_code=item_code, status=status or None
        )
        for case in found:
            seen = case_overview(workspace, case, day)
            if (flag == "overdue" and not seen.late) or (
                flag == "irregular" and not case.irregularities
            ):
                continue
            rows.append(_row(seen))
    rows.sort(key=lambda r: (r["village"], r["case_id"]))
    context = {
        "rows": rows, "today": day,
        "filters": {"village": village, "item": item, "status": status, "flag": flag},
        "villages": [(p.village.code, p.village.name) for p in scope],
        "items": sorted({(c.code, c.name) for c in workspace.catalog.items}),
        "statuses": [s.value for s in CaseStatus], "flags": FLAGS,
    }  # fmt: skip
    return page(request, "workspace/cases.html", context)


def _objection(kept: CaseObjection) -> dict[str, object]:
    """An objection to the case's notice as its page lists it (the objector is not named)."""
    answer = kept.answer
    return {
        "receipt": kept.receipt, "received_on": kept.received_on, "due_on": kept.due_on,
        "text": kept.text, "blocking": kept.in_period and answer is None,
        "state": f"已答复：异议{answer.decision.value}" if answer else "待监督委员会答复",
        "findings": answer.findings if answer else "",
    }  # fmt: skip


@router.get("/cases/{case_id}")
def case_page(request: Request, session: AccountDep, case_id: str) -> Response:
    """One case: who, what, every step with its deadline, irregularities, versions, documents."""
    case = case_for(request, session, case_id, Action.VIEW_CASES)
    workspace = open_workspace(request)
    seen = case_overview(workspace, case, today(request))
    folder = case_folder(request, case)
    context = {
        "case": _row(seen),
        "applicants": [_person(person) for person in case.applicants],
        "reason": case.reason,
        "decision": case.decision or "",
        "result": case.result or "",
        "first_contact_officer": case.first_contact_officer,
        "proxy": case.proxy.name if case.proxy else "",
        "case_due": seen.case_due,
        "steps": _steps(case, seen),
        "irregularities": [_irregularity(i) for i in case.irregularities],
        "advisories": [_advisory(a) for a in case.advisories],
        "objections": [_objection(o) for o in case.objections],
        "versions": [
            {"recorded_at": v.recorded_at, "source": v.source}
            for v in workspace.store.history(case.case_id)
        ],
        "documents": sorted(p.name for p in folder.glob("*.pdf")) if folder.is_dir() else [],
        "notices": _notices(workspace, case, seen),
        "may_step": seen.next_step is not None
        and bool(allowed(session.role, session.scope, Action.RECORD_STEP, seen.place)),
        "may_documents": bool(
            allowed(session.role, session.scope, Action.PRINT_NOTICES, seen.place)
        ),
    }
    return page(request, "workspace/case.html", context)


def _person(person: Person) -> dict[str, str]:
    """An applicant in full: the clerk's page is internal (public documents are masked)."""
    return {
        "name": person.name,
        "id_number": person.id_number or "",
        "phone": person.phone or "",
        "address": person.address or "",
    }


def _advisory(advisory: Advisory) -> dict[str, Any]:
    return {
        "step": advisory.step,
        "date": advisory.date,
        "message": advisory.message.split(" / ")[0],
    }


def _irregularity(irregularity: Irregularity) -> dict[str, Any]:
    return _advisory(irregularity) | {"reason": irregularity.reason}


def _steps(case: Case, seen: CaseOverview) -> list[dict[str, Any]]:
    """Each step of the item's flow: done when and by whom, due when, forced why."""
    done = {record.step: record for record in case.steps}
    rows = []
    for due in step_due_dates(case, seen.item):
        record = done.get(due.step.id)
        rows.append(
            {
                "id": due.step.id,
                "name": due.step.name,
                "actor": due.step.actor,
                "done_on": due.done_on,
                "by": record.actor if record else "",
                "due": due.due,
                "forced": (record.forced_reason or "") if record else "",
                "waiting": seen.next_step is not None and due.step.id == seen.next_step.id,
            }
        )
    return rows


def _notices(workspace: Workspace, case: Case, seen: CaseOverview) -> list[dict[str, Any]]:
    """The case's 公示 and 结果公开: the day each is posted, whether printed, where to print it."""
    rows = []
    for job in notice_jobs(case, seen.item, seen.place):
        printed = workspace.store.notice(job.verification_code) is not None
        rows.append(
            {
                "kind": labels.label(labels.DOCUMENTS, job.kind.value),
                "date": job.step.date,
                "period_end": job.end,
                "verification_code": job.verification_code if printed else "",
                "page": f"/w/notices?village={seen.place.village.code}&date={job.step.date}",
            }
        )
    return rows


def _step_context(
    request: Request, session: WebSession, case: Case, form: dict[str, str], refusals: list[str]
) -> dict[str, Any]:
    workspace = open_workspace(request)
    seen = case_overview(workspace, case, today(request))
    step = seen.next_step
    if step is None:
        raise InputInvalid(f"办件 {case.case_id} 的流程已全部办结 / the case's flow is complete")
    return {
        "case": _row(seen),
        "step": {
            "id": step.id, "name": step.name, "action": step.action,
            "actors": actor_alternatives(step.actor),
            "decision": step.kind == StepKind.DECISION, "proxy": case.proxy is not None,
        },
        "form": form or {"date": today(request).isoformat()},
        "refusals": refusals,
        "may_force": bool(allowed(session.role, session.scope, Action.FORCE_STEP, seen.place)),
        "_csrf": session.csrf,
    }  # fmt: skip


@router.get("/cases/{case_id}/step")
def step_form(request: Request, session: AccountDep, case_id: str) -> Response:
    """The form for the case's next step, built from its item's flow."""
    case = case_for(request, session, case_id, Action.RECORD_STEP)
    return page(request, "workspace/step.html", _step_context(request, session, case, {}, []))


@router.post("/cases/{case_id}/step")
def record(
    request: Request,
    session: AccountDep,
    case_id: str,
    actor: Annotated[str, Form(max_length=200)] = "",
    date: Annotated[str, Form(max_length=20)] = "",
    outcome: Annotated[str, Form(max_length=MAX_TEXT)] = "",
    note: Annotated[str, Form(max_length=MAX_TEXT)] = "",
    meeting_record: Annotated[str, Form(max_length=100)] = "",
    by_proxy: Annotated[str, Form(max_length=5)] = "",
    force_reason: Annotated[str, Form(max_length=MAX_TEXT)] = "",
    form_token: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Record the next step; refused with the rule's own words where the CLI would refuse."""
    check_form(session, form_token)
    case = case_for(request, session, case_id, Action.RECORD_STEP)
    workspace = open_workspace(request)
    place = workspace.directory.get(case.village)
    if force_reason.strip():
        require(request, session, Action.FORCE_STEP, place)
    form = {
        "actor": actor, "date": date, "outcome": outcome, "note": note,
        "meeting_record": meeting_record, "by_proxy": by_proxy, "force_reason": force_reason,
    }  # fmt: skip
    pending = case_overview(workspace, case, today(request)).next_step
    try:
        entry = StepEntry(
            step=pending.id if pending else "", actor=actor.strip(),
            date=parse_iso_date(date) if date else today(request),
            operator=session.name, outcome=outcome.strip(), note=note.strip(),
            meeting_record=meeting_record.strip() or None, by_proxy=by_proxy == "1",
            force_reason=force_reason.strip() or None,
        )  # fmt: skip
        done = record_step(workspace, case.case_id, entry, via=f"web {session.name}")
    except StepRefused as refused:
        log(request, session, "step-refused", f"{case.case_id} {entry.step}")
        refusals = [violation.text.zh for violation in refused.violations]
        context = _step_context(request, session, case, form, refusals)
        return page(request, "workspace/step.html", context, status=409)
    except InputInvalid as exc:
        context = _step_context(request, session, case, form, [str(exc).split(" / ")[0]])
        return page(request, "workspace/step.html", context, status=400)
    forced = " forced" if done.irregularities else ""
    advised = f" advice {len(done.advisories)}" if done.advisories else ""
    log(request, session, "step", f"{case.case_id} {done.step.id}{forced}{advised}")
    shown = f"&advice={len(done.advisories)}" if done.advisories else ""
    return RedirectResponse(
        f"/w/cases/{case.case_id}?recorded={done.step.id}{shown}", status_code=303
    )


@router.post("/cases/{case_id}/documents")
def write_documents(
    request: Request,
    session: AccountDep,
    case_id: str,
    form_token: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Write the case's application, one-time notice, receipt (stamped) and authorisation."""
    check_form(session, form_token)
    case = case_for(request, session, case_id, Action.PRINT_NOTICES)
    folder = case_folder(request, case)
    settings = web_state(request).settings
    for written in case_documents(settings, [case.case_id], folder.parent, operator=session.name):
        log(request, session, "documents", f"{written.case_id}: {len(written.written)}")
    return RedirectResponse(f"/w/cases/{case.case_id}#documents", status_code=303)


@router.get("/cases/{case_id}/files/{name}")
def case_file(request: Request, session: AccountDep, case_id: str, name: str) -> Response:
    """One of the case's own documents, to open or print (only a file the folder holds)."""
    case = case_for(request, session, case_id, Action.VIEW_CASES)
    folder = case_folder(request, case)
    known = {p.name: p for p in folder.glob("*.pdf")} if folder.is_dir() else {}
    if name not in known:
        raise InputInvalid(f"没有文件 {name} / no such file")
    return file_response(known[name].read_bytes(), name)
