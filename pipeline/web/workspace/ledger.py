"""A clerk's or an office's ledger (台账), uploaded and imported; the blank template.

==========================================  ==========================================
``GET /w/ledger``                           the upload form, the template's link
``POST /w/ledger``                          upload (≤ 20 MB, type told by content) and
                                            import: counts, changes, located problems
``GET /w/ledger/template.xlsx``             the blank ledger, with its drop-down lists
``GET /w/ledger/reports/{id}.xlsx``         an upload's problems as a workbook (only to
                                            the account that uploaded it)
==========================================  ==========================================

An upload is kept under ``data/web/ledgers/<account>/<id>/``: the ledger as sent
(``ledger/``, a CSV ledger's steps beside it as ``<name>-办理环节.csv``, where the
intake looks for them) and its problems (``report/``). The import is the
library's (:func:`pipeline.intake.importing.import_ledger`), held to the villages of
the account's scope: a ledger with any case of another village is refused whole
and nothing of the upload is kept. So is a file over the limit, or one whose bytes
are not what its name says.

Every page has a JSON twin (``?format=json``) made from the same context.
"""

from __future__ import annotations

import re
import secrets
import shutil
import tempfile
import unicodedata
from pathlib import Path, PurePath
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from pipeline.accounts.permissions import Action
from pipeline.cases.store import Change
from pipeline.errors import AccessDenied, Bilingual
from pipeline.filetypes import FileKind, sniff
from pipeline.intake import Issue, write_template_ledger
from pipeline.intake.importing import ImportOutcome, import_ledger
from pipeline.intake.ledger import SUFFIXES
from pipeline.intake.messages import NO_SUFFIX, UNSUPPORTED_LEDGER
from pipeline.intake.sources import not_a_workbook, steps_csv
from pipeline.organisations import Place
from pipeline.web.messages import (
    NO_LEDGER_CHOSEN,
    STEPS_ONLY_WITH_CSV,
    UPLOAD_NOT_A_WORKBOOK,
    UPLOAD_NOT_TEXT,
)
from pipeline.web.state import WebSession, file_response, page, web_state
from pipeline.web.uploads import ReceivedForm, UploadRefused, receive_form
from pipeline.web.workspace.base import AccountDep, check_form, log, open_workspace, places_for

router = APIRouter(prefix="/w")

MAX_UPLOAD = 20 << 20
"""Bytes the files of one upload may hold together (20 MB: a village's ledger is far less)."""
MAX_ISSUES_SHOWN = 500
"""Problems the page lists; the report holds them all."""
MAX_NAME = 60
"""Characters kept of an uploaded file's name: at most 4 bytes each in UTF-8, so the
name, and its steps' and report's names made from it, stay under the 255 bytes of a name."""
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TEMPLATE_NAME = "台账模板.xlsx"
WORKBOOKS = (".xlsx", ".xlsm")
TEXT_KINDS = (FileKind.TEXT, FileKind.OTHER)
"""What a CSV or JSON ledger may be, by content: OTHER is text with bytes no encoding
takes or with control characters, which the intake locates cell by cell."""
UPLOAD_ID = re.compile(r"[A-Za-z0-9_-]{22}")
"""An upload's id, as ``secrets.token_urlsafe(16)`` makes it."""


def uploads_folder(request: Request, session: WebSession) -> Path:
    """Where the account's uploads are kept: ``data/web/ledgers/<account>``.

    A name's letters and digits (any script), ``-`` and ``_`` are kept; any other
    character is spelled ``~`` and six hex digits, so no name is a path of its own
    and no two names share a folder.
    """
    safe = "".join(c if c.isalnum() or c in "-_" else f"~{ord(c):06x}" for c in session.name)
    return web_state(request).settings.data / "web" / "ledgers" / safe


def _places(request: Request, session: WebSession) -> list[Place]:
    """The villages the account imports ledgers for.

    Raises:
        AccessDenied: Its role uploads no ledger (logged).
    """
    return places_for(request, session, Action.UPLOAD_LEDGER)


