"""SpiffWorkflow 3.2's (pinned) walks of the whole task tree, answered from the workflow's task dict;
applied once on import of ``engine.bpmn``.

The stock walks go from the root through ``TaskIterator``, a Python generator, about 100 nodes a
Qinbei case; they were about 10 % of an API process's CPU and of the month replay (bench/NOTES.md).
The walk can only find tasks of ``workflow.tasks`` (every task of that workflow, by id):

- ``Workflow.get_tasks(state=…)`` (``do_engine_steps`` asks it for the READY tasks on every pass):
  the tasks of the dict in that state, in the order the walk meets them (depth first, children in
  order: sorted by each ancestor's child index from the root), leaving out those below a task whose
  children the walk does not visit. A BPMN workflow's walk also descends into its sub-processes,
  whose tasks its dict does not hold: while it has any, and for any other filter, the stock walk
  answers.
- ``BpmnWorkflow._do_engine_steps``: a pass runs the READY tasks that are not manual; when there is
  none (and no sub-process) it runs nothing and answers False, as the stock pass would.
- ``Workflow.is_completed`` (the engine asks after every step): complete when no task of the dict is
  unfinished (the stock walk visits every task).
- ``Workflow.update_waiting_tasks`` (after every completed task): nothing to do when no task is
  WAITING; a lone WAITING parallel join (the items' branches waiting to meet) is updated directly:
  updating it cannot make another task WAITING (it cancels only other WAITING instances of itself,
  and becomes READY or stays WAITING), so the rest of the walk would find nothing. Otherwise the
  stock walk runs, in its order.

tests/bpmn/test_task_walks.py runs every region's cases both ways and compares every state change,
and compares get_tasks' answers for every state after every step.
"""
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.mixins.parallel_gateway import ParallelGateway
from SpiffWorkflow.util.task import TaskState
from SpiffWorkflow.workflow import Workflow

from engine.bpmn.replacements import replace


def get_tasks(self, first_task=None, **kwargs):
    # a BPMN workflow's walk descends into its sub-processes, whose tasks its dict does not hold
    if first_task is None and kwargs.keys() == {"state"} and not _has_subprocesses(self):
        state = kwargs["state"]
        found = [task for task in self.tasks.values() if task._state & state]
        if not found:
            return []
        lowest = _lowest_descended(state)
        placed = [(_walk_position(self, task, lowest), task) for task in found]
        if all(position is not None for position, _ in placed):
            placed.sort(key=lambda pair: pair[0])
            return [task for _, task in placed]
    return STOCK_GET_TASKS(self, first_task, **kwargs)


def _lowest_descended(state: int) -> int:
    """The lowest state whose children the stock walk visits, for a filter on ``state``."""
    if state & TaskState.PREDICTED_MASK:
        return TaskState.MAYBE
    return TaskState.FUTURE if state & TaskState.DEFINITE_MASK else TaskState.COMPLETED


def _walk_position(workflow, task, lowest: int) -> list | None:
    """Where the stock walk (depth first, children in order, from the root) meets the task: each
    ancestor's child index from the root down. None where the walk would not reach it (an ancestor below
    ``lowest``), or the tree is too deep to be sure (the walk stops 1,000 levels down): then the stock
    walk answers."""
    position, node = [], task
    while node._parent is not None:
        parent = workflow.tasks.get(node._parent)
        if parent is None or parent._state < lowest or len(position) > 500:
            return None
        position.append(parent._children.index(node.id))
        node = parent
    if node is not workflow.task_tree:
        return None
    position.reverse()
    return position


def _do_engine_steps(self, will_complete_task=None, did_complete_task=None):
    """The stock pass runs the READY tasks that are not manual; without sub-processes and without such a
    task it runs nothing and answers False (no sub-process can have started)."""
    if not _has_subprocesses(self) and not any(
            task._state == TaskState.READY and not task.task_spec.manual for task in self.tasks.values()):
        return False
    return STOCK_DO_ENGINE_STEPS(self, will_complete_task, did_complete_task)


def is_completed(self) -> bool:
    """The stock check walks the tree for a task not yet finished; it visits every task (the lowest
    state's children too), so any in the dict answers."""
    if not self.completed and not any(task._state & TaskState.NOT_FINISHED_MASK for task in self.tasks.values()):
        self.completed = True
    return self.completed


def _has_subprocesses(workflow) -> bool:
    top = getattr(workflow, "top_workflow", workflow)
    return bool(getattr(top, "subprocesses", None))


def update_waiting_tasks(self) -> None:
    waiting = [task for task in self.tasks.values() if task._state == TaskState.WAITING]
    if not waiting:
        return
    if len(waiting) == 1 and isinstance(waiting[0].task_spec, ParallelGateway):
        waiting[0].task_spec._update(waiting[0])
        return
    STOCK_UPDATE_WAITING_TASKS(self)


STOCK_GET_TASKS = replace(Workflow, "get_tasks", get_tasks)
STOCK_UPDATE_WAITING_TASKS = replace(Workflow, "update_waiting_tasks", update_waiting_tasks)
STOCK_DO_ENGINE_STEPS = replace(BpmnWorkflow, "_do_engine_steps", _do_engine_steps)
STOCK_IS_COMPLETED = replace(Workflow, "is_completed", is_completed)
