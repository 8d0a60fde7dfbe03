"""Moving running cases to a new version over HTTP (issue 17 acc. 4): dry run, execution, and cases that
finish on the version they were moved to, or stay on and finish on their own."""
from lxml import etree
from sqlalchemy import select

from api.extensions import db
from engine.store.models import AuditEntry, Case, CaseEvent, Task
from engine.store.workflow_cache import workflow_cache
from tests.api.helpers import sample_form, User
from tests.api.region_driver import ACCEPT, RegionDriver
from tests.api.test_definition_validate import _upload
from tests.api.test_deploy_validation import _qinbei

REGION, KEY = "gx-qinzhou-qinbei", "newborn_gx_qinzhou_qinbei"
MOVES = f"/api/v1/definitions/{KEY}/migrations"
MISSING = ["结婚证复印件"]


def _without_supplement(root):
    """Version 2: 补正材料 (the family's supplement step) removed with the flows into and out of it."""
    gone = {"supplement", "flow_decision_gateway_to_supplement", "flow_supplement_to_merge_review"}
    for node in root.xpath("//*[@id or @bpmnElement]"):
        if node.get("id") in gone or node.get("bpmnElement") in gone:
            node.getparent().remove(node)
    for ref in root.xpath("//*[local-name()='incoming' or local-name()='outgoing' or local-name()='flowNodeRef']"):
        if (ref.text or "").strip() in gone:
            ref.getparent().remove(ref)


def _started(app, items):
    driver = RegionDriver(app, REGION)
    driver.submit(items, sample_form(REGION))
    [review] = driver.open_tasks()
    return driver, review


def _rows(app, case_id):
    with app.app_context():
        return {t.id: (t.bpmn_id, t.state, t.assignee, t.due_at, t.definition_id) for t in db.session.scalars(
            select(Task).where(Task.case_id == case_id, Task.state.in_(["ready", "claimed", "locked"])))}


def _version(driver):
    with driver.app.app_context():
        return int(db.session.get(Case, driver.case_id).definition_id.split(":")[1])


def test_cases_at_three_points_move_or_finish_on_their_version(app):
    """Seed gx-qinzhou-qinbei (钦北): 受理审查 then 补正 (一次性告知) then the departments in parallel. Cases
    waiting at review (claimed), at the supplement, at the departments' tasks, and back at review after a
    supplement; version 2 drops the supplement step. The dry run names the supplement case as not movable and changes nothing; the move
    keeps the others' open tasks, claims and deadlines; every case completes, each on its version."""
    items = app.extensions["newborn"].regions.get(REGION).items
    at_review, review = _started(app, items)
    clerk = at_review.clerk("health")
    assert clerk.post(f"/api/v1/tasks/{review['id']}/claim").status_code == 200
    at_supplement, review_b = _started(app, items)
    at_supplement.work(review_b, {"decision": "correct", "materials": MISSING})
    in_departments, review_c = _started(app, items)
    in_departments.work(review_c, ACCEPT["acceptance_review"])
    supplied_once, review_d = _started(app, items)  # went through the step version 2 removes
    supplied_once.work(review_d, {"decision": "correct", "materials": MISSING})
    _supply(supplied_once)
    assert at_supplement.case()["status"] == "correction"
    assert supplied_once.case()["status"] == "review"
    assert len(_rows(app, in_departments.case_id)) >= 3
    before = {d.case_id: _rows(app, d.case_id) for d in (at_review, at_supplement, in_departments, supplied_once)}

    admin = User(at_review.client, "admin")
    assert _upload(admin, "/api/v1/definitions", _qinbei(_without_supplement)).status_code == 201

    dry = admin.post(MOVES, json={"from_version": 1, "to_version": 2, "dry_run": True})
    assert dry.status_code == 200, dry.get_json()
    plan = {c["case_id"]: c for c in dry.get_json()["cases"]}
    assert set(plan) == {at_review.case_id, at_supplement.case_id, in_departments.case_id, supplied_once.case_id}
    assert all(plan[d.case_id]["movable"] for d in (at_review, in_departments, supplied_once))
    stuck = plan[at_supplement.case_id]
    assert stuck["movable"] is False
    assert [(r["code"], r["element"]) for r in stuck["reasons"]] == [("no_counterpart", "supplement")]
    assert "补正材料" in stuck["reasons"][0]["message"]
    assert {d.case_id: _rows(app, d.case_id) for d in (at_review, at_supplement, in_departments, supplied_once)} == before
    assert {_version(d) for d in (at_review, at_supplement, in_departments, supplied_once)} == {1}

    done = admin.post(MOVES, json={"from_version": 1, "to_version": 2, "dry_run": False}).get_json()
    assert (done["moved"], done["movable"]) == (3, 3), done
    assert [_version(d) for d in (at_review, at_supplement, in_departments, supplied_once)] == [2, 1, 2, 2]
    workflow_cache.clear()  # every later step loads the stored state: the move must have serialised well
    for driver in (at_review, in_departments, supplied_once):
        after = _rows(app, driver.case_id)
        assert set(after) == set(before[driver.case_id]), "open tasks lost or added by the move"
        for task_id, (bpmn_id, state, assignee, due_at, definition_id) in after.items():
            assert (bpmn_id, state, assignee, due_at) == before[driver.case_id][task_id][:4]
            assert definition_id.startswith(f"{KEY}:2:")
    assert _rows(app, at_review.case_id)[review["id"]][2] == f"{REGION}.health"  # the claim held
    assert _rows(app, at_supplement.case_id) == before[at_supplement.case_id]
    _audited(app, at_review.case_id)

    completed = clerk.post(f"/api/v1/tasks/{review['id']}/complete", json={"data": ACCEPT["acceptance_review"]})
    assert completed.status_code == 200, completed.get_json()
    assert at_review.run(ACCEPT)["status"] == "completed"
    assert in_departments.run(ACCEPT)["status"] == "completed"
    assert supplied_once.run(ACCEPT)["status"] == "completed"
    _supply(at_supplement)
    assert at_supplement.run(ACCEPT)["status"] == "completed"
    assert [_version(d) for d in (at_review, at_supplement, in_departments, supplied_once)] == [2, 1, 2, 2]


