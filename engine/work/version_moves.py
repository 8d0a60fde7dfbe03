"""Moving running cases from one version of a definition to another (like Camunda 7's migration).

A plan maps each activity of the old version to one of the new (same id unless the designer maps it).
A case can move when every activity it waits at has a counterpart of the same kind and it holds every
variable the new version's conditions read that the old version's did not. Moving re-binds the case's
SpiffWorkflow state to the new spec with SpiffWorkflow's own migration (``SpecDiff`` / ``WorkflowDiff`` /
``migrate_workflow``), task specs aligned by the plan: open tasks keep their ids, so their rows (claims,
deadlines, candidates) and the case's history stay as they are. Cases not moved finish on their version.
"""
from dataclasses import dataclass, field

from SpiffWorkflow.bpmn.util.diff import migrate_workflow, SpecDiff, WorkflowDiff
from SpiffWorkflow.util.task import TaskState as SpiffState
from sqlalchemy import select

from engine.bpmn import variables
from engine.bpmn.safe_xml import parse_bpmn_bytes
from engine.definitions import spec_cache
from engine.errors import Conflict, Invalid, NotFound, Problem
from engine.notify import timeline
from engine.states import CaseStatus, OPEN_TASK_STATES
from engine.store.models import Case, Definition, Task
from engine.store.transaction import no_lost_update
from engine.work.runtime import load_workflow, save, state_serializer
from engine.store.workflow_cache import workflow_cache

ACTIVE = SpiffState.READY | SpiffState.WAITING | SpiffState.STARTED
OPEN_CASE_STATES = [s.value for s in CaseStatus if s.is_open]


@dataclass
class MovePlan:
    key: str
    source: Definition
    target: Definition
    mapping: dict  # old activity id -> new activity id, for ids that differ
    needs: set = field(default_factory=set)  # variables the target reads that the source did not


@dataclass
class CaseMove:
    case_id: str
    movable: bool
    active: list = field(default_factory=list)   # [{"from": old id, "to": new id or None}]
    reasons: list = field(default_factory=list)  # [{"code", "message", "element"/"variable"}]
    moved: bool = False

    def as_dict(self) -> dict:
        return {"case_id": self.case_id, "movable": self.movable, "moved": self.moved,
                "active": self.active, "reasons": self.reasons}


def make_plan(session, key: str, from_version: int, to_version: int, mapping: dict) -> MovePlan:
    """Both versions of ``key`` and a mapping whose ids exist in them; ``Invalid``/``NotFound`` otherwise."""
    def version(number, name):
        row = session.scalars(select(Definition).where(Definition.key == key, Definition.version == number)).first()
        if row is None:
            raise NotFound(f"流程定义 {key} 没有版本 {number}", field=name)
        return row
    source, target = version(from_version, "from_version"), version(to_version, "to_version")
    if source.id == target.id:
        raise Invalid("迁移的源版本与目标版本相同", [Problem("to_version", "same_version", "目标版本须不同于源版本")])
    old_spec, _ = spec_cache.get(source)
    new_spec, _ = spec_cache.get(target)
    problems = [Problem(f"mapping.{old}", "unknown_activity", f"源版本没有活动 {old}")
                for old in mapping if old not in old_spec.task_specs]
    problems += [Problem(f"mapping.{old}", "unknown_activity", f"目标版本没有活动 {new}")
                 for old, new in mapping.items() if new not in new_spec.task_specs]
    if problems:
        raise Invalid("迁移映射有误", problems)
    plan = MovePlan(key, source, target, dict(mapping))
    plan.needs = _new_variables(plan)
    return plan


def running_cases(session, plan: MovePlan, case_ids=None) -> list[Case]:
    query = select(Case).where(Case.definition_id == plan.source.id, Case.status.in_(OPEN_CASE_STATES))
    if case_ids:
        query = query.where(Case.id.in_(list(case_ids)))
    return list(session.scalars(query.order_by(Case.submitted_at, Case.id)))


