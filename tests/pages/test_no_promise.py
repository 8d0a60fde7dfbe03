"""A region whose seed states no promise shows its family no date (issue 14 acceptance 2, the pages).

000 (重庆江津) states no working-day 承诺时限 for the case: with the diagram's limits as internal targets
(a temporary copy, as the region helpers write it), the family's case page and list in Chromium show no
date for the case, its items or its tasks, and say the region published none.
"""
import re
import shutil

import pytest

from api.cli import initialise
from tests.api.helpers import User, sample_form
from tests.pages.conftest import ROOT
from tests.pages.helpers import login

REGION = "cq-jiangjin"
ITEMS = ["vaccination_certificate", "birth_certificate", "hukou_registration", "medical_insurance"]
SUBMITTED = "2025-09-29"  # tests/conftest.py TEST_START
A_DATE = re.compile(r"20\d\d[-/年]\d{1,2}[-/月]\d{1,2}")


@pytest.fixture
def app(make_app, tmp_path):
    root = tmp_path / "bpmn"
    shutil.copytree(ROOT / "bpmn", root)
    path = root / REGION / "process.bpmn"
    text = path.read_text("utf-8").replace('name="promiseWorkingDays"', 'name="targetWorkingDays"')
    path.write_text(text.replace('name="limitWorkingDays"', 'name="targetWorkingDays"'), "utf-8")
    built = make_app(BPMN_ROOT=root)
    initialise(built)
    return built


def _accepted_case(app) -> str:
    client = app.test_client()
    family = User(client, f"{REGION}.family")
    response = family.post("/api/v1/cases", json={"region": REGION, "items": ITEMS, "form": sample_form(REGION)})
    assert response.status_code == 201, response.get_json()
    case_id = response.get_json()["id"]
    clerk = User(client, f"{REGION}.health")
    [review] = [t for t in clerk.get(f"/api/v1/tasks?case={case_id}").get_json()["items"]
                if t["form_key"] == "acceptance_review"]
    assert clerk.post(f"/api/v1/tasks/{review['id']}/claim").status_code == 200
    assert clerk.post(f"/api/v1/tasks/{review['id']}/complete", json={"data": {"decision": "accept"}}).status_code == 200
    staff = User(client, f"{REGION}.supervisor").get(f"/api/v1/cases/{case_id}").get_json()
    assert staff["deadline"] and staff["deadline_label"] == "内部督办时限"  # staff have a date; the family not
    return case_id


def test_the_family_pages_show_no_date_without_a_promise(app, open_page, page_errors):
    case_id = _accepted_case(app)
    page = open_page()
    login(page, f"{REGION}.family")
    page.goto(f"/family/cases/{case_id}")
    page.wait_for_selector("#no-promise")
    summary = page.inner_text("#case-summary")
    assert "本地区未公布承诺办结时限" in summary and "承诺办结日期" not in summary
    assert A_DATE.findall(summary) == [SUBMITTED]  # the submission time is the only date shown
    # no item shows a 办理期限; a completion time may show (000: the vaccination certificate, handed out at birth,
    # is recorded 已办结 at acceptance)
    due = page.locator("#case-items tr[data-item] td:nth-child(3)").all_inner_texts()
    assert len(due) == len(ITEMS) and A_DATE.findall(" ".join(due)) == []
    page.goto("/family")
    page.wait_for_selector(f'#cases tr[data-case-id="{case_id}"]')
    row = page.inner_text(f'#cases tr[data-case-id="{case_id}"]')
    assert A_DATE.findall(row) == [SUBMITTED] and row.split("\t")[-1].strip() == "—", row
    assert page_errors == []
