"""重庆江津 true to its seed (shared/seeds/000, 津卫办〔2021〕97号), through the HTTP API and the real engine
with the in-process department worker (issue 14, acceptance 1 and 2 for 江津)."""
import pytest

from tests.api.helpers import User, every_task, sample_form
from tests.api.region_driver import ACCEPT, RegionDriver
from tests.regions.family_view import assert_no_promised_date

REGION = "cq-jiangjin"
ALL_ITEMS = ["vaccination_certificate", "birth_certificate", "hukou_registration", "medical_insurance"]
# The department steps (bpmn ids) each item brings into a 江津 case; vaccination brings none (recorded).
ITEM_STEPS = {
    "vaccination_certificate": set(),
    "birth_certificate": {"birth_certificate_issue"},
    "hukou_registration": {"hukou_registration_register"},
    "medical_insurance": {"medical_insurance_receive", "medical_insurance_enrol", "medical_insurance_close"},
}



def run_case(app, items, form=None, answers=None):
    driver = RegionDriver(app, REGION)
    driver.submit(items, form or sample_form(REGION))
    final = driver.run({**ACCEPT, **(answers or {})})
    return driver, final, every_task(User(app.test_client(), "admin"), driver.case_id)


@pytest.mark.parametrize("chosen, paper", [(["birth_certificate"], None),
                                           (["medical_insurance"], "newborn_hukou_proof"),
                                           (["hukou_registration"], "birth_certificate")])
def test_勾选联办事项_only_the_chosen_item_runs_and_no_other_department_works(app, chosen, paper):
    """000 四(二)1: the family chooses, “勾选联办事项点击下一步”. With one item ticked, only its department works:
    the others open no task, issue nothing, and stay 不适用."""
    form = sample_form(REGION)
    form["attachments"] += [paper] if paper else []  # a result of an unticked item is the family's paper
    _, final, tasks = run_case(app, chosen, form)
    assert final["status"] == "completed"
    assert {t["bpmn_id"] for t in tasks} == {"acceptance_review"} | ITEM_STEPS[chosen[0]]
    assert {t["item"] for t in tasks} - {None} == set(chosen)
    statuses = {i["code"]: i["status"] for i in final["items"]}
    assert statuses == {i: "done" if i in chosen else "not_applicable" for i in ALL_ITEMS}
    assert {lic["kind"] for lic in final["elicences"]} == set(chosen)


def test_首针乙肝疫苗接种单位直接发放_vaccination_is_recorded_not_a_step_before_the_birth_certificate(app):
    """000 四(一): 《预防接种证》“由新生儿首针乙肝疫苗接种单位直接发放”. It was handed out at birth: acceptance
    records it 已办结 at once, no department task exists for it, and it does not hold up the birth certificate,
    which waits only for the baby's name (000 四(二)3 “在新生儿名字取好后立即办理《出生医学证明》”)."""
    driver = RegionDriver(app, REGION)
    form = sample_form(REGION)
    del form["newborn"]["name"]
    driver.submit(["vaccination_certificate", "birth_certificate"], form)
    seen = []

    def observe(d, open_tasks):
        statuses = {code: status for code, (status, _) in d.items().items()}
        seen.append((statuses["vaccination_certificate"], statuses["birth_certificate"],
                     sorted(t["bpmn_id"] for t in open_tasks)))

    final = driver.run({**ACCEPT, "newborn_naming": {"newborn_name": "张小宝", "newborn_named": True}}, observe)
    # while the clerk waits for the name, vaccination is already done and the certificate is not
    assert ("done", "pending", ["await_newborn_name"]) in seen
    tasks = every_task(User(app.test_client(), "admin"), driver.case_id)
    assert not [t for t in tasks if t["item"] == "vaccination_certificate" or "cdc" in t["candidate_groups"]]
    assert "vaccination_certificate.issue" not in {t["topic"] for t in tasks}
    assert final["status"] == "completed"
    assert {i["code"]: i["label"] for i in final["items"]}["vaccination_certificate"] == "已办结"


def _non_marital_form():
    form = sample_form(REGION)
    form["marriage"] = {"in_marriage": False}
    form["attachments"].remove("marriage_certificate")
    return form


