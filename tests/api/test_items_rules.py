"""The region's item rule (issue 14, "Items"): ``itemChoice`` = free or bundle, shown by ``GET /regions/{code}``;
a subset of a bundle region is refused with 422 ``items_fixed_bundle`` on ``items``, nothing created.

The five regions' own rules are set by their diagrams (the region helpers); here a copy of bpmn/ whose
河北 diagram says ``bundle`` and whose 江津 diagram says ``free`` exercises the engine and API side.
"""
import io
import re
import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from api.cli import initialise
from api.extensions import db
from engine.store.models import Case
from tests.api.helpers import User, sample_form

ROOT = Path(__file__).resolve().parents[2]
HEBEI, JIANGJIN = "he-province", "cq-jiangjin"


def _with_choice(text: str, choice: str) -> str:
    text = re.sub(r'<camunda:property name="itemChoice" value="[^"]*" ?/>', "", text)  # the region's own rule
    anchor = '<camunda:property name="items"'
    assert anchor in text
    return text.replace(anchor, f'<camunda:property name="itemChoice" value="{choice}" />{anchor}', 1)


@pytest.fixture
def rules_app(make_app, tmp_path):
    root = tmp_path / "bpmn"
    shutil.copytree(ROOT / "bpmn", root)
    for region, choice in ((HEBEI, "bundle"), (JIANGJIN, "free")):
        path = root / region / "process.bpmn"
        path.write_text(_with_choice(path.read_text("utf-8"), choice), "utf-8")
    app = make_app(BPMN_ROOT=root)
    initialise(app)
    return app


def _cases(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Case))


def test_regions_show_their_item_rule(rules_app):
    family = User(rules_app.test_client(), f"{HEBEI}.family")
    hebei = family.get(f"/api/v1/regions/{HEBEI}").get_json()
    assert (hebei["item_choice"], hebei["item_choice_label"]) == ("bundle", "固定套餐：须一并申请全部事项")
    assert family.get(f"/api/v1/regions/{JIANGJIN}").get_json()["item_choice"] == "free"
    listed = {r["code"]: r["item_choice"] for r in family.get("/api/v1/regions").get_json()}
    assert listed[HEBEI] == "bundle" and listed[JIANGJIN] == "free"


def test_a_subset_of_a_bundle_is_refused_on_items_and_nothing_is_created(rules_app):
    family = User(rules_app.test_client(), f"{HEBEI}.family")
    offered = [i["code"] for i in family.get(f"/api/v1/regions/{HEBEI}").get_json()["items"]]
    response = family.post("/api/v1/cases", json={"region": HEBEI, "items": offered[:2], "form": sample_form(HEBEI)})
    assert response.status_code == 422, response.get_json()
    errors = response.get_json()["errors"]
    assert {"field": "items", "code": "items_fixed_bundle"} in [{k: e[k] for k in ("field", "code")} for e in errors]
    assert "须同时申请" in next(e["message"] for e in errors if e["code"] == "items_fixed_bundle")
    assert _cases(rules_app) == 0
    whole = family.post("/api/v1/cases", json={"region": HEBEI, "items": offered, "form": sample_form(HEBEI)})
    assert whole.status_code == 201, whole.get_json()
    assert _cases(rules_app) == 1


def test_a_free_region_takes_one_item(rules_app):
    """000 (重庆江津): 「勾选联办事项」: the family ticks what it wants."""
    family = User(rules_app.test_client(), f"{JIANGJIN}.family")
    form = sample_form(JIANGJIN)
    response = family.post("/api/v1/cases", json={"region": JIANGJIN, "items": ["birth_certificate"], "form": form})
    assert response.status_code == 201, response.get_json()


def test_deploy_refuses_an_unknown_item_choice(rules_app):
    text = _with_choice((ROOT / "bpmn" / JIANGJIN / "process.bpmn").read_text("utf-8"), "some")
    admin = User(rules_app.test_client(), "admin")
    response = admin.post("/api/v1/definitions", data={"file": (io.BytesIO(text.encode("utf-8")), "process.bpmn")},
                          content_type="multipart/form-data")
    assert response.status_code == 400
    assert [(e["field"].split(".")[-1], e["code"]) for e in response.get_json()["errors"]] == [
        ("itemChoice", "invalid_item_choice")]
