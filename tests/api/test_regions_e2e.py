"""Every region end to end over HTTP, through every path its seed describes (issue 4, acceptance 1)."""
import pytest

from tests.api.helpers import sample_form
from tests.api.region_driver import ACCEPT, RegionDriver

DONE, REFUSED, NA = "已办结", "已办结", "不适用"
REGIONS = ["cq-jiangjin", "sc-dazhou-tongchuan", "gx-qinzhou-qinbei", "sc-province", "he-province"]


def _all_items(driver):
    return [i["code"] for i in driver.case()["items"]]


def _labels(driver) -> dict:
    return {code: label for code, (_, label) in driver.items().items()}


def _statuses(driver) -> dict:
    return {code: status for code, (status, _) in driver.items().items()}


# ---------------------------------------------------------------- every region: the three review outcomes

@pytest.mark.parametrize("region", REGIONS)
def test_refused_at_review_ends_the_case_with_no_item_done(app, region):
    driver = RegionDriver(app, region)
    items = [i["code"] for i in driver.family.get(f"/api/v1/regions/{region}").get_json()["items"]]
    driver.submit(items, sample_form(region))
    final = driver.run({"acceptance_review": {"decision": "refuse", "refusal_reason": "非婚生子女不予受理"}})
    assert final["status"] == "refused"
    assert final["outcome_reason"] == "非婚生子女不予受理"
    statuses = _statuses(driver)
    if region == "he-province":  # 004 五(一)1: the vaccination certificate was handed out at birth (recorded)
        assert statuses.pop("vaccination_certificate") == "done"
    assert set(statuses.values()) <= {"pending", "not_applicable"}
    assert [n["kind"] for n in final["notices"]] == ["refusal"]
    assert driver.worked == ["acceptance_review"]


# ---------------------------------------------------------------- 江津: sequential, naming, ethnicity

def test_jiangjin_unnamed_baby_with_parents_of_different_ethnicity(app):
    """Vaccination → (naming) → certificate → police (民族成份 review, registration) → 医保局 → 社保所 → 医保局."""
    driver = RegionDriver(app, "cq-jiangjin")
    form = sample_form("cq-jiangjin")
    del form["newborn"]["name"]
    form["mother"]["ethnicity"] = "15"  # 土家族; father 汉族
    form.setdefault("attachments", []).append("ethnicity_declaration")
    driver.submit(["vaccination_certificate", "birth_certificate", "hukou_registration", "medical_insurance"], form)
    seen = []

    def observe(d, tasks):
        statuses = _statuses(d)
        all_tasks = d.open_tasks(state="all")
        police = [t for t in all_tasks if "police" in t["candidate_groups"]]
        seen.append((statuses["birth_certificate"], {t["bpmn_id"] for t in tasks}))
        if statuses["birth_certificate"] != "done":
            assert not police, "a police task exists before the birth certificate is issued"
            assert statuses["hukou_registration"] == "pending"
        if statuses["hukou_registration"] != "done":
            assert statuses["medical_insurance"] == "pending", "insurance started before police finished"

    final = driver.run({**ACCEPT, "newborn_naming": {"newborn_name": "张小宝", "newborn_named": True},
                        "ethnicity_review": {"newborn_ethnicity": "15"}}, observe)
    assert driver.worked == ["acceptance_review", "await_newborn_name", "ethnicity_review"]
    # the naming task was open while the certificate was still pending
    assert ("pending", {"await_newborn_name"}) in seen or ("in_progress", {"await_newborn_name"}) in seen
    assert final["status"] == "completed"
    assert set(_labels(driver).values()) == {DONE}
    issued = [lic["kind"] for lic in final["elicences"]]
    assert issued.index("birth_certificate") < issued.index("hukou_registration") < issued.index("medical_insurance")


def test_jiangjin_named_baby_same_ethnicity_needs_no_naming_or_ethnicity_step(app):
    driver = RegionDriver(app, "cq-jiangjin")
    driver.submit(["vaccination_certificate", "birth_certificate", "hukou_registration", "medical_insurance"],
                  sample_form("cq-jiangjin"))
    final = driver.run(ACCEPT)
    assert driver.worked == ["acceptance_review"]
    assert final["status"] == "completed" and set(_labels(driver).values()) == {DONE}


