"""The locking statement is built once per shape and bound per call: each call's own topics, lock
durations, worker and scope must still decide what is locked (Camunda 7's fetchAndLock semantics)."""
from datetime import timedelta

import json

import pytest
from sqlalchemy import event, select, text

from engine.scope import Served
from engine.states import TaskKind, TaskState
from engine.store.models import ELicence, Task
from engine.work import external
from tests.engine.helpers import complete_service_task, engine_context, on_postgres, open_tasks, start_accepted_case


def _ready_topics(ctx, case_id) -> list[str]:
    return sorted({t.topic for t in open_tasks(ctx, case_id) if t.kind == TaskKind.SERVICE.value})


def test_each_topic_locks_for_its_own_duration(clean_db, clock):
    ctx = engine_context(clean_db, clock)
    case = start_accepted_case(ctx)
    first, second = _ready_topics(ctx, case.id)[:2]
    locked = external.fetch_and_lock(ctx, "w1", {first: 1_000, second: 90_000}, 10)
    expiry = {row.task.topic: row.task.lock_expires_at for row in locked}
    assert expiry == {first: clock.now() + timedelta(seconds=1), second: clock.now() + timedelta(seconds=90)}
    assert {row.task.lock_owner for row in locked} == {"w1"} and {row.task.attempts for row in locked} == {1}
    # the same statement shape, other values: a second worker finds nothing of those topics left to lock
    assert external.fetch_and_lock(ctx, "w2", {first: 5_000, second: 5_000}, 10) == []
    ctx.session.close()


def test_max_tasks_and_the_served_scope_are_bound_per_call(clean_db, clock):
    ctx = engine_context(clean_db, clock)
    case = start_accepted_case(ctx)
    topics = _ready_topics(ctx, case.id)
    assert len(topics) >= 3
    every = {topic: 60_000 for topic in topics}
    # a worker bound to another region, or to other topics, locks nothing; nor does a non-worker scope
    assert external.fetch_and_lock(ctx, "w", every, 10, Served(topics=tuple(topics), regions=("elsewhere",))) == []
    assert external.fetch_and_lock(ctx, "w", every, 10, Served(topics=("no.such.topic",))) == []
    assert external.fetch_and_lock(ctx, "w", every, 10, Served(topics=())) == []
    one = external.fetch_and_lock(ctx, "w", every, 1, Served(topics=(topics[0],), regions=(case.region,)))
    assert [row.task.topic for row in one] == [topics[0]]
    rest = external.fetch_and_lock(ctx, "w", every, 2)
    assert len(rest) == 2 and topics[0] not in {row.task.topic for row in rest}
    assert all(row.task.state == TaskState.LOCKED.value and row.case.id == case.id for row in one + rest)
    assert rest[0].variables["caseId"] == case.id and rest[0].variables["region"] == case.region
    ctx.session.close()


def test_each_locked_task_carries_its_own_cases_licences(clean_db, clock):
    """One query reads the locked tasks' cases with their 电子证照: a case with two licences still gives
    one case to each of its tasks and both licences, and a case with none gives ``{}``."""
    ctx = engine_context(clean_db, clock)
    issued = start_accepted_case(ctx)
    for task in [t for t in open_tasks(ctx, issued.id) if t.kind == TaskKind.SERVICE.value][:2]:
        complete_service_task(ctx, task)
    licences = {lic.kind: lic.number for lic in ctx.session.scalars(
        select(ELicence).where(ELicence.case_id == issued.id))}
    assert len(licences) == 2
    bare = start_accepted_case(ctx)
    locked = external.fetch_and_lock(ctx, "w", {t: 60_000 for t in _ready_topics(ctx, issued.id)
                                                + _ready_topics(ctx, bare.id)}, 50)
    by_case = {}
    for row in locked:
        by_case.setdefault(row.case.id, []).append(row)
    assert set(by_case) == {issued.id, bare.id}
    open_service = {c: [t.id for t in open_tasks(ctx, c) if t.kind == TaskKind.SERVICE.value]
                    for c in by_case}
    for case_id, rows in by_case.items():  # each open task once, not once per licence
        assert sorted(r.task.id for r in rows) == sorted(open_service[case_id])
    for row in by_case[issued.id]:
        assert {kind: lic["number"] for kind, lic in row.variables["elicences"].items()} == licences
    assert all(row.variables["elicences"] == {} for row in by_case[bare.id])
    ctx.session.close()


