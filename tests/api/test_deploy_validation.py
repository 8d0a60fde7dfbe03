"""Deploy-time validation over HTTP: every problem at once, nothing stored (issue 4 acc. 4, issue 3 acc. 5)."""
import io
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import func, select

from api.extensions import db
from engine.bpmn.expressions import RestrictedScriptEngine, UnsafeExpression, check_expression
from engine.store.models import Definition, Deployment
from tests.api.helpers import User

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests/data/bpmn"
QINBEI = ROOT / "bpmn/gx-qinzhou-qinbei/process.bpmn"
NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL", "camunda": "http://camunda.org/schema/1.0/bpmn"}
C = "{http://camunda.org/schema/1.0/bpmn}"


def _qinbei(edit) -> bytes:
    root = etree.fromstring(QINBEI.read_bytes())
    edit(root)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _node(root, bpmn_id):
    return root.xpath(f"//*[@id='{bpmn_id}']")[0]


def _prop(root, bpmn_id, name):
    return root.xpath(f"//*[@id='{bpmn_id}']//camunda:property[@name='{name}']", namespaces=NS)[0]


def _deploy(client, data: bytes, user="admin", filename="process.bpmn"):
    admin = User(client, user)
    return admin.post("/api/v1/definitions", data={"file": (io.BytesIO(data), filename)},
                      content_type="multipart/form-data")


def _count(app, model):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def _refused(app, client, data) -> list[dict]:
    before = (_count(app, Definition), _count(app, Deployment))
    response = _deploy(client, data)
    assert response.status_code == 400, response.get_json()
    assert (_count(app, Definition), _count(app, Deployment)) == before, "a refused deploy stored something"
    errors = response.get_json()["errors"]
    assert all(set(e) >= {"field", "code", "message"} for e in errors)
    return errors


def test_a_diagram_with_three_different_problems_reports_all_three(app, client):
    errors = _refused(app, client, (DATA / "three_problems.bpmn").read_bytes())
    by_code = {e["code"]: e for e in errors}
    assert set(by_code) == {"no_candidate_group", "unknown_topic", "invalid_limit"}, errors
    assert by_code["no_candidate_group"]["field"].endswith("#review")
    assert "passport.issue" in by_code["unknown_topic"]["message"]
    assert by_code["invalid_limit"]["field"].endswith("#issue.limitWorkingDays")


def test_qinbei_card_raised_to_31_is_refused_naming_the_path(app, client):
    errors = _refused(app, client, _qinbei(lambda r: _prop(r, "social_security_card_issue", "limitWorkingDays")
                                           .set("value", "31")))
    [error] = errors
    assert error["code"] == "promise_shorter_than_path"
    assert "33" in error["message"] and "34" in error["message"]
    for step in ("签发出生医学证明（首签）(1)", "办理出生登记(2)", "社会保障卡申领制卡(31)"):
        assert step in error["message"]


def test_qinbei_as_shipped_fits_its_promise_exactly(app, client):
    response = _deploy(client, QINBEI.read_bytes())
    assert response.status_code == 200, response.get_json()  # already deployed by initialise: same version


@pytest.mark.parametrize("edit, code", [
    (lambda r: _node(r, "birth_certificate_issue").set(f"{C}topic", "passport.issue"), "unknown_topic"),
    (lambda r: _node(r, "birth_certificate_issue").attrib.pop(f"{C}type"), "no_topic"),
    (lambda r: _node(r, "acceptance_review").attrib.pop(f"{C}candidateGroups"), "no_candidate_group"),
    (lambda r: _node(r, "acceptance_review").set(f"{C}candidateGroups", "astrology"), "unknown_group"),
    (lambda r: _prop(r, "birth_certificate_issue", "limitWorkingDays").set("value", "0"), "invalid_limit"),
    (lambda r: _prop(r, "birth_certificate_issue", "limitWorkingDays").set("value", "-2"), "invalid_limit"),
    (lambda r: _prop(r, "birth_certificate_issue", "limitWorkingDays").set("value", "1.5"), "invalid_limit"),
    (lambda r: r.xpath("//camunda:property[@name='promiseWorkingDays']", namespaces=NS)[0].set("value", "abc"),
     "invalid_limit"),
    (lambda r: _node(r, "acceptance_review").set("bogusAttribute", "x"), "xsd"),
    (lambda r: _node(r, "fork_items").getparent().append(etree.Element(f"{{{NS['bpmn']}}}notAnElement")), "xsd"),
])
def test_each_problem_is_refused_with_its_code(app, client, edit, code):
    errors = _refused(app, client, _qinbei(edit))
    assert code in {e["code"] for e in errors}, errors


def test_a_dangling_reference_is_refused(app, client):
    def dangle(root):
        _node(root, "flow_birth_certificate_issue_to_birth_certificate_done").set("targetRef", "no_such_task")
    errors = _refused(app, client, _qinbei(dangle))
    dangling = [e for e in errors if e["code"] == "dangling_reference"]
    assert [e["field"] for e in dangling] == [
        "process.bpmn#flow_birth_certificate_issue_to_birth_certificate_done.targetRef"], errors
    assert "no_such_task" in dangling[0]["message"]


