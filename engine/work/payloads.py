"""A worker's payload checked against its service task's declared outputs, before the step runs."""
from engine.bpmn import outputs
from engine.definitions import spec_cache
from engine.errors import Invalid
from engine.store.models import Task


def check_worker_payload(ctx, task: Task, variables: dict | None, error_code: str | None = None) -> None:
    """Raise ``Invalid`` naming every missing, mistyped or undeclared variable; nothing is changed.

    Called with the case locked and the worker's lock checked: the transaction is rolled back before
    raising, so the task stays locked by that worker (it may retry with corrected variables) and the
    case lock is released. A task that declares no outputs accepts any payload.
    """
    activity = spec_cache.version(ctx.session, task.definition_id).activities.get(task.bpmn_id, {})
    declared = outputs.declared_for(activity, error_code)
    if declared is None:
        return
    problems = outputs.payload_problems(declared, dict(variables or {}))
    if problems:
        ctx.session.rollback()
        what = f"BPMN 错误 {error_code} 的变量" if error_code else "完成任务的变量"
        raise Invalid(f"{what}与「{task.name}」的输出声明不符", problems)
