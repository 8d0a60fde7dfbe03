"""One step of a case: load the workflow, act, run engine steps, mirror it into rows, save.

The caller owns the transaction (``cases.py`` / ``tasks.py`` commit or roll back whole).
"""
from dataclasses import dataclass, field

from SpiffWorkflow.bpmn.specs.defaults import ServiceTask
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskState as SpiffState
from sqlalchemy import select

from engine import notices, timeline
from engine.bpmn.expressions import RestrictedScriptEngine, UnsafeExpression
from engine.bpmn.model import END, MILESTONE, SERVICE
from engine.bpmn.serializer import StateSerializer
from engine.definitions import spec_cache
from engine.errors import ProcessFailure
from engine.models import Case, CaseItem, Definition, Task, TaskCandidate
from engine.sla import deadline_after
from engine.states import CaseStatus, ItemStatus, OPEN_TASK_STATES, TaskKind, TaskState

state_serializer = StateSerializer()
script_engine = RestrictedScriptEngine()
ESCALATION_DEFAULTS = {"warningWorkingDays": "1", "escalationLevel1WorkingDays": "1",
                       "escalationLevel2WorkingDays": "2", "retries": "3", "retryBackoffSeconds": "10"}


@dataclass
class StepChanges:
    opened: list[Task] = field(default_factory=list)
    closed: list[Task] = field(default_factory=list)
    items_done: list[str] = field(default_factory=list)
    case_finished: bool = False


def guard(fn, *args):
    """Run library code; a diagram's failure becomes ``ProcessFailure``, never a crash."""
    try:
        return fn(*args)
    except (SpiffWorkflowException, UnsafeExpression, NameError, KeyError, TypeError) as exc:
        raise ProcessFailure(f"流程执行失败：{exc}") from exc


def new_workflow(definition: Definition, initial_data: dict):
    from SpiffWorkflow.bpmn import BpmnWorkflow
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


def waiting_tasks(workflow) -> dict:
    """Spiff tasks a clerk or worker must act on, by id."""
    found = {}
    for task in workflow.get_tasks(state=SpiffState.READY | SpiffState.STARTED):
        spec = task.task_spec
        if (task.state == SpiffState.READY and spec.manual) or \
                (task.state == SpiffState.STARTED and isinstance(spec, ServiceTask)):
            found[str(task.id)] = task
    return found


def find_spiff_task(workflow, task_id: str):
    task = waiting_tasks(workflow).get(task_id)
    if task is None:
        raise ProcessFailure(f"任务 {task_id} 不在等待状态")
    return task


def save(ctx, case: Case, definition: Definition, workflow) -> StepChanges:
    changes = sync(ctx, case, definition, workflow)
    notices.on_step(ctx, case, changes, workflow)
    case.state = state_serializer.dumps(workflow)
    return changes


def sync(ctx, case: Case, definition: Definition, workflow) -> StepChanges:
    now, changes = ctx.now(), StepChanges()
    waiting = waiting_tasks(workflow)
    open_rows = {t.id: t for t in ctx.session.scalars(
        select(Task).where(Task.case_id == case.id, Task.state.in_(OPEN_TASK_STATES)))}
    items = {i.item: i for i in ctx.session.scalars(select(CaseItem).where(CaseItem.case_id == case.id))}
    for task_id, row in open_rows.items():
        if task_id not in waiting:
            row.state, row.completed_at = TaskState.CANCELLED.value, now
            changes.closed.append(row)
    for task_id, spiff_task in waiting.items():
        if task_id not in open_rows:
            row = _new_task_row(ctx, case, definition, spiff_task)
            changes.opened.append(row)
            _start_item(items.get(row.item), row, now)
    _apply_milestones(ctx, case, definition, workflow, items, changes)
    if workflow.is_completed() and CaseStatus(case.status).is_open:
        _finish_case(ctx, case, definition, workflow)
        changes.case_finished = True
    return changes


