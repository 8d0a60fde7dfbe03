"""Hostile BPMN uploads are refused with the error format, in bounded time and memory, running nothing."""
import resource
import time
from pathlib import Path

import pytest

from tests.api.helpers import User

ROOT = Path(__file__).resolve().parents[2]
QINBEI = (ROOT / "bpmn/gx-qinzhou-qinbei/process.bpmn").read_bytes()
CANARY = Path("/tmp/newborn-hostile-canary")

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d">
  <bpmn:process id="p" isExecutable="true"><bpmn:documentation>&xxe;</bpmn:documentation></bpmn:process>
</bpmn:definitions>"""

LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol">""" + b"".join(
    f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'.encode() for i in range(1, 10)) + b"""]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d">
  <bpmn:process id="p" isExecutable="true"><bpmn:documentation>&lol9;</bpmn:documentation></bpmn:process>
</bpmn:definitions>"""


def _nested(depth: int) -> bytes:
    return (b'<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d">'
            b'<bpmn:process id="p" isExecutable="true"><bpmn:documentation>' + b"<x>" * depth + b"</x>" * depth
            + b"</bpmn:documentation></bpmn:process></bpmn:definitions>")


def _huge() -> bytes:
    filler = b"<!-- " + b"x" * (50 * 1024 * 1024) + b" -->"
    return QINBEI.replace(b"</bpmn:definitions>", filler + b"</bpmn:definitions>")


def _script_condition() -> bytes:
    payload = f"__import__('os').system('touch {CANARY}') or True"
    return QINBEI.replace(b'isExecutable="true"', b'isExecutable="true"', 1).replace(
        b"<bpmn:conditionExpression", b"<bpmn:conditionExpression", 1).replace(
        b">decision == 'accept'<", f">{payload}<".encode(), 1) if b">decision == 'accept'<" in QINBEI else \
        _inject_first_condition(payload)


def _inject_first_condition(payload: str) -> bytes:
    start = QINBEI.index(b"<bpmn:conditionExpression")
    body_start = QINBEI.index(b">", start) + 1
    body_end = QINBEI.index(b"</bpmn:conditionExpression>", body_start)
    return QINBEI[:body_start] + payload.replace("'", "&apos;").encode() + QINBEI[body_end:]


CASES = {
    "xxe": (lambda: XXE, {400}, "doctype_forbidden"),
    "billion_laughs": (lambda: LAUGHS, {400}, "doctype_forbidden"),
    "deeply_nested": (lambda: _nested(5000), {400}, None),
    "fifty_megabytes": (_huge, {413, 400}, None),
    "script_in_condition": (_script_condition, {400}, None),
}


@pytest.mark.parametrize("name", list(CASES))
def test_hostile_bpmn_is_refused_quickly_and_runs_nothing(app, name):
    make, statuses, code = CASES[name]
    CANARY.unlink(missing_ok=True)
    admin = User(app.test_client(), "admin")
    before = admin.get("/api/v1/definitions").get_json()
    body = make()
    assert body != QINBEI
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    response = admin.post("/api/v1/definitions", data=body, content_type="application/xml")
    elapsed = time.perf_counter() - started
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1024
    assert response.status_code in statuses, (response.status_code, response.get_data()[:300])
    errors = response.get_json()["errors"]
    assert errors and all({"field", "code", "message"} <= set(e) for e in errors)
    if code:
        assert code in {e["code"] for e in errors}
    assert b"root:" not in response.get_data()  # /etc/passwd never echoed back
    assert elapsed < 10, f"{name} took {elapsed:.1f}s"
    assert grown_mb < 400, f"{name} grew the process by {grown_mb:.0f} MB"
    assert not CANARY.exists(), "the injected script ran"
    assert admin.get("/api/v1/definitions").get_json() == before