# ---------------------------------------------------------------- 通川: window certificates, then the hall

@pytest.mark.parametrize("method, last_step", [("pickup", "hand_over_results"), ("post", None)])
def test_tongchuan_certificates_at_the_window_before_the_hall(app, method, last_step):
    driver = RegionDriver(app, "sc-dazhou-tongchuan")
    form = sample_form("sc-dazhou-tongchuan")
    form["delivery"]["method"] = method
    if method == "post":
        form["delivery"]["address"] = "达州市通川区朝阳东路1号"
    items = ["birth_certificate", "vaccination_certificate", "hukou_registration", "medical_insurance",
             "insurance_payment", "social_security_card"]
    driver.submit(items, form)
    hall_seen = []

    def observe(d, tasks):
        hall = [t for t in d.open_tasks(state="all") if "service_center" in t["candidate_groups"]]
        statuses = _statuses(d)
        if hall:
            hall_seen.append(True)
            assert statuses["birth_certificate"] == statuses["vaccination_certificate"] == "done", \
                "a hall task appeared before both certificates were issued at the window"
        else:
            assert statuses["hukou_registration"] == "pending"

    final = driver.run({**ACCEPT, "parents_identity_check": {"parents_identity_confirmed": True},
                        "file_handover": {"handover_date": "2025-09-29"}, "hall_receipt": {"materials_complete": True},
                        "results_handover": {"collected_by": "李秀英"},
                        "insurance_payment_confirmation": {"payment_voucher": "351170225000123", "paid_on": "2025-10-08"}},
                       observe)
    assert hall_seen
    expected = ["acceptance_review", "verify_parents", "hand_over_file", "hall_receive"]
    # the family pays by the guide and confirms it last (001 附件4)
    assert driver.worked == expected + ([last_step] if last_step else []) + ["confirm_insurance_payment"]
    assert final["status"] == "completed" and set(_labels(driver).values()) == {DONE}
    timeline = str(final["timeline"])
    assert ("post_results" in timeline) == (method == "post")
    assert "post_card" in timeline  # the card is posted whatever the method (001 附件1 《社会保障卡》发卡：□邮寄)


# ---------------------------------------------------------------- 钦北: all seven items, 33 days

def test_qinbei_all_seven_items_then_evaluation(app):
    driver = RegionDriver(app, "gx-qinzhou-qinbei")
    driver.submit(_all_items_of(app, "gx-qinzhou-qinbei"), sample_form("gx-qinzhou-qinbei"))
    assert driver.case()["promise_working_days"] == 33
    final = driver.run(ACCEPT)
    assert final["status"] == "completed"
    assert list(_labels(driver).values()) == [DONE] * 7
    rated = driver.family.post(f"/api/v1/cases/{driver.case_id}/evaluation", json={"score": 5, "comment": "满意"})
    assert rated.status_code == 201, rated.get_json()


def _all_items_of(app, region):
    return app.extensions["newborn"].regions.get(region).items


# ---------------------------------------------------------------- 四川省: subsets, marriage, hukou refusal

SC = "sc-province"


def _sc_form(designated=True, card=True):
    form = sample_form(SC)
    form["birth"]["designated_hospital"] = designated
    if not designated:
        form["attachments"].append("maternity_receipts")
    return form


def _sc_run(app, items, form=None, answers=None):
    driver = RegionDriver(app, SC)
    driver.submit(items, form or _sc_form())
    final = driver.run({**ACCEPT, "maternity_claim": {"reimbursed_amount": 3200}, **(answers or {})})
    return driver, final


def test_sichuan_all_seven_items_designated_hospital(app):
    items = _all_items_of(app, SC)
    driver, final = _sc_run(app, items)
    assert final["status"] == "completed"
    assert set(_labels(driver).values()) == {DONE}
    # settled at discharge: no claim review; postage was paid once, at application (003 四(一))
    assert driver.worked == ["acceptance_review"]


