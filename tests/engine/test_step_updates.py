"""A step's changed rows (case, items, tasks) go in with its commit: on PostgreSQL inside the commit's one
statement, guarded by the case's row version; on SQLite through the ORM's flush. Either way a lost update
writes nothing, and the objects are left as the database holds them."""
import pytest
from sqlalchemy import event, func, inspect, select, text, update

from engine.errors import Conflict
from engine.notify import timeline
from engine.states import ItemStatus, TaskState
from engine.store.commit_writes import delete_later, insert_later
from engine.store.db import make_session_factory
from engine.store.models import Case, CaseEvent, CaseItem, Task, TaskCandidate
from engine.store.transaction import no_lost_update
from engine.work import external
from tests.engine.helpers import on_postgres, start_accepted_case, start_case, statements_during



def _locked_service_task(ctx, case) -> Task:
    [locked] = external.fetch_and_lock(ctx, "w1", {"birth_certificate.issue": 60_000}, 1)
    assert locked.task.case_id == case.id
    return locked.task


def test_a_workers_complete_writes_case_items_and_task_in_the_commits_one_statement(ctx):
    """Seed 002 (钦北): "卫生健康局…负责出生医学证明签发" — the health system's answer completes its task and,
    through the milestone, its item. On PostgreSQL the case, item and task rows change inside the commit's
    one statement: no UPDATE of their own."""
    case = start_accepted_case(ctx)
    task = _locked_service_task(ctx, case)
    version = ctx.session.scalar(select(Case.row_version).where(Case.id == case.id))
    sent = statements_during(ctx, lambda: external.complete(ctx, task.id, "w1", {
        "elicence": {"kind": "出生医学证明", "number": "N1"}}))
    own_updates = [s for s in sent if s.lstrip().upper().startswith("UPDATE")]
    one = [s for s in sent if s.lstrip().startswith("WITH")]
    if on_postgres(ctx):
        assert own_updates == [] and len(one) == 1
        assert "UPDATE cases" in one[0] and "UPDATE tasks" in one[0] and "INSERT INTO case_events" in one[0]
    else:
        assert any("UPDATE cases" in s for s in own_updates)

    fresh = make_session_factory(ctx.session.get_bind())()
    try:
        row = fresh.get(Task, task.id)
        assert (row.state, row.completed_by, row.lock_owner) == (TaskState.COMPLETED.value, "w1", None)
        stored = fresh.get(Case, case.id)
        assert stored.row_version == version + 1 == ctx.session.get(Case, case.id).row_version
        assert fresh.scalars(select(CaseItem.status).where(CaseItem.case_id == case.id,
                                                           CaseItem.item == "birth_certificate")).one() \
            == ItemStatus.DONE.value
    finally:
        fresh.close()
    assert not ctx.session.dirty  # written, and marked so: the next commit sends nothing for them
    assert statements_during(ctx, ctx.session.commit, r"UPDATE") == []


def test_an_update_lost_to_another_writer_writes_nothing_of_the_transaction(ctx):
    """Someone saved the case first: its version moved on. The commit fails whole (409): not the item,
    not the task, not the new task, not the queued timeline row."""
    case = start_accepted_case(ctx)
    loaded = ctx.session.get(Case, case.id)
    item = ctx.session.scalars(select(CaseItem).where(CaseItem.case_id == case.id,
                                                      CaseItem.item == "parenting_guidance")).one()
    task = ctx.session.scalars(select(Task).where(Task.case_id == case.id)).first()
    loaded.status, item.reason, task.error_message = "lost_status", "lost reason", "lost message"
    timeline.record(ctx, case.id, "lost_note")
    opened = Task(id="t-lost-1", case_id=case.id, definition_id=case.definition_id, region=case.region,
                  bpmn_id="extra", kind="user", state=TaskState.READY.value, created_at=ctx.now())
    ctx.session.add(opened)

    other = make_session_factory(ctx.session.get_bind())()
    try:
        other.execute(update(Case).where(Case.id == case.id).values(row_version=Case.row_version + 1))
        other.commit()
    finally:
        other.close()
    with pytest.raises(Conflict):
        with no_lost_update(ctx):
            ctx.session.commit()

    ctx.session.expire_all()
    assert ctx.session.get(Case, case.id).status != "lost_status"
    assert ctx.session.get(CaseItem, item.id).reason is None
    assert ctx.session.get(Task, task.id).error_message != "lost message"
    assert ctx.session.scalar(select(CaseEvent.id).where(CaseEvent.kind == "lost_note")) is None
    assert inspect(opened).transient  # the rollback let go of the new row, as after the ORM's own flush
    assert ctx.session.get(Task, "t-lost-1") is None


