"""Task API: delegation round trip, 422 with every problem, filters and masking, exclusive claims."""
from sqlalchemy import select

from api.extensions import db
from engine.store.models import User as UserRow
from tests.api.helpers import User, open_user_tasks, sample_form

REGION = "gx-qinzhou-qinbei"


def _case_and_review(client):
    family = User(client, f"{REGION}.family")
    created = family.post("/api/v1/cases", json={"region": REGION, "items": ["birth_certificate"],
                                                  "form": sample_form(REGION)})
    assert created.status_code == 201
    [task] = open_user_tasks(User(client, f"{REGION}.supervisor"), created.get_json()["id"])
    return created.get_json()["id"], task


def _second_clerk(app, username=f"{REGION}.health2"):
    from api.auth import hash_password
    with app.app_context():
        db.session.add(UserRow(username=username, password_hash=hash_password("demo"), role="clerk",
                               region=REGION, groups=["health"]))
        db.session.commit()


def test_a_delegate_who_delegates_again_keeps_the_original_owner(app, client):
    """A delegate may pass the work on, but the task still resolves back to the clerk who owns it
    (Camunda's delegation: the owner stays the owner); it used to become the first delegate's."""
    _second_clerk(app)
    _second_clerk(app, f"{REGION}.health3")
    case_id, task = _case_and_review(client)
    owner, first, second = (User(client, f"{REGION}.{name}") for name in ("health", "health2", "health3"))
    url = f"/api/v1/tasks/{task['id']}"
    assert owner.post(f"{url}/claim").status_code == 200
    assert owner.post(f"{url}/delegate", json={"user": first.username}).status_code == 200
    again = first.post(f"{url}/delegate", json={"user": second.username})
    assert again.status_code == 200, again.get_json()
    assert (again.get_json()["assignee"], again.get_json()["owner"], again.get_json()["delegation"]) == (
        second.username, owner.username, "pending")
    resolved = second.post(f"{url}/complete", json={"data": {"decision": "accept"}}).get_json()
    assert (resolved["assignee"], resolved["owner"], resolved["delegation"]) == (
        owner.username, owner.username, "resolved")
    assert first.post(f"{url}/complete", json={"data": {}}).status_code == 409
    assert owner.post(f"{url}/complete", json={"data": {}}).status_code == 200


def test_delegate_resolves_back_to_owner_who_completes(app, client):
    _second_clerk(app)
    case_id, task = _case_and_review(client)
    owner, helper = User(client, f"{REGION}.health"), User(client, f"{REGION}.health2")
    url = f"/api/v1/tasks/{task['id']}"
    assert owner.post(f"{url}/claim").status_code == 200
    assert helper.post(f"{url}/claim").status_code == 409  # claimed is the claimer's alone
    refused = owner.post(f"{url}/delegate", json={"user": f"{REGION}.police"})
    assert refused.status_code == 422 and refused.get_json()["errors"][0]["code"] == "invalid_delegate"
    delegated = owner.post(f"{url}/delegate", json={"user": f"{REGION}.health2"}).get_json()
    assert (delegated["assignee"], delegated["owner"], delegated["delegation"]) == (
        f"{REGION}.health2", f"{REGION}.health", "pending")
    assert owner.post(f"{url}/complete", json={"data": {"decision": "accept"}}).status_code == 409
    resolved = helper.post(f"{url}/complete", json={"data": {"decision": "accept"}}).get_json()
    assert (resolved["assignee"], resolved["delegation"], resolved["state"]) == (
        f"{REGION}.health", "resolved", "claimed")
    assert User(client, "admin").get(f"/api/v1/cases/{case_id}").get_json()["status"] == "review"
    done = owner.post(f"{url}/complete", json={"data": {}})
    assert done.status_code == 200 and done.get_json()["state"] == "completed"
    view = User(client, "admin").get(f"/api/v1/cases/{case_id}").get_json()
    assert view["status"] == "in_progress" and view["accepted_at"]
    kinds = [e["kind"] for e in view["timeline"]]
    assert kinds.index("task_delegated") < kinds.index("task_resolved") < kinds.index("task_completed")


def test_complete_lists_every_problem_and_changes_nothing(app, client):
    case_id, task = _case_and_review(client)
    clerk = User(client, f"{REGION}.health")
    url = f"/api/v1/tasks/{task['id']}"
    assert clerk.post(f"{url}/claim").status_code == 200
    bad = clerk.post(f"{url}/complete", json={"data": {"decision": "maybe", "materials": 7}})
    assert bad.status_code == 422
    assert {(e["field"], e["code"]) for e in bad.get_json()["errors"]} == {
        ("data.decision", "invalid_choice"), ("data.materials", "invalid_type")}
    empty = clerk.post(f"{url}/complete", json={"data": {"decision": "correct"}})
    assert empty.status_code == 422 and empty.get_json()["errors"][0]["field"] == "data.materials"
    assert clerk.get(url).get_json()["state"] == "claimed"


def test_task_list_filters_sorts_masks_and_details(app, client):
    case_id, task = _case_and_review(client)
    _case_and_review(client)
    clerk = User(client, f"{REGION}.health")
    listing = clerk.get("/api/v1/tasks?claimable=true&sort=-created_at&per_page=1").get_json()
    assert listing["total"] == 2 and len(listing["items"]) == 1
    row = listing["items"][0]
    assert "*" in row["applicant"]["mother_id"] and "450703199503120429" not in str(row)
    assert clerk.get(f"/api/v1/tasks?case={case_id}").get_json()["total"] == 1
    assert clerk.get("/api/v1/tasks?group=police").get_json()["total"] == 0
    assert clerk.get("/api/v1/tasks?mine=true").get_json()["total"] == 0
    assert clerk.get("/api/v1/tasks?overdue=true").get_json()["total"] == 0
    assert clerk.get("/api/v1/tasks?due_before=2099-01-01T00:00:00").get_json()["total"] == 2
    assert User(client, f"{REGION}.police").get("/api/v1/tasks").get_json()["total"] == 0
    detail = clerk.get(f"/api/v1/tasks/{task['id']}").get_json()
    assert [f["id"] for f in detail["form"]["fields"]][:1] == ["decision"]
    assert detail["case"]["form"]["mother"]["id_number"] == "450703199503120429"
    assert detail["elicences"] == []
