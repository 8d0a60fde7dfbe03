"""The real scheduler process (APScheduler, persistent job store): killed between two firings and
restarted, and on PostgreSQL two at once; every escalation is written exactly once, none is missed."""
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from engine.deadlines.clock import SystemClock
from engine.store.models import Escalation, Task
from tests.engine.helpers import clear_scheduler_jobs, engine_context, open_tasks, run_service_tasks, start_accepted_case

ROOT = Path(__file__).resolve().parents[2]
KEEP = {"social_security_card_issue", "vaccination_certificate_issue"}


def _prepare(database_url, clock, first_in: float, second_in: float):
    """Two open tasks whose due times are seconds away in real time; returns their ids in order."""
    clear_scheduler_jobs(database_url)
    ctx = engine_context(database_url, clock)
    case = start_accepted_case(ctx)
    run_service_tasks(ctx, case.id, keep_open=KEEP)
    first, second = sorted(t.id for t in open_tasks(ctx, case.id) if t.bpmn_id in KEEP)
    now = SystemClock().now()
    for task_id, seconds in ((first, first_in), (second, second_in)):
        ctx.session.execute(update(Task).where(Task.id == task_id).values(due_at=now + timedelta(seconds=seconds)))
    ctx.session.commit()
    return ctx, case.id, first, second


def _spawn(database_url):
    return subprocess.Popen([sys.executable, "-m", "engine", "scheduler", "--database-url", database_url,
                             "--reconcile-seconds", "1"], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})


def _rows(ctx):
    ctx.session.rollback()
    return Counter((r.subject, r.level) for r in ctx.session.scalars(select(Escalation)))


def _wait_for(ctx, key, seconds=25.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if key in _rows(ctx):
            return True
        time.sleep(0.2)
    return False


def _expected(case_id, first, second):
    tasks = {(f"task:{t}", lvl) for t in (first, second) for lvl in ("warning", "overdue")}
    return tasks | {(f"case:{case_id}", lvl) for lvl in ("warning", "overdue", "level1", "level2")}


def _stop(process):
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_killed_and_restarted_scheduler_fires_each_escalation_once(clean_db, clock):
    ctx, case_id, first, second = _prepare(clean_db, clock, 4, 14)
    process = _spawn(clean_db)
    try:
        assert process.stdout.readline().strip() == "scheduler active"
        assert _wait_for(ctx, (f"task:{first}", "overdue"))
        process.kill()                     # between the two overdue firings
        process.wait()
        assert (f"task:{second}", "overdue") not in _rows(ctx)
        time.sleep(max(0.0, 15 - 4))       # the second one comes due while nothing runs
        process = _spawn(clean_db)
        assert _wait_for(ctx, (f"task:{second}", "overdue"))   # caught up at restart
        time.sleep(2)
    finally:
        _stop(process)
    rows = _rows(ctx)
    assert set(rows) == _expected(case_id, first, second)
    assert set(rows.values()) == {1}
    ctx.session.close()


@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="needs PostgreSQL (TEST_DATABASE_URL)")
def test_two_schedulers_on_postgresql_one_active_standby_takes_over(clean_db, clock):
    ctx, case_id, first, second = _prepare(clean_db, clock, 5, 16)
    one = _spawn(clean_db)
    assert one.stdout.readline().strip() == "scheduler active"
    two = _spawn(clean_db)
    try:
        assert two.stdout.readline().strip() == "scheduler standby"
        assert _wait_for(ctx, (f"task:{first}", "overdue"))
        one.kill()
        one.wait()
        assert two.stdout.readline().strip() == "scheduler active"   # the advisory lock was released
        assert _wait_for(ctx, (f"task:{second}", "overdue"))
        time.sleep(2)
    finally:
        _stop(one)
        _stop(two)
    rows = _rows(ctx)
    assert set(rows) == _expected(case_id, first, second)
    assert set(rows.values()) == {1}
    ctx.session.close()
