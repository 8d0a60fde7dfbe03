"""Paper stubs (《出生医学证明》副页) handed to the police on the seeds' schedule (issue 14 acceptance 5).

The scheduler holds one APScheduler cron job per region whose process sets ``stubHandover``; the test runs
that job as APScheduler does (its stored function and arguments) at the month's end on the app's clock,
and reads the lists through ``GET /api/v1/stub-handovers`` as the supervisor and the hospital clerk.
"""
import io
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from api.extensions import db
from engine.deadlines.scheduler import EscalationScheduler
from engine.store.models import ELicence
from tests.api.helpers import User, sample_form
from tests.api.region_driver import ACCEPT, RegionDriver
from tests.engine.helpers import clear_scheduler_jobs

ROOT = Path(__file__).resolve().parents[2]
JIANGJIN, QINBEI = "cq-jiangjin", "gx-qinzhou-qinbei"
ITEMS = ["vaccination_certificate", "birth_certificate", "hukou_registration", "medical_insurance"]
CITY, JIJIANG = "江津区城区派出所", "江津区几江派出所"


@pytest.fixture
def scheduler(app, clock, database_url):
    clear_scheduler_jobs(database_url)
    with app.app_context():
        running = EscalationScheduler(db.engine, app.extensions["newborn"].calendar, clock,
                                      reconcile_seconds=3600, registry="stubs-test")
    running.start()
    assert running.active.is_set()
    yield running
    running.stop()
    clear_scheduler_jobs(database_url)


def _case(app, clock, day: datetime, station: str) -> str:
    clock.set(day)
    driver = RegionDriver(app, JIANGJIN)
    form = sample_form(JIANGJIN)
    form["hukou"]["police_station"] = station
    driver.submit(ITEMS, form)
    assert driver.run(ACCEPT)["status"] == "completed"
    return driver.case_id


def _certificates(app, case_ids) -> dict:
    with app.app_context():
        return dict(db.session.execute(select(ELicence.case_id, ELicence.number).where(
            ELicence.case_id.in_(case_ids), ELicence.kind == "birth_certificate")).all())


def _lists(user: User) -> list[dict]:
    response = user.get("/api/v1/stub-handovers")
    assert response.status_code == 200, response.get_json()
    return response.get_json()["items"]


def test_jiangjin_hands_a_months_stubs_to_each_hukou_police_station_once(app, clock, scheduler):
    """000 (重庆江津): 「《出生医学证明副页》于每月底邮寄到新生儿户籍地派出所」: at the month's end, one list per
    户籍地派出所 with each stub once; the job run again lists nothing twice."""
    job = scheduler.scheduler.get_job(f"stubs:{JIANGJIN}")
    assert job is not None and "day='last'" in str(job.trigger) and "hour='17'" in str(job.trigger)
    stations = [(datetime(2025, 10, 9, 9), CITY), (datetime(2025, 10, 10, 10), JIJIANG),
                (datetime(2025, 10, 13, 9), CITY), (datetime(2025, 10, 20, 15), JIJIANG)]
    case_ids = {_case(app, clock, day, station): station for day, station in stations}
    numbers = _certificates(app, case_ids)
    assert len(numbers) == 4
    clock.set(datetime(2025, 10, 31, 17, 0))
    assert job.func(*job.args) == 4
    supervisor = User(app.test_client(), f"{JIANGJIN}.supervisor")
    lists = _lists(supervisor)
    assert sorted(entry["station"] for entry in lists) == sorted([CITY, JIJIANG])
    for entry in lists:
        listed = [s["certificate_number"] for s in entry["stubs"]]
        assert sorted(listed) == sorted(numbers[c] for c, st in case_ids.items() if st == entry["station"])
        assert entry["batch"] == f"{JIANGJIN}:2025-10-31"
    assert job.func(*job.args) == 0  # the same day again
    clock.set(datetime(2025, 11, 30, 17, 0))
    assert job.func(*job.args) == 0  # the next month's end: nothing new
    assert _lists(supervisor) == lists
    clerk = User(app.test_client(), f"{JIANGJIN}.health")
    assert _lists(clerk) == lists
    assert User(app.test_client(), f"{JIANGJIN}.police").get("/api/v1/stub-handovers").status_code == 403
    assert _lists(User(app.test_client(), f"{QINBEI}.supervisor")) == []


def test_a_later_certificate_goes_on_the_next_months_list_only(app, clock, scheduler):
    job = scheduler.scheduler.get_job(f"stubs:{JIANGJIN}")
    first = _case(app, clock, datetime(2025, 10, 9, 9), CITY)
    clock.set(datetime(2025, 10, 31, 17, 0))
    assert job.func(*job.args) == 1
    second = _case(app, clock, datetime(2025, 11, 3, 9), CITY)
    clock.set(datetime(2025, 11, 30, 17, 0))
    assert job.func(*job.args) == 1
    lists = _lists(User(app.test_client(), f"{JIANGJIN}.supervisor"))
    assert [(e["batch"], [s["case_id"] for s in e["stubs"]]) for e in lists] == [
        (f"{JIANGJIN}:2025-11-30", [second]), (f"{JIANGJIN}:2025-10-31", [first])]


def test_qinbei_hands_its_stubs_over_quarterly_on_the_30th(scheduler):
    """002 (钦州钦北): 「副页由《出生医学证明》签发机构于每季度末月30日移交到所在地派出所存档」."""
    job = scheduler.scheduler.get_job(f"stubs:{QINBEI}")
    assert job is not None
    assert "month='3,6,9,12'" in str(job.trigger) and "day='30'" in str(job.trigger)
    assert job.next_run_time.day == 30 and job.next_run_time.month in (3, 6, 9, 12)


def test_deploy_refuses_an_unknown_schedule(app):
    text = (ROOT / "bpmn" / JIANGJIN / "process.bpmn").read_text("utf-8")
    bad = text.replace('name="stubHandover" value="monthly"', 'name="stubHandover" value="weekly"')
    assert bad != text
    response = User(app.test_client(), "admin").post(
        "/api/v1/definitions", data={"file": (io.BytesIO(bad.encode("utf-8")), "process.bpmn")},
        content_type="multipart/form-data")
    assert response.status_code == 400
    assert [e["code"] for e in response.get_json()["errors"]] == ["invalid_stub_schedule"]
