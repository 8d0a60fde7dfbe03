"""一次性告知 at the envelope: ``POST /cases`` without items and with an empty form answers one 422
listing the missing items AND every missing form field (issue 15, acceptance 4); nothing is stored."""
import pytest
from sqlalchemy import func, select

from api.extensions import db
from engine.store.models import Case
from tests.api.helpers import User

REGIONS = ["cq-jiangjin", "sc-dazhou-tongchuan", "gx-qinzhou-qinbei", "sc-province", "he-province"]


def _required_fields(family, region) -> set[str]:
    """Every field the form always requires, read from the region's published JSON Schema."""
    schema = family.get(f"/api/v1/regions/{region}/form-schema").get_json()
    return {f"{section}.{name}" for section in schema["required"]
            for name in schema["properties"][section].get("required", [])}


def _cases(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Case))


@pytest.mark.parametrize("region", REGIONS)
@pytest.mark.parametrize("body", [{"form": {}}, {"items": []}], ids=["no_items_key", "no_form_key"])
def test_no_items_and_an_empty_form_list_every_missing_field_in_one_422(app, client, region, body):
    """钦北 seed (002_bcb030d8b6d9ea02.txt): 「对符合受理条件但材料不齐全的，一次性告知申请人补正材料」;
    通川 seed (001_719eabaa8d681520.txt): 「对材料不齐全或不符合办理条件的，窗口人员需一次性告知」."""
    family = User(client, f"{region}.family")
    expected = _required_fields(family, region)
    assert len(expected) >= 10, expected  # the schema really requires fields
    response = family.post("/api/v1/cases", json={"region": region, **body})
    assert response.status_code == 422, response.get_json()
    errors = response.get_json()["errors"]
    assert ("items", "items_empty") in {(e["field"], e["code"]) for e in errors}
    assert expected <= {e["field"] for e in errors if e["code"] == "required"}, errors
    assert all(e["message"] for e in errors)
    assert _cases(app) == 0


def test_without_a_region_the_envelope_problems_come_together(app, client):
    family = User(client, "sc-province.family")
    response = family.post("/api/v1/cases", json={"items": [], "form": {}})
    assert response.status_code == 422
    assert {(e["field"], e["code"]) for e in response.get_json()["errors"]} == {
        ("region", "required"), ("items", "items_empty"), ("form", "required")}
    unknown = family.post("/api/v1/cases", json={"region": "xx-nowhere"})
    assert {(e["field"], e["code"]) for e in unknown.get_json()["errors"]} == {
        ("region", "unknown_region"), ("items", "items_empty"), ("form", "required")}
    assert _cases(app) == 0
