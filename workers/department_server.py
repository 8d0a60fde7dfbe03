"""A stand-in department system over HTTP, for tests and development.

``POST /<topic>`` with an ``Idempotency-Key`` header decides like the simulated department (see
``engine.simulation.departments``) but numbers certificates from a persisted sequence: the same key always
gets the same answer, every call is counted per key, and both survive a restart (a small SQLite file).
``GET /calls?key=…`` reports the counts. ``fail_first`` (per key) and ``failing_topics`` make it fail
on purpose, answering 503; ``latency_ms`` makes each answer take that long, as a real department's does
(``most_in_flight``: the most calls it held at once).

Run: ``python -m workers.department_server --port 8900 --db var/department.db``
"""
import argparse
import json
import sqlite3
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

from engine import BpmnError, departments

SCHEMA = """
CREATE TABLE IF NOT EXISTS calls (key TEXT PRIMARY KEY, topic TEXT, count INTEGER NOT NULL, answer TEXT);
CREATE TABLE IF NOT EXISTS numbers (kind TEXT PRIMARY KEY, last INTEGER NOT NULL);
"""


class DepartmentLedger:
    """Calls per idempotency key and the answer given; one lock, one connection (it is small)."""

    def __init__(self, path: str):
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.executescript(SCHEMA)
        self._lock = threading.Lock()

    def call(self, topic: str, key: str, variables: dict, fail_first: int, failing: bool) -> tuple[int, dict]:
        with self._lock, self._db:
            self._db.execute("BEGIN IMMEDIATE")
            row = self._db.execute("SELECT count, answer FROM calls WHERE key = ?", (key,)).fetchone()
            count = (row[0] if row else 0) + 1
            if row is None:
                self._db.execute("INSERT INTO calls (key, topic, count) VALUES (?, ?, 1)", (key, topic))
            else:
                self._db.execute("UPDATE calls SET count = ? WHERE key = ?", (count, key))
            if failing or count <= fail_first:
                return 503, {"error": f"department unavailable (call {count})"}
            if row is not None and row[1] is not None:
                return _stored(row[1])
            status, answer = self._decide(topic, variables)
            self._db.execute("UPDATE calls SET answer = ? WHERE key = ?", (json.dumps([status, answer]), key))
            return status, answer

    def _decide(self, topic: str, variables: dict) -> tuple[int, dict]:
        try:
            return 200, departments.decide(topic, variables, self._next_number)
        except BpmnError as exc:
            return 422, {"bpmnError": {"code": exc.code, "message": exc.message, "variables": exc.variables}}

    def _next_number(self, kind: str) -> str:
        row = self._db.execute("SELECT last FROM numbers WHERE kind = ?", (kind,)).fetchone()
        last = (row[0] if row else 0) + 1
        self._db.execute("INSERT OR REPLACE INTO numbers (kind, last) VALUES (?, ?)", (kind, last))
        return f"{departments.number_prefix(kind)}{last:010d}"

    def calls(self, key: str | None = None) -> dict:
        with self._lock:
            query, args = "SELECT key, topic, count, answer FROM calls", ()
            if key:
                query, args = query + " WHERE key = ?", (key,)
            return {k: {"topic": t, "count": c, "answer": json.loads(a)[1] if a else None}
                    for k, t, c, a in self._db.execute(query, args)}

    def close(self) -> None:
        self._db.close()


def _stored(text: str) -> tuple[int, dict]:
    status, answer = json.loads(text)
    return status, answer


class DepartmentServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address, db_path: str, fail_first: int = 0, failing_topics=(), latency_ms: int = 0):
        super().__init__(address, _Handler)
        self.ledger = DepartmentLedger(db_path)
        self.fail_first = fail_first
        self.failing_topics = set(failing_topics)
        self.latency_ms = latency_ms
        self.in_flight = self.most_in_flight = 0
        self._flight = threading.Lock()

    def answer(self, topic: str, key: str, variables: dict) -> tuple[int, dict]:
        with self._flight:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            time.sleep(self.latency_ms / 1000)
            return self.ledger.call(topic, key, variables, self.fail_first, topic in self.failing_topics)
        finally:
            with self._flight:
                self.in_flight -= 1

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "DepartmentServer":
        threading.Thread(target=self.serve_forever, name="department", daemon=True).start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
        self.ledger.close()


class _Handler(BaseHTTPRequestHandler):
    server: DepartmentServer

    def log_message(self, *args):  # quiet: tests and workers log what matters
        pass

    def _answer(self, status: int, body: dict) -> None:
        data = json.dumps(body, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        url = urlparse(self.path)
        if url.path != "/calls":
            return self._answer(404, {"error": "not found"})
        key = parse_qs(url.query).get("key", [None])[0]
        self._answer(200, self.server.ledger.calls(key))

    def do_POST(self):
        topic = urlparse(self.path).path.strip("/")
        key = self.headers.get("Idempotency-Key")
        if not key:
            return self._answer(400, {"error": "Idempotency-Key header required"})
        try:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            variables = body.get("variables") or {}
        except (ValueError, AttributeError):
            return self._answer(400, {"error": "invalid JSON"})
        self._answer(*self.server.answer(topic, key, variables))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description="A stand-in department system (HTTP, idempotent).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8900)
    parser.add_argument("--db", default="var/department.db")
    parser.add_argument("--fail-first", type=int, default=0, help="answer 503 to the first N calls per key")
    parser.add_argument("--failing-topics", default="", help="comma-separated topics that always fail")
    parser.add_argument("--latency-ms", type=int, default=0, help="time each answer takes")
    args = parser.parse_args(argv)
    topics = [t for t in args.failing_topics.split(",") if t]
    server = DepartmentServer((args.host, args.port), args.db, args.fail_first, topics, args.latency_ms)
    print(f"department listening on {server.url}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
