"""A villager's objection through the case store: kept, on the case, blocking, answered."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image

from pipeline.cases.model import ObjectionDecision
from pipeline.cases.objections import ObjectionKind
from pipeline.config import Settings
from pipeline.errors import InputInvalid, StepRefused
from pipeline.intake.importing import import_ledger
from pipeline.jobs.cases import StepEntry, record_step
from pipeline.jobs.objections import (
    MAX_TEXT,
    Submission,
    answer_objection,
    check_submission,
    object_to_notice,
    public_view,
    report_problem,
)
from pipeline.rules.violations import RuleId
from pipeline.units.notices import notice_jobs
from pipeline.workspace import Workspace
from tests.conftest import ROOT
from tests.jobs.posting import post_notice as posted

LEDGER = ROOT / "examples" / "linzi" / "ledgers" / "2026-11" / "南马村-2026-11-台账.xlsx"
CASE = "NM-2026-10-004"  # 低保申请 (xwql-022), waiting for its notice
POSTED = dt.date(2026, 11, 27)  # a Friday: 7 calendar days, to 2026-12-03
CHINA_NOON = dt.timedelta(hours=4)  # 12:00 in China is 04:00 UTC


def at(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC) + CHINA_NOON


@pytest.fixture
def workspace(tmp_path: Path) -> Iterator[Workspace]:
    settings = replace(Settings(), home=ROOT, data=tmp_path)
    with Workspace.open(settings) as opened:
        import_ledger(LEDGER, opened)
        yield opened


def post_notice(workspace: Workspace) -> str:
    return posted(workspace, CASE, POSTED)


CONFIRM = StepEntry("confirm", "区民政局", dt.date(2026, 12, 7))


def test_an_objection_in_the_period_blocks_the_next_step_until_answered(
    workspace: Workspace,
) -> None:
    code = post_notice(workspace)
    sent = Submission("申请人家里新买了轿车，不符合低保条件。", "张三", "13800001111")

    kept = object_to_notice(workspace, code, sent, now=at(dt.date(2026, 11, 30)))

    assert kept.kind is ObjectionKind.OBJECTION and kept.in_period
    assert kept.due_on == dt.date(2026, 12, 7)  # five working days after Monday 30 November
    (on_case,) = workspace.store.get(CASE).objections
    assert on_case.receipt == kept.receipt and on_case.notice_step == "notice"
    assert (
        "张三" not in on_case.model_dump_json() and "13800001111" not in on_case.model_dump_json()
    )
    with pytest.raises(StepRefused) as refused:
        record_step(workspace, CASE, CONFIRM, via="test")
    assert [v.rule for v in refused.value.violations] == [RuleId.OBJECTION]
    assert kept.receipt in refused.value.violations[0].message

    answer_objection(
        workspace, kept.receipt, findings="车辆登记在其已分户的儿子名下。",
        decision=ObjectionDecision.NOT_UPHELD, answered_on=dt.date(2026, 12, 2),
        answered_by="nm-supervisor",
    )  # fmt: skip
    assert record_step(workspace, CASE, CONFIRM, via="test").step.id == "confirm"
    with pytest.raises(InputInvalid, match="已经答复"):
        answer_objection(
            workspace, kept.receipt, findings="再答一次", decision=ObjectionDecision.UPHELD,
            answered_on=dt.date(2026, 12, 2), answered_by="nm-supervisor",
        )  # fmt: skip


def test_an_upheld_objection_sends_the_case_back_and_the_notice_is_posted_again(
    workspace: Workspace,
) -> None:
    code = post_notice(workspace)
    kept = object_to_notice(workspace, code, Submission("收入没有如实申报。"), now=at(POSTED))
    answer_objection(
        workspace, kept.receipt, findings="经核实，申请人有务工收入未申报。",
        decision=ObjectionDecision.UPHELD, answered_on=dt.date(2026, 12, 1),
        answered_by="nm-supervisor",
    )  # fmt: skip

    with pytest.raises(StepRefused) as refused:
        record_step(workspace, CASE, CONFIRM, via="test")
    assert "应重新办理“入户调查”（investigate）" in str(refused.value.violations[0].message)
    for again in (
        StepEntry("investigate", "镇（街道）调查人员", dt.date(2026, 12, 2)),
        StepEntry("democratic_review", "村民委员会", dt.date(2026, 12, 2), meeting_record="评议-2"),
        StepEntry("town_review", "镇（街道）", dt.date(2026, 12, 2)),
    ):
        record_step(workspace, CASE, again, via="test")
    again = record_step(
        workspace, CASE, StepEntry("notice", "村民委员会", dt.date(2026, 12, 3)), via="test"
    ).case
    item = workspace.catalog.get(again.item_code)
    jobs = notice_jobs(again, item, workspace.directory.get(again.village))
    assert [job.start for job in jobs] == [POSTED, dt.date(2026, 12, 3)]  # posted again
    assert jobs[0].verification_code != jobs[1].verification_code


def test_no_objection_outside_the_period_or_to_a_result(workspace: Workspace) -> None:
    code = post_notice(workspace)
    with pytest.raises(InputInvalid, match="不在今天") as refused:
        object_to_notice(workspace, code, Submission("晚了"), now=at(dt.date(2026, 12, 4)))
    assert "反映问题" in str(refused.value)
    with pytest.raises(InputInvalid, match="不是一份公示"):
        object_to_notice(workspace, "7K3D-Q9XM", Submission("没有这份"), now=at(POSTED))
    assert workspace.objections.find() == []


def test_a_report_to_the_committee_and_what_its_receipt_shows(workspace: Workspace) -> None:
    sent = Submission("村东头路灯坏了三个月。<script>alert(1)</script>", "李四", "0533-1234567")
    kept = report_problem(workspace, "南马村", sent, now=at(dt.date(2026, 9, 30)))
    assert kept.kind is ObjectionKind.REPORT and not kept.in_period and kept.case_id is None
    # Five working days after the National Day holiday (1-7 October), Saturday 10th a working day.
    assert kept.due_on == dt.date(2026, 10, 13)

    view = public_view(workspace, workspace.objections.get(kept.receipt), dt.date(2026, 10, 15))
    assert view.state == "逾期未答复"
    shown = repr(view.as_dict())
    assert "<script>alert(1)</script>" in shown  # kept as typed; the page escapes it
    assert "李四" not in shown and "0533-1234567" not in shown


def test_numbers_typed_into_an_objection_are_masked_on_its_receipt(workspace: Workspace) -> None:
    sent = Submission("张某身份证 370305198001011234，电话 13812345678，家里有车。")
    kept = report_problem(workspace, "南马村", sent, now=at(POSTED))
    shown = public_view(workspace, kept, POSTED).text
    assert "370305198001011234" not in shown and "13812345678" not in shown
    assert "家里有车" in shown
    assert workspace.objections.get(kept.receipt).text == sent.text  # the committee reads all


def test_a_ledger_imported_again_keeps_the_objections(workspace: Workspace) -> None:
    code = post_notice(workspace)
    object_to_notice(workspace, code, Submission("有异议"), now=at(POSTED))
    import_ledger(LEDGER, workspace)
    assert len(workspace.store.get(CASE).objections) == 1


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, "JPEG")
    return buffer.getvalue()


def zip_named_jpeg() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.txt", "not a photo")
    return b"\xff\xd8\xff" + buffer.getvalue()  # a JPEG's first bytes, then a zip


@pytest.mark.parametrize(
    ("submission", "refusal"),
    [
        (Submission(""), "请写明"),
        (Submission("\u200b\u200c\u2060 \ufeff"), "请写明"),  # zero-width marks only
        (Submission("字" * (MAX_TEXT + 1)), "最多 2000 个字"),
        (Submission("x" * 10_000), "最多 2000 个字"),
        (Submission("有异议", name="名" * 41), "姓名最多"),
        (Submission("有异议", phone="call me"), "联系电话"),
        (Submission("有异议", photo=zip_named_jpeg()), "不是能打开的"),
        (Submission("有异议", photo=b"PK\x03\x04" + b"0" * 100), "不是能打开的"),
        (Submission("有异议", photo=b"\xff\xd8\xff" + b"0" * (5 * 1024 * 1024)), "不能超过 5 MB"),
    ],
)
def test_what_cannot_be_accepted_is_refused_in_plain_words(
    submission: Submission, refusal: str
) -> None:
    with pytest.raises(InputInvalid, match=refusal):
        check_submission(submission)


def test_rare_characters_and_a_real_photo_are_accepted_as_they_are() -> None:
    text = "𠮷䶮\u200b的异议：金额不对 ✓"
    checked = check_submission(Submission(f"  {text}\n", photo=jpeg()))
    assert checked.text == text and checked.photo is not None
    assert check_submission(Submission("字" * MAX_TEXT)).text == "字" * MAX_TEXT
