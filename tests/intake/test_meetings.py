"""The ledger's 会议记录 sheet: meetings read with located errors, then judged with the cases.

南马村's 村民代表会议 has 15 members in office from June 2026 (examples/linzi/district.yaml).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pipeline.cases.store import Change
from pipeline.catalog import Catalog
from pipeline.catalog.model import MeetingKind
from pipeline.config import Settings
from pipeline.errors import AccessDenied
from pipeline.intake import read_ledger
from pipeline.intake.importing import import_ledger
from pipeline.organisations import Directory
from pipeline.workspace import Workspace
from tests.intake.ledgers import (
    MEETING_HEADERS,
    case_row,
    meeting_row,
    save,
    step_row,
    workbook,
)
from tests.workspaces import private_workspace

SHEET = "会议记录"


@pytest.fixture
def workspace(
    tmp_path: Path, settings: Settings, catalog: Catalog, directory: Directory
) -> Iterator[Workspace]:
    with private_workspace(settings, catalog, directory, tmp_path) as opened:
        yield opened


def _wages(case_id: str, meeting: str) -> tuple[dict[str, Any], list[dict[str, Any] | None]]:
    """A 临时用工 case (xwql-017) whose 村“两委” decision names ``meeting``, on 5 November."""
    case = case_row(case_id, {"事项编码": "xwql-017", "受理日期": "2026-11-02"})
    steps: list[dict[str, Any] | None] = [
        step_row(case_id, {"环节": "labour_request", "办理主体": "村民委员会",
                           "日期": "2026-11-02"}),
        step_row(case_id, {"环节": "committees_decide", "办理主体": "村“两委”",
                           "日期": "2026-11-05", "会议记录": meeting}),
    ]  # fmt: skip
    return case, steps


def test_meetings_are_read_one_per_number_with_their_topics(
    tmp_path: Path, catalog: Catalog, directory: Directory
) -> None:
    rows: list[dict[str, Any] | None] = [
        meeting_row("NM-会-1", {"议题": "临时用工", "决定的办件编号": "NM-1",
                                "到会人员": "、".join(f"代表{n}" for n in range(11))}),
        None,  # a blank row between the topics of one meeting
        meeting_row("NM-会-1", {"议题": "修缮仓库", "决定的办件编号": "NM-2", "同意": 8,
                                "反对": 2, "弃权": 1, "决议": "同意两项"}),
    ]  # fmt: skip
    result = read_ledger(save(workbook([], [], rows), tmp_path), catalog, directory)
    assert result.errors == [] and (result.meeting_rows_in, result.meeting_rows_rejected) == (2, 0)
    (meeting,) = result.meetings
    assert meeting.kind is MeetingKind.REPRESENTATIVES and meeting.village == "QL-NM"
    assert (meeting.members, meeting.present, len(meeting.attendees)) == (15, 11, 11)
    assert meeting.cases == ["NM-1", "NM-2"] and meeting.resolution == "同意两项"
    vote = meeting.vote_on("NM-2")
    assert vote is not None and (vote.in_favour, vote.against, vote.abstaining) == (8, 2, 1)


def test_each_problem_of_a_meeting_is_located_and_the_others_are_read(
    tmp_path: Path, catalog: Catalog, directory: Directory
) -> None:
    rows: list[dict[str, Any] | None] = [
        meeting_row("M-ok"),  # row 2
        meeting_row("M-present", {"实到人数": 16}),  # row 3
        meeting_row("M-votes", {"同意": 10, "反对": 2}),  # row 4: 12 votes from 11 present
        meeting_row("M-names", {"到会人员": "甲、乙"}),  # row 5
        meeting_row("M-rows"),  # row 6
        meeting_row("M-rows", {"会议日期": "2026-11-05"}),  # row 7: disagrees with row 6
        meeting_row("M-members", {"应到人数": 17}),  # row 8: 15 in office since June
        meeting_row("M-kind", {"会议类别": "茶话会"}),  # row 9
        meeting_row("M-before", {"会议日期": "2026-05-20", "应到人数": 17}),  # row 10: 17 then
    ]
    result = read_ledger(save(workbook([], [], rows), tmp_path), catalog, directory)
    found = {(e.sheet, e.row, e.column): e.problem.zh for e in result.errors}
    assert set(found) == {
        (SHEET, 3, "实到人数"), (SHEET, 4, "同意"), (SHEET, 5, "到会人员"),
        (SHEET, 7, "会议日期"), (SHEET, 8, "应到人数"), (SHEET, 9, "会议类别"),
    }  # fmt: skip
    assert "实到 16 人多于应到 15 人" in found[SHEET, 3, "实到人数"]
    assert "共 12 票，多于实到 11 人" in found[SHEET, 4, "同意"]
    assert "列了 2 人，实到却是 11 人" in found[SHEET, 5, "到会人员"]
    assert "第6行是“2026-11-04”" in found[SHEET, 7, "会议日期"]
    assert "自 2026-06-01 起应到 15 人，这里填的是 17 人" in found[SHEET, 8, "应到人数"]
    assert "不是会议类别" in found[SHEET, 9, "会议类别"]
    assert sorted(m.number for m in result.meetings) == ["M-before", "M-ok"]
    assert (result.meeting_rows_in, result.meeting_rows_rejected) == (9, 7)


def test_a_decision_by_a_meeting_short_of_quorum_rejects_its_case(
    tmp_path: Path, workspace: Workspace
) -> None:
    good_case, good_steps = _wages("NM-1", "NM-会-1")
    thin_case, thin_steps = _wages("NM-2", "NM-会-2")
    meetings: list[dict[str, Any] | None] = [
        meeting_row("NM-会-1", {"决定的办件编号": "NM-1"}),
        meeting_row("NM-会-2", {"决定的办件编号": "NM-2", "实到人数": 9, "同意": 9, "反对": 0}),
    ]
    ledger = save(workbook([good_case, thin_case], good_steps + thin_steps, meetings), tmp_path)
    outcome = import_ledger(ledger, workspace)
    (error,) = outcome.result.errors
    assert (error.sheet, error.row) == ("办件台账", 3)  # NM-2's row
    assert "应到15人、实到9人，未达到三分之二以上（须10人）" in error.problem.zh
    # … and names the meeting's own row, where its count is put right (NM-会-2: row 3).
    assert error.value.endswith("；“会议记录”表第 3 行“会议编号”"), error.value
    assert [case.case_id for case in workspace.store.find()] == ["NM-1"]
    # The meeting of the other body kind is only advice on this drafted flow.
    kept = workspace.store.get("NM-1")
    assert [a.rule for a in kept.advisories] == ["meeting"]
    # Both meetings are in the register (a meeting is a record of its own).
    assert sorted(workspace.meetings.of_village("QL-NM")) == ["NM-会-1", "NM-会-2"]
    again = import_ledger(ledger, workspace)
    assert again.changes[Change.UNCHANGED] == 1 and again.changes[Change.ADDED] == 0


def test_a_csv_ledger_takes_its_meetings_from_beside_it(
    tmp_path: Path, catalog: Catalog, directory: Directory
) -> None:
    ledger = tmp_path / "台账.csv"
    ledger.write_text("办件编号,事项编码,村（社区）,申请人,首问负责人,受理日期\n", "utf-8")
    with (tmp_path / f"台账-{SHEET}.csv").open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, MEETING_HEADERS)
        writer.writeheader()
        writer.writerow(meeting_row("NM-会-9"))
    result = read_ledger(ledger, catalog, directory)
    assert [m.number for m in result.meetings] == ["NM-会-9"] and result.errors == []


def test_a_json_ledger_names_its_meetings_problems_by_path(
    tmp_path: Path, catalog: Catalog, directory: Directory
) -> None:
    good = {
        "number": "NM-会-7", "village": "QL-NM", "kind": "村民代表会议", "held_on": "2026-11-04",
        "place": "村委会", "chair": "王建国", "recorder": "刘芳", "members": 15, "present": 11,
        "topics": [{"topic": "临时用工", "case_id": "NM-1", "in_favour": 10}],
    }  # fmt: skip
    wrong = good | {"number": "NM-会-8", "members": 17}
    broken = good | {"number": "NM-会-9", "present": 16}
    path = tmp_path / "台账.json"
    path.write_text(json.dumps({"cases": [], "meetings": [good, wrong, broken]}), "utf-8")
    result = read_ledger(path, catalog, directory)
    assert [m.number for m in result.meetings] == ["NM-会-7"]
    assert {e.column for e in result.errors} == {"meetings[1].members", "meetings[2]"}
    assert result.warnings == []  # "meetings" is a known key


def test_a_meeting_of_another_village_refuses_the_ledger_whole(
    tmp_path: Path, workspace: Workspace
) -> None:
    theirs = meeting_row("DZ-会-1", {"村（社区）": "东周家村", "应到人数": 18, "实到人数": 15})
    ledger = save(workbook([case_row("NM-1")], [], [theirs]), tmp_path)
    with pytest.raises(AccessDenied, match="东周家村（1 次会议）"):
        import_ledger(ledger, workspace, villages={"QL-NM"})
    assert workspace.store.find() == [] and workspace.meetings.of_village("QL-DZ") == {}


def test_json_meetings_are_read_as_the_sheet_reads_them(
    tmp_path: Path, catalog: Catalog, directory: Directory
) -> None:
    meeting = {
        "number": "NM-会-5", "village": "南马村", "kind": '村"两委"联席会议',
        "held_on": "2026-11-04",
        "place": "村委会", "chair": "王建国", "recorder": "刘芳", "members": 7, "present": 6,
        "topics": [{"topic": "临时用工", "case_id": "NM-1", "in_favour": 6}],
    }  # fmt: skip
    path = tmp_path / "台账.json"
    unknown = meeting | {"number": "NM-会-6", "village": "月球村"}
    path.write_text(json.dumps({"cases": [], "meetings": [meeting, unknown, "x"]}), "utf-8")
    result = read_ledger(path, catalog, directory)
    (read,) = result.meetings
    assert (read.village, read.kind) == ("QL-NM", MeetingKind.COMMITTEES)
    assert [e.column for e in result.errors] == ["meetings[1]", "meetings[2]"]
    path.write_text(json.dumps({"cases": [], "meetings": {"not": "a list"}}), "utf-8")
    (error,) = read_ledger(path, catalog, directory).errors
    assert error.column == "meetings" and "列表" in error.problem.zh


def test_two_villages_may_number_their_meetings_alike(
    tmp_path: Path, catalog: Catalog, directory: Directory
) -> None:
    rows: list[dict[str, Any] | None] = [
        meeting_row("2026-3"),
        meeting_row("2026-3", {"村（社区）": "东周家村", "应到人数": 18, "实到人数": 14}),
    ]
    result = read_ledger(save(workbook([], [], rows), tmp_path), catalog, directory)
    assert result.errors == []
    assert sorted(m.village for m in result.meetings) == ["QL-DZ", "QL-NM"]
