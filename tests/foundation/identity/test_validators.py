"""Tests for identity document, enterprise code and mobile number validators.

None of these tests touch the database.
"""

from __future__ import annotations

import string
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stdnum.cn import ric, uscc

from shuzheng.foundation.identity import validators as v
from shuzheng.foundation.identity.validators import IdType

DIVISION_CODES = ["440402", "440403", "440404", "110101"]
GB11643_CHARS = string.digits + "X"
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
# Yesterday keeps generated birth dates in the past whatever the machine's time zone.
LATEST_BIRTH_DATE = date.today() - timedelta(days=1)

exhaustive = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


def gb11643(body17: str) -> str:
    """Append the GB 11643 check character (stdnum ignores the last character passed)."""
    return body17 + ric.calc_check_digit(body17 + "0")


def error_of(func: Callable[..., str], *args: object) -> ValidationError:
    with pytest.raises(ValidationError) as excinfo:
        func(*args)
    return excinfo.value


def message_of(error: ValidationError) -> str:
    return str(error.messages[0])


@st.composite
def resident_ids(draw: st.DrawFn, codes: list[str] = DIVISION_CODES) -> str:
    code = draw(st.sampled_from(codes))
    born = draw(st.dates(min_value=date(1900, 1, 1), max_value=LATEST_BIRTH_DATE))
    sequence = draw(st.integers(min_value=0, max_value=999))
    return gb11643(f"{code}{born:%Y%m%d}{sequence:03d}")


@st.composite
def usccs(draw: st.DrawFn) -> str:
    authority_and_type = draw(st.text(USCC_ALPHABET, min_size=2, max_size=2))
    division = draw(st.text(string.digits, min_size=6, max_size=6))
    organisation = draw(st.text(USCC_ALPHABET, min_size=9, max_size=9))
    body = authority_and_type + division + organisation
    return body + uscc.calc_check_digit(body)


def single_substitutions(number: str, alphabet: str):
    for position, original in enumerate(number):
        for replacement in alphabet:
            if replacement != original:
                yield number[:position] + replacement + number[position + 1 :]


def hong_kong_check(body: str) -> str:
    """Independent implementation of the published HKID MOD 11 rule."""
    padded = body if len(body) == 8 else " " + body

    def value(char: str) -> int:
        if char == " ":
            return 36
        return int(char) if char.isdigit() else ord(char) - ord("A") + 10

    total = sum(value(c) * w for c, w in zip(padded, range(9, 1, -1), strict=True))
    check = (11 - total % 11) % 11
    return "A" if check == 10 else str(check)


# --------------------------------------------------------------------------
# IdType
# --------------------------------------------------------------------------


def test_id_type_codes_and_labels():
    assert IdType.RESIDENT_ID == "111"
    assert IdType.HK_MACAO_PERMIT == "516"
    assert IdType.HK_MACAO_RESIDENCE_PERMIT == "554"
    assert IdType.TAIWAN_PERMIT == "511"
    assert IdType.PASSPORT == "414"
    assert IdType.MACAU_ID == "991"
    assert IdType.HONG_KONG_ID == "992"
    assert str(IdType.RESIDENT_ID.label) == "居民身份证"


# --------------------------------------------------------------------------
# 居民身份证
# --------------------------------------------------------------------------


@given(resident_ids())
def test_generated_resident_ids_are_valid(number):
    assert v.normalize_resident_id(number) == number
    assert v.normalize_id_number(IdType.RESIDENT_ID, number) == number


@exhaustive
@given(resident_ids())
def test_every_single_substitution_of_resident_id_is_rejected(number):
    for mutated in single_substitutions(number, GB11643_CHARS):
        with pytest.raises(ValidationError):
            v.normalize_resident_id(mutated)


def test_resident_id_known_example():
    assert v.normalize_resident_id("360426199101010071") == "360426199101010071"


def test_resident_id_accepts_lowercase_x_and_spaces():
    number = next(
        n for n in (gb11643(f"11010119800101{s:03d}") for s in range(1000)) if n.endswith("X")
    )
    assert v.normalize_resident_id(f" {number[:6]} {number[6:14]} {number[14:].lower()} ") == number


def test_resident_id_accepts_full_width_digits():
    number = gb11643("44040219900101123")
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in number)
    assert v.normalize_resident_id(full_width) == number


