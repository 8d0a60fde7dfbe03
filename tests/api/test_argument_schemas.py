"""Request bodies are parsed by schema instances built once (api.extensions.Blueprint): webargs, given a
schema class, would build an instance per request and deep-copy its fields, which cost a worker's
fetchAndLock 0.2–0.3 CPU ms (bench/NOTES.md). Parsing and its errors stay as they were."""
import base64

from api.resources.engine_rest_tasks import FetchAndLockIn

WORKER = {"Authorization": "Basic " + base64.b64encode(b"worker:demo").decode()}


def test_a_request_body_schema_is_built_once_not_per_request(client, monkeypatch):
    built = []
    original = FetchAndLockIn.__init__

    def counting(self, *args, **kwargs):
        built.append(1)
        original(self, *args, **kwargs)

    monkeypatch.setattr(FetchAndLockIn, "__init__", counting)
    body = {"workerId": "w", "maxTasks": 1, "topics": [{"topicName": "birth_certificate.issue", "lockDuration": 1000}]}
    for _ in range(3):
        response = client.post("/engine-rest/external-task/fetchAndLock", json=body, headers=WORKER)
        assert response.status_code == 200, response.get_json()
    assert built == []
    refused = client.post("/engine-rest/external-task/fetchAndLock", json={"workerId": "w", "topics": [{}]},
                          headers=WORKER)
    assert refused.status_code == 400 and "topicName" in refused.get_data(as_text=True)
