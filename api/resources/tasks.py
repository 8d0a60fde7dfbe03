from flask import abort, jsonify
from sqlalchemy import String, cast, func, literal, select, text

from api.auth import actor_of, current_actor, login_required
from api.extensions import Blueprint, db
from api.schemas import TaskComplete, TaskDelegate, TaskOut, TaskPage, TaskQuery
from api.services import engine_context
from api.views import applicant_summary, task_row
from engine import (
    Case, ELicence, may_see_task, NotFound, OPEN_TASK_STATES, Role, spec_cache, Task, TaskCandidate,
    TaskKind, tasks as engine_tasks, TaskState, timeline, User, visible_tasks
)

blp = Blueprint("tasks", __name__, url_prefix="/api/v1/tasks", description="办事员任务")

SORTS = {"due_at": Task.due_at.asc(), "-due_at": Task.due_at.desc(),
         "created_at": Task.created_at.asc(), "-created_at": Task.created_at.desc()}
# Counting stops at this many tasks (or one past the page asked for, if deeper): an exact count of a
# region's 35,000 open tasks costs more than the page itself, and "at least 1000" tells a clerk as much.
TOTAL_CAP = 1000


def _scoped(stmt, actor, open_only: bool, by_keys: bool = False):
    """Clerks see their groups' open work and their own past work; supervisors their region (engine.scope)."""
    if not actor.is_admin and actor.role not in (Role.SUPERVISOR, Role.CLERK):
        abort(403, description="您的角色无权查看任务")
    return stmt.where(visible_tasks(actor, open_only, by_keys))


def _filtered(query, actor, now, by_keys: bool = False):
    state = query.get("state", "open")
    stmt = _scoped(select(Task), actor, open_only=state in ("open", *OPEN_TASK_STATES), by_keys=by_keys)
    if state == "open":
        stmt = stmt.where(Task.state.in_(OPEN_TASK_STATES))
    elif state != "all":
        stmt = stmt.where(Task.state == state)
    stmt = stmt.where(Task.kind == query.get("kind", TaskKind.USER.value))
    if query.get("mine"):
        stmt = stmt.where(Task.assignee == actor.username)
    if query.get("claimable"):
        stmt = stmt.where(Task.state == TaskState.READY.value, Task.assignee.is_(None))
    group = query.get("group") or query.get("department")
    if group and state in ("open", *OPEN_TASK_STATES):
        stmt = stmt.where(Task.id.in_(select(TaskCandidate.task_id).where(TaskCandidate.group == group)))
    elif group:  # finished work has no candidate rows; history queries are rare and may scan
        stmt = stmt.where(cast(Task.candidate_groups, String).like(f'%"{group}"%'))
    for name, column in (("region", Task.region), ("institution", Task.institution), ("case", Task.case_id)):
        if query.get(name):
            stmt = stmt.where(column == query[name])
    if query.get("overdue"):
        stmt = stmt.where(Task.due_at < now, Task.state.in_(OPEN_TASK_STATES))
    if query.get("due_before"):
        stmt = stmt.where(Task.due_at < query["due_before"].replace(tzinfo=None))
    return stmt


def _on_postgresql() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def _keys_apply(query) -> bool:
    """The open-work keys index open user tasks, on PostgreSQL alone (SQLite lists by candidate rows)."""
    return (_on_postgresql() and query.get("kind", TaskKind.USER.value) == TaskKind.USER.value
            and query.get("state", "open") in ("open", *OPEN_TASK_STATES))


def _no_parallel_workers() -> None:
    """A page reads tens of rows: starting PostgreSQL's parallel workers costs more (≈ 10 ms here) than
    they save, yet the planner, unsure how soon a group's tasks turn up in due order, asks for them."""
    if _on_postgresql():
        db.session.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))  # this transaction only


def _count_upto(stmt, limit: int) -> int:
    """min(count, limit): the tasks are counted, never more than ``limit`` of them read."""
    found = stmt.with_only_columns(literal(1), maintain_column_froms=True).limit(limit)
    return db.session.scalar(select(func.count()).select_from(found.subquery()))


# the three values a list row shows of the applicant (applicant_summary), read from the form in SQL
APPLICANT_FIELDS = (Case.form["mother"]["name"].as_string(), Case.form["mother"]["id_number"].as_string(),
                    Case.form["newborn"]["name"].as_string())


def _applicants(case_ids) -> dict:
    """Masked applicant of each case: one primary-key lookup for the page, never a join over the scope."""
    case_ids = set(case_ids)
    if not case_ids:
        return {}
    # the three values the summary shows, not each whole form (decoding those was a tenth of the request)
    rows = db.session.execute(select(Case.id, *APPLICANT_FIELDS).where(Case.id.in_(case_ids))).all()
    return {case_id: applicant_summary({"mother": {"name": mother, "id_number": mother_id},
                                        "newborn": {"name": newborn}})
            for case_id, mother, mother_id, newborn in rows}