def test_resident_id_wrong_check_digit():
    number = gb11643("44040219900101123")
    wrong = number[:-1] + ("1" if number[-1] != "1" else "2")
    error = error_of(v.normalize_resident_id, wrong)
    assert error.code == "checksum"
    assert "校验位错误" in message_of(error)


def test_resident_id_impossible_birth_date():
    error = error_of(v.normalize_resident_id, gb11643("44040219980230123"))
    assert error.code == "birth_date"
    assert "出生日期无效" in message_of(error)
    assert "19980230" in message_of(error)


def test_resident_id_birth_date_in_future():
    error = error_of(v.normalize_resident_id, gb11643("44040229990101123"))
    assert error.code == "birth_date"
    assert "晚于今天" in message_of(error)


def test_resident_id_length():
    error = error_of(v.normalize_resident_id, "44040219900101123")
    assert error.code == "length"
    assert message_of(error) == "居民身份证号码应为18位，当前为17位"


@pytest.mark.parametrize("code", ["449999", "999999", "000000"])
def test_resident_id_unknown_division_code(code):
    error = error_of(v.normalize_resident_id, gb11643(f"{code}19900101123"))
    assert error.code == "region"
    assert code in message_of(error)


def test_resident_id_illegal_characters():
    error = error_of(v.normalize_resident_id, "440402-19900101-1236")
    assert error.code == "format"
    assert "非法字符" in message_of(error)
    assert "“-”" in message_of(error)


def test_resident_id_x_only_allowed_as_check_character():
    error = error_of(v.normalize_resident_id, "44040X199001011236")
    assert error.code == "format"


def test_resident_id_not_rejected_for_division_created_after_birth():
    """440402 (香洲区) dates from 1984; people born earlier were given it in 1984-85."""
    number = gb11643("44040219500101123")
    assert v.normalize_resident_id(number) == number


@pytest.mark.parametrize("code", ["810000", "820000", "830000"])
def test_residence_permit_codes_are_not_resident_ids(code):
    error = error_of(v.normalize_resident_id, gb11643(f"{code}19900101123"))
    assert error.code == "region"
    assert "居住证" in message_of(error)


# --------------------------------------------------------------------------
# 港澳居民居住证
# --------------------------------------------------------------------------


@given(resident_ids(codes=["810000", "820000"]))
def test_generated_residence_permits_are_valid(number):
    assert v.normalize_id_number(IdType.HK_MACAO_RESIDENCE_PERMIT, number) == number


@exhaustive
@given(resident_ids(codes=["810000", "820000"]))
def test_every_single_substitution_of_residence_permit_is_rejected(number):
    for mutated in single_substitutions(number, GB11643_CHARS):
        with pytest.raises(ValidationError):
            v.normalize_hk_macao_residence_permit(mutated)


@pytest.mark.parametrize("code", ["810000", "820000"])
def test_residence_permit_valid_and_wrong_checksum(code):
    number = gb11643(f"{code}19900101123")
    assert v.normalize_id_number("554", number) == number
    wrong = number[:-1] + ("0" if number[-1] != "0" else "1")
    assert error_of(v.normalize_id_number, "554", wrong).code == "checksum"


def test_residence_permit_birth_date_checked():
    error = error_of(v.normalize_hk_macao_residence_permit, gb11643("81000019980230123"))
    assert error.code == "birth_date"


@pytest.mark.parametrize("code", ["440402", "830000"])
def test_residence_permit_rejects_other_division_codes(code):
    number = gb11643(f"{code}19900101123")
    error = error_of(v.normalize_id_number, IdType.HK_MACAO_RESIDENCE_PERMIT, number)
    assert error.code == "region"
    assert "810000" in message_of(error)


# --------------------------------------------------------------------------
# 统一社会信用代码
# --------------------------------------------------------------------------


def test_uscc_alphabet_matches_gb32100():
    assert v._USCC_ALPHABET == USCC_ALPHABET
    assert not set("IOSVZ") & set(USCC_ALPHABET)


@given(usccs())
def test_generated_usccs_are_valid(code):
    assert v.normalize_uscc(code) == code
    assert v.normalize_uscc(f" {code.lower()} ") == code


@exhaustive
@given(usccs())
def test_every_single_substitution_of_uscc_is_rejected(code):
    for mutated in single_substitutions(code, USCC_ALPHABET):
        with pytest.raises(ValidationError):
            v.normalize_uscc(mutated)


