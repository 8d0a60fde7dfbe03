from typing import Protocol


class AdapterError(Exception):
    """The department system failed; the task is retried, then becomes an incident."""


class BpmnError(Exception):
    """A business outcome the diagram catches with an error boundary (e.g. hukou refused)."""

    def __init__(self, code: str, message: str = "", variables: dict | None = None):
        super().__init__(message or code)
        self.code, self.message, self.variables = code, message, variables or {}


class Adapter(Protocol):
    def call(self, topic: str, variables: dict, idempotency_key: str) -> dict:
        """Do the department's work; return result variables (an ``elicence`` dict if one is issued)."""
