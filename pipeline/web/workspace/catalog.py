"""The catalog's truth in the workspace: what is drafted, and the district confirming it.

==================================  ===================================================
``GET /w/catalog``                  the edition; per item, where each field comes from
                                    (原文, 起草待确认, 已确认 by which document from when)
``POST /w/catalog/{code}/confirm``  record the district's confirmation of drafted
                                    fields (a new edition), as ``xwql catalog confirm``
==================================  ===================================================

Every workspace account reads the page: a clerk sees which flows only advise. Only
the district's administrator confirms (``Action.CONFIRM_CATALOG`` on the district);
anyone else is refused and the refusal logged. A confirmation writes the edition's
files through :func:`pipeline.catalog.confirm.confirm_fields` and the workspace reads
the new edition at once: from the confirmation's date the confirmed flow's rules
refuse, its time limits are public. Every page has a JSON twin (``?format=json``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from pipeline.accounts.permissions import Action, allowed
from pipeline.catalog.confirm import confirm_fields
from pipeline.catalog.model import CONFIRMABLE, FIELD_LABELS, CatalogItem, FieldSource
from pipeline.errors import InputInvalid
from pipeline.rules.calendar import parse_iso_date
from pipeline.web.messages import CONFIRM_NEEDS_DOCUMENT, CONFIRM_NEEDS_FIELDS
from pipeline.web.state import WebSession, page, web_state
from pipeline.web.workspace.base import AccountDep, check_form, log, open_workspace, require, today

router = APIRouter(prefix="/w")

MAX_INPUT = 200
"""Longest document number the form takes."""

_SOURCE_LABELS = {
    FieldSource.ATTACHMENT_1: "原文（附件1）",
    FieldSource.ATTACHMENT_2: "原文（附件2）",
    FieldSource.DRAFTED: "起草，待确认",
    FieldSource.CONFIRMED: "已确认",
}


def _item(item: CatalogItem, on: Any) -> dict[str, Any]:
    drafted = [field for field in CONFIRMABLE if item.drafted(field, on=on)]
    return {
        "code": item.code,
        "name": item.name,
        "category": item.category,
        "steps_source": _SOURCE_LABELS[item.field_source("steps", on=on)],
        "steps_drafted": "steps" in drafted,
        "drafted": [{"field": field, "label": FIELD_LABELS[field]} for field in drafted],
        "confirmations": [
            {
                "document": c.document,
                "date": c.date,
                "fields": "、".join(FIELD_LABELS[field] for field in c.fields),
                "pending": c.date > on,
            }
            for c in item.confirmations
        ],
    }


def _catalog_page(
    request: Request,
    session: WebSession,
    *,
    error: str = "",
    form: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    catalog = open_workspace(request).catalog
    on = today(request)
    items = [_item(item, on) for item in catalog if not item.retired]
    edition = catalog.edition
    context: dict[str, Any] = {
        "edition": {
            "title": edition.title,
            "version": edition.version,
            "effective_date": edition.effective_date,
            "effective_date_sample": "effective_date" in edition.samples,
            "changes": [
                {"date": change.date, "summary": change.summary}
                for change in reversed(edition.changes)
            ],
        },
        "items": items,
        "counts": {
            "items": len(items),
            "flows_drafted": sum(1 for item in items if item["steps_drafted"]),
            "with_drafts": sum(1 for item in items if item["drafted"]),
        },
        "may_confirm": bool(allowed(session.role, session.scope, Action.CONFIRM_CATALOG, None)),
        "today": on,
        "error": error,
        "form": form or {},
    }
    return page(request, "workspace/catalog.html", context, status=status)


@router.get("/catalog")
def catalog_page(request: Request, session: AccountDep) -> Response:
    """The edition and, per item, which fields are drafted and which confirmed."""
    return _catalog_page(request, session)


@router.post("/catalog/{code}/confirm")
def confirm(
    request: Request,
    session: AccountDep,
    code: str,
    document: Annotated[str, Form(max_length=MAX_INPUT)] = "",
    date: Annotated[str, Form(max_length=20)] = "",
    fields: Annotated[list[str] | None, Form()] = None,
    form_token: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Record the district's confirmation of an item's drafted fields: a new edition.

    A missing document number, a bad date, an unknown field or item, or an edition
    that would not load with the change is refused in the form (status 400), and
    nothing is written.
    """
    require(request, session, Action.CONFIRM_CATALOG, None)
    check_form(session, form_token)
    form = {"code": code, "document": document, "date": date, "fields": fields or []}
    workspace = open_workspace(request)
    settings = web_state(request).settings
    try:
        if not document.strip():
            raise InputInvalid(CONFIRM_NEEDS_DOCUMENT())
        if not fields:  # none ticked: never "all of them"
            raise InputInvalid(CONFIRM_NEEDS_FIELDS())
        # confirm_fields checks the fields against the edition as it is, under its lock.
        done = confirm_fields(
            settings.catalog_dir, code, document=document.strip(), date=parse_iso_date(date),
            fields=fields,
        )  # fmt: skip
        workspace.refresh_catalog()
    except InputInvalid as exc:
        log(request, session, "catalog-refused", f"{code} {document}")
        return _catalog_page(
            request, session, error=str(exc).split(" / ")[0], form=form, status=400
        )
    what = f"{done.code} {','.join(done.fields)} {document.strip()} {date} → {done.version}"
    log(request, session, "catalog-confirm", what)
    return RedirectResponse(
        f"/w/catalog?confirmed={done.code}&version={done.version}#{done.code}", status_code=303
    )
