"""One scope rule for every read (engine/scope.py): a hospital's clerk sees its own hospital's cases only,
a worker bound to regions serves those regions only."""
from sqlalchemy import event, select

from api.auth import hash_password
from api.extensions import db
from engine.context import EngineContext
from engine.simulation.departments import SimulatedDepartment
from engine.store.db import make_session_factory
from engine.store.models import Case, Task
from engine.store.models import User as UserRow
from tests.api.helpers import User, open_user_tasks, sample_form, work_user_task
from tests.engine.helpers import run_service_tasks
from workers.client import typed_variables

REGION, SICHUAN = "gx-qinzhou-qinbei", "sc-province"
H1, H2 = "钦北区妇幼保健院", "钦北区人民医院"


def _add_user(app, username, role, **columns):
    with app.app_context():
        db.session.add(UserRow(username=username, password_hash=hash_password("demo"), role=role, **columns))
        db.session.commit()


def _submit(client, region, institution=None):
    form = sample_form(region)
    if institution:
        form["birth"]["institution"] = institution
    created = User(client, f"{region}.family").post("/api/v1/cases", json={
        "region": region, "items": ["birth_certificate", "hukou_registration"], "form": form})
    assert created.status_code == 201, created.get_json()
    return created.get_json()["id"]


def _accept(client, region, case_id):
    """The window accepts the case (受理): its notice is issued and the departments' tasks open."""
    [review] = open_user_tasks(User(client, f"{region}.supervisor"), case_id)
    clerk = User(client, f"{region}.{review['candidate_groups'][0]}")
    work_user_task(clerk, review["id"], {"decision": "accept"})


def _departments_work(app, case_id):
    state = app.extensions["newborn"]
    with app.app_context():
        session = make_session_factory(db.engine)()
        run_service_tasks(EngineContext(session, state.clock, state.calendar), case_id)
        session.close()


def _listed(user) -> set[str]:
    response = user.get("/api/v1/cases", query_string={"per_page": 100})
    assert response.status_code == 200
    return {c["id"] for c in response.get_json()["items"]}


def test_a_hospital_clerk_never_reads_another_hospitals_case(app, client):
    """Seed 002 (钦北): 在具有《出生医学证明》签发资质的助产机构开设新生儿出生“一件事”综合窗口,
    实行“一窗受理、集成服务” — each hospital's window serves the births of its own hospital: H1's
    window gets 404 for H2's case, its list entry, archive and notices, as for H2's tasks; H2's sees it."""
    for name, institution in (("h1.health", H1), ("h2.health", H2)):
        _add_user(app, name, "clerk", region=REGION, groups=["health"], institution=institution)
    theirs, ours = _submit(client, REGION, H2), _submit(client, REGION, H1)
    h1, h2 = User(client, "h1.health"), User(client, "h2.health")
    _accept(client, REGION, theirs)
    _departments_work(app, theirs)   # finished: its archive can be exported
    with app.app_context():
        assert (db.session.get(Case, theirs).institution, db.session.get(Case, theirs).status) == (H2, "completed")
    notice = User(client, f"{REGION}.family").get(f"/api/v1/cases/{theirs}").get_json()["notices"][0]
    for url in (f"/api/v1/cases/{theirs}", f"/api/v1/cases/{theirs}/archive", notice["html"], notice["pdf"]):
        assert h1.get(url).status_code == 404, url
        assert h2.get(url).status_code == 200, url
    assert theirs not in _listed(h1) and ours in _listed(h1)
    assert theirs in _listed(h2) and ours not in _listed(h2)
    # the tasks follow the same rule
    h1_tasks = h1.get("/api/v1/tasks", query_string={"state": "all", "per_page": 100}).get_json()["items"]
    assert theirs not in {t["case_id"] for t in h1_tasks}
    # a clerk with no institution (the region's police window) reads both
    police = User(client, f"{REGION}.police")
    assert police.get(f"/api/v1/cases/{theirs}").status_code == 200 and {theirs, ours} <= _listed(police)


def _topics(app) -> list[str]:
    with app.app_context():
        return db.session.scalars(select(UserRow.groups).where(UserRow.username == "worker")).one()


