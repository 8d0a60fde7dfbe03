"""Retries with back-off, incidents a supervisor lists and retries, stale locks, topic scoping."""
from datetime import timedelta

import requests
from sqlalchemy import select

from engine import retry_plan, RetryPlan
from engine.store.models import Case, CaseEvent, Task
from tests.api.helpers import worker_for
from tests.workers.conftest import ADMIN, STAMP_TOPIC, STAMP_WORKER, bearer, fetch, rows, start_stamps
from workers.adapters.http import HttpDepartment
from workers.client import EngineRestClient
from workers.inprocess import InProcessWorker
from workers.process import ExternalWorker

SUPERVISOR = ("gx-qinzhou-qinbei.supervisor", "demo")


def _worker(live, department, worker_id="retrier"):
    client = EngineRestClient(live.url, *STAMP_WORKER)
    return ExternalWorker(client, {"stamp.issue": HttpDepartment(department.url, timeout=5)}, worker_id,
                          lock_ms=30_000, wait_ms=0)


def _work_once(worker) -> int:
    tasks = worker.client.fetch_and_lock(worker.worker_id, list(worker.adapters), 1, worker.lock_ms, 0)
    for task in tasks:
        worker.handle(task)
    return len(tasks)


def test_three_failures_then_success_after_backoff(app, live, stamp, department, clock):
    department.fail_first = 3
    [case_id] = start_stamps(live, 1)
    worker, waits = _worker(live, department), []
    for _ in range(3):
        assert _work_once(worker) == 1
        [task] = rows(app, select(Task).where(Task.case_id == case_id))
        assert task.state == "ready"
        waits.append(task.retry_at - clock.now())
        assert _work_once(worker) == 0  # backing off: not fetched before retry_at
        clock.advance(seconds=waits[-1].total_seconds())
    assert waits == [timedelta(seconds=1), timedelta(seconds=2), timedelta(seconds=4)]
    assert _work_once(worker) == 1
    [task] = rows(app, select(Task).where(Task.case_id == case_id))
    assert task.state == "completed" and task.attempts == 4
    assert rows(app, select(Case.status).where(Case.id == case_id)) == ["completed"]


def test_the_in_process_worker_backs_off_by_the_same_policy(app, live, stamp, department, clock):
    """The embedded worker reads the same BPMN properties (retries 3, retryBackoffSeconds 1) and waits
    1, 2, then 4 seconds, as the worker process does; then the fourth attempt completes."""
    department.fail_first = 3
    [case_id] = start_stamps(live, 1)
    embedded = worker_for(app)
    worker = InProcessWorker(embedded.session_factory, HttpDepartment(department.url, timeout=5), clock,
                             embedded.calendar, topics=[STAMP_TOPIC])
    waits = []
    for _ in range(3):
        assert worker.run_once() == 1
        [task] = rows(app, select(Task).where(Task.case_id == case_id))
        assert task.state == "ready"
        waits.append(task.retry_at - clock.now())
        assert worker.run_once() == 0  # backing off: not fetched before retry_at
        clock.advance(seconds=waits[-1].total_seconds())
    assert waits == [timedelta(seconds=1), timedelta(seconds=2), timedelta(seconds=4)]
    assert worker.run_once() == 1
    [task] = rows(app, select(Task).where(Task.case_id == case_id))
    assert task.state == "completed" and task.attempts == 4


def test_retry_plan_counts_retries_after_the_first_failure_and_doubles_the_wait():
    props = {"retries": "3", "retryBackoffSeconds": "10"}
    assert retry_plan(props, None) == RetryPlan(3, 10_000)        # first failure: 3 retries to come
    assert retry_plan(props, 3) == RetryPlan(2, 20_000)
    assert retry_plan(props, 2) == RetryPlan(1, 40_000)
    assert retry_plan(props, 1) == RetryPlan(0, 80_000)           # none left: an incident
    assert retry_plan({}, None) == RetryPlan(3, 10_000)           # bpmn/README.md defaults
    assert retry_plan({"retryBackoffSeconds": "3600"}, 1).backoff_ms == 3_600_000  # at most an hour


def test_always_failing_becomes_incident_and_supervisor_retry_completes(app, live, stamp, department, clock):
    department.failing_topics = {"stamp.issue"}
    [case_id] = start_stamps(live, 1)
    worker = _worker(live, department)
    for _ in range(4):
        assert _work_once(worker) == 1
        clock.advance(seconds=60)
    assert _work_once(worker) == 0
    [task] = rows(app, select(Task).where(Task.case_id == case_id))
    assert task.state == "incident" and task.attempts == 4

    supervisor = bearer(live, SUPERVISOR)
    listed = requests.get(f"{live.url}/api/v1/supervision/incidents", headers=supervisor, timeout=10)
    assert listed.status_code == 200
    [incident] = listed.json()["items"]
    assert incident["case_id"] == case_id and incident["attempts"] == 4 and "503" in incident["error"]
    other = bearer(live, ("he-province.supervisor", "demo"))
    assert requests.get(f"{live.url}/api/v1/supervision/incidents", headers=other, timeout=10).json()["items"] == []
    assert requests.post(f"{live.url}/api/v1/supervision/incidents/{incident['id']}/retry", headers=other,
                         json={}, timeout=10).status_code == 404

    department.failing_topics = set()
    retried = requests.post(f"{live.url}/api/v1/supervision/incidents/{incident['id']}/retry",
                            headers=supervisor, json={}, timeout=10)
    assert retried.status_code == 200 and retried.json()["resolved_at"]
    again = requests.post(f"{live.url}/api/v1/supervision/incidents/{incident['id']}/retry",
                          headers=supervisor, json={}, timeout=10)
    assert again.status_code == 409
    assert _work_once(worker) == 1
    assert rows(app, select(Case.status).where(Case.id == case_id)) == ["completed"]
    assert requests.get(f"{live.url}/api/v1/supervision/incidents", headers=supervisor,
                        timeout=10).json()["items"] == []


