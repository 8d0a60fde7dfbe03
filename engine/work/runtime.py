"""One step of a case: load the workflow, act, run engine steps, mirror it into rows, save, commit.

``run_step`` is the one transaction every completion goes through (clerk, family, worker, BPMN error).
"""
from dataclasses import dataclass, field
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.defaults import ServiceTask
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskState as SpiffState
from sqlalchemy import bindparam, inspect, select
from sqlalchemy.orm.attributes import flag_modified

from engine.notify import notices, timeline
from engine.bpmn.expressions import RestrictedScriptEngine, UnsafeExpression
from engine.bpmn.model import END, MILESTONE, SERVICE
from engine.bpmn.serializer import StateSerializer, id_text
from engine.definitions import spec_cache
from engine.errors import Problem, ProcessFailure, StepRefused
from engine.store.models import Case, CaseItem, Definition, Incident, Task, TaskCandidate
from engine.deadlines import sla
from engine.deadlines.sla import TASK_PROMISE, deadline_after, is_promise, limit_of
from engine.states import (CaseStatus, FAMILY_GROUP, FormKey, INSTITUTION_GROUPS, ItemStatus, OPEN_TASK_STATES,
                           TaskKind, TaskState)
from engine.store import json_rows
from engine.store.commit_writes import delete_later, insert_later
from engine.store.transaction import commit_step
from engine.store.workflow_cache import workflow_cache
from engine.work.retries import DEFAULT_BACKOFF_SECONDS, DEFAULT_RETRIES
from forms.fields import listed

state_serializer = StateSerializer()
script_engine = RestrictedScriptEngine()
ESCALATION_DEFAULTS = {"warningWorkingDays": "1", "escalationLevel1WorkingDays": "1",
                       "escalationLevel2WorkingDays": "2", "retries": str(DEFAULT_RETRIES),
                       "retryBackoffSeconds": str(DEFAULT_BACKOFF_SECONDS)}


@dataclass
class StepChanges:
    opened: list[Task] = field(default_factory=list)
    closed: list[Task] = field(default_factory=list)
    items_done: list[str] = field(default_factory=list)
    case_finished: bool = False
    items: dict = field(default_factory=dict)  # item code -> CaseItem, as loaded for the step
    waiting: tuple = ()  # ids of the tasks the workflow now waits on


def guard(fn, *args):
    """Run library code; a diagram's failure becomes ``ProcessFailure``, never a crash."""
    try:
        return fn(*args)
    except (SpiffWorkflowException, UnsafeExpression, NameError, KeyError, TypeError) as exc:
        raise ProcessFailure(f"流程执行失败：{exc}") from exc


def new_workflow(definition: Definition, initial_data: dict):
    spec, subprocess_specs = spec_cache.get(definition)
    workflow = BpmnWorkflow(spec, subprocess_specs, script_engine=script_engine)
    workflow.data.update(initial_data)
    for task in workflow.get_tasks(state=SpiffState.READY):
        task.data.update(initial_data)
    return workflow


def load_workflow(case: Case, definition: Definition):
    spec, subprocess_specs = spec_cache.get(definition)
    return state_serializer.loads(case.state, spec, subprocess_specs, script_engine)


def advance(workflow) -> None:
    guard(workflow.do_engine_steps)
    if workflow.waiting_events():
        guard(workflow.refresh_timers)
        guard(workflow.do_engine_steps)


def _all_tasks(workflow):
    """Every task of the workflow and its sub-processes: a dict walk, far cheaper than get_tasks()."""
    yield from workflow.tasks.values()
    for subprocess in workflow.subprocesses.values():
        yield from subprocess.tasks.values()


def _is_waiting(task) -> bool:
    spec = task.task_spec
    return (task.state == SpiffState.READY and spec.manual) or \
        (task.state == SpiffState.STARTED and isinstance(spec, ServiceTask))


def waiting_tasks(workflow) -> dict:
    """Spiff tasks a clerk or worker must act on, by id."""
    return {id_text(task.id): task for task in _all_tasks(workflow) if _is_waiting(task)}