def test_sichuan_card_without_maternity_only_chosen_items_run(app):
    items = ["birth_certificate", "hukou_registration", "medical_insurance", "social_security_card"]
    driver, final = _sc_run(app, items)
    assert final["status"] == "completed"
    labels = _labels(driver)
    assert {labels[i] for i in items} == {DONE}
    assert {c: l for c, l in labels.items() if c not in items} == {
        "vaccination_certificate": NA, "parenting_guidance": NA, "maternity_reimbursement": NA}
    kinds = {lic["kind"] for lic in final["elicences"]}
    assert kinds == {"birth_certificate", "hukou_registration", "medical_insurance", "social_security_card"}
    ran = {t["bpmn_id"] for t in driver.open_tasks(state="all")}
    assert "maternity_claim_review" not in ran


def test_sichuan_card_waits_for_hukou_and_insurance(app):
    driver = RegionDriver(app, SC)
    driver.submit(["hukou_registration", "medical_insurance", "social_security_card"], _sc_form())

    seen = []

    def observe(d, tasks):
        statuses = _statuses(d)
        if statuses["social_security_card"] != "pending":
            seen.append(True)
            assert statuses["hukou_registration"] == statuses["medical_insurance"] == "done"

    final = driver.run(ACCEPT, observe)
    assert seen and driver.worked == ["acceptance_review"] and final["status"] == "completed"


def test_sichuan_maternity_alone_outside_a_designated_hospital_is_a_20_day_claim(app):
    driver, final = _sc_run(app, ["maternity_reimbursement"], _sc_form(designated=False))
    assert final["status"] == "completed"
    assert driver.worked == ["acceptance_review", "maternity_claim_review"]
    claim = next(t for t in driver.open_tasks(state="all") if t["bpmn_id"] == "maternity_claim_review")
    assert claim["limit_working_days"] == 20 and claim["candidate_groups"] == ["medical_insurance"]
    labels = _labels(driver)
    assert labels["maternity_reimbursement"] == DONE
    assert [c for c, l in labels.items() if l == NA] == [c for c in labels if c != "maternity_reimbursement"]


def test_sichuan_maternity_alone_designated_hospital_settles_at_discharge(app):
    driver, final = _sc_run(app, ["maternity_reimbursement"])
    assert final["status"] == "completed" and driver.worked == ["acceptance_review"]
    assert [lic["kind"] for lic in final["elicences"]] == ["maternity_reimbursement"]


def test_sichuan_missing_marriage_elicence_stops_the_case_at_start(app):
    form = _sc_form()
    form["marriage"]["certificate_number"] = "J0000-2020-000000"  # the simulated registry has no such licence
    driver = RegionDriver(app, SC)
    driver.submit(["birth_certificate", "hukou_registration"], form)
    final = driver.run(ACCEPT)
    assert final["status"] == "stopped"
    assert "结婚电子证照" in final["outcome_reason"]
    assert driver.worked == [], "no clerk ever saw the application"
    assert driver.open_tasks(state="all") == []
    assert set(_statuses(driver).values()) <= {"pending", "not_applicable"}


@pytest.mark.parametrize("with_card", [True, False])
def test_sichuan_hukou_refusal_ends_that_item_while_the_others_finish(app, with_card):
    form = _sc_form()
    form["hukou"]["household_type"] = "collective"  # the simulated police refuse a collective household
    items = ["birth_certificate", "vaccination_certificate", "hukou_registration", "medical_insurance"]
    items += ["social_security_card"] if with_card else []
    driver = RegionDriver(app, SC)
    driver.submit(items, form)
    final = driver.run(ACCEPT)
    assert final["status"] == "completed"
    items_out = {i["code"]: i for i in final["items"]}
    assert items_out["hukou_registration"]["status"] == "refused"
    assert items_out["hukou_registration"]["reason"]
    for code in ["birth_certificate", "vaccination_certificate", "medical_insurance"]:
        assert items_out[code]["status"] == "done", code
    if with_card:  # the card needs the child's hukou: refused with the same reason, no postage asked
        assert items_out["social_security_card"]["status"] == "refused"
        assert items_out["social_security_card"]["reason"] == items_out["hukou_registration"]["reason"]
    assert "postage_payment" not in driver.worked
    assert "hukou_registration" not in {lic["kind"] for lic in final["elicences"]}


