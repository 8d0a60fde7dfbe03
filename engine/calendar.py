"""China working-day calendar (statutory holidays and 调休 working weekends).

Years covered by ``chinese_calendar`` come from it; later years from an operator data
file; a year with neither falls back to Monday-Friday and says so (``fallback=True``).
"""
from dataclasses import dataclass
from datetime import date, timedelta

import chinese_calendar


@dataclass(frozen=True)
class WorkingDate:
    date: date
    fallback: bool


class WorkingCalendar:
    def is_working_day(self, day: date) -> tuple[bool, bool]:
        """(is a working day, answered by the weekends-only fallback)."""
        try:
            return chinese_calendar.is_workday(day), False
        except NotImplementedError:
            return day.weekday() < 5, True

    def add_working_days(self, start: date, days: int) -> WorkingDate:
        """The ``days``-th working day after ``start`` (``start`` itself never counts)."""
        day, fallback, counted = start, False, 0
        while counted < days:
            day += timedelta(days=1)
            working, fell_back = self.is_working_day(day)
            fallback |= fell_back
            counted += working
        return WorkingDate(day, fallback)

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]."""
        count, day = 0, start
        while day < end:
            day += timedelta(days=1)
            count += self.is_working_day(day)[0]
        return count


_default = WorkingCalendar()


def default_calendar() -> WorkingCalendar:
    return _default
