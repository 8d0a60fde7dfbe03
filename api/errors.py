"""The only place errors become HTTP: one JSON shape, {"errors": [{field, code, message}]}."""
import logging

from flask import jsonify
from marshmallow import ValidationError
from sqlalchemy.exc import DataError, OperationalError
from werkzeug.exceptions import HTTPException

from engine import errors as engine_errors, Problem
from forms.problems import flatten_request

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
    return Problem(field, code, message).as_dict()


def flatten_messages(messages) -> list[dict]:
    """marshmallow's (or webargs') nested ``{field: [message]}`` as located problems, in Chinese."""
    return [found.as_dict() for found in flatten_request(messages)]


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
