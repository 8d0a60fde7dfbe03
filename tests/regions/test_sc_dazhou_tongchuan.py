"""达州通川 true to its seed (shared/seeds/001, 通川区“新生儿出生一件事”联办工作实施方案), through the HTTP API and
the real engine with the in-process department worker (issue 14, acceptance 1 and 2 for 通川)."""
import pytest

from tests.api.helpers import User, every_task, sample_form
from tests.api.region_driver import RegionDriver
from tests.regions.family_view import assert_no_promised_date, sms_texts

REGION = "sc-dazhou-tongchuan"
ALL_ITEMS = ["birth_certificate", "vaccination_certificate", "hukou_registration", "medical_insurance",
             "insurance_payment", "social_security_card"]
ANSWERS = {"acceptance_review": {"decision": "accept"},
           "parents_identity_check": {"parents_identity_confirmed": True},
           "file_handover": {"handover_date": "2025-09-29"}, "hall_receipt": {"materials_complete": True},
           "results_handover": {"collected_by": "李秀英"},
           "insurance_payment_confirmation": {"payment_voucher": "351170225000123", "paid_on": "2025-10-08"}}
PAYMENT = "confirm_insurance_payment"



def answer(task: dict, answers: dict) -> dict:
    return answers.get(task["bpmn_id"], answers.get(task["form_key"], {}))


def run_until(driver, answers, hold=(), rounds=30) -> list[dict]:
    """Like RegionDriver.run, but leaves the user tasks in ``hold`` open; returns the open tasks when settled."""
    for _ in range(rounds):
        handled = driver.worker.drain()
        todo = [t for t in driver.open_tasks() if t["bpmn_id"] not in hold]
        for task in todo:
            driver.work(task, answer(task, answers))
        if not handled and not todo:
            return driver.open_tasks()
    raise AssertionError("the case did not settle")


def start(app, items, form=None) -> RegionDriver:
    driver = RegionDriver(app, REGION)
    driver.submit(items, form or sample_form(REGION))
    return driver


@pytest.mark.parametrize("chosen, steps", [
    (["birth_certificate"], {"birth_certificate_issue"}),
    (["vaccination_certificate"], {"vaccination_certificate_issue"}),
    (["hukou_registration"], {"hand_over_file", "hall_receive", "hukou_registration_register", "hand_over_results"}),
    (["social_security_card"], {"hand_over_file", "hall_receive", "social_security_card_issue", "post_card"}),
])
def test_需办理事项_one_ticked_item_runs_only_its_department(app, chosen, steps):
    """001 附件1 联办申请表 “需办理事项 □……”: the family ticks items. With one ticked, only its steps run; the
    other departments open no task and issue nothing, and the other items stay 不适用."""
    form = sample_form(REGION)
    if "hukou_registration" in chosen:  # the certificate was issued before: its pages travel with the file (附件2 4)
        form["attachments"].append("birth_certificate_pages")
    driver = start(app, chosen, form)
    final = driver.run(ANSWERS)
    assert final["status"] == "completed"
    tasks = every_task(User(app.test_client(), "admin"), driver.case_id)
    assert {t["bpmn_id"] for t in tasks} == {"acceptance_review", "verify_parents"} | steps
    assert {t["item"] for t in tasks} - {None} == set(chosen)
    assert {i["code"]: i["status"] for i in final["items"]} == {
        i: "done" if i in chosen else "not_applicable" for i in ALL_ITEMS}
    assert {lic["kind"] for lic in final["elicences"]} == set(chosen)


