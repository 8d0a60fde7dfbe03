"""When work is late: 黄灯 (warning), 红灯 (overdue), then department and region escalation.

The plan of a subject (an open task with its own limit, or an open case with a promise) is
computed from its row every time, so the rows are the truth and timers are only hints:
``fire`` is idempotent (one ``Escalation`` row per subject and level, guarded by a unique
constraint) and checks that the moment has come and the subject is still open.

Times (naive China time): warning at the end of the working day ``warningWorkingDays``
before the due day; overdue at ``due_at``; level 1 at the end of the working day
``escalationLevel1WorkingDays`` after the due day; level 2 ``escalationLevel2WorkingDays``
working days after level 1. A case paused in 补正 does not escalate.

``pending`` finds the firings not yet written. Without ``since`` it reads every open subject due up to
the limit plus ``LOOKAHEAD`` (a full scan). With ``since`` (the previous pass's limit) it reads only the
subjects that can have a firing in (since, limit]: due in ``window(...)``, i.e. from ``after`` working days
before ``since`` (the latest level 2) to ``before`` working days after the limit (the earliest warning), the
numbers of working days being the largest any deployed definition sets (``reach``). Subjects whose firing
fell behind ``since`` unseen (a resumed case long overdue, a deadline moved earlier by a recompute in another
process, firings missed while no scheduler ran) are outside that window: only a full scan finds them.
"""
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from functools import lru_cache

from sqlalchemy import bindparam, case as sql_case, func, literal, select
from sqlalchemy.exc import IntegrityError

from engine.notify import timeline
from engine.store.models import Case, Definition, Escalation, Task
from engine.deadlines.sla import END_OF_DAY
from engine.states import CaseStatus, EscalationLevel, OPEN_TASK_STATES

DEFAULTS = {"warningWorkingDays": 1, "escalationLevel1WorkingDays": 1, "escalationLevel2WorkingDays": 2}
LOOKAHEAD = timedelta(days=40)  # no warning is set further ahead of its due time than this
LEVEL_LABELS = {EscalationLevel.WARNING: "黄灯预警", EscalationLevel.OVERDUE: "红灯超期",
                EscalationLevel.LEVEL1: "一级督办（部门负责人）", EscalationLevel.LEVEL2: "二级督办（区级监察）"}
_session_factories: dict = {}  # set by the scheduler at start: job functions take only ids


@dataclass(frozen=True)
class Firing:
    subject: str
    level: EscalationLevel
    at: datetime


def settings(props: dict) -> tuple[int, int, int]:
    return tuple(int((props or {}).get(k, d)) for k, d in DEFAULTS.items())


@lru_cache(maxsize=4096)
def _plan(calendar, due_at: datetime, warning: int, level1: int, level2: int) -> tuple:
    due_day = due_at.date()
    warn_day = calendar.subtract_working_days(due_day, warning).date if warning else None
    l1_day = calendar.add_working_days(due_day, level1).date
    l2_day = calendar.add_working_days(l1_day, level2).date
    times = [(EscalationLevel.OVERDUE, due_at.replace(microsecond=0)),
             (EscalationLevel.LEVEL1, datetime.combine(l1_day, END_OF_DAY)),
             (EscalationLevel.LEVEL2, datetime.combine(l2_day, END_OF_DAY))]
    if warn_day:
        times.insert(0, (EscalationLevel.WARNING, datetime.combine(warn_day, END_OF_DAY)))
    return tuple(times)


def clear_plans() -> None:
    """Forget cached plans: the calendar learnt a year (engine/deadlines/recompute.py)."""
    _plan.cache_clear()


def task_subject(task_id: str) -> str:
    return f"task:{task_id}"


def case_subject(case_id: str) -> str:
    return f"case:{case_id}"


def task_plan(calendar, task) -> list[Firing]:
    """A task escalates only when it has its own limit (others are covered by the case). ``task``: a
    ``Task`` or a row with its ``id, due_at, limit_working_days, properties``."""
    if task.due_at is None or not task.limit_working_days:
        return []
    return [Firing(task_subject(task.id), level, at)
            for level, at in _plan(calendar, task.due_at, *settings(task.properties))]


def case_plan(calendar, case, definition_props: dict) -> list[Firing]:
    """``case``: a ``Case`` or a row with its ``id, deadline``."""
    if case.deadline is None:
        return []
    return [Firing(case_subject(case.id), level, at)
            for level, at in _plan(calendar, case.deadline, *settings(definition_props))]


def department_of(task) -> str | None:
    """The task's lane code (its ``department`` column, set at deploy by ``engine.bpmn.model``, the
    lane-name keywords included); else its first candidate group; else its lane's name.
    ``task`` is a ``Task`` or a row with the same attributes."""
    if task.department:
        return task.department
    if task.candidate_groups:
        return task.candidate_groups[0]
    return task.lane


def _task_open(task: Task | None) -> bool:
    return task is not None and task.state in OPEN_TASK_STATES


