"""The month's disclosure packs (五公开) of an office's town or of the district, and their summary.

=========================================  =============================================
``GET /w/month?town``                      choose the month and the villages; the runs
                                           started before
``POST /w/month``                          start a run (refused while another run of the
                                           month holds one of the villages); ``archive``
                                           signs and files the packs too
``GET /w/month/runs/{id}``                 a run: how far it got, village by village
                                           (refreshes itself every 2 s while it runs);
                                           once done, its files, archival codes and
                                           failures
``GET /w/month/runs/{id}/files/{name}``    a pack or the summary, to open or print
=========================================  =============================================

A run is the month job of ``xwql monthly`` (:func:`pipeline.jobs.month.write_packs`,
through :func:`pipeline.jobs.runs.build_month_run`) in a thread of the web process; the
run lives in the database, so any worker and a later visit show it. With 同时签章归档
(checked by default) the run then signs and files each pack written, as the monthly
flow does (:func:`pipeline.jobs.month.file_packs`): a pack filed already from the same
source is not filed twice. When filing fails the packs are still there to print and
the run's page says filing failed.

Every page has a JSON twin (``?format=json``) made from the same context.
"""

from __future__ import annotations

import contextlib
import os
import threading
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from pipeline.accounts.model import AccountRole
from pipeline.accounts.permissions import Action, allowed
from pipeline.archive.archiver import Outcome
from pipeline.config import Settings
from pipeline.errors import InputInvalid
from pipeline.jobs import messages as job_messages
from pipeline.jobs.runs import Run, RunBusy, RunState, RunStore, build_month_run
from pipeline.organisations import Directory, Place
from pipeline.rules.calendar import CHINA
from pipeline.units.packs.month import month_text, parse_month, previous_month
from pipeline.units.packs.summary import select_villages
from pipeline.web.messages import NO_SUCH_FILE, NO_VILLAGES_CHOSEN
from pipeline.web.state import WebSession, client_address, file_response, page, web_state
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
from pipeline.web.workspace.notices import FILED

router = APIRouter(prefix="/w")

RECENT_RUNS = 20
MAX_VILLAGES = 500
STATES = {
    RunState.QUEUED: "排队中",
    RunState.RUNNING: "生成中",
    RunState.DONE: "已完成",
    RunState.FAILED: "失败",
}
VILLAGE_STATES = {
    "waiting": "等待",
    "building": "正在生成",
    "processed": "已处理",
    "built": "已生成",
    "failed": "失败",
    "not-built": "未生成",
}

_build_slot = threading.Semaphore(1)
"""One run builds at a time in a web process (each starts LibreOffice); others queue."""


def run_folder(settings: Settings, run_id: int) -> Path:
    """Where run ``run_id`` writes its packs and summary (inside the data folder)."""
    return settings.data / "web" / "month" / str(run_id)


def _runs(request: Request) -> contextlib.closing[RunStore]:
    """The runs, on the app's clock (closed at the end of the ``with``)."""
    state = web_state(request)
    return contextlib.closing(RunStore.of(state.settings, clock=state.accounts.now))


def _chinese(text: str) -> str:
    """The Chinese part of a bilingual message (what the pages show)."""
    return text.split(" / ")[0]


# --- access ------------------------------------------------------------------------------


def _builder_villages(request: Request, session: WebSession, town: str) -> list[Place]:
    """The villages whose packs the session may build (of ``town`` only, if given).

    Raises:
        AccessDenied: The role may not build packs, or ``town`` is not the session's (logged).
        InputInvalid: No such town.
    """
    if town:
        shown = select_villages(open_workspace(request).directory, town=town)
        for place in shown:
            require(request, session, Action.BUILD_PACKS, place)
        return shown
    return places_for(request, session, Action.BUILD_PACKS)


def _run_for(request: Request, session: WebSession, run_id: int) -> Run:
    """Run ``run_id``, if the session may build the packs of every one of its villages.

    Raises:
        InputInvalid: No such run.
        AccessDenied: The role may not build packs, or a village is outside the scope (logged).
    """
    _builder_villages(request, session, "")
    with _runs(request) as store:
        run = store.get(run_id)
    directory = open_workspace(request).directory
    for code in run.villages:
        require(request, session, Action.BUILD_PACKS, directory.get(code))
    return run


def _covers(session: WebSession, directory: Directory, run: Run) -> bool:
    return all(
        allowed(session.role, session.scope, Action.BUILD_PACKS, directory.get(code))
        for code in run.villages
    )


