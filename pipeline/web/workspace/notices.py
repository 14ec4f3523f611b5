"""The day's notices for the village board: see them, print them in one go, file them.

================================================  =============================================
``GET /w/notices?village&date``                   the village's notices (公示, 结果公开) of the
                                                  day: case, kind, period, printed or not
``POST /w/notices``                               print them (masked, stamped, registered), one
                                                  PDF of all the sheets to print; file them
``GET /w/notices/files/{village}/{date}/{name}``  one printed sheet, or the day's PDF
================================================  =============================================

The sheets go to ``data/web/notices/<village>/<date>/``; their internal copies (full
data, for the archive) to its ``internal/`` folder, which no page offers. Filing that
fails (the store down) loses no printout: the sheets are there to post, and the next
print or the month's filing files them. Every page has a JSON twin (``?format=json``).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from pipeline.accounts.permissions import Action, allowed
from pipeline.archive.archiver import Archived, Outcome
from pipeline.errors import InputInvalid, XwqlError
from pipeline.jobs.notices import (
    NoticeRequest,
    archive_notices,
    collate_for_posting,
    issue_notices,
    notices_of,
)
from pipeline.organisations import Place
from pipeline.rules.calendar import parse_iso_date
from pipeline.units.notices import IssuedFiles, NoticeJob
from pipeline.web import labels
from pipeline.web.messages import FILING_FAILED, NO_SUCH_SHEET
from pipeline.web.state import WebSession, file_response, page, web_state
from pipeline.web.workspace.base import (
    AccountDep,
    check_form,
    log,
    open_workspace,
    places,
    require,
    today,
)

router = APIRouter(prefix="/w")

FILED = {
    Outcome.ADDED: "已归档",
    Outcome.NEW_VERSION: "已归档（新版本）",
    Outcome.RESUMED: "已归档（补办）",
    Outcome.UNCHANGED: "此前已归档，未变",
}
"""What filing a notice did, as the page says it."""


def notices_folder(request: Request, place: Place, day: dt.date) -> Path:
    """Where the pages print a village's notices of a day (inside the data folder)."""
    settings = web_state(request).settings
    return settings.data / "web" / "notices" / place.village.code / day.isoformat()


def printout_name(place: Place, day: dt.date) -> str:
    """The file name of the day's one PDF to print (no sheet's name starts so)."""
    return f"{place.village.name}-{day.isoformat()}-张贴公告合订.pdf"


def _sheets(folder: Path) -> dict[str, Path]:
    """The PDFs a day's folder offers: the sheets and the printout, never ``internal/``."""
    return {pdf.name: pdf for pdf in folder.glob("*.pdf")} if folder.is_dir() else {}


def _place(request: Request, session: WebSession, village: str, action: Action) -> Place:
    """The village asked for, or the first of the session's scope; refused outside it."""
    place: Place | None
    if village:
        place = open_workspace(request).directory.get(village)
    else:
        scope = places(request, session, action)
        place = scope[0] if scope else None
    require(request, session, action, place)
    # Only a district scope passes with no village, and a district has villages.
    assert place is not None
    return place


def _day(request: Request, date: str) -> dt.date:
    """The date typed (YYYY-MM-DD, as the CLI's ``--date``), or today by the app's clock."""
    return parse_iso_date(date.strip()) if date.strip() else today(request)


def _row(job: NoticeJob, printed: bool, offered: dict[str, Path]) -> dict[str, Any]:
    """One notice of the day: its case, kind, period, and whether it was printed."""
    code = job.verification_code
    sheet = f"{job.file_stem}.pdf"
    return {
        "case_id": job.case.case_id,
        "item": f"{job.item.code} {job.item.name}",
        "applicant": job.case.applicant.name,
        "kind": labels.label(labels.DOCUMENTS, job.kind.value),
        "period_start": job.start,
        "period_end": job.end,
        "printed": printed,
        "verification_code": code if printed else "",
        "sheet": sheet if sheet in offered else "",
    }


