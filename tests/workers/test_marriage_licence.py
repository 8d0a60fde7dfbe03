"""四川: the marriage e-licence check at case start; without it the case stops, with the reason shown."""
from tests.api.helpers import User, sample_form, worker_for
from engine.simulation.departments import MARRIAGE_NOT_FOUND, NOT_ON_RECORD_PREFIX

REGION = "sc-province"
ITEMS = ["birth_certificate", "hukou_registration"]


def _submit(client, number):
    family = User(client, f"{REGION}.family")
    form = sample_form(REGION)
    form["marriage"]["certificate_number"] = number
    form["mother"]["marriage_certificate_number"] = number
    form["father"]["marriage_certificate_number"] = number
    created = family.post("/api/v1/cases", json={"region": REGION, "items": ITEMS, "form": form})
    assert created.status_code == 201, created.get_json()
    return family, created.get_json()["id"]


def test_case_without_marriage_licence_stops_with_reason(app):
    client = app.test_client()
    family, case_id = _submit(client, f"{NOT_ON_RECORD_PREFIX}-000000")
    assert worker_for(app).drain() == 1
    case = family.get(f"/api/v1/cases/{case_id}").get_json()
    assert case["status"] == "stopped" and case["status_label"] == "无法继续办理"
    assert case["outcome_reason"] == MARRIAGE_NOT_FOUND and case["open_tasks"] == []


def test_case_with_marriage_licence_goes_to_review(app):
    client = app.test_client()
    family, case_id = _submit(client, "J510104-2020-001234")
    assert worker_for(app).drain() == 1
    case = family.get(f"/api/v1/cases/{case_id}").get_json()
    assert case["status"] == "review" and case["outcome_reason"] is None
