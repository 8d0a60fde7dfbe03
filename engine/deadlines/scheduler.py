"""APScheduler timers for escalations, persisted in the same database (table ``apscheduler_jobs``).

Jobs are hints; the rows are the truth. A job per (subject, level) calls
``engine.deadlines.escalation:run_job`` at its time; the listener adds and removes jobs after each engine
commit, and ``reconcile`` (at start and every ``reconcile_seconds``) repairs what a crash or
another process left out. Only firings due within ``horizon`` (a day) are jobs: each reconcile adds
those whose time came near, so the job store holds the next day's firings, not every future one.
Missed runs are caught up at start (no misfire grace, coalesced).

On PostgreSQL only the holder of a session-level advisory lock schedules; the others wait
as standbys and take over when the holder's connection closes. SQLite: one process.

A pass is full or incremental. A full pass (the first after start or takeover, every ``repair_every``-th,
and the two after the calendar took operator data) reads every open subject, adds what is missing and removes
the jobs nothing needs. An incremental pass reads only the subjects due within the window of
``escalation.window``: those that can have a firing between the previous pass's limit (its now + horizon)
and this one's. That covers firings coming within the horizon, and tasks and cases other processes opened
since (their due times lie ahead). It adds jobs only: a job outside its window is not known to be useless,
and a closed subject's job is a no-op (``fire`` checks) until the next full pass removes it. Late firings
nobody saw coming (missed while stopped, a long-overdue case resumed) wait for a full pass: at most
``repair_every`` passes.
"""
import logging
import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_STOPPED
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import text

from engine.deadlines import escalation, stubs
from engine.deadlines.calendar import CalendarDataError
from engine.deadlines.clock import SystemClock
from engine.store.db import make_engine, make_session_factory
from engine.store.models import Case, Definition

log = logging.getLogger(__name__)
CHINA_ZONE = ZoneInfo("Asia/Shanghai")
LOCK_KEY = 0x6E62_6573  # "nbes": the escalation scheduler's advisory lock
JOB_FUNCTION = "engine.deadlines.escalation:run_job"
STUB_JOB_FUNCTION = "engine.deadlines.stubs:run_job"
STUB_JOB_PREFIX = "stubs:"  # one cron job per region: the paper stubs' hand-over (engine/deadlines/stubs.py)
# Firings further ahead get their job from a later reconcile (every minute). A store of every future
# firing (3–4 per open task) made each reconcile unpickle them all (bench/NOTES.md, round three).
HORIZON = timedelta(days=1)
REPAIR_EVERY = 60  # every 60th reconcile is a full pass: hourly at the default 60 s


class OffsetClock:
    """System time shifted by ``offset`` (lets a real scheduler meet deadlines set in the future)."""

    def __init__(self, offset: timedelta = timedelta(0)):
        self.offset, self._system = offset, SystemClock()

    def now(self) -> datetime:
        return self._system.now() + self.offset


class _JobScheduler(BackgroundScheduler):
    """APScheduler 3.10's thread makes one more pass over due jobs after ``shutdown``: each goes to the
    stopped executor, fails, and its removal raises ``JobLookupError`` in that thread. A stopped scheduler
    runs nothing; a due job stays in the store for the next scheduler to run."""

    def _process_jobs(self):
        if self.state == STATE_STOPPED:
            return None
        return super()._process_jobs()


def job_id(firing) -> str:
    return f"{firing.subject}|{firing.level.value}"


def stored_run_times(store: SQLAlchemyJobStore) -> dict[str, float | None]:
    """Stored job id -> next run (epoch seconds), read from the store's table: ``get_jobs`` unpickles
    every job (a day's firings) for these two columns, 15-30x the CPU (``python -m bench.job_store``)."""
    table = store.jobs_t
    with store.engine.connect() as conn:
        return dict(conn.execute(table.select().with_only_columns(table.c.id, table.c.next_run_time)).all())


