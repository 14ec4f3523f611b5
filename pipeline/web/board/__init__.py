"""The village's board online (村务公开栏): public pages, no login, phone first.

Villagers reach it from the QR code on a posted sheet or the village's address:
the notices in their period, the results, the monthly packs, the list and its
flows, and a way to object (异议) or report a problem (反映问题) that the
village's supervision committee (村务监督委员会) must answer. Only public data
is ever shown.
"""

from __future__ import annotations

from fastapi import APIRouter

from pipeline.web.board import objections, pages

BOARD_ROUTERS: tuple[APIRouter, ...] = (pages.router, objections.router)
"""The board's routers, in the order the app includes them."""
