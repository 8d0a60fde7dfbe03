"""Driving the API as its users do: log in, submit, claim, complete, let workers run."""
import copy
import json
from pathlib import Path

from sqlalchemy import insert

from api.auth import hash_password
from api.extensions import db
from engine.store.db import make_session_factory
from engine.store.models import Task, TaskCandidate
from engine.store.models import User as UserRow

ROOT = Path(__file__).resolve().parents[2]


def sample_form(region: str) -> dict:
    return copy.deepcopy(json.loads((ROOT / "tests/data/forms" / f"{region}.json").read_text("utf-8")))


class User:
    def __init__(self, client, username, password="demo"):
        self.client, self.username = client, username
        response = client.post("/api/v1/auth/token", json={"username": username, "password": password})
        assert response.status_code == 200, response.get_json()
        self.headers = {"Authorization": f"Bearer {response.get_json()['access_token']}"}

    def get(self, url, **kw):
        return self.client.get(url, headers=self.headers, **kw)

    def post(self, url, **kw):
        return self.client.post(url, headers=self.headers, **kw)


def worker_for(app):
    """The in-process worker the embedded default runs, on the app's database and clock."""
    from workers.adapters import get_adapter
    from workers.inprocess import InProcessWorker
    state = app.extensions["newborn"]
    with app.app_context():
        factory = make_session_factory(db.engine)
    return InProcessWorker(factory, get_adapter("simulated"), state.clock, state.calendar)


def open_user_tasks(user, case_id):
    response = user.get(f"/api/v1/tasks?case={case_id}")
    assert response.status_code == 200, response.get_json()
    return response.get_json()["items"]


def work_user_task(clerk, task_id, data):
    assert clerk.post(f"/api/v1/tasks/{task_id}/claim").status_code == 200
    response = clerk.post(f"/api/v1/tasks/{task_id}/complete", json={"data": data})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def every_task(admin, case_id) -> list[dict]:
    """Every user and service task the case ever opened, in whatever state (``admin`` is a signed-in User)."""
    found = []
    for kind in ("user", "service"):
        response = admin.get(f"/api/v1/tasks?case={case_id}&state=all&kind={kind}&per_page=500")
        assert response.status_code == 200, response.get_json()
        found += response.get_json()["items"]
    return found


def case_with_review(client, region: str) -> tuple[str, str]:
    """A family's new case (one item) and its acceptance review's task id."""
    family = User(client, f"{region}.family")
    case = family.post("/api/v1/cases", json={"region": region, "items": ["birth_certificate"],
                                              "form": sample_form(region)}).get_json()
    [review] = open_user_tasks(User(client, f"{region}.supervisor"), case["id"])
    return case["id"], review["id"]


def add_task_rows(app, case_id, rows: list[dict], clerks: dict) -> None:
    """Task rows (and candidate rows of the open ones) as the engine writes them, many at once (opening
    a thousand tasks through cases would take minutes); ``clerks`` (username: (region, groups,
    institution)) get accounts."""
    with app.app_context():
        definition_id = db.session.query(Task.definition_id).filter_by(case_id=case_id).first()[0]
        tasks = [{"case_id": case_id, "definition_id": definition_id, "bpmn_id": "review", "name": "审核",
                  "due_fallback": False, "attempts": 0, "properties": {}, "candidate_groups": [],
                  "kind": "user", **row} for row in rows]
        db.session.execute(insert(Task), tasks)
        candidates = [{"task_id": t["id"], "group": g} for t in tasks
                      if t["state"] != "completed" for g in t["candidate_groups"]]
        if candidates:
            db.session.execute(insert(TaskCandidate), candidates)
        for username, (region, groups, institution) in clerks.items():
            if db.session.query(UserRow).filter_by(username=username).first() is None:
                db.session.add(UserRow(username=username, password_hash=hash_password("demo"), role="clerk",
                                       region=region, groups=groups, institution=institution))
        db.session.commit()


def listed_task_ids(user, **params) -> list[str]:
    """The ids GET /tasks lists to ``user`` (one page of up to 500, all there is)."""
    body = user.get("/api/v1/tasks", query_string={"per_page": 500, **params}).get_json()
    assert body["total"] == len(body["items"]) and body["total_capped"] is False
    return [t["id"] for t in body["items"]]
