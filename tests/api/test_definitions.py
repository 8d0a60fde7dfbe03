"""Definitions and versions over HTTP (issue 3, acceptance 3), and what a bad request leaves behind (acc. 6)."""
import io
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import func, select

from api.extensions import db
from engine.store.models import AuditEntry, Case, CaseEvent, Definition, Task
from tests.api.helpers import User, sample_form
from tests.api.region_driver import ACCEPT, RegionDriver

ROOT = Path(__file__).resolve().parents[2]
REGION = "gx-qinzhou-qinbei"
KEY = "newborn_gx_qinzhou_qinbei"
QINBEI = ROOT / "bpmn" / REGION / "process.bpmn"
NS = {"camunda": "http://camunda.org/schema/1.0/bpmn"}
ITEMS = ["birth_certificate", "vaccination_certificate", "hukou_registration", "social_security_card",
         "maternity_reimbursement", "medical_insurance", "parenting_guidance"]


def _card_limit(days: int) -> bytes:
    root = etree.fromstring(QINBEI.read_bytes())
    root.xpath("//*[@id='social_security_card_issue']//camunda:property[@name='limitWorkingDays']",
               namespaces=NS)[0].set("value", str(days))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _deploy(admin, data: bytes):
    return admin.post("/api/v1/definitions", data={"file": (io.BytesIO(data), "process.bpmn")},
                      content_type="multipart/form-data")


def test_same_bytes_one_version_changed_bytes_next_version_running_cases_stay(app, client):
    admin = User(client, "admin")
    original = QINBEI.read_bytes()
    again = _deploy(admin, original)
    assert again.status_code == 200 and again.get_json()["version"] == 1
    assert [v["version"] for v in admin.get(f"/api/v1/definitions/{KEY}/versions").get_json()] == [1]

    old = RegionDriver(app, REGION)
    old.submit(ITEMS, sample_form(REGION))
    v1 = old.case()["definition_id"]

    changed = _card_limit(29)
    created = _deploy(admin, changed)
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["version"] == 2 and created.get_json()["id"] != v1
    assert _deploy(admin, changed).status_code == 200  # idempotent again
    versions = admin.get(f"/api/v1/definitions/{KEY}/versions").get_json()
    assert [v["version"] for v in versions] == [2, 1]
    assert admin.get(f"/api/v1/definitions/{KEY}/versions/1/xml").data == original
    assert admin.get(f"/api/v1/definitions/{KEY}/versions/2/xml").data == changed
    assert admin.get(f"/api/v1/definitions/{KEY}/versions/3/xml").status_code == 404
    listed = {(d["key"], d["version"]) for d in admin.get("/api/v1/definitions").get_json()}
    assert {(KEY, 1), (KEY, 2)} <= listed

    new = RegionDriver(app, REGION)
    new.submit(ITEMS, sample_form(REGION))
    assert new.case()["definition_id"] == created.get_json()["id"]

    for driver, version_id, limit in [(old, v1, 30), (new, created.get_json()["id"], 29)]:
        final = driver.run(ACCEPT)
        assert final["status"] == "completed" and final["definition_id"] == version_id
        card = next(t for t in driver.supervisor.get(
            f"/api/v1/tasks?case={driver.case_id}&state=all&kind=service&per_page=100").get_json()["items"]
            if t["bpmn_id"] == "social_security_card_issue")
        assert card["limit_working_days"] == limit


def test_unknown_definition_is_404(client):
    admin = User(client, "admin")
    response = admin.get("/api/v1/definitions/no_such_key/versions")
    assert response.status_code == 404 and response.get_json()["errors"][0]["code"]


# ---------------------------------------------------------------- bad requests change nothing (issue 3, acc. 6)

def _snapshot(app):
    with app.app_context():
        return tuple(db.session.scalar(select(func.count()).select_from(m))
                     for m in (Case, Task, CaseEvent, Definition, AuditEntry))


def _error_shape(response):
    body = response.get_json()
    assert body and body["errors"], response.data
    assert all(set(e) >= {"field", "code", "message"} for e in body["errors"])
    return body["errors"]


@pytest.fixture
def running_case(app, client):
    driver = RegionDriver(app, REGION)
    driver.submit(ITEMS, sample_form(REGION))
    driver.worker.drain()
    [review] = driver.open_tasks()
    return driver, review