# ---------------------------------------------------------------- 河北省: pre-review, family uploads the page

def test_hebei_prereview_returned_once_then_family_uploads_hukou_page(app):
    driver = RegionDriver(app, "he-province")
    driver.submit(_all_items_of(app, "he-province"), sample_form("he-province"))
    assert driver.case()["promise_working_days"] == 6

    def observe(d, tasks):
        statuses = _statuses(d)
        if any(t["bpmn_id"] == "hukou_page_upload" for t in tasks):
            # 004 四 并联审批: hrss and insurance worked while police pre-reviewed
            assert statuses["social_security_card"] == statuses["medical_insurance"] == "done"
            [own] = d.family_tasks()
            assert own["form_key"] == "hukou_page_upload"
            assert [f["id"] for f in own["form"]["fields"]] == ["hukou_page_uploaded"]

    final = driver.run({**ACCEPT, "materials_upload": {"materials_uploaded": True},
                        "hukou_prereview": [{"prereview_passed": False, "prereview_remark": "户口簿页不清晰"},
                                            {"prereview_passed": True}],
                        "hukou_page_upload": {"hukou_page_uploaded": True}}, observe)
    assert driver.worked == ["acceptance_review", "materials_upload", "hukou_prereview", "materials_reupload",
                             "hukou_prereview", "hukou_page_upload"]
    assert final["status"] == "completed" and set(_labels(driver).values()) == {DONE}


# ---------------------------------------------------------------- the family's own tasks: who may do them

def test_family_tasks_are_the_applicants_alone(app):
    """河北's trip to collect and upload the new 户口页 (004 五(一)2) is the applicant's task alone."""
    driver = RegionDriver(app, "he-province")
    driver.submit(_all_items_of(app, "he-province"), sample_form("he-province"))
    answers = {**ACCEPT, "materials_upload": {"materials_uploaded": True},
               "hukou_prereview": {"prereview_passed": True}}
    for _ in range(5):  # until the police pre-review has passed and the family's trip is open
        driver.worker.drain()
        for task in [t for t in driver.open_tasks() if t["form_key"] in answers]:
            driver.work(task, answers[task["form_key"]])
    [trip] = [t for t in driver.open_tasks() if t["bpmn_id"] == "hukou_page_upload"]
    assert [t["id"] for t in driver.family_tasks()] == [trip["id"]]
    url = f"/api/v1/cases/{driver.case_id}/family-tasks/{trip['id']}/complete"
    # a clerk cannot take the family's task, and another family cannot even see the case
    assert driver.clerk("police").post(f"/api/v1/tasks/{trip['id']}/claim").status_code == 403
    other = RegionDriver(app, SC).family
    assert other.post(url, json={"data": {"hukou_page_uploaded": True}}).status_code == 404
    # the task's form is checked: the required field is missing
    missing = driver.family.post(url, json={"data": {}})
    assert missing.status_code == 422
    assert [e["code"] for e in missing.get_json()["errors"]] == ["required"]
    assert driver.family.post(url, json={"data": {"hukou_page_uploaded": True}}).status_code == 200
    again = driver.family.post(url, json={"data": {"hukou_page_uploaded": True}})
    assert again.status_code == 409
    final = driver.run({})
    assert final["status"] == "completed"


def test_a_family_cannot_complete_a_clerks_task(app):
    driver = RegionDriver(app, "he-province")
    driver.submit(_all_items_of(app, "he-province"), sample_form("he-province"))
    driver.worker.drain()
    [review] = driver.open_tasks()
    response = driver.family.post(f"/api/v1/cases/{driver.case_id}/family-tasks/{review['id']}/complete",
                                  json={"data": {"decision": "accept"}})
    assert response.status_code == 403
    assert driver.case()["status"] == "review"
