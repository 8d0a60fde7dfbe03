"""Problems (field, code, message) and the one translation of marshmallow's errors into them.

Forms, the engine (``engine.errors`` re-exports ``Problem``) and the API's error answers all use these.
"""
from dataclasses import dataclass

# webargs nests a request's errors under where they were found; that is not a field of the body
REQUEST_LOCATIONS = ("json", "query", "form", "files", "headers", "view_args")


@dataclass(frozen=True)
class Problem:
    """One thing wrong, located: ``field`` names where, ``code`` is stable, ``message`` is for people."""
    field: str
    code: str
    message: str
    elements: tuple = ()  # BPMN ids the problem spans (e.g. a critical path), for a modeler to mark

    def at(self, field: str) -> "Problem":
        return Problem(field, self.code, self.message, self.elements)

    def as_dict(self) -> dict:
        found = {"field": self.field, "code": self.code, "message": self.message}
        if self.elements:  # most problems sit on one field: their answer stays as it was
            found["elements"] = list(self.elements)
        return found


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
    if _is_leaf(message):
        return Problem(field, message["code"], message["message"])
    for prefix, code, chinese in _MARSHMALLOW:
        if str(message).startswith(prefix):
            return Problem(field, code, chinese)
    return Problem(field, "invalid", str(message))


def _is_leaf(value) -> bool:
    return isinstance(value, dict) and set(value) == {"code", "message"}


def _path(prefix: str, key) -> str:
    if key == "_schema":
        return prefix
    if not prefix:
        return str(key)
    return f"{prefix}.{key}"


def flatten(errors, prefix: str = "") -> list[Problem]:
    """marshmallow's nested error dict → Problems with dotted paths (``mother.id_number``)."""
    if isinstance(errors, list):
        return [problem for message in errors for problem in flatten(message, prefix)]
    if not isinstance(errors, dict) or _is_leaf(errors):
        return [_leaf(prefix, errors)]
    found: list[Problem] = []
    for key, value in errors.items():
        found.extend(flatten(value, _path(prefix, key)))
    return found


def flatten_request(messages) -> list[Problem]:
    """webargs' errors of a request (``{location: {field: [message]}}``) → Problems located by field."""
    if not isinstance(messages, dict):
        return flatten(messages)
    found: list[Problem] = []
    for key, value in messages.items():
        prefix = "" if key in REQUEST_LOCATIONS else str(key)
        found.extend(flatten(value, prefix))
    return found
