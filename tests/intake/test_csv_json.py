"""CSV ledgers (encodings, the steps file, line numbers) and JSON ledgers."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pipeline.intake import IntakeResult
from pipeline.intake.sources import steps_csv
from tests.intake.ledgers import CASE_HEADERS, STEP_HEADERS, case_row, imported, only, step_row

Read = Callable[[Path], IntakeResult]


def write_csv(path: Path, headers: list[str], rows: list[dict[str, Any]], encoding: str) -> Path:
    with path.open("w", encoding=encoding, newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(headers)
        writer.writerows([row.get(header, "") for header in headers] for row in rows)
    return path


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_encodings_read_the_same(tmp_path: Path, read: Read, encoding: str) -> None:
    rows = [case_row("NM-1", {"事由": "房屋失火，急需救助", "金额（元）": "1,200元"}),
            case_row("NM-2", {"受理日期": "2026年11月3日", "住址": "南马村"})]  # fmt: skip
    result = read(write_csv(tmp_path / "台账.csv", CASE_HEADERS, rows, encoding))
    assert result.errors == [] and imported(result) == ["NM-1", "NM-2"]
    assert (
        result.cases[0].reason == "房屋失火，急需救助" and str(result.cases[0].amount) == "1200.00"
    )
    reference = read(write_csv(tmp_path / "ref.csv", CASE_HEADERS, rows, "utf-8"))
    assert result.cases == reference.cases


def test_rare_characters_survive_a_utf8_csv(tmp_path: Path, read: Read) -> None:
    rows = [case_row("NM-1", {"申请人": "𠮷䶮﨑😀", "事由": "<script>&amp;"})]
    result = read(write_csv(tmp_path / "台账.csv", CASE_HEADERS, rows, "utf-8-sig"))
    assert (
        result.cases[0].applicant.name == "𠮷䶮﨑😀" and result.cases[0].reason == "<script>&amp;"
    )


def test_csv_rows_are_numbered_by_line_and_steps_come_from_the_sibling_file(
    tmp_path: Path, read: Read
) -> None:
    path = tmp_path / "南马村.csv"
    rows = [case_row("NM-1", {"事由": "第一行\n第二行\n第三行"}), case_row("NM-2", {"申请人": ""}),
            case_row("NM-3")]  # fmt: skip
    write_csv(path, CASE_HEADERS, rows, "utf-8")
    steps = [step_row("NM-1"), step_row("NM-3", {"环节": "提出申请", "办理主体": "申请人"})]
    write_csv(steps_csv(path), STEP_HEADERS, steps, "gbk")
    assert steps_csv(path).name == "南马村-办理环节.csv"
    result = read(path)
    error = only(result.errors, None, 5, "申请人")  # header 1, NM-1 lines 2–4, NM-2 line 5
    assert error.file == "南马村.csv"
    assert imported(result) == ["NM-1", "NM-3"]
    assert [s.step for s in result.cases[1].steps] == ["apply"]


def test_an_undecodable_steps_file_rejects_every_case(tmp_path: Path, read: Read) -> None:
    path = write_csv(tmp_path / "台账.csv", CASE_HEADERS, [case_row("NM-1")], "utf-8")
    steps_csv(path).write_bytes(b"\xff\xfe\x00\xd8 broken")
    result = read(path)
    (error,) = result.errors
    assert error.file == "台账-办理环节.csv" and "编码" in error.problem.zh
    assert (result.rows_in, result.rows_rejected) == (1, 1)


def test_an_empty_csv_is_one_error(tmp_path: Path, read: Read) -> None:
    path = tmp_path / "空.csv"
    path.write_bytes(b"")
    (error,) = read(path).errors
    assert "表头" in error.problem.zh


def _json_case(case_id: str, **changes: Any) -> dict[str, Any]:
    case: dict[str, Any] = {
        "case_id": case_id, "item_code": "xwql-026", "village": "南马村",
        "applicants": [{"name": "张三", "id_number": "370305199003150040"}],
        "first_contact_officer": "李四", "received_on": "2026/11/3",
    }  # fmt: skip
    return case | changes


def test_a_json_ledger_goes_through_the_same_checks(tmp_path: Path, read: Read) -> None:
    cases = [
        _json_case("NM-1", amount="￥1,200.5", steps=[
            {"step": "提出申请", "actor": "申请人", "date": "2026-11-03"},
            {"step": "accept", "actor": "民政协理员", "date": 46330, "by_proxy": "是"}]),
        _json_case("NM-2", applicants=[{"name": "李四", "phone": "1234"}]),
        _json_case("NM-3", item_code="xwql-999", village="无此村"),
    ]  # fmt: skip
    path = tmp_path / "台账.json"
    path.write_text(json.dumps({"cases": cases}, ensure_ascii=False), encoding="utf-8")
    result = read(path)
    (case,) = result.cases
    assert case.village == "QL-NM" and str(case.amount) == "1200.50"
    assert [(s.step, s.date.isoformat(), s.by_proxy) for s in case.steps] == [
        ("apply", "2026-11-03", False), ("accept", "2026-11-04", True),
    ]  # fmt: skip
    assert {issue.column for issue in result.errors} == {
        "cases[1].applicants[0].phone", "cases[2].item_code", "cases[2].village",
    }  # fmt: skip


def test_json_written_from_cases_reads_back_to_the_same_cases(tmp_path: Path, read: Read) -> None:
    source = tmp_path / "a.json"
    source.write_text(json.dumps({"cases": [_json_case("NM-1"), _json_case("NM-2")]}), "utf-8")
    first = read(source)
    again = tmp_path / "b.json"
    dumped = [case.model_dump(mode="json") for case in first.cases]
    again.write_text(json.dumps({"cases": dumped}, ensure_ascii=False), encoding="utf-8")
    assert read(again).cases == first.cases and len(first.cases) == 2


@pytest.mark.parametrize(
    ("text", "row", "problem"),
    [('{"cases": [\n  {"case_id": "NM-1",}\n]}', 2, "不是有效的 JSON"),
     ('[{"case_id": "NM-1"}]', None, '{"cases"'),
     ('{"cases": {"case_id": "NM-1"}}', None, '{"cases"')],
)  # fmt: skip
def test_broken_json_is_one_located_error(
    tmp_path: Path, read: Read, text: str, row: int | None, problem: str
) -> None:
    path = tmp_path / "台账.json"
    path.write_text(text, encoding="utf-8")
    result = read(path)
    (error,) = result.errors
    assert error.row == row and problem in error.problem.zh and result.rows_in == 0
