"""Version diff over HTTP, computed on the parsed XML of two deployed versions (issue 17, version diff)."""
from tests.api.helpers import User
from tests.api.test_definition_validate import _upload
from tests.api.test_deploy_validation import _node, _prop, _qinbei

KEY = "newborn_gx_qinzhou_qinbei"
C = "{http://camunda.org/schema/1.0/bpmn}"


def _edit(root):
    _node(root, "acceptance_review").set(f"{C}candidateGroups", "police")
    _prop(root, "social_security_card_issue", "limitWorkingDays").set("value", "10")
    shape = root.xpath("//*[@bpmnElement='acceptance_review']/*[local-name()='Bounds']")[0]
    shape.set("x", str(float(shape.get("x")) + 40))  # a moved shape is no change a case sees


def _deploy_v2(client):
    response = _upload(User(client, "admin"), "/api/v1/definitions", _qinbei(_edit))
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["version"] == 2


def test_diff_lists_exactly_the_changed_group_and_limit(app, client):
    """A group and a limit changed between versions 1 and 2: the diff names those two properties on their
    elements, with old and new values, and nothing else (the moved shape is not a change)."""
    _deploy_v2(client)
    response = User(client, "admin").get(f"/api/v1/definitions/{KEY}/diff?from=1&to=2")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["key"], body["from"], body["to"]) == (KEY, 1, 2)
    assert body["changes"] == [
        {"id": "acceptance_review", "type": "userTask", "name": "受理审查", "change": "changed",
         "properties": [{"name": "camunda:candidateGroups", "from": "health", "to": "police"}]},
        {"id": "social_security_card_issue", "type": "serviceTask", "name": "社会保障卡申领制卡", "change": "changed",
         "properties": [{"name": "limitWorkingDays", "from": "30", "to": "10"}]},
    ], body
    back = User(client, "admin").get(f"/api/v1/definitions/{KEY}/diff?from=2&to=1").get_json()
    assert [p["to"] for c in back["changes"] for p in c["properties"]] == ["health", "30"]


def test_removed_and_added_elements_are_listed(app, client):
    def rename(root):
        _node(root, "acceptance_review").set("id", "acceptance_check")
        for ref in root.xpath("//*[@sourceRef='acceptance_review']"):
            ref.set("sourceRef", "acceptance_check")
        for ref in root.xpath("//*[@targetRef='acceptance_review']"):
            ref.set("targetRef", "acceptance_check")
        for ref in root.xpath("//*[text()='acceptance_review']"):
            ref.text = "acceptance_check"
        for ref in root.xpath("//*[@bpmnElement='acceptance_review']"):
            ref.set("bpmnElement", "acceptance_check")
    assert _upload(User(client, "admin"), "/api/v1/definitions", _qinbei(rename)).status_code == 201
    body = User(client, "admin").get(f"/api/v1/definitions/{KEY}/diff?from=1&to=2").get_json()
    kinds = {(c["id"], c["change"]) for c in body["changes"]}
    assert ("acceptance_review", "removed") in kinds and ("acceptance_check", "added") in kinds
    changed = [c for c in body["changes"] if c["change"] == "changed"]
    assert changed, "the flows into and out of the renamed task changed their ends"
    assert all(c["type"] == "sequenceFlow" for c in changed), changed
    assert all({p["name"] for p in c["properties"]} <= {"sourceRef", "targetRef"} for c in changed), changed


def test_supervisors_see_their_region_only_and_bad_versions_are_clear_errors(app, client):
    _deploy_v2(client)
    own = User(client, "gx-qinzhou-qinbei.supervisor").get(f"/api/v1/definitions/{KEY}/diff?from=1&to=2")
    assert own.status_code == 200
    other = User(client, "cq-jiangjin.supervisor").get(f"/api/v1/definitions/{KEY}/diff?from=1&to=2")
    assert other.status_code == 403
    assert other.get_json()["errors"][0]["field"] == "key"
    admin = User(client, "admin")
    missing = admin.get(f"/api/v1/definitions/{KEY}/diff?from=1&to=9")
    assert missing.status_code == 404 and missing.get_json()["errors"][0]["field"] == "to"
    bad = admin.get(f"/api/v1/definitions/{KEY}/diff?from=x&to=2")
    assert bad.status_code == 422 and bad.get_json()["errors"][0]["field"] == "from"
    clerk = User(client, "gx-qinzhou-qinbei.health").get(f"/api/v1/definitions/{KEY}/diff?from=1&to=2")
    assert clerk.status_code == 403
