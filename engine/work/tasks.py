"""Clerks' work on user tasks: claim, unclaim, complete, delegate, assign."""
from functools import cache

from sqlalchemy import JSON, bindparam, insert, literal, select, update
from sqlalchemy.orm.attributes import set_committed_value

from engine.work import cases, runtime
from engine.notify import timeline
from engine.scope import Actor, BOUND_WORK_SCOPE, may_work_task, require, work_scope_values
from engine.errors import Conflict, Invalid, InvalidTransition, NotFound, Problem
from engine.definitions import DeployedVersion, spec_cache
from engine.store import json_rows
from engine.store.models import AuditEntry, CaseEvent, Task
from engine.store.transaction import autocommit_connection
from engine.states import Decision, Delegation, FormKey, Role, TaskKind, TaskState
from forms.fields import listed


def get_task(ctx, task_id: str, fresh: bool = False) -> Task:
    task = ctx.session.get(Task, task_id, populate_existing=fresh)
    if task is None:
        raise NotFound("任务不存在", field="task_id")
    return task


def _user_task(ctx, actor: Actor, task_id: str) -> Task:
    return _check_user_task(actor, get_task(ctx, task_id))


def _check_user_task(actor: Actor, task: Task) -> Task:
    if task.kind != TaskKind.USER.value:
        raise InvalidTransition("服务任务由部门系统处理", field="task_id")
    require(actor.is_admin or may_work_task(actor, task), "该任务不属于您的部门或地区")
    return task


ROW = Task.__table__.c  # Core columns: the guarded UPDATEs below skip the ORM's bulk-update machinery
# What must still hold for a task row to move (of two racers one wins); ``holder`` is bound per call.
GUARDS = {
    "ready": (ROW.state == TaskState.READY.value,),
    "unclaimed": (ROW.state == TaskState.READY.value, ROW.assignee.is_(None)),
    "claimed_by": (ROW.state == TaskState.CLAIMED.value, ROW.assignee == bindparam("holder")),
}


@cache
def _guarded_statement(guard: str, columns: tuple[str, ...]):
    """``UPDATE tasks SET columns WHERE id = :task_id AND GUARDS[guard]``, built once per shape: building a
    statement and its cache key costs more than the database's work (bench/NOTES.md)."""
    return (update(Task.__table__).where(ROW.id == bindparam("task_id"), *GUARDS[guard])
            .values({name: bindparam(f"set_{name}") for name in columns}))


def guarded_update(ctx, task: Task, guard: str, values: dict, holder: str | None = None) -> bool:
    """Set ``values`` on the task's row only while ``GUARDS[guard]`` holds; True if this call won.

    A Core statement (the ORM's bulk UPDATE with its in-session synchronisation costs as much as the
    database's work): the loaded row takes ``values`` as committed, so no second UPDATE follows."""
    params = {"task_id": task.id, "holder": holder, **{f"set_{name}": value for name, value in values.items()}}
    won = ctx.session.execute(_guarded_statement(guard, tuple(values)), params).rowcount
    if won:
        for key, value in values.items():
            set_committed_value(task, key, value)
    return bool(won)


def _transition(ctx, actor: Actor, task: Task, guard: str, values: dict, event: str, refused: str,
                holder: str | None = None) -> Task:
    """Move the row only while ``guard`` holds (a conditional UPDATE: of two racers one wins)."""
    if not guarded_update(ctx, task, guard, values, holder):
        ctx.session.rollback()
        raise Conflict(refused, field="task_id")
    timeline.record(ctx, task.case_id, event, actor.username, task.id)
    timeline.audit(ctx, actor.username, event, task.case_id, task.id)
    ctx.session.commit()
    return get_task(ctx, task.id)


# a claim moves the row and reads it back in one Core statement (the ORM's UPDATE … RETURNING of an
# entity costs more than the database's work), within the actor's scope (bound: built once)
CLAIM = (update(Task.__table__).where(ROW.id == bindparam("task_id"), ROW.kind == TaskKind.USER.value,
                                      *GUARDS["unclaimed"], BOUND_WORK_SCOPE)
         .values(state=TaskState.CLAIMED.value, assignee=bindparam("assignee"), claimed_at=bindparam("at"))
         .returning(*ROW))


def _recorded(table, **values):
    """An INSERT of one row of ``table`` per claimed row, in the claim's statement (PostgreSQL)."""
    claimed = _CLAIMED.c
    values = {"case_id": claimed.case_id, "at": bindparam("at"), "task_id": claimed.id, "detail": literal({}, JSON),
              **values}
    return insert(table).from_select(list(values), select(*values.values())).cte(f"{table.name}_added")


