"""A stopped scheduler stays stopped: a standby that wins the lock as it is being stopped starts nothing
and gives the lock back, and stop() returns only once no thread of it runs (a job still running on the
shared job table could fire another process's timers, or a test's)."""
import threading

from engine.deadlines.calendar import default_calendar
from engine.deadlines.scheduler import EscalationScheduler
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
