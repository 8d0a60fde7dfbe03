"""The only place errors become HTTP: one JSON shape, {"errors": [{field, code, message}]}."""
import logging

from flask import jsonify
from marshmallow import ValidationError
from sqlalchemy.exc import DataError, OperationalError
from werkzeug.exceptions import HTTPException

from engine import errors as engine_errors

log = logging.getLogger(__name__)

STATUS = {
    engine_errors.NotFound: 404, engine_errors.Conflict: 409, engine_errors.Forbidden: 403,
    engine_errors.InvalidTransition: 409, engine_errors.Invalid: 422,
    engine_errors.DeployRejected: 400, engine_errors.ProcessFailure: 422,  # a refused diagram: 400 with every problem (issue 15)
}


def error_response(status: int, problems: list[dict]):
    response = jsonify({"errors": problems})
    response.status_code = status
    return response


def problem(field: str, code: str, message: str) -> dict:
    return {"field": field, "code": code, "message": message}


def flatten_messages(messages, prefix="", top=True) -> list[dict]:
    """marshmallow's nested {field: [msg]} into located problems."""
    out = []
    if isinstance(messages, dict):
        for key, value in messages.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            if key in ("json", "query", "form", "files", "headers", "view_args") and top:
                name = ""  # webargs' location, not a field (a body field may be called "form" too)
            out += flatten_messages(value, name, top=False)
    elif isinstance(messages, list):
        for message in messages:
            if isinstance(message, (dict, list)):
                out += flatten_messages(message, prefix, top=False)
            else:
                code = "unknown_field" if "Unknown field" in str(message) else "invalid"
                out.append(problem(prefix, code, _chinese(str(message))))
    else:
        out.append(problem(prefix, "invalid", str(messages)))
    return out


def _chinese(message: str) -> str:
    return {"Unknown field.": "未知字段", "Missing data for required field.": "必填字段缺失",
            "Not a valid string.": "不是有效的字符串", "Not a valid integer.": "不是有效的整数",
            "Not a valid list.": "不是有效的列表", "Field may not be null.": "不能为空"}.get(message, message)


def _http(exc: HTTPException):
    if exc.code == 422 and getattr(exc, "data", None) and "messages" in exc.data:
        return error_response(422, flatten_messages(exc.data["messages"]))
    if exc.code == 400 and getattr(exc, "data", None) and "messages" in exc.data:
        return error_response(400, flatten_messages(exc.data["messages"]))
    codes = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
             405: "method_not_allowed", 409: "conflict", 413: "too_large", 415: "unsupported_media_type",
             429: "too_many_requests"}
    response = error_response(exc.code, [problem("", codes.get(exc.code, "http_error"), exc.description or exc.name)])
    if exc.code == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="newborn", Basic realm="newborn"'
    return response


def _engine(exc: engine_errors.EngineError):
    status = next((code for cls, code in STATUS.items() if isinstance(exc, cls)), 400)
    return error_response(status, [p.as_dict() for p in exc.as_problems()])


def _validation(exc: ValidationError):
    return error_response(422, flatten_messages(exc.messages))


def _unexpected(exc: Exception):
    if isinstance(exc, OperationalError) and "locked" in str(exc):
        return error_response(409, [problem("", "busy", "数据库繁忙，请重试")])
    if isinstance(exc, DataError):  # e.g. a NUL character PostgreSQL cannot store: nothing was written
        from api.extensions import db
        db.session.rollback()
        return error_response(400, [problem("", "invalid_value", "请求中含有无法存储的值（如空字符）")])
    log.exception("unhandled error")
    return error_response(500, [problem("", "internal_error", "服务器内部错误")])


def init_app(app) -> None:
    app.register_error_handler(HTTPException, _http)
    app.register_error_handler(engine_errors.EngineError, _engine)
    app.register_error_handler(ValidationError, _validation)
    app.register_error_handler(Exception, _unexpected)
