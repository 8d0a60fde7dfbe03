"""50 clerks race over HTTP (one test client per thread) to claim and complete 1,000 user tasks:
every task is completed exactly once, no case loses an update, every losing claim gets 409."""
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

from sqlalchemy import func, select

from api.auth import issue_token
from api.extensions import db
from engine.work import cases
from engine import definitions
from engine.context import EngineContext
from engine.store.models import AuditEntry, Case, CaseEvent, Task, User
from engine.states import CaseStatus, TaskState

BPMN = Path(__file__).resolve().parents[1] / "data/bpmn/race_parallel_10.bpmn"
CLERKS, CASES, TASKS_PER_CASE, CONTENDERS = 50, 100, 10, 3
SERVER_THREADS = 10  # requests in flight at once, as a threaded server's pool would allow


def _setup(app):
    with app.app_context():
        ctx = EngineContext(session=db.session, clock=app.extensions["newborn"].clock)
        definition, _ = definitions.deploy(db.session, BPMN.read_bytes(), ctx.now(), filename=BPMN.name)
        db.session.commit()
        for n in range(CASES):
            cases.start_case(ctx, "test-race", [], {}, {}, definition=definition)
        clerks = [User(username=f"race.clerk{n}", password_hash="!", role="clerk", region="test-race",
                       groups=["health"]) for n in range(CLERKS)]
        db.session.add_all(clerks)
        db.session.commit()
        tokens = [issue_token(c) for c in clerks]
        task_ids = db.session.scalars(select(Task.id).order_by(Task.created_at, Task.id)).all()
    return tokens, task_ids


def test_fifty_clerks_race_for_a_thousand_tasks(app):
    tokens, task_ids = _setup(app)
    assert len(task_ids) == CASES * TASKS_PER_CASE == 1000
    work = [t for t in task_ids for _ in range(CONTENDERS)]  # each task offered to three clerks at once
    lock, claims, completions, errors = threading.Lock(), defaultdict(list), Counter(), []
    server = threading.BoundedSemaphore(SERVER_THREADS)

    def post(client, url, headers, **kw):
        with server:
            return client.post(url, headers=headers, **kw)

    def clerk(token):
        client, headers = app.test_client(), {"Authorization": f"Bearer {token}"}
        while True:
            with lock:
                if not work:
                    return
                task_id = work.pop()
            status = post(client, f"/api/v1/tasks/{task_id}/claim", headers).status_code
            with lock:
                claims[task_id].append(status)
            if status == 200:
                _complete(client, headers, task_id)

    def _complete(client, headers, task_id):
        for attempt in range(200):  # a 409 here is another completion on the same case: try again
            response = post(client, f"/api/v1/tasks/{task_id}/complete", headers, json={"data": {}})
            if response.status_code == 200:
                with lock:
                    completions[task_id] += 1
                return
            if response.status_code != 409:
                errors.append((task_id, response.status_code, response.get_json()))
                return
            time.sleep(0.005 * (attempt % 5))
        errors.append((task_id, "gave up"))

    started = time.monotonic()
    threads = [threading.Thread(target=clerk, args=(t,)) for t in tokens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    print(f"\n1000 tasks, {CLERKS} clerks, {CONTENDERS} claims each: {elapsed:.1f}s")

    assert not errors, errors[:5]
    assert set(claims) == set(task_ids)
    for task_id, statuses in claims.items():
        assert sorted(statuses) == [200] + [409] * (CONTENDERS - 1), (task_id, statuses)
    assert set(completions.values()) == {1} and len(completions) == 1000
    with app.app_context():
        states = Counter(db.session.scalars(select(Task.state)).all())
        assert states == {TaskState.COMPLETED.value: 1000}
        finished = db.session.scalars(select(Case.status)).all()
        assert finished == [CaseStatus.COMPLETED.value] * CASES
        per_case = db.session.execute(select(CaseEvent.case_id, func.count()).where(
            CaseEvent.kind == "task_completed").group_by(CaseEvent.case_id)).all()
        assert sorted(n for _, n in per_case) == [TASKS_PER_CASE] * CASES  # no update lost
        audited = db.session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "task_completed"))
        assert audited == 1000
