"""The adapter contract: one ``call`` per department step. The outcomes other than a result are the
engine's (``AdapterError``: retry; ``BpmnError``: the diagram's error boundary), shared with the
simulated department."""
from typing import Protocol

from engine import AdapterError, BpmnError

__all__ = ["Adapter", "AdapterError", "BpmnError"]


class Adapter(Protocol):
    def call(self, topic: str, variables: dict, idempotency_key: str) -> dict:
        """Do the department's work; return result variables (an ``elicence`` dict if one is issued)."""
