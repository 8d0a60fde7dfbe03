"""A month of cases on a virtual clock: the same engine and escalation code, simulated departments.

Each virtual day: cases arrive at 09:00; on working days every department completes up to its
capacity of waiting tasks (acceptance reviews are accepted; service tasks are completed through
``engine.work.external`` with the answers of the simulated departments (``departments``), which fail at
``failure_rate`` and retry by the one retry policy until they become incidents); at 23:59:59 ``escalation.fire_due`` fires what has come due, and the day is
counted per department: open, overdue, escalated.
"""
import gc
import tempfile
from collections import Counter, defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from pathlib import Path

from sqlalchemy import case as when, event, func, select

from engine.work import cases, external, tasks
from engine.deadlines import escalation
from engine.scope import Actor
from engine.deadlines.calendar import WorkingCalendar, default_calendar
from engine.deadlines.clock import VirtualClock
from engine.context import EngineContext
from engine.store.db import make_engine, make_session_factory, upgrade
from engine.definitions import deploy, latest_for_region
from engine.errors import AdapterError, BpmnError, EngineError
from engine.store.models import Escalation, Task
from engine.states import Decision, FormKey, OPEN_TASK_STATES, Role, TaskKind, TaskState
from engine.store.workflow_cache import workflow_cache
from engine.simulation.departments import SimulatedDepartment
from engine.work.retries import plan_for

ROOT = Path(__file__).resolve().parents[2]
WORKER = "simulation"
SIMULATOR = Actor(username="simulation", role=Role.ADMIN)
DEFAULT_FACTS = {"newborn_named": True, "ethnicity_differs": False, "applicant_is_mother": True,
                 "card_chosen": True, "maternity_chosen": True, "delivery_by_post": False,
                 "hukou_follows": "father", "father_collects": False, "marriage_licence_on_record": True}
CASE_ROW = "case"  # the department column of case-level (whole promise) escalations
# what ``escalation.department_of`` reads: a row of these columns stands in for the Task
DEPARTMENT_COLUMNS = (Task.department, Task.kind, Task.candidate_groups, Task.lane)


@dataclass
class SimulationConfig:
    region: str = "gx-qinzhou-qinbei"
    cases: int = 1000
    days: int = 30
    capacity: dict = field(default_factory=dict)  # department -> tasks per working day
    default_capacity: int = 10_000
    failure_rate: float = 0.0
    seed: int = 1
    start: datetime = datetime(2025, 9, 29)
    database_url: str | None = None  # default: a temporary SQLite file
    bpmn_root: Path = ROOT / "bpmn"
    facts: dict = field(default_factory=lambda: dict(DEFAULT_FACTS))


@dataclass
class DayRow:
    day: str
    department: str
    open: int
    overdue: int
    escalated: int  # escalation rows fired that day


@dataclass
class SimulationResult:
    rows: list[DayRow]
    database_url: str
    started: int
    fired_by_level: Counter
    steps: int = 0  # committed engine steps: case starts and task completions (run_step)


class StepCounter:
    """An engine listener (``EngineContext.listeners``): called once per committed step."""

    def __init__(self):
        self.steps = 0

    def after_commit(self, _ctx, _changes) -> None:
        self.steps += 1


def _fast_sqlite(dbapi_connection, _record) -> None:
    # a throwaway database: no fsync (the production pragmas ask for one at every WAL checkpoint).
    # Measured: an in-memory database is no faster than this (1,000 cases: 45.7 s vs 44.3 s).
    dbapi_connection.execute("PRAGMA synchronous=OFF")


def open_database(url: str):
    """The migrated database to replay on (SQLite without fsync)."""
    upgrade(url)
    engine = make_engine(url)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _fast_sqlite)
    return engine


@contextmanager
def batch_gc():
    """The replay allocates millions of short-lived objects (workflow states, rows) and keeps the
    deployed specs for good: freeze what is loaded so far out of the collector's way and collect
    the young generation less often (1,000 cases: about 4 % less CPU, 150 -> 260 MB).
    Restored afterwards (tests run it in their own process)."""
    thresholds = gc.get_threshold()
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


