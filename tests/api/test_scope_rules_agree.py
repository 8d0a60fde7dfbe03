"""engine/scope.py writes each rule twice, as a predicate and as an SQL condition: over every audience
and a grid of cases and tasks they select exactly the same rows. A worker's scope has a third rendering,
fetchAndLock's statement with bound values (engine/work/external.py): it locks the same rows."""
from uuid import uuid4

from sqlalchemy import select, update

from api.auth import actor_of, hash_password
from api.extensions import db
from api.services import engine_context
from engine.scope import (
    may_read_case, may_see_task, may_serve_task, readable_cases, Served, served_by, served_tasks, visible_tasks,
)
from engine.states import OPEN_TASK_STATES, TaskState
from engine.store.models import Case, Task
from engine.store.models import User as UserRow
from engine.work import external
from tests.api.helpers import User, open_user_tasks, sample_form, work_user_task

QINBEI, JIANGJIN = "gx-qinzhou-qinbei", "cq-jiangjin"
EXTRA = [("h1.health", "clerk", QINBEI, ["health"], "钦北区妇幼保健院", []),
         ("h2.cdc", "clerk", QINBEI, ["cdc", "health"], "钦北区人民医院", []),
         ("qb.worker", "worker", None, ["birth_certificate.issue", "hukou.register"], None, [QINBEI]),
         ("jj.worker", "worker", None, ["birth_certificate.issue"], None, [JIANGJIN, "he-province"])]


def _world(app, client):
    with app.app_context():
        for username, role, region, groups, institution, regions in EXTRA:
            db.session.add(UserRow(username=username, password_hash=hash_password("demo"), role=role,
                                   region=region, groups=groups, institution=institution, regions=regions))
        db.session.commit()
    for region, hospital in ((QINBEI, None), (QINBEI, "钦北区人民医院"), (JIANGJIN, None)):
        form = sample_form(region)
        if hospital:
            form["birth"]["institution"] = hospital
        case = User(client, f"{region}.family").post("/api/v1/cases", json={
            "region": region, "items": ["birth_certificate", "hukou_registration"], "form": form}).get_json()
        [review] = open_user_tasks(User(client, f"{region}.supervisor"), case["id"])
        if hospital is None:  # accepted: the departments' service tasks open too
            work_user_task(User(client, f"{region}.{review['candidate_groups'][0]}"), review["id"],
                           {"decision": "accept"})


def test_each_rule_selects_in_sql_what_its_predicate_admits(app, client):
    _world(app, client)
    with app.app_context():
        users = db.session.scalars(select(UserRow)).all()
        cases = db.session.scalars(select(Case)).all()
        tasks = db.session.scalars(select(Task).where(Task.state.in_(OPEN_TASK_STATES))).all()
        assert len(cases) == 3 and {t.kind for t in tasks} == {"user", "service"}
        seen = {"cases": 0, "tasks": 0, "served": 0}
        for actor in map(actor_of, users):
            by_sql = set(db.session.scalars(select(Case.id).where(readable_cases(actor))))
            assert by_sql == {c.id for c in cases if may_read_case(actor, c)}, actor.username
            user_tasks = select(Task.id).where(Task.kind == "user", Task.state.in_(OPEN_TASK_STATES))
            by_sql_tasks = set(db.session.scalars(user_tasks.where(visible_tasks(actor))))
            assert by_sql_tasks == {t.id for t in tasks if t.kind == "user" and may_see_task(actor, t)}, actor.username
            service = select(Task.id).where(Task.kind == "service", Task.state.in_(OPEN_TASK_STATES))
            by_sql_served = set(db.session.scalars(service.where(served_tasks(actor))))
            assert by_sql_served == {t.id for t in tasks if t.kind == "service" and may_serve_task(actor, t)}
            seen = {"cases": seen["cases"] + bool(by_sql), "tasks": seen["tasks"] + bool(by_sql_tasks),
                    "served": seen["served"] + bool(by_sql_served)}
        # the grid is not trivially empty: many audiences see something, and not all see everything
        assert min(seen.values()) >= 2


def test_fetch_and_lock_locks_what_the_served_rule_admits(app, client):
    """Each shape of a worker's scope (no binding, topics, regions, both, and the empty ones), as values and
    as every account's ``served_by``: fetchAndLock over every topic locks exactly the ready service tasks
    ``Served.condition()`` selects (and, for an account, ``may_serve_task`` admits)."""
    _world(app, client)
    with app.app_context():
        service = _topic_grid()
        topics = sorted({t.topic for t in service})
        shapes = {"no binding": (Served(), None), "topics": (Served(topics=(topics[0],)), None),
                  "regions": (Served(regions=(QINBEI, "elsewhere")), None),
                  "both": (Served(topics=tuple(topics[:2]), regions=(JIANGJIN,)), None),
                  "no topics": (Served(topics=()), None), "no regions": (Served(regions=()), None)}
        shapes |= {user.username: (served_by(actor_of(user)), actor_of(user))
                   for user in db.session.scalars(select(UserRow))}
        counts = {}
        for name, (served, actor) in shapes.items():
            admitted = set(db.session.scalars(select(Task.id).where(Task.kind == "service", served.condition())))
            if actor is not None:
                assert admitted == {t.id for t in service if may_serve_task(actor, t)}, name
            locked = external.fetch_and_lock(engine_context(), "w", {t: 60_000 for t in topics},
                                             len(service) + 1, served)
            assert {row.task.id for row in locked} == admitted, name
            counts[name] = len(admitted)
            db.session.execute(update(Task).where(Task.kind == "service").values(
                state=TaskState.READY.value, lock_owner=None, lock_expires_at=None))
            db.session.commit()
        # the grid is not trivial: each binding locks some of the tasks, and not all
        assert counts["no binding"] == len(service) and counts["no topics"] == counts["no regions"] == 0
        assert all(0 < counts[name] < len(service) for name in ("topics", "regions", "both")), counts


def _topic_grid() -> list[Task]:
    """The world's service tasks, each copied under two more topics: its accepted cases open one department
    at a time, and only a grid of topics x regions tells every binding apart."""
    opened = db.session.scalars(select(Task).where(Task.kind == "service", Task.state.in_(OPEN_TASK_STATES))).all()
    assert {t.state for t in opened} == {TaskState.READY.value} and len({t.region for t in opened}) == 2
    for task, topic in ((t, topic) for t in opened for topic in ("hukou.register", "medical_insurance.enrol")):
        db.session.add(Task(id=str(uuid4()), case_id=task.case_id, definition_id=task.definition_id,
                            region=task.region, bpmn_id=f"{task.bpmn_id}_copy", kind="service",
                            state=TaskState.READY.value, topic=topic, item=task.item, created_at=task.created_at))
    db.session.commit()
    return db.session.scalars(select(Task).where(Task.kind == "service")).all()
