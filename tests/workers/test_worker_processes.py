"""Worker processes (``python -m workers``) against a real server and a real department over HTTP."""
import os
import signal
import subprocess
import sys
from collections import Counter

import requests
from sqlalchemy import select

from engine.store.models import CaseEvent, ELicence, Task
from workers.department_server import DepartmentServer
from tests.workers.conftest import ROOT, STAMP_TOPIC, STAMP_WORKER, rows, start_stamps, wait_for

# 200 as the acceptance says on PostgreSQL; fewer on the SQLite file, to keep the suite fast
MANY = 200 if os.environ.get("TEST_DATABASE_URL") else 40


def spawn_worker(live, department, worker_id, lock_ms=60_000, env=None, concurrency=1):
    command = [sys.executable, "-m", "workers", "--url", live.url, "--user", STAMP_WORKER[0],
               "--password", STAMP_WORKER[1], "--topics", STAMP_TOPIC, "--adapter", "http",
               "--department-url", department.url, "--max-tasks", "5", "--lock-ms", str(lock_ms),
               "--wait-ms", "300", "--worker-id", worker_id, "--concurrency", str(concurrency)]
    return subprocess.Popen(command, cwd=ROOT, env={**os.environ, "LOG_LEVEL": "WARNING", **(env or {})},
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def stop(process) -> int:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        return process.wait(15)
    finally:
        if process.poll() is None:
            process.kill()


def test_two_worker_processes_complete_every_task_once(app, live, stamp, department):
    case_ids = start_stamps(live, MANY)
    workers = [spawn_worker(live, department, "worker-a"), spawn_worker(live, department, "worker-b")]
    try:
        done = select(Task).where(Task.topic == STAMP_TOPIC, Task.state == "completed")
        wait_for(lambda: len(rows(app, done)) == MANY, timeout=90, what=f"{MANY} completed tasks")
    finally:
        codes = [stop(w) for w in workers]
    assert codes == [0, 0], [w.stdout.read() for w in workers]  # SIGTERM: a graceful stop

    tasks = rows(app, select(Task).where(Task.topic == STAMP_TOPIC))
    assert len(tasks) == MANY and {t.case_id for t in tasks} == set(case_ids)
    by_worker = Counter(t.completed_by for t in tasks)
    assert set(by_worker) == {"worker-a", "worker-b"} and sum(by_worker.values()) == MANY
    completions = Counter(e.task_id for e in rows(app, select(CaseEvent).where(CaseEvent.kind == "task_completed")))
    assert len(completions) == MANY and set(completions.values()) == {1}
    calls = department.ledger.calls()
    assert len(calls) == MANY and {c["count"] for c in calls.values()} == {1}  # no task worked twice
    numbers = {lic.number for lic in rows(app, select(ELicence))}
    assert len(numbers) == MANY


def test_a_worker_process_works_up_to_its_concurrency_of_tasks_at_once(app, live, stamp, tmp_path):
    """A department takes time to answer: a worker with ``--concurrency 3`` has three of its calls out at
    once, never more, and each task is still worked and completed once."""
    department = DepartmentServer(("127.0.0.1", 0), str(tmp_path / "slow.db"), latency_ms=150).start()
    try:
        start_stamps(live, 12)
        worker = spawn_worker(live, department, "worker-c", concurrency=3)
        try:
            done = select(Task).where(Task.topic == STAMP_TOPIC, Task.state == "completed")
            wait_for(lambda: len(rows(app, done)) == 12, timeout=60, what="12 completed tasks")
        finally:
            code = stop(worker)
        assert code == 0, worker.stdout.read()
        assert department.most_in_flight == 3
        calls = department.ledger.calls()
        assert len(calls) == 12 and {c["count"] for c in calls.values()} == {1}
        completions = Counter(e.task_id for e in rows(app, select(CaseEvent).where(CaseEvent.kind == "task_completed")))
        assert len(completions) == 12 and set(completions.values()) == {1}
    finally:
        department.stop()


def test_killed_worker_after_department_call_issues_one_certificate(app, live, stamp, department, clock):
    [case_id] = start_stamps(live, 1)
    key = f"{case_id}:stamp"
    doomed = spawn_worker(live, department, "doomed", lock_ms=30_000,
                          env={"WORKER_PAUSE_AFTER_CALL_MS": "60000"})
    try:
        wait_for(lambda: department.ledger.calls(key).get(key, {}).get("count") == 1, timeout=30,
                 what="the department call")
        doomed.send_signal(signal.SIGKILL)
        doomed.wait(10)
    finally:
        if doomed.poll() is None:
            doomed.kill()
    [task] = rows(app, select(Task).where(Task.case_id == case_id))
    assert task.state == "locked" and task.lock_owner == "doomed"

    clock.advance(seconds=31)  # the dead worker's lock lapses
    rescuer = spawn_worker(live, department, "rescuer")
    try:
        wait_for(lambda: rows(app, select(Task.state).where(Task.case_id == case_id)) == ["completed"],
                 timeout=30, what="the rescue")
    finally:
        assert stop(rescuer) == 0
    [task] = rows(app, select(Task).where(Task.case_id == case_id))
    assert task.completed_by == "rescuer" and task.attempts == 2
    ledger = department.ledger.calls(key)[key]
    assert ledger["count"] == 2  # two calls, one idempotency key
    [licence] = rows(app, select(ELicence).where(ELicence.case_id == case_id))
    assert licence.number == ledger["answer"]["elicence"]["number"]
    assert len({a["answer"]["elicence"]["number"] for a in department.ledger.calls().values()}) == 1
    case = requests.get(f"{live.url}/engine-rest/external-task?processInstanceId={case_id}",
                        auth=STAMP_WORKER, timeout=10)
    assert case.status_code == 200 and case.json() == []  # nothing left open