def check_case(plan: MovePlan, workflow) -> CaseMove:
    """Whether one case (its loaded workflow) can move under ``plan``, and why not."""
    move = CaseMove(case_id="", movable=True)
    new_spec, _ = spec_cache.get(plan.target)
    if workflow.subprocesses:
        move.reasons.append({"code": "subprocess_running", "message": "办件正在子流程中，暂不支持迁移"})
    for task in workflow.get_tasks(state=ACTIVE, skip_subprocesses=True):
        old_id = task.task_spec.name
        new = new_spec.task_specs.get(plan.mapping.get(old_id, old_id))
        move.active.append({"from": old_id, "to": new.name if new is not None else None})
        if new is None:
            move.reasons.append({"code": "no_counterpart", "element": old_id,
                                 "message": f"活动「{_label(task.task_spec)}」在新版本中没有对应活动"})
        elif type(new) is not type(task.task_spec):
            move.reasons.append({"code": "different_kind", "element": old_id,
                                 "message": f"活动「{_label(task.task_spec)}」在新版本中类型不同"})
    have = set(workflow.data) | {k for t in workflow.get_tasks(state=ACTIVE) for k in t.data}
    waits_at = [plan.target.activities.get(a["to"], {}) for a in move.active if a["to"]]
    asked = {f["id"] for act in waits_at for f in act.get("form_fields", [])}
    for name in sorted(plan.needs - have - asked):
        move.reasons.append({"code": "missing_variable", "variable": name,
                             "message": f"新版本需要变量 {name}，办件中没有"})
    move.movable = not move.reasons
    return move


def _label(task_spec) -> str:
    return getattr(task_spec, "bpmn_name", None) or task_spec.name


def _expression_names(definition: Definition) -> set[str]:
    return variables.read(parse_bpmn_bytes(definition.xml.encode("utf-8"), definition.resource_name))


def _new_variables(plan: MovePlan) -> set[str]:
    """Variables the target's conditions and scripts read that the source's did not. A case lacks one
    unless it holds it or a task it waits at asks for it (conservative: a later step may ask too)."""
    return _expression_names(plan.target) - _expression_names(plan.source)


def rebind(plan: MovePlan, workflow) -> None:
    """Re-bind a loaded workflow to the target spec in place (SpiffWorkflow's ``migrate_workflow``):
    finished tasks of removed activities are spliced out of the tree, active tasks re-predict their
    branch on the new spec; every open task keeps its id."""
    old_spec, new_spec = workflow.spec, spec_cache.get(plan.target)[0]
    spec_diff = SpecDiff(state_serializer.registry, old_spec, new_spec)
    spec_diff.alignment = {ts: new_spec.task_specs.get(plan.mapping.get(ts.name, ts.name))
                           for ts in old_spec.task_specs.values()}
    for task in list(workflow.tasks.values()):
        if spec_diff.alignment.get(task.task_spec) is None and task.has_state(SpiffState.FINISHED_MASK):
            _splice(workflow, task)
    # READY (user) tasks are reset in place by the library, keeping their ids; WAITING tasks (timers,
    # messages) and STARTED ones (external work under way) are not reset, so a timer keeps its start
    migrate_workflow(WorkflowDiff(workflow, spec_diff), workflow, new_spec, reset_mask=SpiffState.READY)
    kept = SpiffState.WAITING | SpiffState.STARTED
    for task in workflow.get_tasks(state=kept, skip_subprocesses=True):
        task._drop_children()  # predicted children may name removed activities: predict them anew
        task.task_spec._predict(task, mask=SpiffState.PREDICTED_MASK | kept)


def _splice(workflow, task) -> None:
    """Drop a finished task from the tree, its children taking its place under its parent."""
    parent = task.parent
    at = parent._children.index(task.id)
    parent._children[at:at + 1] = task._children
    for child in task.children:
        child._parent = parent.id
    workflow.tasks.pop(task.id)
    if workflow.last_task is task:
        workflow.last_task = parent


