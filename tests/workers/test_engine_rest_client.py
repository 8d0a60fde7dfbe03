"""Our worker processes' client of /engine-rest: a password traded once for a bearer token, traded again
after a 401, HTTP Basic on an engine that offers no token (a plain Camunda), errors with their status."""
import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.workers.conftest import STAMP_WORKER, start_stamps
from workers.client import EngineRestClient, EngineRestError


def test_a_password_is_traded_for_a_token_and_traded_again_after_a_401(live, stamp):
    client = EngineRestClient(live.url, *STAMP_WORKER)
    assert client.headers["Authorization"].startswith("Bearer ")
    start_stamps(live, 1)
    [task] = client.fetch_and_lock("w1", ["stamp.issue"], 5, 60_000, 0)
    client.headers["Authorization"] = "Bearer expired"  # as a token past its lifetime
    client.complete(task["id"], "w1", {"stamp": "S-1"})  # the 401 answered by a new token
    assert client.headers["Authorization"].startswith("Bearer ") and client.headers["Authorization"] != "Bearer expired"
    with pytest.raises(EngineRestError) as refused:
        client.complete(task["id"], "w1", {"stamp": "S-1"})  # done already
    assert refused.value.status == 409 and "workerId" in str(refused.value)


class _PlainCamunda(BaseHTTPRequestHandler):
    """No /api/v1/auth/token; records what each request carried."""
    protocol_version = "HTTP/1.1"
    seen: list = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.seen.append((self.path, self.headers.get("Authorization"), json.loads(body)))
        answer, status = (b"[]", 200) if self.path.endswith("/fetchAndLock") else (b"not found", 404)
        self.send_response(status)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


def test_an_engine_without_tokens_gets_http_basic_on_every_request():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _PlainCamunda)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        client = EngineRestClient(f"http://127.0.0.1:{server.server_port}", "camunda", "secret")
        assert client.fetch_and_lock("w1", ["t"], 1, 1000, 0) == []
        assert client.fetch_and_lock("w1", ["t"], 1, 1000, 0) == []
    finally:
        server.shutdown()
    basic = "Basic " + base64.b64encode(b"camunda:secret").decode()
    [login, *fetches] = _PlainCamunda.seen
    assert login[0] == "/api/v1/auth/token" and login[1] is None
    assert [(path, auth) for path, auth, _ in fetches] == [("/engine-rest/external-task/fetchAndLock", basic)] * 2
    assert fetches[0][2]["topics"] == [{"topicName": "t", "lockDuration": 1000, "includeExtensionProperties": True}]
