"""Resident identity numbers (GB 11643-1999), checked with python-stdnum."""
from datetime import date

from stdnum.cn import ric
from stdnum.exceptions import InvalidComponent

from forms import divisions
from forms.problems import Problem


def check_resident_id(number: str, today: date | None = None) -> Problem | None:
    """The first thing wrong with ``number`` (format, birth date, check digit), or None."""
    text = (number or "").strip().upper()
    if len(text) != 18 or not text[:17].isdigit() or not (text[17].isdigit() or text[17] == "X"):
        return Problem("", "id_format", "公民身份号码应为18位，前17位为数字，末位为数字或X")
    try:
        born = ric.get_birth_date(text)
    except InvalidComponent:
        return Problem("", "id_birth_date", "公民身份号码中的出生日期不存在")
    if born.year < 1900 or born > (today or date.today()):
        return Problem("", "id_birth_date", "公民身份号码中的出生日期不合理")
    if text[17] != ric.calc_check_digit(text):
        return Problem("", "id_checksum", "公民身份号码校验码错误")
    # Only the province is checked: the county part is the code in force at registration,
    # which may since have been renamed or abolished.
    if not divisions.is_known(text[:2] + "0000"):
        return Problem("", "id_region", "公民身份号码中的省级地址码不存在")
    return None


def sex_of(number: str) -> str:
    """'male' or 'female' from the order code's parity (17th digit)."""
    return "male" if int(number[16]) % 2 else "female"


def birth_date_of(number: str) -> date:
    return ric.get_birth_date(number)


def make_resident_id(division: str, born: date, order: int) -> str:
    """A well-formed number for tests and demos: ``order`` odd for men, even for women."""
    body = f"{division}{born:%Y%m%d}{order:03d}"
    return body + ric.calc_check_digit(body + "0")


MASK_HEAD = 6         # the address code: where the number was issued, not who holds it
MASK_TAIL = 4         # order code and check digit: what people read a number back by
MASK_MIN_LENGTH = 15  # a 15-digit (old) or 18-digit identity number, or a bank account


def mask_id(number: str | None) -> str | None:
    """An identity number (or account) as lists and logs may show it: 前六后四, 450703********1234.

    The birth date and the rest stay hidden. A value shorter than any identity number is masked whole,
    so a mistyped or partial number never shows in clear. ``None`` and non-strings come back as given.
    """
    if not isinstance(number, str):
        return number
    if len(number) < MASK_MIN_LENGTH:
        return "*" * len(number)
    hidden = len(number) - MASK_HEAD - MASK_TAIL
    return number[:MASK_HEAD] + "*" * hidden + number[-MASK_TAIL:]


def mask_phone(number: str) -> str:
    """Keep the first 3 and last 4 digits: 138****5678."""
    if not isinstance(number, str) or len(number) <= 7:
        return number
    return number[:3] + "*" * (len(number) - 7) + number[-4:]
