"""补正: the family answers a correction request; the supplement task completes and the clock resumes."""
from sqlalchemy import select

from engine import cases, runtime, timeline
from engine.errors import InvalidTransition
from engine.models import Definition, Task
from engine.states import OPEN_TASK_STATES, TaskState
from engine.transaction import commit_step


def merge_form(form: dict, changes: dict) -> dict:
    """Section-wise update: supplied sections replace fields, untouched ones stay."""
    merged = {k: (dict(v) if isinstance(v, dict) else v) for k, v in form.items()}
    for section, value in (changes or {}).items():
        if isinstance(value, dict) and isinstance(merged.get(section), dict):
            merged[section].update(value)
        else:
            merged[section] = value
    return merged


def supply(ctx, actor, case_id: str, form: dict, facts: dict, materials: list[str], comment: str):
    case = cases.get_case(ctx, case_id, for_update=True)
    task = ctx.session.scalars(select(Task).where(
        Task.case_id == case.id, Task.form_key == "supplement", Task.state.in_(OPEN_TASK_STATES))).first()
    if task is None:
        raise InvalidTransition("该办件当前无需补正", field="case")
    definition = ctx.session.get(Definition, case.definition_id)
    workflow = runtime.load_workflow(case, definition)
    spiff_task = runtime.find_spiff_task(workflow, task.id)
    case.form, case.facts = form, {**case.facts, **facts}
    spiff_task.data.update({**facts, "supplied_materials": materials})
    runtime.guard(spiff_task.run)
    runtime.advance(workflow)
    task.state, task.completed_at, task.completed_by = TaskState.COMPLETED.value, ctx.now(), actor.username
    cases.on_user_task_completed(ctx, case, "supplement", {})
    changes = runtime.save(ctx, case, definition, workflow)
    changes.closed.append(task)
    timeline.record(ctx, case, "supplement_received", actor.username, task.id,
                    {"materials": materials, "comment": comment})
    timeline.audit(ctx, actor.username, "supplement_received", case.id, task.id, {"materials": materials})
    cases.derive_status(ctx, case)
    commit_step(ctx, changes)
    return case
