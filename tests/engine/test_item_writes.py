"""A step writes its changed items in one statement: one UPDATE shape the flush sends as one executemany
(SQLite), or the commit's one statement (PostgreSQL)."""
from sqlalchemy import select

from engine.states import ItemStatus
from engine.store.models import CaseItem
from engine.work import tasks
from tests.engine.helpers import ADMIN, engine_context, open_tasks, start_case, statements_during

ITEMS = ["birth_certificate", "vaccination_certificate", "hukou_registration", "social_security_card",
         "medical_insurance", "parenting_guidance"]


def test_the_items_an_acceptance_starts_are_written_by_one_statement(clean_db, clock):
    """Seed 002 (钦北): "对符合受理条件且材料齐全的，出具受理通知书，将相关材料分类推送至各部门" — the
    acceptance starts the chosen items' departments at once, with and without an item deadline."""
    ctx = engine_context(clean_db, clock)
    case = start_case(ctx, ITEMS)
    [review] = open_tasks(ctx, case.id)
    tasks.claim(ctx, ADMIN, review.id)
    updates = statements_during(ctx, lambda: tasks.complete(ctx, ADMIN, review.id, {"decision": "accept"}),
                                r"\bUPDATE case_items\b")
    ctx.session.expire_all()
    started = ctx.session.scalars(select(CaseItem).where(CaseItem.case_id == case.id,
                                                         CaseItem.status == ItemStatus.IN_PROGRESS.value)).all()
    assert len(started) > 1 and len(updates) == 1
    assert all(i.started_at == clock.now() and i.completed_at is None and i.reason is None for i in started)
    assert {i.deadline is None for i in started} == {True, False}  # both shapes the old flush wrote apart
    ctx.session.close()
