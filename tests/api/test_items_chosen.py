"""Only the items the family chose are worked on: the others stay 不适用 and no department opens a task for them."""
import pytest

from tests.api.helpers import User, every_task, open_user_tasks, sample_form, work_user_task, worker_for

REGION = "gx-qinzhou-qinbei"
ALL_ITEMS = ["birth_certificate", "vaccination_certificate", "hukou_registration", "social_security_card",
             "maternity_reimbursement", "medical_insurance", "parenting_guidance"]
# The department steps each item brings into a Qinbei case (bpmn ids, bpmn/gx-qinzhou-qinbei/process.bpmn).
ITEM_STEPS = {
    "birth_certificate": {"birth_certificate_issue"},
    "vaccination_certificate": {"vaccination_certificate_issue"},
    "hukou_registration": {"hukou_registration_register"},
    "social_security_card": {"social_security_card_issue"},
    "maternity_reimbursement": {"maternity_reimbursement_settle"},
    "medical_insurance": {"medical_insurance_enrol", "insurance_payment_notify"},  # tax's notice follows enrolment
    "parenting_guidance": {"parenting_guidance_register"},
}
EVERY_CASE = {"acceptance_review", "evaluation_invite"}


def _run_case(app, items):
    client = app.test_client()
    family, clerk = User(client, f"{REGION}.family"), User(client, f"{REGION}.health")
    form = sample_form(REGION)
    if "birth_certificate" not in items:  # the police register from a certificate issued before
        form["newborn"]["birth_certificate_number"] = "R450123456"
    created = family.post("/api/v1/cases", json={"region": REGION, "items": items, "form": form})
    assert created.status_code == 201, created.get_json()
    case = created.get_json()
    [review] = open_user_tasks(clerk, case["id"])
    work_user_task(clerk, review["id"], {"decision": "accept"})
    worker_for(app).drain()
    return family.get(f"/api/v1/cases/{case['id']}").get_json(), every_task(User(client, "admin"), case["id"])



def test_unchosen_items_stay_not_applicable_to_the_end(app):
    final, _ = _run_case(app, ["birth_certificate", "hukou_registration"])
    assert final["status"] == "completed"
    labels = {i["code"]: i["label"] for i in final["items"]}
    assert labels.pop("birth_certificate") == labels.pop("hukou_registration") == "已办结"
    assert set(labels.values()) == {"不适用"} and len(labels) == 5


@pytest.mark.parametrize("chosen", [
    ["birth_certificate", "hukou_registration"],
    ["hukou_registration", "social_security_card"],
    ["medical_insurance", "maternity_reimbursement"],
])
def test_departments_open_no_task_for_an_unchosen_item(app, chosen):
    final, tasks = _run_case(app, chosen)
    assert final["status"] == "completed"
    opened = {t["bpmn_id"] for t in tasks}
    assert opened == EVERY_CASE | set().union(*(ITEM_STEPS[i] for i in chosen))
    assert {t["item"] for t in tasks} - {None} == set(chosen)
    assert all(t["state"] == "completed" for t in tasks), [(t["bpmn_id"], t["state"]) for t in tasks]
    statuses = {i["code"]: i["status"] for i in final["items"]}
    assert statuses == {i: "done" if i in chosen else "not_applicable" for i in ALL_ITEMS}
    assert {lic["kind"] for lic in final["elicences"]} <= set(chosen)


def test_all_seven_items_run_every_department_step(app):
    final, tasks = _run_case(app, ALL_ITEMS)
    assert final["status"] == "completed"
    assert {t["bpmn_id"] for t in tasks} == EVERY_CASE | set().union(*ITEM_STEPS.values())
    assert {i["label"] for i in final["items"]} == {"已办结"}
