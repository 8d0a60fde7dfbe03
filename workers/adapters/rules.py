"""What each simulated department decides, shared by the simulated adapter and the department server.

``number_for(kind)`` is asked for a certificate number only when one is issued, so callers decide how
numbers are made (a digest of the idempotency key, or a persisted sequence).

The simulated marriage registry finds a licence for any certificate number except those starting with
``NOT_ON_RECORD_PREFIX`` (and none when the form has no number); the fact
``marriage_licence_on_record`` overrides it, for cases started without a form.
"""
from workers.adapters.base import BpmnError

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
        raise BpmnError("hukou_refused", "户籍审核未通过",
                        {"hukou_refused": True,  # the card gateway of 四川 reads it (bpmn/README.md)
                         "hukou_refusal_reason": variables.get("hukou_refuse_reason") or "落户地址不符合户籍政策"})
    kind = issued_kind(topic, variables)
    if kind is None:
        return {}
    result = {"elicence": {"kind": kind, "number": number_for(kind)}}
    if topic == "hukou_registration.register":
        result["hukou_refused"] = False  # the card gateway of 四川 reads it
    return result
