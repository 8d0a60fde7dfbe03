"""The deadline rule, used everywhere.

Counting starts the working day after the start; the deadline is the end (23:59:59) of
the N-th working day; working days the case's clock stood still (补正, or a family task such as
河北's trip to collect the 户口页) are added back.

Two kinds of limit (bpmn/README.md "Promises and internal targets"): a promise (承诺时限, a limit the
seed states: ``limitWorkingDays`` on a task, ``promiseWorkingDays`` on the process) and an internal
target (内部督办时限, ``targetWorkingDays``, set by the region's operator, for staff only).
"""
from datetime import datetime, time

from engine.deadlines.calendar import WorkingCalendar
from engine.states import DeadlineKind, is_promise  # noqa: F401 (re-exported)

END_OF_DAY = time(23, 59, 59)
TASK_PROMISE, CASE_PROMISE, TARGET = "limitWorkingDays", "promiseWorkingDays", "targetWorkingDays"


def deadline_after(calendar: WorkingCalendar, start: datetime, working_days: int,
                   paused_working_days: int = 0) -> tuple[datetime, bool]:
    """(deadline, computed with the weekends-only fallback)."""
    result = calendar.add_working_days(start.date(), working_days + paused_working_days)
    return datetime.combine(result.date, END_OF_DAY), result.fallback


def working_days(value) -> int | None:
    """A property's positive whole number of working days, else None."""
    text = str(value or "").strip()
    return int(text) if text.isdigit() and int(text) > 0 else None


def limit_of(props: dict, promise_name: str) -> tuple[int | None, str | None]:
    """(working days, DeadlineKind value) the properties set: the stated promise ``promise_name`` wins
    over the internal target ``targetWorkingDays``; (None, None) when neither is set."""
    promise, target = working_days((props or {}).get(promise_name)), working_days((props or {}).get(TARGET))
    if promise:
        return promise, DeadlineKind.PROMISE.value
    if target:
        return target, DeadlineKind.TARGET.value
    return None, None


def case_limit(case) -> int | None:
    """The working days behind the case's deadline: its promise, else its internal target."""
    return case.promise_working_days if is_promise(case.deadline_kind) else case.target_working_days


def pause_promise(case, now: datetime) -> bool:
    """Stop the case's promise clock while the family owes something; False if it was stopped already.

    The caller holds the case row (a step's lock) and records the timeline entry.
    """
    if case.paused_at is not None:
        return False
    case.paused_at = now
    return True


def resume_promise(calendar: WorkingCalendar, case, now: datetime) -> int | None:
    """Restart a stopped clock: the working days it stood still are added to the case's deadline
    (its promise, else its internal target).

    Returns those days, or None if the clock was running. The caller holds the case row.
    """
    if case.paused_at is None:
        return None
    paused = calendar.working_days_between(case.paused_at.date(), now.date())
    case.paused_working_days = (case.paused_working_days or 0) + paused
    case.paused_at = None
    limit = case_limit(case)
    if limit:
        case.deadline, case.deadline_fallback = deadline_after(
            calendar, case.submitted_at, limit, case.paused_working_days)
    return paused
