"""The board's read side over a real workspace: the sample ledgers, notices registered as issued.

The notices are registered as issuing registers them (their period from the item's
rule), without printing: what the board reads is the notices table and the cases.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from pipeline.cases.store import IssuedNotice
from pipeline.catalog.load import Catalog
from pipeline.catalog.model import DayUnit, StepKind, TimeLimit
from pipeline.config import Settings
from pipeline.intake.importing import import_ledger
from pipeline.jobs.board import (
    PageImages,
    days_left,
    district_board,
    find_notice,
    masked_name,
    town_board,
    village_board,
    village_notices,
)
from pipeline.jobs.notices import notices_of
from pipeline.units.notices import NoticeJob
from pipeline.workspace import Workspace
from tests.archive.records import write_pdf
from tests.conftest import ROOT

LEDGER = ROOT / "examples" / "linzi" / "ledgers" / "2026-11" / "南马村-2026-11-台账.xlsx"
ID_18 = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")
MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


def _register(workspace: Workspace, jobs: list[NoticeJob]) -> None:
    for job in jobs:
        workspace.store.register_notice(
            IssuedNotice(
                verification_code=job.verification_code, case_id=job.case.case_id,
                kind=job.kind.value,
                village=job.place.village.code,
                item_code=job.item.code, period_start=job.start, period_end=job.end,
                issued_on=job.step.date, public_sha256="0" * 64, public_file="x.pdf",
            )
        )  # fmt: skip


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    """南马村's ledger imported and every notice of it registered as issued."""
    data = tmp_path_factory.mktemp("board")
    settings = replace(Settings(), home=ROOT, data=data)
    with Workspace.open(settings) as opened:
        import_ledger(LEDGER, opened)
        _register(opened, notices_of(opened, opened.store.find(village="QL-NM")))
        yield opened


def _working_days(catalog: Catalog, code: str) -> Catalog:
    """The catalog with item ``code``'s notice step counting 7 working days."""
    items = []
    for item in catalog.items:
        if item.code == code:
            steps = [
                step.model_copy(update={"time_limit": TimeLimit(days=7, unit=DayUnit.WORKING)})
                if step.kind == StepKind.NOTICE
                else step
                for step in item.steps
            ]
            item = item.model_copy(update={"steps": steps})
        items.append(item)
    return replace(catalog, items=items)


def test_a_notice_in_its_period_counts_calendar_days_left_today_included(
    workspace: Workspace,
) -> None:
    notices = village_notices(workspace, "QL-NM", dt.date(2026, 11, 9))
    assert [n.posted_on for n in notices] == sorted((n.posted_on for n in notices), reverse=True)
    subsidy = next(n for n in notices if n.case_id == "NM-2026-11-008" and n.kind == "公示")
    assert (subsidy.start, subsidy.end) == (dt.date(2026, 11, 5), dt.date(2026, 11, 11))
    assert subsidy.in_period and not subsidy.working_days and subsidy.days_left == 3
    last_day = find_notice(workspace, subsidy.code, dt.date(2026, 11, 11))
    assert last_day is not None and last_day.in_period and last_day.days_left == 1
    after = find_notice(workspace, subsidy.code, dt.date(2026, 11, 12))
    assert after is not None and not after.in_period and after.days_left is None
    result = next(n for n in notices if n.kind == "结果公开")
    assert result.start is None and not result.in_period and result.days_left is None
    assert find_notice(workspace, "0000-0000", dt.date(2026, 11, 9)) is None


def test_working_days_left_skip_the_weekend_and_the_national_holiday() -> None:
    # Wednesday 30 September 2026, then the National Day holiday to 7 October.
    assert days_left(dt.date(2026, 10, 9), dt.date(2026, 9, 30), working_days=True) == 3
    assert days_left(dt.date(2026, 10, 9), dt.date(2026, 9, 30), working_days=False) == 10
    # From a Saturday: the working days of the next week only.
    assert days_left(dt.date(2026, 11, 17), dt.date(2026, 11, 14), working_days=True) == 2


