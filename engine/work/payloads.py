"""A worker's answer checked before it can change a case: its payload against the service task's
declared outputs, its BPMN error against what the diagram catches."""
from contextlib import contextmanager

from SpiffWorkflow.util.task import TaskState as SpiffState

from engine.bpmn import outputs
from engine.errors import Invalid, ProcessFailure
from engine.store.models import Task


def check_worker_payload(ctx, definition, task: Task, variables: dict | None,
                         error_code: str | None = None) -> None:
    """Raise ``Invalid`` naming every missing, mistyped or undeclared variable; nothing is changed.

    Called with the case locked and the worker's lock checked: the transaction is rolled back before
    raising, so the task stays locked by that worker (it may retry with corrected variables) and the
    case lock is released. A task that declares no outputs accepts any payload.
    """
    activity = definition.activities.get(task.bpmn_id, {})
    declared = outputs.declared_for(activity, error_code)
    if declared is None:
        return
    problems = outputs.payload_problems(declared, dict(variables or {}))
    if problems:
        ctx.session.rollback()
        what = f"BPMN 错误 {error_code} 的变量" if error_code else "完成任务的变量"
        raise Invalid(f"{what}与「{task.name}」的输出声明不符", problems)


@contextmanager
def refused_unless_caught(workflow, error_code: str):
    """Around ``workflow.catch``: if nothing caught the error (no boundary or event sub-process for
    ``error_code``), raise ``ProcessFailure`` so the step is refused; else the task row would close while
    the workflow still waits on it, and the case could never move again."""
    before = _ready_ids(workflow)
    yield
    if _ready_ids(workflow) == before:
        raise ProcessFailure(f"流程中没有捕获 BPMN 错误 {error_code} 的边界事件", field="errorCode")


def _ready_ids(workflow) -> set:
    return {task.id for task in workflow.get_tasks(state=SpiffState.READY)}
