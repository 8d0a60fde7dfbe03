"""Problems (field, code, message) and the translation of marshmallow's errors into them."""
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Problem:
    field: str
    code: str
    message: str

    def at(self, field: str) -> "Problem":
        return Problem(field, self.code, self.message)

    def as_dict(self) -> dict:
        return asdict(self)


def coded(code: str, message: str) -> dict:
    """A marshmallow error message that carries its stable code."""
    return {"code": code, "message": message}


# marshmallow's own messages, by prefix, mapped to our codes and Chinese texts.
_MARSHMALLOW = [
    ("Missing data for required field", "required", "必填项"),
    ("Unknown field", "unknown_field", "表单中没有此字段"),
    ("Field may not be null", "required", "不能为空"),
    ("Not a valid string", "invalid_type", "应为文本"),
    ("Not a valid integer", "invalid_number", "应为整数"),
    ("Not a valid number", "invalid_number", "应为数字"),
    ("Not a valid boolean", "invalid_boolean", "应为是或否（true/false）"),
    ("Not a valid naive datetime", "invalid_datetime", "日期时间格式应为 YYYY-MM-DDTHH:MM:SS（不带时区）"),
    ("Not a valid datetime", "invalid_datetime", "日期时间格式应为 YYYY-MM-DDTHH:MM:SS"),
    ("Not a valid date", "invalid_date", "日期格式应为 YYYY-MM-DD"),
    ("Not a valid list", "invalid_type", "应为列表"),
    ("Invalid input type", "invalid_type", "应为对象"),
    ("Invalid type", "invalid_type", "类型错误"),
    ("Must be one of", "invalid_choice", "取值不在允许范围内"),
    ("Shorter than minimum length", "too_short", "内容太短"),
    ("Longer than maximum length", "too_long", "内容太长"),
    ("Length must be between", "invalid_length", "长度不符合要求"),
]


def _leaf(field: str, message) -> Problem:
    if isinstance(message, dict):
        return Problem(field, message["code"], message["message"])
    for prefix, code, chinese in _MARSHMALLOW:
        if str(message).startswith(prefix):
            return Problem(field, code, chinese)
    return Problem(field, "invalid", str(message))


def _is_leaf(value) -> bool:
    return isinstance(value, dict) and set(value) == {"code", "message"}


def flatten(errors, prefix: str = "") -> list[Problem]:
    """marshmallow's nested error dict → Problems with dotted paths (``mother.id_number``)."""
    found: list[Problem] = []
    if isinstance(errors, list):
        for message in errors:
            found.append(_leaf(prefix, message))
        return found
    if _is_leaf(errors) or not isinstance(errors, dict):
        return [_leaf(prefix, errors)]
    for key, value in errors.items():
        path = prefix if key == "_schema" else (f"{prefix}.{key}" if prefix else str(key))
        found.extend(flatten(value, path))
    return found