# PostgreSQL: the claim, its timeline event and its audit entry in one statement, run in autocommit:
# one round trip instead of four (BEGIN, the UPDATE, the queued rows, COMMIT)
_CLAIMED = CLAIM.cte("claimed")
CLAIM_RECORDED = select(_CLAIMED).add_cte(
    _recorded(CaseEvent.__table__, kind=literal("task_claimed"), actor=bindparam("assignee")),
    _recorded(AuditEntry.__table__, action=literal("task_claimed"), actor=bindparam("assignee")))


def claim(ctx, actor: Actor, task_id: str) -> Task:
    """Claim a ready user task in the actor's scope: one guarded ``UPDATE … RETURNING`` (of two racers
    one wins). A claim it did not move reads the task to say why: missing (404), a service task or out of
    scope (403), or taken already (409)."""
    params = {"task_id": task_id, "assignee": actor.username, "at": ctx.now(), **work_scope_values(actor)}
    if ctx.session.get_bind().dialect.name == "postgresql":
        row = autocommit_connection(ctx.session).execute(CLAIM_RECORDED, params).first()
    else:
        row = ctx.session.execute(CLAIM, params).first()
        if row is not None:
            timeline.record(ctx, row.case_id, "task_claimed", actor.username, task_id)
            timeline.audit(ctx, actor.username, "task_claimed", row.case_id, task_id)
    if row is None:
        ctx.session.rollback()
        _user_task(ctx, actor, task_id)
        raise Conflict("任务已被他人认领或已完成", field="task_id")
    [task] = json_rows.attach(ctx.session, Task, [row._mapping], typed=True)
    ctx.session.commit()
    return task


def unclaim(ctx, actor: Actor, task_id: str) -> Task:
    task = _user_task(ctx, actor, task_id)
    holder = task.assignee if actor.is_admin else actor.username
    return _transition(ctx, actor, task, "claimed_by",
                       {"state": TaskState.READY.value, "assignee": None, "claimed_at": None, "owner": None,
                        "delegation": None}, "task_unclaimed", "只能释放自己认领的任务", holder)


def complete(ctx, actor: Actor, task_id: str, data: dict) -> Task:
    case, open_rows, items = cases.step_of_task(ctx, task_id)  # the case locked, its open tasks as they are now
    task = open_rows.get(task_id) or get_task(ctx, task_id, fresh=True)
    _check_user_task(actor, task)
    if task.state != TaskState.CLAIMED.value or task.assignee != actor.username:
        raise Conflict("任务须由认领人完成（或已被完成）", field="task_id")
    definition = spec_cache.version(ctx.session, task.definition_id)
    if task.delegation != Delegation.PENDING:  # the owner completes with what the delegate resolved
        data = {**task.properties.get("resolved_data", {}), **data}
    check_form(definition.activities.get(task.bpmn_id, {}), data, task.form_key)
    if task.delegation == Delegation.PENDING:
        return _resolve_delegation(ctx, actor, task, case, data)
    return finish(ctx, actor.username, task, case, definition, data, "claimed_by", actor.username,
                  open_rows=open_rows, items=items, locked=True)


def finish(ctx, username: str, task: Task, case, definition: DeployedVersion, data: dict, still_open: str,
           holder: str | None = None, open_rows: dict | None = None, items: dict | None = None,
           locked: bool = False) -> Task:
    """Close the row, run the BPMN task, commit. ``locked``: the caller read the row under its lock
    (``cases.step_of_task``) and found ``GUARDS[still_open]`` holding, so the step's own write closes
    it; else a conditional UPDATE closes it first, only while the guard holds (one completion wins)."""
    closed = {"state": TaskState.COMPLETED.value, "completed_at": ctx.now(), "completed_by": username}
    if locked:
        for key, value in closed.items():
            setattr(task, key, value)
    elif not guarded_update(ctx, task, still_open, closed, holder):
        ctx.session.rollback()
        raise Conflict("任务已被完成", field="task_id")

    def act(_workflow, spiff_task):
        spiff_task.data.update(data)
        spiff_task.run()

    timeline.audit(ctx, username, "task_completed", case.id, task.id, {"fields": sorted(data)})
    runtime.run_step(ctx, case, definition, task, act, username,
                     detail={"name": task.name, "decision": data.get("decision")},
                     before_save=lambda: cases.on_user_task_completed(ctx, case, task.form_key, data),
                     open_rows=open_rows, items=items)
    return task


