"""Starting a case writes its rows without reading back what it has just made."""
import re

from sqlalchemy import event, select

from engine.definitions import deploy
from engine.simulation.replay import DEFAULT_FACTS
from engine.states import ItemStatus
from engine.store.models import CaseItem
from engine.work import cases
from tests.engine.helpers import REGION, ROOT, engine_context, open_tasks


def test_a_new_case_reads_neither_its_items_nor_its_task_rows_back(clean_db, clock):
    ctx = engine_context(clean_db, clock)
    deploy(ctx.session, (ROOT / "bpmn" / REGION / "process.bpmn").read_bytes(), ctx.now(), region=REGION)
    ctx.session.commit()
    engine, reads = ctx.session.get_bind(), []

    def record(conn, cursor, statement, *args):
        if re.match(r"\s*SELECT", statement) and re.search(r"FROM (case_items|tasks)\b", statement):
            reads.append(statement)

    items = ["birth_certificate", "hukou_registration"]
    event.listen(engine, "before_cursor_execute", record)
    try:
        case = cases.start_case(ctx, REGION, items, {"mother": {"name": "李四"}}, {**DEFAULT_FACTS, "items": items})
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert reads == []

    ctx.session.expire_all()
    stored = dict(ctx.session.execute(select(CaseItem.item, CaseItem.status).where(CaseItem.case_id == case.id)).all())
    assert {stored[code] for code in items} == {ItemStatus.PENDING.value}
    assert set(stored.values()) - {ItemStatus.PENDING.value} <= {ItemStatus.NOT_APPLICABLE.value}
    assert len(stored) > len(items)  # the region's other items are kept as not applicable
    assert [t.form_key for t in open_tasks(ctx, case.id)] == ["acceptance_review"]
    ctx.session.close()
