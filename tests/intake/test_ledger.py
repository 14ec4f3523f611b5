"""Each check of the workbook reader, on real .xlsx files: exact location, good rows kept."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

from pipeline.cases.model import CaseStatus
from pipeline.errors import InputInvalid
from pipeline.intake import IntakeResult
from pipeline.intake.columns import CASES, STEPS
from tests.intake.ledgers import (
    CASE_HEADERS,
    ID_A,
    ID_X,
    NASTY_TEXT,
    STEP_HEADERS,
    case_row,
    cell,
    imported,
    only,
    save,
    step_row,
    where,
    workbook,
)

Read = Callable[[Path], IntakeResult]
SHEET = CASES.name


def test_a_good_ledger_becomes_cases_with_their_steps_in_row_order(
    tmp_path: Path, read: Read
) -> None:
    book = workbook(
        [
            case_row(
                "NM-1",
                {
                    "金额（元）": "1,200.50元",
                    "已收材料": "书面申请、身份证复印件",
                    "家庭人口": 3,
                    "代办人": "王五",
                    "代办委托日期": "2026/11/2",
                    "办理状态": "办理中",
                    "住址": "南马村三街12号",
                },
            ),
            case_row(
                "NM-2",
                {
                    "事项编码": "xwql-045 民间纠纷调解",
                    "村（社区）": "QL-DZ",
                    "身份证号": ID_X.lower(),
                    "联系电话": "0533-7211234",
                },
            ),
        ],
        [
            step_row(
                "NM-1", {"环节": "提出申请", "办理主体": "申请人或其代理人", "日期": "2026-11-03"}
            ),
            step_row("NM-2", {"环节": "apply", "办理主体": "纠纷当事人", "日期": "2026年11月3日"}),
            step_row(
                "NM-1",
                {
                    "环节": "村受理并一次性告知",
                    "经办人": "李四",
                    "结果": "予以受理",
                    "是否代办": "是",
                },
            ),
            step_row(
                "NM-2",
                {
                    "环节": "受理登记",
                    "办理主体": "村人民调解委员会",
                    "日期": dt.datetime(2026, 11, 4),
                },
            ),
        ],
    )
    result = read(save(book, tmp_path))
    assert result.errors == [] and result.warnings == []
    assert (result.rows_in, result.rows_imported, result.steps_in) == (2, 2, 4)
    first, second = result.cases
    assert first.item_code == "xwql-026" and first.village == "QL-NM"
    assert first.amount == Decimal("1200.50")
    assert first.materials_received == ["书面申请", "身份证复印件"]
    assert first.applicant.household_size == 3 and first.applicant.id_number == ID_A
    assert first.proxy is not None and first.proxy.authorised_on == dt.date(2026, 11, 2)
    assert first.status is CaseStatus.OPEN and first.received_on == dt.date(2026, 11, 3)
    assert [(s.step, s.operator, s.by_proxy) for s in first.steps] == [
        ("apply", None, False), ("accept", "李四", True),
    ]  # fmt: skip
    assert second.item_code == "xwql-045" and second.village == "QL-DZ"
    assert second.applicant.id_number == ID_X and second.applicant.phone == "0533-7211234"
    assert [(s.step, s.date) for s in second.steps] == [
        ("apply", dt.date(2026, 11, 3)), ("accept", dt.date(2026, 11, 4)),
    ]  # fmt: skip


def test_parsing_is_idempotent(tmp_path: Path, read: Read) -> None:
    book = workbook(
        [case_row("NM-1"), case_row("NM-2", {"身份证号": "370305199003150041"})],
        [step_row("NM-1")],
    )
    path = save(book, tmp_path)
    first, second = read(path), read(path)
    assert first.cases == second.cases and len(first.cases) == 1
    assert first.errors == second.errors and first.warnings == second.warnings
    assert [c.model_dump() for c in first.cases] == [c.model_dump() for c in second.cases]


@pytest.mark.parametrize(
    ("value", "shown", "problem"),
    [("370305199003150041", "370305199003150041", "校验位"),
     ("37030519900315004", "37030519900315004", "18位"),
     (370305199003150040, "3.7030519900315e+17", "存成了数字"),  # as Excel shows it
     ("3.70305E+17", "3.70305E+17", "存成了数字")],
)  # fmt: skip
def test_bad_id_numbers_are_located(
    tmp_path: Path, read: Read, value: object, shown: str, problem: str
) -> None:
    book = workbook([case_row("NM-1"), case_row("NM-2", {"身份证号": value}), case_row("NM-3")])
    result = read(save(book, tmp_path))
    error = only(result.errors, SHEET, 3, "身份证号")
    assert problem in error.problem.zh and error.problem.en and error.fix.zh and error.fix.en
    assert error.file == "台账.xlsx" and error.value == shown
    assert imported(result) == ["NM-1", "NM-3"] and result.rows_rejected == 1


def test_old_15_digit_ids_are_converted_with_a_located_warning(tmp_path: Path, read: Read) -> None:
    book = workbook([case_row("NM-1", {"身份证号": "370305900315004"})])
    result = read(save(book, tmp_path))
    assert result.cases[0].applicant.id_number == ID_A
    warning = only(result.warnings, SHEET, 2, "身份证号")
    assert warning.value == "370305900315004" and "18" in warning.problem.zh


@pytest.mark.parametrize(
    ("value", "expected"),
    [("138 0533 1234", "13805331234"), (13805331234, "13805331234"),
     ("05337211234", "0533-7211234")],
)  # fmt: skip
def test_phones_in_cells(tmp_path: Path, read: Read, value: object, expected: str) -> None:
    book = workbook([case_row("NM-1", {"联系电话": value}), case_row("NM-2", {"联系电话": "1234"})])
    result = read(save(book, tmp_path))
    assert result.cases[0].applicant.phone == expected
    assert "电话" in only(result.errors, SHEET, 3, "联系电话").problem.zh
    assert imported(result) == ["NM-1"]


@pytest.mark.parametrize(
    "value",
    ["2026-11-03", "2026/11/3", "2026.11.3", "2026年11月3日", dt.datetime(2026, 11, 3),
     dt.date(2026, 11, 3), 46329, "46329", "20261103"],
)  # fmt: skip
def test_dates_in_the_forms_clerks_type(tmp_path: Path, read: Read, value: object) -> None:
    book = workbook(
        [case_row("NM-1", {"受理日期": value}), case_row("NM-2", {"受理日期": "2026-02-30"})]
    )
    result = read(save(book, tmp_path))
    assert result.cases[0].received_on == dt.date(2026, 11, 3)
    assert "没有这一天" in only(result.errors, SHEET, 3, "受理日期").problem.zh


@pytest.mark.parametrize(
    ("value", "code"),
    [("xwq1-49", "xwql-049"), ("xwql-46", "xwql-046"), ("民间纠纷调解", "xwql-045"),
     ("xwql-045 民间纠纷调解", "xwql-045")],
)  # fmt: skip
def test_item_codes_and_aliases(tmp_path: Path, read: Read, value: str, code: str) -> None:
    book = workbook(
        [case_row("NM-1", {"事项编码": value}), case_row("NM-2", {"事项编码": "xwql-051"})]
    )
    result = read(save(book, tmp_path))
    assert result.cases[0].item_code == code and result.warnings == []
    assert "未知" in only(result.errors, SHEET, 3, "事项编码").problem.zh


def test_codes_033_to_036_import_with_the_catalogs_warning(tmp_path: Path, read: Read) -> None:
    book = workbook([case_row("NM-1", {"事项编码": "xwql-036"})])
    result = read(save(book, tmp_path))
    assert result.cases[0].item_code == "xwql-036"
    assert "三属补助金申请" in only(result.warnings, SHEET, 2, "事项编码").problem.zh


@pytest.mark.parametrize(
    ("value", "expected"), [("1,200.50元", "1200.50"), ("￥1200.5", "1200.50"), (1200, "1200.00")]
)
def test_amounts(tmp_path: Path, read: Read, value: object, expected: str) -> None:
    book = workbook(
        [case_row("NM-1", {"金额（元）": value}), case_row("NM-2", {"金额（元）": "-300"})]
    )
    result = read(save(book, tmp_path))
    assert str(result.cases[0].amount) == expected
    error = only(result.errors, SHEET, 3, "金额（元）")
    assert "负数" in error.problem.zh and error.value == "-300"


def test_unknown_villages(tmp_path: Path, read: Read) -> None:
    book = workbook(
        [case_row("NM-1", {"村（社区）": "北马村"}), case_row("NM-2", {"村（社区）": "QL-XG"})]
    )
    result = read(save(book, tmp_path))
    error = only(result.errors, SHEET, 2, "村（社区）")
    assert error.value == "北马村" and "未知" in error.problem.zh and "unknown" in error.problem.en
    assert [c.village for c in result.cases] == ["QL-XG"]


def test_duplicate_case_numbers_name_the_first_row(tmp_path: Path, read: Read) -> None:
    book = workbook([case_row("NM-1"), case_row("NM-2"), case_row("NM-1"), case_row("NM-1")])
    result = read(save(book, tmp_path))
    assert imported(result) == ["NM-1", "NM-2"]
    for row in (4, 5):
        error = only(result.errors, SHEET, row, "办件编号")
        assert "第 2 行" in error.problem.zh and "row 2" in error.problem.en


@pytest.mark.parametrize("header", [c.header for c in CASES.columns if c.required])
def test_empty_required_fields(tmp_path: Path, read: Read, header: str) -> None:
    book = workbook([case_row("NM-1"), case_row("NM-2", {header: "   "}), case_row("NM-3")])
    if header == "办件编号":
        book.active.cell(3, 1).value = None
    result = read(save(book, tmp_path))
    error = only(result.errors, SHEET, 3, header)
    assert "必填" in error.problem.zh and "required" in error.problem.en
    assert len(result.errors) == 1 and imported(result) == ["NM-1", "NM-3"]


def test_model_limits_are_reported_on_their_columns(tmp_path: Path, read: Read) -> None:
    book = workbook(
        [case_row("NM-1", {"申请人": "张" * 61}), case_row("NM-2", {"家庭人口": 40}),
         case_row("NM-3", {"代办委托日期": "2026-11-01"}), case_row("NM-4", {"办件编号": "南马-1"}),
         case_row("NM-5")],
    )  # fmt: skip
    result = read(save(book, tmp_path))
    assert "最多 60" in only(result.errors, SHEET, 2, "申请人").problem.zh
    assert "不能大于 30" in only(result.errors, SHEET, 3, "家庭人口").problem.zh
    assert "缺少" in only(result.errors, SHEET, 4, "代办人").problem.zh
    assert "格式" in only(result.errors, SHEET, 5, "办件编号").problem.zh
    assert imported(result) == ["NM-5"]


def test_merged_cells_are_reported_on_every_row_they_cover(tmp_path: Path, read: Read) -> None:
    book = workbook([case_row("NM-1"), case_row("NM-2"), case_row("NM-3", {"申请人": None}),
                     case_row("NM-4")])  # fmt: skip
    book.active.merge_cells(f"{cell('申请人', 3)}:{cell('申请人', 4)}")
    result = read(save(book, tmp_path))
    for row in (3, 4):
        error = only(result.errors, SHEET, row, "申请人")
        assert "D3:D4" in error.problem.zh and error.value == "张三"
    assert len(result.errors) == 2 and imported(result) == ["NM-1", "NM-4"]


def test_blank_rows_are_skipped_and_counted_apart(tmp_path: Path, read: Read) -> None:
    book = workbook([case_row("NM-1"), None, None, case_row("NM-2"), None])
    book.active.cell(3, 5, "   ")  # only spaces: still blank
    result = read(save(book, tmp_path))
    assert (result.rows_in, result.blank_rows, imported(result)) == (2, 2, ["NM-1", "NM-2"])


def test_a_formula_cell_is_refused(tmp_path: Path, read: Read) -> None:
    book = workbook([case_row("NM-1", {"受理日期": "=TODAY()"}), case_row("NM-2")])
    result = read(save(book, tmp_path))
    error = only(result.errors, SHEET, 2, "受理日期")
    assert (
        error.value == "=TODAY()" and "公式" in error.problem.zh and "formula" in error.problem.en
    )
    assert imported(result) == ["NM-2"]


def test_a_missing_required_column_is_one_error_for_the_file(tmp_path: Path, read: Read) -> None:
    book = workbook([case_row("NM-1"), case_row("NM-2")])
    book.active.delete_cols(CASE_HEADERS.index("首问负责人") + 1)
    result = read(save(book, tmp_path))
    (error,) = result.errors
    assert (error.sheet, error.row) == (SHEET, 1)
    assert "首问负责人" in error.problem.zh and "首问负责人" in error.problem.en
    assert (result.rows_in, result.rows_rejected) == (2, 2)


def test_a_column_given_twice_is_one_error_for_the_file(tmp_path: Path, read: Read) -> None:
    book = workbook([case_row("NM-1")])
    book.active.cell(1, len(CASE_HEADERS) + 1, "电话")
    result = read(save(book, tmp_path))
    (error,) = result.errors
    assert "联系电话" in error.problem.zh and "两次" in error.problem.zh
    assert result.rows_rejected == 1


def test_no_header_row_is_one_error_for_the_file(tmp_path: Path, read: Read) -> None:
    book = workbook([case_row("NM-1")])
    book.active.delete_rows(1)
    result = read(save(book, tmp_path))
    (error,) = result.errors
    assert (error.sheet, error.row, error.column) == (SHEET, None, None)
    assert "表头" in error.problem.zh and result.rows_in == 1 and result.rows_rejected == 1


def test_extra_columns_and_unheaded_values_are_warnings(tmp_path: Path, read: Read) -> None:
    book = workbook([case_row("NM-1"), case_row("NM-2")])
    extra = len(CASE_HEADERS) + 1
    book.active.cell(1, extra, "备用列")
    book.active.cell(2, extra, "随手记的")
    book.active.cell(3, extra + 2, "没有列名")
    result = read(save(book, tmp_path))
    assert imported(result) == ["NM-1", "NM-2"] and result.errors == []
    assert "不认识的列" in only(result.warnings, SHEET, 1, "备用列").problem.zh
    assert "U" in only(result.warnings, SHEET, 3, None).problem.zh


def test_a_title_row_above_the_header_is_fine(tmp_path: Path, read: Read) -> None:
    book = workbook([case_row("NM-1")])
    book.active.insert_rows(1)
    book.active["A1"] = "南马村小微权力办件台账（2026年）"
    book.active.merge_cells("A1:H1")
    result = read(save(book, tmp_path))
    assert imported(result) == ["NM-1"] and result.errors == []
    bad = workbook([case_row("NM-1", {"申请人": None})])
    bad.active.insert_rows(1)
    bad.active["A1"] = "标题"
    only(read(save(bad, tmp_path, "b.xlsx")).errors, SHEET, 3, "申请人")


def test_hidden_sheets_and_rows(tmp_path: Path, read: Read) -> None:
    book = workbook([case_row("NM-1"), case_row("NM-2")], [step_row("NM-1")])
    book[STEPS.name].sheet_state = "hidden"
    scratch = book.create_sheet("草稿")
    scratch.append(CASE_HEADERS)
    scratch.append(list(case_row("NM-9").values()))
    scratch.sheet_state = "hidden"
    book.active.row_dimensions[3].hidden = True
    result = read(save(book, tmp_path))
    assert imported(result) == ["NM-1", "NM-2"] and len(result.cases[0].steps) == 1
    assert "隐藏" in only(result.warnings, STEPS.name, None, None).problem.zh
    assert "未读取" in only(result.warnings, "草稿", None, None).problem.zh
    assert "隐藏行" in only(result.warnings, SHEET, 3, None).problem.zh


def test_a_case_sheet_under_another_name_is_read_with_a_warning(tmp_path: Path, read: Read) -> None:
    book = workbook([case_row("NM-1")])
    book.active.title = "Sheet1"
    result = read(save(book, tmp_path))
    assert imported(result) == ["NM-1"]
    assert "办件台账" in only(result.warnings, "Sheet1", None, None).problem.zh


def test_names_reasons_and_addresses_are_taken_literally(tmp_path: Path, read: Read) -> None:
    values = {"申请人": "𠮷䶮﨑😀", "事由": NASTY_TEXT, "住址": "<b>南马村</b> & 3号\n二楼"}
    book = workbook([case_row("NM-1", values)], [step_row("NM-1", {"备注": NASTY_TEXT})])
    result = read(save(book, tmp_path))
    (case,) = result.cases
    assert case.applicant.name == "𠮷䶮﨑😀" and case.reason == NASTY_TEXT
    assert case.applicant.address == "<b>南马村</b> & 3号\n二楼"
    assert case.steps[0].note == NASTY_TEXT


def test_bad_steps_reject_their_case_and_say_so_on_the_case_row(tmp_path: Path, read: Read) -> None:
    book = workbook(
        [case_row("NM-1"), case_row("NM-2"), case_row("NM-3", {"身份证号": "1"})],
        [step_row("NM-1"), step_row("NM-2", {"环节": "审批"}), step_row("NM-2"),
         step_row("NM-9"), step_row("NM-1", {"日期": "明天"}), step_row("NM-3"),
         step_row("NM-2", {"办理主体": None})],
    )  # fmt: skip
    result = read(save(book, tmp_path))
    assert imported(result) == []
    step = only(result.errors, STEPS.name, 3, "环节")
    assert "没有环节" in step.problem.zh and "村受理并一次性告知" in step.fix.zh
    assert "没有办件编号 NM-9" in only(result.errors, STEPS.name, 5, "办件编号").problem.zh
    only(result.errors, STEPS.name, 6, "日期")
    only(result.errors, STEPS.name, 8, "办理主体")
    assert "第 6 行" in only(result.errors, SHEET, 2, "办件编号").problem.zh
    assert "第 3、8 行" in only(result.errors, SHEET, 3, "办件编号").problem.zh
    only(result.errors, SHEET, 4, "身份证号")
    assert (result.steps_in, result.steps_rejected) == (7, 7)
    assert len(result.errors) == 7


def test_steps_of_good_cases_import_beside_bad_ones(tmp_path: Path, read: Read) -> None:
    book = workbook(
        [case_row("NM-1"), case_row("NM-2", {"村（社区）": "无此村"})],
        [step_row("NM-1"), step_row("NM-2"), step_row("NM-1", {"环节": "入户调查",
                                                               "办理主体": "村民委员会"})],
    )  # fmt: skip
    result = read(save(book, tmp_path))
    assert imported(result) == ["NM-1"]
    assert [s.step for s in result.cases[0].steps] == ["accept", "investigate"]
    assert (result.steps_imported, result.steps_rejected) == (2, 1)
    assert where(result.errors) == {(SHEET, 3, "村（社区）")}


def test_a_broken_step_header_rejects_every_case(tmp_path: Path, read: Read) -> None:
    book = workbook([case_row("NM-1"), case_row("NM-2")], [step_row("NM-1")])
    book[STEPS.name].delete_cols(STEP_HEADERS.index("日期") + 1)
    result = read(save(book, tmp_path))
    (error,) = result.errors
    assert (error.sheet, error.row) == (STEPS.name, 1) and "日期" in error.problem.zh
    assert (result.rows_rejected, result.steps_rejected) == (2, 1)


def test_a_damaged_workbook_is_one_error(tmp_path: Path, read: Read) -> None:
    path = tmp_path / "坏.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    result = read(path)
    (error,) = result.errors
    assert error.file == "坏.xlsx" and "无法打开" in error.problem.zh and result.rows_in == 0


def test_unsupported_or_missing_files_raise(tmp_path: Path, read: Read) -> None:
    old = tmp_path / "台账.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(InputInvalid, match=r"另存为 \.xlsx"):
        read(old)
    with pytest.raises(InputInvalid, match="不存在"):
        read(tmp_path / "nothing.xlsx")


def test_an_empty_step_sheet_means_no_steps_yet(tmp_path: Path, read: Read) -> None:
    book = workbook([case_row("NM-1")])
    book.create_sheet(STEPS.name)
    result = read(save(book, tmp_path))
    assert imported(result) == ["NM-1"] and result.ok and result.warnings == []


def test_an_issue_reads_as_one_bilingual_line(tmp_path: Path, read: Read) -> None:
    book = workbook([case_row("NM-1", {"联系电话": "12345"})])
    result = read(save(book, tmp_path))
    assert not result.ok
    (error,) = result.errors
    text = str(error)
    assert text.startswith("“办件台账”表第 2 行“联系电话”「12345」：")
    assert "/ sheet 办件台账, row 2, 联系电话: not a valid phone number" in text
    assert "读入 1 件，导入 0 件，退回 1 件" in result.summary().zh
