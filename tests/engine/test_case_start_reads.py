"""Starting a case writes its rows without reading back what it has just made."""
from sqlalchemy import select

from engine.states import ItemStatus
from engine.store.models import CaseItem
from tests.engine.helpers import deploy_qinbei, engine_context, open_tasks, start_case, statements_during


def test_a_new_case_reads_neither_its_items_nor_its_task_rows_back(clean_db, clock):
    ctx = engine_context(clean_db, clock)
    deploy_qinbei(ctx)
    items, started = ["birth_certificate", "hukou_registration"], []
    reads = statements_during(ctx, lambda: started.append(start_case(ctx, items)),
                              r"(?s)^\s*SELECT\b.*\bFROM (case_items|tasks)\b")
    assert reads == []

    case = started[0]
    ctx.session.expire_all()
    stored = dict(ctx.session.execute(select(CaseItem.item, CaseItem.status).where(CaseItem.case_id == case.id)).all())
    assert {stored[code] for code in items} == {ItemStatus.PENDING.value}
    assert set(stored.values()) - {ItemStatus.PENDING.value} <= {ItemStatus.NOT_APPLICABLE.value}
    assert len(stored) > len(items)  # the region's other items are kept as not applicable
    assert [t.form_key for t in open_tasks(ctx, case.id)] == ["acceptance_review"]
    ctx.session.close()
