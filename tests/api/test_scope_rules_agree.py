"""engine/scope.py writes each rule twice, as a predicate and as an SQL condition: over every audience
and a grid of cases and tasks they select exactly the same rows."""
from sqlalchemy import select

from api.auth import actor_of, hash_password
from api.extensions import db
from engine.scope import (
    may_read_case, may_see_task, may_serve_task, readable_cases, served_tasks, visible_tasks,
)
from engine.states import OPEN_TASK_STATES
from engine.store.models import Case, Task
from engine.store.models import User as UserRow
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