class EscalationScheduler:
    def __init__(self, database, calendar, clock=None, reconcile_seconds: float = 60,
                 poll_seconds: float = 1.0, registry: str = "default", horizon: timedelta = HORIZON,
                 repair_every: int = REPAIR_EVERY):
        self.engine = make_engine(database) if isinstance(database, str) else database
        self.calendar, self.clock = calendar, clock or OffsetClock()
        self.reconcile_seconds, self.poll_seconds, self.registry = reconcile_seconds, poll_seconds, registry
        self.horizon, self.repair_every = horizon, repair_every
        self._previous_limit: datetime | None = None  # None: the next pass is full
        self._incremental_left = 0  # incremental passes before the next full one
        self._reconciling = threading.Lock()  # the interval job and an API request may both reconcile
        self.session_factory = make_session_factory(self.engine)
        self.scheduler: _JobScheduler | None = None
        self.active = threading.Event()
        self._stop = threading.Event()
        self._lifecycle = threading.Lock()  # a takeover and a stop never interleave
        self._lock_connection = None
        self._thread = None

    # -- leadership -------------------------------------------------------------------------
    def start(self) -> None:
        """Become active now if possible, else wait as a standby in a thread."""
        if self._try_lead():
            self._activate()
            return
        log.info("escalation scheduler: standby")
        self._thread = threading.Thread(target=self._standby, name="escalation-standby", daemon=True)
        self._thread.start()

    def _try_lead(self) -> bool:
        if self.engine.dialect.name != "postgresql":
            return True
        connection = self.engine.connect()
        won = connection.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": LOCK_KEY}).scalar()
        connection.commit()  # a session-level lock outlives the transaction
        if won:
            self._lock_connection = connection
        else:
            connection.close()
        return bool(won)

    def _standby(self) -> None:
        while not self._stop.wait(self.poll_seconds):
            if self._try_lead():
                self._activate()
                return

    def _activate(self) -> None:
        with self._lifecycle:
            if self._stop.is_set():  # stopped while winning the lock: give it back, start nothing
                self._release_lock()
                return
            self._start_jobs()

    def _start_jobs(self) -> None:
        escalation.register(self.registry, self.session_factory, self.clock, self.calendar)
        self._previous_limit = None  # a takeover starts with a full pass: the last holder's passes are unknown
        self._job_store = SQLAlchemyJobStore(engine=self.engine, tablename="apscheduler_jobs")
        self.scheduler = _JobScheduler(
            timezone=CHINA_ZONE,
            jobstores={"default": self._job_store, "local": MemoryJobStore()},
            job_defaults={"misfire_grace_time": None, "coalesce": True, "max_instances": 1})
        self.scheduler.start()
        self.reconcile()
        self.scheduler.add_job(self.reconcile, "interval", seconds=self.reconcile_seconds,
                               jobstore="local", id="reconcile")
        self.active.set()
        log.info("escalation scheduler: active")

    def stop(self) -> None:
        """Stop for good: a standby never takes over afterwards, and a job running now finishes first
        (no firing is left half-written by this process, no thread outlives the call)."""
        self._stop.set()
        with self._lifecycle:
            if self.scheduler is not None and self.scheduler.running:
                self.scheduler.shutdown(wait=True)
            self._release_lock()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=self.poll_seconds + 5)

    def _release_lock(self) -> None:
        if self._lock_connection is not None:
            # a pooled connection outlives close(): unlock, or a standby never takes over
            self._lock_connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": LOCK_KEY})
            self._lock_connection.commit()
            self._lock_connection.close()
            self._lock_connection = None

    # -- jobs -------------------------------------------------------------------------------
    def _run_date(self, at: datetime) -> datetime:
        return (at - (self.clock.now() - SystemClock().now())).replace(tzinfo=CHINA_ZONE)

    def _schedule(self, firing) -> None:
        if firing.at > self.clock.now() + self.horizon:
            return  # a later reconcile adds it, when its time is near
        self.scheduler.add_job(JOB_FUNCTION, "date", run_date=self._run_date(firing.at),
                               args=[firing.subject, firing.level.value, self.registry],
                               id=job_id(firing), replace_existing=True)

    def reconcile(self, full: bool = False) -> int:
        """Add missing jobs for unwritten firings; a full pass also drops jobs nothing needs (module docstring).
        Returns jobs added. First takes holiday files an operator added (``calendar load``): moved deadlines
        move their jobs, in a full pass, and in the next pass too: the API process that saved the file
        commits the moved deadlines after saving it. ``full``: the caller changed deadlines (an in-process
        calendar load)."""
        with self._reconciling:
            taken = self._refresh_calendar()
            full = bool(taken) or full or self._repair_due()
            now = self.clock.now()
            with self.session_factory() as session:
                wanted = {job_id(f): f for f in escalation.pending(
                    session, self.calendar, now, self.horizon, since=None if full else self._previous_limit)}
            stored = stored_run_times(self._job_store)  # read once: both below compare with it
            added = self._add_missing(wanted, full, stored)
            self._previous_limit = now + self.horizon
            # after taking calendar data the next pass is full too: the recompute may not have committed yet
            self._incremental_left = 0 if taken else self.repair_every - 1 if full else self._incremental_left - 1
            self.schedule_stub_handovers(stored)
            return added

    def _repair_due(self) -> bool:
        return self._previous_limit is None or self._incremental_left <= 0

    def _add_missing(self, wanted: dict, remove_unwanted: bool, existing: dict) -> int:
        """Schedule each wanted firing without its job in ``existing`` (stored id -> run time) or at another
        time; drop jobs nothing wants if told."""
        added = 0
        for key, firing in wanted.items():
            run_at = existing.get(key)
            if run_at is None or abs(run_at - self._run_date(firing.at).timestamp()) > 1:
                self._schedule(firing)
                added += 1
        if remove_unwanted:
            for key in existing.keys() - wanted.keys():
                if not key.startswith(STUB_JOB_PREFIX):
                    self._remove(key)
        return added

    def _refresh_calendar(self) -> list[int]:
        """The years of operator data taken now (none if a file is bad: logged, the calendar unchanged)."""
        try:
            taken = self.calendar.refresh() if hasattr(self.calendar, "refresh") else []
        except CalendarDataError as exc:
            log.error("operator calendar file not taken: %s", exc)
            return []
        if taken:
            escalation.clear_plans()
            log.info("calendar: took operator data for %s", taken)
        return taken

    def schedule_stub_handovers(self, stored: dict) -> dict[str, CronTrigger]:
        """One cron job per region whose process sets ``stubHandover``; a changed schedule replaces the
        job, a region that dropped it loses it. A bad value is logged and skipped (deploy refuses it).
        ``stored``: the store's job ids (``stored_run_times``)."""
        with self.session_factory() as session:
            try:
                wanted = {f"{STUB_JOB_PREFIX}{region}": (region, CronTrigger(timezone=CHINA_ZONE, **fields))
                          for region, fields in stubs.schedules(session).items()}
            except stubs.ScheduleError as exc:
                log.error("stub hand-over schedule skipped: %s", exc)
                return {}
        existing = {key for key in stored if key.startswith(STUB_JOB_PREFIX)}
        for key, (region, trigger) in wanted.items():
            job = self.scheduler.get_job(key, jobstore="default") if key in existing else None
            if job is None or str(job.trigger) != str(trigger):
                self.scheduler.add_job(STUB_JOB_FUNCTION, trigger, args=[region, self.registry], id=key,
                                       replace_existing=True, jobstore="default")
        for key in existing - wanted.keys():
            self._remove(key)
        return {key: trigger for key, (_, trigger) in wanted.items()}

    def _remove(self, key: str) -> None:
        try:
            self.scheduler.remove_job(key, jobstore="default")
        except Exception:  # JobLookupError: already ran or removed
            pass

    # -- engine listener ----------------------------------------------------------------------
    def after_commit(self, ctx, changes) -> None:
        if not self.active.is_set():
            return  # the active scheduler's reconcile picks the change up
        for task in changes.closed:
            for level in escalation.EscalationLevel:
                self._remove(f"{escalation.task_subject(task.id)}|{level.value}")
        for task in changes.opened:
            for firing in escalation.task_plan(self.calendar, task):
                self._schedule(firing)
        case_ids = {t.case_id for t in changes.opened + changes.closed}
        for case_id in case_ids:
            self._reschedule_case(ctx.session.get(Case, case_id))

    def _reschedule_case(self, case) -> None:
        subject = escalation.case_subject(case.id)
        for level in escalation.EscalationLevel:
            self._remove(f"{subject}|{level.value}")
        if case.status not in ("review", "in_progress"):
            return
        props = (case.definition_id and self._definition_props(case.definition_id)) or {}
        for firing in escalation.case_plan(self.calendar, case, props):
            self._schedule(firing)

    def _definition_props(self, definition_id: str) -> dict:
        with self.session_factory() as session:
            definition = session.get(Definition, definition_id)
            return dict(definition.properties) if definition else {}
