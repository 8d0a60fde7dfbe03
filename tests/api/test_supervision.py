"""电子监察 over HTTP: overdue, due soon, escalations with acknowledgement, stats; region scoping;
and the 补正 pause moving the case deadline by exactly the paused working days."""
from datetime import datetime

from engine.deadlines import escalation
from engine.store.db import make_session_factory
from engine.deadlines.calendar import WorkingCalendar
from engine.context import EngineContext
from tests.api.helpers import User, open_user_tasks, sample_form, work_user_task
from tests.engine.helpers import run_service_tasks

REGION = "gx-qinzhou-qinbei"
OTHER = "he-province"
ITEMS = ["birth_certificate", "hukou_registration", "social_security_card"]


def _submit(client, region=REGION, items=ITEMS):
    family = User(client, f"{region}.family")
    created = family.post("/api/v1/cases", json={"region": region, "items": items, "form": sample_form(region)})
    assert created.status_code == 201, created.get_json()
    return family, created.get_json()


def _review(client, case_id, data, region=REGION):
    [review] = open_user_tasks(User(client, f"{region}.supervisor"), case_id)
    return work_user_task(User(client, f"{region}.{review['candidate_groups'][0]}"), review["id"], data)


def _departments_work_except_the_card(app, case_id):
    state = app.extensions["newborn"]
    with app.app_context():
        from api.extensions import db
        session = make_session_factory(db.engine)()
        run_service_tasks(EngineContext(session, state.clock, state.calendar), case_id,
                          keep_open={"social_security_card_issue"})
        session.close()


def test_correction_pause_of_three_working_days_moves_the_deadline_by_three(app, clock):
    client = app.test_client()
    family, case = _submit(client)
    assert case["deadline"].startswith("2025-11-20")        # 33 working days after Monday 2025-09-29
    _review(client, case["id"], {"decision": "correct", "materials": ["出生医学证明首页"]})
    assert family.get(f"/api/v1/cases/{case['id']}").get_json()["status"] == "correction"
    clock.set(datetime(2025, 10, 10, 10))   # 9-30, 10-9, 10-10: exactly three working days
    supplied = family.post(f"/api/v1/cases/{case['id']}/supplement", json={"form": sample_form(REGION)})
    assert supplied.status_code == 200, supplied.get_json()
    body = supplied.get_json()
    assert body["paused_working_days"] == 3 and body["paused"] is False
    assert body["deadline"].startswith("2025-11-25")       # 11-20 + 3 working days (Mon 11-24, Tue 11-25)


def test_supervision_lists_escalates_acknowledges_and_counts_within_the_region(app, clock):
    app.extensions["newborn"].calendar = WorkingCalendar()   # no fallback years noted by earlier tests
    client = app.test_client()
    family, case = _submit(client)
    _, other_case = _submit(client, OTHER, ["birth_certificate", "vaccination_certificate", "hukou_registration",
                                            "medical_insurance", "social_security_card"])  # 河北: one bundle
    _review(client, case["id"], {"decision": "accept"})
    _departments_work_except_the_card(app, case["id"])
    supervisor = User(client, f"{REGION}.supervisor")
    soon = supervisor.get("/api/v1/supervision/due-soon?within_working_days=30").get_json()
    assert [t["bpmn_id"] for t in soon["items"]] == ["social_security_card_issue"]
    assert soon["items"][0]["applicant"]["mother_name"].endswith("*")     # masked
    assert soon["calendar_warnings"] == []
    app.extensions["newborn"].calendar.add_working_days(datetime(2026, 12, 30).date(), 3)
    warned = supervisor.get("/api/v1/supervision/due-soon").get_json()["calendar_warnings"]
    assert [w["year"] for w in warned] == [2027]

    clock.set(datetime(2025, 11, 25, 23, 59, 59))
    with app.app_context():
        from api.extensions import db
        session = make_session_factory(db.engine)()
        escalation.fire_due(session, clock, app.extensions["newborn"].calendar)
        session.close()
    overdue = supervisor.get("/api/v1/supervision/overdue").get_json()
    assert [t["bpmn_id"] for t in overdue["items"]] == ["social_security_card_issue"]
    assert [c["id"] for c in overdue["cases"]] == [case["id"]]      # not the other region's case
    rows = supervisor.get("/api/v1/supervision/escalations").get_json()["items"]
    assert {(r["subject"].split(":")[0], r["level"]) for r in rows} == {
        (kind, level) for kind in ("task", "case") for level in ("warning", "overdue", "level1", "level2")}
    assert {r["region"] for r in rows} == {REGION}
    other = User(client, f"{OTHER}.supervisor")
    theirs = other.get("/api/v1/supervision/escalations").get_json()["items"]
    assert {r["case_id"] for r in theirs} == {other_case["id"]} and len(theirs) == 4   # unreviewed, 6 days
    assert other.post(f"/api/v1/supervision/escalations/{rows[0]['id']}/acknowledge").status_code == 404
    acked = supervisor.post(f"/api/v1/supervision/escalations/{rows[0]['id']}/acknowledge")
    assert acked.status_code == 200 and acked.get_json()["acknowledged_by"] == f"{REGION}.supervisor"
    assert supervisor.post(f"/api/v1/supervision/escalations/{rows[0]['id']}/acknowledge").status_code == 409
    pending = supervisor.get("/api/v1/supervision/escalations?acknowledged=false").get_json()["items"]
    assert len(pending) == len(rows) - 1
    assert supervisor.get("/api/v1/supervision/escalations?level=bogus").status_code == 422
    assert family.get("/api/v1/supervision/overdue").status_code == 403

    stats = {(s["department"], s["item"]): s for s in supervisor.get("/api/v1/supervision/stats").get_json()["items"]}
    card = stats[("hrss", "social_security_card")]
    assert (card["open"], card["done"], card["overdue_now"]) == (1, 0, 1)
    birth = stats[("health", "birth_certificate")]
    assert (birth["done"], birth["on_time_rate"], birth["median_working_days"], birth["p90_working_days"]) == (1, 1.0, 0, 0)
    admin = User(client, "admin")
    everywhere = admin.get("/api/v1/supervision/stats").get_json()["items"]
    assert {s["region"] for s in everywhere if s["item"]} == {REGION}  # the other case is not yet accepted
    # ... but its unreviewed 受理审核 counts (item null), overdue with the case's promise it inherits
    assert [(s["item"], s["open"], s["overdue_now"]) for s in everywhere if s["region"] == OTHER] == [(None, 1, 1)]
    _board_agrees_with_stats(supervisor, REGION)
    _board_agrees_with_stats(admin, OTHER)


def _board_agrees_with_stats(user, region):
    """The board's charts and /supervision/stats count the same rows: per department and per item, the
    open, overdue and done figures are the sums of the stats rows; no item is called ``other``."""
    stats = user.get(f"/api/v1/supervision/stats?region={region}").get_json()["items"]
    board = user.get(f"/pages-api/board-stats?region={region}").get_json()
    for key, chart in (("department", "by_department"), ("item", "by_item")):
        sums = {}
        for row in stats:
            if row[key] is not None:
                total = sums.setdefault(row[key], [0, 0, 0])
                for n, figure in enumerate(("open", "overdue_now", "done")):
                    total[n] += row[figure]
        assert {r["code"]: [r["open"], r["overdue"], r["done"]] for r in board[chart]} == sums, chart
    assert "other" not in {r["code"] for r in board["by_item"] + board["by_department"]}
    assert sum(r["overdue"] for r in board["by_department"]) == sum(r["overdue_now"] for r in stats) > 0
