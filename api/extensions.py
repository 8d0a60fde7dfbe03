"""Extensions created unbound; ``create_app`` binds them."""
import flask_smorest
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy

from api.schemas import Errors
from engine import Base


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's, with each argument schema built once. Given a class, webargs builds an instance per
    request, deep-copying its fields: 0.2–0.3 CPU ms of a worker's fetchAndLock (bench/NOTES.md)."""

    def arguments(self, schema, *args, **kwargs):
        return super().arguments(schema() if isinstance(schema, type) else schema, *args, **kwargs)


class NewbornApi(Api):
    ERROR_SCHEMA = Errors  # document errors as they are sent, so clients and fuzzers can trust it


# objects keep what was committed: no reload of every row a response reads after its commit
# (each request has its own session, so nothing outlives the request)
db = SQLAlchemy(metadata=Base.metadata, session_options={"expire_on_commit": False})
api = NewbornApi()
