"""Queries behind 电子监察: overdue, due soon, escalations, statistics (no Flask here)."""
from collections import defaultdict
from datetime import datetime

from sqlalchemy import select

from engine.notify import timeline
from engine.errors import InvalidTransition, NotFound
from engine.deadlines.escalation import LEVEL_LABELS, department_of
from engine.deadlines.recompute import fallback_counts
from engine.store.models import Case, Escalation, Task
from engine.deadlines.sla import END_OF_DAY
from engine.states import CaseStatus, DeadlineKind, EscalationLevel, OPEN_TASK_STATES, TaskState

__all__ = ["department_of", "deadline_label", "fallback_counts", "overdue", "due_soon", "escalations",
           "acknowledge", "stats", "escalation_row"]
ESCALATING = [CaseStatus.REVIEW.value, CaseStatus.IN_PROGRESS.value]
STATS_COLUMNS = (Task.region, Task.department, Task.item, Task.state, Task.due_at, Task.limit_working_days,
                 Task.created_at, Task.completed_at, Task.kind, Task.candidate_groups, Task.lane)


def _in_region(stmt, column, region):
    return stmt if region is None else stmt.where(column == region)


def overdue(session, now: datetime, region: str | None) -> tuple[list[Task], list[Case]]:
    tasks = session.scalars(_in_region(select(Task).where(
        Task.state.in_(OPEN_TASK_STATES), Task.limit_working_days.is_not(None), Task.due_at < now),
        Task.region, region).order_by(Task.due_at)).all()
    cases = session.scalars(_in_region(select(Case).where(
        Case.status.in_(ESCALATING), Case.deadline < now), Case.region, region).order_by(Case.deadline)).all()
    return list(tasks), list(cases)


def due_soon(session, calendar, now: datetime, within: int, region: str | None) -> list[Task]:
    """Open tasks not yet overdue, due by the end of the ``within``-th working day from today."""
    until = datetime.combine(calendar.add_working_days(now.date(), within).date, END_OF_DAY) if within \
        else datetime.combine(now.date(), END_OF_DAY)
    return list(session.scalars(_in_region(select(Task).where(
        Task.state.in_(OPEN_TASK_STATES), Task.limit_working_days.is_not(None),
        Task.due_at >= now, Task.due_at <= until), Task.region, region).order_by(Task.due_at)))


def escalations(session, region, level=None, department=None, acknowledged=None) -> list[Escalation]:
    stmt = _in_region(select(Escalation), Escalation.region, region)
    if level:
        stmt = stmt.where(Escalation.level == level)
    if department:
        stmt = stmt.where(Escalation.department == department)
    if acknowledged is not None:
        stmt = stmt.where(Escalation.acknowledged_at.is_not(None) if acknowledged
                          else Escalation.acknowledged_at.is_(None))
    return list(session.scalars(stmt.order_by(Escalation.fired_at.desc(), Escalation.id.desc()).limit(1000)))


def acknowledge(ctx, escalation_id: int, username: str, region: str | None) -> Escalation:
    row = ctx.session.get(Escalation, escalation_id)
    if row is None or (region is not None and row.region != region):
        raise NotFound("督办记录不存在", field="id")
    if row.acknowledged_at is not None:
        raise InvalidTransition("该督办已签收", field="id")
    row.acknowledged_at, row.acknowledged_by = ctx.now(), username
    timeline.audit(ctx, username, "escalation_acknowledged", row.case_id, row.task_id,
                   {"escalation": row.id, "level": row.level})
    ctx.session.commit()
    return row


def escalation_row(row: Escalation) -> dict:
    return {"id": row.id, "subject": row.subject, "level": row.level,
            "label": LEVEL_LABELS[EscalationLevel(row.level)], "case_id": row.case_id, "task_id": row.task_id,
            "region": row.region, "department": row.department, "item": row.item, "due_at": row.due_at,
            **deadline_label(row.deadline_kind), "fired_at": row.fired_at, "acknowledged_at": row.acknowledged_at,
            "acknowledged_by": row.acknowledged_by}


def deadline_label(kind: str | None) -> dict:
    """A deadline's kind and its label for staff: 承诺时限 (told to the family) or 内部督办时限 (internal)."""
    return {"deadline_kind": kind, "deadline_label": DeadlineKind(kind).label if kind else None}


def stats(session, calendar, now: datetime, region: str | None) -> list[dict]:
    """Per region, department and item: open, done, on-time rate, median / p90 working days, overdue now."""
    groups = defaultdict(lambda: {"open": 0, "done": 0, "on_time": 0, "overdue_now": 0, "days": []})
    # the columns it needs, not whole rows; kind, groups and lane only for rows 0002 left without a department
    tasks = session.execute(_in_region(select(*STATS_COLUMNS).where(
        Task.item.is_not(None), Task.state != TaskState.CANCELLED.value), Task.region, region))
    for task in tasks:
        group = groups[(task.region, department_of(task), task.item)]
        if task.state in OPEN_TASK_STATES:
            group["open"] += 1
            group["overdue_now"] += bool(task.due_at and task.limit_working_days and task.due_at < now)
        elif task.completed_at:
            group["done"] += 1
            group["on_time"] += bool(task.due_at is None or task.completed_at <= task.due_at)
            group["days"].append(calendar.working_days_between(task.created_at.date(), task.completed_at.date()))
    return [{"region": r, "department": d, "item": i, "open": g["open"], "done": g["done"],
             "on_time_rate": round(g["on_time"] / g["done"], 4) if g["done"] else None,
             "median_working_days": _percentile(g["days"], 0.5),
             "p90_working_days": _percentile(g["days"], 0.9), "overdue_now": g["overdue_now"]}
            for (r, d, i), g in sorted(groups.items(), key=lambda kv: tuple(str(x) for x in kv[0]))]


def _percentile(values: list[int], q: float):
    """Nearest-rank percentile (a value that occurred)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, -(-int(q * 100) * len(ordered) // 100) - 1))]
