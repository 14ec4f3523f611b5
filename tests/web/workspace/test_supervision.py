"""A villager objects on the board, the clerk is held, the committee answers, the case goes on."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from pipeline.programs.s3server import EmbeddedS3
from pipeline.workspace import Workspace
from tests.jobs.posting import post_notice
from tests.s3 import assert_locked
from tests.web.conftest import own_bucket_settings
from tests.web.workspace.conftest import (
    District,
    activity,
    form_token,
    log_in,
    session_token,
)

CASE = "NM-2026-10-004"  # 低保申请 of 南马村, waiting for its notice
NAME, PHONE = "赵异议", "13955556666"
ARCHIVAL_CODE = re.compile(r"LZ-QL-[0-9A-Z.\-]+")
RECEIPT = re.compile(r"/objection/([0-9A-Z]{4}-[0-9A-Z]{4})\?new=1")


pytestmark = [pytest.mark.s3, pytest.mark.soffice]


@pytest.fixture(scope="module")
def district(district: District, s3_server: EmbeddedS3) -> District:
    """The workspace's sample district, filing into a bucket of this module's own."""
    return District(own_bucket_settings(district.settings.data, s3_server, "xwql-ws"))


@pytest.fixture(scope="module")
def notice(district: District) -> str:
    """The case's notice, posted on Friday 27 November: in its period on the app's today."""
    with Workspace.open(district.settings) as workspace:
        return post_notice(workspace, CASE, dt.date(2026, 11, 27))


def photo() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), "blue").save(buffer, "JPEG")
    return buffer.getvalue()


def send(
    client: TestClient,
    path: str,
    text: str,
    *,
    token: str | None = None,
    attached: bytes | None = None,
) -> tuple[int, str, str]:
    """Fill in and send the form at ``path`` as a phone would: (status, receipt, page text)."""
    fields = {"form_token": token or form_token(client, path), "text": text, "name": NAME,
              "phone": PHONE}  # fmt: skip
    files = {"photo": ("photo.jpg", attached or photo(), "image/jpeg")}
    answer = client.post(path, data=fields, files=files, follow_redirects=False)
    found = RECEIPT.search(answer.headers.get("location", ""))
    return answer.status_code, found.group(1) if found else "", answer.text


def test_an_objection_holds_the_case_until_the_committee_answers(
    app_client: TestClient, district: District, notice: str
) -> None:
    status, receipt, _ = send(app_client, f"/n/{notice}/objection", "他家有车，不符合条件。")
    assert status == 303 and receipt
    page = app_client.get(f"/objection/{receipt}?new=1")
    assert page.status_code == 200 and receipt in page.text and "待答复" in page.text
    assert NAME not in page.text and PHONE not in page.text
    assert (
        app_client.get(f"/objection/{receipt}?format=json").json()["objection"]["state"] == "待答复"
    )

    # The clerk's next step is refused while the objection is open.
    log_in(app_client, "nm-clerk")
    step = {"actor": "区民政局", "date": "2026-12-04", "form_token": session_token(app_client)}
    held = app_client.post(f"/w/cases/{CASE}/step", data=step)
    assert held.status_code == 409 and receipt in held.text and "尚未答复" in held.text
    case_page = app_client.get(f"/w/cases/{CASE}").text
    assert receipt in case_page and "不能办理下一步" in case_page and NAME not in case_page
    assert app_client.get("/w/supervision").status_code == 403  # a clerk has no desk

    # The committee reads who objected and answers.
    app_client.cookies.clear()
    log_in(app_client, "nm-supervisor")
    desk = app_client.get("/w/supervision")
    assert desk.status_code == 200 and receipt in desk.text
    detail = app_client.get(f"/w/supervision/{receipt}")
    assert NAME in detail.text and PHONE in detail.text
    picture = app_client.get(f"/w/supervision/{receipt}/photo")
    assert picture.status_code == 200 and picture.headers["content-type"] == "image/jpeg"
    answer = {"findings": "经核实，车辆登记在其子名下，不影响认定。", "decision": "不成立",
              "answered_on": "2026-11-30", "form_token": session_token(app_client)}  # fmt: skip
    done = app_client.post(f"/w/supervision/{receipt}", data=answer, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == f"/w/supervision/{receipt}"
    filed = ARCHIVAL_CODE.search(app_client.get(f"/w/supervision/{receipt}").text)
    assert filed, "the answered objection is filed at once"
    assert_locked(district.settings, filed.group(0))
    assert ("answer-objection", f"{receipt} 不成立") in activity(district, "nm-supervisor")
    again = app_client.post(f"/w/supervision/{receipt}", data=answer)
    assert again.status_code == 409 and "已经答复" in again.text

    # The villager sees the answer (not who gave it); the clerk goes on.
    app_client.cookies.clear()
    shown = app_client.get(f"/objection/{receipt}").text
    assert "已答复（不成立）" in shown and "车辆登记在其子名下" in shown
    assert "nm-supervisor" not in shown
    log_in(app_client, "nm-clerk")
    step["form_token"] = session_token(app_client)
    went_on = app_client.post(f"/w/cases/{CASE}/step", data=step, follow_redirects=False)
    assert went_on.status_code == 303, went_on.text


def test_a_report_shows_its_text_literally(app_client: TestClient) -> None:
    hostile = '<script>alert("x")</script>𠮷\u200b'
    status, receipt, _ = send(app_client, "/v/QL-DZ/report", hostile)
    assert status == 303
    page = app_client.get(f"/objection/{receipt}").text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;𠮷" in page
    assert "<script>" not in page


@pytest.mark.parametrize(
    ("text", "attached", "refusal"),
    [
        ("x" * 10_000, None, "最多 2000 个字"),
        ("有异议", b"PK\x03\x04zip pretending to be a photo", "不是能打开的"),
        ("\u200b\u200b", None, "请写明"),
    ],
)
def test_hostile_sends_are_refused_on_the_form_with_what_was_typed(
    app_client: TestClient, text: str, attached: bytes | None, refusal: str
) -> None:
    status, receipt, page = send(app_client, "/v/JX-BY/report", text, attached=attached)
    assert status == 400 and not receipt and refusal in page
    assert 'name="form_token"' in page  # the form again, to correct


def test_a_form_from_elsewhere_is_refused(app_client: TestClient) -> None:
    app_client.get("/v/QL-NM/report")  # the cookie holds this page's token, not the one sent
    status, receipt, page = send(app_client, "/v/QL-NM/report", "有问题", token="forged")
    assert status == 403 and not receipt and "表单已失效" in page


def test_an_objection_after_the_period_points_to_a_report(
    app_client: TestClient, district: District, notice: str, clock: object
) -> None:
    clock.now = 5 * 86400  # type: ignore[attr-defined]  # 5 December: the period ended on the 3rd
    closed = app_client.get(f"/n/{notice}/objection")
    assert closed.status_code == 409 and "公示期已过" in closed.text
    assert "/v/QL-NM/report" in closed.text


def test_a_flood_from_one_address_is_limited_and_logged(
    app_client: TestClient, district: District
) -> None:
    statuses = [send(app_client, "/v/QL-NM/report", f"第{n}条")[0] for n in range(12)]
    assert statuses.count(303) <= 10 and statuses[-1] == 429
    limited = [what for action, what in activity(district, "村民") if action == "objection-limited"]
    assert limited
