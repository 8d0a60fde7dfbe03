"""Web pages for clerks, supervisors, designers and families (served by the same app)."""
from flask import Blueprint

blp = Blueprint("pages", __name__, template_folder="templates", static_folder="static",
                static_url_path="/static")