def _scan(workflow, activities: dict):
    """One pass: the waiting tasks, and the completed milestone and end events with their activities."""
    waiting, reached = {}, []
    for task in _all_tasks(workflow):
        if _is_waiting(task):
            waiting[id_text(task.id)] = task
        elif task.state == SpiffState.COMPLETED:
            act = activities.get(getattr(task.task_spec, "bpmn_id", None) or "")
            if act is not None and act["kind"] in (MILESTONE, END):
                reached.append((task, act))
    return waiting, reached


def find_spiff_task(workflow, task_id: str):
    task = workflow.get_task_from_id(UUID(task_id))
    if task is None or not _is_waiting(task):
        raise ProcessFailure(f"任务 {task_id} 不在等待状态")
    return task


# built once (see engine.work.cases.CASE_BY_ID)
OPEN_TASKS = select(Task).where(Task.case_id == bindparam("case_id"), Task.state.in_(OPEN_TASK_STATES))
OPEN_TASKS_FRESH = OPEN_TASKS.execution_options(populate_existing=True)
CASE_ITEMS = select(CaseItem).where(CaseItem.case_id == bindparam("case_id"))


def open_task_rows(ctx, case_id: str) -> dict[str, Task]:
    """The case's open task rows as they are now, by id (a step reads them once, under the case lock)."""
    return {t.id: t for t in ctx.session.scalars(OPEN_TASKS_FRESH, {"case_id": case_id})}


def run_step(ctx, case: Case, definition: Definition, task: Task, act, actor: str,
             event: str = "task_completed", detail: dict | None = None, before_save=None,
             open_rows: dict | None = None, items: dict | None = None) -> StepChanges:
    """One step whole: load, ``act(workflow, spiff_task)``, run engine steps, mirror rows, save, commit.

    ``open_rows``, ``items``: the case's open task rows and items if the caller read them already
    (``cases.step_of_task``).
    A step that fails while evaluating (the caller's data, a gateway raising on a value) rolls back
    whole and raises ``StepRefused``: the case stays as it was, running, with no incident.
    """
    try:
        workflow = workflow_cache.take(case.id, case.row_version) or load_workflow(case, definition)
        guard(act, workflow, find_spiff_task(workflow, task.id))
        advance(workflow)
        if before_save is not None:
            before_save()
        changes = save(ctx, case, definition, workflow, open_rows, items)
    except ProcessFailure as exc:
        ctx.session.rollback()
        raise step_refused(task, exc) from exc
    changes.closed.append(task)
    timeline.record(ctx, case.id, event, actor, task.id, detail or {})
    # candidate rows index open work only: finished tasks would swell every clerk's inbox query
    offered = [t.id for t in changes.closed if t.candidate_groups]
    if offered:
        delete_later(ctx.session, TaskCandidate.__table__.c.task_id, offered)
    commit_and_keep(ctx, case, workflow, changes)
    return changes


def step_refused(task: Task, exc: ProcessFailure) -> StepRefused:
    """The caller's answer for a step that could not evaluate: on its payload's field, nothing changed."""
    where = exc.field or ("variables" if task.kind == TaskKind.SERVICE.value else "data")
    message = f"「{task.name}」无法按所提交的数据继续办理（{exc.message}），办件未作更改，请核对后重试"
    return StepRefused(message, [Problem(where, "step_failed", message)])


def commit_and_keep(ctx, case: Case, workflow, changes: StepChanges) -> None:
    """Commit the step; then keep its workflow in memory for the case's next step, at the version the
    commit wrote (before listeners run: an in-process worker may step the case again at once)."""
    commit_step(ctx, changes, committed=lambda: workflow_cache.put(case.id, case.row_version, workflow,
                                                                   changes.waiting))


def fail_case(ctx, case_id: str, task_id: str, message: str) -> None:
    """Record a run-time failure no caller can fix (a case's start) in its own transaction."""
    case = ctx.session.get(Case, case_id)
    case.status, case.incident = CaseStatus.FAILED.value, message
    ctx.session.add(Incident(task_id=task_id or "", case_id=case.id, region=case.region, error=message,
                             created_at=ctx.now()))
    timeline.record(ctx, case.id, "case_failed", detail={"error": message})
    ctx.session.commit()


