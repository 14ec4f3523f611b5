"""Build the nasty ledgers of this folder: ``.venv/bin/python tests/corpus/ledgers/make_corpus.py``.

Each file is what a clerk could really hand in; tests/intake/test_corpus.py says
what xwql must report for it, and checks that this script still builds files
that read the same as the ones committed.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from pipeline.intake.columns import CASES, STEPS

CASE_HEADERS = [column.header for column in CASES.columns]
STEP_HEADERS = [column.header for column in STEPS.columns]
ID_A = "370305199003150040"


def case(case_id: str, **changes: Any) -> dict[str, Any]:
    """A good 临时救助 case of 南马村; keyword ``x`` sets column ``x``."""
    row: dict[str, Any] = {
        "办件编号": case_id, "事项编码": "xwql-026", "村（社区）": "南马村", "申请人": "张三",
        "身份证号": ID_A, "联系电话": "13805331234", "首问负责人": "李四",
        "受理日期": "2026-11-03",
    }  # fmt: skip
    return row | changes


def step(case_id: str, **changes: Any) -> dict[str, Any]:
    row = {"办件编号": case_id, "环节": "accept", "办理主体": "村便民服务室民政协理员",
           "日期": "2026-11-04"}  # fmt: skip
    return row | changes


def _sheet(sheet: Any, headers: list[str], rows: list[dict[str, Any] | None]) -> None:
    sheet.append(headers)
    for row in rows:
        sheet.append([None] if row is None else [row.get(header) for header in headers])


def nasty(folder: Path) -> Path:
    """Every row-level problem in one workbook (a missing column is in its own file)."""
    book = Workbook()
    cases = book.active
    cases.title = CASES.name
    _sheet(cases, [*CASE_HEADERS, "备用"], [
        case("NM-1", 申请人="张𠮷䶮﨑😀", 事由="<script>alert(1)</script> & 修缮"),  # row 2: good
        case("NM-3", 身份证号="370305199003150041"),  # 3: check digit
        case("NM-4", 联系电话="1380533"),  # 4: phone
        case("NM-5", 受理日期="2026-02-30"),  # 5: no such day
        case("NM-6", 事项编码="xwql-099"),  # 6: unknown item
        case("NM-7", 事项编码="xwql-034", **{"金额（元）": "￥1,200.5元"}),  # 7: good, warning
        case("NM-8", **{"金额（元）": "-300"}),  # 8: negative amount
        case("NM-9", **{"村（社区）": "北马村"}),  # 9: unknown village
        case("NM-1"),  # 10: duplicate of row 2
        case("NM-11", 首问负责人=None),  # 11: required field empty
        None,  # 12: blank row
        case("NM-13"),  # 13-14: 申请人 merged over two rows
        case("NM-14", 申请人=None),
        case("NM-15", **{"金额（元）": "=100*12"}),  # 15: formula
        case("NM-16", 身份证号="370305900315004", 受理日期=46329),  # 16: good, 15-digit warning
        case("NM-17", 身份证号="37030519850201118x", 受理日期=dt.datetime(2026, 11, 3)),  # good
        case("NM-18"),  # 18: its step row is wrong
    ])  # fmt: skip
    cases.merge_cells("D13:D14")
    steps = book.create_sheet(STEPS.name)
    _sheet(steps, STEP_HEADERS, [
        step("NM-1", 环节="村受理并一次性告知"),  # 2: good
        step("NM-18", 环节="审批"),  # 3: no such step in xwql-026
        step("NM-99"),  # 4: no such case
        step("NM-7", 环节="评定确认", 办理主体="村扶贫理事小组"),  # 5: good, a step of xwql-034
    ])  # fmt: skip
    old = book.create_sheet("旧台账")
    _sheet(old, CASE_HEADERS, [case("OLD-1")])
    old.sheet_state = "hidden"
    path = folder / "nasty.xlsx"
    book.save(path)
    return path


def missing_column(folder: Path) -> Path:
    """The 受理日期 column deleted: one error for the file, every row rejected."""
    book = Workbook()
    book.active.title = CASES.name
    headers = [h for h in CASE_HEADERS if h != "受理日期"]
    _sheet(book.active, headers, [case("NM-1"), case("NM-2")])
    path = folder / "missing-column.xlsx"
    book.save(path)
    return path


def title_and_hidden(folder: Path) -> Path:
    """A merged title row above the header, the case sheet hidden, a hidden row."""
    book = Workbook()
    sheet = book.active
    sheet.title = CASES.name
    sheet.append(["南马村小微权力办件台账（2026年11月）"])
    sheet.merge_cells("A1:F1")
    for row in ([CASE_HEADERS], [[case("NM-1").get(h) for h in CASE_HEADERS]],
                [[case("NM-2").get(h) for h in CASE_HEADERS]]):  # fmt: skip
        sheet.append(row[0])
    sheet.row_dimensions[4].hidden = True
    book.create_sheet("说明").append(["本台账由南马村便民服务室维护"])
    book.active = 1
    sheet.sheet_state = "hidden"
    path = folder / "title-and-hidden.xlsx"
    book.save(path)
    return path


def _csv(path: Path, headers: list[str], rows: list[dict[str, Any]], encoding: str) -> Path:
    with path.open("w", encoding=encoding, newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(headers)
        writer.writerows([row.get(header, "") for header in headers] for row in rows)
    return path


def gbk_csv(folder: Path) -> list[Path]:
    """A CSV ledger saved by Chinese Excel (GBK), with its steps file; one bad step."""
    cases = [case("NM-1", 事由="房屋失火\n急需救助"), case("NM-2", 事项编码="xwql-45 民间纠纷调解")]
    steps = [step("NM-1"), step("NM-2", 环节="受理登记", 办理主体="村人民调解委员会",
                                日期="2026/11/31")]  # fmt: skip
    return [
        _csv(folder / "gbk.csv", CASE_HEADERS, cases, "gbk"),
        _csv(folder / f"gbk-{STEPS.name}.csv", STEP_HEADERS, steps, "gbk"),
    ]


def utf16_csv(folder: Path) -> Path:
    """Excel's "Unicode text": UTF-16, neither UTF-8 nor GBK; the file is refused whole."""
    return _csv(folder / "utf16.csv", CASE_HEADERS, [case("NM-1")], "utf-16")


