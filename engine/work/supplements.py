"""补正: the family answers a correction request; the supplement task completes and the clock resumes."""
from sqlalchemy import select

from engine.work import cases, runtime
from engine.notify import timeline
from engine.errors import InvalidTransition
from engine.definitions import spec_cache
from engine.store.models import Task
from engine.states import FormKey, OPEN_TASK_STATES, TaskState


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
    """The family's 补正: the case row locked, its form and facts replaced, the supplement task completed
    and the clock resumed, in one engine step (commits). Raises ``InvalidTransition`` when nothing is owed."""
    case = cases.get_case(ctx, case_id, for_update=True)
    task = ctx.session.scalars(select(Task).where(
        Task.case_id == case.id, Task.form_key == FormKey.SUPPLEMENT.value, Task.state.in_(OPEN_TASK_STATES))).first()
    if task is None:
        raise InvalidTransition("该办件当前无需补正", field="case")
    definition = spec_cache.version(ctx.session, case.definition_id)
    case.form = form
    case.facts = {**case.facts, **facts}
    task.state = TaskState.COMPLETED.value
    task.completed_at = ctx.now()
    task.completed_by = actor.username

    def act(_workflow, spiff_task):
        spiff_task.data.update({**facts, "supplied_materials": materials})
        spiff_task.run()

    timeline.audit(ctx, actor.username, "supplement_received", case.id, task.id, {"materials": materials})
    # the step closes the supplement task: runtime.sync resumes the promise clock and moves the deadline
    runtime.run_step(ctx, case, definition, task, act, actor.username, "supplement_received",
                     {"materials": materials, "comment": comment})
    return case