@pytest.mark.parametrize("confirmer", ["family", "tax"])
def test_申请人根据缴费提示完成相关操作_payment_stays_未办结_until_the_payment_is_confirmed(app, confirmer):
    """001 二(四)4 “并附医保缴费操作流程，申请人根据缴费提示完成相关操作” and 附件4 缴费指南: the family pays by itself.
    Enrolment done and the guide sent do not make 医保缴费 已办结 (no 税务 task, no SMS says so); it is done when
    the payment is confirmed, by the family or by the tax department's result."""
    driver = start(app, ["medical_insurance", "insurance_payment"])
    waiting = run_until(driver, ANSWERS, hold={PAYMENT})
    assert [t["bpmn_id"] for t in waiting] == [PAYMENT]
    case = driver.case()
    items = {i["code"]: i for i in case["items"]}
    assert items["medical_insurance"]["status"] == "done"
    assert items["insurance_payment"]["label"] == "未办结" and case["status"] == "in_progress"
    assert not [t for t in every_task(User(app.test_client(), "admin"), driver.case_id) if t["topic"] and t["topic"].startswith("insurance_payment")]
    assert not [s for s in sms_texts(app, driver.case_id) if "医保缴费" in s]
    assert [t["bpmn_id"] for t in driver.family_tasks()] == [PAYMENT]
    [task] = waiting
    if confirmer == "family":
        driver.work(task, ANSWERS["insurance_payment_confirmation"])
    else:
        tax = User(driver.client, f"{REGION}.tax")
        assert tax.post(f"/api/v1/tasks/{task['id']}/claim").status_code == 200
        done = tax.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": ANSWERS["insurance_payment_confirmation"]})
        assert done.status_code == 200, done.get_json()
    final = driver.run(ANSWERS)
    assert final["status"] == "completed"
    assert {i["code"]: i["label"] for i in final["items"]}["insurance_payment"] == "已办结"
    assert [s for s in sms_texts(app, driver.case_id) if "医保缴费" in s and "已办结" in s]


def test_payment_confirmation_without_a_voucher_is_refused_and_changes_nothing(app):
    """附件4 三、证明开具: a payment shows by its 缴费证明; a confirmation without one is a 422 on the field."""
    driver = start(app, ["insurance_payment"])
    [task] = run_until(driver, ANSWERS, hold={PAYMENT})
    response = driver.family.post(f"/api/v1/cases/{driver.case_id}/family-tasks/{task['id']}/complete",
                                  json={"data": {"paid_on": "2025-10-08"}})
    assert response.status_code == 422
    assert [(e["field"], e["code"]) for e in response.get_json()["errors"]] == [("data.payment_voucher", "required")]
    assert {i["code"]: i["status"] for i in driver.case()["items"]}["insurance_payment"] == "in_progress"


def test_确认新生儿父母身份信息_parents_not_confirmed_no_certificate_is_issued(app):
    """001 二(四)3 “确认新生儿父母身份信息，符合要求的当场发放《出生医学证明》和《预防接种证》”: when the window
    cannot confirm the parents, neither certificate is issued, no hall work starts, and the family is told why."""
    driver = start(app, ALL_ITEMS)
    final = driver.run({**ANSWERS, "parents_identity_check": {"parents_identity_confirmed": False}})
    assert final["status"] == "stopped"
    assert "父母身份" in final["outcome_reason"]
    assert final["elicences"] == []
    assert not {i["status"] for i in final["items"]} & {"done", "refused"}
    assert {t["bpmn_id"] for t in every_task(User(app.test_client(), "admin"), driver.case_id)} == {"acceptance_review", "verify_parents"}


def test_社会保障卡发卡_邮寄_the_card_is_posted_even_when_the_other_results_are_collected(app):
    """001 附件1 “办理后证件（除社会保障卡）领取方式：□邮寄 □自行领取” and “《社会保障卡》发卡：□邮寄”: the family
    collecting its results at the hall still gets the card by post; no one hands the card over at the hall."""
    form = sample_form(REGION)
    assert form["delivery"]["method"] == "pickup"
    driver = start(app, ["birth_certificate", "hukou_registration", "social_security_card"], form)
    final = driver.run(ANSWERS)
    assert final["status"] == "completed"
    tasks = {t["bpmn_id"]: t for t in every_task(User(app.test_client(), "admin"), driver.case_id)}
    assert tasks["post_card"]["topic"] == "delivery.post" and tasks["post_card"]["item"] == "social_security_card"
    assert tasks["hand_over_results"]["state"] == "completed" and "post_results" not in tasks
    assert {i["code"]: i["status"] for i in final["items"]}["social_security_card"] == "done"


