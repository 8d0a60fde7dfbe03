"""A simulated department: deterministic numbers, configurable latency and failure rate."""
import hashlib
import random
import time

from workers.adapters.base import AdapterError, BpmnError

# topic -> e-licence kind it issues (None: the step issues nothing)
ISSUES = {
    "birth_certificate.issue": "birth_certificate",
    "vaccination_certificate.issue": "vaccination_certificate",
    "hukou_registration.register": "hukou_registration",
    "medical_insurance.enrol": "medical_insurance",
    "social_security_card.issue": "social_security_card",
    "maternity_reimbursement.settle": "maternity_reimbursement",
    "parenting_guidance.register": "parenting_guidance",
}
PREFIX = {"birth_certificate": "Q", "vaccination_certificate": "YM", "hukou_registration": "HK",
          "medical_insurance": "YB", "social_security_card": "SB", "maternity_reimbursement": "SY",
          "parenting_guidance": "YE"}


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
        result = self._result(topic, variables, idempotency_key)
        self.issued[idempotency_key] = result
        return result

    def _result(self, topic: str, variables: dict, key: str) -> dict:
        if topic == "marriage_licence.check":
            return {"marriage_licence_found": bool(variables.get("marriage_licence_on_record", True)),
                    "stop_reason": "未查询到父母的结婚电子证照，申请无法继续"}
        if topic == "hukou_registration.register" and variables.get("hukou_refuse"):
            raise BpmnError("hukou_refused", "户籍审核未通过",
                            {"hukou_refusal_reason": variables.get("hukou_refuse_reason") or "落户地址不符合户籍政策"})
        kind = ISSUES.get(topic)
        if kind is None:
            return {}
        digest = int(hashlib.sha256(key.encode()).hexdigest()[:12], 16)
        result = {"elicence": {"kind": kind, "number": f"{PREFIX[kind]}{digest % 10**10:010d}"}}
        if topic == "hukou_registration.register":
            result["hukou_refused"] = False  # the card gateway of 四川 reads it
        return result
