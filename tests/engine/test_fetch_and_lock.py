"""The locking statement is built once per shape and bound per call: each call's own topics, lock
durations, worker and scope must still decide what is locked (Camunda 7's fetchAndLock semantics)."""
from datetime import timedelta

from engine.scope import Served
from engine.states import TaskKind, TaskState
from engine.work import external
from tests.engine.helpers import engine_context, open_tasks, start_accepted_case


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
