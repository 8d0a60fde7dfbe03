"""四川省 (sc-province) true to its seed, shared/seeds/003_05c807b95d1186d1.txt (附件3 操作指南 above all),
over HTTP with the real engine and the in-process department worker (issue 14)."""
import pytest
from sqlalchemy import select

from api.extensions import db
from engine.store.models import OutboxMessage
from tests.api.helpers import sample_form
from tests.api.region_driver import ACCEPT, RegionDriver

SC = "sc-province"
ALL = ["birth_certificate", "vaccination_certificate", "hukou_registration", "medical_insurance",
       "social_security_card", "parenting_guidance", "maternity_reimbursement"]
CLAIM = {"maternity_claim": {"reimbursed_amount": 3200}}


def _form(designated=True):
    form = sample_form(SC)
    form["birth"]["designated_hospital"] = designated
    if not designated:
        form["attachments"].append("maternity_receipts")
    return form


def _tasks(driver, kind: str) -> list[dict]:
    response = driver.supervisor.get(f"/api/v1/tasks?case={driver.case_id}&kind={kind}&state=all&per_page=100")
    assert response.status_code == 200, response.get_json()
    return response.get_json()["items"]


def _every_task(driver) -> list[dict]:
    return _tasks(driver, "service") + _tasks(driver, "user")


def _statuses(driver) -> dict:
    return {code: status for code, (status, _) in driver.items().items()}


def _run(app, items, form=None):
    driver = RegionDriver(app, SC)
    driver.submit(items, form or _form())
    return driver, driver.run({**ACCEPT, **CLAIM})


@pytest.mark.parametrize("chosen, departments, designated", [
    (["birth_certificate", "vaccination_certificate", "parenting_guidance"], {"health", "community_health"}, True),
    (["hukou_registration", "medical_insurance", "social_security_card"], {"police", "medical_insurance", "hrss"}, True),
    (["birth_certificate", "maternity_reimbursement"], {"health", "medical_insurance"}, False),
], ids=["health-only", "certificate-issued-already", "certificate-and-maternity-claim"])
def test_families_choose_their_items_and_only_those_departments_work(app, chosen, departments, designated):
    """003 三、联办事项: 群众可结合自身需求，自主选择相关办理事项。 (附件3 二(一): 群众可结合实际情况，选择相关办理事项。)"""
    assert RegionDriver(app, SC).family.get(f"/api/v1/regions/{SC}").get_json()["item_choice"] == "free"
    driver, final = _run(app, chosen, _form(designated))
    assert final["status"] == "completed"
    statuses = _statuses(driver)
    assert {c for c, s in statuses.items() if s == "done"} == set(chosen)
    assert {c for c, s in statuses.items() if s == "not_applicable"} == set(ALL) - set(chosen)
    worked = [t for t in _every_task(driver) if t["bpmn_id"] != "acceptance_review"]
    assert {t["item"] for t in worked if t["item"]} == set(chosen)
    assert {_department(t) for t in worked if t["item"]} == departments
    issued = {lic["kind"] for lic in final["elicences"]}
    assert issued <= set(chosen) and issued >= set(chosen) - {"maternity_reimbursement"}


def _department(task: dict) -> str:
    lanes = {"分娩助产机构（卫健）": "health", "儿童常住地社区卫生服务中心（卫健）": "community_health",
             "县（市、区）公安机关": "police", "医保经办机构": "medical_insurance",
             "户籍地人力资源社会保障部门（社保卡）": "hrss"}
    return lanes[task["lane"]]


def _worker(app, topics):
    """The in-process department worker serving only ``topics`` (the other departments stay idle)."""
    from api.extensions import db
    from engine.store.db import make_session_factory
    from workers.adapters import get_adapter
    from workers.inprocess import InProcessWorker
    state = app.extensions["newborn"]
    with app.app_context():
        factory = make_session_factory(db.engine)
    return InProcessWorker(factory, get_adapter("simulated"), state.clock, state.calendar, topics=topics)


