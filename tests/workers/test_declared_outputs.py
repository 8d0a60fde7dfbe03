"""四川省 served by the stock Camunda 7 Python client (camunda-external-task-client-python3): a worker's
payload is checked against the service task's declared outputs before the step, a refused payload
changes nothing, and parallel departments completing one case at the same moment all succeed."""
import threading

import pytest
import requests
from sqlalchemy import func, select

from camunda.client.external_task_client import ExternalTaskClient
from engine.store.models import Case, CaseItem, Incident, Task
from tests.api.helpers import sample_form
from tests.workers.conftest import bearer, rows

SC = "sc-province"
WORKER = ("worker", "demo")  # the demo department account serving every topic
CONFIG = {"auth_basic": {"username": WORKER[0], "password": WORKER[1]}, "maxTasks": 1,
          "lockDuration": 60_000, "asyncResponseTimeout": 0, "httpTimeoutMillis": 30_000, "sleepSeconds": 0}
ITEMS = ["birth_certificate", "vaccination_certificate", "hukou_registration", "medical_insurance",
         "parenting_guidance"]
# what each department returns (bpmn/sc-province/process.bpmn, property "outputs")
ANSWERS = {
    "birth_certificate.issue": {"elicence": {"kind": "birth_certificate", "number": "Q5100000001"}},
    "vaccination_certificate.issue": {"elicence": {"kind": "vaccination_certificate", "number": "YM5100000001"}},
    "hukou_registration.register": {"elicence": {"kind": "hukou_registration", "number": "HK5100000001"},
                                    "hukou_refused": False},
    "medical_insurance.enrol": {"elicence": {"kind": "medical_insurance", "number": "YB5100000001"}},
    "parenting_guidance.register": {"elicence": {"kind": "parenting_guidance", "number": "YE5100000001"}},
}


def _submit(live) -> str:
    family = bearer(live, (f"{SC}.family", "demo"))
    response = requests.post(f"{live.url}/api/v1/cases", headers=family, timeout=30,
                             json={"region": SC, "items": ITEMS, "form": sample_form(SC)})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def _case(app, case_id) -> tuple:
    """(status, row_version, saved workflow state) as committed."""
    with app.app_context():
        from api.extensions import db
        try:
            return tuple(db.session.execute(select(Case.status, Case.row_version, Case.state)
                                            .where(Case.id == case_id)).one())
        finally:
            db.session.remove()


def _incidents(app, case_id) -> int:
    return rows(app, select(func.count()).select_from(Incident).where(Incident.case_id == case_id))[0]


def _accept(live, case_id) -> None:
    clerk = bearer(live, (f"{SC}.health", "demo"))
    tasks = requests.get(f"{live.url}/api/v1/tasks?case={case_id}", headers=clerk, timeout=30).json()["items"]
    [review] = [t for t in tasks if t["form_key"] == "acceptance_review"]
    assert requests.post(f"{live.url}/api/v1/tasks/{review['id']}/claim", headers=clerk, timeout=30).ok
    done = requests.post(f"{live.url}/api/v1/tasks/{review['id']}/complete", headers=clerk, timeout=30,
                         json={"data": {"decision": "accept"}})
    assert done.status_code == 200, done.text


def test_a_completion_missing_a_declared_variable_is_refused_and_the_case_keeps_running(app, live):
    """四川省 seed (003_05c807b95d1186d1.txt): the police system 「引用……婴儿父母一方的结婚证电子证照」; our
    diagram checks the marriage e-licence first and routes on ``marriage_licence_found``, which the
    department must return (declared ``marriage_licence_found:boolean, stop_reason:string?``)."""
    case_id = _submit(live)
    client = ExternalTaskClient("dept-marriage", f"{live.url}/engine-rest", CONFIG)
    [task] = client.fetch_and_lock("marriage_licence.check")
    before = _case(app, case_id)

    with pytest.raises(Exception, match="received 400") as refused:
        client.complete(task["id"], {"stop_reason": None, "married": "yes"})
    assert "marriage_licence_found" in str(refused.value) and "married" in str(refused.value)
    raw = requests.post(f"{live.url}/engine-rest/external-task/{task['id']}/complete", auth=WORKER, timeout=30,
                        json={"workerId": "dept-marriage", "variables": {"marriage_licence_found": {"value": "yes"}}})
    assert raw.status_code == 400
    assert [(e["field"], e["code"]) for e in raw.json()["errors"]] == [
        ("marriage_licence_found", "invalid_variable_type")]

    after = _case(app, case_id)
    assert after == before  # status, row version and saved workflow all unchanged
    assert after[0] == "review" and _incidents(app, case_id) == 0
    [row] = rows(app, select(Task).where(Task.id == task["id"]))
    assert (row.state, row.lock_owner) == ("locked", "dept-marriage")  # still the worker's to retry

    assert client.complete(task["id"], {"marriage_licence_found": True, "stop_reason": None}) is True
    [row] = rows(app, select(Task).where(Task.id == task["id"]))
    assert row.state == "completed"
    opened = rows(app, select(Task.bpmn_id).where(Task.case_id == case_id, Task.state == "ready"))
    assert opened == ["acceptance_review"]


