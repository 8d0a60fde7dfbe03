"""Login throttling, token expiry, and production secrets from the environment only."""
import subprocess
import sys
import time
from pathlib import Path

import pytest

from api.production import ConfigurationError, settings

ROOT = Path(__file__).resolve().parents[2]


def test_login_is_throttled_after_repeated_failures(make_app, clock):
    from api.cli import initialise
    app = make_app(LOGIN_MAX_FAILURES=3, LOGIN_WINDOW_SECONDS=300)
    initialise(app)
    client = app.test_client()
    wrong = {"username": "admin", "password": "wrong"}
    assert [client.post("/api/v1/auth/token", json=wrong).status_code for _ in range(3)] == [401] * 3
    blocked = client.post("/api/v1/auth/token", json={"username": "admin", "password": "demo"})
    assert blocked.status_code == 429
    assert blocked.get_json()["errors"][0]["code"] == "too_many_requests"
    other = client.post("/api/v1/auth/token", json={"username": "worker", "password": "demo"})
    assert other.status_code == 200  # the throttle is per user and client, not global
    # another API process (another app on the same database, nothing shared in memory) refuses too
    second = make_app(LOGIN_MAX_FAILURES=3, LOGIN_WINDOW_SECONDS=300).test_client()
    assert second.post("/api/v1/auth/token", json={"username": "admin", "password": "demo"}).status_code == 429
    clock.advance(seconds=301)   # the window lapses on the app's clock
    assert second.post("/api/v1/auth/token", json={"username": "admin", "password": "demo"}).status_code == 200


def test_metrics_need_the_scrapers_token_or_an_admin(make_app):
    """/metrics tells every region's open and overdue counts: a scraper sends METRICS_TOKEN."""
    app, client, admin = _admin_signed_in(make_app, METRICS_TOKEN="scrape-" + "x" * 24)
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    scraped = client.get("/metrics", headers={"Authorization": "Bearer scrape-" + "x" * 24})
    assert scraped.status_code == 200 and b"newborn_tasks_open" in scraped.data
    assert client.get("/metrics", headers=admin).status_code == 200
    worker = {"Authorization": "Basic d29ya2VyOmRlbW8="}  # worker:demo
    assert client.get("/metrics", headers=worker).status_code == 403


def _admin_signed_in(make_app, **config):
    """A fresh app, its client and an admin's bearer header, checked to work."""
    from api.cli import initialise
    app = make_app(**config)
    initialise(app)
    client = app.test_client()
    issued = client.post("/api/v1/auth/token", json={"username": "admin", "password": "demo"}).get_json()
    headers = {"Authorization": f"Bearer {issued['access_token']}"}
    assert client.get("/api/v1/definitions", headers=headers).status_code == 200
    return app, client, headers


def test_tokens_expire(make_app):
    from itsdangerous import URLSafeTimedSerializer
    _, client, headers = _admin_signed_in(make_app, TOKEN_TTL_SECONDS=1)
    time.sleep(2.5)  # signed timestamps have whole-second resolution
    expired = client.get("/api/v1/definitions", headers=headers)
    assert expired.status_code == 401 and expired.get_json()["errors"][0]["code"] == "unauthorized"
    forged = URLSafeTimedSerializer("another-key", salt="api-token").dumps({"uid": 1, "u": "admin"})
    assert client.get("/api/v1/definitions", headers={"Authorization": f"Bearer {forged}"}).status_code == 401


@pytest.mark.parametrize("env, message", [
    ({"DATABASE_URL": "postgresql://u@h/db", "WORKER_PASSWORD": "x"}, "SECRET_KEY"),
    ({"DATABASE_URL": "postgresql://u@h/db", "SECRET_KEY": "short", "WORKER_PASSWORD": "x"}, "SECRET_KEY"),
    ({"DATABASE_URL": "sqlite:///x.db", "SECRET_KEY": "k" * 32, "WORKER_PASSWORD": "x"}, "PostgreSQL"),
    ({"DATABASE_URL": "postgresql://u@h/db", "SECRET_KEY": "k" * 32}, "WORKER_PASSWORD"),
    # the schedulers send the SMS: a gateway without its URL stops make serve, not them one by one
    ({"DATABASE_URL": "postgresql://u@h/db", "SECRET_KEY": "k" * 32, "WORKER_PASSWORD": "x",
      "SMS_NOTIFIER": "http"}, "SMS_GATEWAY_URL"),
    ({"DATABASE_URL": "postgresql://u@h/db", "SECRET_KEY": "k" * 32, "WORKER_PASSWORD": "x",
      "SMS_NOTIFIER": "sms"}, "SMS_NOTIFIER"),
    # production says where the families' SMS go (logging would mark them sent and send nothing)
    ({"DATABASE_URL": "postgresql://u@h/db", "SECRET_KEY": "k" * 32, "WORKER_PASSWORD": "x"}, "SMS_NOTIFIER"),
])
def test_production_refuses_to_start_without_its_secrets(env, message):
    with pytest.raises(ConfigurationError, match=message):
        settings(env)
    done = subprocess.run([sys.executable, "-m", "api.production"], cwd=ROOT, env={"PATH": "/usr/bin", **env},
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and message in done.stderr


def test_no_secret_is_committed():
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True).stdout.split()
    assert not [p for p in tracked if p.startswith("var/") or p.endswith((".pem", ".key", "secret_key"))]


def test_a_deactivated_user_is_refused_once_the_short_trust_lapses(make_app):
    from sqlalchemy import update

    from api.extensions import db
    from engine.store.models import User
    app, client, headers = _admin_signed_in(make_app, AUTH_CACHE_SECONDS=0.5)
    with app.app_context():
        db.session.execute(update(User).where(User.username == "admin").values(active=False))
        db.session.commit()
    assert client.get("/api/v1/definitions", headers=headers).status_code == 200  # trusted a moment longer
    time.sleep(0.7)
    assert client.get("/api/v1/definitions", headers=headers).status_code == 401

    immediate = make_app(AUTH_CACHE_SECONDS=0)
    with immediate.app_context():
        db.session.execute(update(User).where(User.username == "worker").values(active=True))
        db.session.commit()
    worker = {"Authorization": "Basic d29ya2VyOmRlbW8="}  # worker:demo
    client = immediate.test_client()
    assert client.get("/api/v1/definitions", headers=worker).status_code == 403  # known, but not a designer
    with immediate.app_context():
        db.session.execute(update(User).where(User.username == "worker").values(active=False))
        db.session.commit()
    assert client.get("/api/v1/definitions", headers=worker).status_code == 401  # no trust: refused at once
