"""Web pages for clerks, supervisors, designers and families (served by the same app).

Pages are server-rendered shells; their scripts call the JSON API with the Flask session cookie
(``session.py`` hands the cookie's user to ``api.auth`` and demands a CSRF header on writes)."""
from flask import Blueprint

blp = Blueprint("pages", __name__, template_folder="templates", static_folder="static",
                static_url_path="/assets")  # the app itself owns /static

from api.pages import data, session, views  # noqa: E402,F401  (routes register on blp)