def test_国内婚生子女出生登记_a_birth_outside_marriage_refuses_the_hukou_item_only(app):
    """000 二(三) and 三(二): the joint item is “国内婚生子女出生登记” (its material: 父母《结婚证》). A birth
    outside marriage is accepted; only the hukou item is refused, with the reason; the certificates are issued,
    the case completes, and the police open no task."""
    driver, final, tasks = run_case(app, ["vaccination_certificate", "birth_certificate", "hukou_registration"],
                                    _non_marital_form())
    assert final["status"] == "completed"
    items = {i["code"]: i for i in final["items"]}
    assert items["hukou_registration"]["status"] == "refused"
    assert "非婚生育" in items["hukou_registration"]["reason"]
    assert items["birth_certificate"]["status"] == items["vaccination_certificate"]["status"] == "done"
    assert items["medical_insurance"]["status"] == "not_applicable"
    assert not [t for t in tasks if t["item"] == "hukou_registration"]
    assert [lic["kind"] for lic in final["elicences"]] == ["birth_certificate"]


def test_收到区公安局推送业务信息后_insurance_without_the_police_push_is_refused_with_its_reason(app):
    """000 三(三) the insurance material is the “新生儿户口证明”, and 四(四) 医保局 acts “收到区公安局推送业务信息后”:
    when the hukou item is refused for a birth outside marriage, a chosen insurance item cannot be done in this
    case and says why; the birth certificate is still issued and the case is not refused."""
    _, final, tasks = run_case(app, ALL_ITEMS, _non_marital_form())
    assert final["status"] == "completed"
    items = {i["code"]: i for i in final["items"]}
    assert items["medical_insurance"]["status"] == "refused"
    assert "户口证明" in items["medical_insurance"]["reason"]
    assert items["birth_certificate"]["status"] == "done"
    assert {t["bpmn_id"] for t in tasks} == {"acceptance_review", "birth_certificate_issue"}


def test_婚生_birth_is_registered_and_the_marriage_certificate_is_not_asked_outside_marriage(app):
    """000 三(二)3 父母《结婚证》 is a material of the hukou item for a marital birth only: a family outside
    marriage is not told to bring one (一次告知), a married family is."""
    client = app.test_client()
    family = User(client, f"{REGION}.family")
    married = family.post("/api/v1/cases", json={"region": REGION, "items": ["hukou_registration"],
                                                  "form": {**sample_form(REGION), "attachments": [
                                                      "registration_application", "household_register",
                                                      "authorisation", "birth_certificate"]}})
    assert married.status_code == 422
    assert ("attachments.marriage_certificate", "material_missing") in {
        (e["field"], e["code"]) for e in married.get_json()["errors"]}
    form = _non_marital_form()
    form["attachments"].append("birth_certificate")
    unmarried = family.post("/api/v1/cases", json={"region": REGION, "items": ["hukou_registration"], "form": form})
    assert unmarried.status_code == 201, unmarried.get_json()


@pytest.mark.parametrize("relation", ["mother", "father"])
def test_授权委托书_is_asked_of_every_case_because_the_hospital_applies(app, relation):
    """000 三(一)5 “授权委托书” and 四(二)1 “助产机构工作人员通过渝快办……进行申请”: the hospital applies for the
    family, so the authorisation is asked whoever the applicant is, whatever items are chosen."""
    client = app.test_client()
    family = User(client, f"{REGION}.family")
    requirements = family.get(f"/api/v1/regions/{REGION}/requirements?items=medical_insurance").get_json()
    assert "authorisation" in {m["code"] for m in requirements["materials"]}
    form = sample_form(REGION)
    form["applicant"]["relation"] = relation
    form["attachments"].remove("authorisation")
    response = family.post("/api/v1/cases", json={"region": REGION, "items": ["medical_insurance"], "form": form})
    assert response.status_code == 422
    assert ("attachments.authorisation", "material_missing") in {
        (e["field"], e["code"]) for e in response.get_json()["errors"]}


