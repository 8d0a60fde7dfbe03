"""Extensions created unbound; ``create_app`` binds them."""
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy

from api.schemas import Errors
from engine import Base


class NewbornApi(Api):
    ERROR_SCHEMA = Errors  # document errors as they are sent, so clients and fuzzers can trust it


# objects keep what was committed: no reload of every row a response reads after its commit
# (each request has its own session, so nothing outlives the request)
db = SQLAlchemy(metadata=Base.metadata, session_options={"expire_on_commit": False})
api = NewbornApi()
