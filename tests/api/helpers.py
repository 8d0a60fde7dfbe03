"""Driving the API as its users do: log in, submit, claim, complete, let workers run."""
import copy
import json
from pathlib import Path

from api.extensions import db
from engine.store.db import make_session_factory

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