def save(ctx, case: Case, definition: Definition, workflow, open_rows: dict | None = None,
         items: dict | None = None) -> StepChanges:
    changes = sync(ctx, case, definition, workflow, open_rows, items)
    notices.on_step(ctx, case, changes, workflow)
    case.state = state_serializer.dumps(workflow)
    return changes


def sync(ctx, case: Case, definition: Definition, workflow, open_rows: dict | None = None,
         items: dict | None = None) -> StepChanges:
    """Mirror the workflow into rows: open and close task rows, items, the case's status.

    ``open_rows`` and ``items`` (item code -> CaseItem): what the caller holds already, else read here."""
    now, changes = ctx.now(), StepChanges()
    activities = spec_cache.activities(definition)
    waiting, reached = _scan(workflow, activities)
    changes.waiting = tuple(waiting)
    with ctx.session.no_autoflush:
        if open_rows is None:
            open_rows = {t.id: t for t in ctx.session.scalars(OPEN_TASKS, {"case_id": case.id})}
        changes.items = items if items is not None else {
            i.item: i for i in ctx.session.scalars(CASE_ITEMS, {"case_id": case.id})}
    for task_id, row in open_rows.items():
        # the row being completed by this step is closed in memory already (not yet flushed)
        if task_id not in waiting and TaskState(row.state).is_open:
            row.state, row.completed_at = TaskState.CANCELLED.value, now
            changes.closed.append(row)
    for task_id, spiff_task in waiting.items():
        if task_id not in open_rows:
            row = _new_task_row(ctx, case, definition, activities, spiff_task)
            changes.opened.append(row)
            _start_item(changes.items.get(row.item), row, now)
    _apply_milestones(ctx, case, reached, changes)
    waiting_acts = [(t, activities.get(t.task_spec.bpmn_id, {})) for t in waiting.values()]
    if CaseStatus(case.status).is_open:
        _follow_family_clock(ctx, case, waiting_acts)
    if workflow.is_completed() and CaseStatus(case.status).is_open:
        _finish_case(ctx, case, reached)
        changes.case_finished = True
    else:
        _derive_status(case, {act.get("form_key") for _, act in waiting_acts})
    return changes


def _follow_family_clock(ctx, case: Case, waiting_acts: list[tuple]) -> None:
    """The promise stands still while the family owes a task of its own: 补正 (the supplement a
    correction asks for) or another family task, e.g. 河北's trip to collect and upload the new 户口页.
    The one place that pauses and resumes it: a step opens or closes such a task."""
    owed = [(task, act) for task, act in waiting_acts
            if FAMILY_GROUP in act.get("candidate_groups", []) or act.get("form_key") == FormKey.SUPPLEMENT]
    if owed and sla.pause_promise(case, ctx.now()):
        task, act = owed[0]
        detail = {"family_task": act.get("name")}
        if act.get("form_key") == FormKey.SUPPLEMENT:  # what the correction asked for, listed once
            detail["materials"] = listed(task.data.get("materials"))
        timeline.record(ctx, case.id, "clock_paused", detail=detail)
    elif not owed and case.paused_at is not None:
        paused = sla.resume_promise(ctx.calendar, case, ctx.now())
        timeline.record(ctx, case.id, "clock_resumed", detail={"paused_working_days": paused})


def _derive_status(case: Case, waiting_form_keys: set) -> None:
    """An open case is in 补正 while the family owes a supplement, else in review until accepted."""
    if not CaseStatus(case.status).is_open:
        return
    if FormKey.SUPPLEMENT.value in waiting_form_keys:
        case.status = CaseStatus.CORRECTION.value
    else:
        case.status = (CaseStatus.IN_PROGRESS if case.accepted_at else CaseStatus.REVIEW).value


