"""The one retry policy of service tasks, read from the task's BPMN properties (bpmn/README.md):
``retries`` retries after the first failure (default 3), the first ``retryBackoffSeconds`` after it
(default 10), each next one twice as late, never more than an hour. The in-process worker, the worker
process (through the task's extension properties) and the simulation all ask it.
"""
from dataclasses import dataclass

DEFAULT_RETRIES = 3
DEFAULT_BACKOFF_SECONDS = 10
MAX_BACKOFF_MS = 3_600_000


@dataclass(frozen=True)
class RetryPlan:
    retries_left: int  # after this failure; 0 makes the task an incident
    backoff_ms: int    # before the next attempt


def retry_plan(properties: dict | None, retries_reported: int | None) -> RetryPlan:
    """What one more failure of a task means, from its BPMN ``properties``.

    ``retries_reported`` is the task's retries as Camunda shows them: ``None`` before its first failure,
    then what the last failure left. Pure: reads nothing else, raises ``ValueError`` on a non-numeric
    property (deploy validation refuses those).
    """
    props = properties or {}
    configured = int(props.get("retries", DEFAULT_RETRIES))
    if retries_reported is None:
        left = configured
    else:
        left = max(retries_reported - 1, 0)
    failures = max(configured - left + 1, 1)  # this one included
    first_ms = int(float(props.get("retryBackoffSeconds", DEFAULT_BACKOFF_SECONDS)) * 1000)
    backoff_ms = first_ms * 2 ** (failures - 1)
    return RetryPlan(left, min(backoff_ms, MAX_BACKOFF_MS))


def reported_retries(task) -> int | None:
    """A task row's retries as Camunda shows them: ``None`` until its first failure."""
    if task.error_message is None:
        return None
    return task.retries


def plan_for(task) -> RetryPlan:
    """``retry_plan`` of a task row (its stored properties and retries)."""
    return retry_plan(task.properties, reported_retries(task))
