"""Lists read page by page hold each row once: rows sharing their sort time (the clock keeps whole
seconds: a batch of cases, a deployment script) are ordered by id last, so that a page never repeats or
skips one, even while other requests write those rows between two pages (PostgreSQL then finds them
in another order)."""
from sqlalchemy import select, update

from api.extensions import db
from engine.store.models import Case, Deployment, Task
from tests.api.helpers import User, add_task_rows, case_with_review, listed_task_ids, sample_form

REGION = "gx-qinzhou-qinbei"


def _pages(fetch, per_page: int, count: int, touch) -> list[str]:
    """Every page's ids in turn, the rows written between two pages."""
    ids = []
    for page in range(count // per_page + 1):
        ids += fetch(page, per_page)
        touch(page)
    return ids


def _rewrite(app, column, ids, page) -> None:
    """Another request's writes to half the rows, one by one (each a new row version in PostgreSQL)."""
    with app.app_context():
        for row_id in ids[page % 2::2][::-1]:
            db.session.execute(update(column.table).where(column.table.c.id == row_id).values({column: column}))
        db.session.commit()


def test_pages_of_cases_submitted_in_one_second_hold_each_case_once(app, client, clock):
    family = User(client, f"{REGION}.family")
    first = family.post("/api/v1/cases", json={"region": REGION, "items": ["birth_certificate"],
                                                "form": sample_form(REGION)}).get_json()
    with app.app_context():
        template = db.session.get(Case, first["id"])
        copies = [{c.key: getattr(template, c.key) for c in Case.__table__.c} | {"id": f"case{n:03d}"}
                  for n in range(60)]
        db.session.execute(Case.__table__.insert(), copies)
        db.session.commit()
        ids = db.session.scalars(select(Case.id)).all()
    supervisor = User(client, f"{REGION}.supervisor")
    whole = [c["id"] for c in supervisor.get("/api/v1/cases", query_string={"per_page": 100}).get_json()["items"]]
    assert sorted(whole) == sorted(ids)
    for per_page in (7, 25):
        paged = _pages(lambda page, size: [c["id"] for c in supervisor.get("/api/v1/cases", query_string={
            "per_page": size, "page": page + 1}).get_json()["items"]], per_page, len(whole),
            lambda page: _rewrite(app, Case.__table__.c.status, ids, page))
        assert paged == whole, per_page


def test_pages_of_deployments_made_in_one_second_hold_each_once(app, client, clock):
    with app.app_context():
        db.session.execute(Deployment.__table__.insert(), [
            {"id": f"dep{n:03d}", "name": f"d{n}", "deployed_at": clock.now()} for n in range(40)])
        db.session.commit()
        ids = db.session.scalars(select(Deployment.id)).all()
    admin = User(client, "admin")
    whole = [d["id"] for d in admin.get("/engine-rest/deployment").get_json()]
    assert sorted(whole) == sorted(ids)
    for per_page in (6, 15):
        paged = _pages(lambda page, size: [d["id"] for d in admin.get("/engine-rest/deployment", query_string={
            "firstResult": page * size, "maxResults": size}).get_json()], per_page, len(whole),
            lambda page: _rewrite(app, Deployment.__table__.c.name, ids, page))
        assert paged == whole, per_page


def test_pages_of_tasks_due_and_created_alike_hold_each_task_once(app, client, clock):
    case_id, review_id = case_with_review(client, REGION)
    with app.app_context():
        review_due = db.session.get(Task, review_id).due_at
    rows = [{"id": f"same{n:03d}", "region": REGION, "candidate_groups": ["health"], "institution": None,
             "state": "ready", "due_at": review_due, "created_at": clock.now()} for n in range(90)]
    add_task_rows(app, case_id, rows, {})
    supervisor = User(client, f"{REGION}.supervisor")
    whole = listed_task_ids(supervisor)
    assert sorted(whole) == sorted([review_id] + [r["id"] for r in rows])
    for per_page in (7, 13, 40):
        paged = _pages(lambda page, size: [t["id"] for t in supervisor.get("/api/v1/tasks", query_string={
            "per_page": size, "page": page + 1}).get_json()["items"]], per_page, len(whole),
            lambda page: _rewrite(app, Task.__table__.c.attempts, [r["id"] for r in rows], page))
        assert paged == whole, per_page
