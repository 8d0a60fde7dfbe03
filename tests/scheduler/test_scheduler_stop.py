"""A stopped scheduler stays stopped: a standby that wins the lock as it is being stopped starts nothing
and gives the lock back, and stop() returns only once no thread of it runs (a job still running on the
shared job table could fire another process's timers, or a test's)."""
import threading
from datetime import timedelta

from sqlalchemy import text

from engine.deadlines import escalation
from engine.deadlines.calendar import default_calendar
from engine.deadlines.scheduler import EscalationScheduler
from engine.states import EscalationLevel
from tests.engine.helpers import clear_scheduler_jobs


def test_a_standby_stopped_while_taking_over_starts_nothing(clean_db, clock):
    standby = EscalationScheduler(clean_db, default_calendar(), clock, reconcile_seconds=3600, poll_seconds=0.01,
                                  registry="stop-race")
    released = []
    standby._release_lock = lambda: released.append(True)  # noqa: SLF001 - watch the lock being given back

    def won_as_stopped() -> bool:  # the lock is won in the instant stop() is called
        standby._stop.set()
        return True

    standby._try_lead = won_as_stopped
    standby._stop.clear()
    standby._standby()  # the standby loop, run here: one poll, then the takeover
    assert standby.scheduler is None and not standby.active.is_set()
    assert released == [True]
    standby.engine.dispose()


def test_stop_leaves_no_thread_of_the_scheduler_running(clean_db, clock, database_url):
    clear_scheduler_jobs(database_url)
    before = set(threading.enumerate())
    running = EscalationScheduler(clean_db, default_calendar(), clock, reconcile_seconds=3600, registry="stop-threads")
    running.start()
    assert running.active.is_set()
    running.stop()
    left = [t for t in set(threading.enumerate()) - before if t.is_alive()]
    assert left == [], left
    running.engine.dispose()
    clear_scheduler_jobs(database_url)


def test_a_stopped_scheduler_runs_no_due_job_and_keeps_it_for_the_next(clean_db, clock, database_url, monkeypatch):
    """APScheduler's thread passes over due jobs once more after shutdown; a stopped scheduler must not
    (its executor is gone: the job failed and its removal raised in the thread). The job stays stored."""
    clear_scheduler_jobs(database_url)
    raised = []
    monkeypatch.setattr(threading, "excepthook", lambda args: raised.append(args.exc_value))
    running = EscalationScheduler(clean_db, default_calendar(), clock, reconcile_seconds=3600, registry="stop-due")
    running.start()
    running.scheduler.pause()
    due = escalation.Firing("task:no-such-task", EscalationLevel.WARNING, clock.now() - timedelta(hours=1))
    running._schedule(due)  # noqa: SLF001 - a job whose time has come, in a paused scheduler
    running.stop()
    assert raised == []
    with running.engine.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM apscheduler_jobs WHERE id = :id"),
                           {"id": "task:no-such-task|warning"}) == 1
    running.engine.dispose()
    clear_scheduler_jobs(database_url)
