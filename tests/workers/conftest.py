"""A real server on 127.0.0.1 (the app in a thread), a stand-in department, a test process to deploy."""
import threading
import time
from pathlib import Path

import pytest
import requests
from werkzeug.serving import make_server

from api.auth import hash_password
from api.extensions import db
from engine.store.models import User
from workers.department_server import DepartmentServer

ROOT = Path(__file__).resolve().parents[2]
STAMP_BPMN = ROOT / "tests/data/camunda/stamp.bpmn"
STAMP_TOPIC = "stamp.issue"
ADMIN = ("admin", "demo")
STAMP_WORKER = ("stamp.worker", "demo")


def wait_for(condition, timeout: float = 60.0, what: str = "condition") -> None:
    """Poll ``condition`` until it holds; fail saying what was awaited."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


class LiveServer:
    def __init__(self, app):
        self.app = app
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._thread.join(10)


@pytest.fixture
def live(app):
    with LiveServer(app) as server:
        yield server


@pytest.fixture
def department(tmp_path):
    server = DepartmentServer(("127.0.0.1", 0), str(tmp_path / "department.db")).start()
    yield server
    server.stop()


def add_worker_account(app, username: str, topics: list[str]) -> None:
    with app.app_context():
        db.session.add(User(username=username, password_hash=hash_password("demo"), role="worker",
                            groups=topics, display_name="测试部门工作者"))
        db.session.commit()


@pytest.fixture
def stamp(app, live):
    """The one-service-task test process deployed through /engine-rest, served by ``stamp.worker``."""
    add_worker_account(app, STAMP_WORKER[0], [STAMP_TOPIC])
    response = requests.post(f"{live.url}/engine-rest/deployment/create", auth=ADMIN, timeout=30,
                             data={"deployment-name": "stamp", "deployment-source": "tests"},
                             files={"stamp.bpmn": ("stamp.bpmn", STAMP_BPMN.read_bytes(), "text/xml")})
    assert response.status_code == 200, response.text
    return next(iter(response.json()["deployedProcessDefinitions"].values()))


def bearer(live, user=ADMIN) -> dict:
    response = requests.post(f"{live.url}/api/v1/auth/token", json={"username": user[0], "password": user[1]},
                             timeout=10)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def start_stamps(live, count: int, variables: dict | None = None) -> list[str]:
    session = requests.Session()
    session.headers.update(bearer(live))
    ids = []
    for n in range(count):
        response = session.post(f"{live.url}/engine-rest/process-definition/key/dept_stamp/start",
                                json={"businessKey": f"stamp-{n}", "variables": variables or {}}, timeout=30)
        assert response.status_code == 200, response.text
        ids.append(response.json()["id"])
    return ids


def rows(app, query):
    """Fresh rows from the database (a new session each time, as another process would see them)."""
    with app.app_context():
        try:
            return db.session.scalars(query).all()
        finally:
            db.session.remove()


def fetch(live, auth, worker_id, lock_ms=30_000, max_tasks=1, topic=STAMP_TOPIC, **extra):
    return requests.post(f"{live.url}/engine-rest/external-task/fetchAndLock", auth=auth, timeout=30, json={
        "workerId": worker_id, "maxTasks": max_tasks, **extra,
        "topics": [{"topicName": topic, "lockDuration": lock_ms, "includeExtensionProperties": True}]})
