"""Fixtures: one migrated database per run (SQLite file, or TEST_DATABASE_URL), emptied per test;
a fresh app from the factory per test on a virtual clock."""
import json
import os
import threading
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import text

ROOT = Path(__file__).resolve().parent.parent
NO_DB_DIRS = ("tests/forms", "tests/bpmn", "tests/architecture")
NEEDS_DB = ("tests/bpmn/test_regions_run.py",)  # regions' cases run through the engine and its tables
TEST_START = datetime(2025, 9, 29, 9, 0)  # a Monday; the sample forms' babies were born 2025-09-26


def pytest_collection_modifyitems(items):
    for item in items:
        path = str(Path(item.fspath).relative_to(ROOT))
        if path.startswith(NO_DB_DIRS) and not path.startswith(NEEDS_DB):
            item.add_marker(pytest.mark.no_db)


# every save of a workflow in the suite (this process and the servers it starts) checks that a settled
# task's kept dict is what converting it afresh gives (engine.bpmn.serializer.SettledTaskConverter)
os.environ["ENGINE_VERIFY_KEPT_TASKS"] = "1"

RELEASED_REVISION = "0001"  # PostgreSQL runs the suite on a schema upgraded from the released one


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    from engine.store.db import make_engine, upgrade
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        engine = make_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
        upgrade(url, RELEASED_REVISION)
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    upgrade(url)
    return url


@pytest.fixture
def clean_db(database_url):
    from engine.store.db import make_engine
    from engine.store.models import Base
    engine = make_engine(database_url)
    with engine.begin() as conn:
        names = [t.name for t in reversed(Base.metadata.sorted_tables)]
        if engine.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(names)} RESTART IDENTITY CASCADE"))
        else:
            for name in names:
                conn.execute(text(f"DELETE FROM {name}"))
    engine.dispose()
    return database_url


@pytest.fixture
def clock():
    from engine.deadlines.clock import VirtualClock
    return VirtualClock(TEST_START)


@pytest.fixture
def make_app(clean_db, clock, tmp_path):
    """Build an app (more than once on the same database to prove a restart loses nothing)."""
    from api import create_app
    from api.config import Config
    apps = []

    def build(**overrides):
        config = Config(DATABASE_URL=clean_db, TESTING=True, SECRET_KEY="test-secret", VAR_DIR=tmp_path,
                        BPMN_ROOT=overrides.pop("BPMN_ROOT", ROOT / "bpmn"), **overrides)
        app = create_app(config, clock=clock)
        apps.append(app)
        return app

    yield build
    for app in apps:
        with app.app_context():
            from api.extensions import db
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(make_app):
    from api.cli import initialise
    app = make_app()
    initialise(app)
    return app


@pytest.fixture
def client(app):
    return app.test_client()


class Gateway:
    """What a local SMS gateway received: the JSON bodies and their Authorization headers."""

    def __init__(self):
        self.url = ""
        self.messages: list[dict] = []
        self.authorizations: list[str | None] = []


@pytest.fixture
def gateway():
    """A real HTTP SMS gateway on 127.0.0.1 that accepts (200) and records every POST."""
    recorded = Gateway()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            recorded.messages.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            recorded.authorizations.append(self.headers.get("Authorization"))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    recorded.url = f"http://127.0.0.1:{server.server_port}/sms"
    yield recorded
    server.shutdown()