def _context(
    request: Request, session: WebSession, *, error: str = "", result: dict[str, Any] | None = None
) -> dict[str, Any]:
    directory = open_workspace(request).directory
    return {
        "scope": session.scope.label(directory),
        "villages": [place.village.name for place in _places(request, session)],
        "limit_mb": MAX_UPLOAD >> 20,
        "error": error,
        "result": result,
        "_csrf": session.csrf,
    }


@router.get("/ledger")
def upload_form(request: Request, session: AccountDep) -> Response:
    """The upload form and the blank template's link."""
    return page(request, "workspace/ledger.html", _context(request, session))


@router.get("/ledger/template.xlsx")
def template(request: Request, session: AccountDep) -> Response:
    """The blank ledger (drop-down lists of the catalog's items and the villages, 填写说明)."""
    _places(request, session)
    workspace = open_workspace(request)
    scratch = web_state(request).settings.data / "web" / "ledgers"
    scratch.mkdir(parents=True, exist_ok=True)
    # A leading dot: no account's folder is spelled so (see uploads_folder).
    with tempfile.TemporaryDirectory(dir=scratch, prefix=".template-") as folder:
        path = Path(folder) / TEMPLATE_NAME
        write_template_ledger(path, workspace.catalog, workspace.directory)
        return file_response(path.read_bytes(), TEMPLATE_NAME, XLSX)


@router.post("/ledger")
async def upload(request: Request, session: AccountDep) -> Response:
    """Take the ledger as it streams in, check it, import it; or refuse it and keep nothing."""
    chosen = await run_in_threadpool(_places, request, session)
    upload_id = secrets.token_urlsafe(16)
    folder = uploads_folder(request, session) / upload_id
    try:
        form = await receive_form(
            request, folder / "incoming", limit=MAX_UPLOAD, fields=("form_token",),
            files=("ledger", "steps"),
            before_files=lambda fields: check_form(session, fields.get("form_token", "")),
        )  # fmt: skip
        villages = {place.village.code for place in chosen}
        return await run_in_threadpool(_import, request, session, form, folder, villages)
    except (UploadRefused, AccessDenied) as refused:
        shutil.rmtree(folder, ignore_errors=True)
        return await run_in_threadpool(_refused, request, session, refused)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise


def _refused(request: Request, session: WebSession, refused: Exception) -> Response:
    """The form again, saying why the upload was refused (logged)."""
    log(request, session, "refused", f"{Action.UPLOAD_LEDGER.value}: {refused}")
    status = refused.status if isinstance(refused, UploadRefused) else 403
    context = _context(request, session, error=str(refused).split(" / ")[0])
    return page(request, "workspace/ledger.html", context, status=status)


def _import(
    request: Request, session: WebSession, form: ReceivedForm, folder: Path, villages: set[str]
) -> Response:
    """Import the upload's ledger, held to ``villages``; the page of what it did (logged)."""
    ledger = _keep(form, folder)
    report = folder / "report" / f"{ledger.stem}-导入问题.xlsx"
    report.parent.mkdir()
    outcome = import_ledger(ledger, open_workspace(request), villages=villages, report=report)
    result, changes = outcome.result, outcome.changes
    log(
        request, session, "ledger",
        f"{ledger.name} ({folder.name}): {result.rows_in} in, {result.rows_imported} imported, "
        f"{result.rows_rejected} rejected; {changes[Change.ADDED]} added, "
        f"{changes[Change.UPDATED]} updated, {changes[Change.UNCHANGED]} unchanged",
    )  # fmt: skip
    context = _context(request, session, result=_result(outcome, folder.name))
    return page(request, "workspace/ledger.html", context)


