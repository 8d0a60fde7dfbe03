"""A small client of our Camunda-7-shaped /engine-rest external-task API (requests)."""
import json

import requests


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


class EngineRestClient:
    """Basic credentials are traded once for a bearer token when the server offers one (checking a
    password hash on every poll is slow by design); a 401 trades again."""

    def __init__(self, url: str, user: str | None = None, password: str | None = None,
                 token: str | None = None, timeout: float = 30.0):
        self.url, self.base = url.rstrip("/"), url.rstrip("/") + "/engine-rest"
        self.user, self.password = user, password or ""
        self.session = requests.Session()
        self.timeout = timeout
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"
        elif user:
            self._login()

    def _login(self) -> None:
        try:
            response = self.session.post(f"{self.url}/api/v1/auth/token", timeout=self.timeout,
                                         json={"username": self.user, "password": self.password})
        except requests.RequestException:
            response = None
        if response is not None and response.status_code == 200 and "access_token" in response.json():
            self.session.auth = None
            self.session.headers["Authorization"] = f"Bearer {response.json()['access_token']}"
        else:  # a plain Camunda engine: HTTP Basic on every request
            self.session.headers.pop("Authorization", None)
            self.session.auth = (self.user, self.password)

    def _post(self, path: str, body: dict, timeout: float | None = None):
        response = self.session.post(f"{self.base}{path}", json=body, timeout=timeout or self.timeout)
        if response.status_code == 401 and self.user:
            self._login()
            response = self.session.post(f"{self.base}{path}", json=body, timeout=timeout or self.timeout)
        if response.status_code not in (200, 204):
            raise EngineRestError(response.status_code, response.text)
        return response.json() if response.status_code == 200 else None

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
