"""New open deadlines when the calendar grows (an operator loads a year's holiday data).

Deadlines past the calendar's data are computed on the weekends-only fallback and flagged
(``cases.deadline_fallback``, ``tasks.due_fallback``). After a year is loaded, ``recompute_fallback`` computes
every open flagged deadline again with the same rule as when it was set (``sla.deadline_after`` from the
case's submission or the task's creation, adding the working days paused in 补正), and the flag follows the
new answer. The escalation timers follow the rows: the scheduler's reconcile moves each job whose time changed.
"""
from dataclasses import dataclass, field

from sqlalchemy import func, select

from engine.deadlines import escalation
from engine.deadlines.calendar import parse_year_data, save_year_file
from engine.deadlines.sla import case_limit, deadline_after
from engine.store.models import Case, CaseItem, Task
from engine.states import CaseStatus, OPEN_TASK_STATES, is_promise

OPEN_CASES = [s.value for s in CaseStatus if s.is_open]


@dataclass
class Recomputed:
    cases: list[str] = field(default_factory=list)  # ids whose deadline changed or lost the flag
    tasks: list[str] = field(default_factory=list)
    still_fallback: int = 0                         # open deadlines the calendar still cannot answer


def recompute_fallback(session, calendar) -> Recomputed:
    """Recompute every open deadline flagged as fallback with what ``calendar`` knows now, and commit.
    Case rows are locked (PostgreSQL) for the change; a step racing it gets the usual conflict."""
    escalation.clear_plans()  # plans cached on the old answers
    done = Recomputed()
    cases = {c.id: c for c in session.scalars(select(Case).where(
        Case.status.in_(OPEN_CASES), Case.deadline_fallback.is_(True)).with_for_update())}
    for case in cases.values():
        limit = case_limit(case)
        if limit:
            case.deadline, case.deadline_fallback = deadline_after(
                calendar, case.submitted_at, limit, case.paused_working_days)
            done.cases.append(case.id)
    tasks = session.scalars(select(Task).where(Task.state.in_(OPEN_TASK_STATES), Task.due_fallback.is_(True))).all()
    for task in tasks:
        old = task.due_at
        if task.limit_working_days:
            task.due_at, task.due_fallback = deadline_after(calendar, task.created_at, task.limit_working_days)
        else:  # the task inherits its case's deadline
            case = cases.get(task.case_id) or session.get(Case, task.case_id)
            task.due_at, task.due_fallback = case.deadline, case.deadline_fallback
        _move_item_deadline(session, task, old)
        done.tasks.append(task.id)
    session.flush()
    done.still_fallback = sum(fallback_counts(session, None).values())
    session.commit()
    return done


def _move_item_deadline(session, task: Task, old) -> None:
    """An item's deadline shown to the family is its promised task's: it moves with it."""
    if not (task.item and task.limit_working_days and is_promise(task.deadline_kind)):
        return
    item = session.scalars(select(CaseItem).where(CaseItem.case_id == task.case_id, CaseItem.item == task.item,
                                                  CaseItem.deadline == old)).first()
    if item is not None:
        item.deadline = task.due_at


def fallback_counts(session, region: str | None) -> dict:
    """Open deadlines that still rest on the weekends-only fallback: {"cases": n, "tasks": m}."""
    cases = select(func.count()).select_from(Case).where(Case.status.in_(OPEN_CASES), Case.deadline_fallback.is_(True))
    tasks = select(func.count()).select_from(Task).where(Task.state.in_(OPEN_TASK_STATES), Task.due_fallback.is_(True))
    if region is not None:
        cases, tasks = cases.where(Case.region == region), tasks.where(Task.region == region)
    return {"cases": session.scalar(cases), "tasks": session.scalar(tasks)}


def load_year(session, calendar, raw: dict, directory=None) -> tuple:
    """An operator loads a year's holiday data: validate ``raw`` (``CalendarDataError`` listing every
    problem, nothing changed), save it as ``<directory>/<year>.json``, teach ``calendar`` and recompute
    every open fallback deadline (committed). Returns (YearData, Recomputed, saved path)."""
    data = parse_year_data(raw, "calendar")
    path = save_year_file(data, raw, directory)
    calendar.add_year(data)
    return data, recompute_fallback(session, calendar), path
