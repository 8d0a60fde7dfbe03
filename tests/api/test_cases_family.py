"""The family's view of a Qinbei case over HTTP: items 未办结/已办结 at each stage, rating rules,
SMS exactly once, the archive, notices as HTML and PDF, and 补正 pausing the promise clock."""
import io
import json
import subprocess
import zipfile

from sqlalchemy import select

from api.extensions import db
from engine.context import EngineContext
from engine.store.models import AuditEntry, Case, OutboxMessage
from engine.notify.notifications import LoggingNotifier, dispatch
from engine.work.runtime import StepChanges
from tests.api.helpers import User, open_user_tasks, sample_form, work_user_task, worker_for

REGION = "gx-qinzhou-qinbei"
ALL_ITEMS = ["birth_certificate", "vaccination_certificate", "hukou_registration", "social_security_card",
             "maternity_reimbursement", "medical_insurance", "parenting_guidance"]


def _submit(client, items=ALL_ITEMS):
    family = User(client, f"{REGION}.family")
    response = family.post("/api/v1/cases", json={"region": REGION, "items": items, "form": sample_form(REGION)})
    assert response.status_code == 201, response.get_json()
    return family, response.get_json()


def _review(client, case_id, data):
    supervisor = User(client, f"{REGION}.supervisor")
    [review] = [t for t in open_user_tasks(supervisor, case_id) if t["form_key"] == "acceptance_review"]
    clerk = User(client, f"{REGION}.health")
    assert clerk.post(f"/api/v1/tasks/{review['id']}/claim").status_code == 200
    return clerk.post(f"/api/v1/tasks/{review['id']}/complete", json={"data": data})


def _labels(family, case_id):
    view = family.get(f"/api/v1/cases/{case_id}").get_json()
    return view, {i["code"]: i["label"] for i in view["items"]}


def _run_to_end(app, client, family, case_id, stages):
    worker, supervisor = worker_for(app), User(client, f"{REGION}.supervisor")
    for _ in range(40):
        handled = worker.run_once(max_tasks=1)
        stages.append(_labels(family, case_id)[1])
        tasks = open_user_tasks(supervisor, case_id)
        for task in tasks:
            work_user_task(User(client, f"{REGION}.{task['candidate_groups'][0]}"), task["id"], {})
        if not handled and not tasks:
            break


def test_family_follows_items_rates_once_and_gets_each_sms_once(app, client):
    family, case = _submit(client)
    other_family = User(client, "cq-jiangjin.family")
    _, other_case = _submit(client, ["birth_certificate"])
    assert other_family.get(f"/api/v1/cases/{case['id']}").status_code == 404
    assert other_family.get(f"/api/v1/cases/{case['id']}/archive").status_code == 404
    assert set(_labels(family, case["id"])[1].values()) == {"未办结"}

    early = family.post(f"/api/v1/cases/{case['id']}/evaluation", json={"score": 5, "comment": "好"})
    assert early.status_code == 409
    assert early.get_json()["errors"][0]["message"] == "办件办结后才能评价"
    assert family.get(f"/api/v1/cases/{case['id']}/archive").status_code == 409

    assert family.post(f"/api/v1/cases/{case['id']}/delivery", json={
        "item": "social_security_card", "method": "post", "address": "钦北区幸福路12号"}).status_code == 200
    assert _review(client, case["id"], {"decision": "accept"}).status_code == 200
    stages: list[dict] = []
    _run_to_end(app, client, family, case["id"], stages)
    # items finish one by one: some stage shows a mix of 已办结 and 未办结
    assert any(set(s.values()) == {"已办结", "未办结"} for s in stages)
    view, labels = _labels(family, case["id"])
    assert view["status"] == "completed" and set(labels.values()) == {"已办结"}
    assert view["items"][0]["delivery"] == {"method": "pickup", "place": "钦北区妇幼保健院"}

    admin = User(client, "admin")
    posted = admin.post(f"/api/v1/cases/{case['id']}/items/social_security_card/tracking",
                        json={"tracking_number": "EMS1234567890"})
    assert posted.status_code == 200, posted.get_json()
    assert posted.get_json()["delivery"]["tracking_number"] == "EMS1234567890"

    rated = family.post(f"/api/v1/cases/{case['id']}/evaluation", json={"score": 5, "comment": "很方便"})
    assert rated.status_code == 201
    again = family.post(f"/api/v1/cases/{case['id']}/evaluation", json={"score": 1, "comment": ""})
    assert again.status_code == 409 and "不能重复评价" in again.get_json()["errors"][0]["message"]

    with app.app_context():
        case_row = db.session.get(Case, case["id"])
        ctx = EngineContext(session=db.session, clock=app.extensions["newborn"].clock)
        from engine.notify import notices
        # the same events reported again (a retried step, a second notifier call) queue nothing new
        notices.on_step(ctx, case_row, StepChanges(items_done=list(ALL_ITEMS), case_finished=True))
        db.session.commit()
        rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.case_id == case["id"])
                                  .order_by(OutboxMessage.id)).all()
        templates = sorted(r.template for r in rows)
        assert templates == sorted(["accepted", "completed", "please_rate", "posted"] + ["item_done"] * 7
                                   + ["ready_for_pickup"] * 6)
        assert all(r.phone == "13812345678" and r.text.startswith("【新生儿出生一件事】") for r in rows)
        notifier = LoggingNotifier()
        now = app.extensions["newborn"].clock.now()
        sent = dispatch(db.session, notifier, now) + dispatch(db.session, notifier, now)
        assert sent == len(rows) == len(notifier.sent)
        assert sorted(key for _, _, key in notifier.sent) == sorted(r.dedupe_key for r in rows)