def _prefect_url(session: WebSession) -> str:
    """The Prefect UI the district's administrator may look at, when one is configured."""
    if session.role != AccountRole.ADMIN:
        return ""
    url = os.environ.get("PREFECT_UI_URL") or os.environ.get("PREFECT_API_URL", "")
    url = url.rstrip("/").removesuffix("/api")  # the UI is served beside its API
    return url if url.startswith(("http://", "https://")) else ""


# --- the month page ------------------------------------------------------------------------


def _scope_label(directory: Directory, chosen: list[Place]) -> str:
    """The villages chosen as the pages print them: the district, a town, or their names."""
    codes = {place.village.code for place in chosen}
    if codes == {place.village.code for place in directory.villages}:
        return directory.district.name
    town = chosen[0].town
    if codes == {p.village.code for p in directory.villages if p.town.code == town.code}:
        return town.name
    return "、".join(place.village.name for place in chosen)


def _run_row(run: Run) -> dict[str, Any]:
    return {
        "id": run.id, "month": run.month, "scope": run.scope, "account": run.account,
        "state": run.state.value, "state_label": STATES[run.state], "done": run.done,
        "total": run.total, "started_at": run.started_at.astimezone(CHINA),
    }  # fmt: skip


def _month_context(
    request: Request,
    session: WebSession,
    town: str,
    form: dict[str, Any],
    *,
    error: str = "",
    busy_run: int | None = None,
) -> dict[str, Any]:
    directory = open_workspace(request).directory
    shown = _builder_villages(request, session, town)
    scope_towns = {p.town.code: p.town.name for p in places(request, session, Action.BUILD_PACKS)}
    chosen = form.get("villages")
    with _runs(request) as store:
        runs = [run for run in store.runs(limit=200) if _covers(session, directory, run)]
    return {
        "scope": session.scope.label(directory),
        "town": town,
        "towns": list(scope_towns.items()) if len(scope_towns) > 1 else [],
        "month": form["month"],
        "archive": form["archive"],
        "villages": [
            {"code": p.village.code, "name": p.village.name, "town": p.town.name,
             "checked": chosen is None or p.village.code in chosen}
            for p in shown
        ],
        "error": error,
        "busy_run": busy_run,
        "runs": [_run_row(run) for run in runs[:RECENT_RUNS]],
        "prefect_url": _prefect_url(session),
        "_csrf": session.csrf,
    }  # fmt: skip


@router.get("/month")
def month_page(request: Request, session: AccountDep, town: str = "") -> Response:
    """Choose the month (last month by default) and the villages; the runs started before."""
    form = {"month": month_text(previous_month(today(request))), "villages": None, "archive": True}
    return page(request, "workspace/month.html", _month_context(request, session, town, form))


