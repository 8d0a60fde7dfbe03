"""One contract for every department adapter: the simulated one and HTTP against a real department server."""
import pytest

from workers.adapters import BpmnError, get_adapter
from workers.adapters.base import AdapterError
from workers.adapters.http import HttpDepartment
from workers.department_server import DepartmentServer


@pytest.fixture(params=["simulated", "http"])
def adapter(request, tmp_path):
    if request.param == "simulated":
        yield get_adapter("simulated")
        return
    server = DepartmentServer(("127.0.0.1", 0), str(tmp_path / "dept.db")).start()
    yield get_adapter("http", base_url=server.url, timeout=5)
    server.stop()


def test_same_key_same_certificate_other_key_other_certificate(adapter):
    first = adapter.call("birth_certificate.issue", {}, "case-1:issue")
    assert first["elicence"]["kind"] == "birth_certificate" and first["elicence"]["number"].startswith("Q")
    assert adapter.call("birth_certificate.issue", {}, "case-1:issue") == first
    assert adapter.call("birth_certificate.issue", {}, "case-2:issue")["elicence"]["number"] != \
        first["elicence"]["number"]


def test_business_outcomes(adapter):
    assert adapter.call("marriage_licence.check", {"marriageCertificateNumber": "J2020-1"}, "k1") == \
        {"marriage_licence_found": True, "stop_reason": None}
    missing = adapter.call("marriage_licence.check", {"marriageCertificateNumber": "J0000-1"}, "k2")
    assert missing["marriage_licence_found"] is False and "结婚电子证照" in missing["stop_reason"]
    with pytest.raises(BpmnError) as refused:
        adapter.call("hukou_registration.register", {"hukou_refuse": True}, "k3")
    assert refused.value.code == "hukou_refused" and refused.value.variables["hukou_refusal_reason"]
    assert adapter.call("parenting_guidance.notify", {}, "k4") == {}


def test_http_failures_are_adapter_errors(tmp_path):
    server = DepartmentServer(("127.0.0.1", 0), str(tmp_path / "dept.db"), fail_first=1).start()
    try:
        adapter = HttpDepartment(server.url, timeout=5)
        with pytest.raises(AdapterError):
            adapter.call("birth_certificate.issue", {}, "k")
        number = adapter.call("birth_certificate.issue", {}, "k")["elicence"]["number"]
        assert server.ledger.calls("k")["k"]["count"] == 2
    finally:
        server.stop()
    restarted = DepartmentServer(("127.0.0.1", 0), str(tmp_path / "dept.db")).start()
    try:  # the ledger survives a restart: the same key still gets the same number
        assert HttpDepartment(restarted.url).call("birth_certificate.issue", {}, "k")["elicence"]["number"] == number
    finally:
        restarted.stop()
    with pytest.raises(AdapterError):
        HttpDepartment("http://127.0.0.1:9", timeout=1).call("birth_certificate.issue", {}, "k")