def _context(request: Request, session: WebSession, place: Place, day: dt.date) -> dict[str, Any]:
    """What the notices page shows before any printing: the day's notices and files."""
    workspace = open_workspace(request)
    jobs = notices_of(workspace, workspace.store.find(village=place.village.code), day)
    offered = _sheets(notices_folder(request, place, day))
    printout = printout_name(place, day)
    return {
        "village": {"code": place.village.code, "name": place.village.name},
        "date": day,
        "villages": [
            (p.village.code, p.village.name) for p in places(request, session, Action.VIEW_CASES)
        ],
        "notices": [
            _row(job, workspace.store.notice(job.verification_code) is not None, offered)
            for job in jobs
        ],
        "printout": printout if printout in offered else "",
        "files": f"/w/notices/files/{place.village.code}/{day.isoformat()}",
        "may_print": bool(allowed(session.role, session.scope, Action.PRINT_NOTICES, place)),
        "result": None,
        "_csrf": session.csrf,
    }


@router.get("/notices")
def notices(request: Request, session: AccountDep, village: str = "", date: str = "") -> Response:
    """The village's notices of the day, each with its case, kind, period, printed or not."""
    place = _place(request, session, village, Action.VIEW_CASES)
    context = _context(request, session, place, _day(request, date))
    return page(request, "workspace/notices.html", context)


@router.post("/notices")
def print_notices(
    request: Request,
    session: AccountDep,
    village: Annotated[str, Form(max_length=100)] = "",
    date: Annotated[str, Form(max_length=20)] = "",
    form_token: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Print the day's notices, collate them into one PDF to print, and file them.

    Printing goes through the notice job (the converter service when it is up);
    filing as ``xwql notice --archive`` does. When filing fails the sheets are
    still shown, to print, and the page says filing is left to the next run.
    """
    check_form(session, form_token)
    place = _place(request, session, village, Action.PRINT_NOTICES)
    day = _day(request, date)
    settings = web_state(request).settings
    folder = notices_folder(request, place, day)
    notice = NoticeRequest([], place.village.code, day, folder, operator=session.name)
    done = issue_notices(settings, notice)
    printout = ""
    if done.issued:
        printout = printout_name(place, day)
        title = f"{place.full_name}{day.year}年{day.month}月{day.day}日张贴公告"
        author = place.village.committee
        collate_for_posting(done.issued, folder / printout, title=title, author=author)
    filed: list[Archived] = []
    filing_error = ""
    try:
        if done.issued:
            filed = archive_notices(settings, done.issued)
    except XwqlError as exc:
        # The printout stands: the next print, or the month's filing, files these notices.
        filing_error = FILING_FAILED.zh  # why goes to the log: the clerk can do nothing of it
        log(request, session, "notices-filing-failed", f"{place.village.code} {day}: {exc}")
    log(
        request, session, "notices",
        f"{place.village.code} {day}: {len(done.issued)} printed, {len(filed)} filed",
    )  # fmt: skip
    context = _context(request, session, place, day)
    context["result"] = {
        "printout": printout,
        "sheets": _printed(done.issued, filed),
        "failed": [
            {"case_id": job.case.case_id, "kind": labels.label(labels.DOCUMENTS, job.kind.value),
             "error": str(error).split(" / ")[0]}
            for job, error in done.failed
        ],
        "filing_error": filing_error,
    }  # fmt: skip
    return page(request, "workspace/notices.html", context)


def _printed(issued: list[IssuedFiles], filed: list[Archived]) -> list[dict[str, Any]]:
    """Each sheet printed, with its 核验码 and, once filed, its archival code (档号)."""
    rows = []
    for index, files in enumerate(issued):
        archived = filed[index] if filed else None  # none when filing failed
        rows.append(
            {
                "case_id": files.job.case.case_id,
                "kind": labels.label(labels.DOCUMENTS, files.job.kind.value),
                "sheet": files.public_pdf.name,
                "verification_code": files.notice.verification_code,
                "archival_code": archived.archival_code if archived else "",
                "filed": FILED[archived.outcome] if archived else "",
            }
        )
    return rows


@router.get("/notices/files/{village}/{date}/{name}")
def notice_file(
    request: Request, session: AccountDep, village: str, date: str, name: str
) -> Response:
    """A printed sheet or the day's PDF to print: only a file of that day's folder."""
    place = _place(request, session, village, Action.VIEW_CASES)
    day = parse_iso_date(date)
    offered = _sheets(notices_folder(request, place, day))
    if name not in offered:
        raise InputInvalid(NO_SUCH_SHEET(village=place.village.name, day=day, name=name))
    return file_response(offered[name].read_bytes(), name)
