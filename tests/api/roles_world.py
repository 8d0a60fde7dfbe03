"""The world the roles matrix runs in: one region's cases in each state a route needs, the users of
every audience, and per-cell preparations that put a row's object in the state its call needs (so an
allowed call really succeeds: claim, unclaim, complete, delegate, assign, retry, acknowledge, …).

Preparations write rows as the engine does (or drive the engine itself), never the routes under test."""
import json
from datetime import timedelta

from sqlalchemy import select, update

from api.auth import hash_password
from api.extensions import db
from engine.context import EngineContext
from engine.store.db import make_session_factory
from engine.store.models import Escalation, Incident, Notice, Task
from engine.store.models import User as UserRow
from engine.work import external
from tests.api.helpers import User, open_user_tasks, sample_form, work_user_task
from tests.engine.helpers import run_service_tasks

REGION, OTHER = "gx-qinzhou-qinbei", "cq-jiangjin"
H1, H2 = "钦北区妇幼保健院", "钦北区人民医院"   # the sample form's hospital, and another in the region
ROLES = {"admin": "admin", "clerk": f"{REGION}.health", "lane": f"{REGION}.police",
         "region": f"{OTHER}.health", "hospital": "h2.health", "sup": f"{REGION}.supervisor",
         "osup": f"{OTHER}.supervisor", "fam": f"{REGION}.family", "ofam": f"{OTHER}.family",
         "worker": "worker", "anon": None}
DELEGATE, SECOND_DELEGATE = "clerk2.health", "clerk3.health"
ALL_ITEMS = ["birth_certificate", "hukou_registration", "social_security_card"]


class World:
    def __init__(self, app):
        self.app, self.client = app, app.test_client()
        for name, institution in (("h2.health", H2), (DELEGATE, None), (SECOND_DELEGATE, None)):
            self._add_clerk(name, institution)
        self.users = {role: (User(self.client, name) if name else None) for role, name in ROLES.items()}
        self.ids = {"region": REGION, "item": "birth_certificate", "fmt": "html", "year": 2025}
        self.ids["case"], self.ids["task"] = self.new_review()
        self.ids["done"] = self._finished_case()
        self.ids["busy"] = self._accepted_case(ALL_ITEMS)
        self.ids["notice"] = self._scalar(select(Notice.id).where(Notice.case_id == self.ids["done"]).limit(1))
        self.ids["key"], self.ids["version"], self.ids["definition"] = self._definition()
        self.ids["ext"] = self.lock_service_task("worker")
        self.ids["incident"] = self._incident()
        self.ids["escalation"] = self._escalation()

    # --- building ----------------------------------------------------------------------------------
    def _add_clerk(self, username, institution):
        with self.app.app_context():
            db.session.add(UserRow(username=username, password_hash=hash_password("demo"), role="clerk",
                                   region=REGION, groups=["health"], institution=institution))
            db.session.commit()

    def _scalar(self, stmt):
        with self.app.app_context():
            return db.session.scalar(stmt)

    def _ctx(self, session):
        state = self.app.extensions["newborn"]
        return EngineContext(session, state.clock, state.calendar)

    def _engine(self, work):
        with self.app.app_context():
            session = make_session_factory(db.engine)()
            try:
                return work(self._ctx(session))
            finally:
                session.close()

    def submit(self, items=("birth_certificate",)) -> str:
        created = self.users["fam"].post("/api/v1/cases", json={
            "region": REGION, "items": list(items), "form": sample_form(REGION)})
        assert created.status_code == 201, created.get_json()
        return created.get_json()["id"]

    def new_review(self) -> tuple[str, str]:
        """A fresh case and its open 受理审核 task (of the health window, hospital H1)."""
        case_id = self.submit()
        [review] = open_user_tasks(self.users["sup"], case_id)
        return case_id, review["id"]

    def _accepted_case(self, items=("birth_certificate",)) -> str:
        case_id = self.submit(items)
        [review] = open_user_tasks(self.users["sup"], case_id)
        work_user_task(self.users["clerk"], review["id"], {"decision": "accept"})
        return case_id

    def _finished_case(self) -> str:
        case_id = self._accepted_case()
        self._engine(lambda ctx: run_service_tasks(ctx, case_id))
        return case_id

    def _definition(self):
        summary = self.users["admin"].get(f"/api/v1/regions/{REGION}").get_json()
        key, version = summary["definition_key"], summary["definition_version"]
        definition = self.users["admin"].get(f"/engine-rest/process-definition/key/{key}").get_json()
        self.ids["deployment_id"] = definition["deploymentId"]
        return key, version, definition["id"]

    def _incident(self) -> int:
        task_id = self.lock_service_task("worker")
        self._engine(lambda ctx: external.handle_failure(ctx, task_id, "worker", "部门系统无响应", None, 0, 0))
        return self._scalar(select(Incident.id).where(Incident.task_id == task_id))

    def _escalation(self) -> int:
        with self.app.app_context():
            row = Escalation(subject=f"task:{self.ids['task']}", level="warning", case_id=self.ids["case"],
                             task_id=self.ids["task"], region=REGION, department="health",
                             due_at=self.now() + timedelta(days=1), fired_at=self.now())
            db.session.add(row)
            db.session.commit()
            return row.id

    def now(self):
        return self.app.extensions["newborn"].clock.now()

    # --- per-cell preparations -------------------------------------------------------------------------
    def set_task(self, task_id, **values):
        with self.app.app_context():
            db.session.execute(update(Task).where(Task.id == task_id).values(**values))
            db.session.commit()

    def lock_service_task(self, worker_id: str) -> str:
        """Lock a waiting service task for ``worker_id`` through the engine; when the accepted cases have
        none left waiting, accept another."""
        def lock(ctx):
            topics = {t: 600_000 for t in external.open_topics(ctx)}
            locked = external.fetch_and_lock(ctx, worker_id, topics, 1) if topics else []
            return locked[0].task.id if locked else None
        found = self._engine(lock)
        if found is None:
            self._accepted_case(ALL_ITEMS)
            found = self._engine(lock)
        return found

    def reopen_incident(self):
        with self.app.app_context():
            incident = db.session.get(Incident, self.ids["incident"])
            incident.resolved_at = None
            db.session.execute(update(Task).where(Task.id == incident.task_id).values(state="incident", retries=0))
            db.session.commit()

    def reopen_escalation(self):
        with self.app.app_context():
            db.session.execute(update(Escalation).where(Escalation.id == self.ids["escalation"]).values(
                acknowledged_at=None, acknowledged_by=None))
            db.session.commit()

    def department_result(self, task_id: str) -> dict:
        """What the simulated department returns for the task, as Camunda typed variables."""
        from engine import departments
        with self.app.app_context():
            task = db.session.get(Task, task_id)
            key = f"{task.case_id}:{task.bpmn_id}"
            values = departments.decide(task.topic, {"item": task.item, "marriage_licence_on_record": True},
                                        lambda kind: departments.digest_number(kind, key))
        return {name: ({"type": "Json", "value": json.dumps(v)} if isinstance(v, (dict, list)) else {"value": v})
                for name, v in values.items()}
