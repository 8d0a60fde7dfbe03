"""SpiffWorkflow 3.2's (pinned) task state change, applied once on import of ``engine.bpmn``: it builds
its log record only when the ``spiff.task`` logger would emit it.

The stock ``Task._set_state`` formats a message and gathers a dict of extras (the state's name found
through a dict built afresh on each call, the parent looked up) for ``logger.info`` on every state
change, whether or not the logger is enabled; that was 3.4 % of an API process's CPU under the HTTP
bench (bench/NOTES.md). The state change itself is the stock one; with the logger enabled (at INFO, or
DEBUG for a state set again), the records are the stock ones too. tests/bpmn/test_state_changes.py
checks both.
"""
import logging
import time

from SpiffWorkflow.task import logger, Task
from SpiffWorkflow.util.task import TaskState

from engine.bpmn.replacements import replace


def _set_state(self, value: int) -> None:
    if value != self.state:
        elapsed = time.time() - self.last_state_change
        self.last_state_change = time.time()
        self._state = value
        if logger.isEnabledFor(logging.INFO):
            logger.info(f"State changed to {TaskState.get_name(value)}",
                        extra=self.collect_log_extras({"elapsed": elapsed}))
    elif logger.isEnabledFor(logging.DEBUG):
        logger.debug(f"State set to {TaskState.get_name(value)}", extra=self.collect_log_extras())


STOCK_SET_STATE = replace(Task, "_set_state", _set_state)
