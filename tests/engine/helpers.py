"""A Qinbei case driven through the engine directly on a virtual clock (no HTTP)."""
import re
from pathlib import Path

from sqlalchemy import event, inspect, select, text

from engine.work import cases, external, tasks
from engine.scope import Actor
from engine.context import EngineContext
from engine.store.db import make_engine, make_session_factory
from engine.definitions import deploy
from engine.store.models import Task
from engine.simulation.departments import SimulatedDepartment
from engine.simulation.replay import DEFAULT_FACTS, serve_simulated
from engine.states import OPEN_TASK_STATES, Role, TaskKind

ROOT = Path(__file__).resolve().parents[2]
REGION = "gx-qinzhou-qinbei"
ADMIN = Actor(username="admin", role=Role.ADMIN)


def clear_scheduler_jobs(database_url) -> None:
    """APScheduler's job table outlives the per-test cleanup of our own tables."""
    engine = make_engine(database_url)
    with engine.begin() as conn:
        if inspect(conn).has_table("apscheduler_jobs"):
            conn.execute(text("DELETE FROM apscheduler_jobs"))
    engine.dispose()


def engine_context(database_url, clock, calendar=None):
    from engine.deadlines.calendar import default_calendar
    session = make_session_factory(database_url)()
    return EngineContext(session=session, clock=clock, calendar=calendar or default_calendar())


def on_postgres(ctx) -> bool:
    return ctx.session.get_bind().dialect.name == "postgresql"


def deploy_qinbei(ctx) -> None:
    deploy(ctx.session, (ROOT / "bpmn" / REGION / "process.bpmn").read_bytes(), ctx.now(), region=REGION)
    ctx.session.commit()


def start_case(ctx, items, phone=None):
    """A Qinbei case filed with ``items``, waiting for its acceptance review (the definition deployed)."""
    deploy_qinbei(ctx)
    facts = {**DEFAULT_FACTS, "items": items, "maternity_chosen": False}
    return cases.start_case(ctx, REGION, items, {"mother": {"name": "李四"}}, facts, phone=phone)


def start_accepted_case(ctx, items=None, phone=None):
    items = items or ["birth_certificate", "vaccination_certificate", "hukou_registration",
                      "social_security_card", "medical_insurance", "parenting_guidance"]
    case = start_case(ctx, items, phone)
    [review] = open_tasks(ctx, case.id)
    tasks.claim(ctx, ADMIN, review.id)
    tasks.complete(ctx, ADMIN, review.id, {"decision": "accept"})
    return case


def statements_during(ctx, action, pattern: str = "") -> list[str]:
    """The SQL the session's engine sends while ``action()`` runs: those matching ``pattern`` (a regex
    searched in each statement)."""
    return [statement for statement, _ in sent_during(ctx, action) if re.search(pattern, statement)]


def sent_during(ctx, action) -> list[tuple[str, bool]]:
    """Each statement the session's engine sends while ``action()`` runs, and whether its connection was
    in autocommit (the statement its own transaction: no BEGIN or COMMIT round trip around it)."""
    engine, seen = ctx.session.get_bind(), []

    def record(conn, cursor, statement, *args):
        seen.append((statement, bool(getattr(conn.connection.dbapi_connection, "autocommit", False))))

    event.listen(engine, "before_cursor_execute", record)
    try:
        action()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return seen


def open_tasks(ctx, case_id):
    return ctx.session.scalars(select(Task).where(Task.case_id == case_id, Task.state.in_(OPEN_TASK_STATES))
                               .order_by(Task.created_at, Task.id)).all()


def run_service_tasks(ctx, case_id, keep_open=()):
    """Complete every waiting service task except those whose bpmn id is in ``keep_open``."""
    while True:
        waiting = [t for t in open_tasks(ctx, case_id)
                   if t.kind == TaskKind.SERVICE.value and t.bpmn_id not in keep_open]
        if not waiting:
            return
        for task in waiting:
            complete_service_task(ctx, task)


def complete_service_task(ctx, task):
    [locked] = [lk for lk in external.fetch_and_lock(ctx, "test", {task.topic: 60_000}, 50) if lk.task.id == task.id]
    serve_simulated(ctx, SimulatedDepartment(), locked, "test")
