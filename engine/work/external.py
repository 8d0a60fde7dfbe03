"""Service tasks as external tasks (Camunda 7's pattern): fetch-and-lock, complete, fail."""
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache

from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import ErrorEventDefinition
from SpiffWorkflow.bpmn.util import BpmnEvent
from sqlalchemy import ARRAY, DateTime, Row, String, any_, bindparam, case as case_when, or_, select, true, update

from engine.work import cases, runtime
from engine.work.payloads import check_worker_payload, refused_unless_caught
from engine.notify import timeline
from engine.store.commit_writes import insert_later
from engine.scope import Served
from engine.errors import Conflict, InvalidTransition, NotFound
from engine.definitions import spec_cache
from engine.store.models import Case, ELicence, Incident, Task
from engine.states import TaskKind, TaskState


@dataclass
class LockedTask:
    """A task a worker now holds. ``task`` and ``case`` are read-only rows (the task's columns; the case's
    ``id, region, business_key, items, facts`` and the form's registry numbers), not session objects: the
    worker's next call reads them again under the case lock."""
    task: Row
    case: Row
    variables: dict


TASKS, CASES, LICENCES = Task.__table__, Case.__table__, ELicence.__table__
# ``c["items"]``: ``c.items`` is the column collection's own method. Of the form (the family's whole
# application, decoded again for every licence row of the join) only the numbers registries look up by.
CASE_COLUMNS = [*(CASES.c[name] for name in ("id", "region", "business_key", "items", "facts")),
                CASES.c.form[("marriage", "certificate_number")].as_string().label("marriage_number"),
                CASES.c.form[("mother", "marriage_certificate_number")].as_string().label("mother_marriage_number")]


def fetch_and_lock(ctx, worker_id: str, topics: dict[str, int], max_tasks: int,
                   served: Served = Served()) -> list[LockedTask]:
    """Lock up to ``max_tasks`` ready (or lapsed) tasks of ``topics`` (topic -> lock ms) that ``served``
    admits (``engine.scope.served_by``: the worker's topics and regions).

    One ``UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED LIMIT n) RETURNING``: on PostgreSQL two
    workers skip each other's rows; on SQLite the statement runs under the database's write lock, so
    its sub-select sees what the other worker committed. Either way no task is locked twice.
    """
    now, by_duration = ctx.now(), {}
    for name, lock_ms in topics.items():
        by_duration.setdefault(lock_ms, []).append(name)
    params = {"now": now, "topics": list(topics), "max_tasks": max_tasks, "worker": worker_id,
              "served_topics": list(served.topics or ()), "served_regions": list(served.regions or ())}
    for i, (lock_ms, names) in enumerate(by_duration.items()):
        params[f"expires_{i}"] = now + timedelta(milliseconds=lock_ms)
        if len(by_duration) > 1:  # which topics lock for how long (one duration: the statement needs no list)
            params[f"topics_{i}"] = names
    connection = ctx.session.connection()
    arrays = connection.dialect.name == "postgresql"
    statement = _lock_statement(len(by_duration), served.topics is not None, served.regions is not None, arrays)
    locked = connection.execute(statement, params).all()
    found = _with_variables(connection, sorted(locked, key=lambda t: (t.created_at, t.id)), arrays)
    ctx.session.commit()
    return found


def _among(column, name: str, arrays: bool):
    """``column`` is one of the list bound as ``name``: on PostgreSQL one array parameter (``= ANY``), so
    the statement's text is the same whatever the list's length and psycopg converts it once and prepares
    it; elsewhere an IN list rendered per execution."""
    if arrays:
        return column == any_(bindparam(name, type_=ARRAY(String)))
    return column.in_(bindparam(name, expanding=True))