def _case_escalates(case: Case | None) -> bool:
    return case is not None and case.status in (CaseStatus.REVIEW.value, CaseStatus.IN_PROGRESS.value)


def fire(session, clock, calendar, subject: str, level: str) -> Escalation | None:
    """Write (and commit) the escalation if its time has come and the subject is still open."""
    kind, _, subject_id = subject.partition(":")
    level = EscalationLevel(level)
    if kind == "task":
        task = session.get(Task, subject_id)
        plan = task_plan(calendar, task) if _task_open(task) else []
        firing = next((f for f in plan if f.level == level and f.at <= clock.now()), None)
        return _write(session, clock, firing, task=task) if firing else None
    case = session.get(Case, subject_id)
    if not _case_escalates(case):
        return None
    definition = session.get(Definition, case.definition_id)
    firing = next((f for f in case_plan(calendar, case, definition.properties)
                   if f.level == level and f.at <= clock.now()), None)
    return _write(session, clock, firing, case=case) if firing else None


def _write(session, clock, firing: Firing, task: Task | None = None, case: Case | None = None):
    case = case or session.get(Case, task.case_id)
    row = Escalation(subject=firing.subject, level=firing.level.value, case_id=case.id,
                     task_id=task.id if task else None, region=case.region,
                     department=department_of(task) if task else None, item=task.item if task else None,
                     due_at=task.due_at if task else case.deadline,
                     deadline_kind=task.deadline_kind if task else case.deadline_kind, fired_at=clock.now())
    if session.scalar(select(Escalation.id).where(Escalation.subject == row.subject,
                                                  Escalation.level == row.level)):
        return None
    session.add(row)
    timeline.record(_Ctx(session, clock), case.id, f"escalation_{firing.level.value}", actor="scheduler",
                    task_id=task.id if task else None,
                    detail={"level": firing.level.value, "label": LEVEL_LABELS[firing.level],
                            "due_at": row.due_at.isoformat() if row.due_at else None,
                            "deadline_kind": row.deadline_kind, "department": row.department, "item": row.item})
    try:
        session.commit()  # each firing is its own transaction
    except IntegrityError:
        session.rollback()
        return None  # another scheduler wrote it first
    return row


@dataclass
class _Ctx:
    session: object
    clock: object

    def now(self):
        return self.clock.now()


# What a plan needs, as rows: the scan reads every open subject due soon, and ORM objects cost it twice as much
TASKS, CASES, DEFINITIONS = Task.__table__, Case.__table__, Definition.__table__
PLANNED_TASKS = select(TASKS.c.id, TASKS.c.due_at, TASKS.c.limit_working_days, TASKS.c.properties).where(
    TASKS.c.state.in_(OPEN_TASK_STATES), TASKS.c.due_at.is_not(None), TASKS.c.limit_working_days.is_not(None),
    TASKS.c.due_at <= bindparam("until"))
PLANNED_CASES = select(CASES.c.id, CASES.c.deadline, CASES.c.definition_id).where(
    CASES.c.status.in_([CaseStatus.REVIEW.value, CaseStatus.IN_PROGRESS.value]), CASES.c.deadline.is_not(None),
    CASES.c.deadline <= bindparam("until"))
DEFINITION_PROPERTIES = select(DEFINITIONS.c.id, DEFINITIONS.c.properties)  # not each one's activities
DEFINITION_ACTIVITIES = select(DEFINITIONS.c.id, DEFINITIONS.c.properties, DEFINITIONS.c.activities).where(
    DEFINITIONS.c.id.in_(bindparam("ids", expanding=True)))
LEVEL_BITS = {level: 1 << n for n, level in enumerate(EscalationLevel)}
ESCALATIONS = Escalation.__table__


def _written_levels(prefix: str, subject_id):
    """The row's subject's levels already written (``LEVEL_BITS``), one probe of the unique index each."""
    bits = sql_case({level.value: bit for level, bit in LEVEL_BITS.items()}, value=ESCALATIONS.c.level, else_=0)
    return (select(func.coalesce(func.sum(bits), 0)).where(ESCALATIONS.c.subject == literal(prefix) + subject_id)
            .scalar_subquery().label("written"))


# an incremental pass: rows due within the window (indexes ix_tasks_state_due, ix_cases_status_deadline)
# with their written levels, so it never reads the escalations of subjects it does not plan
WINDOW_TASKS = PLANNED_TASKS.add_columns(_written_levels("task:", TASKS.c.id)).where(
    TASKS.c.due_at >= bindparam("since"))
WINDOW_CASES = PLANNED_CASES.add_columns(_written_levels("case:", CASES.c.id)).where(
    CASES.c.deadline >= bindparam("since"))
_reaches: dict[str, tuple[int, int, int]] = {}  # definition id -> its largest settings; definitions never change