def bad_json(folder: Path) -> Path:
    """Cases in the model's JSON form with one problem each after the first."""
    good = {
        "case_id": "NM-1", "item_code": "xwql-026", "village": "QL-NM",
        "applicants": [{"name": "张三", "id_number": ID_A, "phone": "138 0533 1234"}],
        "first_contact_officer": "李四", "received_on": "2026-11-03", "amount": "1,200.50元",
        "steps": [{"step": "村受理并一次性告知", "actor": "村便民服务室民政协理员",
                   "date": "2026-11-04"}],
    }  # fmt: skip
    second_applicant = {"name": "李四", "id_number": "370305199003150041"}
    cases = [
        good,
        good | {"case_id": "NM-2", "applicants": [good["applicants"][0], second_applicant]},
        good
        | {
            "case_id": "NM-3",
            "steps": [{"step": "审批", "actor": "区民政局", "date": "2026-11-05"}],
        },
        good | {"case_id": "NM-4", "seal": "村委会"},
        good,
        "NM-6",
    ]
    path = folder / "bad.json"
    path.write_text(
        json.dumps({"cases": cases, "exported_by": "某系统"}, ensure_ascii=False, indent=2),
        encoding="utf-8",
    )
    return path


def build(folder: Path) -> list[Path]:
    """Write every corpus ledger into ``folder``."""
    return [
        nasty(folder),
        missing_column(folder),
        title_and_hidden(folder),
        *gbk_csv(folder),
        utf16_csv(folder),
        bad_json(folder),
    ]


if __name__ == "__main__":
    for written in build(Path(__file__).resolve().parent):
        print(written.name)
