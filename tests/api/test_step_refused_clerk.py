"""A clerk's completion that the diagram cannot evaluate is refused with 422 (field, code, message):
the step rolls back whole, the case keeps running with no incident, the task stays the clerk's."""
import io
from pathlib import Path

from sqlalchemy import func, select

from api.extensions import db
from engine.store.models import Case, Incident, Task
from tests.api.helpers import User

BPMN = (Path(__file__).resolve().parents[1] / "data/bpmn/clerk_count.bpmn").read_bytes()


def _state(app, case_id):
    with app.app_context():
        try:
            case = db.session.execute(select(Case.status, Case.row_version).where(Case.id == case_id)).one()
            incidents = db.session.scalar(select(func.count()).select_from(Incident).where(Incident.case_id == case_id))
            task = db.session.execute(select(Task.state, Task.assignee).where(Task.case_id == case_id)).one()
            return tuple(case), incidents, tuple(task)
        finally:
            db.session.remove()


def test_a_clerk_form_the_gateway_cannot_evaluate_is_refused_and_the_corrected_one_finishes(app, client):
    admin = User(client, "admin")
    deployed = admin.post("/api/v1/definitions", content_type="multipart/form-data",
                          data={"file": (io.BytesIO(BPMN), "clerk_count.bpmn")})
    assert deployed.status_code in (200, 201), deployed.get_json()
    started = admin.post("/engine-rest/process-definition/key/clerk_count/start", json={"businessKey": "c1"})
    assert started.status_code == 200, started.get_json()
    case_id = started.get_json()["id"]
    clerk = User(client, "gx-qinzhou-qinbei.police")
    [task] = clerk.get(f"/api/v1/tasks?case={case_id}").get_json()["items"]
    assert clerk.post(f"/api/v1/tasks/{task['id']}/claim").status_code == 200
    before = _state(app, case_id)

    refused = clerk.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {}})
    assert refused.status_code == 422, refused.get_json()
    [error] = refused.get_json()["errors"]
    assert (error["field"], error["code"]) == ("data", "step_failed") and "count" in error["message"]
    assert _state(app, case_id) == before
    assert before[1] == 0 and before[2] == ("claimed", "gx-qinzhou-qinbei.police")

    done = clerk.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {"count": 3}})
    assert done.status_code == 200, done.get_json()
    assert _state(app, case_id)[0][0] == "completed"