class Simulation:
    def __init__(self, config: SimulationConfig, calendar: WorkingCalendar | None = None, progress=None):
        self.config = config
        self.progress = progress or (lambda done, total: None)
        self.calendar = calendar or default_calendar()
        self.url = config.database_url or f"sqlite:///{tempfile.mkdtemp(prefix='simulation-')}/simulation.db"
        self.clock = VirtualClock(datetime.combine(config.start.date(), time(9)))
        self.department = SimulatedDepartment(failure_rate=config.failure_rate, seed=config.seed)
        self.counter = StepCounter()
        self._departments: dict = {}  # (definition id, bpmn id) -> department: fixed by the activity

    def run(self) -> SimulationResult:
        engine = open_database(self.url)
        factory = make_session_factory(engine)
        rows = []
        started = 0
        fired = Counter()
        with batch_gc(), workflow_cache.at_least(self.config.cases), factory() as session:
            ctx = EngineContext(session=session, clock=self.clock, calendar=self.calendar,
                                listeners=[self.counter])
            self._deploy(session)
            for index in range(self.config.days):
                day = self.config.start.date() + timedelta(days=index)
                started += self._arrivals(ctx, day, index)
                if self.calendar.is_working_day(day)[0]:
                    self._work(ctx, day)
                self.clock.set(datetime.combine(day, time(23, 59, 59)))
                today = escalation.fire_due(session, self.clock, self.calendar)
                fired.update(row.level for row in today)
                rows += self._count(session, day, today)
                self.progress(index + 1, self.config.days)
        engine.dispose()
        return SimulationResult(rows, self.url, started, fired, self.counter.steps)

    def _deploy(self, session) -> None:
        path = self.config.bpmn_root / self.config.region / "process.bpmn"
        deploy(session, path.read_bytes(), self.clock.now(), filename=path.name, region=self.config.region,
               deployment_name=self.config.region, source="simulation")
        session.commit()
        definition = latest_for_region(session, self.config.region)
        self.items = [i.strip() for i in definition.properties.get("items", "").split(",") if i.strip()]

    def _arrivals(self, ctx, day, index: int) -> int:
        total = self.config.cases
        days = self.config.days
        count = total * (index + 1) // days - total * index // days  # spread evenly, every case once
        self.clock.set(datetime.combine(day, time(9)))
        for number in range(count):
            facts = {**self.config.facts, "items": self.items}
            cases.start_case(ctx, self.config.region, self.items, {"simulated": True}, facts,
                             business_key=f"SIM-{day:%Y%m%d}-{number:04d}", phone="13800000000")
        return count

    def _work(self, ctx, day) -> None:
        self.clock.set(datetime.combine(day, time(10)))
        used: Counter = Counter()
        while True:
            waiting = self._waiting(ctx, used)
            if not waiting:
                return
            by_department = defaultdict(list)
            for department, task in waiting:
                used[department] += 1
                by_department[department].append(task)
            for department_tasks in by_department.values():
                self._handle_batch(ctx, department_tasks)
            self.clock.advance(seconds=30)  # lets retry back-offs lapse within the day

    def _department(self, session, definition_id: str, bpmn_id: str) -> str | None:
        """``escalation.department_of`` of an activity's tasks (kind, lane, groups come from the diagram)."""
        key = (definition_id, bpmn_id)
        if key not in self._departments:
            sample = session.execute(select(*DEPARTMENT_COLUMNS).where(
                Task.definition_id == definition_id, Task.bpmn_id == bpmn_id).limit(1)).one()
            self._departments[key] = escalation.department_of(sample)
        return self._departments[key]

    def _waiting(self, ctx, used: Counter) -> list:
        """(department, row) of the ready tasks each department still has room for today, oldest first.
        Only the columns the round needs: every round reads every ready task."""
        rows = ctx.session.execute(
            select(Task.id, Task.kind, Task.topic, Task.definition_id, Task.bpmn_id).where(
                Task.state == TaskState.READY.value,
                (Task.form_key.is_(None)) | (Task.form_key != FormKey.SUPPLEMENT.value),  # the family's, not a department's
                (Task.retry_at.is_(None)) | (Task.retry_at <= self.clock.now()))
            .order_by(Task.created_at, Task.id)).all()
        chosen = []
        room = {}
        for task in rows:
            dept = self._department(ctx.session, task.definition_id, task.bpmn_id)
            room.setdefault(dept, self.config.capacity.get(dept, self.config.default_capacity) - used[dept])
            if room[dept] > 0:
                room[dept] -= 1
                chosen.append((dept, task))
        return chosen

    def _handle_batch(self, ctx, batch: list) -> None:
        """A department's share of the round: clerk reviews, then one fetch-and-lock for its service tasks."""
        for task in batch:
            if task.kind == TaskKind.USER.value:
                self._guarded(ctx, self._review, task.id)
        service = [t for t in batch if t.kind == TaskKind.SERVICE.value]
        if service:
            topics = {t.topic: 60_000 for t in service}
            for locked in external.fetch_and_lock(ctx, WORKER, topics, len(service)):
                self._guarded(ctx, self._serve, locked)

    def _review(self, ctx, task_id: str) -> None:
        tasks.claim(ctx, SIMULATOR, task_id)
        tasks.complete(ctx, SIMULATOR, task_id, {"decision": Decision.ACCEPT.value})

    def _serve(self, ctx, locked) -> None:
        serve_simulated(ctx, self.department, locked, WORKER)

    @staticmethod
    def _guarded(ctx, action, arg) -> None:
        try:
            action(ctx, arg)
        except EngineError:
            ctx.session.rollback()

    def _count(self, session, day, fired_today: list) -> list[DayRow]:
        """Open and overdue tasks per department: one aggregate query, grouped by activity."""
        overdue = when((Task.due_at.is_not(None) & (Task.limit_working_days > 0)
                        & (Task.due_at <= self.clock.now()), 1), else_=0)
        open_count = Counter()
        overdue_count = Counter()
        for definition_id, bpmn_id, form_key, number, late in session.execute(
                select(Task.definition_id, Task.bpmn_id, Task.form_key, func.count(), func.sum(overdue))
                .where(Task.state.in_(OPEN_TASK_STATES))
                .group_by(Task.definition_id, Task.bpmn_id, Task.form_key)):
            if form_key == FormKey.SUPPLEMENT:
                continue
            dept = self._department(session, definition_id, bpmn_id)
            open_count[dept] += number
            overdue_count[dept] += int(late or 0)
        session.commit()  # ends the read transaction
        escalated = Counter(row.department or CASE_ROW for row in fired_today)
        departments = sorted(set(open_count) | set(escalated) | set(self.config.capacity))
        return [DayRow(day.isoformat(), d, open_count[d], overdue_count[d], escalated[d]) for d in departments]


