"""Extensions created unbound; ``create_app`` binds them."""
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy

from api.schemas import Errors
from engine.models import Base


class NewbornApi(Api):
    ERROR_SCHEMA = Errors  # document errors as they are sent, so clients and fuzzers can trust it


db = SQLAlchemy(metadata=Base.metadata)
api = NewbornApi()