def test_wrong_password_and_no_token_are_401_and_change_nothing(app, client, running_case):
    before = _snapshot(app)
    response = client.post("/api/v1/auth/token", json={"username": "admin", "password": "wrong"})
    assert response.status_code == 401 and _error_shape(response)
    assert client.post("/api/v1/auth/token", json={"username": "nobody", "password": "demo"}).status_code == 401
    valid = {"region": REGION, "items": ITEMS, "form": sample_form(REGION)}
    for method, url, body in [("get", "/api/v1/tasks", None), ("post", "/api/v1/cases", valid),
                              ("get", "/api/v1/definitions", None),
                              ("post", f"/api/v1/tasks/{running_case[1]['id']}/claim", None)]:
        response = getattr(client, method)(url, json=body)
        assert response.status_code == 401, url
        _error_shape(response)
    bad_token = client.get("/api/v1/tasks", headers={"Authorization": "Bearer not-a-token"})
    assert bad_token.status_code == 401
    assert _snapshot(app) == before


def test_a_clerk_of_another_lane_gets_403_and_changes_nothing(app, client, running_case):
    driver, review = running_case
    assert review["candidate_groups"] == ["health"]
    police = User(client, f"{REGION}.police")
    other_region = User(client, "he-province.health")
    before = _snapshot(app)
    for clerk in (police, other_region):
        response = clerk.post(f"/api/v1/tasks/{review['id']}/claim")
        assert response.status_code == 403, response.get_json()
        _error_shape(response)
    # a clerk of the lane claims; another lane still cannot complete it
    health = User(client, f"{REGION}.health")
    assert health.post(f"/api/v1/tasks/{review['id']}/claim").status_code == 200
    before = _snapshot(app)
    response = police.post(f"/api/v1/tasks/{review['id']}/complete", json={"data": {"decision": "accept"}})
    assert response.status_code == 403
    _error_shape(response)
    assert _snapshot(app) == before
    assert driver.case()["status"] == "review"


def test_malformed_json_and_unknown_fields_are_refused_with_the_error_format(app, client, running_case):
    driver, review = running_case
    health = User(client, f"{REGION}.health")
    assert health.post(f"/api/v1/tasks/{review['id']}/claim").status_code == 200
    before = _snapshot(app)
    family = driver.family
    broken = family.post("/api/v1/cases", data="{not json", content_type="application/json")
    assert broken.status_code in (400, 422)
    _error_shape(broken)
    unknown = family.post("/api/v1/cases", json={"region": REGION, "items": ITEMS, "form": sample_form(REGION),
                                                 "priority": "vip"})
    assert unknown.status_code in (400, 422)
    assert "priority" in {e["field"] for e in _error_shape(unknown)}
    missing = family.post("/api/v1/cases", json={"items": ITEMS})
    assert missing.status_code == 422
    assert {"region", "form"} <= {e["field"] for e in _error_shape(missing)}
    bad_task = health.post(f"/api/v1/tasks/{review['id']}/complete", data="[1,", content_type="application/json")
    assert bad_task.status_code in (400, 422)
    _error_shape(bad_task)
    extra = health.post(f"/api/v1/tasks/{review['id']}/complete", json={"data": {"decision": "accept"}, "x": 1})
    assert extra.status_code in (400, 422)
    _error_shape(extra)
    bad_choice = health.post(f"/api/v1/tasks/{review['id']}/complete", json={"data": {"decision": "maybe"}})
    assert bad_choice.status_code == 422
    assert [e["code"] for e in _error_shape(bad_choice)] == ["invalid_choice"]
    assert _snapshot(app) == before
    assert driver.case()["status"] == "review"


def test_a_value_the_database_cannot_store_is_400_not_500(app):
    """PostgreSQL refuses NUL in text; SQLite stores it. Either way the caller never sees a 500."""
    from tests.api.helpers import User
    admin = User(app.test_client(), "admin")  # serves every topic, so the odd name reaches the database
    answer = admin.post("/engine-rest/external-task/fetchAndLock",
                         json={"workerId": "w\u0000", "maxTasks": 1,
                               "topics": [{"topicName": "birth_certificate.issue\u0000", "lockDuration": 1000}]})
    assert answer.status_code in (200, 400), answer.get_json()
    assert answer.status_code == 200 or answer.get_json()["errors"][0]["code"] == "invalid_value"
