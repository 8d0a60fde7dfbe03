"""Camunda Modeler 5's Deploy button, byte for byte: version check, multipart deploy, duplicates, errors."""
import base64

from tests.workers.conftest import STAMP_BPMN

BOUNDARY = "----WebKitFormBoundaryq3zGz7N2oVn1kXbD"
AUTH = "Basic " + base64.b64encode(b"admin:demo").decode()


def modeler_body(filename: str, xml: bytes, name: str = "stamp") -> bytes:
    """What the modeler's FormData sends (CamundaAPI.deployDiagram), in Chromium's encoding."""
    parts = [b""]
    for field, value in (("deployment-name", name), ("deployment-source", "Camunda Modeler"),
                         ("enable-duplicate-filtering", "true"), ("deploy-changed-only", "true")):
        parts.append(f'Content-Disposition: form-data; name="{field}"\r\n\r\n{value}\r\n'.encode())
    parts.append(f'Content-Disposition: form-data; name="{filename}"; filename="{filename}"\r\n'
                 f"Content-Type: text/xml\r\n\r\n".encode() + xml + b"\r\n")
    return f"--{BOUNDARY}\r\n".encode().join(parts) + f"--{BOUNDARY}--\r\n".encode()


def deploy(client, filename, xml):
    return client.post("/engine-rest/deployment/create", data=modeler_body(filename, xml), headers={
        "Authorization": AUTH, "Accept": "application/json",
        "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"})


def test_modeler_deploys_once_and_duplicate_creates_no_version(app):
    client = app.test_client()
    assert client.get("/engine-rest/version").get_json() == {"version": "7.21.0"}
    xml = STAMP_BPMN.read_bytes().replace(b'camunda:topic="stamp.issue"', b'camunda:topic="birth_certificate.issue"')
    first = deploy(client, "stamp.bpmn", xml)
    assert first.status_code == 200 and first.mimetype == "application/json", first.get_json()
    body = first.get_json()
    assert body["name"] == "stamp" and body["source"] == "Camunda Modeler" and body["tenantId"] is None
    assert body["deploymentTime"] == "2025-09-29T09:00:00.000+0800" and body["links"][0]["rel"] == "self"
    [definition] = body["deployedProcessDefinitions"].values()
    assert definition["key"] == "dept_stamp" and definition["version"] == 1 and definition["resource"] == "stamp.bpmn"
    assert definition["deploymentId"] == body["id"] and body["deployedCaseDefinitions"] is None

    second = deploy(client, "stamp.bpmn", xml)
    assert second.status_code == 200 and second.get_json()["deployedProcessDefinitions"] is None
    assert second.get_json()["id"] == body["id"]
    listed = client.get("/engine-rest/process-definition?key=dept_stamp", headers={"Authorization": AUTH})
    assert [d["version"] for d in listed.get_json()] == [1]
    assert client.get(f"/engine-rest/deployment/{body['id']}", headers={"Authorization": AUTH}).status_code == 200
    assert client.get("/engine-rest/deployment?name=stamp&sortBy=deploymentTime&sortOrder=desc",
                      headers={"Authorization": AUTH}).get_json()[0]["id"] == body["id"]

    started = client.post(f"/engine-rest/process-definition/{definition['id']}/start", headers={"Authorization": AUTH},
                          json={"businessKey": "try-1", "variables": {"note": {"value": "试运行", "type": "String"}}})
    assert started.status_code == 200
    instance = started.get_json()
    assert instance["definitionId"] == definition["id"] and instance["businessKey"] == "try-1"
    assert instance["ended"] is False and instance["caseInstanceId"] is None


def test_invalid_diagram_answers_400_listing_every_problem(app):
    client = app.test_client()
    xml = STAMP_BPMN.read_bytes().replace(b'camunda:topic="stamp.issue"', b'camunda:topic="nobody.serves"')
    xml = xml.replace(b'name="retries" value="3"', b'name="limitWorkingDays" value="-2"')
    xml = xml.replace(b'<bpmn:endEvent id="end"', b'<bpmn:userTask id="orphan" name="orphan" /><bpmn:endEvent id="end"')
    xml = xml.replace(b'sourceRef="stamp" targetRef="end" />', b'sourceRef="stamp" targetRef="orphan" />'
                      b'<bpmn:sequenceFlow id="flow_orphan_end" sourceRef="orphan" targetRef="end" />')
    response = deploy(client, "broken.bpmn", xml)
    assert response.status_code == 400
    body = response.get_json()
    assert body["type"] == "ParseException"
    codes = {e["code"] for e in body["details"]["broken.bpmn"]["errors"]}
    assert {"unknown_topic", "invalid_limit", "no_candidate_group"} <= codes, body
    assert all(code in body["message"] for code in ("unknown_topic", "invalid_limit", "no_candidate_group"))
    anonymous = client.post("/engine-rest/deployment/create", data=modeler_body("x.bpmn", xml),
                            headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"})
    assert anonymous.status_code == 401 and anonymous.get_json()["type"] == "AuthenticationException"
