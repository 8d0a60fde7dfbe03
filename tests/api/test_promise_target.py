"""Promise (承诺时限) vs internal target (内部督办时限), issue 14 acceptance 2 (engine half).

A region whose seed states no promise (江津: 000 states no working-day limit for the case; its diagram is
copied here with its invented limits turned into ``targetWorkingDays``, as the region helpers do) tells the
family no date anywhere: not on the 受理通知书, not by SMS, not in ``GET /cases/{id}``, not in its list; its
staff still get deadlines, labelled 内部督办时限 on the supervisor board. 钦北 (002: 承诺办结时限为33个工作日) keeps
printing its promise.
"""
import io
import json
import shutil
import zipfile
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import select

from api.cli import initialise
from api.extensions import db
from engine.deadlines import escalation
from engine.deadlines.sla import CASE_PROMISE, TASK_PROMISE, limit_of
from engine.store.models import OutboxMessage
from tests.api.helpers import User, sample_form
from tests.api.region_driver import ACCEPT, RegionDriver

ROOT = Path(__file__).resolve().parents[2]
JIANGJIN, QINBEI = "cq-jiangjin", "gx-qinzhou-qinbei"
NS = {"camunda": "http://camunda.org/schema/1.0/bpmn"}
JIANGJIN_ITEMS = ["vaccination_certificate", "birth_certificate", "hukou_registration", "medical_insurance"]


def _targets_only(tmp_path) -> Path:
    """A copy of bpmn/ whose 江津 diagram states no promise: every limit there is an internal target."""
    root = tmp_path / "bpmn"
    shutil.copytree(ROOT / "bpmn", root)
    path = root / JIANGJIN / "process.bpmn"
    text = path.read_text("utf-8")
    text = text.replace('name="promiseWorkingDays"', 'name="targetWorkingDays"')
    text = text.replace('name="limitWorkingDays"', 'name="targetWorkingDays"')
    path.write_text(text, "utf-8")
    assert "WorkingDays\" value" in text and "promiseWorkingDays" not in text and "limitWorkingDays" not in text
    return root


@pytest.fixture
def target_app(make_app, tmp_path):
    app = make_app(BPMN_ROOT=_targets_only(tmp_path))
    initialise(app)
    return app


def _accept(driver: RegionDriver, items: list[str]) -> dict:
    driver.submit(items, sample_form(driver.region))
    review = next(t for t in driver.open_tasks() if t["form_key"] == "acceptance_review")
    driver.work(review, {"decision": "accept"})
    return driver.case()


def _sms(app, case_id) -> list[str]:
    with app.app_context():
        return [m.text for m in db.session.scalars(select(OutboxMessage).where(OutboxMessage.case_id == case_id)
                                                    .order_by(OutboxMessage.id))]


def _notice_html(user: User, case: dict, kind: str) -> str:
    notice = next(n for n in case["notices"] if n["kind"] == kind)
    response = user.get(notice["html"])
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_jiangjin_states_no_promise_so_the_family_is_told_no_date(target_app, clock):
    """000 (重庆江津): the seed states no working-day 承诺时限 for the case (江津 10 was invented): with its limits as
    internal targets the 受理通知书, the SMS and the family's pages carry no date."""
    driver = RegionDriver(target_app, JIANGJIN)
    case = _accept(driver, JIANGJIN_ITEMS)
    assert case["status"] == "in_progress"
    assert (case["deadline"], case["promise_working_days"], case["deadline_kind"]) == (None, None, None)
    assert all(i["deadline"] is None for i in case["items"])
    assert case["open_tasks"] and all(t["due_at"] is None for t in case["open_tasks"])
    listed = driver.family.get("/api/v1/cases").get_json()["items"]
    assert [(c["id"], c["deadline"]) for c in listed] == [(driver.case_id, None)]
    html = _notice_html(driver.family, case, "acceptance")
    assert "受理通知书" in html and "承诺办结时间" not in html
    texts = _sms(target_app, driver.case_id)
    assert any("已受理" in t for t in texts) and not any("承诺" in t for t in texts)
    # staff still see the internal target, labelled as internal
    staff = driver.supervisor.get(f"/api/v1/cases/{driver.case_id}").get_json()
    assert staff["deadline"] is not None and staff["deadline_label"] == "内部督办时限"


def test_jiangjin_board_labels_internal_targets_and_escalates_without_telling_the_family(target_app, clock):
    """000: an internal target drives 红灯 and escalation for staff (内部督办时限), never shown to the family."""
    driver = RegionDriver(target_app, JIANGJIN)
    _accept(driver, JIANGJIN_ITEMS)
    clock.advance(days=40)
    board = driver.supervisor.get("/api/v1/supervision/overdue").get_json()
    assert board["items"] and {t["deadline_label"] for t in board["items"]} == {"内部督办时限"}
    assert {t["deadline_kind"] for t in board["items"]} == {"target"}
    assert [c["deadline_label"] for c in board["cases"]] == ["内部督办时限"]
    state = target_app.extensions["newborn"]
    with target_app.app_context():
        fired = escalation.fire_due(db.session, clock, state.calendar)
    assert fired and {f.deadline_kind for f in fired} == {"target"}
    rows = driver.supervisor.get("/api/v1/supervision/escalations").get_json()["items"]
    assert rows and {r["deadline_label"] for r in rows} == {"内部督办时限"}
    family_view = driver.case()
    escalated = [e for e in family_view["timeline"] if e["kind"].startswith("escalation_")]
    assert escalated and all("due_at" not in e["detail"] for e in escalated)
    staff_view = driver.supervisor.get(f"/api/v1/cases/{driver.case_id}").get_json()
    assert all("due_at" in e["detail"] for e in staff_view["timeline"] if e["kind"].startswith("escalation_"))