def serve_simulated(ctx, department: SimulatedDepartment, locked, worker_id: str) -> None:
    """One locked service task answered by the simulated department: completed, failed by the retry
    policy, or ended by a BPMN error. Commits (each answer is one engine step or one failure)."""
    task = locked.task
    key = f"{task.case_id}:{task.bpmn_id}"  # the workers' idempotency key: the case and the step
    try:
        result = department.call(task.topic, locked.variables, key)
    except AdapterError as exc:
        plan = plan_for(task)
        external.handle_failure(ctx, task.id, worker_id, str(exc), None, plan.retries_left, plan.backoff_ms)
        return
    except BpmnError as exc:
        external.bpmn_error(ctx, task.id, worker_id, exc.code, exc.message, exc.variables)
        return
    external.complete(ctx, task.id, worker_id, result)


def escalation_counts(database_url: str) -> Counter:
    """Escalation rows per department (``case`` for whole-case promises), to check a forecast."""
    engine = make_engine(database_url)
    with make_session_factory(engine)() as session:
        counts = Counter(d or CASE_ROW for d in session.scalars(select(Escalation.department)))
    engine.dispose()
    return counts


def totals(rows: list[DayRow]) -> dict:
    escalated = defaultdict(int)
    for row in rows:
        escalated[row.department] += row.escalated
    return dict(escalated)
