"""The board's public pages over real issued, posted and filed notices and a filed pack."""

from __future__ import annotations

import re
import shutil
from collections import deque
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from fastapi.testclient import TestClient

from pipeline.documents.pdftext import read_pdf_text
from pipeline.jobs.notices import NoticeRequest, issue_notices
from pipeline.units.notices import check_public_text
from pipeline.web.backend import normalise_code
from pipeline.workspace import Workspace
from tests.web.board.conftest import Board, board_client

pytestmark = [pytest.mark.s3, pytest.mark.soffice]

ID_18 = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")
MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
SUBSIDY = ("NM-2026-11-008", "public_notice")  # 吴德顺, 2026-11-05 to 11-11: 3 days left
RESULT = ("NM-2026-10-001", "result_notice")


def test_the_district_lists_its_towns_and_villages(client: TestClient) -> None:
    page = client.get("/v")
    assert page.status_code == 200 and 'href="/v/QL-NM"' in page.text
    assert 'name="viewport"' in page.text and "/static/board.css" in page.text
    twin = client.get("/board?format=json").json()
    town = next(t for t in twin["towns"] if t["code"] == "QL")
    assert {"code": "QL-NM", "name": "南马村"} in town["villages"]
    assert client.get("/t/ql").status_code == 200
    assert client.get("/t/NOPE").status_code == 404


def test_a_village_shows_its_notices_in_period_with_the_days_left(
    client: TestClient, board: Board
) -> None:
    twin = client.get("/v/ql-nm?format=json").json()
    assert twin["village"]["name"] == "南马村" and twin["today"] == "2026-11-09"
    live = {n["code"]: n for n in twin["live"]}
    subsidy = live[board.codes[SUBSIDY]]
    assert subsidy["days_left"] == 3 and not subsidy["working_days"]
    assert subsidy["title"] == "关于吴*惠农补贴申报的公示"
    assert [n["code"] for n in twin["results"]] == [board.codes[RESULT]]
    assert [p["month"] for p in twin["packs"]] == ["2026-11"]
    page = client.get("/v/QL-NM")
    assert "还剩3天" in page.text and f'href="/n/{board.codes[SUBSIDY]}"' in page.text
    assert 'href="/v/QL-NM/packs/2026-11"' in page.text and 'href="/v/QL-NM/report"' in page.text
    # The sample district's phones are invented: dialable, and said to be samples.
    assert 'href="tel:0533-7301220">0533-7301220</a>（示例）' in page.text
    missing = client.get("/v/QL-XX")
    assert missing.status_code == 404 and "没有这个村" in missing.text