def test_jiangjin_archive_keeps_internal_due_dates_from_the_familys_copy(target_app, clock):
    """000 states no promise: the finished case's archive, exported by the family, shows its escalations
    but not their internal due dates (内部督办时限); the staff's copy, the file of record, keeps them."""
    driver = RegionDriver(target_app, JIANGJIN)
    driver.submit(["birth_certificate"], sample_form(JIANGJIN))
    clock.advance(days=40)  # late before acceptance: the review's internal target escalates
    with target_app.app_context():
        assert escalation.fire_due(db.session, clock, target_app.extensions["newborn"].calendar)
    assert driver.run(ACCEPT)["status"] == "completed"

    def escalations(user) -> list[dict]:
        response = user.get(f"/api/v1/cases/{driver.case_id}/archive")
        assert response.status_code == 200, response.get_json()
        entries = json.loads(zipfile.ZipFile(io.BytesIO(response.data)).read("timeline.json"))
        return [e["detail"] for e in entries if e["kind"].startswith("escalation_")]

    family_copy, staff_copy = escalations(driver.family), escalations(User(target_app.test_client(), "admin"))
    assert family_copy and all("due_at" not in d and d["deadline_kind"] == "target" for d in family_copy)
    assert len(staff_copy) == len(family_copy) and all(d["due_at"] for d in staff_copy)


def test_qinbei_prints_its_promise_of_33_working_days(app, clock):
    """002 (钦州钦北): 「新生儿出生“一件事”承诺办结时限为33个工作日」: the promise is printed on the notice, sent by SMS and
    shown to the family, labelled 承诺时限."""
    driver = RegionDriver(app, QINBEI)
    items = [i["code"] for i in driver.family.get(f"/api/v1/regions/{QINBEI}").get_json()["items"]]
    case = _accept(driver, items)
    assert case["promise_working_days"] == 33 and case["deadline_label"] == "承诺时限"
    day = case["deadline"][:10]
    assert f"承诺办结时间：{day}前" in _notice_html(driver.family, case, "acceptance")
    assert any(f"承诺于{day}前办结" in t for t in _sms(app, driver.case_id))


def _deploy(app, data: bytes):
    admin = User(app.test_client(), "admin")
    return admin.post("/api/v1/definitions", data={"file": (io.BytesIO(data), "process.bpmn")},
                      content_type="multipart/form-data")


def _qinbei_with(name: str, value: str) -> bytes:
    """钦北's diagram with a property ``name=value`` beside (or replacing) its longest task promise."""
    root = etree.fromstring((ROOT / "bpmn" / QINBEI / "process.bpmn").read_bytes())
    limits = root.xpath("//camunda:property[@name='limitWorkingDays']", namespaces=NS)
    longest = max(limits, key=lambda p: int(p.get("value")))
    if name == "limitWorkingDays":
        longest.set("value", value)
    else:
        longest.addnext(etree.Element(f"{{{NS['camunda']}}}property", name=name, value=value))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def test_deploy_checks_promises_on_the_critical_path_and_targets_for_positivity(app):
    """Targets are the operator's: they never make a path exceed the promise; they must be positive."""
    assert _deploy(app, _qinbei_with("targetWorkingDays", "90")).status_code == 201
    refused = _deploy(app, _qinbei_with("limitWorkingDays", "90"))
    assert refused.status_code == 400
    assert [e["code"] for e in refused.get_json()["errors"]] == ["promise_shorter_than_path"]
    refused = _deploy(app, _qinbei_with("targetWorkingDays", "0"))
    assert refused.status_code == 400
    assert [e["code"] for e in refused.get_json()["errors"]] == ["invalid_limit"]
    assert refused.get_json()["errors"][0]["field"].endswith(".targetWorkingDays")


def test_a_stated_promise_wins_over_a_target_on_the_same_element():
    """bpmn/README.md: ``limitWorkingDays``/``promiseWorkingDays`` (what a seed states) before ``targetWorkingDays``."""
    assert limit_of({"limitWorkingDays": "2", "targetWorkingDays": "1"}, TASK_PROMISE) == (2, "promise")
    assert limit_of({"targetWorkingDays": "4"}, TASK_PROMISE) == (4, "target")
    assert limit_of({"promiseWorkingDays": "33", "targetWorkingDays": "20"}, CASE_PROMISE) == (33, "promise")
    assert limit_of({"targetWorkingDays": "0"}, CASE_PROMISE) == (None, None)
