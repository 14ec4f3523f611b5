"""The sample district of the workspace's pages, with notices issued, posted and filed.

南马村 posts on 2026-11-05 (a 公示 and a 结果公开) and on 2026-11-07 (two 公示), and
its pack of November 2026 is filed: all into a bucket of this package's own on the
session's S3 server. The app's clock stands on 2026-11-09 in China.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from pipeline.config import Settings
from pipeline.jobs.month import file_packs, write_packs
from pipeline.jobs.notices import NoticeRequest, archive_notices, issue_notices
from pipeline.programs.s3server import EmbeddedS3
from pipeline.workspace import Workspace
from tests.web.conftest import own_bucket_settings, web_client
from tests.web.workspace.conftest import Clock, District, district  # noqa: F401

POSTED = (dt.date(2026, 11, 5), dt.date(2026, 11, 7))
TODAY = dt.date(2026, 11, 9)


@dataclass(frozen=True)
class Board:
    """The district's settings and the codes of the notices it posted."""

    settings: Settings
    codes: dict[tuple[str, str], str]  # (case, kind as stored) → verification code


@pytest.fixture(scope="module")
def board(district: District, s3_server: EmbeddedS3) -> Board:  # noqa: F811
    settings = own_bucket_settings(district.settings.data, s3_server, "xwql-wb")
    out = settings.data / "posted"
    for day in POSTED:
        request = NoticeRequest([], "QL-NM", day, out / day.isoformat(), operator="测试员")
        issued = issue_notices(settings, request)
        assert issued.issued and not issued.failed, issued.failed
        archive_notices(settings, issued.issued)
    packs = write_packs(
        settings, (2026, 11), out / "packs", village="QL-NM", issued_on=dt.date(2026, 12, 1),
        operator="测试员",
    )  # fmt: skip
    assert packs.packs and not packs.failed, packs.failed
    file_packs(settings, packs.packs)
    with Workspace.open(settings) as workspace:
        codes = {
            (n.case_id, n.kind): n.verification_code
            for n in workspace.store.notices_of_village("QL-NM")
        }
    return Board(settings, codes)


class BoardClock(Clock):
    """The app's clock on 2026-11-09, 10:00 in China."""

    def __init__(self) -> None:
        super().__init__()
        self.now = -21 * 86400.0


def board_client(board: Board, *, lookups: int = 200) -> TestClient:
    return web_client(board.settings, BoardClock(), lookups=lookups)


@pytest.fixture
def client(board: Board) -> Iterator[TestClient]:
    with board_client(board) as opened:
        yield opened