def _supply(driver):
    supplied = driver.family.post(f"/api/v1/cases/{driver.case_id}/supplement",
                                  json={"materials": MISSING, "comment": "已补齐"})
    assert supplied.status_code == 200, supplied.get_json()


def _audited(app, case_id):
    with app.app_context():
        [event] = db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id,
                                                             CaseEvent.kind == "case_moved")).all()
        assert (event.actor, event.detail["from_version"], event.detail["to_version"]) == ("admin", 1, 2)
        [entry] = db.session.scalars(select(AuditEntry).where(AuditEntry.case_id == case_id,
                                                              AuditEntry.action == "case_moved")).all()
        assert entry.actor == "admin"


def test_a_bad_plan_is_a_clear_error_and_only_admins_move(app, client):
    admin = User(client, "admin")
    assert _upload(admin, "/api/v1/definitions", _qinbei(_without_supplement)).status_code == 201
    unknown = admin.post(MOVES, json={"from_version": 1, "to_version": 2, "mapping": {"nope": "start"}})
    assert unknown.status_code == 422
    assert unknown.get_json()["errors"][0] == {"field": "mapping.nope", "code": "unknown_activity",
                                               "message": "源版本没有活动 nope"}
    missing = admin.post(MOVES, json={"from_version": 1, "to_version": 7})
    assert missing.status_code == 404 and missing.get_json()["errors"][0]["field"] == "to_version"
    bad = admin.post(MOVES, json={"from_version": "one", "to_version": 2})
    assert bad.status_code == 422 and bad.get_json()["errors"][0]["field"] == "from_version"
    supervisor = User(client, f"{REGION}.supervisor")
    assert supervisor.post(MOVES, json={"from_version": 1, "to_version": 2}).status_code == 403



def _review_asks(field_id: str, label: str, kind: str, condition_text: str):
    """A diagram edit: 受理审查 asks a new question, and the condition sending 出生医学证明 on reads it."""
    def edit(root):
        [condition] = [c for c in root.iter("{*}conditionExpression") if c.text == "'birth_certificate' in items"]
        condition.text = condition_text
        [form] = root.xpath("//*[@id='acceptance_review']//*[local-name()='formData']")
        etree.SubElement(form, "{http://camunda.org/schema/1.0/bpmn}formField", id=field_id, label=label, type=kind)
    return edit

def test_a_variable_the_new_version_reads_and_the_case_lacks_keeps_it_on_its_version(app):
    """Version 2's 受理审查 asks a new question (``certificate_checked``) that sends 出生医学证明 on: a case
    still at review will answer it and may move; a case already past review lacks it and stays."""
    needs_a_new_variable = _review_asks("certificate_checked", "已核验出生医学证明", "boolean",
                                        "'birth_certificate' in items and certificate_checked")
    items = app.extensions["newborn"].regions.get(REGION).items
    at_review, _ = _started(app, items)
    past_review, review = _started(app, items)
    past_review.work(review, ACCEPT["acceptance_review"])
    admin = User(at_review.client, "admin")
    deployed = _upload(admin, "/api/v1/definitions", _qinbei(needs_a_new_variable))
    assert deployed.status_code == 201, deployed.get_json()
    plan = {c["case_id"]: c for c in admin.post(MOVES, json={"from_version": 1, "to_version": 2}).get_json()["cases"]}
    assert plan[at_review.case_id]["movable"] is True
    stuck = plan[past_review.case_id]
    assert [(r["code"], r["variable"]) for r in stuck["reasons"]] == [("missing_variable", "certificate_checked")]
    done = admin.post(MOVES, json={"from_version": 1, "to_version": 2, "dry_run": False,
                                   "case_ids": [past_review.case_id]}).get_json()
    assert done["moved"] == 0 and _version(past_review) == 1


def test_an_allow_listed_function_in_a_new_condition_is_not_a_missing_variable(app):
    """Version 2's condition calls ``len(certificate_number)``: a case past review lacks
    ``certificate_number`` and stays, and ``len`` (an allow-listed function) is never named as missing."""
    reads_through_len = _review_asks("certificate_number", "出生医学证明编号", "string",
                                     "'birth_certificate' in items and len(certificate_number) == 18")
    items = app.extensions["newborn"].regions.get(REGION).items
    past_review, review = _started(app, items)
    past_review.work(review, ACCEPT["acceptance_review"])
    admin = User(past_review.client, "admin")
    deployed = _upload(admin, "/api/v1/definitions", _qinbei(reads_through_len))
    assert deployed.status_code == 201, deployed.get_json()
    [stuck] = admin.post(MOVES, json={"from_version": 1, "to_version": 2}).get_json()["cases"]
    assert [(r["code"], r["variable"]) for r in stuck["reasons"]] == [("missing_variable", "certificate_number")]
