"""The workflow each case's last step saved, kept in memory so the next step need not parse it again.

An entry is valid only for the case row version it was saved as: a step elsewhere (another process,
a failed commit) moves the version on and the entry is ignored. A step *takes* its entry out, so two
threads never share one workflow object; it puts it back only after its commit succeeded.

Steps start from a task id, so the cache also knows which waiting tasks its workflows hold
(``may_hold_task``): a step that will find nothing here reads the case's state with its lock, in one
statement instead of two.

What the cache lets go of (an entry evicted, replaced or found stale; a workflow offered while the
cache is off) it owns alone, and takes apart (``engine.bpmn.teardown``): freed at once, not by the
cycle collector's pauses.
"""
import os
import threading
from collections import OrderedDict
from contextlib import contextmanager

from engine.bpmn.teardown import take_apart

# workflows kept per process (a Qinbei case's is about 100 KB in memory); 0 turns the cache off
DEFAULT_SIZE = int(os.environ.get("WORKFLOW_CACHE_SIZE", "128"))


class WorkflowCache:
    def __init__(self, size: int = DEFAULT_SIZE):
        self.size = size
        self._entries: OrderedDict[str, tuple[int, object, tuple]] = OrderedDict()
        self._case_of_task: dict[str, str] = {}  # waiting task id -> case id, for the entries held
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def may_hold_task(self, task_id: str) -> bool:
        """Whether a workflow held here waits on the task (its version is checked only by ``take``)."""
        return self._case_of_task.get(task_id) in self._entries

    def take(self, case_id: str, row_version: int):
        """The workflow saved as ``row_version`` of the case, removed from the cache; else ``None``."""
        with self._lock:
            entry = self._pop(case_id)
            if entry is not None and entry[0] == row_version:
                self.hits += 1
                return entry[1]
            self.misses += 1
        _take_apart([entry])  # saved at a version a step elsewhere has moved on from
        return None

    def put(self, case_id: str, row_version: int, workflow, waiting_task_ids=()) -> None:
        if self.size <= 0:
            take_apart(workflow)
            return
        with self._lock:
            dropped = [self._pop(case_id)]
            self._entries[case_id] = (row_version, workflow, tuple(waiting_task_ids))
            self._case_of_task.update(dict.fromkeys(waiting_task_ids, case_id))
            dropped += self._trim()
        _take_apart(dropped, keep=workflow)

    def _pop(self, case_id: str):
        entry = self._entries.pop(case_id, None)
        if entry is not None:
            for task_id in entry[2]:
                self._case_of_task.pop(task_id, None)
        return entry

    def _trim(self) -> list:
        """The oldest entries beyond the size, removed (the caller takes them apart, out of the lock)."""
        dropped = []
        while len(self._entries) > self.size:
            dropped.append(self._pop(next(iter(self._entries))))
        return dropped

    def clear(self) -> None:
        with self._lock:
            dropped = list(self._entries.values())
            self._entries.clear()
            self._case_of_task.clear()
        _take_apart(dropped)

    @contextmanager
    def at_least(self, size: int):
        """Hold ``size`` workflows for a while (a replay cycling through all its open cases)."""
        previous, self.size = self.size, max(self.size, size)
        try:
            yield self
        finally:
            self.size = previous
            with self._lock:
                dropped = self._trim()
            _take_apart(dropped)


def _take_apart(entries: list, keep=None) -> None:
    """Free what the cache let go of (``None``: nothing was there), after its lock is released: freeing a
    workflow's few hundred objects need not hold up the other threads' takes and puts."""
    for entry in entries:
        if entry is not None and entry[1] is not keep:
            take_apart(entry[1])


workflow_cache = WorkflowCache()