def _fetch(worker, topics) -> list[dict]:
    response = worker.post("/engine-rest/external-task/fetchAndLock", json={
        "workerId": worker.username, "maxTasks": 50,
        "topics": [{"topicName": t, "lockDuration": 60_000} for t in topics]})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_a_worker_bound_to_qinbei_never_serves_sichuan_tasks(app, client):
    """Seed 003 (四川省): 与卫生健康、公安、医保、人社部门业务信息系统对接，将申请信息分发至相关部门业务系统 —
    each province's applications go to its own departments' systems. A department worker account bound
    to 钦北 (``users.regions``) fetches, lists, reads, completes, fails and extends only 钦北's tasks;
    四川's are not found for it, and nothing of them changes. An unbound account (the demo ``worker``)
    serves every region."""
    topics = _topics(app)
    _add_user(app, "qinbei.worker", "worker", groups=topics, regions=[REGION])
    sichuan, qinbei = _submit(client, SICHUAN), _submit(client, REGION)
    assert open_user_tasks(User(client, f"{SICHUAN}.supervisor"), sichuan) == []  # online: no window review
    _accept(client, REGION, qinbei)
    bound = User(client, "qinbei.worker")
    listed = bound.get("/engine-rest/external-task").get_json()
    assert listed and {t["processInstanceId"] for t in listed} == {qinbei}
    fetched = _fetch(bound, topics)
    assert fetched and {t["processInstanceId"] for t in fetched} == {qinbei}
    everyone = User(client, "worker")
    theirs = _fetch(everyone, topics)
    assert theirs and {t["processInstanceId"] for t in theirs} == {sichuan}   # the rest, all 四川's
    task_id = theirs[0]["id"]
    base = f"/engine-rest/external-task/{task_id}"
    before = _state(app, sichuan)
    assert bound.get(base).status_code == 404
    for action, body in (("complete", {"variables": {}}), ("failure", {"errorMessage": "x", "retries": 0}),
                         ("extendLock", {"newDuration": 1000}), ("bpmnError", {"errorCode": "x"})):
        response = bound.post(f"{base}/{action}", json={"workerId": "qinbei.worker", **body})
        assert response.status_code == 404, (action, response.get_json())
    assert everyone.get(base).get_json()["workerId"] == "worker"    # nothing changed
    assert _state(app, sichuan) == before


def _state(app, case_id):
    with app.app_context():
        case = db.session.get(Case, case_id)
        tasks = db.session.execute(select(Task.id, Task.state, Task.lock_owner, Task.attempts).where(
            Task.case_id == case_id).order_by(Task.id)).all()
        return case.status, [tuple(t) for t in tasks]


def test_an_operator_binds_a_worker_account_to_regions_with_the_cli(app, client):
    """``flask --app api worker-account``: a department system's account, its topics and regions."""
    runner = app.test_cli_runner()
    made = runner.invoke(args=["worker-account", "qb.police", "--topics", "hukou.register",
                               "--regions", REGION], env={"WORKER_ACCOUNT_PASSWORD": "s3cret-pass"})
    assert made.exit_code == 0, made.output
    with app.app_context():
        user = db.session.scalars(select(UserRow).where(UserRow.username == "qb.police")).one()
        assert (user.role, user.groups, user.regions) == ("worker", ["hukou.register"], [REGION])
    worker = User(client, "qb.police", password="s3cret-pass")
    assert worker.get("/engine-rest/external-task").status_code == 200
    refused = runner.invoke(args=["worker-account", "qb.x", "--topics", "t", "--regions", "nowhere"],
                            env={"WORKER_ACCOUNT_PASSWORD": "p"})
    assert refused.exit_code != 0 and "nowhere" in refused.output
    not_a_worker = runner.invoke(args=["worker-account", "admin", "--topics", "t"], env={"WORKER_ACCOUNT_PASSWORD": "p"})
    assert not_a_worker.exit_code != 0 and "not a worker" in not_a_worker.output


def test_a_worker_completion_checks_its_scope_on_the_row_the_step_locks(app, client):
    """The served check (topic, region) runs on the task row the step reads under the case lock: the
    request reads the task no earlier and no more often (one read of the case's open tasks: on
    PostgreSQL inside the case's locked statement), and the completion still succeeds for a worker who
    serves it."""
    case_id = _submit(client, REGION)
    _accept(client, REGION, case_id)
    worker = User(client, "worker")
    [task, *_] = _fetch(worker, _topics(app))
    variables = {k: v["value"] for k, v in (task.get("variables") or {}).items()}
    result = SimulatedDepartment().call(task["topicName"], variables, task["id"])
    with app.app_context():
        engine = db.engine
    statements = []
    record = lambda _c, _cur, statement, *_: statements.append(" ".join(statement.split()))  # noqa: E731
    event.listen(engine, "before_cursor_execute", record)
    try:
        response = worker.post(f"/engine-rest/external-task/{task['id']}/complete",
                               json={"workerId": "worker", "variables": typed_variables(result)})
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert response.status_code == 204, response.get_json()
    reads = [s for s in statements if s.startswith("SELECT") and "FROM tasks" in s and "FROM cases" not in s]
    first_read = next(s for s in statements if s.startswith("SELECT"))
    assert "FROM cases" in first_read, first_read  # the case lock comes first
    if engine.dialect.name == "postgresql":
        assert "FOR NO KEY UPDATE" in first_read and "FROM tasks t WHERE t.case_id = cases.id" in first_read
        assert reads == [], reads
    else:
        assert len(reads) == 1 and "tasks.case_id =" in reads[0], reads