def check_form(activity: dict, data: dict, form_key: str | None = None) -> None:
    """Every problem of the submitted task data at once: required, choices, types, decision needs."""
    problems = []
    for field in activity.get("form_fields", []):
        value, where, label = data.get(field["id"]), f"data.{field['id']}", field["label"]
        if value in (None, "", []):
            if field.get("required"):
                problems.append(Problem(where, "required", f"请填写「{label}」"))
            continue
        options = [o["id"] for o in field.get("options", [])]
        if options and value not in options:
            problems.append(Problem(where, "invalid_choice", f"「{label}」须为 {'/'.join(options)} 之一"))
        elif not _type_ok(field.get("type"), value):
            problems.append(Problem(where, "invalid_type", f"「{label}」的值类型不正确"))
    if form_key == FormKey.ACCEPTANCE_REVIEW:
        problems += _review_problems(data)
    if problems:
        raise Invalid("任务表单有误", problems)


def _type_ok(kind: str | None, value) -> bool:
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "long":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "string":
        return isinstance(value, str) or (isinstance(value, list) and all(isinstance(v, str) for v in value))
    if kind == "date":
        return isinstance(value, str) and len(value) >= 10 and value[4] == "-"
    return True


def _review_problems(data: dict) -> list[Problem]:
    decision = data.get("decision")
    if decision == Decision.CORRECT and not listed(data.get("materials")):
        return [Problem("data.materials", "required", "补正须一次性列明全部需补正的材料")]
    if decision == Decision.REFUSE and not (listed(data.get("reasons")) or data.get("refusal_reason")):
        return [Problem("data.refusal_reason", "required", "不予受理须写明理由")]
    return []


def delegate(ctx, actor: Actor, task_id: str, to_username: str, delegate_actor: Actor | None) -> Task:
    """Hand the claimed task to a clerk who may work it; its owner (who gets it back once the delegate
    completes) stays whoever delegated first. Commits; Conflict unless the caller holds it."""
    task = _user_task(ctx, actor, task_id)
    if task.state != TaskState.CLAIMED.value or task.assignee != actor.username:
        raise Conflict("只能委托自己认领的任务", field="task_id")
    if delegate_actor is None or not may_work_task(delegate_actor, task):
        raise Invalid("委托对象须为同一部门的办事员", [Problem("user", "invalid_delegate", "委托对象须为同一部门的办事员")])
    # a delegate passing the work on keeps the original owner: the task resolves back to them
    pending = task.delegation == Delegation.PENDING
    owner = task.owner if pending and task.owner else actor.username
    task.owner = owner
    task.assignee = to_username
    task.delegation = Delegation.PENDING.value
    timeline.record(ctx, task.case_id, "task_delegated", actor.username, task_id,
                    {"to": to_username})
    timeline.audit(ctx, actor.username, "task_delegated", task.case_id, task_id, {"to": to_username})
    ctx.session.commit()
    return task


def _resolve_delegation(ctx, actor, task, case, data) -> Task:
    """The delegate's completion resolves the task back to its owner, as in Camunda."""
    task.properties = {**task.properties, "resolved_data": data}
    task.assignee = task.owner
    task.delegation = Delegation.RESOLVED.value
    timeline.record(ctx, case.id, "task_resolved", actor.username, task.id, {"owner": task.owner})
    timeline.audit(ctx, actor.username, "task_resolved", case.id, task.id, {"owner": task.owner})
    ctx.session.commit()
    return task


def assign(ctx, actor: Actor, task_id: str, username: str, assignee_actor: Actor | None) -> Task:
    require(actor.role == Role.ADMIN, "只有管理员可以指派任务")
    task = get_task(ctx, task_id)
    if not TaskState(task.state).is_open or task.kind != TaskKind.USER.value:
        raise InvalidTransition("任务不可指派", field="task_id")
    if assignee_actor is None or not may_work_task(assignee_actor, task):
        raise Invalid("被指派人须为该任务部门的办事员", [Problem("user", "invalid_assignee", "被指派人须为该任务部门的办事员")])
    task.assignee, task.state, task.claimed_at = username, TaskState.CLAIMED.value, ctx.now()
    timeline.record(ctx, task.case_id, "task_assigned", actor.username, task_id,
                    {"to": username})
    timeline.audit(ctx, actor.username, "task_assigned", task.case_id, task_id, {"to": username})
    ctx.session.commit()
    return task