def _new_task_row(ctx, case: Case, definition: Definition, spiff_task) -> Task:
    act = definition.activities.get(spiff_task.task_spec.bpmn_id, {})
    props = {**ESCALATION_DEFAULTS, **{k: v for k, v in definition.properties.items()
                                        if k in ESCALATION_DEFAULTS}, **act.get("properties", {})}
    limit = int(props["limitWorkingDays"]) if "limitWorkingDays" in props else None
    now, kind = ctx.now(), TaskKind.SERVICE if act.get("kind") == SERVICE else TaskKind.USER
    due_at, fallback = (deadline_after(ctx.calendar, now, limit) if limit
                        else (case.deadline, case.deadline_fallback))
    groups = act.get("candidate_groups", [])
    row = Task(
        id=str(spiff_task.id), case_id=case.id, definition_id=definition.id, region=case.region,
        bpmn_id=spiff_task.task_spec.bpmn_id, name=act.get("name") or spiff_task.task_spec.bpmn_id,
        kind=kind.value, lane=spiff_task.task_spec.lane, candidate_groups=groups,
        topic=act.get("topic"), form_key=act.get("form_key"), item=act.get("item"),
        institution=case.institution if "health" in groups or "cdc" in groups else None,
        state=TaskState.READY.value, limit_working_days=limit, due_at=due_at, due_fallback=fallback,
        created_at=now, retries=int(props["retries"]) if kind == TaskKind.SERVICE else None,
        properties=props)
    ctx.session.add(row)
    ctx.session.add_all(TaskCandidate(task_id=row.id, group=g) for g in groups)
    timeline.record(ctx, case, "task_opened", task_id=row.id, detail={"name": row.name, "bpmn_id": row.bpmn_id})
    return row


def _start_item(item: CaseItem | None, row: Task, now) -> None:
    if item is None or item.status != ItemStatus.PENDING.value:
        return
    item.status, item.started_at = ItemStatus.IN_PROGRESS.value, now
    if row.limit_working_days:
        item.deadline = row.due_at


def _apply_milestones(ctx, case, definition, workflow, items, changes) -> None:
    for task in workflow.get_tasks(state=SpiffState.COMPLETED):
        act = definition.activities.get(getattr(task.task_spec, "bpmn_id", None) or "")
        if not act or act["kind"] != MILESTONE:
            continue
        item = items.get(act["properties"].get("item"))
        status = act["properties"].get("itemStatus")
        if item is None or item.status in (ItemStatus.DONE.value, ItemStatus.REFUSED.value):
            continue
        item.status = ItemStatus.REFUSED.value if status == "refused" else ItemStatus.DONE.value
        item.completed_at = ctx.now()
        reason_var = act["properties"].get("reasonVariable")
        item.reason = str(task.data.get(reason_var)) if reason_var and task.data.get(reason_var) else None
        changes.items_done.append(item.item)
        timeline.record(ctx, case, f"item_{item.status}", detail={"item": item.item, "reason": item.reason})


def _finish_case(ctx, case, definition, workflow) -> None:
    outcome, reason = CaseStatus.COMPLETED, None
    for task in workflow.get_tasks(state=SpiffState.COMPLETED):
        act = definition.activities.get(getattr(task.task_spec, "bpmn_id", None) or "")
        if act and act["kind"] == END:
            outcome = CaseStatus(act["properties"]["caseOutcome"])
            reason_var = act["properties"].get("reasonVariable")
            reason = task.data.get(reason_var) if reason_var else None
    case.status, case.completed_at = outcome.value, ctx.now()
    case.outcome_reason = _reason_text(reason)
    case.paused_at = None
    timeline.record(ctx, case, f"case_{outcome.value}", detail={"reason": case.outcome_reason})


def _reason_text(reason) -> str | None:
    if reason is None:
        return None
    return "；".join(map(str, reason)) if isinstance(reason, (list, tuple)) else str(reason)
