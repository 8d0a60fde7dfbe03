"""Extensions created unbound; ``create_app`` binds them."""
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy

from engine.models import Base

db = SQLAlchemy(metadata=Base.metadata)
api = Api()