def test_uscc_known_examples():
    assert v.normalize_uscc("91110000600037341L") == "91110000600037341L"
    # Letter authority codes (N: 农业农村部门) are valid although stdnum.validate rejects them.
    code = "N2440402MF0000001" + uscc.calc_check_digit("N2440402MF0000001")
    assert v.normalize_uscc(code) == code


@pytest.mark.parametrize(
    ("code", "expected_code", "fragment"),
    [
        ("91110000600037341", "length", "应为18位，当前为17位"),
        ("91110000600037341O", "format", "“O”"),
        ("9111000060003734-L", "format", "非法字符"),
        ("91A10000600037341L", "format", "第3至8位"),
        ("91110000600037341M", "checksum", "校验位错误"),
    ],
)
def test_uscc_errors(code, expected_code, fragment):
    error = error_of(v.normalize_uscc, code)
    assert error.code == expected_code
    assert fragment in message_of(error)


# --------------------------------------------------------------------------
# 通行证、护照
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "expected"),
    [("H12345678", "H12345678"), ("m 1234 5678", "M12345678"), ("H1234567890", "H1234567890")],
)
def test_hk_macao_permit_valid(number, expected):
    assert v.normalize_id_number(IdType.HK_MACAO_PERMIT, number) == expected


@pytest.mark.parametrize(
    ("number", "expected_code"),
    [
        ("X12345678", "format"),
        ("12345678H", "format"),
        ("HM1234567", "format"),
        ("H1234567", "length"),
        ("H123456789", "length"),
        ("H1234-5678", "format"),
        ("", "length"),
    ],
)
def test_hk_macao_permit_invalid(number, expected_code):
    assert error_of(v.normalize_hk_macao_permit, number).code == expected_code


@pytest.mark.parametrize("number", ["12345678", "1234567890", "1234 5678"])
def test_taiwan_permit_valid(number):
    assert v.normalize_id_number(IdType.TAIWAN_PERMIT, number) == number.replace(" ", "")


@pytest.mark.parametrize(
    ("number", "expected_code"),
    [
        ("1234567", "length"),
        ("123456789", "length"),
        ("1234567A", "format"),
        ("T1234567", "format"),
    ],
)
def test_taiwan_permit_invalid(number, expected_code):
    assert error_of(v.normalize_taiwan_permit, number).code == expected_code


def test_passport():
    assert v.normalize_id_number(IdType.PASSPORT, " e1234 5678 ") == "E12345678"
    assert v.normalize_passport("AB123") == "AB123"
    assert error_of(v.normalize_passport, "A123").code == "length"
    assert error_of(v.normalize_passport, "A" * 18).code == "length"
    assert error_of(v.normalize_passport, "E1234-5678").code == "format"
    assert error_of(v.normalize_passport, "Eſ2345678").code == "format"


# --------------------------------------------------------------------------
# 香港身份证
# --------------------------------------------------------------------------

HONG_KONG_BODIES = ["A123456", "G987654", "Z000001", "AB987654", "XA111111", "C668668"]


@pytest.mark.parametrize("body", HONG_KONG_BODIES)
def test_hong_kong_id_valid_in_both_forms(body):
    check = hong_kong_check(body)
    printed = f"{body}({check})"
    assert v.normalize_hong_kong_id(printed) == printed
    assert v.normalize_hong_kong_id(body + check) == printed
    assert v.normalize_hong_kong_id(f"{body.lower()}（{check.lower()}）") == printed
    assert v.normalize_id_number(IdType.HONG_KONG_ID, body + check) == printed


def test_hong_kong_id_reference_example():
    assert hong_kong_check("A123456") == "3"
    assert v.normalize_hong_kong_id("A1234563") == "A123456(3)"


def test_hong_kong_id_check_character_a():
    body = next(f"A{n:06d}" for n in range(10**6) if hong_kong_check(f"A{n:06d}") == "A")
    assert v.normalize_hong_kong_id(f"{body}A") == f"{body}(A)"


@given(
    st.text(string.ascii_uppercase, min_size=1, max_size=2),
    st.text(string.digits, min_size=6, max_size=6),
)
def test_hong_kong_id_matches_published_rule(letters, digits):
    body = letters + digits
    check = hong_kong_check(body)
    assert v.normalize_hong_kong_id(body + check) == f"{body}({check})"
    for wrong in "0123456789A":
        if wrong != check:
            assert error_of(v.normalize_hong_kong_id, body + wrong).code == "checksum"


