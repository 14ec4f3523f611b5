from __future__ import annotations

import re

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from pipeline.cases.model import Person
from pipeline.cases.privacy import mask_id, mask_phone, mask_text, public_person

ID18 = st.from_regex(r"\A[1-8][0-9]{16}[0-9X]\Z")
ID15 = st.from_regex(r"\A[1-8][0-9]{14}\Z")
MOBILE = st.from_regex(r"\A1[3-9][0-9]{9}\Z")
LONG_DIGIT_RUN = re.compile(r"\d{7,}")  # any Unicode digits


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("370305199001011234", "370305********1234"),
        ("37030519900101123X", "370305********123X"),
        ("37030519900101123x", "370305********123X"),
        ("370305900101123", "370305*****1123"),
        ("  370305199001011234 ", "370305********1234"),
        ("３７０３０５１９９００１０１１２３４", "370305********1234"),  # full-width digits
        ("3703051990", "37******90"),  # too short: conservative, same length
        ("37030519900101123", "3703*********1123"),  # 17 digits
        ("未提供", "***"),
        ("", ""),
        ("   ", ""),
        (None, ""),
    ],
)
def test_mask_id(value: str | None, masked: str) -> None:
    assert mask_id(value) == masked


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("13812345678", "138****5678"),
        ("138 1234 5678", "138****5678"),
        ("+86 138-1234-5678", "138****5678"),
        ("0533-7211234", "0533-72***34"),
        ("010-12345678", "010-12****78"),
        ("05337211234", "053372***34"),
        ("7211234", "72***34"),
        ("12345", "1***5"),
        ("0533-7211234-801", "0533********-801"),
        ("", ""),
        (None, ""),
    ],
)
def test_mask_phone(value: str | None, masked: str) -> None:
    assert mask_phone(value) == masked


@given(ID18)
@example("370305199001011234")
def test_masked_18_digit_id_keeps_length_and_ends_and_hides_the_birth_date(number: str) -> None:
    masked = mask_id(number)
    assert len(masked) == len(number) == 18
    assert masked == number[:6] + "*" * 8 + number[-4:]
    assert number[6:14] not in masked


@given(ID15)
def test_masked_15_digit_id(number: str) -> None:
    masked = mask_id(number)
    assert len(masked) == 15
    assert masked == number[:6] + "*" * 5 + number[-4:]


@given(st.one_of(ID18, ID15, st.text(), st.text(alphabet="0123456789X -０１２３"), st.none()))
def test_mask_id_never_shows_eight_digits_of_the_middle(value: str | None) -> None:
    masked = mask_id(value)  # never raises
    assert isinstance(masked, str)
    assert not LONG_DIGIT_RUN.search(masked)
    if value:
        middle = value.strip()[6:-4]
        windows = {middle[i : i + 8] for i in range(len(middle) - 7)}
        assert not [w for w in windows if w.isdigit() and w in masked]


@given(st.text(alphabet=st.characters(codec="ascii")))
def test_mask_id_of_odd_input_keeps_its_length(value: str) -> None:
    assert len(mask_id(value)) == len(value.strip())


@given(MOBILE)
def test_masked_mobile_keeps_first_three_and_last_four(number: str) -> None:
    assert mask_phone(number) == f"{number[:3]}****{number[-4:]}"


@given(st.one_of(MOBILE, st.text(), st.text(alphabet="0123456789+- ()"), st.none()))
def test_mask_phone_never_raises_nor_shows_a_phone(value: str | None) -> None:
    masked = mask_phone(value)
    assert isinstance(masked, str)
    assert not LONG_DIGIT_RUN.search(masked)


def test_mask_text_masks_numbers_and_the_address_but_keeps_amounts() -> None:
    text = (
        "身份证370305199001011234，电话138 1234 5678，座机0533-7211234，"
        "卡号6222021234567890123，补助1250000元，住齐陵街道南马村幸福路18号"
    )
    masked = mask_text(text, addresses=["齐陵街道南马村幸福路18号", None, "村"])
    assert masked == (
        "身份证370305********1234，电话138****5678，座机0533-72***34，"
        "卡号62***************23，补助1250000元，住（住址已隐去）"
    )
    assert mask_text(None) == "" and mask_text("") == ""


@given(st.text(), ID18, MOBILE, st.text())
def test_mask_text_never_leaks_an_embedded_id_or_mobile(
    before: str, number: str, mobile: str, after: str
) -> None:
    # Chinese text around the numbers, as a clerk would type it.
    masked = mask_text(f"{before}。身份证号{number}，手机{mobile}。{after}")
    assert number not in masked and mobile not in masked


def test_public_person_keeps_the_name_masks_the_rest_and_has_no_address() -> None:
    person = Person(
        name="张𠮷䶮😀<script>&",
        id_number="370305199001011234",
        phone="13812345678",
        address="齐陵街道南马村幸福路18号",
        household_size=3,
    )
    assert public_person(person) == {
        "name": "张𠮷䶮😀<script>&",
        "id_number": "370305********1234",
        "phone": "138****5678",
        "household_size": "3",
    }
    bare = public_person(Person(name="李四"))
    assert bare == {"name": "李四", "id_number": "", "phone": "", "household_size": "—"}
