"""Bearer tokens (signed, expiring) and HTTP Basic, as Camunda clients and the modeler send."""
import base64
import hashlib
import threading
import time
from datetime import timedelta
from functools import lru_cache, wraps

from flask import abort, current_app, g, request
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import delete, func, select
from werkzeug.security import check_password_hash, generate_password_hash

from api.extensions import db
from engine import Actor, LoginFailure, Role, User

hash_password = generate_password_hash


def _serializer() -> URLSafeTimedSerializer:
    return _token_serializer(current_app.config["SECRET_KEY"])


@lru_cache(maxsize=8)
def _token_serializer(secret_key: str) -> URLSafeTimedSerializer:
    """Built once per key: building one tries it out (itsdangerous dumps ``{}``); it keeps no state."""
    return URLSafeTimedSerializer(secret_key, salt="api-token")


def issue_token(user: User) -> str:
    return _serializer().dumps({"uid": user.id, "u": user.username})


def actor_of(user: User) -> Actor:
    return Actor(username=user.username, role=Role(user.role), region=user.region,
                 groups=tuple(user.groups or ()), institution=user.institution, user_id=user.id,
                 regions=tuple(user.regions or ()))


class LoginThrottle:
    """Refuse logins after too many failures per username and client in a window.

    Failures are rows of ``login_failures``, so every API process of ``make serve`` counts the same
    ones; times come from the app's clock. Each call commits its own short transaction."""

    @staticmethod
    def _now():
        return current_app.extensions["newborn"].clock.now()

    def blocked(self, key: str, limit: int, window: int) -> bool:
        since = self._now() - timedelta(seconds=window)
        count = db.session.scalar(select(func.count()).select_from(LoginFailure).where(
            LoginFailure.key == key, LoginFailure.at >= since))
        return count >= limit

    def failed(self, key: str, window: int) -> None:
        now = self._now()
        db.session.execute(delete(LoginFailure).where(LoginFailure.key == key,
                                                      LoginFailure.at < now - timedelta(seconds=window)))
        db.session.add(LoginFailure(key=key, at=now))
        db.session.commit()

    def succeeded(self, key: str) -> None:
        if db.session.execute(delete(LoginFailure).where(LoginFailure.key == key)).rowcount:
            db.session.commit()


throttle = LoginThrottle()


