"""A sample district for the workspace's pages: three villages' ledgers, an account per role."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from pipeline.accounts.model import AccountRole, Scope
from pipeline.accounts.store import AccountStore
from pipeline.config import Settings
from pipeline.intake.importing import import_ledger
from pipeline.workspace import Workspace
from tests.conftest import ROOT
from tests.web.conftest import web_client

PASSWORD = "sample password 2026"
LEDGERS = ROOT / "examples" / "linzi" / "ledgers" / "2026-11"
FORM_TOKEN = re.compile(r'name="form_token" value="([^"]+)"')
ACCOUNTS = {
    "nm-clerk": (AccountRole.CLERK, Scope(village="QL-NM")),
    "dz-clerk": (AccountRole.CLERK, Scope(village="QL-DZ")),
    "ql-office": (AccountRole.OFFICE, Scope(town="QL")),
    "nm-supervisor": (AccountRole.SUPERVISOR, Scope(village="QL-NM")),
    "district-admin": (AccountRole.ADMIN, Scope()),
}


class Clock:
    """The app's clock, 2026-11-30 in China unless a test moves it (``now`` in seconds)."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> dt.datetime:
        start = dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.UTC)  # 10:00 in China
        return start + dt.timedelta(seconds=self.now)


@dataclass(frozen=True)
class District:
    settings: Settings


@pytest.fixture(scope="module")
def district(tmp_path_factory: pytest.TempPathFactory) -> District:
    return make_district(tmp_path_factory.mktemp("workspace"))


def make_district(data: Path, *, catalog: Path | None = None) -> District:
    """Three villages' ledgers imported and an account per role, kept in ``data``.

    With ``catalog``, the district works on that edition (a copy it may confirm).
    """
    settings = replace(Settings(), home=ROOT, data=data, converter_workers=1, catalog=catalog)
    with Workspace.open(settings) as workspace:
        for village in ("南马村", "东周家村", "北杨村"):
            import_ledger(LEDGERS / f"{village}-2026-11-台账.xlsx", workspace)
        store = AccountStore.of(settings)
        try:
            for name, (role, scope) in ACCOUNTS.items():
                store.add(name, role, scope, PASSWORD, workspace.directory)
        finally:
            store.close()
    return District(settings)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def app_client(district: District, clock: Clock) -> Iterator[TestClient]:
    with web_client(district.settings, clock) as client:
        yield client


def form_token(client: TestClient, path: str) -> str:
    """The form token of the page at ``path`` (as a browser would send it back)."""
    page = client.get(path)
    match = FORM_TOKEN.search(page.text)
    assert match, page.text
    return match.group(1)


def log_in(client: TestClient, name: str, password: str = PASSWORD) -> None:
    """Log in through the login page, as a browser does."""
    answer = client.post(
        "/login",
        data={"name": name, "password": password, "form_token": form_token(client, "/login")},
        follow_redirects=False,
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/w", answer.text


def session_token(client: TestClient) -> str:
    """The logged-in session's form token (every workspace page's logout form carries it)."""
    return form_token(client, "/w")


def activity(district: District, name: str) -> list[tuple[str, str]]:
    """The log of writes of one account: (action, what), oldest first."""
    store = AccountStore.of(district.settings)
    try:
        return [(line.action, line.what) for line in store.activity(actor=name)][::-1]
    finally:
        store.close()


def village_case(district: District, village: str, *, open_only: bool = True) -> str:
    """A case id of ``village`` (an open one with a next step by default)."""
    from pipeline.cases.model import CaseStatus
    from pipeline.rules.flow import next_step

    with Workspace.open(district.settings) as workspace:
        for case in workspace.store.find(village=village):
            item = workspace.catalog.get(case.item_code)
            if not open_only or (case.status == CaseStatus.OPEN and next_step(case, item)):
                return case.case_id
    raise AssertionError(f"no case in {village}")


_REPORTS: dict[tuple[str, str], str] = {}


def village_report(district: District, village: str) -> str:
    """The receipt of a villager's report (反映问题) to ``village``'s committee, made once."""
    from pipeline.jobs.objections import Submission, report_problem

    key = (str(district.settings.data), village)
    if key not in _REPORTS:
        with Workspace.open(district.settings) as workspace:
            sent = Submission("村里的路灯坏了。", name="报告人", phone="13912345678")
            now = dt.datetime(2026, 11, 27, 2, tzinfo=dt.UTC)
            _REPORTS[key] = report_problem(workspace, village, sent, now=now).receipt
    return _REPORTS[key]


def the_files(path: Path) -> list[str]:
    return sorted(p.name for p in path.iterdir()) if path.is_dir() else []