def test_order_of_work_certificate_then_police_then_医保局_社保所_医保局(app):
    """000 四(二)–(四): the hospital issues the certificate once the baby is named; the police register from
    it (“收到助产机构推送信息”); 医保局 “收到区公安局推送业务信息后，将材料传给户籍所在地社保所”, the 社保所 enrols,
    and 医保局 “点‘提交’即完成……本次‘出生一件事’”."""
    _, final, tasks = run_case(app, ALL_ITEMS)
    assert final["status"] == "completed"
    opened = [e["detail"]["bpmn_id"] for e in final["timeline"] if e["kind"] == "task_opened"]
    assert opened == ["acceptance_review", "birth_certificate_issue", "hukou_registration_register",
                      "medical_insurance_receive", "medical_insurance_enrol", "medical_insurance_close"]
    lanes = {t["bpmn_id"]: t["lane"] for t in tasks}
    assert lanes["medical_insurance_enrol"] == "户籍所在地社保所"
    assert lanes["medical_insurance_receive"] == lanes["medical_insurance_close"] == "区医疗保障局"


def test_no_limit_in_the_seed_so_every_limit_is_an_internal_target(app):
    """000 states no time limit (四(三)(四) “在承诺时限内完成办理” names none): the diagram carries internal
    targets (targetWorkingDays) and no promise; staff see every deadline labelled 内部督办时限."""
    driver = RegionDriver(app, REGION)
    body = driver.submit(ALL_ITEMS, sample_form(REGION))
    assert body["promise_working_days"] is None
    driver.run(ACCEPT)
    tasks = every_task(User(app.test_client(), "admin"), driver.case_id)
    assert len(tasks) == 6
    assert {(t["deadline_kind"], t["deadline_label"]) for t in tasks} == {("target", "内部督办时限")}
    targets = {t["bpmn_id"]: t["limit_working_days"] for t in tasks}
    assert targets == {"acceptance_review": None, "birth_certificate_issue": 1, "hukou_registration_register": 3,
                       "medical_insurance_receive": 1, "medical_insurance_enrol": 2, "medical_insurance_close": 1}
    staff = driver.supervisor.get(f"/api/v1/cases/{driver.case_id}").get_json()
    assert staff["deadline"] is not None and staff["deadline_label"] == "内部督办时限"


def test_no_promise_in_the_seed_so_the_family_is_told_no_date(app):
    """000 states no time limit (公安、医保 “在承诺时限内完成办理” without naming one): the 受理通知书, every SMS and
    the family's case pages carry no promised date (issue 14, acceptance 2)."""
    driver = RegionDriver(app, REGION)
    driver.submit(ALL_ITEMS, sample_form(REGION))
    final = driver.run(ACCEPT)
    assert final["status"] == "completed"
    assert_no_promised_date(app, driver)


@pytest.mark.parametrize("item, producer, material", [("hukou_registration", "birth_certificate", "birth_certificate"),
                                                      ("medical_insurance", "hukou_registration", "newborn_hukou_proof")])
def test_申请材料_a_result_the_case_does_not_produce_is_asked_of_the_family(app, item, producer, material):
    """000 三(二)2 the hukou item needs the “《出生医学证明》”, 三(三) insurance the “新生儿户口证明”. When the case itself
    produces them (the certificate item; the police's push, 四(四) “收到区公安局推送业务信息后”) the family brings
    nothing; when that item is not ticked, the family presents the paper, and the case starts once it is attached."""
    family = User(app.test_client(), f"{REGION}.family")
    form = sample_form(REGION)
    chain = list(dict.fromkeys([item, producer, "birth_certificate"]))  # every paper produced in the case
    both = family.post("/api/v1/cases", json={"region": REGION, "items": chain, "form": form})
    assert both.status_code == 201, both.get_json()
    alone = family.post("/api/v1/cases", json={"region": REGION, "items": [item], "form": form})
    assert alone.status_code == 422
    assert [(e["field"], e["code"]) for e in alone.get_json()["errors"]] == [(f"attachments.{material}",
                                                                              "material_missing")]
    form["attachments"].append(material)
    attached = family.post("/api/v1/cases", json={"region": REGION, "items": [item], "form": form})
    assert attached.status_code == 201, attached.get_json()


def test_勾选联办事项_the_region_tells_the_family_it_chooses(app):
    """000 四(二)1 “勾选联办事项”: GET /regions/{code} states the free choice (itemChoice=free in the diagram)."""
    region = User(app.test_client(), f"{REGION}.family").get(f"/api/v1/regions/{REGION}").get_json()
    assert region["item_choice"] == "free"
    assert [i["code"] for i in region["items"]] == ALL_ITEMS
