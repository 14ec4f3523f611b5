"""Every route of the workspace × every scoped role × another village's object: refused, logged.

The table below names, for each route, how to aim it at a village outside the
account's scope. A route added to the workspace without a line here fails the first
test, so no page escapes the question.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from pipeline.web.workspace import WORKSPACE_ROUTERS
from tests.web.workspace.conftest import (
    District,
    activity,
    log_in,
    session_token,
    village_case,
    village_report,
)

# The other village for each account: outside its village, or outside its town.
OTHER = {"nm-clerk": "QL-DZ", "nm-supervisor": "QL-DZ", "ql-office": "JX-BY"}
OTHER_TOWN = {"nm-clerk": "JX", "nm-supervisor": "JX", "ql-office": "JX"}

Attempt = Callable[[TestClient, District, str], Response]


def _get(path: str) -> Attempt:
    def attempt(client: TestClient, district: District, account: str) -> Response:
        village = OTHER[account]
        return client.get(
            path.format(case=village_case(district, village), village=village,
                        town=OTHER_TOWN[account], receipt=village_report(district, village))
        )  # fmt: skip

    return attempt


def _post(path: str, **form: str) -> Attempt:
    def attempt(client: TestClient, district: District, account: str) -> Response:
        village = OTHER[account]
        fields = {key: value.format(village=village) for key, value in form.items()}
        fields["form_token"] = session_token(client)
        target = path.format(
            case=village_case(district, village), receipt=village_report(district, village)
        )
        return client.post(target, data=fields, follow_redirects=False)

    return attempt


ATTEMPTS: dict[tuple[str, str], Attempt] = {
    ("GET", "/w/cases"): _get("/w/cases?village={village}"),
    ("GET", "/w/cases/{case_id}"): _get("/w/cases/{case}"),
    ("GET", "/w/cases/{case_id}/step"): _get("/w/cases/{case}/step"),
    ("POST", "/w/cases/{case_id}/step"): _post(
        "/w/cases/{case}/step", actor="村民委员会", date="2026-11-30"
    ),
    ("POST", "/w/cases/{case_id}/documents"): _post("/w/cases/{case}/documents"),
    ("GET", "/w/cases/{case_id}/files/{name}"): _get("/w/cases/{case}/files/申请表.pdf"),
    ("GET", "/w/notices"): _get("/w/notices?village={village}&date=2026-11-05"),
    ("POST", "/w/notices"): _post("/w/notices", village="{village}", date="2026-11-05"),
    ("GET", "/w/notices/files/{village}/{date}/{name}"): _get(
        "/w/notices/files/{village}/2026-11-05/x.pdf"
    ),
    ("GET", "/w/registers"): _get("/w/registers?village={village}"),
    ("GET", "/w/registers/seals.xlsx"): _get("/w/registers/seals.xlsx?village={village}"),
    ("GET", "/w/registers/overdue.xlsx"): _get("/w/registers/overdue.xlsx?village={village}"),
    ("GET", "/w/month"): _get("/w/month?town={town}"),
    ("POST", "/w/month"): _post("/w/month", month="2026-11", village="{village}"),
    ("GET", "/w/meetings"): _get("/w/meetings?village={village}"),
    ("GET", "/w/meetings/minutes.pdf"): _get("/w/meetings/minutes.pdf?village={village}&number=x"),
    # District-wide objects: only the district's administrator.
    ("GET", "/w/accounts"): _get("/w/accounts"),
    ("POST", "/w/accounts"): _post("/w/accounts", name="x", role="clerk", village="{village}"),
    ("POST", "/w/accounts/{change}"): _post("/w/accounts/disable", name="dz-clerk"),
    ("GET", "/w/activity"): _get("/w/activity"),
    ("POST", "/w/catalog/{code}/confirm"): _post(
        "/w/catalog/xwql-017/confirm",
        document="临民字〔2026〕3号",
        date="2026-11-30",
        fields="steps",
    ),
    # The supervision desk: another village's objections, contacts and photos.
    ("GET", "/w/supervision"): _get("/w/supervision?village={village}"),
    ("GET", "/w/supervision/{receipt}"): _get("/w/supervision/{receipt}"),
    ("POST", "/w/supervision/{receipt}"): _post(
        "/w/supervision/{receipt}", findings="核实", decision="不成立"
    ),
    ("GET", "/w/supervision/{receipt}/photo"): _get("/w/supervision/{receipt}/photo"),
}

OWN_SCOPE_ONLY = {
    ("GET", "/w"),  # the account's own villages, nothing else
    ("GET", "/w/ledger"),  # a form
    ("GET", "/w/ledger/template.xlsx"),  # the blank ledger, the same for everyone
    ("GET", "/w/catalog"),  # the catalog and what is drafted, the same for everyone
}
ELSEWHERE = {
    # An upload holding another village's case: tests/web/workspace/test_ledger.py.
    ("POST", "/w/ledger"),
    # Another account's error workbook, by its unguessable id: test_ledger.py.
    ("GET", "/w/ledger/reports/{upload_id}.xlsx"),
    # Another town's run and its files: test_month.py.
    ("GET", "/w/month/runs/{run_id}"),
    ("GET", "/w/month/runs/{run_id}/files/{name}"),
}


def test_every_route_of_the_workspace_is_in_the_table() -> None:
    routes = {
        (method, route.path)
        for router in WORKSPACE_ROUTERS
        for route in router.routes
        for method in route.methods  # type: ignore[attr-defined]
    }
    assert routes == set(ATTEMPTS) | OWN_SCOPE_ONLY | ELSEWHERE


@pytest.mark.parametrize("account", sorted(OTHER))
def test_another_villages_object_is_refused_and_logged_on_every_route(
    app_client: TestClient, district: District, account: str
) -> None:
    log_in(app_client, account)
    before = len(activity(district, account))
    for (method, path), attempt in ATTEMPTS.items():
        answer = attempt(app_client, district, account)
        assert answer.status_code == 403, (account, method, path, answer.status_code)
        assert "无权" in answer.text, (method, path)
    refused = [a for a, _ in activity(district, account)[before:] if a == "refused"]
    assert len(refused) == len(ATTEMPTS), account
