"""A step that fails while evaluating a worker's payload rolls back whole: the worker gets 400 with
field/code/message, the case stays running with no incident, and the worker (or, after an incident
the worker raises, a supervisor's retry) can still finish it."""
from pathlib import Path

import requests
from sqlalchemy import func, select

from engine.store.models import Case, Incident, Task
from tests.workers.conftest import ADMIN, STAMP_TOPIC, STAMP_WORKER, add_worker_account, bearer, fetch, rows

COUNT_BPMN = Path(__file__).resolve().parents[1] / "data/camunda/count.bpmn"
SUPERVISOR = ("gx-qinzhou-qinbei.supervisor", "demo")


def _deploy_and_start(app, live) -> str:
    add_worker_account(app, STAMP_WORKER[0], [STAMP_TOPIC])
    deployed = requests.post(f"{live.url}/engine-rest/deployment/create", auth=ADMIN, timeout=30,
                             data={"deployment-name": "count"},
                             files={"count.bpmn": ("count.bpmn", COUNT_BPMN.read_bytes(), "text/xml")})
    assert deployed.status_code == 200, deployed.text
    started = requests.post(f"{live.url}/engine-rest/process-definition/key/dept_count/start", auth=ADMIN,
                            json={"businessKey": "count-1"}, timeout=30)
    assert started.status_code == 200, started.text
    return started.json()["id"]


def _complete(live, task_id, variables):
    return requests.post(f"{live.url}/engine-rest/external-task/{task_id}/complete", auth=STAMP_WORKER,
                         timeout=30, json={"workerId": "w1", "variables": variables})


def _state(app, case_id):
    [case] = rows(app, select(Case).where(Case.id == case_id))
    incidents = rows(app, select(func.count()).select_from(Incident).where(Incident.case_id == case_id))[0]
    return case.status, case.row_version, incidents


def _refuse_then_lock(app, live) -> tuple[str, str]:
    """A completion the gateway cannot evaluate (its optional ``count`` left out): refused, nothing changed."""
    case_id = _deploy_and_start(app, live)
    [task] = fetch(live, STAMP_WORKER, "w1").json()
    before = _state(app, case_id)
    refused = _complete(live, task["id"], {})
    assert refused.status_code == 400, refused.text
    assert [(e["field"], e["code"]) for e in refused.json()["errors"]] == [("variables", "step_failed")]
    assert "count" in refused.json()["message"]
    assert _state(app, case_id) == before and before[0] == "review" and before[2] == 0
    [row] = rows(app, select(Task).where(Task.id == task["id"]))
    assert (row.state, row.lock_owner) == ("locked", "w1")
    return case_id, task["id"]


def test_a_payload_the_gateway_cannot_evaluate_is_refused_and_the_corrected_one_finishes(app, live):
    case_id, task_id = _refuse_then_lock(app, live)
    assert _complete(live, task_id, {"count": {"value": 3, "type": "Integer"}}).status_code == 204
    status, _version, incidents = _state(app, case_id)
    assert (status, incidents) == ("completed", 0)


def test_after_the_worker_gives_up_a_supervisors_retry_finishes_the_case(app, live):
    case_id, task_id = _refuse_then_lock(app, live)
    failed = requests.post(f"{live.url}/engine-rest/external-task/{task_id}/failure", auth=STAMP_WORKER,
                           timeout=30, json={"workerId": "w1", "errorMessage": "部门返回的数据无法办理", "retries": 0})
    assert failed.status_code == 204
    supervisor = bearer(live, SUPERVISOR)
    [incident] = requests.get(f"{live.url}/api/v1/supervision/incidents", headers=supervisor,
                              timeout=10).json()["items"]
    assert incident["case_id"] == case_id
    retried = requests.post(f"{live.url}/api/v1/supervision/incidents/{incident['id']}/retry",
                            headers=supervisor, json={}, timeout=10)
    assert retried.status_code == 200, retried.text
    [again] = fetch(live, STAMP_WORKER, "w2").json()
    assert again["id"] == task_id
    done = requests.post(f"{live.url}/engine-rest/external-task/{task_id}/complete", auth=STAMP_WORKER,
                         timeout=30, json={"workerId": "w2", "variables": {"count": {"value": 1}}})
    assert done.status_code == 204, done.text
    assert rows(app, select(Case.status).where(Case.id == case_id)) == ["completed"]


def test_a_bpmn_error_the_diagram_does_not_catch_is_refused_and_changes_nothing(app, live):
    """Nothing catches ``no_such_error``: thrown, the task row would close while the workflow waits."""
    case_id = _deploy_and_start(app, live)
    [task] = fetch(live, STAMP_WORKER, "w1").json()
    before = _state(app, case_id)
    thrown = requests.post(f"{live.url}/engine-rest/external-task/{task['id']}/bpmnError", auth=STAMP_WORKER,
                           timeout=30, json={"workerId": "w1", "errorCode": "no_such_error"})
    assert thrown.status_code == 400, thrown.text
    assert [(e["field"], e["code"]) for e in thrown.json()["errors"]] == [("errorCode", "step_failed")]
    assert "no_such_error" in thrown.json()["message"]
    assert _state(app, case_id) == before
    [row] = rows(app, select(Task).where(Task.id == task["id"]))
    assert (row.state, row.lock_owner) == ("locked", "w1")
    assert _complete(live, task["id"], {"count": {"value": 5}}).status_code == 204


def test_the_in_process_worker_turns_a_refused_answer_into_retries_then_an_incident(app, live, clock):
    """The simulated department answers ``stamp.issue`` with nothing; the gateway cannot evaluate that,
    so each attempt is refused and counted as a failure; with the retry spent the task is an incident
    for a supervisor, while the case itself keeps running."""
    from tests.api.helpers import worker_for
    case_id = _deploy_and_start(app, live)
    worker = worker_for(app)
    assert worker.run_once() == 1
    [row] = rows(app, select(Task).where(Task.case_id == case_id))
    assert (row.state, row.retries) == ("ready", 1) and "count" in row.error_message
    clock.advance(seconds=60)
    assert worker.run_once() == 1
    [row] = rows(app, select(Task).where(Task.case_id == case_id))
    assert row.state == "incident"
    status, _version, incidents = _state(app, case_id)
    assert (status, incidents) == ("review", 1)


def test_a_worker_process_reports_a_refused_answer_as_a_failed_attempt(app, live):
    """The stand-alone worker (workers/process.py) over HTTP: a 400 for its completion is a failure it
    reports, so the retry count runs down to an incident instead of the lock lapsing again and again."""
    from engine import SimulatedDepartment
    from workers.client import EngineRestClient
    from workers.process import ExternalWorker
    case_id = _deploy_and_start(app, live)
    client = EngineRestClient(live.url, *STAMP_WORKER)
    worker = ExternalWorker(client, {STAMP_TOPIC: SimulatedDepartment()}, "proc-1", wait_ms=0)
    [task] = client.fetch_and_lock("proc-1", [STAMP_TOPIC], 1, 60_000, 0)
    worker.handle(task)
    [row] = rows(app, select(Task).where(Task.case_id == case_id))
    assert (row.state, row.lock_owner, row.retries) == ("ready", None, 1) and "count" in row.error_message
