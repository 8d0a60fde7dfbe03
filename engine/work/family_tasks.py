"""The family's own BPMN tasks (candidate group ``applicant``), e.g. 四川 postage by QR, 河北 户口页 upload.

补正 (form key ``supplement``) is not one of them: it re-runs the form checks through
``engine.work.supplements``. While a family task is open the promise clock stands still, as in 补正
(``engine.work.runtime`` pauses and resumes it when the step mirrors the task).
"""
from sqlalchemy import select

from engine.work import cases
from engine.scope import Actor, require
from engine.errors import Forbidden, InvalidTransition, NotFound
from engine.definitions import spec_cache
from engine.store.models import Task
from engine.states import FAMILY_GROUP, FormKey, OPEN_TASK_STATES, Role, TaskKind, TaskState
from engine.work.tasks import check_form, finish

def is_family_task(task: Task) -> bool:
    """A user task offered to the family's group (``FAMILY_GROUP``)."""
    return task.kind == TaskKind.USER.value and FAMILY_GROUP in (task.candidate_groups or [])


def open_family_tasks(ctx, case_id: str) -> list[Task]:
    """The case's open family tasks, oldest first (reads only)."""
    rows = ctx.session.scalars(select(Task).where(
        Task.case_id == case_id, Task.kind == TaskKind.USER.value, Task.state.in_(OPEN_TASK_STATES))
        .order_by(Task.created_at)).all()
    return [t for t in rows if is_family_task(t)]


def complete(ctx, actor: Actor, case_id: str, task_id: str, data: dict) -> Task:
    """The case's applicant completes a family task with data checked against the task's form."""
    case = cases.get_case(ctx, case_id, for_update=True)
    require(actor.is_admin or (actor.role == Role.FAMILY and case.applicant_id == actor.user_id),
            "只有申请人本人可以办理")
    task = ctx.session.get(Task, task_id)
    if task is None or task.case_id != case.id:
        raise NotFound("任务不存在", field="task_id")
    ctx.session.refresh(task)
    if not is_family_task(task):
        raise Forbidden("该任务由部门办理，不是申请人的任务")
    if task.form_key == FormKey.SUPPLEMENT:
        raise InvalidTransition("补正请通过 /cases/{id}/supplement 提交", field="task_id")
    if task.state != TaskState.READY.value:
        raise InvalidTransition("该任务已办理", field="task_id")
    definition = spec_cache.version(ctx.session, task.definition_id)
    check_form(definition.activities.get(task.bpmn_id, {}), data)
    return finish(ctx, actor.username, task, case, definition, data, "ready")