@lru_cache(maxsize=64)  # shapes seen: a handful (a worker asks for its topics); bounded all the same
def _lock_statement(durations: int, by_topic: bool, by_region: bool, arrays: bool):
    """The locking UPDATE, built once per shape: workers poll all day, and building a statement and its
    cache key costs more than the database's work (bench/NOTES.md); every value is a bound parameter.
    ``durations``: the distinct lock durations asked for (Camunda's lockDuration is per topic; clients
    mostly give every topic the same), each with its topics."""
    now = bindparam("now")
    served = [_among(TASKS.c.topic, "served_topics", arrays)] if by_topic else []
    if by_region:
        served.append(_among(TASKS.c.region, "served_regions", arrays))
    candidates = (select(TASKS.c.id).where(
        TASKS.c.kind == TaskKind.SERVICE.value, _among(TASKS.c.topic, "topics", arrays), *served,
        or_(TASKS.c.state == TaskState.READY.value,
            (TASKS.c.state == TaskState.LOCKED.value) & (TASKS.c.lock_expires_at < now)),
        or_(TASKS.c.retry_at.is_(None), TASKS.c.retry_at <= now))
        .order_by(TASKS.c.created_at).limit(bindparam("max_tasks")).with_for_update(skip_locked=True))
    expires = bindparam("expires_0", type_=DateTime())
    if durations > 1:
        expires = case_when(*((_among(TASKS.c.topic, f"topics_{i}", arrays),
                               bindparam(f"expires_{i}", type_=DateTime())) for i in range(durations)))
    return (update(TASKS).where(TASKS.c.id.in_(candidates.scalar_subquery()))
            .values(state=TaskState.LOCKED.value, lock_owner=bindparam("worker"), lock_expires_at=expires,
                    attempts=TASKS.c.attempts + 1)
            .returning(*TASKS.c))


# a case's columns once per licence it holds (most hold a few): one round trip, not two. The cases are
# read apart (OFFSET 0 keeps the planner from merging them into the join), so that each form's JSON is
# parsed once per case, not once per licence row.
@lru_cache(maxsize=2)
def _cases_with_licences(arrays: bool):
    cases_read = (select(*CASE_COLUMNS).where(_among(CASES.c.id, "ids", arrays)).offset(0)
                  .subquery("locked_cases"))
    return (select(*cases_read.c, LICENCES.c.kind, LICENCES.c.number, LICENCES.c.data)
            .select_from(cases_read.outerjoin(LICENCES, LICENCES.c.case_id == cases_read.c.id))
            .order_by(LICENCES.c.id))


def _with_variables(connection, tasks: list[Row], arrays: bool) -> list[LockedTask]:
    """The locked tasks with what each department receives, read in one query whatever their number."""
    if not tasks:
        return []
    by_id: dict[str, Row] = {}
    licences: dict[str, list[Row]] = {}
    for row in connection.execute(_cases_with_licences(arrays), {"ids": list({t.case_id for t in tasks})}):
        by_id.setdefault(row.id, row)
        if row.kind is not None:
            licences.setdefault(row.id, []).append(row)
    return [LockedTask(t, by_id[t.case_id], _variables(t, by_id[t.case_id], licences.get(t.case_id, [])))
            for t in tasks]


def _variables(task, case, licences) -> dict:
    return {"caseId": case.id, "region": case.region, "item": task.item, "items": case.items,
            **case.facts, **_registry_keys(case),
            "elicences": {lic.kind: {"number": lic.number, **lic.data} for lic in licences}}


def _registry_keys(case) -> dict:
    """Numbers a department looks records up by (the marriage registry: the certificate number)."""
    marriage = case.marriage_number or case.mother_marriage_number
    return {"marriageCertificateNumber": marriage} if marriage else {}


def _service_task(ctx, task_id: str, fresh: Task | None = None) -> Task:
    """The service task, read now (``fresh``: as the step just read it)."""
    task = fresh or ctx.session.get(Task, task_id, populate_existing=True)
    if task is None or task.kind != TaskKind.SERVICE.value:
        raise NotFound("外部任务不存在", field="id")
    return task


def _locked_by(ctx, task_id: str, worker_id: str, fresh: Task | None = None) -> Task:
    """The task, read now (the lock may have passed on), if ``worker_id`` holds its lock."""
    task = _service_task(ctx, task_id, fresh)
    _check_lock(task, worker_id)
    return task


def _check_lock(task: Task, worker_id: str) -> None:
    if task.state != TaskState.LOCKED.value or task.lock_owner != worker_id:
        raise Conflict(f"外部任务 {task.id} 未被工作者 {worker_id} 锁定（锁已失效或被他人获取）", field="workerId")


