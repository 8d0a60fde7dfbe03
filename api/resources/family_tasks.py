"""The family's own tasks on a case (candidate group ``applicant``): list them, complete one."""

from api.auth import current_actor, login_required
from api.extensions import Blueprint, db
from api.resources.cases import readable_case
from api.schemas import TaskComplete
from api.services import engine_context
from engine import family_tasks, is_promise, Role, spec_cache

blp = Blueprint("family_tasks", __name__, url_prefix="/api/v1/cases", description="申请人待办（扫码付邮费、上传户口页）")


def _task_out(task) -> dict:
    definition = spec_cache.version(db.session, task.definition_id)
    activity = definition.activities.get(task.bpmn_id, {})
    return {"id": task.id, "case_id": task.case_id, "name": task.name, "bpmn_id": task.bpmn_id,
            "form_key": task.form_key, "item": task.item, "state": task.state,
            "due_at": task.due_at if is_promise(task.deadline_kind) else None,
            "created_at": task.created_at, "completed_at": task.completed_at,
            "form": {"key": task.form_key, "fields": activity.get("form_fields", [])}}


@blp.route("/<case_id>/family-tasks")
@blp.response(200)
@login_required(Role.FAMILY, Role.ADMIN)
def list_family_tasks(case_id):
    """Open tasks the applicant must do (补正 is answered through ``/supplement``)."""
    case = readable_case(case_id)
    return {"items": [_task_out(t) for t in family_tasks.open_family_tasks(engine_context(), case.id)]}


@blp.route("/<case_id>/family-tasks/<task_id>/complete", methods=["POST"])
@blp.arguments(TaskComplete)
@blp.response(200)
@login_required(Role.FAMILY, Role.ADMIN)
def complete_family_task(body, case_id, task_id):
    """Complete one applicant task with data checked against its form; the process moves on."""
    case = readable_case(case_id)
    task = family_tasks.complete(engine_context(), current_actor(), case.id, task_id, body["data"])
    return _task_out(task)