@st.composite
def hong_kong_ids(draw: st.DrawFn) -> str:
    letters = draw(st.text(string.ascii_uppercase, min_size=1, max_size=2))
    body = letters + draw(st.text(string.digits, min_size=6, max_size=6))
    return body + hong_kong_check(body)


def _hong_kong_value(char: str) -> int:
    return int(char) if char.isdigit() else ord(char) - ord("A") + 10


@exhaustive
@given(hong_kong_ids())
def test_every_single_character_change_of_hong_kong_id_is_rejected(compact):
    """Every change of a digit or of the check character is caught; so is every change of a
    prefix letter into a character that is not a letter. MOD 11 cannot see one thing: a prefix
    letter replaced by a letter whose value differs by 11 or 22 (A↔L↔W, B↔M↔X, …) changes the
    weighted sum by a multiple of 11 — the published algorithm's limit, not ours. Exactly those
    mutations (and no others) pass."""
    letters = len(compact) - 7
    for mutated in single_substitutions(compact, string.ascii_uppercase + string.digits):
        position = next(i for i, (a, b) in enumerate(zip(compact, mutated, strict=True)) if a != b)
        undetectable = (
            position < letters
            and mutated[position].isalpha()
            and abs(_hong_kong_value(mutated[position]) - _hong_kong_value(compact[position])) % 11
            == 0
        )
        if undetectable:
            assert v.normalize_hong_kong_id(mutated) == f"{mutated[:-1]}({mutated[-1]})"
        else:
            with pytest.raises(ValidationError):
                v.normalize_hong_kong_id(mutated)


@pytest.mark.parametrize("body", HONG_KONG_BODIES)
def test_hong_kong_id_changed_check_digit_fails(body):
    check = hong_kong_check(body)
    wrong = "0" if check != "0" else "1"
    error = error_of(v.normalize_hong_kong_id, f"{body}({wrong})")
    assert error.code == "checksum"


@pytest.mark.parametrize(
    ("number", "expected_code"),
    [
        ("A12345(6)3", "format"),
        ("A123456(3", "format"),
        ("1234567(8)", "format"),
        ("ABC12345(6)", "format"),
        ("A12345(6)", "length"),
        ("A123456-3", "format"),
    ],
)
def test_hong_kong_id_invalid(number, expected_code):
    assert error_of(v.normalize_hong_kong_id, number).code == expected_code


# --------------------------------------------------------------------------
# 澳门居民身份证
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        ("1234567(8)", "1234567(8)"),
        ("12345678", "1234567(8)"),
        ("5215432(8)", "5215432(8)"),
        ("7 123 456 (0)", "7123456(0)"),
        ("1234567（8）", "1234567(8)"),
    ],
)
def test_macau_id_normalised(number, expected):
    assert v.normalize_id_number(IdType.MACAU_ID, number) == expected


@pytest.mark.parametrize(
    ("number", "expected_code"),
    [
        ("3234567(8)", "format"),
        ("0234567(8)", "format"),
        ("123(4567)8", "format"),
        ("1234567(8", "format"),
        ("1234567", "length"),
        ("123456789", "length"),
        ("123456A(8)", "format"),
    ],
)
def test_macau_id_invalid(number, expected_code):
    assert error_of(v.normalize_macau_id, number).code == expected_code


def test_macau_id_leading_digit_message():
    assert "首位应为1、5或7" in message_of(error_of(v.normalize_macau_id, "3234567(8)"))


# --------------------------------------------------------------------------
# 澳门商业登记编号
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "expected"), [("1", "1"), (" 12345 ", "12345"), ("012345", "012345")]
)
def test_macau_registration_valid(number, expected):
    assert v.normalize_macau_registration(number) == expected


@pytest.mark.parametrize(
    ("number", "expected_code"), [("", "length"), ("1234567", "length"), ("12A", "format")]
)
def test_macau_registration_invalid(number, expected_code):
    assert error_of(v.normalize_macau_registration, number).code == expected_code


# --------------------------------------------------------------------------
# Documents without a check character: generated numbers pass, and every single-character
# change is rejected except the ones no rule can see (a digit for another digit where the
# format allows any digit). These documents carry no check character (澳门居民身份证's is
# not published), so a mistyped digit is caught by matching the holder's document instead.
# --------------------------------------------------------------------------


def _digits(n: int) -> st.SearchStrategy[str]:
    return st.text(string.digits, min_size=n, max_size=n)


