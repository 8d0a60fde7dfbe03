"""The PyPI Camunda 7 client (camunda-external-task-client-python3) against our /engine-rest."""
from sqlalchemy import select

from camunda.client.external_task_client import ExternalTaskClient
from camunda.external_task.external_task_worker import ExternalTaskWorker
from engine.store.models import Case, ELicence
from tests.workers.conftest import STAMP_WORKER, rows, start_stamps

CONFIG = {"auth_basic": {"username": STAMP_WORKER[0], "password": STAMP_WORKER[1]}, "maxTasks": 1,
          "lockDuration": 10_000, "asyncResponseTimeout": 500, "httpTimeoutMillis": 10_000, "sleepSeconds": 0}


def test_camunda_client_fetches_locks_and_completes(app, live, stamp):
    first, second = start_stamps(live, 2)
    seen = []

    def issue(task):
        seen.append((task.get_process_instance_id(), task.get_variable("item"),
                     task.get_extension_property("retries")))
        return task.complete({"elicence": {"kind": "birth_certificate", "number": "Q-CAMUNDA-1"}})

    worker = ExternalTaskWorker(worker_id="camunda-py", base_url=f"{live.url}/engine-rest", config=CONFIG)
    worker.fetch_and_execute("stamp.issue", issue)
    assert seen == [(first, "birth_certificate", "3")]

    client = ExternalTaskClient("camunda-py-2", f"{live.url}/engine-rest", CONFIG)
    [locked] = client.fetch_and_lock("stamp.issue")
    assert locked["processInstanceId"] == second and locked["workerId"] == "camunda-py-2"
    assert client.complete(locked["id"], {"elicence": {"kind": "birth_certificate", "number": "Q-CAMUNDA-2"},
                                          "checked": True}) is True
    assert client.fetch_and_lock("stamp.issue") == []

    assert rows(app, select(Case.status).where(Case.id.in_([first, second]))) == ["completed", "completed"]
    assert sorted(rows(app, select(ELicence.number))) == ["Q-CAMUNDA-1", "Q-CAMUNDA-2"]
