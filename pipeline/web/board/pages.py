"""The board's pages: the district, a town, a village, a notice, an item of the list, a pack.

=========================================  ==============================================
``GET /v``, ``/board``                     the district: its towns and their villages
``GET /t/{town}``                          a town's or street's villages
``GET /v/{village}``                       the village's board: 公示中 (days left), 结果公开,
                                           五公开 (monthly packs), 清单与流程, phones
``GET /v/{village}/items``                 the power list (清单)
``GET /v/{village}/items/{item}``          an item: its flow (SVG), materials, time
``GET /items/{item}``                      limits, legal basis, acting body
``GET /n/{code}``                          a notice (what its QR code opens): facts,
                                           period, the sheet as posted, page by page
``GET /n/{code}/sheet.pdf``                the sheet as posted, as archived
``GET /n/{code}/page-{n}.png``             one page of it, drawn once
``GET /v/{village}/packs/{month}``         a monthly pack, page by page
``GET /v/{village}/packs/{month}/pack.pdf``   the pack as archived
``GET /v/{village}/packs/{month}/page-{n}.png``  one page of it, drawn when first asked
=========================================  ==============================================

No login; codes are case-insensitive (``/v/ql-nm``). Every page has a JSON twin
(``?format=json``). Only public data is shown: applicants as headlines name them
(``张*``), the sheets as posted (masked); the committees' phones are public.

A village's board and a notice's page are read far more often than they change:
each worker keeps what it read for them a few seconds (:data:`FRESH_SECONDS`), so a
notice posted or a pack filed shows within that time, and a crowd of villagers
costs the case store and the archive's index one read per page every few seconds.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Hashable
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from pipeline.catalog.model import CONFIRMABLE, CatalogItem
from pipeline.documents.flowchart import describe_time_limit, flowchart_svg
from pipeline.errors import InputInvalid, NotArchived, StorageError
from pipeline.jobs.board import (
    NOTICE,
    BoardNotice,
    PageImages,
    district_board,
    find_notice,
    town_board,
    village_board,
    village_place,
)
from pipeline.organisations import Place
from pipeline.programs.fonts import ensure_sc_fonts
from pipeline.units.booklet import public_rule
from pipeline.web.backend import NotAsArchived, normalise_code
from pipeline.web.messages import SHEET_NOT_AS_ARCHIVED
from pipeline.web.state import (
    file_response,
    lookup_refused,
    page,
    posted_sheet,
    render,
    web_state,
)
from pipeline.web.workspace.base import open_workspace, today

router = APIRouter()

PNG = "image/png"
FRESH_SECONDS = 5.0
"""How long a worker keeps what it read for a village's board or a notice's page."""
KEPT_MOST = 4096
"""Most pages a worker keeps (all are forgotten when it is full: a bound, not a policy)."""


class Recent:
    """What the board's pages read, kept a few seconds per worker (thread-safe).

    Only pages read in full are kept (a notice found, a board with its packs); a
    page that could not reach the archive, or a code no notice has, is read again
    next time.

    Args:
        seconds: How long a page's facts are kept.
        most: How many are kept at most.
        clock: Monotonic seconds (injectable for tests).
    """

    def __init__(
        self,
        seconds: float = FRESH_SECONDS,
        *,
        most: int = KEPT_MOST,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.seconds = seconds
        self.most = most
        self._clock = clock
        self._kept: dict[Hashable, tuple[float, dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> dict[str, Any] | None:
        """A copy of what is kept under ``key``, if kept less than ``seconds`` ago."""
        with self._lock:
            kept = self._kept.get(key)
        if kept is None or self._clock() - kept[0] >= self.seconds:
            return None
        return dict(kept[1])  # the page adds its own keys to the context it is given

    def put(self, key: Hashable, context: dict[str, Any]) -> None:
        """Keep (a copy of) ``context`` under ``key``."""
        with self._lock:
            if len(self._kept) >= self.most:
                self._kept.clear()
            self._kept[key] = (self._clock(), dict(context))


_recent_made = threading.Lock()


def _recent(request: Request) -> Recent:
    """The :class:`Recent` of the request's app (made on first use)."""
    state = request.app.state
    with _recent_made:
        recent: Recent | None = getattr(state, "board_recent", None)
        if recent is None:
            recent = state.board_recent = Recent()
    return recent


