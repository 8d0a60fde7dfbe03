"""Fuzz every documented operation in-process (bounded, derandomized): no 5xx, responses as documented.

Authenticated twice: as admin (sees everything) and as a clerk (scoped). Nothing is excluded;
/engine-rest is held to its Camunda contract elsewhere (see ``_checks``).
"""
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance
from sqlalchemy import text

ROOT_CLERK = "gx-qinzhou-qinbei.health"


@pytest.fixture(scope="module")
def fuzz_app(database_url, tmp_path_factory):
    from api import create_app
    from api.cli import initialise
    from api.config import Config
    from engine.deadlines.clock import VirtualClock
    from engine.store.db import make_engine
    from engine.store.models import Base
    from tests.conftest import ROOT, TEST_START
    engine = make_engine(database_url)
    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(text(f"DELETE FROM {table.name}"))
    engine.dispose()
    app = create_app(Config(DATABASE_URL=database_url, TESTING=True, SECRET_KEY="fuzz-secret",
                            VAR_DIR=tmp_path_factory.mktemp("fuzz"), BPMN_ROOT=ROOT / "bpmn",
                            LOGIN_MAX_FAILURES=100000), clock=VirtualClock(TEST_START))
    initialise(app)
    yield app
    with app.app_context():
        from api.extensions import db
        db.session.remove()
        db.engine.dispose()


_tokens: dict[str, dict] = {}


def _token(app, username):
    """One login per user and run: the password hash is slow on purpose."""
    if username not in _tokens:
        response = app.test_client().post("/api/v1/auth/token", json={"username": username, "password": "demo"})
        _tokens[username] = {"Authorization": f"Bearer {response.get_json()['access_token']}"}
    return _tokens[username]


@pytest.fixture(scope="module")
def api_schema(fuzz_app):
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", fuzz_app)


schema = schemathesis.pytest.from_fixture("api_schema")
CHECKS = [not_a_server_error, response_schema_conformance]
FUZZ = settings(max_examples=3, derandomize=True, deadline=None, database=None,
                suppress_health_check=list(HealthCheck))


def _checks(case):
    """/engine-rest answers in Camunda 7's documented shapes (its errors are {type, message}, as
    Camunda clients expect), proven by tests/workers with a real Camunda client: here it must only
    never fail with a server error. Our own /api/v1 must also match its OpenAPI document."""
    return [not_a_server_error] if case.path.startswith("/engine-rest") else CHECKS


@schema.parametrize()
@FUZZ
def test_api_as_admin(case, fuzz_app):
    case.call_and_validate(headers=_token(fuzz_app, "admin"), checks=_checks(case))


@schema.parametrize()
@FUZZ
def test_api_as_clerk(case, fuzz_app):
    case.call_and_validate(headers=_token(fuzz_app, ROOT_CLERK), checks=_checks(case))