def test_乡镇中心卫生院也可到便民服务中心进行办理_township_hospital_files_go_to_the_便民服务中心(app):
    """001 二(四)3 “交到区行政审批局政务服务大厅（乡镇中心卫生院也可到便民服务中心进行办理）”: a township hospital's
    file is received by the township 便民服务中心, not the district hall; other hospitals' by the hall."""
    form = sample_form(REGION)
    form["birth"]["township_hospital"] = True
    driver = start(app, ["birth_certificate", "hukou_registration"], form)
    final = driver.run(ANSWERS)
    assert final["status"] == "completed"
    tasks = {t["bpmn_id"]: t for t in every_task(User(app.test_client(), "admin"), driver.case_id)}
    assert "hall_receive" not in tasks
    assert tasks["township_receive"]["candidate_groups"] == ["township_service_center"]
    assert tasks["township_receive"]["lane"] == "乡镇便民服务中心"
    assert {i["code"]: i["status"] for i in final["items"]}["hukou_registration"] == "done"


def test_no_limit_in_the_seed_so_every_limit_is_an_internal_target(app):
    """001 states no time limit anywhere: the diagram carries internal targets (targetWorkingDays) and no promise;
    staff see every deadline labelled 内部督办时限 (the card's 5 days included)."""
    driver = start(app, ALL_ITEMS)
    assert driver.case()["promise_working_days"] is None
    final = driver.run(ANSWERS)
    assert final["status"] == "completed"
    tasks = every_task(User(app.test_client(), "admin"), driver.case_id)
    assert len(tasks) == 12
    assert {(t["deadline_kind"], t["deadline_label"]) for t in tasks} == {("target", "内部督办时限")}
    assert {t["bpmn_id"]: t["limit_working_days"] for t in tasks}["social_security_card_issue"] == 5
    staff = driver.supervisor.get(f"/api/v1/cases/{driver.case_id}").get_json()
    assert staff["deadline_label"] == "内部督办时限"


def test_no_promise_in_the_seed_so_the_family_is_told_no_date(app):
    """001 states no time limit: the 受理通知书, every SMS and the family's case pages carry no promised date
    (issue 14, acceptance 2)."""
    driver = start(app, ALL_ITEMS)
    final = driver.run(ANSWERS)
    assert final["status"] == "completed"
    assert_no_promised_date(app, driver)


def test_出生医学证明_正页副页_is_asked_when_the_window_does_not_issue_it(app):
    """001 附件2 回执 “4. 出生医学证明（正页、副页）”: the hall registers the hukou from the certificate. Issued at the
    window in this case, it travels with the file; when that item is not ticked, the family presents it."""
    family = User(app.test_client(), f"{REGION}.family")
    form = sample_form(REGION)
    issued_here = family.post("/api/v1/cases", json={"region": REGION, "form": form,
                                                     "items": ["birth_certificate", "hukou_registration"]})
    assert issued_here.status_code == 201, issued_here.get_json()
    alone = family.post("/api/v1/cases", json={"region": REGION, "items": ["hukou_registration"], "form": form})
    assert alone.status_code == 422
    assert [(e["field"], e["code"]) for e in alone.get_json()["errors"]] == [
        ("attachments.birth_certificate_pages", "material_missing")]


def test_需办理事项_the_region_tells_the_family_it_chooses(app):
    """001 附件1 “需办理事项 □”: GET /regions/{code} states the free choice (itemChoice=free in the diagram)."""
    region = User(app.test_client(), f"{REGION}.family").get(f"/api/v1/regions/{REGION}").get_json()
    assert region["item_choice"] == "free"
    assert [i["code"] for i in region["items"]] == ALL_ITEMS