def _issue_birth_certificate(live, case_id) -> None:
    """四川省 seed (003 附件3): the police, insurance and vaccination work from the certificate's e-licence,
    so their tasks open once it is issued."""
    hospital = ExternalTaskClient("dept-birth", f"{live.url}/engine-rest", CONFIG)
    [task] = hospital.fetch_and_lock("birth_certificate.issue")
    assert task["processInstanceId"] == case_id
    assert hospital.complete(task["id"], ANSWERS["birth_certificate.issue"]) is True


def _certificate_issued(live) -> str:
    """A filed case, its marriage e-licence found, accepted, its birth certificate issued."""
    case_id = _submit(live)
    marriage = ExternalTaskClient("dept-marriage", f"{live.url}/engine-rest", CONFIG)
    [task] = marriage.fetch_and_lock("marriage_licence.check")
    assert marriage.complete(task["id"], {"marriage_licence_found": True}) is True
    _accept(live, case_id)
    _issue_birth_certificate(live, case_id)
    return case_id


def _lock_every_department(live, case_id, topics) -> list[tuple[ExternalTaskClient, dict]]:
    locked = []
    for topic in topics:
        client = ExternalTaskClient(f"dept-{topic}", f"{live.url}/engine-rest", CONFIG)
        tasks = client.fetch_and_lock(topic)
        assert [t["processInstanceId"] for t in tasks] == [case_id], topic
        locked.append((client, tasks[0]))
    return locked


def test_parallel_departments_completing_one_case_at_the_same_moment_all_succeed(app, live):
    """四川省 seed (003_05c807b95d1186d1.txt): 「所有事项在审批时限内实行并联办理」: after acceptance the
    departments work the case in parallel, so their systems complete its tasks at the same moment;
    the server serialises them (no 409 for what is no conflict)."""
    case_id = _certificate_issued(live)
    parallel = [topic for topic in ANSWERS if topic != "birth_certificate.issue"]
    locked = _lock_every_department(live, case_id, parallel)
    assert len(locked) == 4
    start, outcomes = threading.Barrier(len(locked)), {}

    def complete(client, task):
        start.wait()
        try:
            outcomes[task["topicName"]] = client.complete(task["id"], ANSWERS[task["topicName"]])
        except Exception as exc:  # noqa: BLE001 - the outcome is asserted below
            outcomes[task["topicName"]] = str(exc)

    threads = [threading.Thread(target=complete, args=pair) for pair in locked]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert outcomes == {topic: True for topic in parallel}  # every one 204
    done = rows(app, select(Task.topic).where(Task.case_id == case_id, Task.state == "completed",
                                              Task.topic.in_(list(ANSWERS))))
    assert sorted(done) == sorted(ANSWERS)
    assert _case(app, case_id)[0] == "completed" and _incidents(app, case_id) == 0  # every chosen item done


def test_a_bpmn_error_is_checked_against_its_declared_error_outputs(app, live):
    """四川省 seed (003_05c807b95d1186d1.txt) on birth registration: 「不符合办理条件的，反馈原因后结束业务办理」:
    the police's refusal must carry its reason (``errorOutputs.hukou_refused`` =
    ``hukou_refused:boolean, hukou_refusal_reason:string``)."""
    case_id = _certificate_issued(live)
    police = ExternalTaskClient("dept-police", f"{live.url}/engine-rest", CONFIG)
    [hukou] = police.fetch_and_lock("hukou_registration.register")
    before = _case(app, case_id)
    with pytest.raises(requests.HTTPError) as refused:
        police.bpmn_failure(hukou["id"], "hukou_refused", "户籍审核未通过", {"hukou_refused": True})
    assert refused.value.response.status_code == 400
    assert [(e["field"], e["code"]) for e in refused.value.response.json()["errors"]] == [
        ("hukou_refusal_reason", "missing_variable")]
    assert _case(app, case_id) == before
    assert police.bpmn_failure(hukou["id"], "hukou_refused", "户籍审核未通过",
                               {"hukou_refused": True, "hukou_refusal_reason": "拟落户集体户"}) is True
    item = rows(app, select(CaseItem).where(CaseItem.case_id == case_id, CaseItem.item == "hukou_registration"))[0]
    assert (item.status, item.reason) == ("refused", "拟落户集体户")
