"""The deadline rule, used everywhere.

Counting starts the working day after the start; the deadline is the end (23:59:59) of
the N-th working day; working days spent paused in 补正 are added back.
"""
from datetime import datetime, time

from engine.deadlines.calendar import WorkingCalendar

END_OF_DAY = time(23, 59, 59)


def deadline_after(calendar: WorkingCalendar, start: datetime, working_days: int,
                   paused_working_days: int = 0) -> tuple[datetime, bool]:
    """(deadline, computed with the weekends-only fallback)."""
    result = calendar.add_working_days(start.date(), working_days + paused_working_days)
    return datetime.combine(result.date, END_OF_DAY), result.fallback
