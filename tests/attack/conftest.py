"""The API as a real server process for the kill -9 tests (tests/attack/test_kill9.py)."""
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ApiServer:
    """The production WSGI app under gunicorn (2 processes × 4 threads), no workers or scheduler inside."""

    def __init__(self, database_url: str, log_path):
        self.database_url, self.log_path, self.process, self.url = database_url, log_path, None, None

    def start(self) -> "ApiServer":
        port = free_port()  # a new port per start: no wait for the killed server's socket
        self.url = f"http://127.0.0.1:{port}"
        env = {**os.environ, "DATABASE_URL": self.database_url, "SECRET_KEY": "kill9-secret-key-0123456789",
               "LOGIN_MAX_FAILURES": "10000", "RUN_WORKERS": "0", "RUN_SCHEDULER": "0"}
        command = [sys.executable, "-m", "gunicorn", "--workers", "2", "--threads", "4", "--bind",
                   f"127.0.0.1:{port}", "--timeout", "60", "api.production:create_wsgi()"]
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=open(self.log_path, "a"),
                                        stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 30
        while not self._ready():
            assert time.monotonic() < deadline, "the API server did not become ready"
            time.sleep(0.1)
        return self

    def _ready(self) -> bool:
        assert self.process.poll() is None, open(self.log_path).read()[-3000:]
        try:
            return requests.get(f"{self.url}/ready", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def kill9(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)  # the master and every API process at once
        self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill9()



@pytest.fixture
def api_server(app, clean_db, tmp_path):
    """A started server on the test database, once ``app`` has migrated, seeded and deployed it;
    stopped at teardown."""
    server = ApiServer(clean_db, tmp_path / "api.log").start()
    yield server
    server.stop()