class VerifiedCredentials:
    """Remembers recently verified Basic credentials briefly: the password hash is slow on purpose,
    and Camunda clients send Basic on every request. Keyed by a digest, bound to the stored hash."""

    def __init__(self, ttl_seconds: float = 60):
        self.ttl = ttl_seconds
        self._seen: dict[str, tuple[int, str, float]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _key(username: str, password: str) -> str:
        return hashlib.sha256(f"{username}\0{password}".encode()).hexdigest()

    def lookup(self, username: str, password: str) -> User | None:
        with self._lock:
            entry = self._seen.get(self._key(username, password))
        if entry is None or entry[2] < time.monotonic():
            return None
        user = db.session.get(User, entry[0])
        valid = user is not None and user.active and user.password_hash == entry[1]
        return user if valid else None

    def remember(self, user: User, password: str) -> None:
        with self._lock:
            self._seen[self._key(user.username, password)] = (user.id, user.password_hash,
                                                              time.monotonic() + self.ttl)


verified = VerifiedCredentials()


def check_credentials(username: str, password: str) -> User | None:
    key = f"{username}|{request.remote_addr}"
    config = current_app.config
    if throttle.blocked(key, config["LOGIN_MAX_FAILURES"], config["LOGIN_WINDOW_SECONDS"]):
        abort(429, description="登录失败次数过多，请稍后再试")
    user = db.session.scalars(select(User).where(User.username == username)).first()
    if user is None or not user.active or not check_password_hash(user.password_hash, password):
        throttle.failed(key, config["LOGIN_WINDOW_SECONDS"])
        return None
    throttle.succeeded(key)
    return user


def _user_from_request() -> User | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value:
        try:
            data = _serializer().loads(value.strip(), max_age=current_app.config["TOKEN_TTL_SECONDS"])
        except (SignatureExpired, BadSignature):
            return None
        user = db.session.get(User, data.get("uid"))
        return user if user is not None and user.active else None
    if scheme.lower() == "basic" and value:
        try:
            username, _, password = base64.b64decode(value).decode("utf-8").partition(":")
        except (ValueError, UnicodeDecodeError):
            return None
        user = verified.lookup(username, password) or check_credentials(username, password)
        if user is not None:
            verified.remember(user, password)
        return user
    session_user = getattr(g, "session_user_id", None)  # set by the pages' cookie session
    return db.session.get(User, session_user) if session_user else None


class RecentActors:
    """Who recently sent an ``Authorization`` header, for a few seconds.

    Clerks' pages and Camunda workers send the same header with every request; without this each
    request reads its user row first. A deactivated user or a changed role takes effect within
    ``AUTH_CACHE_SECONDS`` (0: every request reads the user). Keyed by a digest of the header.
    """

    def __init__(self, size: int = 10_000):
        self.size = size
        self._seen: dict[str, tuple[Actor, float]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _key(header: str) -> str:
        # per app object: two apps in one process (tests) never share what they trusted
        return hashlib.sha256(f"{id(current_app._get_current_object())}\0{header}".encode()).hexdigest()

    def get(self, header: str) -> Actor | None:
        entry = self._seen.get(self._key(header))
        return entry[0] if entry is not None and entry[1] > time.monotonic() else None

    def put(self, header: str, actor: Actor, ttl: float) -> None:
        if ttl <= 0:
            return
        with self._lock:
            if len(self._seen) >= self.size:  # forget the lapsed; if all are fresh, start over
                now = time.monotonic()
                self._seen = {k: v for k, v in self._seen.items() if v[1] > now}
                if len(self._seen) >= self.size:
                    self._seen.clear()
            self._seen[self._key(header)] = (actor, time.monotonic() + ttl)


recent_actors = RecentActors()


def _trust_seconds(header: str) -> float:
    """How long the header may be trusted without a lookup: never past a bearer token's expiry."""
    seconds = current_app.config["AUTH_CACHE_SECONDS"]
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer":
        _, issued = _serializer().loads(value.strip(), return_timestamp=True)
        left = issued.timestamp() + current_app.config["TOKEN_TTL_SECONDS"] - time.time()
        seconds = min(seconds, left)
    return seconds


def current_actor() -> Actor:
    actor = getattr(g, "actor", None)
    if actor is None:
        header = request.headers.get("Authorization", "")
        actor = recent_actors.get(header) if header else None
        if actor is None:
            user = _user_from_request()
            if user is None:
                abort(401, description="需要登录（Bearer 令牌或 Basic 认证）")
            actor = actor_of(user)
            if header:
                recent_actors.put(header, actor, _trust_seconds(header))
        g.actor = actor
    return actor


def login_required(*roles: Role):
    """Authenticate, then allow only ``roles`` (any role when none given); 403 otherwise."""
    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            actor = current_actor()
            if roles and actor.role not in roles:
                abort(403, description="您的角色无权访问此接口")
            return view(*args, **kwargs)
        return wrapper
    return decorator


PUBLIC_ENDPOINTS = {"auth.token", "api-docs.openapi_json"}


def require_authentication():
    """Every /api/v1 endpoint but login and the OpenAPI document needs a user, checked before the
    body is parsed: a caller without credentials learns 401, never what their body got wrong."""
    if request.path.startswith("/api/v1/") and request.endpoint not in PUBLIC_ENDPOINTS \
            and request.method != "OPTIONS":
        current_actor()


def init_app(app) -> None:
    app.before_request(require_authentication)
