"""Queries behind 电子监察: overdue, due soon, escalations, statistics (no Flask here)."""
from collections import Counter, defaultdict
from datetime import datetime, timedelta

from sqlalchemy import select

from engine.notify import timeline
from engine.errors import InvalidTransition, NotFound
from engine.deadlines.escalation import LEVEL_LABELS, department_of
from engine.deadlines.recompute import fallback_counts
from engine.store.models import Case, Escalation, Task
from engine.deadlines.sla import END_OF_DAY
from engine.scope import in_region
from engine.states import CaseStatus, DeadlineKind, EscalationLevel, OPEN_TASK_STATES, TaskKind, TaskState

__all__ = ["department_of", "deadline_label", "fallback_counts", "overdue", "due_soon", "escalations",
           "acknowledge", "stats", "board", "escalation_row", "is_overdue"]
ESCALATING = [CaseStatus.REVIEW.value, CaseStatus.IN_PROGRESS.value]
STATS_COLUMNS = (Task.region, Task.department, Task.item, Task.state, Task.due_at, Task.limit_working_days,
                 Task.created_at, Task.completed_at, Task.kind, Task.candidate_groups, Task.lane)


def _in_region(stmt, column, region):
    return stmt.where(in_region(column, region))


def is_overdue(task, now: datetime) -> bool:
    """Open and past its due time: its own limit's, or the case's promise it inherits (受理审核). The
    red light of stats, the board and the heat map; ``overdue`` lists the latter under its case."""
    return bool(task.state in OPEN_TASK_STATES and task.due_at and task.due_at < now)


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


def _figure_rows(session, region: str | None):
    """The one query behind stats and the board: tasks of an item or a clerk's, never cancelled; only
    the columns needed (kind, groups and lane for rows 0002 left without a department)."""
    return session.execute(_in_region(select(*STATS_COLUMNS).where(
        Task.item.is_not(None) | (Task.kind == TaskKind.USER.value), Task.state != TaskState.CANCELLED.value),
        Task.region, region)).all()


def _tally(rows, calendar, now: datetime) -> dict:
    groups = defaultdict(lambda: {"open": 0, "done": 0, "on_time": 0, "overdue_now": 0, "days": []})
    for task in rows:
        group = groups[(task.region, department_of(task), task.item)]
        if task.state in OPEN_TASK_STATES:
            group["open"] += 1
            group["overdue_now"] += is_overdue(task, now)
        elif task.completed_at:
            group["done"] += 1
            group["on_time"] += bool(task.due_at is None or task.completed_at <= task.due_at)
            group["days"].append(calendar.working_days_between(task.created_at.date(), task.completed_at.date()))
    return groups


def stats(session, calendar, now: datetime, region: str | None) -> list[dict]:
    """Per region, department and item (``item`` null: a clerk's task for the whole case, e.g. 受理审核):
    open, done, on-time rate, median / p90 working days, overdue now."""
    groups = _tally(_figure_rows(session, region), calendar, now)
    return [{"region": r, "department": d, "item": i, "open": g["open"], "done": g["done"],
             "on_time_rate": round(g["on_time"] / g["done"], 4) if g["done"] else None,
             "median_working_days": _percentile(g["days"], 0.5),
             "p90_working_days": _percentile(g["days"], 0.9), "overdue_now": g["overdue_now"]}
            for (r, d, i), g in sorted(groups.items(), key=lambda kv: tuple(str(x) for x in kv[0]))]


def board(session, calendar, now: datetime, region: str | None, history_days: int) -> dict:
    """The supervisor board's charts from the rows ``stats`` counts (so their figures agree): per
    department and per item (open, overdue, done, on-time rate), and open / overdue on each past day."""
    rows = _figure_rows(session, region)
    groups = _tally(rows, calendar, now)
    history = []
    for back in range(history_days - 1, -1, -1):
        moment = now - timedelta(days=back)
        open_then = [t for t in rows if _open_at(t, moment)]
        history.append({"date": moment.date(), "open": len(open_then),
                        "overdue": sum(bool(t.due_at and t.due_at < moment) for t in open_then)})
    return {"by_department": _breakdown(groups, lambda key: key[1]),
            "by_item": _breakdown(groups, lambda key: key[2]), "history": history}


def _open_at(task, moment: datetime) -> bool:
    if task.created_at > moment:
        return False
    return task.completed_at > moment if task.completed_at else task.state in OPEN_TASK_STATES


def _breakdown(groups: dict, code_of) -> list[dict]:
    """Sum the tallies by one part of their key; rows without that part (no item) are left out."""
    sums: dict[str, Counter] = defaultdict(Counter)
    for key, group in groups.items():
        if code_of(key) is not None:
            sums[code_of(key)].update({k: group[k] for k in ("open", "overdue_now", "done", "on_time")})
    return [{"code": code, "open": c["open"], "overdue": c["overdue_now"], "done": c["done"],
             "on_time_rate": round(c["on_time"] / c["done"], 3) if c["done"] else None}
            for code, c in sorted(sums.items())]


def _percentile(values: list[int], q: float):
    """Nearest-rank percentile (a value that occurred)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, -(-int(q * 100) * len(ordered) // 100) - 1))]
