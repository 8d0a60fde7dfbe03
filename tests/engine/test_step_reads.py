"""A step on a task starts by locking its case and reading the case's open tasks and items as they are
once it holds the lock (``cases.step_of_task``): on PostgreSQL one statement, which reads again what a
step committed while it waited."""
import threading
import time

import pytest
from sqlalchemy import func, select, text, update

from engine.definitions import spec_cache
from engine.errors import Conflict
from engine.notify import timeline
from engine.scope import Actor
from engine.states import ItemStatus, Role, TaskKind, TaskState
from engine.store.db import make_session_factory
from engine.store.models import Case, CaseEvent, CaseItem, Task
from engine.work import cases, external, tasks
from tests.engine.helpers import (
    REGION, engine_context, on_postgres, open_tasks, start_accepted_case, start_case, statements_during,
)



def test_a_workers_step_reads_case_tasks_and_items_in_one_statement(ctx):
    """Seed 002 (钦北): "将相关材料分类推送至各部门" — after acceptance the departments' tasks are open; a
    worker's step on one of them reads them all, and the items, with the case's lock."""
    case = start_accepted_case(ctx)
    service = [t for t in open_tasks(ctx, case.id) if t.kind == TaskKind.SERVICE.value]
    ctx.session.expunge_all()  # what the step holds comes from its own read
    read = {}
    sent = statements_during(ctx, lambda: read.update(step=cases.step_of_task(ctx, service[0].id)))
    locked, open_rows, items = read["step"]
    assert locked.id == case.id and set(open_rows) == {t.id for t in open_tasks(ctx, case.id)}
    if on_postgres(ctx):
        assert len(sent) == 1 and "FOR NO KEY UPDATE" in sent[0]
        expected = {i.item: i.status for i in ctx.session.scalars(select(CaseItem).where(CaseItem.case_id == case.id))}
        assert {code: item.status for code, item in items.items()} == expected
        task = open_rows[service[0].id]
        assert task.created_at == service[0].created_at and task.candidate_groups == service[0].candidate_groups
        assert task in ctx.session and not ctx.session.dirty  # loaded rows: nothing to write
    ctx.session.rollback()


def test_a_step_that_waited_for_the_lock_reads_what_the_other_step_committed(clean_db, clock):
    """Two steps on one case: the second waits for the first's lock. Its statement's snapshot predates
    the first's commit, so the tasks and items it saw are read again: a task the first closed is not
    among the second's open tasks, and the first's change to another task shows."""
    first, second = engine_context(clean_db, clock), engine_context(clean_db, clock)
    try:
        case = start_accepted_case(first)
        a, b, c = [t for t in open_tasks(first, case.id) if t.kind == TaskKind.SERVICE.value][:3]
        first.session.expunge_all()
        _, held_rows, _ = cases.step_of_task(first, a.id)  # holds the case's lock
        held_rows[b.id].state = TaskState.CANCELLED.value
        held_rows[c.id].error_message = "第一步写的"
        first.session.get(Case, case.id).outcome_reason = "第一步"  # every step writes its case row

        result, sent = {}, []

        def waiting_step():
            sent.extend(statements_during(second, lambda: result.update(read=cases.step_of_task(second, a.id))))

        thread = threading.Thread(target=waiting_step)
        thread.start()
        if on_postgres(first):
            _until_waiting_for_a_lock(first)
        else:
            time.sleep(0.3)  # SQLite: the second waits for the write lock (busy_timeout)
        first.session.commit()
        thread.join(timeout=30)

        _, open_rows, items = result["read"]
        assert b.id not in open_rows and a.id in open_rows and open_rows[c.id].error_message == "第一步写的"
        if on_postgres(first):
            assert items is None and len(sent) == 2  # the lock's statement, then the tasks read again
        second.session.rollback()
    finally:
        first.session.close()
        second.session.close()


