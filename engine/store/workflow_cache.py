"""The workflow each case's last step saved, kept in memory so the next step need not parse it again.

An entry is valid only for the case row version it was saved as: a step elsewhere (another process,
a failed commit) moves the version on and the entry is ignored. A step *takes* its entry out, so two
threads never share one workflow object; it puts it back only after its commit succeeded.
"""
import os
import threading
from collections import OrderedDict
from contextlib import contextmanager

# workflows kept per process (a Qinbei case's is about 100 KB in memory); 0 turns the cache off
DEFAULT_SIZE = int(os.environ.get("WORKFLOW_CACHE_SIZE", "128"))


class WorkflowCache:
    def __init__(self, size: int = DEFAULT_SIZE):
        self.size = size
        self._entries: OrderedDict[str, tuple[int, object]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def take(self, case_id: str, row_version: int):
        """The workflow saved as ``row_version`` of the case, removed from the cache; else ``None``."""
        with self._lock:
            entry = self._entries.pop(case_id, None)
            found = entry[1] if entry is not None and entry[0] == row_version else None
            if found is None:
                self.misses += 1
            else:
                self.hits += 1
            return found

    def put(self, case_id: str, row_version: int, workflow) -> None:
        if self.size <= 0:
            return
        with self._lock:
            self._entries[case_id] = (row_version, workflow)
            self._entries.move_to_end(case_id)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    @contextmanager
    def at_least(self, size: int):
        """Hold ``size`` workflows for a while (a replay cycling through all its open cases)."""
        previous, self.size = self.size, max(self.size, size)
        try:
            yield self
        finally:
            self.size = previous
            with self._lock:
                while len(self._entries) > self.size:
                    self._entries.popitem(last=False)


workflow_cache = WorkflowCache()