def _swap_within(allowed_at: Callable[[int], str]):
    """Undetectable: the changed character is still one the format allows at that place."""
    return lambda position, char: char in allowed_at(position)


UNCHECKED_DOCUMENTS = {
    "hk_macao_permit": (
        v.normalize_hk_macao_permit,
        st.builds(lambda letter, d: letter + d, st.sampled_from("HM"), _digits(8)),
        _swap_within(lambda i: "HM" if i == 0 else string.digits),
        lambda number: number,
    ),
    "taiwan_permit": (
        v.normalize_taiwan_permit,
        _digits(8),
        _swap_within(lambda i: string.digits),
        lambda number: number,
    ),
    "macau_id": (
        v.normalize_macau_id,
        st.builds(lambda first, d: first + d, st.sampled_from("157"), _digits(7)),
        _swap_within(lambda i: "157" if i == 0 else string.digits),
        lambda number: f"{number[:7]}({number[7]})",
    ),
    "macau_registration": (
        v.normalize_macau_registration,
        st.text(string.digits, min_size=1, max_size=6),
        _swap_within(lambda i: string.digits),
        lambda number: number,
    ),
}


@pytest.mark.parametrize("kind", sorted(UNCHECKED_DOCUMENTS))
@given(data=st.data())
def test_documents_without_check_character(kind, data):
    normalise, numbers, undetectable, canonical = UNCHECKED_DOCUMENTS[kind]
    number = data.draw(numbers)
    assert normalise(number) == canonical(number)
    for mutated in single_substitutions(number, string.ascii_uppercase + string.digits + "-"):
        position = next(i for i, (a, b) in enumerate(zip(number, mutated, strict=True)) if a != b)
        if undetectable(position, mutated[position]):
            assert normalise(mutated) == canonical(mutated)
        else:
            with pytest.raises(ValidationError):
                normalise(mutated)


@given(st.text(string.ascii_uppercase + string.digits, min_size=5, max_size=17))
def test_generated_passport_numbers_are_valid(number):
    assert v.normalize_passport(number) == number
    assert v.normalize_id_number(IdType.PASSPORT, number.lower()) == number


# Number blocks wholly allocated to mobiles in phonenumbers' metadata (checked down to the
# last 4 digits on the mainland and the last 2 in Macau and Hong Kong).
MOBILE_BLOCKS = {
    "+86": (["13", "18"], 9),
    "+853": (["62", "63", "65"], 6),
    "+852": (["61", "63", "64", "65", "69", "94", "96", "97"], 6),
}


@st.composite
def mobiles(draw: st.DrawFn) -> str:
    country = draw(st.sampled_from(sorted(MOBILE_BLOCKS)))
    prefixes, rest = MOBILE_BLOCKS[country]
    return country + draw(st.sampled_from(prefixes)) + draw(_digits(rest))


@given(mobiles())
def test_generated_mobiles_are_valid(e164):
    assert v.normalize_mobile(e164) == e164
    if e164.startswith("+86"):
        assert v.normalize_mobile(e164[3:]) == e164  # mainland numbers need no +86


@exhaustive
@given(mobiles())
def test_single_character_changes_of_a_mobile(e164):
    """No check digit exists in phone numbers: a digit changed into another digit of an
    allocated block is another real number. Everything else is rejected: a letter or other
    character anywhere, and any change that leaves the mobile blocks of the three regions."""
    for mutated in single_substitutions(e164, string.ascii_uppercase + string.digits + "*#"):
        try:
            result = v.normalize_mobile(mutated)
        except ValidationError:
            continue
        assert mutated[1:].isdigit(), mutated
        assert result == mutated
        assert mutated[:4] in ("+861", "+853", "+852"), mutated


# --------------------------------------------------------------------------
# Dispatch
# --------------------------------------------------------------------------


@pytest.mark.parametrize("id_type", ["999", "", "RESIDENT_ID", None, 111])
def test_unknown_id_type(id_type):
    assert error_of(v.normalize_id_number, id_type, "12345678").code == "unknown_type"


def test_every_id_type_has_a_normalizer():
    assert set(v._NORMALIZERS) == set(IdType.values)


