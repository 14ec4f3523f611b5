"""The blank ledger: its layout, and the round trip template → filled → cases."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest

from pipeline.cases.model import CaseStatus
from pipeline.catalog import Catalog
from pipeline.errors import OutputError
from pipeline.intake import IntakeResult, write_template_ledger
from pipeline.intake.columns import CASES, MEETINGS, STEPS
from pipeline.organisations import Directory
from tests.intake.ledgers import CASE_HEADERS, ID_X, STEP_HEADERS, cell

Read = Callable[[Path], IntakeResult]


@pytest.fixture
def template(tmp_path: Path, catalog: Catalog, directory: Directory) -> Path:
    path = tmp_path / "台账模板.xlsx"
    write_template_ledger(path, catalog, directory)
    return path


def test_the_template_layout(template: Path, catalog: Catalog, directory: Directory) -> None:
    book = openpyxl.load_workbook(template)
    assert book.sheetnames == ["办件台账", "办理环节", "会议记录", "填写说明", "下拉选项"]
    assert all(sheet.sheet_state == "visible" for sheet in book.worksheets)
    assert book.active.title == "办件台账"
    for sheet, headers in ((book["办件台账"], CASE_HEADERS), (book["办理环节"], STEP_HEADERS)):
        assert [c.value for c in sheet[1]] == headers
        assert all(c.font.bold for c in sheet[1])
        assert sheet.freeze_panes == "A2" and sheet.max_row == 1  # no example among the data
        assert not any(dim.hidden for dim in sheet.column_dimensions.values())
        assert all(sheet.column_dimensions[c.column_letter].width for c in sheet[1])
    cases = book["办件台账"]
    assert cases.column_dimensions[cell("身份证号", 1)[0]].number_format == "@"
    lists = {
        sheet_range.split(":")[0].rstrip("0123456789"): validation
        for validation in cases.data_validations.dataValidation
        for sheet_range in str(validation.sqref).split()
    }
    choices = book["下拉选项"]

    def offered(header: str) -> list[str]:
        formula = lists[cell(header, 2)[0]].formula1
        column = formula.split("!")[1].split(":")[0].strip("$").rstrip("$0123456789")
        return [c.value for c in choices[column][1:] if c.value is not None]

    assert offered("事项编码") == [f"{i.code} {i.name}" for i in catalog if not i.retired]
    assert offered("村（社区）") == [p.village.name for p in directory.villages]
    assert offered("办理状态") == [status.value for status in CaseStatus]
    assert lists[cell("申请人", 2)[0]].prompt.startswith("申请人姓名")
    meetings = book["会议记录"]
    assert [c.value for c in meetings[1]] == [column.header for column in MEETINGS.columns]
    kinds = [v for v in meetings.data_validations.dataValidation if v.type == "list"]
    listed = {str(v.sqref).split(":")[0].rstrip("0123456789") for v in kinds}
    headers = {c.column_letter: c.value for c in meetings[1]}
    assert {headers[letter] for letter in listed} == {"村（社区）", "会议类别"}


def test_the_instructions_explain_every_column_and_hold_the_example(template: Path) -> None:
    rows = list(openpyxl.load_workbook(template)["填写说明"].iter_rows(values_only=True))
    explained = {(row[0], row[1]) for row in rows if row[0] in ("办件台账", "办理环节")}
    assert explained == {(s.name, c.header) for s in (CASES, STEPS) for c in s.columns}
    required = {row[1] for row in rows if row[0] == "办件台账" and row[2] == "必填"}
    assert required == {c.header for c in CASES.columns if c.required}
    assert tuple(CASE_HEADERS) in {tuple(r[: len(CASE_HEADERS)]) for r in rows}


def test_a_filled_template_reads_back_to_one_case(template: Path, read: Read) -> None:
    book = openpyxl.load_workbook(template)
    values = {
        "办件编号": "NM-2026-007",
        "事项编码": "xwql-045 民间纠纷调解",
        "村（社区）": "后唐村",
        "申请人": "王𠮷",
        "身份证号": ID_X,
        "首问负责人": "李四",
        "受理日期": "2026/11/5",
    }
    book["办件台账"].append([values.get(header) for header in CASE_HEADERS])  # fmt: skip
    book.save(template)
    result = read(template)
    assert result.errors == [] and result.warnings == []
    (case,) = result.cases
    assert (case.case_id, case.item_code, case.village) == ("NM-2026-007", "xwql-045", "QL-HT")
    assert case.applicant.name == "王𠮷" and case.applicant.id_number == ID_X


def test_the_instructions_example_is_itself_a_valid_ledger_row(template: Path, read: Read) -> None:
    book = openpyxl.load_workbook(template)
    rows = list(book["填写说明"].iter_rows(values_only=True))
    for spec, headers in ((CASES, CASE_HEADERS), (STEPS, STEP_HEADERS)):
        header_at = rows.index(tuple(headers) + (None,) * (len(rows[0]) - len(headers)))
        book[spec.name].append(list(rows[header_at + 1][: len(headers)]))
    book.save(template)
    result = read(template)
    assert result.errors == [] and result.warnings == []
    (case,) = result.cases
    assert case.item_code == "xwql-026" and [s.step for s in case.steps] == ["accept"]


def test_the_blank_template_reads_as_an_empty_ledger(template: Path, read: Read) -> None:
    result = read(template)
    assert (result.rows_in, result.errors, result.warnings) == (0, [], [])


def test_an_unwritable_template_path_is_an_output_error(
    tmp_path: Path, catalog: Catalog, directory: Directory
) -> None:
    with pytest.raises(OutputError):
        write_template_ledger(tmp_path / "no" / "such" / "dir.xlsx", catalog, directory)
