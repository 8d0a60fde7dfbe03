"""河北省 (he-province) true to its seed, shared/seeds/004_d490afd88a466980.txt, over HTTP with the real
engine and the in-process department worker (issue 14)."""
from datetime import datetime, timedelta

from sqlalchemy import select

from api.extensions import db
from engine.store.models import OutboxMessage
from tests.api.helpers import sample_form
from tests.api.region_driver import ACCEPT, RegionDriver

HE = "he-province"
ITEMS = ["birth_certificate", "vaccination_certificate", "hukou_registration", "medical_insurance",
         "social_security_card"]
UPLOAD = {"materials_upload": {"materials_uploaded": True}}


def _statuses(driver) -> dict:
    return {code: status for code, (status, _) in driver.items().items()}


def _submitted(app) -> RegionDriver:
    driver = RegionDriver(app, HE)
    driver.submit(ITEMS, sample_form(HE))
    return driver


def _tasks(driver, kind: str, state: str = "all") -> list[dict]:
    """The case's tasks of one kind (``user`` or ``service``), as the supervisor lists them."""
    response = driver.supervisor.get(f"/api/v1/tasks?case={driver.case_id}&kind={kind}&state={state}&per_page=100")
    assert response.status_code == 200, response.get_json()
    return response.get_json()["items"]


def _events(case: dict, kind: str) -> list[dict]:
    return [e for e in case["timeline"] if e["kind"] == kind]


def _step_to_family_trip(driver) -> dict:
    """Accept, upload, pass the pre-review; the worker drains; returns the family's open trip task."""
    for _ in range(10):
        driver.worker.drain()
        tasks = driver.open_tasks()
        trip = [t for t in tasks if t["bpmn_id"] == "hukou_page_upload"]
        if trip:
            return trip[0]
        for task in tasks:
            answer = {"acceptance_review": {"decision": "accept"}, "materials_upload": {"materials_uploaded": True},
                      "hukou_prereview": {"prereview_passed": True}}[task["form_key"]]
            driver.work(task, answer)
    raise AssertionError("the family's trip never opened")


def test_vaccination_certificate_handed_out_within_24_hours_of_birth_is_recorded_not_a_step(app):
    """004 五(一)1: 新生儿出生 24 小时内，在医疗保健机构接种卡介苗和乙肝疫苗，医疗保健机构直接发放“疫苗接种证”。

    The case records the certificate as handed out when it is filed; no department works on it after
    acceptance and nothing waits for it: the birth certificate is the first step once the case is accepted.
    """
    driver = _submitted(app)
    driver.worker.drain()
    statuses = _statuses(driver)
    assert statuses["vaccination_certificate"] == "done"
    assert statuses["birth_certificate"] == "pending"
    [review] = driver.open_tasks()
    assert review["form_key"] == "acceptance_review"
    driver.work(review, {"decision": "accept"})
    assert driver.open_tasks() == []
    assert [t["bpmn_id"] for t in _tasks(driver, "service", "open")] == ["birth_certificate_issue"]
    final = driver.run({**ACCEPT, **UPLOAD, "hukou_prereview": {"prereview_passed": True},
                        "hukou_page_upload": {"hukou_page_uploaded": True}})
    assert final["status"] == "completed"
    every_task = _tasks(driver, "service") + _tasks(driver, "user")
    assert {t["bpmn_id"] for t in every_task} == {
        "acceptance_review", "birth_certificate_issue", "materials_upload", "hukou_prereview", "hukou_page_upload",
        "social_security_card_issue", "medical_insurance_enrol"}
    assert not [t for t in every_task if t["topic"] == "vaccination_certificate.issue"]
    assert not [t for t in every_task if t["item"] == "vaccination_certificate"]


def test_departments_work_in_parallel_on_one_set_of_materials(app):
    """004 四: 卫生健康、疾控、公安、医保、人社等部门按职责分工协同配合…实行并联审批，实现申办人只需一次提交一套材料。

    Once the hospital has uploaded the one set of materials, police pre-review, the card and insurance
    enrolment start together: hrss and insurance finish while police still review (returned once here).
    """
    driver = _submitted(app)
    seen = []

    def observe(d, tasks):
        if any(t["bpmn_id"] == "hukou_prereview" for t in tasks):
            statuses = _statuses(d)
            seen.append((statuses["social_security_card"], statuses["medical_insurance"]))
            assert d.case()["paused_since"] is None, "the clock stood still while only departments worked"

    final = driver.run({**ACCEPT, **UPLOAD,
                        "hukou_prereview": [{"prereview_passed": False, "prereview_remark": "户主页不清晰"},
                                            {"prereview_passed": True}],
                        "hukou_page_upload": {"hukou_page_uploaded": True}}, observe)
    assert seen and seen[0] == ("done", "done"), seen
    assert driver.worked == ["acceptance_review", "materials_upload", "hukou_prereview", "materials_reupload",
                             "hukou_prereview", "hukou_page_upload"]
    assert final["status"] == "completed"
    assert set(_statuses(driver).values()) == {"done"}
    every_task = {t["bpmn_id"]: t for t in _tasks(driver, "service") + _tasks(driver, "user")}
    upload_done = every_task["materials_upload"]["completed_at"]
    for bpmn_id in ("social_security_card_issue", "medical_insurance_enrol", "hukou_prereview"):
        assert every_task[bpmn_id]["created_at"] == upload_done, bpmn_id


