"""A simulated department: deterministic numbers, configurable latency and failure rate.

Numbers are a digest of the idempotency key, so a repeated call (even from another process) returns
the same certificate; the in-memory map only spares the work within one process.
"""
import hashlib
import random
import time

from workers.adapters import rules
from workers.adapters.base import AdapterError

ISSUES, PREFIX = rules.ISSUES, rules.PREFIX


class SimulatedDepartment:
    def __init__(self, latency_ms: int = 0, failure_rate: float = 0.0, seed: int | None = None):
        self.latency_ms, self.failure_rate = latency_ms, failure_rate
        self._random = random.Random(seed)
        self.issued: dict[str, dict] = {}  # idempotency key -> result: a retried call issues nothing new

    def call(self, topic: str, variables: dict, idempotency_key: str) -> dict:
        if self.latency_ms:
            time.sleep(self.latency_ms / 1000)
        if self.failure_rate and self._random.random() < self.failure_rate:
            raise AdapterError(f"模拟部门系统故障（{topic}）")
        if idempotency_key in self.issued:
            return self.issued[idempotency_key]
        result = rules.decide(topic, variables, lambda kind: _number(kind, idempotency_key))
        self.issued[idempotency_key] = result
        return result


def _number(kind: str, key: str) -> str:
    digest = int(hashlib.sha256(key.encode()).hexdigest()[:12], 16)
    return f"{rules.PREFIX.get(kind, 'DZ')}{digest % 10**10:010d}"