def test_hukou_insurance_and_vaccination_start_from_the_birth_certificate(app):
    """003 附件3 三(一)2: (2)…根据《出生医学证明》婴儿信息…办理《预防接种证》; (4) 医保经办机构及时查收…卫生健康部门推送的
    出生医学证明电子证照; (6) 在公安业务系统中引用出生医学证明电子证照…于 3个工作日内完成业务审核工作。

    Every department but the hospital's certificate system works as fast as it can: police, insurance and
    the vaccination certificate still get no task until the certificate is issued; parenting guidance and
    maternity do not wait for it.
    """
    driver = RegionDriver(app, SC)
    driver.submit(ALL, _form())
    others = _worker(app, ["marriage_licence.check", "parenting_guidance.register", "maternity_reimbursement.settle",
                           "vaccination_certificate.issue", "hukou_registration.register", "medical_insurance.enrol",
                           "social_security_card.issue"])
    others.drain()
    [review] = driver.open_tasks()
    driver.work(review, {"decision": "accept"})
    assert others.drain() == 2  # parenting guidance and maternity, nothing else
    opened = {t["bpmn_id"]: t["state"] for t in _tasks(driver, "service")}
    assert set(opened) == {"marriage_licence_check", "birth_certificate_issue", "parenting_guidance_register",
                           "maternity_reimbursement_settle"}
    assert opened["birth_certificate_issue"] == "ready"
    statuses = _statuses(driver)
    assert statuses["hukou_registration"] == statuses["medical_insurance"] == "pending"
    assert _worker(app, ["birth_certificate.issue"]).drain() == 1
    now_open = {t["bpmn_id"] for t in _tasks(driver, "service") if t["state"] == "ready"}
    assert now_open == {"vaccination_certificate_issue", "hukou_registration_register", "medical_insurance_enrol"}
    # the card waits for hukou and insurance (附件3 (7): 在婴儿户口登记和医保参保办理完成后)
    assert _worker(app, ["vaccination_certificate.issue", "medical_insurance.enrol",
                         "social_security_card.issue"]).drain() == 2
    assert "social_security_card_issue" not in {t["bpmn_id"] for t in _tasks(driver, "service")}
    assert _worker(app, ["hukou_registration.register"]).drain() == 1
    assert {t["bpmn_id"] for t in _tasks(driver, "service") if t["state"] == "ready"} == {"social_security_card_issue"}
    assert others.drain() == 1
    assert driver.case()["status"] == "completed" and set(_statuses(driver).values()) == {"done"}


def test_postage_for_the_card_is_paid_once_at_application(app):
    """003 四(一) 业务申请: 选择申领社会保障卡的，需扫码支付邮费。 (附件3 (1): 若申请人选择申领社会保障卡服务，
    助产机构工作人员指导申请人扫码支付邮寄费用。)

    The postage is a material of the application when the card is chosen, asked once: no family task
    asks it again later and nothing waits on the family.
    """
    unpaid = _form()
    unpaid["card"]["postage_paid"] = False
    refused = RegionDriver(app, SC).submit(["social_security_card"], unpaid, expect=422)
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [("attachments.card_postage", "material_missing")]
    # without the card, no postage is asked
    driver = RegionDriver(app, SC)
    driver.submit(["birth_certificate"], unpaid)
    assert driver.run(ACCEPT)["status"] == "completed"
    driver, final = _run(app, ["hukou_registration", "medical_insurance", "social_security_card"])
    assert final["status"] == "completed" and _statuses(driver)["social_security_card"] == "done"
    assert driver.worked == ["acceptance_review"]
    assert driver.family_tasks() == []
    assert not [t for t in _every_task(driver) if "applicant" in t["candidate_groups"]]


def test_vaccination_by_the_midwifery_institution_guidance_by_the_community_health_centre(app):
    """003 附件3 三(一)2: (2) 办理《预防接种证》。助产机构及时查看四川省免疫规划信息系统…; (3) 科学育儿指导服务登记。
    …推送到…儿童常住地所在的社区卫生服务中心，社区卫生服务中心确认收到完成科学育儿指导服务登记。"""
    driver, final = _run(app, ["birth_certificate", "vaccination_certificate", "parenting_guidance"])
    assert final["status"] == "completed"
    by_id = {t["bpmn_id"]: t for t in _every_task(driver)}
    assert _department(by_id["vaccination_certificate_issue"]) == "health"
    assert _department(by_id["birth_certificate_issue"]) == "health"
    assert _department(by_id["parenting_guidance_register"]) == "community_health"
    assert "cdc" not in {_department(t) for t in by_id.values() if t["item"]}


def test_only_the_limits_the_seed_states_are_promises(app):
    """003 附件3 三(一)2: (6) 户口登记…于 3个工作日内完成业务审核工作; (5) 生育医疗费用报销…(在 20个工作日内办结)。

    The seed promises no date for the whole case: the family is told none (no deadline, no date by SMS);
    the hukou task and the maternity claim carry their stated limits as promises; the case's 25 days, the
    card and insurance are the operator's internal targets (内部督办时限), for staff only.
    """
    driver, final = _run(app, ["hukou_registration", "medical_insurance", "social_security_card",
                               "maternity_reimbursement"], _form(designated=False))
    assert final["status"] == "completed"
    assert final["promise_working_days"] is None and final["deadline"] is None
    staff = driver.supervisor.get(f"/api/v1/cases/{driver.case_id}").get_json()
    assert staff["deadline"] is not None and staff["deadline_kind"] == "target"
    assert staff["deadline_label"] == "内部督办时限"
    limits = {t["bpmn_id"]: (t["limit_working_days"], t["deadline_kind"]) for t in _every_task(driver)}
    assert limits["hukou_registration_register"] == (3, "promise")
    assert limits["maternity_claim_review"] == (20, "promise")
    assert limits["medical_insurance_enrol"] == (1, "target")
    assert limits["social_security_card_issue"] == (15, "target")
    with app.app_context():
        texts = db.session.scalars(select(OutboxMessage.text).where(OutboxMessage.case_id == driver.case_id)).all()
    assert texts and not any("承诺" in text for text in texts)
    region = driver.family.get(f"/api/v1/regions/{SC}").get_json()
    assert region["promise_working_days"] is None
