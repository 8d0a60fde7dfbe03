"""One adapter per department system, chosen by configuration in ``get_adapter``."""
from engine import SimulatedDepartment
from workers.adapters.base import Adapter, AdapterError, BpmnError


def get_adapter(kind: str = "simulated", **options) -> Adapter:
    if kind == "simulated":
        return SimulatedDepartment(**options)
    if kind == "http":
        from workers.adapters.http import HttpDepartment
        return HttpDepartment(**options)
    raise ValueError(f"unknown adapter kind {kind!r}")


def configured_adapter(kind: str, *, department_url: str | None = None, topic_urls: dict | None = None,
                       timeout: float = 10.0, verify: bool = True, ca_file: str | None = None,
                       latency_ms: int = 0, failure_rate: float = 0.0) -> Adapter:
    """The adapter ``kind`` given only the settings that kind takes (the CLI and the embedded app share it)."""
    if kind == "http":
        if not department_url and not topic_urls:
            raise ValueError("the http adapter needs a department URL (DEPARTMENT_URL) or per-topic URLs")
        return get_adapter("http", base_url=department_url or "", topic_urls=topic_urls, timeout=timeout,
                           verify=verify, ca_file=ca_file)
    return get_adapter(kind, latency_ms=latency_ms, failure_rate=failure_rate)


__all__ = ["Adapter", "AdapterError", "BpmnError", "configured_adapter", "get_adapter"]
