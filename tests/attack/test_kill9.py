"""kill -9 under load, with real processes on the test database: an API server mid-completion, a worker
mid-task, the scheduler mid-firing. Afterwards every case is consistent (its state loads, its open task
rows are exactly the workflow's waiting tasks, no task completed twice), no e-licence is issued twice and
no escalation is lost or written twice."""
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import date, timedelta

import requests
from sqlalchemy import func, select, update

from engine.deadlines.clock import SystemClock
from engine.store.db import make_engine, make_session_factory
from engine.store.models import Case, CaseEvent, Definition, ELicence, Escalation, Task
from engine.work.runtime import load_workflow, waiting_tasks
from engine.states import OPEN_TASK_STATES
from tests.api.helpers import ROOT, sample_form
from tests.engine.helpers import clear_scheduler_jobs, engine_context, open_tasks, run_service_tasks, start_accepted_case
from tests.workers.conftest import STAMP_BPMN, STAMP_TOPIC, STAMP_WORKER, add_worker_account, wait_for
from workers.department_server import DepartmentServer

ON_PG = bool(os.environ.get("TEST_DATABASE_URL"))
REGION = "gx-qinzhou-qinbei"
ITEMS = ["birth_certificate", "vaccination_certificate", "hukou_registration", "social_security_card",
         "maternity_reimbursement", "medical_insurance", "parenting_guidance"]
ADMIN = ("admin", "demo")


# ---- real processes -------------------------------------------------------------------------------

