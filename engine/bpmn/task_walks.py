"""Two of SpiffWorkflow 3.2's (pinned) walks of the whole task tree skipped when the workflow's task dict
shows they would find nothing; applied once on import of ``engine.bpmn``.

- ``Workflow.get_tasks(state=…)``: ``do_engine_steps`` asks it for the READY tasks at least twice per
  call (the last pass to learn that nothing is left to run).
- ``Workflow.update_waiting_tasks``: run after every completed task, to update the WAITING ones.

Both walk the tree from its root through SpiffWorkflow's ``TaskIterator``, a Python generator, about 100
nodes a Qinbei case; together that was about 10 % of an API process's CPU (bench/NOTES.md). The walk
can only find tasks of ``workflow.tasks`` (every task of that workflow, by id), so when none there is in
the asked state the answer is known without it. (A BPMN workflow's ``get_tasks`` also descends into
its sub-processes: while it has any, the stock walk answers.) Otherwise the stock walk runs, in its order, with one
exception: the WAITING task is the only one and a parallel join (the usual case: the items' branches
waiting to meet). Updating that join cannot make another task WAITING (it cancels only other WAITING
instances of itself, and becomes READY or stays WAITING), so the rest of the walk would find nothing.
tests/bpmn/test_task_walks.py runs every region's cases both ways and compares every state change.
"""
from SpiffWorkflow.bpmn.specs.mixins.parallel_gateway import ParallelGateway
from SpiffWorkflow.util.task import TaskState
from SpiffWorkflow.workflow import Workflow

STOCK_GET_TASKS = Workflow.get_tasks
STOCK_UPDATE_WAITING_TASKS = Workflow.update_waiting_tasks


def get_tasks(self, first_task=None, **kwargs):
    # a BPMN workflow's walk descends into its sub-processes, whose tasks its dict does not hold
    if first_task is None and kwargs.keys() == {"state"} and not _has_subprocesses(self):
        state = kwargs["state"]
        if not any(task._state & state for task in self.tasks.values()):
            return []
    return STOCK_GET_TASKS(self, first_task, **kwargs)


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


Workflow.get_tasks = get_tasks
Workflow.update_waiting_tasks = update_waiting_tasks
