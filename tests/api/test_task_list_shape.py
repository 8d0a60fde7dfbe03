"""GET /tasks writes its page without marshmallow's dump (a third of the request's CPU): what it writes
must be exactly what the documented schema (TaskPage, TaskOut) would."""
from api.schemas import TaskOut, TaskPage
from tests.api.helpers import User, sample_form
from tests.api.region_driver import ACCEPT, RegionDriver

REGION = "gx-qinzhou-qinbei"


def test_the_task_page_is_what_its_schema_would_write(app):
    driver = RegionDriver(app, REGION)
    driver.submit(["birth_certificate", "hukou_registration"], sample_form(REGION))
    driver.run(ACCEPT)  # finished tasks of both kinds, with their times, limits and deadline kinds
    driver.submit(["birth_certificate"], sample_form(REGION))
    admin = User(driver.client, "admin")
    [review] = [t for t in admin.get("/api/v1/tasks", query_string={"case_id": driver.case_id}).get_json()["items"]]
    assert admin.post(f"/api/v1/tasks/{review['id']}/claim").status_code == 200  # claimed: assignee, claimed_at

    pages = [admin.get("/api/v1/tasks", query_string={"state": "all", "kind": kind, "per_page": 500}).get_json()
             for kind in ("user", "service")]
    items = [item for body in pages for item in body["items"]]
    assert len(items) >= 4 and {t["kind"] for t in items} == {"user", "service"}
    assert {t["state"] for t in items} >= {"completed", "claimed"}
    assert any(t["applicant"] and t["applicant"]["mother_id"] for t in items)
    for item in items:
        assert set(item) == set(TaskOut().fields), item
        assert TaskOut().dump(TaskOut().load(item)) == item  # types and time formats as marshmallow's
    for body in pages:
        assert TaskPage().dump(TaskPage().load(body)) == body