def test_values_beyond_the_fast_encoder_and_sql_expressions_are_still_written(ctx):
    """A 20-digit number in a family's form is beyond 64 bits (orjson refuses it; the standard library
    writes it), and a column set to a SQL expression needs the ORM's UPDATE: both still land."""
    case = start_accepted_case(ctx)
    loaded = ctx.session.get(Case, case.id)
    wide = 10 ** 20 + 7
    loaded.form = {**loaded.form, "留言编号": wide}
    task = ctx.session.scalars(select(Task).where(Task.case_id == case.id)).first()
    before = task.attempts
    task.attempts = Task.attempts + 2
    insert_later(ctx.session, CaseEvent, case_id=case.id, at=loaded.submitted_at, kind="with_wide", actor=None,
                 task_id=None, detail={"n": wide})
    ctx.session.commit()

    fresh = make_session_factory(ctx.session.get_bind())()
    try:
        assert fresh.get(Case, case.id).form["留言编号"] == wide
        assert fresh.scalar(select(Task.attempts).where(Task.id == task.id)) == (before or 0) + 2
        assert fresh.scalar(select(CaseEvent.detail).where(CaseEvent.kind == "with_wide")) == {"n": wide}
    finally:
        fresh.close()


def test_json_columns_keep_their_values_through_the_commits_statement(ctx):
    """Nested JSON, Chinese text, None and booleans inside JSON columns, and NULLs, read back as they were
    set. (A JSON column set to None: the ORM writes JSON null, the commit's statement SQL NULL; both read
    back as None.)"""
    case = start_accepted_case(ctx)
    loaded = ctx.session.get(Case, case.id)
    value = {"母亲": {"姓名": "王五", "证件": None, "已婚": True}, "列表": [1, 2.5, "三"]}
    loaded.facts, loaded.item_names, loaded.phone = value, None, None
    ctx.session.commit()
    fresh = make_session_factory(ctx.session.get_bind())()
    try:
        stored = fresh.get(Case, case.id)
        assert (stored.facts, stored.item_names, stored.phone) == (value, None, None)
    finally:
        fresh.close()


def test_a_steps_new_rows_go_in_the_commits_statement_as_loaded_objects(ctx, clock):
    """New task rows and their candidate rows are inserted by the commit's one statement on PostgreSQL;
    either way they are then the session's persistent objects, every column loaded (defaults included):
    reading one sends nothing."""
    case = start_accepted_case(ctx)
    task = Task(id="t-new-1", case_id=case.id, definition_id=case.definition_id, region=case.region,
                bpmn_id="extra", kind="user", state=TaskState.READY.value, created_at=clock.now(),
                due_fallback=None)  # None counts as not given, as for the ORM: the default applies
    ctx.session.add_all([task, TaskCandidate(task_id=task.id, group="health")])
    timeline.record(ctx, case.id, "extra_opened", task_id=task.id)
    sent = statements_during(ctx, ctx.session.commit)
    if on_postgres(ctx):
        assert len(sent) == 1 and "INSERT INTO tasks" in sent[0] and "INSERT INTO task_candidates" in sent[0]
    assert inspect(task).persistent and not ctx.session.new
    reads = statements_during(ctx, lambda: (task.attempts, task.candidate_groups, task.properties,
                                            task.assignee, task.due_fallback))
    assert reads == [] and (task.attempts, task.candidate_groups, task.properties, task.assignee) == (0, [], {}, None)
    assert task.due_fallback is False
    fresh = make_session_factory(ctx.session.get_bind())()
    try:
        stored = fresh.get(Task, "t-new-1")
        assert (stored.attempts, stored.candidate_groups, stored.due_fallback, stored.created_at) == \
            (0, [], False, clock.now())
        assert fresh.scalars(select(TaskCandidate.group).where(TaskCandidate.task_id == "t-new-1")).all() == ["health"]
    finally:
        fresh.close()