def test_a_locked_task_carries_the_forms_marriage_certificate_number_and_not_the_form(clean_db, clock):
    """Seed 002 (钦北), the 登记表's "结婚证字号": the marriage registry looks the licence up by it. A worker
    receives that number (the form's own field, else the mother's), never the family's whole form."""
    ctx = engine_context(clean_db, clock)
    numbered, mothers = start_accepted_case(ctx), start_accepted_case(ctx)
    numbered.form = {"mother": {"name": "李四", "marriage_certificate_number": "J450-1"},
                     "marriage": {"certificate_number": "J450-2"}}
    mothers.form = {"mother": {"marriage_certificate_number": "J450-3"}}
    ctx.session.commit()
    bare = start_accepted_case(ctx)
    topic = _ready_topics(ctx, numbered.id)[0]
    locked = {row.case.id: row for row in external.fetch_and_lock(ctx, "w", {topic: 60_000}, 10)}
    assert locked[numbered.id].variables["marriageCertificateNumber"] == "J450-2"
    assert locked[mothers.id].variables["marriageCertificateNumber"] == "J450-3"
    assert "marriageCertificateNumber" not in locked[bare.id].variables
    assert all("form" not in row.case._fields and "mother" not in row.variables for row in locked.values())
    ctx.session.close()


def _queue_plans(ctx, topics: list[str]) -> list[dict]:
    """PostgreSQL's plan of each locking statement fetch_and_lock sends (EXPLAIN, nothing run)."""
    sent = []

    def capture(conn, cursor, sql, params, context, executemany):
        if sql.startswith("UPDATE tasks SET state"):
            sent.append((sql, params))

    engine = ctx.session.get_bind()
    event.listen(engine, "before_cursor_execute", capture)
    try:
        external.fetch_and_lock(ctx, "w", {topic: 60_000 for topic in topics}, 5)
    finally:
        event.remove(engine, "before_cursor_execute", capture)
        ctx.session.rollback()
    with engine.connect() as conn:
        plans = [conn.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {sql}", params).scalar() for sql, params in sent]
        conn.rollback()
    return [plan if isinstance(plan, list) else json.loads(plan) for plan in plans]


def _nodes(node: dict):
    yield node
    for child in node.get("Plans", []):
        yield from _nodes(child)


def test_a_backlog_of_service_tasks_is_read_in_queue_order_not_sorted_whole(ctx):
    """Two thousand service tasks waiting (the workers behind, a department down): fetchAndLock reads
    the oldest in order from the queue's index and stops at five; it sorted every waiting task before
    (migration 0011). Checked with the database's statistics and without (a fresh database)."""
    if not on_postgres(ctx):
        pytest.skip("PostgreSQL's planner")
    case = start_accepted_case(ctx)
    topics = _ready_topics(ctx, case.id)
    copied = [c.name for c in Task.__table__.c if c.name not in ("id", "state", "created_at")]
    ctx.session.execute(text(  # each of the case's service tasks 250 times more, a second apart, later
        f"INSERT INTO tasks (id, state, created_at, {', '.join(copied)}) "
        f"SELECT gen_random_uuid()::text, 'ready', created_at + make_interval(secs => g), {', '.join(copied)} "
        "FROM tasks, generate_series(1, 250) g WHERE case_id = :case AND kind = 'service'"), {"case": case.id})
    ctx.session.commit()
    for analyzed in (False, True):
        if analyzed:
            ctx.session.execute(text("ANALYZE tasks"))
            ctx.session.commit()
        [plan] = _queue_plans(ctx, topics)
        scans = {node.get("Index Name") or node["Node Type"] for node in _nodes(plan[0]["Plan"])
                 if "Scan" in node["Node Type"] and node.get("Relation Name") == "tasks"}
        assert "ix_tasks_service_queue" in scans, (analyzed, plan)
        assert not any(node["Node Type"] == "Sort" for node in _nodes(plan[0]["Plan"])), (analyzed, plan)
    locked = external.fetch_and_lock(ctx, "w", {topic: 60_000 for topic in topics}, 5)
    assert [row.task.case_id for row in locked] == [case.id] * 5  # the oldest: the case's own tasks


def test_the_locking_statement_reads_the_same_whatever_the_topics_on_postgresql(clean_db, clock):
    """Workers list every topic they serve (thirty and more): as an IN list of one parameter each, plus a
    CASE per topic for its lock duration, the statement ran past what psycopg converts once and prepares
    (4,096 bytes, 50 parameters), and each fetch was parsed again on both sides. On PostgreSQL the lists
    are array parameters and the durations grouped: one text for two topics or all of them."""
    ctx = engine_context(clean_db, clock)
    if not on_postgres(ctx):
        pytest.skip("array parameters: PostgreSQL only (SQLite renders the IN lists)")
    case = start_accepted_case(ctx)
    topics = _ready_topics(ctx, case.id)
    sent = []
    engine = ctx.session.get_bind()
    listener = lambda conn, cursor, statement, params, context, many: sent.append((statement, params))  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        few = {topic: 60_000 for topic in topics[:2]}
        every = {**{topic: 60_000 for topic in topics}, **{f"other.topic.{n}": 60_000 for n in range(40)}}
        for asked in (few, every):
            external.fetch_and_lock(ctx, "w", asked, 0)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    (first, first_params), (second, second_params) = [s for s in sent if s[0].lstrip().startswith("UPDATE tasks")]
    assert first == second and len(first.encode()) <= 4096
    assert len(second_params) <= 50 and len(second_params["topics"]) == len(topics) + 40
    ctx.session.close()
