"""Items the family did not choose stay 不适用, whatever the diagram's milestones pass."""
from tests.api.helpers import User, open_user_tasks, sample_form, work_user_task, worker_for

REGION = "gx-qinzhou-qinbei"


def test_unchosen_items_stay_not_applicable_to_the_end(app):
    client = app.test_client()
    family, clerk = User(client, f"{REGION}.family"), User(client, f"{REGION}.health")
    case = family.post("/api/v1/cases", json={"region": REGION, "items": ["birth_certificate", "hukou_registration"],
                                              "form": sample_form(REGION)}).get_json()
    [review] = open_user_tasks(clerk, case["id"])
    work_user_task(clerk, review["id"], {"decision": "accept"})
    worker_for(app).drain()
    final = family.get(f"/api/v1/cases/{case['id']}").get_json()
    assert final["status"] == "completed"
    labels = {i["code"]: i["label"] for i in final["items"]}
    assert labels.pop("birth_certificate") == labels.pop("hukou_registration") == "已办结"
    assert set(labels.values()) == {"不适用"} and len(labels) == 5
