"""A small client of our Camunda-7-shaped /engine-rest external-task API (urllib3's pool: a worker's
every completion is a request, and requests' layers above the pool cost it more CPU than the rest of
the call; bench/NOTES.md)."""
import json

import urllib3
from urllib3.exceptions import HTTPError


class EngineRestError(Exception):
    def __init__(self, status: int, body: str):
        super().__init__(f"{status}: {body[:300]}")
        self.status = status


def plain_variables(typed: dict) -> dict:
    """Camunda typed variables to plain values (Json values are parsed)."""
    out = {}
    for name, var in (typed or {}).items():
        value = var.get("value")
        if var.get("type") in ("Json", "Object") and isinstance(value, str):
            value = json.loads(value)
        out[name] = value
    return out


def typed_variables(values: dict) -> dict:
    out = {}
    for name, value in (values or {}).items():
        if isinstance(value, (dict, list)):
            out[name] = {"type": "Json", "value": json.dumps(value, ensure_ascii=False)}
        else:
            out[name] = {"value": value}
    return out


JSON_ONLY = {"Content-Type": "application/json"}


class EngineRestClient:
    """Basic credentials are traded once for a bearer token when the server offers one (checking a
    password hash on every poll is slow by design); a 401 trades again. Connections are kept alive.
    A connection failure raises urllib3's ``HTTPError`` (no retries here: the worker's loop retries).
    Threads may share one client: ``connections`` keeps that many alive (a worker's tasks at once and its
    long poll)."""

    def __init__(self, url: str, user: str | None = None, password: str | None = None,
                 token: str | None = None, timeout: float = 30.0, connections: int = 2):
        self.url, self.base = url.rstrip("/"), url.rstrip("/") + "/engine-rest"
        self.user, self.password = user, password or ""
        self.http = urllib3.PoolManager(maxsize=connections, retries=False)
        self.headers = dict(JSON_ONLY)
        self.timeout = timeout
        if token:
            self.headers["Authorization"] = f"Bearer {token}"
        elif user:
            self._login()

    def _send(self, url: str, body: dict, timeout: float | None = None, headers: dict | None = None):
        return self.http.request("POST", url, body=json.dumps(body).encode(), headers=headers or self.headers,
                                 timeout=timeout or self.timeout)

    def _login(self) -> None:
        try:
            response = self._send(f"{self.url}/api/v1/auth/token", {"username": self.user, "password": self.password},
                                  headers=JSON_ONLY)  # not the stale credentials
        except HTTPError:
            response = None
        token = _json(response).get("access_token") if response is not None and response.status == 200 else None
        if token:
            authorization = f"Bearer {token}"
        else:  # a plain Camunda engine: HTTP Basic on every request
            authorization = urllib3.make_headers(basic_auth=f"{self.user}:{self.password}")["authorization"]
        # a new dict, swapped whole: other threads may be sending with the old one
        self.headers = {**self.headers, "Authorization": authorization}

    def _post(self, path: str, body: dict, timeout: float | None = None):
        response = self._send(f"{self.base}{path}", body, timeout)
        if response.status == 401 and self.user:
            self._login()
            response = self._send(f"{self.base}{path}", body, timeout)
        if response.status not in (200, 204):
            raise EngineRestError(response.status, response.data.decode("utf-8", "replace"))
        return json.loads(response.data) if response.status == 200 else None

    def fetch_and_lock(self, worker_id: str, topics: list[str], max_tasks: int, lock_ms: int,
                       wait_ms: int) -> list[dict]:
        body = {"workerId": worker_id, "maxTasks": max_tasks, "asyncResponseTimeout": wait_ms,
                "topics": [{"topicName": t, "lockDuration": lock_ms, "includeExtensionProperties": True}
                           for t in topics]}
        return self._post("/external-task/fetchAndLock", body, timeout=self.timeout + wait_ms / 1000)

    def complete(self, task_id: str, worker_id: str, variables: dict) -> None:
        self._post(f"/external-task/{task_id}/complete",
                   {"workerId": worker_id, "variables": typed_variables(variables)})

    def failure(self, task_id: str, worker_id: str, message: str, details: str | None, retries: int,
                retry_timeout_ms: int) -> None:
        self._post(f"/external-task/{task_id}/failure",
                   {"workerId": worker_id, "errorMessage": message, "errorDetails": details,
                    "retries": retries, "retryTimeout": retry_timeout_ms})

    def bpmn_error(self, task_id: str, worker_id: str, code: str, message: str, variables: dict) -> None:
        self._post(f"/external-task/{task_id}/bpmnError",
                   {"workerId": worker_id, "errorCode": code, "errorMessage": message,
                    "variables": typed_variables(variables)})


def _json(response) -> dict:
    """A login's answer, or nothing if it is not JSON (a server that has no such endpoint)."""
    try:
        found = json.loads(response.data)
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}
