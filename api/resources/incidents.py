"""Incidents: external tasks whose retries ran out; supervisors of the region list and retry them."""
from flask import request
from marshmallow import EXCLUDE, Schema, fields, validate

from api.auth import current_actor, login_required
from api.extensions import Blueprint, db
from api.services import engine_context
from engine import external, Incident, may_supervise, NotFound, Role, supervised_region, Task, timeline

blp = Blueprint("incidents", __name__, url_prefix="/api/v1/supervision", description="外部任务事件（incident）")


class RetryIn(Schema):
    class Meta:
        unknown = EXCLUDE

    retries = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100))


def incident_row(incident: Incident) -> dict:
    task = db.session.get(Task, incident.task_id) if incident.task_id else None
    return {"id": incident.id, "case_id": incident.case_id, "task_id": incident.task_id or None,
            "region": incident.region, "topic": incident.topic, "task_name": task.name if task else None,
            "item": task.item if task else None, "error": incident.error,
            "error_details": task.error_details if task else None, "attempts": incident.attempts,
            "created_at": incident.created_at, "resolved_at": incident.resolved_at,
            "retryable": bool(task and incident.resolved_at is None)}


def _region_scope() -> str | None:
    """The supervisor's region; the admin's ``?region=`` or every region (engine.scope)."""
    return supervised_region(current_actor(), request.args.get("region"))


@blp.route("/incidents")
@blp.response(200)
@login_required(Role.SUPERVISOR, Role.ADMIN)
def list_incidents():
    """Open incidents of the supervisor's region (admin: every region); ``?all=true`` adds resolved ones."""
    rows = external.open_incidents(engine_context(), _region_scope(), request.args.get("all") == "true")
    return {"items": [incident_row(i) for i in rows], "total": len(rows)}


@blp.route("/incidents/<int:incident_id>/retry", methods=["POST"])
@blp.response(200)
@blp.arguments(RetryIn)
@login_required(Role.SUPERVISOR, Role.ADMIN)
def retry_incident(body, incident_id):
    """Give the task ``retries`` more attempts; workers pick it up again at once."""
    incident = db.session.get(Incident, incident_id)
    if incident is None or not may_supervise(current_actor(), incident.region):
        raise NotFound("事件不存在", field="id")
    ctx = engine_context()
    external.retry_incident(ctx, incident_id, body["retries"])
    timeline.audit(ctx, current_actor().username, "incident_retried", incident.case_id, incident.task_id,
                   {"incident": incident_id})
    db.session.commit()
    return incident_row(incident)
