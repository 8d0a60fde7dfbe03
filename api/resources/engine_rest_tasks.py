"""/engine-rest/external-task: Camunda 7's fetch-and-lock protocol, so its client libraries work."""
import time

from flask import Response, abort, current_app, request
from marshmallow import EXCLUDE, Schema, fields, validate

from api.auth import current_actor, login_required
from api.extensions import db
from api.resources.engine_rest import blp
from api.resources.engine_rest_json import (
    InvalidRequest, external_task_dto, locked_task_dto, variables_in,
)
from api.services import engine_context
from engine import Case, external, may_serve_topic, NotFound, Role, served_by, served_tasks, serves_region

MAX_LONG_POLL_MS = 60_000
POLL_INTERVAL_S = 0.1


class _Body(Schema):
    class Meta:
        unknown = EXCLUDE  # Camunda clients send fields we do not use (sorting, processVariables, …)


class TopicIn(_Body):
    topicName = fields.String(required=True)
    lockDuration = fields.Integer(required=True, validate=validate.Range(min=1))
    variables = fields.List(fields.String(), allow_none=True, load_default=None)
    localVariables = fields.Boolean(load_default=False)
    deserializeValues = fields.Boolean(load_default=False)
    includeExtensionProperties = fields.Boolean(load_default=False)


class FetchAndLockIn(_Body):
    workerId = fields.String(required=True)
    maxTasks = fields.Integer(load_default=1, validate=validate.Range(min=0, max=1000))
    usePriority = fields.Boolean(load_default=False, allow_none=True)
    asyncResponseTimeout = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=0))
    topics = fields.List(fields.Nested(TopicIn), required=True)


class CompleteIn(_Body):
    workerId = fields.String(required=True)
    variables = fields.Dict(allow_none=True, load_default=None)
    localVariables = fields.Dict(allow_none=True, load_default=None)


class FailureIn(_Body):
    workerId = fields.String(required=True)
    errorMessage = fields.String(allow_none=True, load_default=None)
    errorDetails = fields.String(allow_none=True, load_default=None)
    retries = fields.Integer(allow_none=True, load_default=None)
    retryTimeout = fields.Integer(allow_none=True, load_default=None)


class BpmnErrorIn(_Body):
    workerId = fields.String(required=True)
    errorCode = fields.String(required=True)
    errorMessage = fields.String(allow_none=True, load_default=None)
    variables = fields.Dict(allow_none=True, load_default=None)


class ExtendLockIn(_Body):
    workerId = fields.String(required=True)
    newDuration = fields.Integer(required=True, validate=validate.Range(min=1))


def _allowed_topics() -> set[str] | None:
    """A worker account serves its own topics (its groups); an admin serves every topic."""
    actor = current_actor()
    return None if actor.is_admin else set(actor.groups)


def _check_topics(topics) -> None:
    actor = current_actor()
    refused = sorted(t for t in set(topics) if not may_serve_topic(actor, t))
    if refused:
        abort(403, description=f"工作者 {actor.username} 无权处理主题 {', '.join(refused)}")


def _served_task(task_id: str):
    """The task if this worker may serve it (``_check_served``)."""
    task = external.get_task(engine_context(), task_id)
    _check_served(task)
    return task


def _check_served(task) -> None:
    """Another topic is 403, another region's task 404 (a worker bound to regions never learns other
    regions' tasks exist) — engine.scope.may_serve_task. Steps run it on the row they lock and read."""
    if not serves_region(current_actor(), task.region):
        raise NotFound("外部任务不存在", field="id")
    _check_topics([task.topic])


def _no_content() -> Response:
    return Response(status=204)