def test_archive_holds_form_notices_licences_timeline_and_reads_are_audited(app, client):
    family, case = _submit(client)
    assert _review(client, case["id"], {"decision": "accept"}).status_code == 200
    _run_to_end(app, client, family, case["id"], [])
    response = family.get(f"/api/v1/cases/{case['id']}/archive")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    names = set(archive.namelist())
    view = family.get(f"/api/v1/cases/{case['id']}").get_json()
    assert json.loads(archive.read("form.json")) == sample_form(REGION)
    for notice in view["notices"]:
        assert {f"notices/{notice['number']}.html", f"notices/{notice['number']}.pdf"} <= names
    licences = json.loads(archive.read("elicences.json"))
    assert sorted(lic["number"] for lic in licences) == sorted(lic["number"] for lic in view["elicences"])
    assert len(licences) >= 4
    timeline = json.loads(archive.read("timeline.json"))
    assert [t["kind"] for t in timeline] == [t["kind"] for t in view["timeline"]]
    assert {"申请", "流转", "审批结果"} <= {t["stage"] for t in timeline}
    with app.app_context():
        reads = db.session.scalars(select(AuditEntry).where(AuditEntry.case_id == case["id"])).all()
        actions = {(a.actor, a.action) for a in reads}
    assert (f"{REGION}.family", "case_read_full") in actions
    assert (f"{REGION}.family", "case_archive_exported") in actions
    assert (f"{REGION}.health", "task_completed") in actions
    # the audit log has no write endpoint: nothing under /api/v1 changes it
    assert client.delete("/api/v1/audit", headers=family.headers).status_code in (404, 405)


