"""A workflow nothing will use again, taken apart so reference counting frees it at once.

A SpiffWorkflow workflow is a knot of references: each task points at its workflow, the workflow holds
its tasks (``workflow.tasks``, ``task_tree``, ``last_task``), its event manager points back at it, and a
sub-process workflow points at its top workflow. Dropped as it is, a workflow (about 430 objects for a
Qinbei case) waits for the cycle collector, and an API process drops one on most steps (three in four
miss the workflow cache under ``make serve``): its middle generation then held about 100,000 such
objects at each pass, a pause of 150-220 ms of CPU with a request thread holding the GIL (the clerks'
p99 stalls in bench/NOTES.md). Emptying the workflows' attribute dicts breaks every such cycle.
"""


def take_apart(workflow) -> None:
    """Empty ``workflow`` and its sub-process workflows so that, once the caller lets go of it, all of it
    is freed by reference counting. Only for a workflow no one holds: it is unusable afterwards."""
    for subprocess in getattr(workflow, "subprocesses", {}).values():
        vars(subprocess).clear()
    vars(workflow).clear()