def _missing(request: Request, title: str, message: str) -> HTMLResponse:
    """The board's 404 page."""
    return render(request, "board/error.html", {"title": title, "message": message}, status=404)


def _images(request: Request) -> PageImages:
    """Where page images are kept: the data folder's cache."""
    return PageImages(web_state(request).settings.data / "cache" / "board" / "pages")


def _png(data: bytes) -> Response:
    return Response(data, media_type=PNG, headers={"Cache-Control": "public, max-age=86400"})


# --- the district, a town, a village -------------------------------------------------------


@router.get("/v")
@router.get("/board")
def district(request: Request) -> Response:
    """The district's towns and streets, each with its villages."""
    return page(request, "board/district.html", district_board(open_workspace(request)))


@router.get("/t/{town}")
def town(request: Request, town: str) -> Response:
    """A town's or street's villages."""
    board = town_board(open_workspace(request), town)
    if board is None:
        return _missing(request, "没有这个镇（街道）", "请从全区各村的列表中选择。")
    return page(request, "board/town.html", board)


def _place(request: Request, village: str) -> Place | None:
    return village_place(open_workspace(request), village)


def _no_village(request: Request) -> HTMLResponse:
    return _missing(request, "没有这个村", "请从全区各村的列表中选择。")


@router.get("/v/{village}")
def village(request: Request, village: str) -> Response:
    """The village's board: notices in their period, results, monthly packs, the list."""
    place = _place(request, village)
    if place is None:
        return _no_village(request)
    day = today(request)
    recent = _recent(request)
    key = ("village", place.village.code, day)
    context = recent.get(key)
    if context is None:
        try:
            packs, packs_error = web_state(request).backend.packs(place.village.code), ""
        except StorageError:
            packs, packs_error = [], "档案库暂时无法访问，月度公开材料稍后再看。"
        board = village_board(open_workspace(request), place.village.code, day, packs=packs)
        assert board is not None  # the village was found above
        context = board | {"packs_error": packs_error}
        if not packs_error:
            recent.put(key, context)
    return page(request, "board/village.html", context)


# --- the list and its flows ------------------------------------------------------------------


def _item_row(item: CatalogItem) -> dict[str, Any]:
    return {"code": item.code, "number": item.number, "name": item.name, "category": item.category}


@router.get("/v/{village}/items")
def items(request: Request, village: str) -> Response:
    """The power list (清单): every item in force, by category."""
    place = _place(request, village)
    if place is None:
        return _no_village(request)
    catalog = open_workspace(request).catalog
    context = {
        "village": {"code": place.village.code, "name": place.village.name},
        "edition": catalog.edition.version,
        "items": [_item_row(item) for item in catalog if not item.retired],
    }
    return page(request, "board/items.html", context)


def _flow_svg(request: Request, item: CatalogItem) -> str:
    """The item's flow as SVG text, drawn once per flow and kept in the data folder."""
    data = web_state(request).settings.data
    return flowchart_svg(item, data / "cache" / "board" / "flows", ensure_sc_fonts(data))


def _item_page(request: Request, place: Place | None, code: str) -> Response:
    catalog = open_workspace(request).catalog
    try:
        item = catalog.get(code.strip().lower())
    except InputInvalid:
        return _missing(request, "清单中没有这个事项", "请从小微权力清单中选择。")
    context = {
        "village": (
            {"code": place.village.code, "name": place.village.name} if place is not None else None
        ),
        "item": _item_row(item)
        | {
            "acting_body": item.acting_body,
            "basis": item.basis,
            # Which fields the district has not confirmed: marked, so no villager
            # takes a draft for the list's own words (JSON twin included).
            "drafted": [field for field in CONFIRMABLE if item.drafted(field, on=today(request))],
            "handling": item.handling.role,
            "service_phone": place.village.service_phone if place is not None else "",
            "phone_mark": place.district.phone_mark if place is not None else "",
            "public_notice": public_rule(item),
            "supervision": item.supervision,
            "materials": [{"name": m.name, "note": m.note or ""} for m in item.materials],
            "steps": [
                {
                    "name": step.name,
                    "actor": step.actor,
                    "action": step.action,
                    "time_limit": describe_time_limit(step.time_limit, step.time_limit_note),
                    "public": step.public,
                }
                for step in item.steps
            ],
        },
        "edition": catalog.edition.version,
        "_flow_svg": _flow_svg(request, item),
    }
    return page(request, "board/item.html", context)


