"""A new city is a new folder: copy 四川省, rename it 南充, deploy and run a case; no code change
(issue 4, acceptance 5)."""
import json
import shutil
from pathlib import Path

from api.cli import initialise
from tests.api.helpers import User, sample_form
from tests.api.region_driver import ACCEPT, RegionDriver

ROOT = Path(__file__).resolve().parents[2]
NEW = "sc-nanchong"


def _copy_region(bpmn_root: Path) -> Path:
    folder = bpmn_root / NEW
    shutil.copytree(ROOT / "bpmn/sc-province", folder)
    bpmn = folder / "process.bpmn"
    text = bpmn.read_text("utf-8")
    assert text.count('id="newborn_sc_province"') == 1
    text = (text.replace('id="newborn_sc_province"', 'id="newborn_sc_nanchong"')
            .replace('processRef="newborn_sc_province"', 'processRef="newborn_sc_nanchong"')
            .replace('name="region" value="sc-province"', f'name="region" value="{NEW}"')
            .replace("四川省“新生儿出生一件事”", "南充市“新生儿出生一件事”（试点）"))
    bpmn.write_text(text, "utf-8")
    form = json.loads((folder / "form.json").read_text("utf-8"))
    form.update(region=NEW, name="四川省南充市", division="511300")
    (folder / "form.json").write_text(json.dumps(form, ensure_ascii=False), "utf-8")
    return folder


def test_a_copied_region_folder_deploys_and_runs_a_case(make_app, tmp_path):
    bpmn_root = tmp_path / "bpmn"
    bpmn_root.mkdir()
    shutil.copytree(ROOT / "bpmn/gx-qinzhou-qinbei", bpmn_root / "gx-qinzhou-qinbei")
    _copy_region(bpmn_root)
    app = make_app(BPMN_ROOT=bpmn_root)
    users = dict(initialise(app))
    assert {f"{NEW}.health", f"{NEW}.police", f"{NEW}.medical_insurance", f"{NEW}.supervisor",
            f"{NEW}.family"} <= set(users)

    client = app.test_client()
    admin = User(client, "admin")
    regions = {r["code"]: r for r in admin.get("/api/v1/regions").get_json()}
    assert set(regions) == {"gx-qinzhou-qinbei", NEW}
    assert regions[NEW]["definition_key"] == "newborn_sc_nanchong" and regions[NEW]["definition_version"] == 1
    assert regions[NEW]["promise_working_days"] is None  # a copy of 四川省: 003 promises no date for the case
    assert [v["region"] for v in admin.get("/api/v1/definitions/newborn_sc_nanchong/versions").get_json()] == [NEW]
    assert admin.get(f"/api/v1/regions/{NEW}/form-schema").status_code == 200

    driver = RegionDriver(app, NEW)
    items = ["birth_certificate", "hukou_registration", "medical_insurance", "social_security_card"]
    created = driver.submit(items, sample_form("sc-province"))
    assert created["region"] == NEW
    final = driver.run(ACCEPT)
    assert final["status"] == "completed"
    assert {i["code"]: i["label"] for i in final["items"] if i["code"] in items} == {i: "已办结" for i in items}
    # the new city's clerks see only their own city's tasks
    tasks = User(client, f"{NEW}.health").get("/api/v1/tasks?state=all").get_json()["items"]
    assert tasks and {t["region"] for t in tasks} == {NEW}
    assert User(client, "gx-qinzhou-qinbei.health").get(f"/api/v1/tasks?case={driver.case_id}&state=all") \
        .get_json()["items"] == []
