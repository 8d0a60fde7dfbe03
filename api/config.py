"""The one place configuration is read from the environment."""
import os
import secrets
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def env_flag(name: str, default: bool) -> bool:
    """An on/off variable read now: 1/true/yes/on, anything else off; unset: ``default``."""
    value = os.environ.get(name)
    return default if value is None else value.lower() in ("1", "true", "yes", "on")


def _secret(var_dir: Path) -> str:
    """SECRET_KEY from the environment; for the embedded default a random key kept under var/."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    path = var_dir / "secret_key"
    if not path.exists():
        var_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


class Config:
    VAR_DIR = Path(os.environ.get("VAR_DIR", ROOT / "var"))
    DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'newborn.db'}")
    BPMN_ROOT = Path(os.environ.get("BPMN_ROOT", ROOT / "bpmn"))
    # operator holiday files (<year>.json); None: the engine's default (engine/deadlines/data/calendar/)
    WORKDAY_CALENDAR_DIR = os.environ.get("WORKDAY_CALENDAR_DIR")
    TOKEN_TTL_SECONDS = int(os.environ.get("TOKEN_TTL_SECONDS", "28800"))
    AUTH_CACHE_SECONDS = float(os.environ.get("AUTH_CACHE_SECONDS", "5"))  # see api.auth.RecentActors
    LONG_POLL_SLOTS = int(os.environ.get("LONG_POLL_SLOTS", "2"))  # fetchAndLock waits held at once per process
    PAGES_SESSION_SECONDS = int(os.environ.get("PAGES_SESSION_SECONDS", "28800"))
    LOGIN_MAX_FAILURES = int(os.environ.get("LOGIN_MAX_FAILURES", "5"))
    LOGIN_WINDOW_SECONDS = int(os.environ.get("LOGIN_WINDOW_SECONDS", "300"))
    AUTO_INIT = env_flag("AUTO_INIT", False)  # migrate, seed demo users and deploy regions at start
    RUN_SCHEDULER = env_flag("RUN_SCHEDULER", False)
    RUN_WORKERS = env_flag("RUN_WORKERS", False)
    WORKER_ADAPTER = os.environ.get("WORKER_ADAPTER", "simulated")
    SIMULATED_FAILURE_RATE = float(os.environ.get("SIMULATED_FAILURE_RATE", "0"))
    SIMULATED_LATENCY_MS = int(os.environ.get("SIMULATED_LATENCY_MS", "0"))
    DEPARTMENT_URL = os.environ.get("DEPARTMENT_URL")  # WORKER_ADAPTER=http: the departments' gateway
    DEPARTMENT_TOPIC_URLS = os.environ.get("DEPARTMENT_TOPIC_URLS", "{}")  # JSON {"topic": "url"}
    DEPARTMENT_TIMEOUT_SECONDS = float(os.environ.get("DEPARTMENT_TIMEOUT_SECONDS", "10"))
    DEPARTMENT_CA_FILE = os.environ.get("DEPARTMENT_CA_FILE")
    SMS_NOTIFIER = os.environ.get("SMS_NOTIFIER", "logging")  # logging | http
    SMS_GATEWAY_URL = os.environ.get("SMS_GATEWAY_URL")
    SMS_GATEWAY_TOKEN = os.environ.get("SMS_GATEWAY_TOKEN")
    METRICS_TOKEN = os.environ.get("METRICS_TOKEN")  # bearer token a Prometheus scraper sends to /metrics
    TESTING = False
    JSON_AS_ASCII = False
    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_CONTENT_LENGTH", str(8 * 1024 * 1024)))

    API_TITLE = "新生儿出生“一件事” API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"

    def __init__(self, **overrides):
        for key, value in overrides.items():
            setattr(self, key, value)
        if not getattr(self, "SECRET_KEY", None):
            self.SECRET_KEY = _secret(Path(self.VAR_DIR))
        self.SQLALCHEMY_DATABASE_URI = _normalise(self.DATABASE_URL)


def _normalise(url: str) -> str:
    from engine import normalise_url
    return normalise_url(url)