@router.get("/v/{village}/items/{item_code}")
def village_item(request: Request, village: str, item_code: str) -> Response:
    """An item of the list as the village handles it (its service room's phone)."""
    place = _place(request, village)
    if place is None:
        return _no_village(request)
    return _item_page(request, place, item_code)


@router.get("/items/{item_code}")
def item(request: Request, item_code: str) -> Response:
    """An item of the list: flow, materials, time limits, legal basis, acting body."""
    return _item_page(request, None, item_code)


# --- a notice ---------------------------------------------------------------------------------


def _notice(request: Request, code: str) -> tuple[str, BoardNotice | None]:
    """The code normalised and its notice (None when no notice has it).

    Raises:
        InputInvalid: The code is not a verification code.
    """
    normal = normalise_code(code)
    return normal, find_notice(open_workspace(request), normal, today(request))


def _sheet_key(notice: BoardNotice) -> str:
    return f"notice-{notice.code}"


def _sheet_sha256(request: Request, notice: BoardNotice) -> str:
    """The SHA-256 of the sheet as archived: the one read before, else the one registered.

    A reprint registers a new copy's hash while the archive keeps the sheet filed
    first; the archive's copy is the one shown.
    """
    return _images(request).recall(_sheet_key(notice)) or notice.sheet_sha256


def _sheet_pages(request: Request, notice: BoardNotice) -> tuple[int, str]:
    """How many pages the archived sheet has (drawn and kept), or 0 and why not."""
    images = _images(request)
    known = _sheet_sha256(request, notice)
    count = images.pages(known) if known else None
    if count is not None:
        return count, ""
    try:
        # Checked against the archive's own record of the sheet (its SHA-256).
        _, data = web_state(request).backend.notice_sheet(notice.code)
    except NotAsArchived:
        return 0, SHEET_NOT_AS_ARCHIVED.zh
    except NotArchived:
        return 0, "公告原件尚未存档，请以张贴的纸质公告为准。"
    except StorageError:
        return 0, "档案库暂时无法访问，公告原件稍后再看。"
    sha256, count = images.keep(data)
    images.remember(_sheet_key(notice), sha256)
    return count, ""


@router.get("/n/{code}")
def notice(request: Request, code: str) -> Response:
    """A notice: its public facts, its period and days left, and the sheet as posted."""
    refused = lookup_refused(request, "board/error.html")
    if refused is not None:
        return refused
    try:
        normal = normalise_code(code)
    except InputInvalid:
        return _missing(request, "核验码格式不对", "核验码应为 8 位字母和数字，如 7K3D-Q9XM。")
    day = today(request)
    recent = _recent(request)
    key = ("notice", normal, day)
    context = recent.get(key)
    if context is None:
        context = _notice_context(request, normal, day)
        if context is None:
            return render(request, "board/not_found.html", {"code": normal}, status=404)
        if not context["sheet_error"]:
            recent.put(key, context)
    return page(request, "board/notice.html", context)


def _notice_context(request: Request, normal: str, day: dt.date) -> dict[str, Any] | None:
    """What the page of the notice ``normal`` (its code) shows on ``day``; None if none has it."""
    found = find_notice(open_workspace(request), normal, day)
    if found is None:
        return None
    place = village_place(open_workspace(request), found.village)
    assert place is not None  # a notice is issued for a village of the district
    pages, sheet_error = _sheet_pages(request, found)
    return {
        "notice": found.__dict__,
        "village": {
            "code": place.village.code,
            "name": place.village.name,
            "full_name": place.full_name,
            "committee": place.village.committee,
            "supervision_phone": place.village.supervision_phone,
            "district_phone": place.district.supervision_phone,
            "phone_mark": place.district.phone_mark,
        },
        "is_notice": found.kind == NOTICE,
        "pages": [f"/n/{found.code}/page-{n}.png" for n in range(1, pages + 1)],
        "sheet_error": sheet_error,
        "pdf": f"/n/{found.code}/sheet.pdf" if pages else "",
        "objection": f"/n/{found.code}/objection" if found.in_period else "",
        "report": f"/v/{place.village.code}/report",
    }