def test_new_rows_whose_key_the_database_gives_leave_every_new_row_to_the_orm(ctx, clock):
    """An item's id comes from the database: it and the task beside it go in by the ORM's flush (parents
    before children), still in the one commit."""
    case = start_accepted_case(ctx)
    item = CaseItem(case_id=case.id, item="extra_item", status=ItemStatus.PENDING.value)
    task = Task(id="t-new-2", case_id=case.id, definition_id=case.definition_id, region=case.region,
                bpmn_id="extra", kind="user", state=TaskState.READY.value, created_at=clock.now())
    ctx.session.add_all([item, task])
    sent = statements_during(ctx, ctx.session.commit, r"INSERT INTO (case_items|tasks)")
    assert len(sent) == 2 and all(s.lstrip().startswith("INSERT") for s in sent)
    assert item.id is not None and inspect(task).persistent


def test_a_queued_delete_goes_with_the_commit_and_not_with_a_rollback(ctx):
    """A task's candidate rows go when it closes (runtime.run_step): queued, they leave with the commit."""
    case = start_case(ctx, ["birth_certificate"])
    [offered] = [t.id for t in ctx.session.scalars(select(Task).where(Task.case_id == case.id)) if t.candidate_groups]
    column = TaskCandidate.__table__.c.task_id

    def candidates():
        return ctx.session.scalar(select(func.count()).select_from(TaskCandidate).where(column == offered))

    before = candidates()
    assert before > 0
    delete_later(ctx.session, column, [offered])
    ctx.session.rollback()
    assert candidates() == before
    delete_later(ctx.session, column, [offered])
    timeline.record(ctx, case.id, "candidates_dropped")
    ctx.session.commit()
    assert candidates() == 0


def test_the_commits_statement_finds_rows_by_key_in_a_large_table(ctx):
    """The planner takes rows from JSON for 100 and would join a whole table by hash (every case item,
    every step) unless told how few there are: the statement's updates look rows up by key."""
    if not on_postgres(ctx):
        pytest.skip("PostgreSQL's planner")
    case = start_accepted_case(ctx)
    ctx.session.execute(text("INSERT INTO case_items (case_id, item, status) SELECT :case, 'bulk' || g, 'pending' "
                             "FROM generate_series(1, 20000) g"), {"case": case.id})
    ctx.session.commit()
    ctx.session.execute(text("ANALYZE case_items"))
    item = ctx.session.scalars(select(CaseItem).where(CaseItem.case_id == case.id)).first()
    item.reason = "按键更新"
    timeline.record(ctx, case.id, "bulk_note")
    statement = []

    def explain(conn, cursor, sql, params, context, executemany):
        if sql.lstrip().startswith("WITH"):
            statement.append((sql, params))

    engine = ctx.session.get_bind()
    event.listen(engine, "before_cursor_execute", explain)
    try:
        ctx.session.commit()
    finally:
        event.remove(engine, "before_cursor_execute", explain)
    [(sql, params)] = statement
    with engine.connect() as conn:
        plan = "\n".join(conn.exec_driver_sql(f"EXPLAIN {sql}", params).scalars())
        conn.rollback()
    assert "Update on case_items" in plan and "Seq Scan on case_items" not in plan, plan
