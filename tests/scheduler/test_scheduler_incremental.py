"""Reconcile passes between full repairs read only the subjects due within a window (escalation.window).

The scheduler here is no engine listener: like ``python -m engine scheduler`` beside the API processes,
it learns of other sessions' tasks only through its passes. Its APScheduler is paused (jobs are looked
at, never run) except where a test waits for late firings to be written.
"""
import time
from bisect import bisect_left
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select, update

from engine.deadlines import escalation
from engine.deadlines.calendar import default_calendar
from engine.deadlines.scheduler import STUB_JOB_PREFIX, EscalationScheduler
from engine.deadlines.sla import END_OF_DAY
from engine.definitions import deploy
from engine.store.models import Escalation, Task
from tests.engine.helpers import (ROOT, REGION, clear_scheduler_jobs, complete_service_task, engine_context,
                                  open_tasks, start_accepted_case)

REPAIR_EVERY = 3  # start (full), two incremental passes, full


@pytest.fixture
def make_scheduler(clean_db, clock, monkeypatch):
    """Start schedulers on the test's clock; each records whether its passes were full (``passes``)."""
    clear_scheduler_jobs(clean_db)
    started = []
    real_pending = escalation.pending

    def recording(session, calendar, now, horizon=timedelta(0), since=None):
        started[-1].passes.append("full" if since is None else "incremental")  # the newest: the others stopped
        return real_pending(session, calendar, now, horizon, since=since)

    monkeypatch.setattr(escalation, "pending", recording)

    def start(paused: bool = True) -> EscalationScheduler:
        running = EscalationScheduler(clean_db, default_calendar(), clock, reconcile_seconds=3600,
                                      registry="incremental", repair_every=REPAIR_EVERY)
        running.passes = []
        started.append(running)
        running.start()
        assert running.active.is_set()
        if paused:
            running.scheduler.pause()
        return running

    yield start
    for running in started:
        running.stop()
        running.engine.dispose()
    clear_scheduler_jobs(clean_db)


@pytest.fixture
def ctx(clean_db, clock):
    """Another process's session: the engine commits steps there, the scheduler is told nothing."""
    context = engine_context(clean_db, clock)
    yield context
    context.session.close()


def jobs(scheduler) -> dict:
    return {job.id: job.next_run_time for job in scheduler.scheduler.get_jobs(jobstore="default")
            if not job.id.startswith(STUB_JOB_PREFIX)}


def written(ctx) -> set:
    ctx.session.rollback()
    return set(ctx.session.execute(select(Escalation.subject, Escalation.level)).all())


def limited_tasks(ctx, case_id) -> list[Task]:
    """The case's open tasks with a limit of their own (Qinbei: two service tasks, one working day)."""
    return [t for t in open_tasks(ctx, case_id) if t.limit_working_days]


def test_an_incremental_pass_schedules_tasks_another_session_opened(make_scheduler, ctx):
    scheduler = make_scheduler()
    assert jobs(scheduler) == {}
    case = start_accepted_case(ctx)
    tasks = limited_tasks(ctx, case.id)
    assert len(tasks) == 2
    scheduler.reconcile()
    assert scheduler.passes == ["full", "incremental"]
    # due tomorrow night: the warning, tonight, lies within the horizon
    assert set(jobs(scheduler)) == {f"task:{t.id}|warning" for t in tasks}


def test_a_firing_that_enters_the_horizon_between_passes_is_scheduled(make_scheduler, ctx, clock):
    scheduler = make_scheduler()
    case = start_accepted_case(ctx)
    scheduler.reconcile()
    overdue = {f"task:{t.id}|overdue": t.due_at for t in limited_tasks(ctx, case.id)}
    assert not overdue.keys() & jobs(scheduler).keys()
    clock.advance(hours=15)  # the due time, 23:59:59 tomorrow, is now within a day
    scheduler.reconcile()
    assert scheduler.passes == ["full", "incremental", "incremental"]
    scheduled = jobs(scheduler)
    # within a second of the run date computed now (it follows the real clock's second, as in the horizon test)
    assert all(abs((scheduled[key] - scheduler._run_date(due)).total_seconds()) <= 1 for key, due in overdue.items())


