"""A faster parallel join for SpiffWorkflow 3.2 (pinned), applied once on import of ``engine.bpmn``.

Each time a branch reaches a parallel join, the stock ``_check_threshold_unstructured`` finds the join's
task instances with ``workflow.get_tasks(spec_name=...)``: a walk of the whole task tree through
SpiffWorkflow's iterator, 8 % of the month replay's CPU (bench/NOTES.md). The same instances are the
entries of ``workflow.tasks`` (every task of the workflow, by id) with that spec. The rule below is the
stock one unchanged, and its answer does not depend on the order the instances come in: it only removes
inputs from a set. (The stock walk stops 1,000 levels deep; no diagram here nests that deep.) Whether
one instance lies below another is answered from the arriving task's ancestors, found once, instead of
a walk to the root for each instance (that walk was 8 % of a step's engine time).
tests/bpmn/test_joins.py checks the two answer alike at every join of every region's diagram.
"""
from SpiffWorkflow.bpmn.specs.mixins.parallel_gateway import ParallelGateway
from SpiffWorkflow.util.task import TaskState

from engine.bpmn.replacements import replace


def _check_threshold_unstructured(self, my_task) -> bool:
    waiting_inputs = set(self.inputs)

    def remove_ancestor(task):
        # trace the task's parents up to a spec among the join's inputs
        if task.task_spec in waiting_inputs:
            waiting_inputs.remove(task.task_spec)
        elif task.parent is not None:
            remove_ancestor(task.parent)

    above_mine = _ancestor_ids(my_task)
    for task in [t for t in my_task.workflow.tasks.values() if t.task_spec.name == self.name]:
        if _is_below(task, my_task, above_mine):
            remove_ancestor(task)  # the join in a loop, its first pass: not to be waited for
        elif task.id in above_mine:
            continue  # a later pass of a loop: the parents of earlier passes do not count
        elif task.parent.state == TaskState.COMPLETED and task.parent.task_spec in waiting_inputs:
            waiting_inputs.remove(task.parent.task_spec)
    return len(waiting_inputs) == 0


def _ancestor_ids(task) -> set:
    """The ids of the task's ancestors (``is_descendant_of``'s sense: the task itself not among them)."""
    ids, node = set(), task.parent
    while node is not None:
        ids.add(node.id)
        node = node.parent
    return ids


def _is_below(task, my_task, above_mine: set) -> bool:
    """``task.is_descendant_of(my_task)``, its walk up stopped at the first of ``my_task``'s ancestors
    (``above_mine``): from there up the path holds only those, never ``my_task`` itself."""
    node = task.parent
    while node is not None:
        if node is my_task:
            return True
        if node.id in above_mine:
            return False
        node = node.parent
    return False


STOCK_CHECK = replace(ParallelGateway, "_check_threshold_unstructured", _check_threshold_unstructured)
