"""The value parsers alone: dates and amounts by property, the others by example."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from decimal import Decimal

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from pipeline.cases.model import CaseStatus
from pipeline.intake.messages import BadValue
from pipeline.intake.values import (
    EARLIEST,
    LATEST,
    MAX_AMOUNT,
    Context,
    as_text,
    parse_amount,
    parse_bool,
    parse_count,
    parse_date,
    parse_id_number,
    parse_item,
    parse_list,
    parse_phone,
    parse_status,
    parse_village,
)
from tests.intake.ledgers import ID_A, ID_X

EPOCH = dt.date(1899, 12, 30)
FULL_WIDTH = str.maketrans("0123456789-/.", "０１２３４５６７８９－／．")

DATE_FORMS: list[tuple[str, Callable[[dt.date], object]]] = [
    ("iso", lambda d: d.isoformat()),
    ("slashes", lambda d: f"{d.year}/{d.month}/{d.day}"),
    ("dots", lambda d: f"{d.year}.{d.month}.{d.day}"),
    ("chinese", lambda d: f"{d.year}年{d.month}月{d.day}日"),
    ("chinese spaced", lambda d: f"{d.year} 年 {d.month} 月 {d.day} 号"),
    ("compact", lambda d: d.strftime("%Y%m%d")),
    ("with time", lambda d: f" {d.isoformat()} 00:00:00 "),
    ("full width", lambda d: d.isoformat().translate(FULL_WIDTH)),
    ("date cell", lambda d: d),
    ("datetime cell", lambda d: dt.datetime.combine(d, dt.time(9, 30))),
    ("serial number", lambda d: (d - EPOCH).days),
    ("serial float", lambda d: (d - EPOCH).days + 0.25),
    ("serial text", lambda d: str((d - EPOCH).days)),
]


@given(st.dates(min_value=EARLIEST, max_value=LATEST), st.sampled_from(DATE_FORMS))
@example(dt.date(2026, 11, 3), DATE_FORMS[10])  # 46329, the serial clerks meet
@example(dt.date(2024, 2, 29), DATE_FORMS[3])
@example(EARLIEST, DATE_FORMS[10])
@example(LATEST, DATE_FORMS[1])
def test_parse_date_reads_every_form_clerks_type(
    day: dt.date, form: tuple[str, Callable[[dt.date], object]]
) -> None:
    assert parse_date(form[1](day)) == day


@given(
    st.one_of(
        st.text(),
        st.integers(),
        st.floats(),
        st.booleans(),
        st.none(),
        st.times(),
        st.datetimes(),
    )
)
@example("2026-02-29")
@example("2026-13-01")
@example("1949-12-31")
@example("2100-01-01")
@example("26/11/3")
@example("3/11/2026")
@example("0")
@example(60)
@example(-1)
@example(math.nan)
@example(math.inf)
@example(True)
def test_parse_date_takes_anything_and_fails_only_with_a_message(raw: object) -> None:
    try:
        day = parse_date(raw)
    except BadValue as exc:
        assert exc.finding.problem.zh and exc.finding.problem.en and exc.finding.fix.zh
    else:
        assert EARLIEST <= day <= LATEST


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("2026-02-30", "没有这一天"),
        ("2026/13/1", "没有这一天"),
        ("1949-12-31", "不在 1950–2099"),
        ("26/11/3", "无法识别"),
        ("下周一", "无法识别"),
        (dt.time(9, 30), "不是日期"),
        (-5, "不是日期"),
    ],
)
def test_bad_dates_say_what_is_wrong(raw: object, problem: str) -> None:
    with pytest.raises(BadValue) as caught:
        parse_date(raw)
    assert problem in caught.value.finding.problem.zh


AMOUNT_FORMS: list[tuple[str, Callable[[Decimal], object]]] = [
    ("plain", str),
    ("grouped yuan", lambda a: f"{a:,}元"),
    ("full-width yen", lambda a: f"￥{a}"),
    ("yen grouped", lambda a: f"¥{a:,}"),
    ("yuan zheng", lambda a: f"{a}元整"),
    ("RMB spaced", lambda a: f"RMB {a}"),
    ("full width digits", lambda a: f"{a:,}".translate(FULL_WIDTH).replace(",", "，")),
    ("one decimal", lambda a: f"{a.normalize():f}"),
    ("float cell", lambda a: float(a)),
    ("decimal cell", lambda a: a),
]


@given(
    st.decimals(min_value=0, max_value=MAX_AMOUNT, places=2, allow_nan=False),
    st.sampled_from(AMOUNT_FORMS),
)
@example(Decimal("1200.50"), AMOUNT_FORMS[1])  # 1,200.50元
@example(Decimal("1200.50"), AMOUNT_FORMS[2])  # ￥1200.50
@example(Decimal("0.00"), AMOUNT_FORMS[0])
@example(MAX_AMOUNT, AMOUNT_FORMS[3])
def test_parse_amount_reads_every_form(
    amount: Decimal, form: tuple[str, Callable[[Decimal], object]]
) -> None:
    parsed = parse_amount(form[1](amount))
    assert parsed == amount
    assert parsed.as_tuple().exponent == -2


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1,200.50元", "1200.50"), ("￥1200.5", "1200.50"), ("1200", "1200.00"), (1200, "1200.00"),
     (1200.5, "1200.50"), ("-0", "0.00"), ("  88.8 元 ", "88.80")],
)  # fmt: skip
def test_amounts_as_the_brief_spells_them(raw: object, expected: str) -> None:
    assert str(parse_amount(raw)) == expected


@given(st.decimals(min_value=Decimal("0.01"), max_value=MAX_AMOUNT, places=2))
def test_negative_amounts_are_refused(amount: Decimal) -> None:
    for raw in (f"-{amount}", f"¥-{amount}", f"({amount})", -amount, float(-amount)):
        with pytest.raises(BadValue) as caught:
            parse_amount(raw)
        assert "负数" in caught.value.finding.problem.zh


@given(st.one_of(st.text(), st.floats(), st.integers(), st.booleans(), st.none(), st.dates()))
@example("1.2万")
@example("壹仟贰佰元")
@example("1200.505")
@example(0.1 + 0.2)
@example("1,2,00")
@example("1e5")
@example("9999999999999")
@example("元")
def test_parse_amount_takes_anything_and_fails_only_with_a_message(raw: object) -> None:
    try:
        amount = parse_amount(raw)
    except BadValue as exc:
        assert exc.finding.problem.zh and exc.finding.fix.en
    else:
        assert 0 <= amount <= MAX_AMOUNT and amount.as_tuple().exponent == -2


@pytest.mark.parametrize(
    ("raw", "problem"),
    [("1.2万", "万"), ("1200.505", "两位小数"), (0.1 + 0.2, "两位小数"), ("壹仟元", "无法识别"),
     ("9999999999999", "过大"), (True, "不是金额")],
)  # fmt: skip
def test_bad_amounts_say_what_is_wrong(raw: object, problem: str) -> None:
    with pytest.raises(BadValue) as caught:
        parse_amount(raw)
    assert problem in caught.value.finding.problem.zh


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(ID_A, ID_A), (ID_X.lower(), ID_X), (f" {ID_X[:6]} {ID_X[6:14]} {ID_X[14:]} ", ID_X),
     ("３７０３０５１９９００３１５００４０", ID_A)],
)  # fmt: skip
def test_id_numbers_are_normalised(ctx: Context, raw: str, expected: str) -> None:
    assert parse_id_number(raw, ctx) == expected
    assert ctx.take_notes() == []


def test_a_15_digit_id_number_becomes_18_digits_with_a_warning(ctx: Context) -> None:
    assert parse_id_number("370305900315004", ctx) == ID_A
    (note,) = ctx.take_notes()
    assert "15位" in note.problem.zh and ID_A in note.problem.zh and "18" in note.problem.en


def test_an_unknown_area_code_is_a_warning_not_an_error(ctx: Context) -> None:
    number = "99999919900315004"
    from stdnum.cn import ric

    number += ric.calc_check_digit(number + "0")
    assert parse_id_number(number, ctx) == number
    (note,) = ctx.take_notes()
    assert "地区码" in note.problem.zh


@pytest.mark.parametrize(
    ("raw", "problem"),
    [("370305199003150041", "校验位"), ("37030519900315004", "18位"),
     ("3703051990031500X0", "17位数字"), ("370305199002300045", "出生日期"),
     (370305199003150040, "存成了数字"), (3.70305199003150e17, "存成了数字"),
     ("3.70305E+17", "存成了数字")],
)  # fmt: skip
def test_bad_id_numbers_say_what_is_wrong(ctx: Context, raw: object, problem: str) -> None:
    if problem == "出生日期":  # a real check digit over an impossible birth date
        from stdnum.cn import ric

        raw = str(raw)[:17] + ric.calc_check_digit(str(raw))
    with pytest.raises(BadValue) as caught:
        parse_id_number(raw, ctx)
    assert problem in caught.value.finding.problem.zh


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("13805331234", "13805331234"), ("138 0533 1234", "13805331234"),
     ("138-0533-1234", "13805331234"), ("+86 138 0533 1234", "13805331234"),
     (13805331234, "13805331234"), (13805331234.0, "13805331234"),
     ("0533-7211234", "0533-7211234"), ("05337211234", "0533-7211234"),
     ("(0533)7211234", "0533-7211234"), ("０５３３－７２１１２３４", "0533-7211234"),
     ("010-12345678", "010-12345678"), ("01012345678", "010-12345678"),
     ("0533-7211234-801", "0533-7211234-801")],
)  # fmt: skip
def test_phones_are_normalised(raw: object, expected: str) -> None:
    assert parse_phone(raw) == expected


@pytest.mark.parametrize(
    ("raw", "problem"),
    [("12805331234", "不是有效"), ("7211234", "缺少区号"), ("1380533123", "不是有效"),
     ("13805331234,13905331234", "不是有效"), (5337211234, "不是有效")],
)  # fmt: skip
def test_bad_phones_say_what_is_wrong(raw: object, problem: str) -> None:
    with pytest.raises(BadValue) as caught:
        parse_phone(raw)
    assert problem in caught.value.finding.problem.zh


def test_small_values() -> None:
    assert [parse_bool(v) for v in ("是", "否", "Y", "n", True, 0, "√", "１")] == [
        True, False, True, False, True, False, True, True,
    ]  # fmt: skip
    assert [parse_count(v) for v in (4, 4.0, "4", "４人", " 12 ")] == [4, 4, 4, 4, 12]
    assert parse_list("书面申请、身份证复印件，户口簿;\n病历") == [
        "书面申请", "身份证复印件", "户口簿", "病历",
    ]  # fmt: skip
    assert parse_list(["a", " b ", ""]) == ["a", "b"]
    assert parse_status("已办结") is CaseStatus.CLOSED
    assert parse_status(" 办理中 ") is CaseStatus.OPEN
    for parse, raw in ((parse_bool, "也许"), (parse_count, "四"), (parse_status, "完成")):
        with pytest.raises(BadValue):
            parse(raw)


@pytest.mark.parametrize(
    "raw",
    ["xwql-045", "xwql-45", "XWQL-045", "xwq1-0045", "xwql 45", "民间纠纷调解",
     "xwql-045 民间纠纷调解", "xwql-045　民间纠纷调解", "ｘｗｑｌ－０４５"],
)  # fmt: skip
def test_item_codes_aliases_and_names(ctx: Context, raw: str) -> None:
    assert parse_item(raw, ctx) == "xwql-045"
    assert ctx.take_notes() == []


def test_item_codes_the_attachments_disagree_on_resolve_with_a_warning(ctx: Context) -> None:
    assert parse_item("xwql-035", ctx) == "xwql-035"
    (note,) = ctx.take_notes()
    assert "附件2" in note.problem.zh and "xwql-034" in note.problem.zh
    # With the item's name beside the code there is nothing left in doubt.
    assert parse_item("xwql-035 即时帮扶户认定", ctx) == "xwql-035"
    assert ctx.take_notes() == []


@pytest.mark.parametrize(
    ("raw", "problem"),
    [("xwql-999", "未知"), ("低保", "未知"), ("xwql-045 低保申请", "不符")],
)
def test_bad_items_say_what_is_wrong(ctx: Context, raw: str, problem: str) -> None:
    with pytest.raises(BadValue) as caught:
        parse_item(raw, ctx)
    assert problem in caught.value.finding.problem.zh


def test_villages_by_name_code_or_town_and_name(ctx: Context) -> None:
    for raw in ("南马村", " QL-NM ", "齐陵街道南马村", "ＱＬ－ＮＭ"):
        assert parse_village(raw, ctx) == "QL-NM"
    with pytest.raises(BadValue) as caught:
        parse_village("北马村", ctx)
    assert "南马村" in caught.value.finding.fix.zh


@pytest.mark.parametrize("raw", ["NM\x00-1", "张\x07三", "a\x1b[31mb", "x\x7f", "y\x85"])
def test_text_with_control_characters_is_refused(raw: str) -> None:
    """No document, sheet or index holds them as typed (PostgreSQL refuses NUL outright)."""
    with pytest.raises(BadValue) as caught:
        as_text(raw)
    assert "控制字符 U+00" in caught.value.finding.problem.zh


def test_tabs_and_line_breaks_are_text() -> None:
    assert as_text("房屋失火\r\n急需\t救助") == "房屋失火\r\n急需\t救助"
