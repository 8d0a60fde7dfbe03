"""Shared marshmallow fields: each failure carries a stable English code and a Chinese message."""
import re
from datetime import date

from marshmallow import ValidationError, fields

from forms import divisions
from forms.codes import ETHNIC_GROUPS
from forms.idcard import check_resident_id
from forms.problems import coded

MOBILE = re.compile(r"^1[3-9]\d{9}$")
BANK_CARD = re.compile(r"^\d{12,19}$")


def _fail(code: str, message: str) -> ValidationError:
    return ValidationError([coded(code, message)])


class ResidentId(fields.String):
    """18-digit 公民身份号码: format, birth date and GB 11643 check digit, each its own code."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs).strip().upper()
        problem = check_resident_id(text)
        if problem:
            raise _fail(problem.code, problem.message)
        return text


class Mobile(fields.String):
    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        if not MOBILE.match(text):
            raise _fail("mobile_format", "手机号码应为11位，以13-19开头")
        return text


class Ethnicity(fields.String):
    """GB 3304 two-digit code, e.g. 01 汉族."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        if text not in ETHNIC_GROUPS:
            raise _fail("ethnicity_unknown", "民族代码应为GB 3304的两位代码，如01（汉族）")
        return text


class Division(fields.String):
    """GB/T 2260 six-digit administrative division code."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        if not re.fullmatch(r"\d{6}", text):
            raise _fail("division_format", "行政区划代码应为6位数字")
        if not divisions.is_known(text):
            raise _fail("division_unknown", "行政区划代码不存在")
        return text


def luhn_ok(number: str) -> bool:
    total = 0
    for index, digit in enumerate(reversed(number)):
        value = int(digit) * (2 if index % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


class BankCard(fields.String):
    def _deserialize(self, value, attr, data, **kwargs):
        text = re.sub(r"\s", "", super()._deserialize(value, attr, data, **kwargs))
        if not BANK_CARD.match(text):
            raise _fail("bank_card_format", "银行卡号应为12至19位数字")
        if not luhn_ok(text):
            raise _fail("bank_card_checksum", "银行卡号校验位错误")
        return text


class Choice(fields.String):
    """One of a fixed set of codes; the Chinese labels go into the error message."""

    def __init__(self, choices: dict[str, str], **kwargs):
        super().__init__(**kwargs)
        self.choices = choices

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if text not in self.choices:
            allowed = "、".join(f"{code}（{label}）" for code, label in self.choices.items())
            raise _fail("invalid_choice", f"取值应为：{allowed}")
        return text


class Measure(fields.Float):
    """A number within a plausible range (birth weight, length, gestational weeks)."""

    def __init__(self, low: float, high: float, code: str, label: str, **kwargs):
        super().__init__(**kwargs)
        self.low, self.high, self.code, self.label = low, high, code, label

    def _deserialize(self, value, attr, data, **kwargs):
        number = super()._deserialize(value, attr, data, **kwargs)
        if not self.low <= number <= self.high:
            raise _fail(self.code, f"{self.label}应在{self.low:g}至{self.high:g}之间")
        return number


class PastDateTime(fields.NaiveDateTime):
    def _deserialize(self, value, attr, data, **kwargs):
        moment = super()._deserialize(value, attr, data, **kwargs)
        if moment.date() > date.today():
            raise _fail("date_in_future", "日期不能晚于今天")
        return moment


def listed(value) -> list[str]:
    """A clerk's list field: a JSON list, or one string separated by 、，,;；or new lines."""
    if isinstance(value, (list, tuple)):
        return [str(v).strip() for v in value if str(v).strip()]
    if isinstance(value, str):
        return [part.strip() for part in re.split(r"[、，,;；\n]", value) if part.strip()]
    return []
