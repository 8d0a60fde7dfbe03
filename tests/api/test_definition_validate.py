"""The dry-run endpoint answers a deploy's problem list and stores nothing (issue 17 acc. 3)."""
import io

import pytest
from sqlalchemy import func, select

from api.extensions import db
from engine.store.models import Definition, Deployment
from tests.api.helpers import User
from tests.api.test_deploy_validation import _prop, _qinbei, DATA, QINBEI
from tests.attack.test_hostile_bpmn import CASES

VALIDATE = "/api/v1/definitions/validate"


def _upload(user, url, data: bytes):
    return user.post(url, data={"file": (io.BytesIO(data), "process.bpmn")}, content_type="multipart/form-data")


def _stored(app):
    with app.app_context():
        return tuple(db.session.scalar(select(func.count()).select_from(m)) for m in (Definition, Deployment))


def _card_limit(value):
    return lambda: _qinbei(lambda r: _prop(r, "social_security_card_issue", "limitWorkingDays").set("value", value))


SHIPPED = {**{name: maker for name, (maker, _, _) in CASES.items()},
          **{path.stem: path.read_bytes for path in sorted(DATA.glob("*.bpmn"))},
          "qinbei_card_31": _card_limit("31"), "qinbei_card_zero": _card_limit("0")}


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_dry_run_answers_the_deploy_problems_and_stores_nothing(app, client, name):
    """Every diagram the tests ship (hostile, broken, 钦北's card raised past the promise, and one that
    deploys): the dry run lists exactly what the deploy answers, and the dry run never stores anything."""
    admin = User(client, "admin")
    data = SHIPPED[name]()
    before = _stored(app)
    dry = _upload(admin, VALIDATE, data)
    assert _stored(app) == before, "the dry run stored something"
    deploy = _upload(admin, "/api/v1/definitions", data)
    if deploy.status_code == 201:  # a diagram that deploys: the dry run found nothing either
        assert dry.get_json() == {"valid": True, "key": deploy.get_json()["key"], "problems": []}
        return
    assert _stored(app) == before, "a refused deploy stored something"
    if deploy.status_code == 413:  # over the request limit: both refuse before reading the file
        assert dry.status_code == 413
        return
    assert deploy.status_code == 400, deploy.get_json()
    assert dry.status_code == 200, dry.get_json()
    body = dry.get_json()
    assert body["valid"] is False
    assert body["problems"] == deploy.get_json()["errors"]
    assert body["problems"], "a broken diagram with no problem listed"


def test_the_path_problem_carries_the_path_element_ids(app, client):
    """Seed gx-qinzhou-qinbei: 承诺时限 against the critical path; the modeler marks each step of the path."""
    body = _upload(User(client, "admin"), VALIDATE, _card_limit("31")()).get_json()
    [problem] = body["problems"]
    assert problem["code"] == "promise_shorter_than_path"
    assert problem["elements"][-1] == "social_security_card_issue"
    assert len(problem["elements"]) == problem["message"].count("(")


def test_a_valid_diagram_is_valid_and_not_deployed(app, client):
    before = _stored(app)
    body = _upload(User(client, "admin"), VALIDATE, QINBEI.read_bytes() + b"<!-- edited -->").get_json()
    assert body == {"valid": True, "key": "newborn_gx_qinzhou_qinbei", "problems": []}
    assert _stored(app) == before


def test_only_admins_validate_and_an_empty_body_is_a_clear_error(app, client):
    clerk = User(client, "gx-qinzhou-qinbei.supervisor")
    assert _upload(clerk, VALIDATE, QINBEI.read_bytes()).status_code == 403
    response = User(client, "admin").post(VALIDATE, data=b"", content_type="application/xml")
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["code"] == "required"
