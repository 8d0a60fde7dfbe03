"""A Qinbei case end to end through the HTTP API, with an app restart half way."""
from api.cli import initialise
from engine.store.workflow_cache import workflow_cache
from tests.api.helpers import User, open_user_tasks, sample_form, work_user_task, worker_for

REGION = "gx-qinzhou-qinbei"
ALL_ITEMS = ["birth_certificate", "vaccination_certificate", "hukou_registration", "social_security_card",
             "maternity_reimbursement", "medical_insurance", "parenting_guidance"]


def _lane_clerk(client, task):
    return User(client, f"{REGION}.{task['candidate_groups'][0]}")


def test_qinbei_case_runs_to_completion_across_a_restart(app, make_app):
    client = app.test_client()
    family = User(client, f"{REGION}.family")
    created = family.post("/api/v1/cases", json={"region": REGION, "items": ALL_ITEMS,
                                                  "form": sample_form(REGION)})
    assert created.status_code == 201, created.get_json()
    case = created.get_json()
    assert case["status"] == "review" and case["deadline"]
    assert {i["label"] for i in case["items"]} == {"未办结"}

    supervisor = User(client, f"{REGION}.supervisor")
    [review] = open_user_tasks(supervisor, case["id"])
    assert review["form_key"] == "acceptance_review"
    work_user_task(_lane_clerk(client, review), review["id"], {"decision": "accept"})

    # restart: a new app object on the same database; the worker of the new app continues
    workflow_cache.clear()  # a restarted process remembers nothing: every workflow comes from the database
    app2 = make_app()
    initialise(app2)
    client2 = app2.test_client()
    family2 = User(client2, f"{REGION}.family")
    assert family2.get(f"/api/v1/cases/{case['id']}").get_json()["status"] == "in_progress"
    worker = worker_for(app2)
    for _ in range(20):
        handled = worker.drain()
        tasks = open_user_tasks(User(client2, f"{REGION}.supervisor"), case["id"])
        for task in tasks:
            work_user_task(_lane_clerk(client2, task), task["id"], {})
        if not handled and not tasks:
            break

    final = family2.get(f"/api/v1/cases/{case['id']}").get_json()
    assert final["status"] == "completed", final["timeline"][-3:]
    assert [i["label"] for i in final["items"]] == ["已办结"] * 7
    kinds = {lic["kind"] for lic in final["elicences"]}
    assert {"birth_certificate", "hukou_registration", "social_security_card", "medical_insurance"} <= kinds
    assert [n["kind"] for n in final["notices"]] == ["acceptance"]
