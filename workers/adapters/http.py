"""A department reached over HTTP: ``POST {base}/{topic}`` with an ``Idempotency-Key`` header.

The department answers 200 with result variables, 422 ``{"bpmnError": {code, message, variables}}``
for a business refusal; anything else (timeouts, 5xx, bad JSON) is a failure the engine retries.
"""
import requests

from workers.adapters.base import AdapterError, BpmnError


class HttpDepartment:
    def __init__(self, base_url: str, topic_urls: dict[str, str] | None = None, timeout: float = 10.0,
                 verify: bool = True, ca_file: str | None = None, client_cert: str | None = None,
                 session: requests.Session | None = None):
        self.base_url, self.topic_urls = base_url.rstrip("/"), dict(topic_urls or {})
        self.timeout = timeout
        self.verify = ca_file if ca_file else verify  # a CA bundle path, or on/off
        self.client_cert = client_cert
        self.session = session or requests.Session()

    def url_for(self, topic: str) -> str:
        return self.topic_urls.get(topic) or f"{self.base_url}/{topic}"

    def call(self, topic: str, variables: dict, idempotency_key: str) -> dict:
        try:
            response = self.session.post(self.url_for(topic), json={"topic": topic, "variables": variables},
                                         headers={"Idempotency-Key": idempotency_key}, timeout=self.timeout,
                                         verify=self.verify, cert=self.client_cert)
        except requests.RequestException as exc:
            raise AdapterError(f"部门系统不可达（{topic}）：{type(exc).__name__}") from exc
        if response.status_code == 422:
            refusal = _json(response, topic).get("bpmnError") or {}
            raise BpmnError(refusal.get("code") or "department_refused", refusal.get("message") or "",
                            refusal.get("variables") or {})
        if response.status_code != 200:
            raise AdapterError(f"部门系统返回 {response.status_code}（{topic}）：{response.text[:200]}")
        return _json(response, topic)


def _json(response, topic: str) -> dict:
    try:
        body = response.json()
    except ValueError:
        raise AdapterError(f"部门系统返回了无效的 JSON（{topic}）") from None
    if not isinstance(body, dict):
        raise AdapterError(f"部门系统返回了无效的结果（{topic}）")
    return body