def test_stale_lock_completion_is_refused_and_changes_nothing(app, live, stamp, clock):
    [case_id] = start_stamps(live, 1)
    [first] = fetch(live, STAMP_WORKER, "slow", lock_ms=1000).json()
    clock.advance(seconds=2)
    [second] = fetch(live, STAMP_WORKER, "fast").json()
    assert second["id"] == first["id"] and second["workerId"] == "fast"
    events_before = rows(app, select(CaseEvent.id).where(CaseEvent.case_id == case_id))
    version_before = rows(app, select(Case.row_version).where(Case.id == case_id))

    stale = requests.post(f"{live.url}/engine-rest/external-task/{first['id']}/complete", auth=STAMP_WORKER,
                          json={"workerId": "slow", "variables": {"x": {"value": 1, "type": "Integer"}}}, timeout=10)
    assert stale.status_code == 409 and stale.json()["type"] == "RestException"
    [task] = rows(app, select(Task).where(Task.case_id == case_id))
    assert task.state == "locked" and task.lock_owner == "fast"
    assert rows(app, select(CaseEvent.id).where(CaseEvent.case_id == case_id)) == events_before
    assert rows(app, select(Case.row_version).where(Case.id == case_id)) == version_before

    done = requests.post(f"{live.url}/engine-rest/external-task/{first['id']}/complete", auth=STAMP_WORKER,
                         json={"workerId": "fast", "variables": {
                             "elicence": {"type": "Json", "value": '{"kind": "birth_certificate", "number": "Q1"}'},
                             "checked": {"value": True, "type": "Boolean"}, "note": {"value": None, "type": "Null"}}},
                         timeout=10)
    assert done.status_code == 204 and done.content == b""


def test_topic_scope_errors_and_lock_operations(app, live, stamp, clock):
    [case_id] = start_stamps(live, 1)
    demo_worker = ("worker", "demo")  # serves every region topic, not the test topic
    refused = fetch(live, demo_worker, "w")
    assert refused.status_code == 403 and refused.json()["type"] == "AuthorizationException"
    assert fetch(live, ("gx-qinzhou-qinbei.family", "demo"), "w").status_code == 403
    assert fetch(live, None, "w").status_code == 401
    missing = requests.post(f"{live.url}/engine-rest/external-task/fetchAndLock", auth=STAMP_WORKER,
                            json={"workerId": "w", "topics": [{"topicName": "stamp.issue"}]}, timeout=10)
    assert missing.status_code == 400 and missing.json()["type"] == "InvalidRequestException"
    unknown = requests.post(f"{live.url}/engine-rest/external-task/nope/complete", auth=STAMP_WORKER,
                            json={"workerId": "w"}, timeout=10)
    assert unknown.status_code == 404 and unknown.json()["type"] == "InvalidRequestException"

    [task] = fetch(live, STAMP_WORKER, "w", lock_ms=1000).json()
    base = f"{live.url}/engine-rest/external-task/{task['id']}"
    assert requests.post(f"{base}/extendLock", auth=STAMP_WORKER, json={"workerId": "other", "newDuration": 5000},
                         timeout=10).status_code == 409
    assert requests.post(f"{base}/extendLock", auth=STAMP_WORKER, json={"workerId": "w", "newDuration": 60_000},
                         timeout=10).status_code == 204
    listed = requests.get(f"{live.url}/engine-rest/external-task?topicName=stamp.issue&locked=true",
                          auth=STAMP_WORKER, timeout=10).json()
    assert [t["id"] for t in listed] == [task["id"]]
    assert listed[0]["lockExpirationTime"] == (clock.now() + timedelta(seconds=60)).strftime(
        "%Y-%m-%dT%H:%M:%S.000+0800")
    assert requests.post(f"{base}/unlock", auth=STAMP_WORKER, timeout=10).status_code == 204
    single = requests.get(base, auth=STAMP_WORKER, timeout=10).json()
    assert single["workerId"] is None and single["processInstanceId"] == case_id
    # long polling: an empty topic answers [] after the wait, bounded
    assert fetch(live, STAMP_WORKER, "w2", asyncResponseTimeout=300).json()[0]["id"] == task["id"]
    empty = fetch(live, STAMP_WORKER, "w3", asyncResponseTimeout=300)
    assert empty.status_code == 200 and empty.json() == []
    failed = requests.post(f"{base}/failure", auth=STAMP_WORKER, timeout=10, json={
        "workerId": "w2", "errorMessage": "down", "retries": 0, "retryTimeout": 0})
    assert failed.status_code == 204
    assert requests.get(base, auth=ADMIN, timeout=10).json()["retries"] == 0
