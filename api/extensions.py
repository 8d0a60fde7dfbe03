"""Extensions created unbound; ``create_app`` binds them."""
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy
from marshmallow import Schema, fields

from engine.models import Base


class ProblemSchema(Schema):
    field = fields.String()
    code = fields.String()
    message = fields.String()


class ErrorsSchema(Schema):
    """What api/errors.py returns for every error: {"errors": [{field, code, message}]}."""
    errors = fields.List(fields.Nested(ProblemSchema))


class NewbornApi(Api):
    ERROR_SCHEMA = ErrorsSchema  # document errors as they are sent, so clients and fuzzers can trust it


db = SQLAlchemy(metadata=Base.metadata)
api = NewbornApi()