def test_a_notice_page_shows_the_sheet_as_images_and_offers_an_objection(
    client: TestClient, board: Board
) -> None:
    code = board.codes[SUBSIDY]
    page = client.get(f"/n/{code.lower()}")
    assert page.status_code == 200, page.text
    assert "还剩3天" in page.text and f'href="/n/{code}/objection"' in page.text
    assert f'src="/n/{code}/page-1.png"' in page.text and f'href="/n/{code}/sheet.pdf"' in page.text
    image = client.get(f"/n/{code}/page-1.png")
    assert image.status_code == 200 and image.content.startswith(b"\x89PNG")
    assert client.get(f"/n/{code}/page-9.png").status_code == 404
    pdf = client.get(f"/n/{code}/sheet.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    twin = client.get(f"/n/{code}?format=json").json()
    assert twin["notice"]["in_period"] and twin["pages"] == [f"/n/{code}/page-1.png"]
    kept = board.settings.data / "cache" / "board" / "pages" / twin["notice"]["sheet_sha256"]
    assert (kept / "page-1.png").is_file() and (kept / "document.pdf").is_file()


def test_a_result_notice_has_no_objection_but_a_report(client: TestClient, board: Board) -> None:
    code = board.codes[RESULT]
    page = client.get(f"/n/{code}")
    assert page.status_code == 200 and "/objection" not in page.text
    assert 'href="/v/QL-NM/report"' in page.text and "结果公开" in page.text


def test_a_code_checked_or_scanned_goes_to_the_notices_page(
    client: TestClient, board: Board
) -> None:
    code = board.codes[SUBSIDY]
    for typed in (code.lower(), f"XWQL:{code}", f"http://127.0.0.1:8000/n/{code}"):
        answer = client.get("/verify", params={"code": typed}, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"] == f"/n/{code}"
    assert normalise_code(f"https://cunwu.example.gov.cn/n/{code.lower()}/") == code
    unknown = client.get("/n/0000-0000")
    assert unknown.status_code == 404 and "没有核验码为" in unknown.text
    assert client.get("/n/not-a-code").status_code == 404


def test_notice_look_ups_are_limited_per_address(board: Board) -> None:
    with board_client(board, lookups=3) as limited:
        answers = [limited.get(f"/n/{board.codes[RESULT]}").status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]


def test_an_item_shows_its_flow_as_svg_drawn_once(client: TestClient, board: Board) -> None:
    page = client.get("/v/QL-NM/items/xwql-022")
    assert page.status_code == 200 and "<svg" in page.text and "<text" in page.text
    assert "一次性告知材料" in page.text and "行使依据" in page.text and "<script" not in page.text
    # What the source does not give is marked as a draft (each drafted field, the flow too).
    # 行使主体, 经办, 公示要求, 监督, 办理流程, 一次性告知材料, 行使依据
    assert page.text.count("起草，待确认") == 7
    drawn = list((board.settings.data / "cache" / "board" / "flows").glob("*.svg"))
    assert len(drawn) == 1
    mtime = drawn[0].stat().st_mtime_ns
    assert client.get("/items/XWQL-022").status_code == 200
    assert drawn[0].stat().st_mtime_ns == mtime
    listing = client.get("/v/QL-NM/items?format=json").json()
    assert len(listing["items"]) == 50
    assert client.get("/items/xwql-999").status_code == 404


def test_a_monthly_pack_is_shown_page_by_page(client: TestClient, board: Board) -> None:
    twin = client.get("/v/QL-NM/packs/2026-11?format=json").json()
    assert twin["pack"]["month"] == "2026-11" and len(twin["pages"]) > 1
    first = client.get(twin["pages"][0])
    assert first.status_code == 200 and first.content.startswith(b"\x89PNG")
    pdf = client.get(twin["pdf"])
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert client.get("/v/QL-NM/packs/2026-10").status_code == 404
    assert client.get("/v/QL-NM/packs/whenever").status_code == 404


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.links += [value for name, value in attrs if name in ("href", "src") and value]


def _same_site(base: str, link: str) -> str | None:
    target = urlsplit(urljoin(base, link))
    if target.scheme not in ("", "http") or target.netloc not in ("", "127.0.0.1"):
        return None
    if target.path.startswith("/static/") or target.path.startswith(("/w", "/audit", "/login")):
        return None
    return target.path


def _ledger_secrets(board: Board) -> list[str]:
    with Workspace.open(board.settings) as workspace:
        return sorted(
            {
                value
                for case in workspace.store.find()
                for person in case.applicants
                for value in (person.id_number, person.phone)
                if value
            }
        )


@pytest.mark.slow
def test_no_page_of_the_board_shows_an_id_number_or_a_phone(
    client: TestClient, board: Board, tmp_path: Path
) -> None:
    """Privacy crawl: every page reachable from the district, its JSON twin, PDFs and SVGs."""
    secrets = _ledger_secrets(board)
    assert len(secrets) > 20
    seen: set[str] = {"/v"}
    queue = deque(["/v"])
    kinds: dict[str, int] = {}
    while queue:
        path = queue.popleft()
        answer = client.get(path)
        kind = answer.headers.get("content-type", "").split(";")[0]
        kinds[kind] = kinds.get(kind, 0) + 1
        if kind == "application/pdf":
            pdf = tmp_path / "crawled.pdf"
            pdf.write_bytes(answer.content)
            text = read_pdf_text(pdf)
            check_public_text(pdf, text)
            assert not [s for s in secrets if s in text.text.replace(" ", "")], path
            continue
        if kind == "image/png":
            continue
        body = answer.text
        assert not [s for s in secrets if s in body], path
        assert not ID_18.search(body) and not MOBILE.search(body), path
        if kind == "text/html":
            twin = client.get(path, params={"format": "json"})
            if twin.headers.get("content-type", "").startswith("application/json"):
                assert not [s for s in secrets if s in twin.text], path
                assert not ID_18.search(twin.text) and not MOBILE.search(twin.text), path
            parser = _Links()
            parser.feed(body)
            for link in parser.links:
                target = _same_site(f"http://127.0.0.1{path}", link)
                if target is not None and target not in seen:
                    seen.add(target)
                    queue.append(target)
    assert kinds.get("application/pdf", 0) >= 5 and kinds.get("image/png", 0) >= 5, kinds
    assert {"/v/QL-NM/items/xwql-022", "/v/QL-NM/packs/2026-11"} <= seen


def test_a_reprinted_notice_still_shows_the_sheet_the_archive_keeps(board: Board) -> None:
    """A reprint registers its own copy's hash; the page shows the archived sheet all the same."""
    code = board.codes[SUBSIDY]
    out = board.settings.data / "reprinted"
    request = NoticeRequest([SUBSIDY[0]], None, None, out, operator="测试员")
    assert issue_notices(board.settings, request).issued
    with Workspace.open(board.settings) as workspace:
        registered = workspace.store.notice(code)
    shutil.rmtree(board.settings.data / "cache" / "board", ignore_errors=True)
    with board_client(board) as client:
        page = client.get(f"/n/{code}")
        assert page.status_code == 200 and "不符" not in page.text, page.text
        assert client.get(f"/n/{code}/page-1.png").status_code == 200
        shown = client.get(f"/n/{code}?format=json").json()
    assert registered is not None and shown["pages"] == [f"/n/{code}/page-1.png"]