def _until_waiting_for_a_lock(ctx, seconds=10.0) -> None:
    probe = make_session_factory(ctx.session.get_bind())()
    try:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            waiting = probe.scalar(text(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"))
            probe.rollback()
            if waiting:
                return
            time.sleep(0.02)
        raise AssertionError("the second step never waited for the case's lock")
    finally:
        probe.close()


def test_a_worker_completes_with_the_rows_the_one_statement_read(ctx):
    """The rows read as JSON are the session's own: the worker's complete closes its task and finishes
    its item through them (seed 002: "卫生健康局…负责出生医学证明签发")."""
    case = start_accepted_case(ctx)
    [locked] = external.fetch_and_lock(ctx, "w1", {"birth_certificate.issue": 60_000}, 1)
    ctx.session.expunge_all()
    external.complete(ctx, locked.task.id, "w1", {"elicence": {"kind": "出生医学证明", "number": "N1"}})
    ctx.session.expire_all()
    assert ctx.session.get(Task, locked.task.id).state == TaskState.COMPLETED.value
    item = ctx.session.scalars(select(CaseItem).where(CaseItem.case_id == case.id,
                                                      CaseItem.item == "birth_certificate")).one()
    assert item.status == ItemStatus.DONE.value and item.completed_at is not None


def _review_claimed_by(ctx, clerk):
    case = start_case(ctx, ["birth_certificate"])
    [review] = open_tasks(ctx, case.id)
    tasks.claim(ctx, clerk, review.id)
    return case, review


def _reviewer(ctx) -> Actor:
    case = start_case(ctx, ["birth_certificate"])
    [review] = open_tasks(ctx, case.id)
    return Actor(username="clerk-a", role=Role.CLERK, region=REGION, groups=tuple(review.candidate_groups))


def test_a_clerks_completion_sends_the_step_read_and_the_commits_write_alone(ctx):
    """Seed 002 (钦北): "实行“一窗受理、集成服务”" — the review's completion closes its row in the step's own write:
    the row was read with its lock (PostgreSQL: two statements; before, a guarded UPDATE came between)."""
    clerk = _reviewer(ctx)
    case, review = _review_claimed_by(ctx, clerk)
    spec_cache.version(ctx.session, review.definition_id)  # read once per process, not per step
    ctx.session.expunge_all()
    sent = statements_during(ctx, lambda: tasks.complete(ctx, clerk, review.id, {"decision": "accept"}))
    if on_postgres(ctx):
        assert len(sent) == 2 and "FOR NO KEY UPDATE" in sent[0] and sent[1].lstrip().startswith("WITH")
    ctx.session.expire_all()
    done = ctx.session.get(Task, review.id)
    assert (done.state, done.completed_by) == (TaskState.COMPLETED.value, "clerk-a")
    assert done.completed_at is not None and ctx.session.get(Case, case.id).accepted_at is not None


def test_a_task_unclaimed_while_its_completion_waited_is_not_completed(clean_db, clock):
    """The step reads the task with its lock; a hand-back committed while it waited is what it sees: 409,
    and the task stays ready for the next clerk, the case as it was."""
    first, second = engine_context(clean_db, clock), engine_context(clean_db, clock)
    try:
        clerk = _reviewer(first)
        case, review = _review_claimed_by(first, clerk)
        version = first.session.get(Case, case.id).row_version
        first.session.expunge_all()
        # the clerk hands it back, still uncommitted: the completion below waits for the task's row
        second.session.execute(update(Task).where(Task.id == review.id).values(
            state=TaskState.READY.value, assignee=None))
        outcome = {}

        def completing():
            try:
                tasks.complete(first, clerk, review.id, {"decision": "accept"})
                outcome["done"] = True
            except Conflict as exc:
                outcome["conflict"] = exc

        thread = threading.Thread(target=completing)
        thread.start()
        if on_postgres(first):
            _until_waiting_for_a_lock(second)
        second.session.commit()
        thread.join(timeout=30)
        assert "conflict" in outcome and "done" not in outcome
        first.session.rollback()
        first.session.expire_all()
        task = first.session.get(Task, review.id)
        assert (task.state, task.assignee) == (TaskState.READY.value, None)
        assert first.session.get(Case, case.id).row_version == version
    finally:
        first.session.close()
        second.session.close()


def test_rows_that_only_refer_to_a_case_are_not_held_up_by_its_step(clean_db, clock):
    """A step holds its case with FOR NO KEY UPDATE: another transaction's row referring to the case (a
    claim's timeline entry, an escalation) passes its foreign-key check at once."""
    first, second = engine_context(clean_db, clock), engine_context(clean_db, clock)
    if not on_postgres(first):
        pytest.skip("SQLite: a step holds the whole database's write lock")
    try:
        case = start_accepted_case(first)
        service = next(t for t in open_tasks(first, case.id) if t.kind == TaskKind.SERVICE.value)
        first.session.expunge_all()
        cases.step_of_task(first, service.id)  # holds the case (and the task)
        second.session.execute(text("SET LOCAL lock_timeout = '2s'"))
        timeline.record(second, case.id, "note", actor="supervisor")
        second.session.commit()  # a FOR UPDATE on the case would have held this until the step ended
        assert second.session.scalar(select(func.count()).select_from(CaseEvent).where(
            CaseEvent.case_id == case.id, CaseEvent.kind == "note")) == 1
    finally:
        first.session.rollback()
        first.session.close()
        second.session.close()
