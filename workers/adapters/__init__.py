"""One adapter per department system, chosen by configuration in ``get_adapter``."""
from workers.adapters.base import Adapter, AdapterError, BpmnError
from workers.adapters.simulated import SimulatedDepartment


def get_adapter(kind: str = "simulated", **options) -> Adapter:
    if kind == "simulated":
        return SimulatedDepartment(**options)
    if kind == "http":
        from workers.adapters.http import HttpDepartment
        return HttpDepartment(**options)
    raise ValueError(f"unknown adapter kind {kind!r}")


__all__ = ["Adapter", "AdapterError", "BpmnError", "get_adapter"]
