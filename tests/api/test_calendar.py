"""The calendar API answers front ends with real dates, the operator file, and the fallback flag."""
from pathlib import Path

import pytest

from engine.deadlines.calendar import WorkingCalendar, load_operator_files
from tests.api.helpers import User

FIXTURES = Path(__file__).resolve().parents[1] / "engine" / "data" / "calendar"


@pytest.fixture
def client(app):
    """Any signed-in user may ask the calendar (a family's page shows expected dates)."""
    return User(app.test_client(), "gx-qinzhou-qinbei.family")


def test_calendar_needs_a_user(app):
    assert app.test_client().get("/api/v1/calendar/2026").status_code == 401


def test_add_working_days_and_year(client):
    answer = client.get("/api/v1/calendar/add-working-days?from=2025-09-28&days=6")
    assert answer.status_code == 200
    assert answer.get_json() | {} == {"from": "2025-09-28", "days": 6, "date": "2025-10-13", "fallback": False}
    assert client.get("/api/v1/calendar/add-working-days?from=2026-09-30&days=1").get_json()["date"] == "2026-10-08"
    year = client.get("/api/v1/calendar/2026").get_json()
    assert "2026-10-01" in year["holidays"] and "2026-09-20" in year["adjusted_working_days"]
    assert year["fallback"] is False and year["source"] == "chinese_calendar"


def test_2027_fallback_then_operator_file(app, client):
    fallback = client.get("/api/v1/calendar/add-working-days?from=2027-02-05&days=1").get_json()
    assert fallback == {"from": "2027-02-05", "days": 1, "date": "2027-02-08", "fallback": True}
    assert client.get("/api/v1/calendar/2027").get_json()["fallback"] is True
    app.extensions["newborn"].calendar = WorkingCalendar(load_operator_files(directory=FIXTURES))
    operated = client.get("/api/v1/calendar/add-working-days?from=2027-02-05&days=1").get_json()
    assert operated == {"from": "2027-02-05", "days": 1, "date": "2027-02-06", "fallback": False}
    assert client.get("/api/v1/calendar/2027").get_json()["source"] == "operator"


def test_bad_input_is_422_or_404(client):
    for query in ("from=2025-13-01&days=1", "from=2025-01-01&days=-1", "from=2025-01-01&days=x", "days=1"):
        answer = client.get(f"/api/v1/calendar/add-working-days?{query}")
        assert answer.status_code == 422, query
        assert answer.get_json()["errors"]
    assert client.get("/api/v1/calendar/1800").status_code == 404
