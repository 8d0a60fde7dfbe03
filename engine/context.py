"""What every engine operation is given: a session, a clock, a calendar, listeners."""
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from engine.deadlines.calendar import WorkingCalendar, default_calendar
from engine.deadlines.clock import Clock, SystemClock


@dataclass
class EngineContext:
    session: Session
    clock: Clock = field(default_factory=SystemClock)
    calendar: WorkingCalendar = field(default_factory=default_calendar)
    listeners: list = field(default_factory=list)  # objects with after_commit(ctx, changes)

    def now(self):
        return self.clock.now()