def _locked_step(ctx, task_id: str, worker_id: str, authorise=None) -> tuple[Case, Task, dict, dict | None]:
    """The start of a worker's step: the case locked first with its open tasks (and items) read once
    (``cases.step_of_task``), the caller's scope (``authorise(task)``, raising) and the task's lock
    checked on the row the step read: no read before."""
    try:
        case, open_rows, items = cases.step_of_task(ctx, task_id)
    except NotFound:
        raise NotFound("外部任务不存在", field="id") from None
    task = _service_task(ctx, task_id, open_rows.get(task_id))
    if authorise is not None:
        authorise(task)
    _check_lock(task, worker_id)
    return case, task, open_rows, items


def complete(ctx, task_id: str, worker_id: str, variables: dict, authorise=None) -> Task:
    """Complete the worker's locked task in one step (the case locked first); ``authorise(task)``: the
    caller's scope check (raises), run under the case lock.

    Raises ``Invalid`` (nothing changed, the task still locked by the worker) when the variables do not
    match the task's declared outputs, or when the step fails evaluating them (``runtime.run_step``).
    """
    case, task, open_rows, items = _locked_step(ctx, task_id, worker_id, authorise)
    definition = spec_cache.version(ctx.session, task.definition_id)
    check_worker_payload(ctx, definition, task, variables)
    variables = dict(variables or {})
    licence = variables.pop("elicence", None)
    if licence:
        _store_licence(ctx, case, task, licence)
    task.state, task.completed_at, task.completed_by = TaskState.COMPLETED.value, ctx.now(), worker_id
    task.lock_owner, task.lock_expires_at = None, None

    def act(_workflow, spiff_task):
        spiff_task.data.update(variables)
        spiff_task.complete()

    runtime.run_step(ctx, case, definition, task, act, worker_id,
                     detail={"name": task.name, "elicence": licence.get("kind") if licence else None},
                     open_rows=open_rows, items=items)
    return task


def _store_licence(ctx, case: Case, task: Task, licence: dict) -> None:
    # a certificate, once issued, is not changed: the unique (case, kind) keeps the first
    insert_later(ctx.session, ELicence, once=True, case_id=case.id,
                 kind=licence.get("kind") or task.item or task.topic, number=str(licence.get("number")),
                 issued_at=ctx.now(), task_id=task.id,
                 issued_by=(task.candidate_groups or [task.lane or ""])[0] or task.topic,
                 data={k: v for k, v in licence.items() if k not in ("kind", "number")})


def handle_failure(ctx, task_id: str, worker_id: str, message: str, details: str | None,
                   retries: int | None, retry_timeout_ms: int | None) -> Task:
    """Record a failed attempt; with no retries left the task becomes an incident.

    ``retries`` is what is left after this failure (Camunda's meaning; 0 raises an incident). When a
    worker does not say, the task's ``retries`` property counts retries after the first failure.
    """
    task = _locked_by(ctx, task_id, worker_id)
    now = ctx.now()
    if retries is None:
        current = task.retries or 0
        retries = current if task.error_message is None else current - 1
    left = max(int(retries), 0)
    task.retries, task.error_message, task.error_details = left, message or "", details
    task.lock_owner, task.lock_expires_at = None, None
    if left <= 0:
        task.state = TaskState.INCIDENT.value
        ctx.session.add(Incident(task_id=task.id, case_id=task.case_id, region=task.region, topic=task.topic,
                                 error=message or "", attempts=task.attempts, created_at=now))
        timeline.record(ctx, task.case_id, "incident", worker_id, task.id,
                        {"error": message, "attempts": task.attempts})
    else:
        task.state = TaskState.READY.value
        task.retry_at = now + timedelta(milliseconds=max(retry_timeout_ms or 0, 0))
    ctx.session.commit()
    return task


def extend_lock(ctx, task_id: str, worker_id: str, new_duration_ms: int) -> Task:
    task = _locked_by(ctx, task_id, worker_id)
    if task.lock_expires_at is None or task.lock_expires_at < ctx.now():
        raise Conflict(f"外部任务 {task_id} 的锁已过期", field="workerId")
    task.lock_expires_at = ctx.now() + timedelta(milliseconds=new_duration_ms)
    ctx.session.commit()
    return task


