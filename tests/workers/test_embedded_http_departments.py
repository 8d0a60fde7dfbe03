"""The embedded app's in-process workers can call real department systems over HTTP (WORKER_ADAPTER=http)."""
import pytest
from sqlalchemy import select

from api.background import department_adapter
from api.cli import initialise
from api.extensions import db
from engine.store.models import ELicence
from tests.api.helpers import User, open_user_tasks, sample_form, work_user_task
from engine.store.db import make_session_factory
from workers.adapters.http import HttpDepartment
from workers.department_server import DepartmentServer
from workers.inprocess import InProcessWorker

REGION = "gx-qinzhou-qinbei"


@pytest.fixture
def department(tmp_path):
    server = DepartmentServer(("127.0.0.1", 0), str(tmp_path / "dept.db")).start()
    yield server
    server.stop()


def test_http_setting_builds_an_http_adapter_and_refuses_one_without_a_url(make_app):
    app = make_app(WORKER_ADAPTER="http", DEPARTMENT_URL="http://127.0.0.1:9", DEPARTMENT_TIMEOUT_SECONDS=2.5)
    adapter = department_adapter(app.config)
    assert isinstance(adapter, HttpDepartment) and adapter.timeout == 2.5
    with pytest.raises(ValueError, match="DEPARTMENT_URL"):
        department_adapter(make_app(WORKER_ADAPTER="http").config)


def test_in_process_workers_finish_a_case_through_an_http_department(make_app, department):
    app = make_app(WORKER_ADAPTER="http", DEPARTMENT_URL=department.url)
    initialise(app)
    client = app.test_client()
    family = User(client, f"{REGION}.family")
    created = family.post("/api/v1/cases", json={"region": REGION, "items": ["birth_certificate"],
                                                  "form": sample_form(REGION)})
    assert created.status_code == 201, created.get_json()
    case_id = created.get_json()["id"]
    supervisor = User(client, f"{REGION}.supervisor")
    state = app.extensions["newborn"]
    with app.app_context():
        worker = InProcessWorker(make_session_factory(db.engine), department_adapter(app.config), state.clock,
                                 state.calendar)
    for _ in range(20):
        handled = worker.drain()
        tasks = open_user_tasks(supervisor, case_id)
        for task in tasks:
            data = {"decision": "accept"} if task["form_key"] == "acceptance_review" else {}
            work_user_task(User(client, f"{REGION}.{task['candidate_groups'][0]}"), task["id"], data)
        if not handled and not tasks:
            break
    assert family.get(f"/api/v1/cases/{case_id}").get_json()["status"] == "completed"
    with app.app_context():
        licence = db.session.scalars(select(ELicence).where(ELicence.case_id == case_id,
                                                            ELicence.kind == "birth_certificate")).one()
    issued = {((call["answer"] or {}).get("elicence") or {}).get("number")
              for call in department.ledger.calls().values()}
    assert licence.number in issued  # issued by the department server, not by the simulated adapter
