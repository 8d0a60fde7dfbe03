"""New open deadlines when the calendar grows (issue 14 acceptance 4).

A 钦北 case filed on 2026-12-21 has its 33-working-day promise end in 2027, a year the calendar library
does not know: computed Monday–Friday and flagged. An operator loads 2027's holiday data (here a test file,
NOT the official schedule) through ``POST /api/v1/calendar/years`` (and ``python -m engine calendar load``):
the deadline is recomputed, its escalation timer moves, the flag is cleared and the board's count of fallback
deadlines drops to zero.
"""
import json
import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from api.extensions import db
from engine.deadlines.calendar import WorkingCalendar
from engine.deadlines.scheduler import EscalationScheduler
from engine.states import OPEN_TASK_STATES
from engine.store.models import Case, Task
from tests.api.helpers import User, sample_form
from tests.api.region_driver import RegionDriver
from tests.engine.helpers import clear_scheduler_jobs

ROOT = Path(__file__).resolve().parents[2]
REGION = "gx-qinzhou-qinbei"
FILED = datetime(2026, 12, 21, 9, 0)  # a Monday
YEAR_2027 = {"year": 2027, "source": "TEST DATA, not the official 2027 schedule",
             "holidays": ["2027-01-01", "2027-02-05", "2027-02-08", "2027-02-09", "2027-02-10", "2027-02-11"],
             "workdays": ["2027-02-13"]}
# 33 working days after 2026-12-21: 8 in December, then 2027 Monday–Friday → 02-04; with the data
# (01-01 and 02-05, 02-08..02-11 off) → 02-12
FALLBACK_DAY, LOADED_DAY = "2027-02-04", "2027-02-12"
OPEN_FALLBACK_TASK = (Task.due_fallback.is_(True), Task.state.in_(OPEN_TASK_STATES))


@pytest.fixture
def grow_app(make_app, tmp_path, clock):
    from api.cli import initialise
    app = make_app(WORKDAY_CALENDAR_DIR=str(tmp_path / "calendar"))
    app.extensions["newborn"].calendar = WorkingCalendar()  # its own: the test teaches it 2027
    initialise(app)
    clock.set(FILED)
    return app


@pytest.fixture
def scheduler(grow_app, clock, database_url):
    clear_scheduler_jobs(database_url)
    state = grow_app.extensions["newborn"]
    with grow_app.app_context():
        # every future firing a job (the default keeps a day's): the test watches the case's overdue timer move
        running = EscalationScheduler(db.engine, state.calendar, clock, reconcile_seconds=3600, registry="grow",
                                      horizon=timedelta(days=400))
    running.start()
    state.listeners.append(running)
    yield running
    running.stop()
    clear_scheduler_jobs(database_url)


def _filed_case(app) -> RegionDriver:
    driver = RegionDriver(app, REGION)
    form = sample_form(REGION)
    form["newborn"]["birth_time"] = "2026-11-27T08:30:00"  # the schema checks it against the real today
    items = [i["code"] for i in driver.family.get(f"/api/v1/regions/{REGION}").get_json()["items"]]
    driver.submit(items, form)
    review = next(t for t in driver.open_tasks() if t["form_key"] == "acceptance_review")
    driver.work(review, {"decision": "accept"})
    return driver


def _fallback(user: User) -> dict:
    response = user.get("/api/v1/supervision/stats")
    assert response.status_code == 200
    return response.get_json()["fallback_deadlines"]


def test_loading_2027_recomputes_the_fallback_deadline_moves_its_timer_and_clears_the_flag(
        grow_app, scheduler, tmp_path):
    """002 (钦州钦北): 「承诺办结时限为33个工作日」, counted in working days: once 2027's holidays are known the
    promise's end moves past them."""
    driver = _filed_case(grow_app)
    case = driver.supervisor.get(f"/api/v1/cases/{driver.case_id}").get_json()
    assert case["deadline"].startswith(FALLBACK_DAY) and case["deadline_fallback"] is True
    assert _fallback(driver.supervisor)["cases"] == 1
    scheduler.reconcile()
    timer = scheduler.scheduler.get_job(f"case:{driver.case_id}|overdue")
    before = timer.next_run_time
    admin = User(grow_app.test_client(), "admin")
    response = admin.post("/api/v1/calendar/years", json=YEAR_2027)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["recomputed"]["cases"] == 1 and response.get_json()["still_fallback"] == 0
    case = driver.supervisor.get(f"/api/v1/cases/{driver.case_id}").get_json()
    assert case["deadline"].startswith(LOADED_DAY) and case["deadline_fallback"] is False
    moved = scheduler.scheduler.get_job(f"case:{driver.case_id}|overdue").next_run_time
    assert (moved - before).days == 8  # 02-04 → 02-12
    assert _fallback(driver.supervisor) == {"cases": 0, "tasks": 0}
    assert json.loads((tmp_path / "calendar" / "2027.json").read_text("utf-8"))["year"] == 2027
    assert driver.family.get(f"/api/v1/cases/{driver.case_id}").get_json()["deadline"].startswith(LOADED_DAY)


def test_bad_calendar_data_is_refused_and_nothing_changes(grow_app, tmp_path):
    driver = _filed_case(grow_app)
    admin = User(grow_app.test_client(), "admin")
    bad = {**YEAR_2027, "workdays": ["2027-02-10"]}  # a Wednesday cannot be a 调休 working weekend day
    response = admin.post("/api/v1/calendar/years", json=bad)
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["code"] == "calendar_invalid"
    assert "不是周末" in response.get_json()["errors"][0]["message"]
    assert _fallback(driver.supervisor)["cases"] == 1
    assert not (tmp_path / "calendar" / "2027.json").exists()
    assert User(grow_app.test_client(), f"{REGION}.supervisor").post(
        "/api/v1/calendar/years", json=YEAR_2027).status_code == 403


def test_the_cli_loads_a_year_file_into_the_database(grow_app, database_url, tmp_path):
    driver = _filed_case(grow_app)
    with grow_app.app_context():
        open_fallback_tasks = db.session.scalars(select(Task.id).where(*OPEN_FALLBACK_TASK)).all()
    assert open_fallback_tasks  # tasks without a limit of their own inherit the case's fallback deadline
    year_file = tmp_path / "notice-2027.json"
    year_file.write_text(json.dumps(YEAR_2027, ensure_ascii=False), "utf-8")
    saved = tmp_path / "operator"
    proc = subprocess.run([sys.executable, "-m", "engine", "calendar", "load", str(year_file),
                           "--database-url", database_url, "--dir", str(saved)], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stderr
    assert "已载入 2027 年" in proc.stdout and "仍按周末估算 0 个" in proc.stdout
    assert (saved / "2027.json").exists()
    with grow_app.app_context():
        db.session.expire_all()
        case = db.session.get(Case, driver.case_id)
        assert (case.deadline.date().isoformat(), case.deadline_fallback) == (LOADED_DAY, False)
        assert not db.session.scalars(select(Task.id).where(*OPEN_FALLBACK_TASK)).all()
