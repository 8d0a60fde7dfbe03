"""Materials verified by data sharing are a per-region switch (issue 14): the process property
``dataSharingVerifies`` lists the material codes the region checks online; any other material is asked
for on paper (the default), whatever eligibility.json's note says.

002 (钦州钦北): 「通过数据共享、核验逐步实现申请材料免提交」: materials are waived only once data sharing verifies
them, so a region whose diagram does not say so asks for the parents' ID cards.
"""
import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from api.cli import initialise
from api.extensions import db
from engine.store.models import Case
from forms import load_region, ProcessRules, RegionLoadError
from tests.api.helpers import User, sample_form

ROOT = Path(__file__).resolve().parents[2]
REGION = "gx-qinzhou-qinbei"
ID_CARDS = "parents_id_cards"


def _switch_on(tmp_path) -> Path:
    """钦北's diagram asks for the paper (dataSharingVerifies empty); this copy verifies the ID cards online."""
    root = tmp_path / "bpmn"
    shutil.copytree(ROOT / "bpmn", root)
    path = root / REGION / "process.bpmn"
    text = path.read_text("utf-8")
    line = '<camunda:property name="dataSharingVerifies" value=""/>'
    assert line in text
    path.write_text(text.replace(line, line.replace('value=""', f'value="{ID_CARDS}"')), "utf-8")
    return root


@pytest.fixture
def sharing_app(make_app, tmp_path):
    app = make_app(BPMN_ROOT=_switch_on(tmp_path))
    initialise(app)
    return app


def _apply(app) -> tuple[int, dict]:
    family = User(app.test_client(), f"{REGION}.family")
    items = [i["code"] for i in family.get(f"/api/v1/regions/{REGION}").get_json()["items"]]
    form = sample_form(REGION)
    form["attachments"].remove(ID_CARDS)
    response = family.post("/api/v1/cases", json={"region": REGION, "items": items, "form": form})
    return response.status_code, response.get_json()


def _id_cards_told(app) -> dict:
    family = User(app.test_client(), f"{REGION}.family")
    told = family.get(f"/api/v1/regions/{REGION}/requirements").get_json()
    return next(m for m in told["materials"] if m["code"] == ID_CARDS)


def _cases(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Case))


def test_without_the_switch_the_parents_id_cards_are_asked_for_on_paper(app):
    """002: 「通过数据共享、核验逐步实现申请材料免提交」: no verification configured, so the paper is asked for."""
    assert _id_cards_told(app)["shared"] is False
    status, body = _apply(app)
    assert status == 422, body
    assert {"field": f"attachments.{ID_CARDS}", "code": "material_missing"} in [
        {k: e[k] for k in ("field", "code")} for e in body["errors"]]
    assert _cases(app) == 0


def test_with_the_switch_the_verified_material_is_not_asked_for(sharing_app):
    """002: once data sharing verifies the ID cards (dataSharingVerifies), the family submits no paper."""
    assert _id_cards_told(sharing_app)["shared"] is True
    status, body = _apply(sharing_app)
    assert status == 201, body


def test_a_switch_naming_no_material_of_the_region_fails_the_load():
    with pytest.raises(RegionLoadError, match="dataSharingVerifies"):
        load_region(ROOT / "bpmn" / REGION, ProcessRules(verified_by_sharing=frozenset({"passport"})))