@blp.route("/external-task/fetchAndLock", methods=["POST"])
@blp.arguments(FetchAndLockIn)
@login_required(Role.WORKER, Role.ADMIN)
def fetch_and_lock(body):
    """Lock up to ``maxTasks`` tasks of the topics; with ``asyncResponseTimeout`` wait for work (long polling).

    The wait polls the database between short sleeps and holds no transaction while sleeping.
    """
    topics = {t["topicName"]: t for t in body["topics"]}
    _check_topics(topics)
    wait_ms = min(body["asyncResponseTimeout"] or 0, MAX_LONG_POLL_MS)
    # a waiting request holds one of the process's threads: only so many may wait at once, the others
    # answer at once (with what there is) so clerks' requests never queue behind idle workers
    slots = current_app.extensions["newborn"].long_poll_slots
    waiting = wait_ms > 0 and slots.acquire(blocking=False)
    deadline = time.monotonic() + (wait_ms / 1000 if waiting else 0)
    try:
        while True:
            locked = []
            if body["maxTasks"] and topics:
                locked = external.fetch_and_lock(engine_context(), body["workerId"],
                                                 {name: t["lockDuration"] for name, t in topics.items()},
                                                 body["maxTasks"], served_by(current_actor()))
            if locked or time.monotonic() >= deadline:
                return [locked_task_dto(lt, topics[lt.task.topic]["variables"],
                                        topics[lt.task.topic]["includeExtensionProperties"]) for lt in locked]
            db.session.close()
            time.sleep(min(POLL_INTERVAL_S, max(deadline - time.monotonic(), 0)))
    finally:
        if waiting:
            slots.release()



@blp.route("/external-task/<task_id>/complete", methods=["POST"])
@blp.arguments(CompleteIn)
@login_required(Role.WORKER, Role.ADMIN)
def complete(body, task_id):
    """204; a lock held by another worker or lapsed and taken again answers 409 and changes nothing."""
    values = {**variables_in(body["variables"]), **variables_in(body["localVariables"])}
    external.complete(engine_context(), task_id, body["workerId"], values, authorise=_check_served)
    return _no_content()


@blp.route("/external-task/<task_id>/failure", methods=["POST"])
@blp.arguments(FailureIn)
@login_required(Role.WORKER, Role.ADMIN)
def failure(body, task_id):
    """204; ``retries`` left after this failure (0 raises an incident), ``retryTimeout`` ms before the next try."""
    _served_task(task_id)
    external.handle_failure(engine_context(), task_id, body["workerId"], body["errorMessage"] or "",
                            body["errorDetails"], body["retries"], body["retryTimeout"])
    return _no_content()


@blp.route("/external-task/<task_id>/bpmnError", methods=["POST"])
@blp.arguments(BpmnErrorIn)
@login_required(Role.WORKER, Role.ADMIN)
def bpmn_error(body, task_id):
    """204; the diagram's error boundary for ``errorCode`` takes over."""
    external.bpmn_error(engine_context(), task_id, body["workerId"], body["errorCode"],
                        body["errorMessage"] or "", variables_in(body["variables"]), authorise=_check_served)
    return _no_content()


@blp.route("/external-task/<task_id>/extendLock", methods=["POST"])
@blp.arguments(ExtendLockIn)
@login_required(Role.WORKER, Role.ADMIN)
def extend_lock(body, task_id):
    _served_task(task_id)
    external.extend_lock(engine_context(), task_id, body["workerId"], body["newDuration"])
    return _no_content()


@blp.route("/external-task/<task_id>/unlock", methods=["POST"])
@login_required(Role.WORKER, Role.ADMIN)
def unlock(task_id):
    _served_task(task_id)
    external.unlock(engine_context(), task_id)
    return _no_content()


@blp.route("/external-task/<task_id>")
@login_required(Role.WORKER, Role.ADMIN)
def get_task(task_id):
    task = _served_task(task_id)
    return external_task_dto(task, db.session.get(Case, task.case_id))


@blp.route("/external-task")
@login_required(Role.WORKER, Role.ADMIN)
def list_tasks():
    """Open external tasks; filters ``topicName``, ``processInstanceId``, ``workerId``, ``locked``, ``notLocked``."""
    args, allowed = request.args, _allowed_topics()
    topics = [args["topicName"]] if args.get("topicName") else None
    if allowed is not None:
        topics = [t for t in (topics or allowed) if t in allowed]
    locked = True if args.get("locked") == "true" else False if args.get("notLocked") == "true" else None
    try:
        limit = min(int(args.get("maxResults", 200)), 1000)
    except ValueError:
        raise InvalidRequest("maxResults 须为整数") from None
    rows = external.list_tasks(engine_context(), topics, args.get("processInstanceId"), args.get("workerId"),
                               locked, limit, served_tasks(current_actor()))
    return [external_task_dto(t, db.session.get(Case, t.case_id)) for t in rows]