@router.post("/month")
def start_run(
    request: Request,
    session: AccountDep,
    month: Annotated[str, Form(max_length=20)] = "",
    village: Annotated[list[str] | None, Form(max_length=MAX_VILLAGES)] = None,
    town: Annotated[str, Form(max_length=40)] = "",
    archive: Annotated[bool, Form()] = False,
    form_token: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Start building (and, with ``archive``, filing) the villages' packs; go to the run."""
    check_form(session, form_token)
    _builder_villages(request, session, town)
    directory = open_workspace(request).directory
    form = {"month": month, "villages": village or [], "archive": archive}
    try:
        period = parse_month(month)
        asked = [directory.get(code) for code in dict.fromkeys(village or [])]
        if not asked:
            raise InputInvalid(NO_VILLAGES_CHOSEN())
    except InputInvalid as exc:
        context = _month_context(request, session, town, form, error=_chinese(str(exc)))
        return page(request, "workspace/month.html", context, status=400)
    for place in asked:
        require(request, session, Action.BUILD_PACKS, place)
    codes = {place.village.code for place in asked}
    chosen = [place for place in directory.villages if place.village.code in codes]
    with _runs(request) as store:
        try:
            run = store.start(
                account=session.name, scope=_scope_label(directory, chosen),
                month=month_text(period), villages=[place.village.code for place in chosen],
                archive=archive,
            )  # fmt: skip
        except RunBusy as busy:
            log(request, session, "month-refused", f"{month_text(period)}: run {busy.run_id}")
            context = _month_context(
                request, session, town, form, error=_chinese(str(busy)), busy_run=busy.run_id
            )
            return page(request, "workspace/month.html", context, status=409)
    filing = ", filing" if run.archive else ""
    what = f"run {run.id}: {run.month} {' '.join(run.villages)}{filing}"
    log(request, session, "month-packs", what)
    _build_in_background(request, session, run)
    return RedirectResponse(f"/w/month/runs/{run.id}", status_code=303)


def _build_in_background(request: Request, session: WebSession, run: Run) -> None:
    """Run the job in a thread of this process; its end goes to the log of writes too."""
    state = web_state(request)
    issued_on, address = today(request), client_address(request)

    def build() -> None:
        with contextlib.closing(RunStore.of(state.settings, clock=state.accounts.now)) as store:
            ended = build_month_run(
                store, run.id, state.settings, run_folder(state.settings, run.id),
                issued_on=issued_on, slot=_build_slot,
            )  # fmt: skip
        packs = ended.result.get("packs", [])
        what = f"run {run.id}: {ended.state.value}, {len(packs)} packs"
        what += f", {len(ended.result.get('failed', []))} failed"
        if ended.archive and ended.state is RunState.DONE:
            filed = sum(1 for pack in packs if pack["archival_code"])
            what += f", {filed} filed" if filed or not packs else ", filing failed"
        state.accounts.log(session.name, "month-packs-end", what, address=address)

    threading.Thread(target=build, name=f"month-run-{run.id}", daemon=True).start()


# --- a run ---------------------------------------------------------------------------------


def _village_rows(directory: Directory, run: Run) -> list[dict[str, Any]]:
    """Each village of the run: waiting, being built, built (its file; its 档号 once filed)."""
    packs = {pack["village"]: pack for pack in run.result.get("packs", [])}
    failed = {f["village"]: f["error"] for f in run.result.get("failed", [])}
    rows = []
    for index, code in enumerate(run.villages):
        place = directory.get(code)
        pack, error = packs.get(code), failed.get(place.full_name, "")
        outcome = pack.get("outcome", "") if pack else ""
        if pack:
            status = "built"
        elif error:
            status = "failed"
        elif run.state.finished:
            status = "not-built"
        elif index < run.done:
            status = "processed"
        else:
            waiting = run.state is RunState.QUEUED or index > run.done
            status = "waiting" if waiting else "building"
        rows.append(
            {
                "code": code, "name": place.village.name, "town": place.town.name,
                "status": status, "label": VILLAGE_STATES[status],
                "file": pack["file"] if pack else "", "pages": pack["pages"] if pack else 0,
                "archival_code": pack.get("archival_code", "") if pack else "",
                "outcome": outcome, "filed": FILED[Outcome(outcome)] if outcome else "",
                "error": _chinese(error),
            }
        )  # fmt: skip
    return rows


def _run_context(request: Request, session: WebSession, run: Run) -> dict[str, Any]:
    directory = open_workspace(request).directory
    return {
        **_run_row(run),
        "finished_at": run.finished_at.astimezone(CHINA) if run.finished_at else None,
        "finished": run.state.finished,
        "message": run.message if not run.state.finished else "",
        "filing_now": run.message == job_messages.RUN_FILING(),
        "archive": run.archive,
        "error": _chinese(run.message) if run.state is RunState.FAILED else "",
        "filing_error": _chinese(run.message) if run.state is RunState.DONE else "",
        "villages": _village_rows(directory, run),
        "summary": run.result.get("summary"),
        "failures": [
            {"village": f["village"], "message": _chinese(f["error"])}
            for f in run.result.get("failed", [])
        ],
        "prefect_url": _prefect_url(session),
        "_refresh": not run.state.finished,
    }


@router.get("/month/runs/{run_id}")
def run_page(request: Request, session: AccountDep, run_id: int) -> Response:
    """How far the run got; it refreshes itself until the run ends, then shows its files."""
    run = _run_for(request, session, run_id)
    return page(request, "workspace/run.html", _run_context(request, session, run))


@router.get("/month/runs/{run_id}/files/{name}")
def run_file(request: Request, session: AccountDep, run_id: int, name: str) -> Response:
    """A pack or the summary the run wrote (only a file of that run), to open or print."""
    run = _run_for(request, session, run_id)
    path = run_folder(web_state(request).settings, run.id) / name
    if name not in run.files() or not path.is_file():
        raise InputInvalid(NO_SUCH_FILE(code=f"生成任务 {run.id}", path=name))
    return file_response(path.read_bytes(), name)