def test_family_trip_to_collect_the_hukou_page_pauses_the_six_day_promise(app, clock):
    """004 五(一)2: 预审通过后，冀时办 APP 通知申请人到公安派出所领取新生儿户口页。公安派出所指导申请人在冀时办 APP
    上传新生儿户口页。 and 二(二) 办理时限: 6个工作日。

    The trip is the family's own task: while it is open the promise stands still (like 补正), and the
    working days it took are added to the deadline when the family uploads the page.
    """
    calendar = app.extensions["newborn"].calendar
    driver = _submitted(app)
    trip = _step_to_family_trip(driver)
    case = driver.case()
    assert case["promise_working_days"] == 6
    assert case["status"] == "in_progress"
    promised = datetime.fromisoformat(case["deadline"])
    paused_since = datetime.fromisoformat(case["paused_since"]).replace(tzinfo=None)
    assert paused_since == clock.now()
    assert [e["detail"]["family_task"] for e in _events(case, "clock_paused")] == [trip["name"]]
    [own] = driver.family_tasks()
    assert own["id"] == trip["id"] and own["form_key"] == "hukou_page_upload"

    clock.advance(days=14)  # back two weeks later, across the National Day holidays (5 working days)
    driver.work(trip, {"hukou_page_uploaded": True})
    case = driver.case()
    stood_still = calendar.working_days_between(paused_since.date(), clock.now().date())
    assert stood_still >= 5
    assert case["paused_since"] is None
    assert case["paused_working_days"] == stood_still
    assert [e["detail"]["paused_working_days"] for e in _events(case, "clock_resumed")] == [stood_still]
    moved = datetime.fromisoformat(case["deadline"])
    expected = calendar.add_working_days(datetime.fromisoformat(case["submitted_at"]).date(), 6 + stood_still)
    assert moved.date() == expected.date and moved > promised
    final = driver.run({})
    assert final["status"] == "completed"


def test_promise_of_six_working_days_is_printed_on_the_notice_and_the_sms(app):
    """004 二(二) 办理时限: 6个工作日。 — a promise the seed states: the 受理通知书 and the SMS carry its date."""
    driver = _submitted(app)
    driver.worker.drain()
    [review] = driver.open_tasks()
    driver.work(review, {"decision": "accept"})
    case = driver.case()
    deadline = datetime.fromisoformat(case["deadline"]).date().isoformat()
    [notice] = [n for n in case["notices"] if n["kind"] == "acceptance"]
    html = driver.family.get(notice["html"])
    assert html.status_code == 200 and deadline in html.get_data(as_text=True)
    with app.app_context():
        texts = db.session.scalars(select(OutboxMessage.text).where(
            OutboxMessage.case_id == driver.case_id, OutboxMessage.template == "accepted")).all()
    assert len(texts) == 1 and f"承诺于{deadline}前办结" in texts[0]


def test_application_later_than_30_working_days_after_birth_is_refused_at_once(app, clock):
    """004 二(一)1: 在本省医疗保健机构内出生的新生儿，出生后30个工作日内申请办理。"""
    form = sample_form(HE)
    form["newborn"]["birth_time"] = (clock.now() - timedelta(days=70)).strftime("%Y-%m-%dT08:30:00")
    body = RegionDriver(app, HE).submit(ITEMS, form, expect=422)
    assert {(e["field"], e["code"]) for e in body["errors"]} >= {("newborn.birth_time", "applied_too_late")}


def test_the_five_items_are_one_bundle_a_subset_is_refused(app):
    """004 一、主题事项: 新生儿出生“一件事一次办”包含《出生医学证明》签发、预防接种证办理、户口登记、城乡居民参保登记、
    社会保障卡申领等5个事项…一套材料、一张表单 — the seed offers no choice of items."""
    driver = RegionDriver(app, HE)
    region = driver.family.get(f"/api/v1/regions/{HE}").get_json()
    assert region["item_choice"] == "bundle" and sorted(i["code"] for i in region["items"]) == sorted(ITEMS)
    body = driver.submit(["birth_certificate"], sample_form(HE), expect=422)
    assert [(e["field"], e["code"]) for e in body["errors"]] == [("items", "items_fixed_bundle")]
    assert driver.family.get("/api/v1/cases").get_json()["items"] == []
    driver.submit(ITEMS, sample_form(HE))
