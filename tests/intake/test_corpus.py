"""The committed nasty ledgers (tests/corpus/ledgers) and exactly what xwql reports for them."""

from __future__ import annotations

import csv
import importlib.util
import json
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest
from openpyxl import Workbook

from pipeline.intake import IntakeResult, Location
from pipeline.intake.sources import MAX_ROWS
from tests.conftest import CORPUS
from tests.intake.ledgers import CASE_HEADERS, case_row, imported, only, where

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


@pytest.mark.parametrize(
    ("name", "problem", "fix"),
    [
        ("truncated.xlsx", "不完整或已损坏的文件", "重新复制或下载"),
        ("damaged.xlsx", "内部已损坏（ParseError）", "修复后另存为 .xlsx"),
        ("not-a-zip.xlsx", "这是文本文件", "把后缀改为 .csv"),
        ("encrypted.xlsx", "设了打开密码（已加密）", "另存一份不设密码的 .xlsx"),
        ("big-picture.xlsx", "超大的图片", "删去台账里的图片"),
    ],
)  # fmt: skip
def test_an_unreadable_workbook_is_one_error_saying_what_the_file_is(
    read: Read, name: str, problem: str, fix: str
) -> None:
    """Never an exception (the damaged sheet and the picture once raised); nothing read."""
    result = read(LEDGERS / name)
    (error,) = result.errors
    assert error.location == Location(name)
    assert problem in error.problem.zh and fix in error.fix.zh, error
    assert error.problem.en and error.fix.en
    assert (result.rows_in, result.cases, result.warnings) == (0, [], [])


def test_an_encrypted_workbook_says_save_it_without_a_password(read: Read) -> None:
    (error,) = read(LEDGERS / "encrypted.xlsx").errors
    assert "password-protected" in error.problem.en and "without" in error.fix.en


@pytest.mark.parametrize("name", ["utf8-bom.csv", "utf8.csv"])
def test_utf8_csv_with_and_without_bom_read_the_same_literally(read: Read, name: str) -> None:
    result = read(LEDGERS / name)
    assert result.errors == [] and imported(result) == ["NM-1", "NM-2"]
    assert result.cases[0].reason == _make_corpus().LOOKS_LIKE_MARKUP
    assert result.cases[1].applicant.name == "王{{ name }}"
    assert result.cases == read(LEDGERS / "utf8-bom.csv").cases


def test_case_numbers_that_are_paths_are_refused_row_by_row(read: Read) -> None:
    """Case numbers name files (notices, case files): only letters, digits, - and _ get in."""
    unsafe = _make_corpus().UNSAFE_IDS
    result = read(LEDGERS / "unsafe-ids.csv")
    assert imported(result) == ["NM-1", "NM-11"]
    rows = range(3, 3 + len(unsafe))  # line 1 the header, line 2 NM-1
    assert where(result.errors) == {(None, row, "办件编号") for row in rows} | {
        (None, 3 + len(unsafe), "申请人")
    }
    assert [only(result.errors, None, row, "办件编号").value for row in rows] == unsafe
    assert "U+0000" in only(result.errors, None, 5, "办件编号").problem.zh
    assert "U+0000" in only(result.errors, None, 3 + len(unsafe), "申请人").problem.zh
    assert all(issue.file == "unsafe-ids.csv" for issue in result.errors)


def _timed(read: Read, path: Path) -> tuple[IntakeResult, float, int]:
    """The result, the seconds and the peak bytes of Python memory reading ``path`` took."""
    tracemalloc.start()
    started = time.monotonic()
    try:
        result = read(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return result, time.monotonic() - started, peak


def _refused_for_length(result: IntakeResult, sheet: str | None) -> None:
    (error,) = result.errors
    assert (error.sheet, error.row) == (sheet, None)
    assert f"超过 {MAX_ROWS} 行" in error.problem.zh and "拆分" in error.fix.zh
    assert (result.rows_in, result.cases) == (0, [])


@pytest.mark.slow
def test_a_workbook_of_100k_rows_is_refused_in_bounded_time_and_memory(
    tmp_path: Path, read: Read
) -> None:
    """Not committed: made here, without the sheet size Excel stores (the slow case).

    Read whole it would take about a minute and a gigabyte (20 000 rows: 12 s and
    240 MB); refused, it takes one read-only pass over its first 20 001 rows.
    """
    path = tmp_path / "十万行.xlsx"
    book = Workbook(write_only=True)
    sheet = book.create_sheet(C)
    sheet.append(CASE_HEADERS)
    row = [case_row("NM-0").get(header) for header in CASE_HEADERS]
    for number in range(100_000):
        row[0] = f"NM-{number}"
        sheet.append(row)
    book.save(path)
    result, seconds, peak = _timed(read, path)
    _refused_for_length(result, C)
    assert peak < 32 * 2**20, f"{peak / 2**20:.0f} MiB"  # measured: 9 MiB
    assert seconds < 90, f"{seconds:.0f} s"  # measured: 30 s on a busy machine, traced


def test_a_csv_of_100k_rows_is_refused(tmp_path: Path, read: Read) -> None:
    path = tmp_path / "十万行.csv"
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(CASE_HEADERS)
        row = [case_row("NM-0").get(header, "") for header in CASE_HEADERS]
        writer.writerows([f"NM-{number}", *row[1:]] for number in range(100_000))
    result, seconds, _ = _timed(read, path)
    _refused_for_length(result, None)
    assert seconds < 30


def test_a_json_ledger_of_too_many_cases_is_refused(tmp_path: Path, read: Read) -> None:
    path = tmp_path / "many.json"
    path.write_text(json.dumps({"cases": ["NM-1"] * (MAX_ROWS + 1)}), encoding="utf-8")
    result = read(path)
    (error,) = result.errors
    assert error.column == "cases" and f"超过 {MAX_ROWS} 行" in error.problem.zh


@pytest.mark.parametrize(("rows", "refused"), [(MAX_ROWS, False), (MAX_ROWS + 1, True)])
def test_the_limit_counts_every_row(tmp_path: Path, read: Read, rows: int, refused: bool) -> None:
    path = tmp_path / "空行.csv"
    path.write_text(",".join(CASE_HEADERS) + "\n" * rows, encoding="utf-8")  # header + blanks
    result = read(path)
    assert bool(result.errors) is refused and result.cases == []


def _make_corpus() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_corpus", LEDGERS / "make_corpus.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_script_builds_what_is_committed_byte_for_byte(tmp_path: Path) -> None:
    built = _make_corpus().build(tmp_path)
    committed = sorted(p.name for p in LEDGERS.iterdir() if p.name != "make_corpus.py")
    assert sorted(path.name for path in built) == committed
    for path in built:
        assert path.read_bytes() == (LEDGERS / path.name).read_bytes(), path.name
