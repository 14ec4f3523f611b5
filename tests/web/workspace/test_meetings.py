"""The meetings page: each scope's register, its quorum lines, and the minutes to sign."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.conftest import pdf_text
from tests.web.workspace.conftest import District, activity, log_in


def test_a_clerk_reads_her_villages_meetings_only(
    app_client: TestClient, district: District
) -> None:
    log_in(app_client, "nm-clerk")
    answer = app_client.get("/w/meetings?format=json").json()
    assert answer["scope"] == "齐陵街道南马村"
    meetings = answer["meetings"]
    assert meetings and {m["village"] for m in meetings} == {"QL-NM"}
    days = [m["held_on"] for m in meetings]
    assert days == sorted(days, reverse=True)
    representatives = next(m for m in meetings if m["kind"] == "村民代表会议")
    assert representatives["quorum"] == "符合三分之二以上要求"
    assert representatives["shortfalls"] == []
    assert "NM-2026-11-004" in {t["case_id"] for t in representatives["topics"]}
    page = app_client.get("/w/meetings")
    assert page.status_code == 200 and "应到 15 人，实到 10 人" in page.text
    assert "东周家村〔2026〕" not in page.text and "印出会议记录（签字用）" in page.text


def test_an_office_reads_its_towns_villages_and_narrows_to_one(
    app_client: TestClient, district: District
) -> None:
    log_in(app_client, "ql-office")
    every = app_client.get("/w/meetings?format=json").json()["meetings"]
    assert {m["village"] for m in every} == {"QL-NM", "QL-DZ"}
    one = app_client.get("/w/meetings?village=QL-DZ&format=json").json()["meetings"]
    assert one and {m["village"] for m in one} == {"QL-DZ"}


@pytest.mark.soffice
def test_the_supervisor_prints_the_minutes_to_sign(
    app_client: TestClient, district: District, tmp_path_factory: pytest.TempPathFactory
) -> None:
    log_in(app_client, "nm-supervisor")
    meetings = app_client.get("/w/meetings?format=json").json()["meetings"]
    representatives = next(m for m in meetings if m["kind"] == "村民代表会议")
    number = representatives["number"]
    answer = app_client.get(
        "/w/meetings/minutes.pdf", params={"village": "QL-NM", "number": number}
    )
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/pdf"
    assert "inline" in answer.headers["content-disposition"]
    pdf = tmp_path_factory.mktemp("minutes") / "minutes.pdf"
    pdf.write_bytes(answer.content)
    text = "".join(pdf_text(pdf).split())
    assert number in text and "应到15人，实到10人，符合三分之二以上要求" in text
    assert "参会人员签到" in text
    assert ("minutes", f"QL-NM {number}") in activity(district, "nm-supervisor")
    unknown = app_client.get(
        "/w/meetings/minutes.pdf", params={"village": "QL-NM", "number": "南马村〔2026〕99号"}
    )
    assert unknown.status_code == 400 and number in unknown.text
