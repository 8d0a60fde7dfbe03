from datetime import date

import pytest

from forms.fields import luhn_ok
from forms.idcard import check_resident_id, make_resident_id, mask_id, mask_phone, sex_of
from forms.codes import ETHNIC_GROUPS
from forms import divisions

MOTHER = make_resident_id("450703", date(1995, 3, 12), 42)


def test_valid_resident_id():
    assert check_resident_id(MOTHER) is None
    assert sex_of(MOTHER) == "female"


def test_wrong_check_digit():
    wrong = MOTHER[:17] + ("0" if MOTHER[17] != "0" else "1")
    assert check_resident_id(wrong).code == "id_checksum"


def test_impossible_birth_date():
    body = "45070319950230042"  # 30 February
    from stdnum.cn import ric
    assert check_resident_id(body + ric.calc_check_digit(body + "0")).code == "id_birth_date"


@pytest.mark.parametrize("number", ["12345", "45070319950312042Y", "4507031995031204A2", ""])
def test_bad_format(number):
    assert check_resident_id(number).code == "id_format"


def test_ethnic_groups_gb3304():
    assert ETHNIC_GROUPS["01"] == "汉族" and ETHNIC_GROUPS["56"] == "基诺族"
    assert len([c for c in ETHNIC_GROUPS if int(c) <= 56]) == 56
    assert "97" in ETHNIC_GROUPS and "98" in ETHNIC_GROUPS


@pytest.mark.parametrize("code,name", [("450703", "钦北区"), ("511702", "通川区"), ("500116", "江津区"),
                                       ("450700", "钦州市"), ("130000", "河北省"), ("510000", "四川省")])
def test_divisions(code, name):
    assert divisions.name_of(code) == name


def test_division_full_name():
    assert divisions.full_name("450703") == "广西壮族自治区钦州市钦北区"


def test_luhn():
    assert luhn_ok("6217000010012345677")
    assert not luhn_ok("6217000010012345674")


def test_masks():
    """前六后四 (the convention of government service platforms): the address code and the last four
    stay, the birth date is hidden; anything too short to be a number is hidden whole."""
    assert mask_id("450703199503120421") == "450703********0421"
    assert mask_id("450703950312042") == "450703*****2042"          # a 15-digit number of before 1999
    assert mask_id("6217000010012345677") == "621700*********5677"  # a bank account, as forms mask it
    assert mask_id("4507031995") == "**********"                    # partial: nothing in clear
    assert mask_id("") == ""
    assert mask_id(None) is None
    assert mask_phone("13812345678") == "138****5678"
