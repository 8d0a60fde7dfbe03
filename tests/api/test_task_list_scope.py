"""GET /tasks at scale: every caller sees exactly the open work the engine lets them take (whichever
index answers: the open-work keys on PostgreSQL, candidate rows on SQLite or for large scopes), and
``total`` stops counting past TOTAL_CAP with ``total_capped``.

Task rows are written as engine/work/runtime.py writes them (a task row, a candidate row per group while
open), many at once: opening a thousand tasks through cases would take minutes."""
from datetime import timedelta
from itertools import product

from api.auth import actor_of
from api.extensions import db
from api.resources.tasks import TOTAL_CAP
from engine.scope import may_work_task
from engine.store.models import Task
from engine.store.models import User as UserRow
from tests.api.helpers import User, add_task_rows, case_with_review, listed_task_ids

REGION, OTHER = "gx-qinzhou-qinbei", "he-province"
GROUPS = (["health"], ["health", "cdc"], ["cdc"], ["police"], [])
INSTITUTIONS = (None, "H1", "H2")
STATES = ("ready", "claimed", "incident", "completed")
CLERKS = {  # username: (region, groups, institution)
    "q.health": (REGION, ["health"], None), "q.health.h1": (REGION, ["health"], "H1"),
    "q.cdc.h2": (REGION, ["cdc"], "H2"), "q.police": (REGION, ["police"], None),
    "q.health.police": (REGION, ["health", "police"], None), "q.tax": (REGION, ["tax"], None),
    "h.health": (OTHER, ["health"], None),
}


def test_each_caller_lists_exactly_the_open_tasks_they_may_take(app, client, clock):
    case_id, review_id = case_with_review(client, REGION)
    now = clock.now()
    rows = [{"id": f"t{n}", "region": region, "candidate_groups": groups, "institution": institution,
             "state": state, "due_at": now + timedelta(hours=n), "created_at": now}
            for n, (region, groups, institution, state)
            in enumerate(product((REGION, OTHER), GROUPS, INSTITUTIONS, STATES))]
    add_task_rows(app, case_id, rows, CLERKS)
    for username in CLERKS:
        assert listed_task_ids(User(client, username)) == _expected(app, username), username
    supervisor = User(client, f"{REGION}.supervisor")
    assert set(listed_task_ids(supervisor)) == {r["id"] for r in rows if r["region"] == REGION
                                                and r["state"] != "completed"} | {review_id}
    # the filters still narrow the same scope
    clerk = User(client, "q.health.h1")
    assert set(listed_task_ids(clerk, state="claimed")) == {
        r["id"] for r in rows if r["region"] == REGION and r["state"] == "claimed"
        and "health" in r["candidate_groups"] and r["institution"] in (None, "H1")}
    assert listed_task_ids(clerk, group="cdc") == [
        r["id"] for r in rows if r["region"] == REGION and r["state"] != "completed"
        and "health" in r["candidate_groups"] and "cdc" in r["candidate_groups"] and r["institution"] in (None, "H1")]
    assert listed_task_ids(User(client, "q.tax")) == []


def test_each_clerk_claims_exactly_the_ready_tasks_they_may_take(app, client, clock):
    """The claim's scope is a condition of its UPDATE (bound values, one statement): it must admit what
    ``may_work_task`` admits and nothing else; a refusal outside the scope says 403, not 409."""
    case_id, _ = case_with_review(client, REGION)
    rows = [{"id": f"c{n}", "region": region, "candidate_groups": groups, "institution": institution,
             "state": "ready", "due_at": clock.now(), "created_at": clock.now()}
            for n, (region, groups, institution) in enumerate(product((REGION, OTHER), GROUPS, INSTITUTIONS))]
    add_task_rows(app, case_id, rows, CLERKS)
    for username in CLERKS:
        user, admitted = User(client, username), set(_expected(app, username)) & {r["id"] for r in rows}
        for row in rows:
            answer = user.post(f"/api/v1/tasks/{row['id']}/claim")
            if row["id"] in admitted:
                assert (answer.status_code, answer.get_json()["assignee"]) == (200, username), (username, row)
                assert user.post(f"/api/v1/tasks/{row['id']}/unclaim").status_code == 200
            else:
                assert answer.status_code == 403, (username, row, answer.get_json())
    admin = User(client, "admin")
    assert admin.post("/api/v1/tasks/c0/claim").get_json()["assignee"] == "admin"
    assert User(client, "q.health").post("/api/v1/tasks/c0/claim").status_code == 409  # taken: in scope


def _expected(app, username) -> list[str]:
    """The open tasks ``may_work_task`` (the engine's rule) lets the user take, by due date."""
    with app.app_context():
        actor = actor_of(db.session.query(UserRow).filter_by(username=username).one())
        tasks = db.session.query(Task).filter(Task.state != "completed").all()
        return [t.id for t in sorted(tasks, key=lambda t: (t.due_at, t.created_at)) if may_work_task(actor, t)]


def test_total_stops_counting_past_the_cap_and_says_so(app, client, clock):
    case_id, review_id = case_with_review(client, REGION)
    now, many = clock.now(), TOTAL_CAP + 30
    hospital = {0: "H1", 1: None}  # most tasks are another hospital's
    rows = [{"id": f"bulk{n:05d}", "region": REGION, "candidate_groups": ["health"], "state": "ready",
             "institution": hospital.get(n % 40, "H2"), "due_at": now + timedelta(minutes=n), "created_at": now}
            for n in range(many)]
    add_task_rows(app, case_id, rows, CLERKS)
    with app.app_context():
        review_due = db.session.get(Task, review_id).due_at
    in_order = [task_id for _, task_id in sorted([(r["due_at"], r["id"]) for r in rows] + [(review_due, review_id)])]
    for username in (f"{REGION}.supervisor", f"{REGION}.health", "q.health"):
        user = User(client, username)
        first = user.get("/api/v1/tasks?per_page=50").get_json()
        assert (first["total"], first["total_capped"], first["page"]) == (TOTAL_CAP, True, 1), username
        assert [t["id"] for t in first["items"]] == in_order[:50], username
        # a page past the cap is counted as deep as it lies: here to the end, so exactly
        last = user.get("/api/v1/tasks?per_page=50&page=21").get_json()
        assert (last["total"], last["total_capped"]) == (many + 1, False)
        assert [t["id"] for t in last["items"]] == in_order[1000:]
        # deeper than the cap: counted one past the page's end, so "page * per_page < total" still holds
        deep = user.get("/api/v1/tasks?per_page=50&page=20").get_json()
        assert (deep["total"], deep["total_capped"]) == (1001, True)
        assert [t["id"] for t in deep["items"]] == in_order[950:1000]
    # a hospital clerk's scope is small: counted exactly (its own hospital's tasks and those of none)
    expected = _expected(app, "q.health.h1")
    assert 50 < len(expected) < 100
    listing = User(client, "q.health.h1").get("/api/v1/tasks?per_page=50").get_json()
    assert (listing["total"], listing["total_capped"]) == (len(expected), False)
    assert [t["id"] for t in listing["items"]] == expected[:50]
    assert User(client, "q.police").get("/api/v1/tasks").get_json() == {
        "items": [], "total": 0, "total_capped": False, "page": 1, "per_page": 50}
