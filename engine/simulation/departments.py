"""The simulated department systems, one for the whole project: the month replay (``replay``), the workers'
simulated adapter and the stand-in department server (``workers.department_server``) all decide here.

``decide`` is what each department answers; ``number_for(kind)`` is asked for a certificate number only
when one is issued, so callers decide how numbers are made (``digest_number`` of the idempotency key, or a
persisted sequence). ``SimulatedDepartment`` adds latency, a failure rate and idempotency.

The simulated marriage registry finds a licence for any certificate number except those starting with
``NOT_ON_RECORD_PREFIX`` (and none when the form has no number); the fact ``marriage_licence_on_record``
overrides it, for cases started without a form.
"""
import hashlib
import random
import time

from engine.errors import AdapterError, BpmnError

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
OTHER_PREFIX = "DZ"
NOT_ON_RECORD_PREFIX = "J0000"
MARRIAGE_NOT_FOUND = "未查询到父母的结婚电子证照，申请无法继续办理，请先办理结婚登记或核对结婚证字号"


def marriage_on_record(variables: dict) -> bool:
    if "marriage_licence_on_record" in variables:
        return bool(variables["marriage_licence_on_record"])
    number = str(variables.get("marriageCertificateNumber") or "")
    return bool(number) and not number.startswith(NOT_ON_RECORD_PREFIX)


def issued_kind(topic: str, variables: dict) -> str | None:
    """The e-licence a topic issues: known topics, else the task's item when the step names one."""
    return ISSUES.get(topic) or (variables.get("item") if topic.endswith(".issue") else None)


def decide(topic: str, variables: dict, number_for) -> dict:
    """The department's answer for one call; raises ``BpmnError`` for business refusals."""
    if topic == "marriage_licence.check":
        found = marriage_on_record(variables)
        return {"marriage_licence_found": found, "stop_reason": None if found else MARRIAGE_NOT_FOUND}
    if topic == "hukou_registration.register" and variables.get("hukou_refuse"):
        reason = variables.get("hukou_refuse_reason") or "落户地址不符合户籍政策"
        # the card gateway of 四川 reads ``hukou_refused`` (bpmn/README.md)
        raise BpmnError("hukou_refused", "户籍审核未通过", {"hukou_refused": True, "hukou_refusal_reason": reason})
    kind = issued_kind(topic, variables)
    if kind is None:
        return {}
    result = {"elicence": {"kind": kind, "number": number_for(kind)}}
    if topic == "hukou_registration.register":
        result["hukou_refused"] = False  # the card gateway of 四川 reads it
    return result


def number_prefix(kind: str) -> str:
    return PREFIX.get(kind, OTHER_PREFIX)


def digest_number(kind: str, key: str) -> str:
    """A certificate number made from the idempotency key: the same call always gets the same number."""
    digest = int(hashlib.sha256(key.encode()).hexdigest()[:12], 16)
    return f"{number_prefix(kind)}{digest % 10**10:010d}"


class SimulatedDepartment:
    """Every department, simulated: deterministic numbers, configurable latency and failure rate.

    Numbers are a digest of the idempotency key, so a repeated call (even from another process) returns
    the same certificate; the in-memory map only spares the work within one process.
    """

    def __init__(self, latency_ms: int = 0, failure_rate: float = 0.0, seed: int | None = None):
        self.latency_ms = latency_ms
        self.failure_rate = failure_rate
        self._random = random.Random(seed)
        self.issued: dict[str, dict] = {}  # idempotency key -> result: a retried call issues nothing new

    def call(self, topic: str, variables: dict, idempotency_key: str) -> dict:
        """The department's answer; raises ``AdapterError`` at the failure rate, ``BpmnError`` on refusals."""
        if self.latency_ms:
            time.sleep(self.latency_ms / 1000)
        if self.failure_rate and self._random.random() < self.failure_rate:
            raise AdapterError(f"模拟部门系统故障（{topic}）")
        if idempotency_key in self.issued:
            return self.issued[idempotency_key]
        result = decide(topic, variables, lambda kind: digest_number(kind, idempotency_key))
        self.issued[idempotency_key] = result
        return result