def test_not_xml_and_entities_are_refused(app, client):
    assert _refused(app, client, b"this is not xml")
    bomb = (b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
            b'<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">&b;</bpmn:definitions>')
    assert _refused(app, client, bomb)


def test_only_an_admin_may_deploy(app, client):
    response = _deploy(client, QINBEI.read_bytes(), user="gx-qinzhou-qinbei.health")
    assert response.status_code == 403
    assert client.post("/api/v1/definitions", data=QINBEI.read_bytes()).status_code == 401


# ---------------------------------------------------------------- unsafe expressions (issue 3, acceptance 5)

ESCAPES = [
    "__import__('os').system('touch {marker}')",
    "().__class__.__base__.__subclasses__()",
    "decision.__class__",
    "open('{marker}', 'w')",
    "exec(\"open('{marker}', 'w')\")",
    "[c for c in ().__class__.__mro__]",
    "getattr(decision, '__cl' + 'ass__')",
    "(lambda: 1)()",
]


@pytest.mark.parametrize("payload", ESCAPES)
def test_unsafe_condition_is_refused_at_deploy_and_never_runs(app, client, tmp_path, payload):
    marker = tmp_path / "pwned"
    source = payload.format(marker=marker)

    def poison(root):
        condition = root.xpath("//bpmn:sequenceFlow[@id='flow_decision_gateway_to_fork_items']"
                               "/bpmn:conditionExpression", namespaces=NS)[0]
        condition.text = f"decision == 'accept' and {source}"
    errors = _refused(app, client, _qinbei(poison))
    assert [e["code"] for e in errors] == ["unsafe_expression"]
    assert errors[0]["field"].endswith("#flow_decision_gateway_to_fork_items")
    assert not marker.exists()


def test_unsafe_script_task_is_refused_at_deploy(app, client, tmp_path):
    marker = tmp_path / "pwned"
    data = (DATA / "script_escape.bpmn").read_text("utf-8").replace("MARKER", str(marker)).encode()
    errors = _refused(app, client, data)
    assert "unsafe_expression" in {e["code"] for e in errors}
    assert not marker.exists()


@pytest.mark.parametrize("payload", ESCAPES)
def test_the_restricted_engine_refuses_escapes_at_run_time_too(tmp_path, payload):
    """A diagram that slipped past deploy (e.g. deployed before the check) still cannot run them."""
    marker = tmp_path / "pwned"
    source = payload.format(marker=marker)
    with pytest.raises(UnsafeExpression):
        check_expression(source, "eval")
    engine = RestrictedScriptEngine()
    for _ in range(2):  # checked code is cached by its text: a refusal must not be
        with pytest.raises(UnsafeExpression):
            engine.environment.evaluate(source, {"decision": "accept"})
        with pytest.raises(UnsafeExpression):
            engine.environment.execute(source, {"decision": "accept"})
    assert not marker.exists()


def test_the_restricted_engine_still_evaluates_the_conditions_regions_use():
    env = RestrictedScriptEngine().environment
    context = {"decision": "accept", "items": ["hukou_registration"], "hukou_refused": True, "newborn_named": False}
    assert env.evaluate("decision == 'accept'", context) is True
    assert env.evaluate("'hukou_registration' in items and hukou_refused == True", context) is True
    assert env.evaluate("newborn_named == True", context) is False
    assert env.evaluate("len(items) > 0 and max(1, 2) == 2", context) is True


def test_a_diagram_stored_before_the_check_fails_safely_when_a_case_runs_it(app, tmp_path):
    """Bypass deploy validation (as a diagram deployed before the check existed) and start a case."""
    from engine.work import cases as engine_cases
    from engine.bpmn.parser import NewbornParser
    from engine.definitions import _spec_serializer
    from engine.store.models import Incident
    from api.services import engine_context

    marker = tmp_path / "pwned"
    xml = (DATA / "script_escape.bpmn").read_text("utf-8").replace("MARKER", str(marker))
    parser = NewbornParser()
    parser.add_bpmn_xml(etree.ElementTree(etree.fromstring(xml.encode())), "script_escape.bpmn")
    spec_json = _spec_serializer.dumps(parser.get_spec("script_escape"), parser.get_subprocess_specs("script_escape"))
    with app.test_request_context():
        ctx = engine_context()
        deployment = Deployment(id="legacy", name="legacy", deployed_at=ctx.now())
        db.session.add(deployment)
        db.session.flush()
        definition = Definition(id="script_escape:1:legacy", key="script_escape", version=1, name="legacy",
                                region="gx-qinzhou-qinbei", sha256="0" * 64, resource_name="script_escape.bpmn",
                                xml=xml, spec_json=spec_json, properties={}, activities={},
                                deployment_id="legacy", deployed_at=ctx.now())
        db.session.add(definition)
        db.session.commit()
        case = engine_cases.start_case(ctx, "gx-qinzhou-qinbei", [], {}, {}, definition=definition)
        assert case.status == "failed"
        assert db.session.scalar(select(func.count()).select_from(Incident).where(Incident.case_id == case.id)) == 1
    assert not marker.exists()
