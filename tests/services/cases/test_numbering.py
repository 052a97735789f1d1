"""办件编号: division code, date, the case's key, and a check character that catches every
single typing error and every swap of neighbours."""

import datetime as dt
import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shuzheng.services.cases import numbering

ALPHABET = string.digits + string.ascii_uppercase


@st.composite
def numbers(draw):
    division = draw(st.sampled_from(["440400", "440402", "440403", "820000"]))
    day = draw(st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2099, 12, 31)))
    pk = draw(st.integers(min_value=1, max_value=10**11))
    body = f"{division}{day:%Y%m%d}{pk:08d}"
    from stdnum.iso7064 import mod_11_2

    return body + mod_11_2.calc_check_digit(body)


@given(numbers())
def test_a_made_number_is_valid(number):
    assert numbering.is_valid_number(number)
    assert numbering.is_valid_number(number.lower())


@given(numbers(), st.data())
def test_any_single_character_substitution_is_detected(number, data):
    i = data.draw(st.integers(min_value=0, max_value=len(number) - 1))
    c = data.draw(st.sampled_from(ALPHABET).filter(lambda c: c != number[i]))
    assert not numbering.is_valid_number(number[:i] + c + number[i + 1 :])


@given(numbers(), st.data())
def test_any_adjacent_transposition_is_detected(number, data):
    i = data.draw(st.integers(min_value=0, max_value=len(number) - 2))
    swapped = number[:i] + number[i + 1] + number[i] + number[i + 2 :]
    if swapped != number:
        assert not numbering.is_valid_number(swapped)


@pytest.mark.parametrize("text", ["", "abc", "4404002026030100000001", "4404002026030100000001XX"])
def test_malformed_text_is_not_a_number(text):
    assert not numbering.is_valid_number(text)


def test_a_case_number_uses_the_nearest_division_code_and_the_pk(tree):
    class Case:
        pk = 42
        organisation = tree.zwfw  # no code of its own: the city's
        submitted_at = None

    at = dt.datetime(2026, 3, 4, 1, 0, tzinfo=dt.UTC)  # 09:00 in Zhuhai
    number = numbering.make_number(Case, at=at)
    assert number[:-1] == "4404002026030400000042"
    assert numbering.is_valid_number(number)
    Case.organisation = tree.jingan  # a 12-digit code: its county part
    assert numbering.make_number(Case, at=at).startswith("440403")