def _keep(form: ReceivedForm, folder: Path) -> Path:
    """Check the files by their bytes and keep them under their own names.

    Returns:
        The ledger, with a CSV ledger's steps beside it where the intake reads them.

    Raises:
        UploadRefused: No ledger, a type the name does not say, steps with a workbook.
    """
    sent = form.files.get("ledger")
    if sent is None:
        raise UploadRefused(NO_LEDGER_CHOSEN())
    ledger = folder / "ledger" / _safe_name(sent.filename)
    suffix = ledger.suffix.lower()
    if suffix not in SUFFIXES:
        shown = Bilingual(suffix, suffix) if suffix else NO_SUFFIX
        raise UploadRefused(UNSUPPORTED_LEDGER(suffix_zh=shown.zh, suffix_en=shown.en))
    _check_kind(sent.path, sent.filename, workbook=suffix in WORKBOOKS)
    steps = form.files.get("steps")
    if steps is not None:
        if suffix != ".csv":
            raise UploadRefused(STEPS_ONLY_WITH_CSV())
        _check_kind(steps.path, steps.filename, workbook=False)
    ledger.parent.mkdir()
    sent.path.rename(ledger)
    if steps is not None:
        steps.path.rename(steps_csv(ledger))
    shutil.rmtree(sent.path.parent)
    return ledger


def _check_kind(path: Path, name: str, *, workbook: bool) -> None:
    """Refuse a file whose bytes are not the workbook or the text its name says."""
    kind = sniff(path)
    if workbook and kind is not FileKind.XLSX:
        found = not_a_workbook(kind)
        raise UploadRefused(
            UPLOAD_NOT_A_WORKBOOK(
                name=name, problem_zh=found.problem.zh, fix_zh=found.fix.zh,
                problem_en=found.problem.en, fix_en=found.fix.en,
            )
        )  # fmt: skip
    if not workbook and kind not in TEXT_KINDS:
        raise UploadRefused(UPLOAD_NOT_TEXT(name=name, kind_zh=kind.zh, kind_en=kind.en))


def _safe_name(filename: str) -> str:
    """The browser's file name as one plain file name (a path sent is cut to its last part).

    Control characters go; leading dots go (no hidden file); a long stem is cut,
    its suffix kept. The name stays what the clerk knows: the problems name it.
    """
    base = filename.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(c for c in base if unicodedata.category(c)[0] != "C").strip().lstrip(".")
    path = PurePath(base or "台账")
    stem = path.stem[: MAX_NAME - len(path.suffix)] if len(path.name) > MAX_NAME else path.stem
    return stem + path.suffix


def _result(outcome: ImportOutcome, upload_id: str) -> dict[str, Any]:
    """What the import did, for the page: counts, changes, problems, the report's link."""
    result, changes = outcome.result, outcome.changes
    issues = [_issue(issue, "error") for issue in result.errors]
    issues += [_issue(issue, "warning") for issue in result.warnings]
    return {
        "file": result.file,
        "rows_in": result.rows_in,
        "imported": result.rows_imported,
        "rejected": result.rows_rejected,
        "blank_rows": result.blank_rows,
        "steps_in": result.steps_in,
        "steps_imported": result.steps_imported,
        "changes": {change.value: changes[change] for change in Change},
        "nothing_changed": not changes[Change.ADDED] and not changes[Change.UPDATED],
        "errors": len(result.errors),
        "warnings": len(result.warnings),
        "issues": issues[:MAX_ISSUES_SHOWN],
        "more_issues": max(len(issues) - MAX_ISSUES_SHOWN, 0),
        "report": f"/w/ledger/reports/{upload_id}.xlsx" if outcome.report else None,
    }


def _issue(issue: Issue, level: str) -> dict[str, Any]:
    """A located problem as the page lists it: the Chinese part of its texts."""
    return {
        "level": level,
        "sheet": issue.sheet or issue.file,  # a CSV ledger's steps are a file of their own
        "row": issue.row,
        "column": issue.column or "",
        "value": issue.value,
        "problem": issue.problem.zh,
        "fix": issue.fix.zh,
    }


@router.get("/ledger/reports/{upload_id}.xlsx")
def report(request: Request, session: AccountDep, upload_id: str) -> Response:
    """An upload's problems as a workbook; only the account that uploaded it gets it.

    Another account's id (or none at all) is not found, and the try is logged.
    """
    _places(request, session)
    folder = uploads_folder(request, session) / upload_id / "report"
    found = sorted(folder.glob("*.xlsx")) if UPLOAD_ID.fullmatch(upload_id) else []
    if not found:
        log(request, session, "refused", f"ledger report {upload_id[:40]!r}: not this account's")
        raise HTTPException(status_code=404)
    return file_response(found[0].read_bytes(), found[0].name, XLSX)
