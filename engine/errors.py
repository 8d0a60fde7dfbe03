"""The engine's error tree. The API maps these (and only these) to HTTP answers.

``Problem`` is the forms' own (``forms.problems``): one located problem type for forms, engine and API.
"""
from forms.problems import Problem


class EngineError(Exception):
    code = "engine_error"

    def __init__(self, message: str = "", problems: list[Problem] | None = None, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.problems = list(problems or [])
        self.field = field

    def as_problems(self) -> list[Problem]:
        return self.problems or [Problem(self.field or "", self.code, self.message)]


class NotFound(EngineError):
    code = "not_found"


class Conflict(EngineError):
    """Someone else changed the thing first (stale row version, lost claim race, stale lock)."""
    code = "conflict"


class Forbidden(EngineError):
    code = "forbidden"


class InvalidTransition(EngineError):
    """The thing exists but is not in a state that allows this action."""
    code = "invalid_transition"


class Invalid(EngineError):
    """Input data broke rules; ``problems`` lists every one."""
    code = "invalid"


class StepRefused(Invalid):
    """A step failed while evaluating what its caller sent: rolled back whole, the case unchanged."""
    code = "step_failed"


class DeployRejected(EngineError):
    code = "deploy_rejected"


class ProcessFailure(EngineError):
    """A diagram misbehaved at run time (refused expression, missing variable)."""
    code = "process_failure"


# -- what a department system answers instead of a result (not HTTP answers: workers report them) --

class AdapterError(Exception):
    """The department system failed (unreachable, 5xx, a bad answer): the task is retried, then an incident."""


class BpmnError(Exception):
    """A business outcome the diagram catches with an error boundary (e.g. hukou refused)."""

    def __init__(self, code: str, message: str = "", variables: dict | None = None):
        super().__init__(message or code)
        self.code = code
        self.message = message
        self.variables = variables or {}
