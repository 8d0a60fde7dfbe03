"""Rows a statement sent (as JSON or as a Core row) become the session's loaded objects, as the ORM's own
load makes them: persistent, nothing to read again, nothing to write until changed; then written."""
import pytest
from sqlalchemy import inspect, select, update
from sqlalchemy.orm import scoped_session

from engine.states import TaskState
from engine.store import json_rows
from engine.store.db import make_session_factory
from engine.store.models import Case, Task
from tests.engine.helpers import open_tasks, start_case, statements_during


def _rows_of(ctx, case_id) -> list[dict]:
    """The case's task rows as a Core read gives them (column name -> Python value)."""
    return [dict(row._mapping) for row in ctx.session.execute(select(Task.__table__).where(Task.case_id == case_id))]


def test_attached_rows_are_loaded_objects_that_write_what_changes(ctx):
    case = start_case(ctx, ["birth_certificate"])
    [review] = open_tasks(ctx, case.id)
    rows = _rows_of(ctx, case.id)
    ctx.session.expunge_all()  # as a request's new session: nothing held
    [task] = json_rows.attach(ctx.session, Task, rows, typed=True)
    state = inspect(task)
    assert state.persistent and state.key == inspect(Task).identity_key_from_primary_key([review.id])
    assert ctx.session.get(Task, review.id) is task  # in the identity map: no second object, no read
    assert not ctx.session.dirty and not ctx.session.new
    assert statements_during(ctx, lambda: (task.state, task.candidate_groups, task.created_at)) == []
    assert (task.state, task.candidate_groups) == (review.state, review.candidate_groups)
    task.assignee = "clerk"
    assert task in ctx.session.dirty
    ctx.session.commit()
    ctx.session.expunge_all()
    assert ctx.session.get(Task, review.id).assignee == "clerk"


def test_a_held_object_takes_the_rows_values_and_a_rollback_forgets_them(ctx):
    case = start_case(ctx, ["birth_certificate"])
    [review] = open_tasks(ctx, case.id)
    rows = [{**row, "state": TaskState.CLAIMED.value} for row in _rows_of(ctx, case.id)]
    [task] = json_rows.attach(ctx.session, Task, rows, typed=True)
    assert task is review and task.state == TaskState.CLAIMED.value and not ctx.session.dirty
    ctx.session.rollback()  # what the rows said was never the database's: read again
    assert task.state == TaskState.READY.value


def test_rows_attach_to_the_session_behind_a_scoped_session(ctx, clean_db):
    case = start_case(ctx, ["birth_certificate"])
    rows = _rows_of(ctx, case.id)
    scoped = scoped_session(make_session_factory(clean_db))
    try:
        [task] = json_rows.attach(scoped, Task, rows, typed=True)
        assert task in scoped() and inspect(task).session is scoped()
    finally:
        scoped.remove()


def test_a_row_may_leave_out_deferred_columns_which_are_read_when_asked_for(ctx):
    """A step whose workflow the process holds reads its case without the state (deferred): a held
    case's state is then read again when asked for, never taken from what the session held before."""
    case = start_case(ctx, ["birth_certificate"])
    row = dict(ctx.session.execute(select(*[c for c in Case.__table__.c if c.key != "state"])
                                   .where(Case.id == case.id)).one()._mapping)
    stored = case.state
    ctx.session.execute(update(Case).where(Case.id == case.id).values(state="{}"))  # another step's save
    [held] = json_rows.attach(ctx.session, Case, [row], typed=True)
    assert held is case and statements_during(ctx, lambda: held.state) != [] and held.state == "{}"
    ctx.session.rollback()
    ctx.session.expunge_all()
    [fresh] = json_rows.attach(ctx.session, Case, [row], typed=True)
    assert "state" not in inspect(fresh).dict and fresh.state == stored  # read now, from the database
    with pytest.raises(ValueError, match="region"):
        json_rows.attach(ctx.session, Case, [{k: v for k, v in row.items() if k != "region"}], typed=True)


def test_a_built_object_is_written_whole_as_a_constructed_one_would_be(ctx):
    """``built`` places the values without attribute events: added, the object is new like ``Task(...)``,
    its unset columns take their defaults when written, and it reads back as given."""
    case = start_case(ctx, ["birth_certificate"])
    [review] = open_tasks(ctx, case.id)
    values = {name: getattr(review, name) for name in ("case_id", "definition_id", "region", "bpmn_id", "kind",
                                                         "candidate_groups", "state", "created_at")}
    values["id"] = "built-task"
    task = json_rows.built(Task, **values)
    assert inspect(task).transient and task.name is None and task.state == review.state
    ctx.session.add(task)
    assert task in ctx.session.new
    ctx.session.commit()
    ctx.session.expunge_all()
    read = ctx.session.get(Task, "built-task")
    assert read is not task and read.case_id == case.id and read.candidate_groups == review.candidate_groups
    assert (read.name, read.attempts, read.properties, read.due_fallback) == ("", 0, {}, False)  # defaults
