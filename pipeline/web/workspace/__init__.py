"""The workspace of the people who make the paper trail, in the browser.

Village clerks, town offices, the district administrator (and, reading, the
supervision committee). Each module is one part of it, with its routes under
``/w``; every route asks the one access question (:mod:`pipeline.web.workspace.base`)
before it reads or writes.
"""

from __future__ import annotations

from fastapi import APIRouter

from pipeline.web.workspace import (
    accounts,
    cases,
    catalog,
    ledger,
    meetings,
    month,
    notices,
    registers,
    supervision,
)

WORKSPACE_ROUTERS: tuple[APIRouter, ...] = (
    cases.router,
    ledger.router,
    notices.router,
    registers.router,
    accounts.router,
    month.router,
    supervision.router,
    catalog.router,
    meetings.router,
)
"""The workspace's routers, in the order the app includes them."""
