"""What the family is told about time (issue 14, acceptance 2): a region whose seed states no promise tells the
family no date, in no notice, no SMS and nothing the family's pages render (GET /cases, GET /cases/{id})."""
import re

from sqlalchemy import select

from api.extensions import db
from engine.store.models import OutboxMessage

DATE = re.compile(r"\d{4}-\d{2}-\d{2}|\d{4}年\d{1,2}月\d{1,2}日")


def sms_texts(app, case_id) -> list[str]:
    with app.app_context():
        return [m.text for m in db.session.scalars(select(OutboxMessage).where(OutboxMessage.case_id == case_id))]


def assert_no_promised_date(app, driver) -> None:
    """Every word the family gets for the case: no promise (承诺) and no due date."""
    case = driver.case()
    assert case["promise_working_days"] is None and case["deadline"] is None
    assert all(item["deadline"] is None for item in case["items"]), case["items"]
    listed = driver.family.get("/api/v1/cases").get_json()["items"]
    assert [c["deadline"] for c in listed if c["id"] == driver.case_id] == [None]
    texts = sms_texts(app, driver.case_id)
    assert any("已受理" in t for t in texts), texts  # the acceptance SMS was sent, without a date
    for text in texts:
        assert "承诺" not in text and not DATE.search(text), text
    assert "acceptance" in {n["kind"] for n in case["notices"]}
    for notice in case["notices"]:
        html = driver.family.get(notice["html"]).get_data(as_text=True)
        assert "受理" in html
        assert "承诺" not in html, notice["kind"]
