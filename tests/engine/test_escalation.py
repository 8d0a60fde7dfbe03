"""Escalation on a virtual clock: 黄灯, 红灯, level 1 and level 2, each once, on real working days."""
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from engine.deadlines import escalation
from engine.store.models import CaseEvent, Escalation
from tests.engine.helpers import complete_service_task, engine_context, open_tasks, run_service_tasks, \
    start_accepted_case

CARD = "social_security_card_issue"
END = time(23, 59, 59)


def _card_task(database_url, clock):
    ctx = engine_context(database_url, clock)
    case = start_accepted_case(ctx)
    run_service_tasks(ctx, case.id, keep_open={CARD})
    [card] = [t for t in open_tasks(ctx, case.id) if t.bpmn_id == CARD]
    return ctx, case, card


def _walk(ctx, clock, until: date):
    """Twice a day (noon, end of day) fire what is due, as the scheduler would."""
    day = clock.now().date()
    while day <= until:
        for moment in (time(12), END):
            clock.set(max(clock.now(), datetime.combine(day, moment)))
            escalation.fire_due(ctx.session, clock, ctx.calendar)
        day += timedelta(days=1)


def _task_rows(ctx, task_id):
    return ctx.session.scalars(select(Escalation).where(Escalation.task_id == task_id)
                               .order_by(Escalation.id)).all()


def test_open_card_task_warns_goes_red_and_escalates_twice_each_once(clean_db, clock):
    ctx, case, card = _card_task(clean_db, clock)
    assert card.created_at.date() == date(2025, 9, 29) and card.department == "hrss"   # its lane, lane_hrss
    assert card.due_at == datetime(2025, 11, 17, 23, 59, 59)   # 30th working day after 9-29 (Golden Week off)
    _walk(ctx, clock, date(2025, 11, 13))
    assert _task_rows(ctx, card.id) == []
    _walk(ctx, clock, date(2025, 12, 10))
    _walk(ctx, clock, date(2025, 12, 12))                       # walking again fires nothing new
    rows = _task_rows(ctx, card.id)
    assert [(r.level, r.fired_at) for r in rows] == [
        ("warning", datetime(2025, 11, 14, 23, 59, 59)),        # Friday: the working day before the due day
        ("overdue", datetime(2025, 11, 17, 23, 59, 59)),
        ("level1", datetime(2025, 11, 18, 23, 59, 59)),
        ("level2", datetime(2025, 11, 20, 23, 59, 59))]
    assert {r.department for r in rows} == {"hrss"} and {r.item for r in rows} == {"social_security_card"}
    events = ctx.session.scalars(select(CaseEvent.kind).where(CaseEvent.task_id == card.id,
                                                              CaseEvent.kind.like("escalation_%"))).all()
    assert sorted(events) == ["escalation_level1", "escalation_level2", "escalation_overdue", "escalation_warning"]
    case_levels = ctx.session.scalars(select(Escalation.level).where(Escalation.subject == f"case:{case.id}")).all()
    assert sorted(case_levels) == ["level1", "level2", "overdue", "warning"]   # the whole 33-day promise too
    ctx.session.close()


def test_completing_before_the_warning_produces_none(clean_db, clock):
    ctx, case, card = _card_task(clean_db, clock)
    _walk(ctx, clock, date(2025, 11, 13))
    clock.set(datetime(2025, 11, 14, 10))
    complete_service_task(ctx, card)
    _walk(ctx, clock, date(2025, 12, 10))
    assert _task_rows(ctx, card.id) == []
    assert escalation.fire(ctx.session, clock, ctx.calendar, f"task:{card.id}", "level2") is None
    ctx.session.close()


def test_firing_is_idempotent_and_waits_for_its_time(clean_db, clock):
    ctx, case, card = _card_task(clean_db, clock)
    subject = f"task:{card.id}"
    assert escalation.fire(ctx.session, clock, ctx.calendar, subject, "overdue") is None   # too early
    clock.set(datetime(2025, 11, 18, 8))
    assert escalation.fire(ctx.session, clock, ctx.calendar, subject, "overdue") is not None
    assert escalation.fire(ctx.session, clock, ctx.calendar, subject, "overdue") is None
    assert len(_task_rows(ctx, card.id)) == 1
    ctx.session.close()