@blp.route("")
@blp.arguments(TaskQuery, location="query")
@blp.response(200, TaskPage)
@login_required(Role.CLERK, Role.SUPERVISOR, Role.ADMIN)
def list_tasks(query):
    """Tasks the caller may see, filtered, sorted and paginated; ID numbers masked.

    ``total`` is exact unless ``total_capped``: then counting stopped at ``total`` and there are at least
    that many. It stops at TOTAL_CAP, or one past the page asked for if that lies deeper, so a capped
    total still exceeds the page's end: ``page * per_page < total`` tells a next page either way."""
    actor, now = current_actor(), engine_context().now()
    page, per_page, by_keys = query["page"], query["per_page"], _keys_apply(query)
    _no_parallel_workers()
    bound = max(TOTAL_CAP, page * per_page + 1)
    stmt = _filtered(query, actor, now, by_keys)
    counted = _count_upto(stmt, bound)
    capped = counted >= bound
    if by_keys and capped:
        # a small scope is found whole by the keys and sorted; a large one is read in due order from
        # the region's index until the page is full, each task checked against its candidate rows
        stmt = _filtered(query, actor, now, by_keys=False)
    # the id last: tasks opened in one second share both times, and pages must not repeat or skip one
    tasks = db.session.scalars(stmt.order_by(SORTS[query.get("sort", "due_at")], Task.created_at, Task.id)
                               .offset((page - 1) * per_page).limit(per_page)).all()
    applicants = _applicants(t.case_id for t in tasks)
    # the rows are built as TaskOut's fields already (its times as the JSON provider writes them):
    # dumping a page through marshmallow again cost a third of the request (bench/NOTES.md); the
    # schema still documents the response, and a test holds the two equal
    return jsonify({"items": [{**task_row(t, now), "applicant": applicants.get(t.case_id)} for t in tasks],
                    "total": counted, "total_capped": capped, "page": page, "per_page": per_page})


def _visible_task(task_id) -> Task:
    task = db.session.get(Task, task_id)
    if task is None:
        raise NotFound("任务不存在", field="task_id")
    if not may_see_task(current_actor(), task):
        abort(403, description="该任务不属于您的部门或地区")
    return task


@blp.route("/<task_id>")
@blp.response(200)
@login_required(Role.CLERK, Role.SUPERVISOR, Role.ADMIN)
def get_task(task_id):
    """The task, its form, the case data it may see and the e-licences it needs."""
    actor, task = current_actor(), _visible_task(task_id)
    ctx = engine_context()
    case = db.session.get(Case, task.case_id)
    definition = spec_cache.version(db.session, task.definition_id)
    activity = definition.activities.get(task.bpmn_id, {})
    licences = db.session.scalars(select(ELicence).where(ELicence.case_id == case.id)).all()
    full = actor.role == Role.CLERK or actor.is_admin
    if full:
        timeline.audit(ctx, actor.username, "task_read_case", case.id, task.id)
        db.session.commit()
    return {**task_row(task, ctx.now()),
            "form": {"key": task.form_key, "fields": activity.get("form_fields", [])},
            "case": {"id": case.id, "status": case.status, "items": case.items, "facts": case.facts,
                     "deadline": case.deadline, "form": case.form if full else None,
                     "applicant": applicant_summary(case.form)},
            "elicences": [{"kind": lic.kind, "number": lic.number, "issued_by": lic.issued_by,
                           "issued_at": lic.issued_at} for lic in licences]}


def _task_response(task):
    return {**task_row(task, engine_context().now())}


@blp.route("/<task_id>/claim", methods=["POST"])
@blp.response(200, TaskOut)
@login_required(Role.CLERK, Role.ADMIN)
def claim(task_id):
    return _task_response(engine_tasks.claim(engine_context(), current_actor(), task_id))


@blp.route("/<task_id>/unclaim", methods=["POST"])
@blp.response(200, TaskOut)
@login_required(Role.CLERK, Role.ADMIN)
def unclaim(task_id):
    return _task_response(engine_tasks.unclaim(engine_context(), current_actor(), task_id))


@blp.route("/<task_id>/complete", methods=["POST"])
@blp.arguments(TaskComplete)
@blp.response(200, TaskOut)
@login_required(Role.CLERK, Role.ADMIN)
def complete(body, task_id):
    """Complete with data validated against the task's form; a delegate's completion resolves it."""
    return _task_response(engine_tasks.complete(engine_context(), current_actor(), task_id, body["data"]))


def _actor_named(username):
    user = db.session.scalars(select(User).where(User.username == username)).first()
    return actor_of(user) if user else None


@blp.route("/<task_id>/delegate", methods=["POST"])
@blp.arguments(TaskDelegate)
@blp.response(200, TaskOut)
@login_required(Role.CLERK, Role.ADMIN)
def delegate(body, task_id):
    return _task_response(engine_tasks.delegate(engine_context(), current_actor(), task_id, body["user"],
                                                _actor_named(body["user"])))


@blp.route("/<task_id>/assign", methods=["POST"])
@blp.arguments(TaskDelegate)
@blp.response(200, TaskOut)
@login_required(Role.ADMIN)
def assign(body, task_id):
    return _task_response(engine_tasks.assign(engine_context(), current_actor(), task_id, body["user"],
                                              _actor_named(body["user"])))