def bearer(url: str, username: str) -> dict:
    response = requests.post(f"{url}/api/v1/auth/token", json={"username": username, "password": "demo"},
                             timeout=30)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def kill9(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(10)


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            kill9(process)


# ---- the consistency every kill must leave ----------------------------------------------------------

def assert_consistent(database_url: str) -> dict:
    """Every case's state loads; open task rows == the workflow's waiting tasks; each task completed at
    most once; one e-licence per case and kind; row versions count every committed completion."""
    engine = make_engine(database_url)
    with make_session_factory(engine)() as session:
        cases = session.scalars(select(Case)).all()
        definitions = {d.id: d for d in session.scalars(select(Definition))}
        completions = Counter(session.scalars(select(CaseEvent.task_id).where(CaseEvent.kind == "task_completed")))
        assert not [t for t, n in completions.items() if n > 1], "a task was completed twice"
        per_case = Counter(session.scalars(select(CaseEvent.case_id).where(CaseEvent.kind == "task_completed")))
        for case in cases:
            workflow = load_workflow(case, definitions[case.definition_id])
            waiting = set(waiting_tasks(workflow))
            rows = set(session.scalars(select(Task.id).where(Task.case_id == case.id,
                                                              Task.state.in_(OPEN_TASK_STATES))))
            assert rows == waiting, (case.id, case.status, rows ^ waiting)
            assert case.row_version >= 1 + per_case[case.id], (case.id, case.row_version, per_case[case.id])
        licences = session.execute(select(ELicence.case_id, ELicence.kind, func.count())
                                   .group_by(ELicence.case_id, ELicence.kind)).all()
        assert all(n == 1 for _, _, n in licences), "an e-licence was issued twice"
        numbers = session.scalars(select(ELicence.number)).all()
        assert len(numbers) == len(set(numbers)), "two e-licences share a number"
    engine.dispose()
    return {"cases": len(cases), "completions": sum(completions.values()), "licences": len(numbers)}


# ---- a. the API server, mid-completion ---------------------------------------------------------------

def _qinbei_form() -> dict:
    form = sample_form(REGION)  # the form accepts births within a month of the real date the server sees
    form["newborn"]["birth_time"] = f"{(date.today() - timedelta(days=2)).isoformat()}T08:30:00"
    return form


def _create_cases(url: str, count: int) -> list[str]:
    family, form, ids, lock = bearer(url, f"{REGION}.family"), _qinbei_form(), [], threading.Lock()

    def run(n):
        session = requests.Session()
        for _ in range(n):
            response = session.post(f"{url}/api/v1/cases", headers=family, timeout=60,
                                    json={"region": REGION, "items": ITEMS, "form": form})
            assert response.status_code == 201, response.text
            with lock:
                ids.append(response.json()["id"])
    _in_threads(4, lambda i: run(count // 4 + (i < count % 4)))
    return ids


def _in_threads(n: int, fn) -> None:
    errors = []

    def guarded(i):
        try:
            fn(i)
        except BaseException as exc:  # re-raised in the test thread below
            errors.append(exc)
    threads = [threading.Thread(target=guarded, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    if errors:
        raise errors[0]


def _review_tasks(url: str) -> tuple[list[str], str]:
    admin = bearer(url, "admin")
    body = requests.get(f"{url}/api/v1/tasks", headers=admin, timeout=30,
                        params={"region": REGION, "claimable": "true", "per_page": 500}).json()
    reviews = [t for t in body["items"] if t["form_key"] == "acceptance_review"]
    return [t["id"] for t in reviews], reviews[0]["candidate_groups"][0]


def _complete_under_load(url: str, clerk: dict, task_ids: list[str], server, kill_after: int) -> int:
    """Clerks claim and complete from 6 threads; the server is killed once ``kill_after`` have completed."""
    done, lock, killed = [0], threading.Lock(), threading.Event()

    def run(i):
        session = requests.Session()
        for task_id in task_ids[i::6]:
            try:
                session.post(f"{url}/api/v1/tasks/{task_id}/claim", headers=clerk, timeout=30)
                response = session.post(f"{url}/api/v1/tasks/{task_id}/complete", headers=clerk, timeout=30,
                                        json={"data": {"decision": "accept"}})
            except requests.RequestException:
                assert killed.is_set(), "the server failed before it was killed"
                return
            with lock:
                done[0] += response.status_code == 200
                if done[0] >= kill_after and not killed.is_set():
                    killed.set()
                    server.kill9()  # while the other threads' requests are in flight
    _in_threads(6, run)
    assert killed.is_set(), "the kill came too late"
    return done[0]


def _finish_reviews(url: str, clerk: dict, task_ids: list[str]) -> None:
    session = requests.Session()
    for task_id in task_ids:
        task = session.get(f"{url}/api/v1/tasks/{task_id}", headers=clerk, timeout=30).json()
        if task["state"] == "completed":
            continue
        if task["state"] == "ready":
            response = session.post(f"{url}/api/v1/tasks/{task_id}/claim", headers=clerk, timeout=30)
            assert response.status_code == 200, response.text
        response = session.post(f"{url}/api/v1/tasks/{task_id}/complete", headers=clerk, timeout=30,
                                json={"data": {"decision": "accept"}})
        assert response.status_code == 200, response.text


def test_api_server_killed_mid_completion_loses_and_doubles_nothing(app, clean_db, api_server):
    count, server = (40 if ON_PG else 24), api_server
    case_ids = _create_cases(server.url, count)
    task_ids, group = _review_tasks(server.url)
    assert len(task_ids) == count
    clerk = bearer(server.url, f"{REGION}.{group}")
    before_kill = _complete_under_load(server.url, clerk, task_ids, server, kill_after=count // 3)
    assert before_kill < count

    server.start()  # the same database, a new process
    clerk = bearer(server.url, f"{REGION}.{group}")
    _finish_reviews(server.url, clerk, task_ids)
    server.stop()
    summary = assert_consistent(clean_db)
    assert summary["cases"] == count
    engine = make_engine(clean_db)
    with engine.connect() as conn:
        reviews = Counter(conn.execute(select(Task.state).where(Task.id.in_(task_ids))).scalars())
        statuses = Counter(conn.execute(select(Case.status).where(Case.id.in_(case_ids))).scalars())
        events = conn.execute(select(CaseEvent.task_id).where(CaseEvent.kind == "task_completed",
                                                              CaseEvent.task_id.in_(task_ids))).scalars().all()
    engine.dispose()
    assert reviews == {"completed": count}
    assert sorted(events) == sorted(task_ids)  # each review completed exactly once, none lost
    assert statuses == {"in_progress": count}


# ---- b. a worker, mid-task ---------------------------------------------------------------------------

def _spawn_worker(url: str, department_url: str, worker_id: str, pause_ms: int = 0, max_tasks: int = 5):
    command = [sys.executable, "-m", "workers", "--url", url, "--user", STAMP_WORKER[0], "--password",
               STAMP_WORKER[1], "--topics", STAMP_TOPIC, "--adapter", "http", "--department-url",
               department_url, "--max-tasks", str(max_tasks), "--lock-ms", "2000", "--wait-ms", "300",
               "--worker-id", worker_id]
    env = {**os.environ, "LOG_LEVEL": "WARNING", "WORKER_PAUSE_AFTER_CALL_MS": str(pause_ms)}
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _start_stamps(url: str, count: int) -> list[str]:
    response = requests.post(f"{url}/engine-rest/deployment/create", auth=ADMIN, timeout=30,
                             data={"deployment-name": "stamp", "deployment-source": "kill9"},
                             files={"stamp.bpmn": ("stamp.bpmn", STAMP_BPMN.read_bytes(), "text/xml")})
    assert response.status_code == 200, response.text
    ids, lock = [], threading.Lock()

    def run(i):
        session = requests.Session()
        for n in range(i, count, 4):
            r = session.post(f"{url}/engine-rest/process-definition/key/dept_stamp/start", auth=ADMIN, timeout=30,
                             json={"businessKey": f"kill9-{n}", "variables": {}})
            assert r.status_code == 200, r.text
            with lock:
                ids.append(r.json()["id"])
    _in_threads(4, run)
    return ids


def _stamp_rows(database_url: str, *columns):
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            return conn.execute(select(*columns).where(Task.topic == STAMP_TOPIC)).all()
    finally:
        engine.dispose()


def test_workers_killed_mid_task_another_finishes_one_number_per_key(app, clean_db, api_server, tmp_path):
    count, server = (100 if ON_PG else 40), api_server
    add_worker_account(app, STAMP_WORKER[0], [STAMP_TOPIC])
    department = DepartmentServer(("127.0.0.1", 0), str(tmp_path / "department.db")).start()
    doomed, steady = [], None
    try:
        case_ids = _start_stamps(server.url, count)
        # two workers pause 30 s between the department's answer and the complete: killed in that window
        doomed = [_spawn_worker(server.url, department.url, f"doomed-{n}", pause_ms=30_000, max_tasks=3)
                  for n in range(2)]
        steady = _spawn_worker(server.url, department.url, "steady")

        interrupted = set()  # cases whose department call a doomed worker made but did not report

        def doomed_called() -> bool:
            held = {(owner, case) for owner, case, state in _stamp_rows(clean_db, Task.lock_owner, Task.case_id,
                                                                         Task.state)
                    if state == "locked" and owner and owner.startswith("doomed")}
            called = department.ledger.calls()
            interrupted.clear()
            interrupted.update(c for _, c in held if f"{c}:stamp" in called)
            return {o for o, c in held if f"{c}:stamp" in called} == {"doomed-0", "doomed-1"}
        wait_for(doomed_called, 30, "both doomed workers to have called the department")
        for process in doomed:
            kill9(process)
        completed = sum(state == "completed" for (state,) in _stamp_rows(clean_db, Task.state))
        assert completed < count, "the kill came after the work was done"
        wait_for(lambda: all(s == "completed" for (s,) in _stamp_rows(clean_db, Task.state)), 50,
                 "the steady worker to finish every task after the dead workers' locks lapsed")
    finally:
        for process in doomed + ([steady] if steady else []):
            stop(process)
        department.stop()

    tasks = _stamp_rows(clean_db, Task.case_id, Task.completed_by, Task.attempts)
    assert sorted(c for c, _, _ in tasks) == sorted(case_ids)
    assert {by for _, by, _ in tasks} == {"steady"}
    assert len(interrupted) >= 2
    assert all(attempts >= 2 for c, _, attempts in tasks if c in interrupted)  # taken over after the lapse
    with sqlite3.connect(tmp_path / "department.db") as conn:
        calls = {key: n for key, n in conn.execute("SELECT key, count FROM calls")}
        issued = conn.execute("SELECT sum(last) FROM numbers").fetchone()[0]
    assert set(calls) == {f"{c}:stamp" for c in case_ids}
    assert all(calls[f"{c}:stamp"] >= 2 for c in interrupted)  # called again with the same key ...
    assert issued == count  # ... and no key was given a second number
    summary = assert_consistent(clean_db)
    assert summary["licences"] == count


# ---- c. the scheduler, mid-firing --------------------------------------------------------------------

KEEP = {"social_security_card_issue", "vaccination_certificate_issue"}


def _prepare_escalations(database_url: str, clock, cases: int, first_due: float, spread: float):
    """Cases long past their promise (4 levels due at once) with two open tasks each whose overdue
    moments fall over the next seconds of real time (their warnings are due at once)."""
    clear_scheduler_jobs(database_url)
    ctx = engine_context(database_url, clock)
    case_ids, task_ids = [], []
    for _ in range(cases):
        case = start_accepted_case(ctx)
        run_service_tasks(ctx, case.id, keep_open=KEEP)
        case_ids.append(case.id)
        task_ids += sorted(t.id for t in open_tasks(ctx, case.id) if t.bpmn_id in KEEP)
    now = SystemClock().now()
    for n, task_id in enumerate(task_ids):
        due = now + timedelta(seconds=first_due + spread * n / len(task_ids))
        ctx.session.execute(update(Task).where(Task.id == task_id).values(due_at=due))
    ctx.session.commit()
    expected = {(f"task:{t}", level) for t in task_ids for level in ("warning", "overdue")}
    expected |= {(f"case:{c}", level) for c in case_ids for level in ("warning", "overdue", "level1", "level2")}
    return ctx, expected


def _spawn_scheduler(database_url: str):
    return subprocess.Popen([sys.executable, "-m", "engine", "scheduler", "--database-url", database_url,
                             "--reconcile-seconds", "1"], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})


def _escalations(ctx) -> Counter:
    ctx.session.rollback()
    return Counter((r.subject, r.level) for r in ctx.session.scalars(select(Escalation)))


def test_scheduler_killed_mid_firing_writes_every_escalation_once(clean_db, clock):
    cases = 10 if ON_PG else 12
    ctx, expected = _prepare_escalations(clean_db, clock, cases, first_due=10, spread=8)
    overdue = {key for key in expected if key[0].startswith("task:") and key[1] == "overdue"}
    process = _spawn_scheduler(clean_db)
    try:
        assert process.stdout.readline().strip() == "scheduler active"
        wait_for(lambda: len(_escalations(ctx)) >= 5, 20, "the first firings")
        kill9(process)                                  # during the burst of everything already due
        burst = len(_escalations(ctx))
        process = _spawn_scheduler(clean_db)
        assert process.stdout.readline().strip() == "scheduler active"
        wait_for(lambda: 0 < len(overdue & set(_escalations(ctx))) < len(overdue) // 2, 25,
                 "some of the staggered overdue firings")
        kill9(process)                                  # between the staggered firings
        time.sleep(3)                                   # more come due while nothing runs
        process = _spawn_scheduler(clean_db)
        wait_for(lambda: set(_escalations(ctx)) >= expected, 30, "every escalation after the restarts")
        time.sleep(1.5)                                 # a reconcile round: nothing is written again
    finally:
        stop(process)
    rows = _escalations(ctx)
    assert burst < len(expected)
    assert set(rows) == expected and set(rows.values()) == {1}
    ctx.session.close()
