"""The committed nasty ledgers (tests/corpus/ledgers) and exactly what xwql reports for them."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

from pipeline.intake import IntakeResult
from tests.conftest import CORPUS
from tests.intake.ledgers import imported, only, where

Read = Callable[[Path], IntakeResult]
LEDGERS = CORPUS / "ledgers"
C, S = "办件台账", "办理环节"


def test_the_nasty_ledger_reports_every_problem_where_it_is(read: Read) -> None:
    """Every row-level problem in one workbook; a missing column has its own file below."""
    result = read(LEDGERS / "nasty.xlsx")
    assert where(result.errors) == {
        (C, 3, "身份证号"), (C, 4, "联系电话"), (C, 5, "受理日期"), (C, 6, "事项编码"),
        (C, 8, "金额（元）"), (C, 9, "村（社区）"), (C, 10, "办件编号"), (C, 11, "首问负责人"),
        (C, 13, "申请人"), (C, 14, "申请人"), (C, 15, "金额（元）"), (C, 18, "办件编号"),
        (S, 3, "环节"), (S, 4, "办件编号"),
    }  # fmt: skip
    assert len(result.errors) == 14
    assert where(result.warnings) == {
        ("旧台账", None, None), (C, 1, "备用"), (C, 7, "事项编码"), (C, 16, "身份证号"),
    }  # fmt: skip
    assert imported(result) == ["NM-1", "NM-7", "NM-16", "NM-17"]
    assert (result.rows_in, result.rows_imported, result.rows_rejected) == (16, 4, 12)
    assert result.blank_rows == 1
    assert (result.steps_in, result.steps_imported, result.steps_rejected) == (4, 2, 2)
    assert "第 2 行" in only(result.errors, C, 10, "办件编号").problem.zh
    assert only(result.errors, C, 15, "金额（元）").value == "=100*12"
    assert "第 3 行" in only(result.errors, C, 18, "办件编号").problem.zh
    nm1, nm7, nm16, nm17 = result.cases
    assert nm1.applicant.name == "张𠮷䶮﨑😀" and nm1.reason == "<script>alert(1)</script> & 修缮"
    assert [s.step for s in nm1.steps] == ["accept"] and [s.step for s in nm7.steps] == ["assess"]
    assert str(nm7.amount) == "1200.50"
    assert nm16.applicant.id_number == "370305199003150040"
    assert nm17.applicant.id_number == "37030519850201118X"
    for issue in result.errors:
        assert issue.file == "nasty.xlsx"
        assert issue.problem.zh and issue.problem.en and issue.fix.zh and issue.fix.en


def test_a_missing_column_rejects_the_file_with_one_error(read: Read) -> None:
    result = read(LEDGERS / "missing-column.xlsx")
    (error,) = result.errors
    assert (error.sheet, error.row, error.column) == (C, 1, None)
    assert "受理日期" in error.problem.zh and (result.rows_in, result.rows_rejected) == (2, 2)


def test_a_title_row_hidden_sheet_and_hidden_row(read: Read) -> None:
    result = read(LEDGERS / "title-and-hidden.xlsx")
    assert imported(result) == ["NM-1", "NM-2"] and result.errors == []
    assert where(result.warnings) == {(C, None, None), ("说明", None, None), (C, 4, None)}


def test_a_gbk_csv_with_its_steps_file(read: Read) -> None:
    result = read(LEDGERS / "gbk.csv")
    assert imported(result) == ["NM-1"] and result.cases[0].reason == "房屋失火\n急需救助"
    assert [s.step for s in result.cases[0].steps] == ["accept"]
    step = only(result.errors, None, 3, "日期")
    assert step.file == "gbk-办理环节.csv" and step.value == "2026/11/31"
    note = only(result.errors, None, 4, "办件编号")  # line 4: the reason above spans two lines
    assert note.file == "gbk.csv" and "gbk-办理环节.csv" in note.problem.zh


def test_a_utf16_csv_is_refused_as_a_whole(read: Read) -> None:
    result = read(LEDGERS / "utf16.csv")
    (error,) = result.errors
    assert error.file == "utf16.csv" and "编码" in error.problem.zh and "CSV UTF-8" in error.fix.zh
    assert result.rows_in == 0


def test_json_problems_are_located_by_path(read: Read) -> None:
    result = read(LEDGERS / "bad.json")
    assert {issue.column for issue in result.errors} == {
        "cases[1].applicants[1].id_number", "cases[2].steps[0].step", "cases[3].seal",
        "cases[4].case_id", "cases[5]",
    }  # fmt: skip
    assert {(i.sheet, i.row) for i in result.errors} == {(None, None)}
    assert "cases[0]" in only(result.errors, None, None, "cases[4].case_id").problem.zh
    assert only(result.warnings, None, None, "exported_by").value == "某系统"
    (case,) = result.cases
    assert case.applicant.phone == "13805331234" and str(case.amount) == "1200.50"
    assert case.steps[0].step == "accept"
    assert (result.rows_in, result.rows_rejected, result.steps_in) == (6, 5, 5)


def _make_corpus() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_corpus", LEDGERS / "make_corpus.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    "name",
    ["nasty.xlsx", "missing-column.xlsx", "title-and-hidden.xlsx", "gbk.csv", "utf16.csv",
     "bad.json"],
)  # fmt: skip
def test_the_script_builds_what_is_committed(tmp_path: Path, read: Read, name: str) -> None:
    _make_corpus().build(tmp_path)
    committed, rebuilt = read(LEDGERS / name), read(tmp_path / name)
    assert rebuilt.cases == committed.cases
    assert rebuilt.errors == committed.errors and rebuilt.warnings == committed.warnings