def reach(session, definition_ids) -> tuple[int, int]:
    """(before, after): the most working days a warning lies before its due day, and level 2 after it, over
    the definitions ``definition_ids``. A task's settings are its activity's over its process's (copied at
    creation), a case's its process's: each is bounded by the largest of the defaults, the process
    properties and every activity's. Activities are read once per definition."""
    new = [i for i in definition_ids if i not in _reaches]
    if new:
        for row in session.connection().execute(DEFINITION_ACTIVITIES, {"ids": new}):
            activities = (row.activities or {}).values()
            _reaches[row.id] = _largest([row.properties] + [a.get("properties") for a in activities])
    warning, level1, level2 = _largest([])
    for known in (_reaches[i] for i in definition_ids):
        warning, level1, level2 = max(warning, known[0]), max(level1, known[1]), max(level2, known[2])
    return warning, level1 + level2


def _largest(props_list) -> tuple[int, int, int]:
    found = [settings({})] + [settings({k: v for k, v in (props or {}).items() if k in DEFAULTS})
                              for props in props_list]
    return tuple(max(values) for values in zip(*found))


def window(calendar, since: datetime, limit: datetime, before: int, after: int) -> tuple[datetime, datetime]:
    """Due times of every subject that can have a firing in (since, limit]: level 2 lies ``after`` working days
    after the due day at most, a warning ``before`` before it. The bounds are walked through the calendar,
    so a holiday run (the Spring Festival) widens them as it widens the plans: exact, with no guessed margin.
    Proof: level 2 on ``add(due day, after)`` ≥ since's day needs due day ≥ ``subtract(since's day, after)``;
    a warning on ``subtract(due day, before)`` ≤ limit's day needs due day ≤ ``add(limit's day, before)``."""
    first = calendar.subtract_working_days(since.date(), after).date
    last = calendar.add_working_days(limit.date(), before).date
    return datetime.combine(first, time.min), datetime.combine(last, time.max)


def pending(session, calendar, now: datetime, horizon: timedelta = timedelta(0),
            since: datetime | None = None) -> list[Firing]:
    """Firings not yet written whose time is at or before ``now + horizon``. With ``since`` (the previous
    pass's ``now + horizon``): only those of subjects due within ``window`` (module docstring)."""
    limit = now + horizon
    props = dict(session.execute(DEFINITION_PROPERTIES).all())
    if since is not None:
        first, last = window(calendar, since, limit, *reach(session, props))
        return _pending_in_window(session, calendar, props, limit, {"since": first, "until": last})
    candidates = []
    connection = session.connection()
    for task in connection.execute(PLANNED_TASKS, {"until": limit + LOOKAHEAD}):
        candidates += [f for f in task_plan(calendar, task) if f.at <= limit]
    for case in connection.execute(PLANNED_CASES, {"until": limit + LOOKAHEAD}):
        candidates += [f for f in case_plan(calendar, case, props.get(case.definition_id, {})) if f.at <= limit]
    if not candidates:
        return []
    subjects = {f.subject for f in candidates}
    done = set(session.execute(select(Escalation.subject, Escalation.level)).all()) if len(subjects) > 500 else \
        set(session.execute(select(Escalation.subject, Escalation.level)
                            .where(Escalation.subject.in_(subjects))).all())
    return [f for f in candidates if (f.subject, f.level.value) not in done]


def _pending_in_window(session, calendar, props: dict, limit: datetime, bounds: dict) -> list[Firing]:
    """Firings at or before ``limit``, not yet written, of the subjects due within ``bounds`` (since, until)."""
    found, connection = [], session.connection()
    for task in connection.execute(WINDOW_TASKS, bounds):
        found += [f for f in task_plan(calendar, task) if f.at <= limit and not task.written & LEVEL_BITS[f.level]]
    for case in connection.execute(WINDOW_CASES, bounds):
        found += [f for f in case_plan(calendar, case, props.get(case.definition_id, {}))
                  if f.at <= limit and not case.written & LEVEL_BITS[f.level]]
    return found


def fire_due(session, clock, calendar) -> list[Escalation]:
    """Fire everything whose time has come (the virtual-clock driver of tests and the simulation)."""
    fired = [row for f in pending(session, calendar, clock.now())
             if (row := fire(session, clock, calendar, f.subject, f.level.value)) is not None]
    session.commit()  # ends the read transaction when nothing fired
    return fired


def register(name: str, session_factory, clock, calendar) -> None:
    _session_factories[name] = (session_factory, clock, calendar)


def registered(name: str = "default") -> tuple:
    """(session factory, clock, calendar) the active scheduler registered under ``name``."""
    return _session_factories[name]


def run_job(subject: str, level: str, registry: str = "default") -> None:
    """APScheduler job (referenced as ``engine.deadlines.escalation:run_job``): ids only, config from the registry."""
    session_factory, clock, calendar = _session_factories[registry]
    with session_factory() as session:
        fire(session, clock, calendar, subject, level)
        session.rollback()
