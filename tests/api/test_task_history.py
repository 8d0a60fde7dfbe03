"""Candidate rows index open work only; a clerk still finds their own finished tasks."""
from sqlalchemy import func, select

from api.extensions import db
from engine.store.models import TaskCandidate
from tests.api.helpers import User, open_user_tasks, sample_form, work_user_task

REGION = "gx-qinzhou-qinbei"


def test_finished_task_leaves_the_inbox_index_but_stays_in_the_clerks_history(app):
    client = app.test_client()
    family, clerk = User(client, f"{REGION}.family"), User(client, f"{REGION}.health")
    case = family.post("/api/v1/cases", json={"region": REGION, "items": ["birth_certificate"],
                                              "form": sample_form(REGION)}).get_json()
    [review] = open_user_tasks(clerk, case["id"])
    with app.app_context():
        count = lambda: db.session.scalar(select(func.count()).select_from(TaskCandidate)  # noqa: E731
                                          .where(TaskCandidate.task_id == review["id"]))
        assert count() == 1
        work_user_task(clerk, review["id"], {"decision": "accept"})
        assert count() == 0
    assert open_user_tasks(clerk, case["id"]) == []
    done = clerk.get(f"/api/v1/tasks?state=completed&case={case['id']}").get_json()["items"]
    assert [t["id"] for t in done] == [review["id"]]
    by_group = clerk.get("/api/v1/tasks?state=completed&group=health").get_json()["items"]
    assert review["id"] in [t["id"] for t in by_group]
    other = User(client, f"{REGION}.police")
    assert other.get(f"/api/v1/tasks?state=completed&case={case['id']}").get_json()["items"] == []