# --------------------------------------------------------------------------
# Mobile numbers
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        ("13812345678", "+8613812345678"),
        ("+86 138 1234 5678", "+8613812345678"),
        ("138-1234-5678", "+8613812345678"),
        ("008613812345678", "+8613812345678"),
        ("＋８６１３８１２３４５６７８", "+8613812345678"),
        ("+853 6612 3456", "+85366123456"),
        ("+85362123456", "+85362123456"),
        ("+852 9123 4567", "+85291234567"),
    ],
)
def test_mobile_normalised_to_e164(number, expected):
    assert v.normalize_mobile(number) == expected


def test_mobile_unallocated_macau_range_rejected():
    """The brief's example +85361234567 is not in phonenumbers' Macau mobile plan (62/63/65/66/68)."""
    error = error_of(v.normalize_mobile, "+85361234567")
    assert error.code == "format"
    assert "号段不存在" in message_of(error)


@pytest.mark.parametrize(
    ("number", "expected_code"),
    [
        ("12345678901", "format"),
        ("66123456", "ambiguous"),
        ("9123 4567", "ambiguous"),
        ("+853 2882 3456", "not_mobile"),
        ("+86 10 1234 5678", "not_mobile"),
        ("+1 650 253 0000", "region"),
        ("1381234567", "length"),
        ("+86 138 1234 567", "length"),
        ("+853 6612 345", "length"),
        ("23456789012", "format"),
        ("+86138abc45678", "format"),
        ("86+13812345678", "format"),
        ("+", "length"),
        ("", "length"),
    ],
)
def test_mobile_invalid(number, expected_code):
    assert error_of(v.normalize_mobile, number).code == expected_code


def test_mobile_messages():
    assert "+853" in message_of(error_of(v.normalize_mobile, "66123456"))
    assert "固定电话" in message_of(error_of(v.normalize_mobile, "+853 2882 3456"))
    assert (
        message_of(error_of(v.normalize_mobile, "1381234567"))
        == "中国内地手机号码应为11位，当前为10位"
    )


# --------------------------------------------------------------------------
# Masking
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        ("440402199001011234", "440402********1234"),
        ("81000019900101123X", "810000********123X"),
        ("A123456(3)", "A*****6(3)"),
        ("1234567(8)", "1*****7(8)"),
        ("H12345678", "H******78"),
        ("E12345678", "E******78"),
        ("1234", "1*34"),
        ("123", "***"),
        ("", ""),
    ],
)
def test_mask_id_number(number, expected):
    assert v.mask_id_number(number) == expected


@pytest.mark.parametrize(
    ("e164", "expected"),
    [
        ("+8613812345678", "138****5678"),
        ("+85366123456", "+853 66****56"),
        ("+85291234567", "+852 91****67"),
        ("not a number", "************"),
    ],
)
def test_mask_mobile(e164, expected):
    assert v.mask_mobile(e164) == expected


# --------------------------------------------------------------------------
# Fuzz: any text raises ValidationError or returns a string
# --------------------------------------------------------------------------

NORMALIZERS = [
    v.normalize_resident_id,
    v.normalize_uscc,
    v.normalize_macau_registration,
    v.normalize_mobile,
    v.normalize_hk_macao_permit,
    v.normalize_hk_macao_residence_permit,
    v.normalize_taiwan_permit,
    v.normalize_passport,
    v.normalize_hong_kong_id,
    v.normalize_macau_id,
]
# Characters that reach the deeper checks, so fuzzing is not all "illegal character".
NEAR_VALID = st.text("0123456789XxHMABaz()（）+-. \u3000１８", max_size=24)


def assert_only_validation_error(func: Callable[..., str], *args: object) -> None:
    try:
        result = func(*args)
    except ValidationError as error:
        assert error.messages  # messages render with their parameters
    else:
        assert isinstance(result, str)


@pytest.mark.parametrize("func", NORMALIZERS, ids=lambda f: f.__name__)
@given(text=st.one_of(st.text(), NEAR_VALID))
def test_fuzz_normalizers_raise_only_validation_error(func, text):
    assert_only_validation_error(func, text)


@given(
    id_type=st.one_of(st.sampled_from(IdType.values), st.text()),
    text=st.one_of(st.text(), NEAR_VALID),
)
def test_fuzz_normalize_id_number(id_type, text):
    assert_only_validation_error(v.normalize_id_number, id_type, text)


@given(text=st.one_of(st.text(), NEAR_VALID))
def test_fuzz_masks_return_strings(text):
    assert isinstance(v.mask_id_number(text), str)
    assert isinstance(v.mask_mobile(text), str)
