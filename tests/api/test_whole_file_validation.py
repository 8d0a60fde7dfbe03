"""Deploy validates the whole file, not only what the parser reaches from the start event (issue 15,
acceptance 3): every problem listed at once by element id, through both deploy endpoints; and the
same list from ``engine.validate_diagram`` without storing anything."""
import io
from pathlib import Path

from sqlalchemy import func, select

from api.extensions import db
from engine import validate_diagram
from engine.store.models import Definition, Deployment
from tests.api.helpers import User
from tests.workers.test_modeler_deploy import deploy as modeler_deploy

ROOT = Path(__file__).resolve().parents[2]
WHOLE = (ROOT / "tests/data/bpmn/whole_file_problems.bpmn").read_bytes()
QINBEI = (ROOT / "bpmn/gx-qinzhou-qinbei/process.bpmn").read_bytes()
# (element id, code) of the three things wrong that the parser never reached
EXPECTED = {("to_ghost", "dangling_reference"), ("orphan", "no_topic"), ("orphan", "no_incoming"),
            ("orphan", "no_outgoing"), ("review", "no_candidate_group")}


def _element(field: str) -> str:
    return field.split("#", 1)[1].split(".", 1)[0]


def _stored(app) -> tuple[int, int]:
    with app.app_context():
        return tuple(db.session.scalar(select(func.count()).select_from(m)) for m in (Definition, Deployment))


def test_api_deploy_lists_the_dangling_flow_the_orphan_service_task_and_the_groupless_user_task(app, client):
    before = _stored(app)
    response = User(client, "admin").post("/api/v1/definitions", content_type="multipart/form-data",
                                          data={"file": (io.BytesIO(WHOLE), "whole.bpmn")})
    assert response.status_code == 400, response.get_json()
    errors = response.get_json()["errors"]
    assert {(_element(e["field"]), e["code"]) for e in errors} == EXPECTED, errors
    assert all(e["message"] for e in errors)
    assert _stored(app) == before


def test_modeler_deploy_message_lists_all_three_by_element_id(app):
    before = _stored(app)
    response = modeler_deploy(app.test_client(), "whole.bpmn", WHOLE)
    assert response.status_code == 400
    body = response.get_json()
    assert body["type"] == "ParseException"
    for element, code in EXPECTED:
        assert f"#{element}" in body["message"] and f"[{code}]" in body["message"], body["message"]
    listed = {(e["mainElementId"], e["code"]) for e in body["details"]["whole.bpmn"]["errors"]}
    assert listed == EXPECTED
    assert _stored(app) == before


def test_an_element_no_path_reaches_is_unreachable():
    """Two tasks that only lead to each other: each has an incoming flow, neither is reachable."""
    loop = (b'<bpmn:userTask id="island_a" name="A" camunda:candidateGroups="health">'
            b'<bpmn:incoming>island_b_to_a</bpmn:incoming><bpmn:outgoing>island_a_to_b</bpmn:outgoing></bpmn:userTask>'
            b'<bpmn:userTask id="island_b" name="B" camunda:candidateGroups="health">'
            b'<bpmn:incoming>island_a_to_b</bpmn:incoming><bpmn:outgoing>island_b_to_a</bpmn:outgoing></bpmn:userTask>'
            b'<bpmn:sequenceFlow id="island_a_to_b" sourceRef="island_a" targetRef="island_b"/>'
            b'<bpmn:sequenceFlow id="island_b_to_a" sourceRef="island_b" targetRef="island_a"/>')
    xml = QINBEI.replace(b"</bpmn:process>", loop + b"</bpmn:process>", 1)
    problems = validate_diagram(xml, "island.bpmn")
    assert {(_element(p.field), p.code) for p in problems} == {("island_a", "unreachable"),
                                                               ("island_b", "unreachable")}


def test_validate_diagram_finds_nothing_in_the_regions_as_shipped():
    for path in sorted((ROOT / "bpmn").glob("*/process.bpmn")):
        assert validate_diagram(path.read_bytes(), path.name) == [], path


SICHUAN = (ROOT / "bpmn/sc-province/process.bpmn").read_bytes()
MARRIAGE_OUTPUTS = b'<camunda:property name="outputs" value="marriage_licence_found:boolean, stop_reason:string?"/>'


def _api_deploy(client, xml: bytes):
    return User(client, "admin").post("/api/v1/definitions", content_type="multipart/form-data",
                                      data={"file": (io.BytesIO(xml), "process.bpmn")})


def test_a_condition_reading_a_variable_nothing_declares_is_refused(app, client):
    """四川省 seed (003_05c807b95d1186d1.txt) 「引用……结婚证电子证照」: the marriage gateway reads
    ``marriage_licence_found``; without the check task's ``outputs`` nothing declares it."""
    assert MARRIAGE_OUTPUTS in SICHUAN
    response = _api_deploy(client, SICHUAN.replace(MARRIAGE_OUTPUTS, b""))
    assert response.status_code == 400
    [error] = response.get_json()["errors"]
    assert (error["field"], error["code"]) == ("process.bpmn#flow_marriage_gateway_to_merge_review",
                                               "undeclared_variable")
    assert "marriage_licence_found" in error["message"]


def test_a_malformed_outputs_declaration_is_refused_naming_the_entry(app, client):
    broken = SICHUAN.replace(b"marriage_licence_found:boolean, stop_reason:string?",
                             b"marriage_licence_found:bool, stop_reason:string?")
    response = _api_deploy(client, broken)
    assert response.status_code == 400
    codes = {(e["field"], e["code"]) for e in response.get_json()["errors"]}
    assert ("process.bpmn#marriage_licence_check.outputs", "invalid_outputs") in codes
    # the malformed entry declares nothing, so the gateway's variable is undeclared as well
    assert ("process.bpmn#flow_marriage_gateway_to_merge_review", "undeclared_variable") in codes