def test_an_incremental_pass_keeps_jobs_outside_its_window(make_scheduler, ctx, clock):
    scheduler = make_scheduler()
    case = start_accepted_case(ctx)
    late, _ = limited_tasks(ctx, case.id)
    long_ago = clock.now() - timedelta(days=30)
    ctx.session.execute(update(Task).where(Task.id == late.id).values(due_at=long_ago))
    ctx.session.commit()
    scheduler.reconcile(full=True)  # finds its four late firings
    late_jobs = {f"task:{late.id}|{level.value}" for level in escalation.EscalationLevel}
    assert late_jobs <= jobs(scheduler).keys()
    scheduler.reconcile()
    assert scheduler.passes[-1] == "incremental"
    first, _ = escalation.window(default_calendar(), clock.now() + scheduler.horizon,
                                 clock.now() + scheduler.horizon, 1, 3)
    assert long_ago < first        # the pass did not read the task...
    assert late_jobs <= jobs(scheduler).keys()  # ...and kept its jobs


def test_the_repair_pass_removes_the_job_of_a_task_that_closed(make_scheduler, ctx):
    scheduler = make_scheduler()
    case = start_accepted_case(ctx)
    scheduler.reconcile()
    closed, still_open = limited_tasks(ctx, case.id)
    complete_service_task(ctx, closed)  # another process's step: no listener removes the job
    scheduler.reconcile()
    assert scheduler.passes == ["full", "incremental", "incremental"]
    assert f"task:{closed.id}|warning" in jobs(scheduler)  # a no-op when it runs: fire checks the task
    scheduler.reconcile()
    assert scheduler.passes[-1] == "full"
    assert f"task:{closed.id}|warning" not in jobs(scheduler)
    assert f"task:{still_open.id}|warning" in jobs(scheduler)


def test_a_firing_missed_while_stopped_is_caught_by_the_start_pass(make_scheduler, ctx, clock):
    first = make_scheduler()
    case = start_accepted_case(ctx)
    first.reconcile()
    tasks = limited_tasks(ctx, case.id)
    first.stop()
    clock.advance(days=30)  # every firing of the tasks (level 2 on 10-11, after National Day) has passed
    limit = clock.now() + first.horizon
    missed = {(f"task:{t.id}", level.value) for t in tasks for level in escalation.EscalationLevel}
    seen = {(f.subject, f.level.value) for f in escalation.pending(
        ctx.session, default_calendar(), clock.now(), first.horizon, since=limit)}
    ctx.session.rollback()
    assert not missed & seen  # outside any window from now on: only a full pass finds them
    second = make_scheduler(paused=False)  # a restart: its jobs run (the late ones at once)
    assert second.passes == ["full"]
    deadline = time.monotonic() + 20
    while not missed <= written(ctx) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert missed <= written(ctx)