def unlock(ctx, task_id: str) -> Task:
    task = get_task(ctx, task_id)
    if task.state == TaskState.LOCKED.value:
        task.state, task.lock_owner, task.lock_expires_at = TaskState.READY.value, None, None
    ctx.session.commit()
    return task


def get_task(ctx, task_id: str) -> Task:
    task = ctx.session.get(Task, task_id)
    if task is None or task.kind != TaskKind.SERVICE.value:
        raise NotFound("外部任务不存在", field="id")
    return task


def list_tasks(ctx, topics: list[str] | None = None, case_id: str | None = None,
               worker_id: str | None = None, locked: bool | None = None, limit: int = 200,
               served=true()) -> list[Task]:
    """Open external tasks (waiting, locked or in incident) that ``served`` admits, oldest first."""
    query = select(Task).where(Task.kind == TaskKind.SERVICE.value, served, Task.state.in_(
        [TaskState.READY.value, TaskState.LOCKED.value, TaskState.INCIDENT.value]))
    if topics is not None:
        query = query.where(Task.topic.in_(topics))
    if case_id:
        query = query.where(Task.case_id == case_id)
    if worker_id:
        query = query.where(Task.lock_owner == worker_id)
    if locked is not None:
        now = ctx.now()
        live = (Task.state == TaskState.LOCKED.value) & (Task.lock_expires_at >= now)
        query = query.where(live if locked else ~live)
    return list(ctx.session.scalars(query.order_by(Task.created_at).limit(limit)))


def open_incidents(ctx, region: str | None = None, include_resolved: bool = False) -> list[Incident]:
    query = select(Incident).order_by(Incident.created_at, Incident.id)
    if region is not None:
        query = query.where(Incident.region == region)
    if not include_resolved:
        query = query.where(Incident.resolved_at.is_(None))
    return list(ctx.session.scalars(query))


def retry_incident(ctx, incident_id: int, retries: int = 1) -> Incident:
    incident = ctx.session.get(Incident, incident_id)
    if incident is None:
        raise NotFound("事件不存在", field="id")
    task = ctx.session.get(Task, incident.task_id)
    if incident.resolved_at is not None or task is None or task.state != TaskState.INCIDENT.value:
        raise InvalidTransition("该事件已处理", field="id")
    task.state, task.retries, task.retry_at = TaskState.READY.value, retries, None
    incident.resolved_at = ctx.now()
    timeline.record(ctx, task.case_id, "incident_retried", task_id=task.id,
                    detail={"incident": incident.id, "retries": retries})
    ctx.session.commit()
    return incident


def bpmn_error(ctx, task_id: str, worker_id: str, error_code: str, message: str = "",
               variables: dict | None = None, authorise=None) -> Task:
    """Throw a BPMN error from the waiting service task; the diagram's error boundary catches it
    (``authorise`` as for ``complete``)."""
    case, task, open_rows, items = _locked_step(ctx, task_id, worker_id, authorise)
    definition = spec_cache.version(ctx.session, task.definition_id)
    check_worker_payload(ctx, definition, task, variables, error_code)
    task.state, task.completed_at, task.completed_by = TaskState.CANCELLED.value, ctx.now(), worker_id
    task.error_message, task.lock_owner, task.lock_expires_at = f"BPMN 错误 {error_code}：{message}", None, None

    def act(workflow, spiff_task):
        payload = {**(variables or {}), "error_message": message}
        with refused_unless_caught(workflow, error_code):
            workflow.catch(BpmnEvent(ErrorEventDefinition(error_code, code=error_code), payload=payload,
                                     target=spiff_task.workflow))

    runtime.run_step(ctx, case, definition, task, act, worker_id, "bpmn_error",
                     {"code": error_code, "message": message}, open_rows=open_rows, items=items)
    return task


def open_topics(ctx) -> list[str]:
    return list(ctx.session.scalars(select(Task.topic).where(
        Task.kind == TaskKind.SERVICE.value, Task.state.in_([TaskState.READY.value, TaskState.LOCKED.value]))
        .distinct()))