@router.get("/n/{code}/sheet.pdf")
def notice_pdf(request: Request, code: str) -> Response:
    """The sheet as posted, as archived (its SHA-256 checked against the archive)."""
    return posted_sheet(request, code, "board/error.html")


@router.get("/n/{code}/page-{number}.png")
def notice_page(request: Request, code: str, number: int) -> Response:
    """One page of the sheet as posted, drawn once (after its notice's page was seen)."""
    try:
        _, found = _notice(request, code)
    except InputInvalid:
        found = None
    image = _images(request).png(_sheet_sha256(request, found), number) if found else None
    if image is None:
        return _missing(request, "没有这一页", "请从公告页面打开。")
    return _png(image)


# --- monthly packs ---------------------------------------------------------------------------


def _month(month: str) -> str | None:
    """``2026-11`` as typed, checked; None if it is no month."""
    try:
        return dt.date.fromisoformat(f"{month}-01").strftime("%Y-%m")
    except ValueError:
        return None


def _pack_pages(request: Request, place: Place, month: str) -> tuple[dict[str, Any], int] | None:
    """The pack's facts, the SHA-256 of its PDF and its page count; None when not archived.

    The PDF is fetched from the archive once per version (archival code) and kept
    for its pages; later the index alone says which version is the latest.
    """
    state = web_state(request)
    images = _images(request)
    listed = next((p for p in state.backend.packs(place.village.code) if p.month == month), None)
    if listed is None:
        return None
    sha256 = images.recall(listed.archival_code)
    if sha256 is None:
        try:
            _, data = state.backend.pack(place.village.code, month)
        except NotArchived:
            return None
        sha256, _ = images.keep(data)
        images.remember(listed.archival_code, sha256)
    count = images.pages(sha256)
    assert count is not None  # kept just above or before
    return {**listed.__dict__, "sha256": sha256}, count


@router.get("/v/{village}/packs/{month}")
def pack(request: Request, village: str, month: str) -> Response:
    """A monthly pack (月度公开材料): its pages as images, its PDF a tap away."""
    place = _place(request, village)
    normal = _month(month)
    found = _pack_pages(request, place, normal) if place is not None and normal else None
    if place is None or found is None:
        return _missing(request, "没有这个月的公开材料", "请从村务公开栏的“五公开”中选择。")
    facts, count = found
    base = f"/v/{place.village.code}/packs/{normal}"
    context = {
        "village": {"code": place.village.code, "name": place.village.name},
        "pack": {key: value for key, value in facts.items() if key != "sha256"},
        "pages": [f"{base}/page-{n}.png" for n in range(1, count + 1)],
        "pdf": f"{base}/pack.pdf",
    }
    return page(request, "board/pack.html", context)


@router.get("/v/{village}/packs/{month}/pack.pdf")
def pack_pdf(request: Request, village: str, month: str) -> Response:
    """The monthly pack as archived (signed PDF)."""
    place = _place(request, village)
    normal = _month(month)
    if place is None or normal is None:
        return _missing(request, "没有这个月的公开材料", "请从村务公开栏的“五公开”中选择。")
    pack, data = web_state(request).backend.pack(place.village.code, normal)
    return file_response(data, f"{place.village.name}-{pack.month}-月度公开材料.pdf")


@router.get("/v/{village}/packs/{month}/page-{number}.png")
def pack_page(request: Request, village: str, month: str, number: int) -> Response:
    """One page of a monthly pack, drawn the first time it is asked for."""
    place = _place(request, village)
    normal = _month(month)
    found = _pack_pages(request, place, normal) if place is not None and normal else None
    image = _images(request).png(found[0]["sha256"], number) if found else None
    if image is None:
        return _missing(request, "没有这一页", "请从月度公开材料页面打开。")
    return _png(image)