def move_case(ctx, plan: MovePlan, case_id: str, actor: str) -> CaseMove:
    """Move one case in its own transaction: the case row locked (and its row version checked), checked
    again under the lock, re-bound, its open task rows re-pointed (ids, claims and deadlines kept),
    recorded on its timeline and in the audit log, committed. A case that cannot move is left as it was."""
    case = ctx.session.scalars(select(Case).where(Case.id == case_id).with_for_update()).first()
    if case is None or case.definition_id != plan.source.id or not CaseStatus(case.status).is_open:
        ctx.session.rollback()
        return CaseMove(case_id, False, reasons=[{"code": "not_running_on_source",
                                                  "message": "办件不在源版本上运行"}])
    workflow = load_workflow(case, plan.source)
    move = check_case(plan, workflow)
    move.case_id = case_id
    if not move.movable:
        ctx.session.rollback()
        return move
    rebind(plan, workflow)
    _repoint_rows(ctx, plan, case)
    case.definition_id = plan.target.id
    changes = save(ctx, case, plan.target, workflow)
    detail = {"key": plan.key, "from_version": plan.source.version, "to_version": plan.target.version,
              "active": move.active}
    timeline.record(ctx, case.id, "case_moved", actor, detail=detail)
    timeline.audit(ctx, actor, "case_moved", case.id, detail=detail)
    with no_lost_update(ctx):
        ctx.session.commit()
    workflow_cache.put(case.id, case.row_version, workflow, changes.waiting)
    move.moved = True
    return move


def _repoint_rows(ctx, plan: MovePlan, case: Case) -> None:
    """Open task rows follow their activity to the target version; state, assignee, due date stay."""
    activities = plan.target.activities
    for row in ctx.session.scalars(select(Task).where(Task.case_id == case.id, Task.state.in_(OPEN_TASK_STATES))):
        new_id = plan.mapping.get(row.bpmn_id, row.bpmn_id)
        row.definition_id, row.bpmn_id = plan.target.id, new_id
        row.name = activities.get(new_id, {}).get("name") or row.name


def move_cases(ctx, key: str, from_version: int, to_version: int, mapping: dict, dry_run: bool,
               actor: str, case_ids=None) -> dict:
    """Plan (``dry_run``: check every running case, change nothing) or execute a move of running cases.

    Executing moves each movable case in its own transaction (``move_case``); a case someone changed
    meanwhile is reported with ``conflict`` and stays on its version. Raises ``Invalid``/``NotFound`` for
    a bad plan before touching any case."""
    plan = make_plan(ctx.session, key, from_version, to_version, mapping or {})
    cases = running_cases(ctx.session, plan, case_ids)
    results = [CaseMove(i, False, reasons=[{"code": "not_running_on_source", "message": "办件不在源版本上运行"}])
               for i in (case_ids or []) if i not in {c.id for c in cases}]
    if dry_run:
        for case in cases:
            move = check_case(plan, load_workflow(case, plan.source))
            move.case_id = case.id
            results.append(move)
        ctx.session.rollback()
    else:
        ids = [c.id for c in cases]
        ctx.session.rollback()  # the listing's read ends here: each case is its own transaction
        for case_id in ids:
            results.append(_move_or_report(ctx, plan, case_id, actor))
    return {"key": key, "from_version": from_version, "to_version": to_version, "mapping": plan.mapping,
            "dry_run": dry_run, "movable": sum(m.movable for m in results),
            "moved": sum(m.moved for m in results), "cases": [m.as_dict() for m in results]}


def _move_or_report(ctx, plan: MovePlan, case_id: str, actor: str) -> CaseMove:
    try:
        return move_case(ctx, plan, case_id, actor)
    except Conflict as exc:
        return CaseMove(case_id, False, reasons=[{"code": "conflict", "message": exc.message}])