def _new_task_row(ctx, case: Case, definition: Definition, activities: dict, spiff_task) -> Task:
    act = activities.get(spiff_task.task_spec.bpmn_id, {})
    props = {**ESCALATION_DEFAULTS, **{k: v for k, v in definition.properties.items()
                                        if k in ESCALATION_DEFAULTS}, **act.get("properties", {})}
    limit, deadline_kind = limit_of(props, TASK_PROMISE)
    now, kind = ctx.now(), TaskKind.SERVICE if act.get("kind") == SERVICE else TaskKind.USER
    due_at, fallback = (deadline_after(ctx.calendar, now, limit) if limit
                        else (case.deadline, case.deadline_fallback))
    deadline_kind = deadline_kind if limit else case.deadline_kind
    groups = act.get("candidate_groups", [])
    row = json_rows.built(
        Task, id=id_text(spiff_task.id), case_id=case.id, definition_id=definition.id, region=case.region,
        bpmn_id=spiff_task.task_spec.bpmn_id, name=act.get("name") or spiff_task.task_spec.bpmn_id,
        kind=kind.value, lane=spiff_task.task_spec.lane, candidate_groups=groups, department=act.get("department"),
        topic=act.get("topic"), form_key=act.get("form_key"), item=act.get("item"),
        institution=case.institution if any(g in INSTITUTION_GROUPS for g in groups) else None,
        state=TaskState.READY.value, limit_working_days=limit, due_at=due_at, due_fallback=fallback,
        deadline_kind=deadline_kind if due_at else None,
        created_at=now, retries=int(props["retries"]) if kind == TaskKind.SERVICE else None,
        properties=props)
    ctx.session.add(row)
    for group in groups:  # nothing in a step reads them back: queued, no ORM object each
        insert_later(ctx.session, TaskCandidate, task_id=row.id, group=group)
    timeline.record(ctx, case.id, "task_opened", task_id=row.id, detail={"name": row.name, "bpmn_id": row.bpmn_id})
    return row


# a step's changed items are written with every one of these columns: one UPDATE shape, so that the
# flush sends an item done and the next one started as one executemany (one round trip), not two
ITEM_PROGRESS = ("status", "started_at", "deadline", "completed_at", "reason")


def _item_written_whole(item: CaseItem) -> None:
    state = inspect(item)
    if state.persistent:  # a new case's items are INSERTed whole anyway
        for name in ITEM_PROGRESS:
            if name in state.dict:  # not one left unloaded since the row was inserted in this step
                flag_modified(item, name)


def _start_item(item: CaseItem | None, row: Task, now) -> None:
    if item is None or item.status != ItemStatus.PENDING.value:
        return
    item.status, item.started_at = ItemStatus.IN_PROGRESS.value, now
    if row.limit_working_days and is_promise(row.deadline_kind):  # the family sees item deadlines
        item.deadline = row.due_at
    _item_written_whole(item)


def _apply_milestones(ctx, case, reached, changes) -> None:
    for task, act in reached:
        if act["kind"] != MILESTONE:
            continue
        item = changes.items.get(act["properties"].get("item"))
        if item is None or item.status in (ItemStatus.DONE.value, ItemStatus.REFUSED.value,
                                           ItemStatus.NOT_APPLICABLE.value):
            continue
        refused = act["properties"].get("itemStatus") == ItemStatus.REFUSED.value
        item.status = (ItemStatus.REFUSED if refused else ItemStatus.DONE).value
        item.completed_at = ctx.now()
        reason_var = act["properties"].get("reasonVariable")
        item.reason = str(task.data.get(reason_var)) if reason_var and task.data.get(reason_var) else None
        _item_written_whole(item)
        changes.items_done.append(item.item)
        timeline.record(ctx, case.id, f"item_{item.status}", detail={"item": item.item, "reason": item.reason})


def _finish_case(ctx, case, reached) -> None:
    outcome, reason = CaseStatus.COMPLETED, None
    for task, act in reached:
        if act["kind"] == END:
            outcome = CaseStatus(act["properties"]["caseOutcome"])
            reason_var = act["properties"].get("reasonVariable")
            reason = task.data.get(reason_var) if reason_var else None
    case.status, case.completed_at = outcome.value, ctx.now()
    case.outcome_reason = _reason_text(reason)
    case.paused_at = None
    timeline.record(ctx, case.id, f"case_{outcome.value}", detail={"reason": case.outcome_reason})


def _reason_text(reason) -> str | None:
    if reason is None:
        return None
    return "；".join(map(str, reason)) if isinstance(reason, (list, tuple)) else str(reason)
