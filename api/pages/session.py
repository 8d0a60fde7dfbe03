"""Cookie sessions for the pages: login, logout, expiry, and CSRF for cookie-authenticated writes."""
import hmac
import secrets
from datetime import timedelta
from functools import wraps
from urllib.parse import urlparse

from flask import abort, g, redirect, render_template, request, session, url_for
from flask.sessions import SecureCookieSessionInterface
from werkzeug.exceptions import HTTPException

from api.auth import check_credentials
from api.extensions import db
from api.pages import blp
from engine import Role, User

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
API_PREFIXES = ("/api/", "/engine-rest/", "/pages-api/")
HOMES = {Role.CLERK: "pages.clerk_inbox", Role.SUPERVISOR: "pages.supervisor_board",
         Role.ADMIN: "pages.designer", Role.FAMILY: "pages.family_home"}
CSRF_HEADER = "X-CSRF-Token"


class SigningOnceSessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie session, its signing serializer built once per key instead of on every
    request: itsdangerous tries a serializer out (dumps ``{}``) when it is built, which was 3 % of an API
    process's CPU under the HTTP bench, API clients included (bench/NOTES.md). A serializer keeps no
    state between uses."""

    def __init__(self):
        self._built = {}

    def get_signing_serializer(self, app):
        key = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        if key not in self._built:
            self._built[key] = super().get_signing_serializer(app)
        return self._built[key]


@blp.record_once
def _configure(state):
    state.app.session_interface = SigningOnceSessionInterface()
    config = state.app.config
    config["SESSION_COOKIE_HTTPONLY"] = True
    config["SESSION_COOKIE_SAMESITE"] = config.get("SESSION_COOKIE_SAMESITE") or "Lax"
    seconds = int(config.get("PAGES_SESSION_SECONDS", 8 * 3600))
    # Flask's signed cookie carries its timestamp; loading it enforces this age on the server.
    config["PERMANENT_SESSION_LIFETIME"] = timedelta(seconds=seconds)


def csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def _csrf_ok(sent: str | None) -> bool:
    expected = session.get("csrf")
    return bool(expected and sent and hmac.compare_digest(sent, expected))


@blp.app_context_processor
def _template_globals():
    return {"csrf_token": csrf_token, "page_user": getattr(g, "page_user", None)}


@blp.before_app_request
def _session_user():
    """The cookie's user for pages and the API; writes by cookie must carry the CSRF header."""
    uid = session.get("uid")
    if uid is None or request.headers.get("Authorization"):
        return
    user = db.session.get(User, uid)
    if user is None or not user.active:
        session.clear()
        return
    g.session_user_id, g.page_user = user.id, user
    if request.path.startswith(API_PREFIXES) and request.method not in SAFE_METHODS:
        if not _csrf_ok(request.headers.get(CSRF_HEADER)):
            abort(403, description="缺少或无效的 CSRF 令牌，请刷新页面后重试")


def page(*roles: Role):
    """A page for logged-in users of ``roles``; others are sent to the login page."""
    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            user = getattr(g, "page_user", None)
            if user is None:
                return redirect(url_for("pages.login"))
            if roles and Role(user.role) not in roles:
                return render_template("forbidden.html"), 403
            return view(*args, **kwargs)
        return wrapper
    return decorator


def home_for(user) -> str:
    return url_for(HOMES.get(Role(user.role), "pages.login"))


@blp.route("/")
def index():
    user = getattr(g, "page_user", None)
    return redirect(home_for(user) if user else url_for("pages.login"))


@blp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "GET":
        return render_template("login.html", error=None)
    if not _csrf_ok(request.form.get("csrf_token")):
        return render_template("login.html", error="页面已过期，请重新登录"), 400
    username = request.form.get("username", "").strip()
    try:
        user = check_credentials(username, request.form.get("password", ""))
    except HTTPException as exc:  # throttled
        return render_template("login.html", error=exc.description, username=username), exc.code
    if user is None or Role(user.role) == Role.WORKER:
        return render_template("login.html", error="用户名或密码错误", username=username), 401
    session.clear()
    session.permanent = True
    session["uid"] = user.id
    session["csrf"] = secrets.token_urlsafe(32)
    return redirect(_safe_next() or home_for(user))


def _safe_next() -> str | None:
    target = request.form.get("next", "")
    parsed = urlparse(target)
    return target if target.startswith("/") and not parsed.netloc and not target.startswith("//") else None


@blp.route("/logout", methods=["POST"])
def logout():
    if not _csrf_ok(request.form.get("csrf_token")):
        abort(400, description="无效的 CSRF 令牌")
    session.clear()
    return redirect(url_for("pages.login"))

