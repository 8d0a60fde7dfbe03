"""The designer page in Chromium: versions listed, each drawn by bpmn-js, uploads with their problems."""
from tests.pages.conftest import ROOT
from tests.pages.helpers import check_page, foreign_requests, login

QINBEI = ROOT / "bpmn" / "gx-qinzhou-qinbei" / "process.bpmn"


def _upload(page, name, data: bytes):
    page.set_input_files("#bpmn-file", files=[{"name": name, "mimeType": "application/xml", "buffer": data}])
    page.click("#upload-form button[type=submit]")


def test_designer_lists_views_and_reports_deploy_problems(open_page, requests_seen, page_errors):
    page = open_page()
    login(page, "admin")
    page.wait_for_selector("#definitions tr[data-key]")
    assert page.locator("#definitions tr[data-key]").count() >= 5  # one per region
    page.wait_for_selector("#diagram[data-state=ready] .djs-element")
    assert page.get_attribute("#diagram", "data-warnings") == "0"
    page.click('#definitions tr[data-key^="newborn_gx"] button, #definitions tr:has-text("gx-qinzhou-qinbei") button')
    page.wait_for_function("() => document.getElementById('viewing').textContent.length > 0")

    broken = QINBEI.read_bytes().replace(b'camunda:candidateGroups="health"', b'', 1) \
        .replace(b'camunda:topic="birth_certificate.issue"', b'camunda:topic="no.such.topic"')
    _upload(page, "broken.bpmn", broken)
    page.wait_for_selector("#upload-result .error li")
    problems = page.inner_text("#upload-result")
    assert "部署被拒绝" in problems and page.locator("#upload-result li").count() >= 2, problems
    check_page(page, "designer-rejected")

    _upload(page, "process.bpmn", QINBEI.read_bytes())
    page.wait_for_selector("#upload-result .ok")
    assert "内容未变化" in page.inner_text("#upload-result")
    assert page_errors == [] and foreign_requests(requests_seen) == []
