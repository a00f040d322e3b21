import datetime as dt

import pytest

from clinics.idcard import make_national_id, validate_national_id


def test_a_valid_number_passes_and_is_normalised():
    assert validate_national_id("11010519491231002x") == "11010519491231002X"


def test_generated_numbers_carry_the_right_check_digit():
    number = make_national_id("210102", dt.date(1980, 2, 29), 7)
    assert validate_national_id(number) == number


# The reasons are for people: Chinese unless English was chosen.
@pytest.mark.parametrize("bad, why", [
    ("110105194912310021", "校验位"),
    ("11010519491231002", "17位"),
    ("1101051949123100XX", "17位"),
    ("110105194902300027", "出生日期"),
    ("", "17位"),
])
def test_bad_numbers_are_refused_with_the_reason(bad, why):
    with pytest.raises(ValueError, match=why):
        validate_national_id(bad)