def test_an_incremental_pass_reads_only_the_tasks_due_within_its_window(make_scheduler, ctx, clock,
                                                                          monkeypatch):
    scheduler = make_scheduler()
    offsets = [-30, -10, -2, 0, 1, 3, 10, 30]  # days from now to each task's due time
    tasks = [t for _ in range(len(offsets) // 2) for t in limited_tasks(ctx, start_accepted_case(ctx).id)]
    for task, days in zip(tasks, offsets):
        task.due_at = datetime.combine(clock.now().date() + timedelta(days=days), END_OF_DAY)
    ctx.session.commit()
    read = []
    real_plan = escalation.task_plan
    monkeypatch.setattr(escalation, "task_plan", lambda calendar, row: read.append(row.id) or real_plan(calendar, row))
    scheduler.reconcile(full=True)
    assert sorted(read) == sorted(t.id for t in tasks)
    read.clear()
    scheduler.reconcile()
    limit = clock.now() + scheduler.horizon
    first, last = escalation.window(default_calendar(), limit, limit, 1, 3)  # the defaults: warning 1, level 1 + 2
    assert first <= clock.now() - timedelta(days=2) and clock.now() + timedelta(days=3) <= last  # holidays widen it
    assert sorted(read) == sorted(t.id for t in tasks if first <= t.due_at <= last)
    assert 0 < len(read) < len(tasks)


def test_the_window_holds_every_subject_with_a_firing_between_two_passes():
    """Every plan across the Spring Festival 2026 and the National Day 2025, against passes every six hours:
    a subject with a firing in (previous limit, limit] is due within the window, bounds walked through holidays."""
    calendar = default_calendar()
    warning, level1, level2 = 3, 2, 3
    dues = [datetime.combine(date(2025, 9, 1) + timedelta(days=n), at)
            for n in range(200) for at in (END_OF_DAY, datetime.min.time(), datetime(1, 1, 1, 9, 30).time())]
    passes = [datetime(2025, 9, 20) + timedelta(hours=6 * n) for n in range(4 * 170)]
    windows = [escalation.window(calendar, since, limit, warning, level1 + level2)
               for since, limit in zip(passes, passes[1:])]
    checked = 0
    for due in dues:
        for _, at in escalation._plan(calendar, due, warning, level1, level2):
            i = bisect_left(passes, at) - 1  # passes[i] < at <= passes[i + 1]
            if 0 <= i < len(windows):
                first, last = windows[i]
                assert first <= due <= last, (passes[i], at, due)
                checked += 1
    assert checked > 1500
    widest = max(last - first for first, last in windows)
    assert widest < timedelta(days=25)  # not the full scan's limit + 40 days


def test_reach_takes_the_largest_settings_of_every_process_and_activity(ctx, clock):
    xml = (ROOT / "bpmn" / REGION / "process.bpmn").read_text(encoding="utf-8")
    assert xml.count('<camunda:property name="promiseWorkingDays" value="33"/>') == 1
    xml = xml.replace('<camunda:property name="promiseWorkingDays" value="33"/>',
                      '<camunda:property name="promiseWorkingDays" value="33"/>'
                      '<camunda:property name="escalationLevel2WorkingDays" value="4"/>')
    activity_limit = '<camunda:property name="limitWorkingDays" value="30"/>'
    assert xml.count(activity_limit) == 1
    xml = xml.replace(activity_limit, activity_limit + '<camunda:property name="warningWorkingDays" value="5"/>')
    definition, _ = deploy(ctx.session, xml.encode("utf-8"), clock.now(), region=REGION)
    ctx.session.commit()
    assert escalation.reach(ctx.session, [definition.id]) == (5, 1 + 4)
    assert escalation.reach(ctx.session, []) == (1, 1 + 2)  # the defaults


def test_an_incremental_pass_leaves_out_firings_already_written(ctx, clock):
    case = start_accepted_case(ctx)
    written_one, other = limited_tasks(ctx, case.id)
    clock.advance(hours=15)  # past both warnings (23:59:59 on the day of acceptance)
    assert escalation.fire(ctx.session, clock, ctx.calendar, f"task:{written_one.id}", "warning") is not None
    limit = clock.now() + timedelta(days=1)
    found = {(f.subject, f.level.value)
             for f in escalation.pending(ctx.session, ctx.calendar, clock.now(), timedelta(days=1), since=limit)}
    assert found == {(f"task:{task.id}", level) for task in (written_one, other) for level in ("warning", "overdue")} \
        - {(f"task:{written_one.id}", "warning")}
    assert found == {(f.subject, f.level.value)
                     for f in escalation.pending(ctx.session, ctx.calendar, clock.now(), timedelta(days=1))}


def test_a_pass_that_takes_operator_calendar_data_is_full_and_so_is_the_next(make_scheduler, ctx, monkeypatch):
    """The API process that loads a year saves its file, then commits the deadlines it moved: a scheduler
    process may take the file in between. Its pass then is full, and the one after as well, so the moved
    deadlines get their jobs within a pass, not at the hourly repair."""
    scheduler = make_scheduler()
    years = [[2027], []]
    monkeypatch.setattr(scheduler, "_refresh_calendar", lambda: years.pop(0) if years else [])
    for _ in range(4):
        scheduler.reconcile()
    assert scheduler.passes == ["full", "full", "full", "incremental", "incremental"]
