"""Only the next day's firings are APScheduler jobs; each reconcile adds those whose time came near.

002 (钦州钦北): 「承诺办结时限为33个工作日」: the case's overdue firing lies weeks ahead, so it is not a job on the
day of acceptance; a reconcile once it lies within the horizon makes the job, at the promise's end.
"""
from datetime import datetime, timedelta

import pytest

from api.extensions import db
from engine.deadlines.scheduler import HORIZON, STUB_JOB_PREFIX, EscalationScheduler
from tests.api.helpers import sample_form
from tests.api.region_driver import RegionDriver
from tests.engine.helpers import clear_scheduler_jobs

QINBEI = "gx-qinzhou-qinbei"


@pytest.fixture
def scheduler(app, clock, database_url):
    clear_scheduler_jobs(database_url)
    state = app.extensions["newborn"]
    with app.app_context():
        running = EscalationScheduler(db.engine, state.calendar, clock, reconcile_seconds=3600, registry="horizon")
    running.start()
    assert running.active.is_set()
    running.scheduler.pause()  # jobs are looked at, never run
    state.listeners.append(running)
    yield running
    state.listeners.remove(running)
    running.stop()
    clear_scheduler_jobs(database_url)


def test_jobs_cover_the_next_day_and_reconcile_adds_a_firing_when_its_time_nears(app, clock, scheduler):
    driver = RegionDriver(app, QINBEI)
    driver.submit(["birth_certificate", "vaccination_certificate"], sample_form(QINBEI))
    review = next(t for t in driver.open_tasks() if t["form_key"] == "acceptance_review")
    driver.work(review, {"decision": "accept"})
    case = driver.case()
    assert case["promise_working_days"] == 33
    overdue = f"case:{driver.case_id}|overdue"

    def jobs() -> dict:  # escalation timers (the paper stubs' weekly cron jobs aside)
        return {job.id: job.next_run_time for job in scheduler.scheduler.get_jobs(jobstore="default")
                if not job.id.startswith(STUB_JOB_PREFIX)}

    horizon_end = scheduler._run_date(clock.now() + HORIZON)
    assert jobs() and overdue not in jobs() and all(at <= horizon_end for at in jobs().values())

    # once the promise's end lies within the horizon, the next reconcile makes its job. The horizon
    # widens instead of the clock moving on: no firing ever falls due (so no job may run) in this test
    deadline = datetime.fromisoformat(case["deadline"]).replace(tzinfo=None)  # the engine keeps China time, naive
    scheduler.horizon = deadline - clock.now() + timedelta(hours=12)
    scheduler.reconcile()
    # the run date maps the virtual clock onto the real one to the second: computed again a moment later it
    # may have crossed into the next second (the scheduler itself treats 1 s apart as the same time)
    assert abs((jobs()[overdue] - scheduler._run_date(deadline)).total_seconds()) <= 1