def test_a_working_day_item_counts_its_notice_in_working_days(workspace: Workspace) -> None:
    catalog = _working_days(workspace.catalog, "xwql-022")
    working = replace(workspace, catalog=catalog)
    case = workspace.store.get("NM-2026-11-001")  # 低保申请, posted Saturday 7 November
    job = next(j for j in notices_of(working, [case]) if j.start is not None)
    assert (job.start, job.end) == (dt.date(2026, 11, 7), dt.date(2026, 11, 17))
    _register(working, [job])
    friday = find_notice(working, job.verification_code, dt.date(2026, 11, 13))
    assert friday is not None and friday.working_days and friday.in_period
    assert friday.days_left == 3  # Friday 13, Monday 16, Tuesday 17
    assert friday.title == "关于张*低保申请的公示"


def test_headlines_mask_people_and_keep_organisations(workspace: Workspace) -> None:
    assert masked_name("张秀英") == "张*" and masked_name("王𠮷") == "王*"
    assert masked_name("欧阳娜娜") == "欧*" and masked_name("南马村民委员会") == "南马村民委员会"
    assert masked_name("阿依古丽·买买提") == "阿*"
    titles = {n.case_id: n.title for n in village_notices(workspace, "QL-NM", dt.date(2026, 11, 9))}
    assert titles["NM-2026-11-008"] == "关于吴*惠农补贴申报的公示"
    assert titles["NM-2026-10-003"].startswith("关于南马村民委员会")


def test_the_village_board_shows_public_facts_only(workspace: Workspace) -> None:
    board = village_board(workspace, "ql-nm", dt.date(2026, 11, 9))
    assert board is not None and board["village"]["name"] == "南马村"
    assert board["village"]["supervision_phone"]
    assert board["village"]["phone_mark"] == "（示例）"  # the sample district's phones
    live = board["live"]
    assert {n["case_id"] for n in live} == {
        "NM-2026-11-008", "NM-2026-10-005", "NM-2026-11-004", "NM-2026-11-001", "NM-2026-11-002",
    }  # fmt: skip
    assert [n["end"] for n in live] == sorted(n["end"] for n in live)  # the first to end first
    assert [(n["case_id"], n["days_left"]) for n in live][:2] == [
        ("NM-2026-11-008", 3), ("NM-2026-10-005", 4),
    ]  # fmt: skip
    assert all(n["kind"] == "结果公开" for n in board["results"])
    assert {n["posted_on"] for n in board["results"]} <= {
        dt.date(2026, 11, 5), dt.date(2026, 11, 9),
    }  # fmt: skip
    text = json.dumps(board, default=str, ensure_ascii=False)
    secrets = [
        value
        for case in workspace.store.find(village="QL-NM")
        for person in case.applicants
        for value in (person.id_number, person.phone, person.address)
        if value
    ]
    assert secrets and not [value for value in secrets if value in text]
    assert not ID_18.search(text) and not MOBILE.search(text)
    assert "张秀英" not in text
    assert village_board(workspace, "QL-XX", dt.date(2026, 11, 9)) is None


def test_the_district_and_a_town_list_their_villages(workspace: Workspace) -> None:
    district = district_board(workspace)
    towns = {town["code"]: town for town in district["towns"]}
    assert {"code": "QL-NM", "name": "南马村"} in towns["QL"]["villages"]
    town = town_board(workspace, "ql")
    assert town is not None and town["town"]["villages"] == towns["QL"]["villages"]
    assert town_board(workspace, "NOPE") is None


def test_pages_of_a_pdf_are_drawn_once_and_kept(tmp_path: Path) -> None:
    images = PageImages(tmp_path / "pages", width_px=400)
    data = write_pdf(tmp_path / "two.pdf", 2).read_bytes()
    assert images.pages("a" * 64) is None
    sha256, count = images.keep(data)
    assert count == 2 and images.pages(sha256) == 2 and images.keep(data) == (sha256, 2)
    first = images.png(sha256, 1)
    assert first is not None and first.startswith(b"\x89PNG")
    drawn = tmp_path / "pages" / sha256 / "page-1.png"
    assert drawn.is_file() and not (tmp_path / "pages" / sha256 / "page-2.png").exists()
    assert images.png(sha256, 3) is None and images.png(sha256, 0) is None
    images.remember("LZ-QL-001-2026-D30-0001", sha256)
    assert images.recall("LZ-QL-001-2026-D30-0001") == sha256
    assert images.recall("LZ-QL-001-2026-D30-0002") is None
    with pytest.raises(ValueError, match="SHA-256"):
        images.pages("../../etc")