def test_refused_case_ends_with_a_downloadable_refusal_notice(app, client, tmp_path):
    family, case = _submit(client)
    reason = "新生儿非在本辖区助产机构出生"
    assert _review(client, case["id"], {"decision": "refuse", "refusal_reason": reason}).status_code == 200
    view = family.get(f"/api/v1/cases/{case['id']}").get_json()
    assert view["status"] == "refused"
    [notice] = view["notices"]
    assert notice["kind"] == "refusal" and notice["title"] == "不予受理通知书"
    html = family.get(notice["html"])
    assert html.status_code == 200 and "不予受理通知书" in html.get_data(as_text=True)
    assert reason in html.get_data(as_text=True) and notice["number"] in html.get_data(as_text=True)
    pdf = family.get(notice["pdf"])
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    (tmp_path / "notice.pdf").write_bytes(pdf.data)
    text = subprocess.run(["pdftotext", str(tmp_path / "notice.pdf"), "-"], capture_output=True, text=True,
                          check=True).stdout.replace("\n", "")
    assert "不予受理通知书" in text and reason in text
    assert User(client, "cq-jiangjin.family").get(notice["pdf"]).status_code == 404
    assert family.get(f"/api/v1/cases/{case['id']}/notices/999999.html").status_code == 404
    with app.app_context():
        sms = db.session.scalars(select(OutboxMessage.text).where(OutboxMessage.case_id == case["id"])).all()
    assert len(sms) == 1 and reason in sms[0]


def test_correction_pauses_the_clock_and_supply_resumes_it(app, client, clock):
    family, case = _submit(client)
    first_deadline = case["deadline"]
    missing = ["结婚证复印件", "父亲身份证复印件"]
    asked = _review(client, case["id"], {"decision": "correct", "materials": missing})
    assert asked.status_code == 200, asked.get_json()
    paused = family.get(f"/api/v1/cases/{case['id']}").get_json()
    assert paused["status"] == "correction" and paused["paused"] is True
    [notice] = paused["notices"]
    assert notice["kind"] == "correction"
    page = family.get(notice["html"]).get_data(as_text=True)
    assert all(m in page for m in missing)

    clock.advance(days=14)  # to 2025-10-13: across 国庆 and its adjusted working Saturday
    still = family.get(f"/api/v1/cases/{case['id']}").get_json()
    assert still["deadline"] == first_deadline and still["paused"] is True

    supplied = family.post(f"/api/v1/cases/{case['id']}/supplement",
                           json={"materials": missing, "comment": "已补齐"})
    assert supplied.status_code == 200, supplied.get_json()
    resumed = supplied.get_json()
    calendar = app.extensions["newborn"].calendar
    from datetime import date, datetime
    paused_days = calendar.working_days_between(date(2025, 9, 29), date(2025, 10, 13))
    assert resumed["paused"] is False and resumed["paused_working_days"] == paused_days > 0
    expected = calendar.add_working_days(datetime.fromisoformat(first_deadline).date(), paused_days)
    assert datetime.fromisoformat(resumed["deadline"]).date() == expected.date
    assert resumed["status"] == "review"
    # one mechanism paused and resumed it, once each: the timeline says for which family task and materials
    events = {e["kind"]: e["detail"] for e in resumed["timeline"] if e["kind"].startswith("clock_")}
    assert [e["kind"] for e in resumed["timeline"] if e["kind"].startswith("clock_")] == ["clock_paused",
                                                                                       "clock_resumed"]
    assert events["clock_paused"] == {"family_task": "补正材料", "materials": missing}
    assert events["clock_resumed"] == {"paused_working_days": paused_days}
    with app.app_context():
        templates = db.session.scalars(select(OutboxMessage.template)
                                       .where(OutboxMessage.case_id == case["id"])).all()
    assert templates == ["correction"]


def test_a_cases_notices_are_numbered_in_the_order_they_were_issued(app, client):
    """The 补正通知书 is the case's first notice and the 受理通知书 after the supplement its second."""
    family, case = _submit(client)
    assert _review(client, case["id"], {"decision": "correct", "materials": ["结婚证复印件"]}).status_code == 200
    assert family.post(f"/api/v1/cases/{case['id']}/supplement", json={"materials": ["结婚证复印件"]}).status_code == 200
    assert _review(client, case["id"], {"decision": "accept"}).status_code == 200
    notices = family.get(f"/api/v1/cases/{case['id']}").get_json()["notices"]
    assert [(n["kind"], n["number"][-3:]) for n in notices] == [("correction", "-01"), ("acceptance", "-02")]
    assert len({n["number"] for n in notices}) == 2
    with app.app_context():
        assert db.session.get(Case, case["id"]).notices_issued == 2
