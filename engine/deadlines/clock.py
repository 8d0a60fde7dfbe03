"""Time as an injected dependency, so tests and the simulation run on a virtual clock."""
from datetime import datetime, timedelta, timezone
from typing import Protocol

# Deadlines are civil dates in China: stored naive, in China Standard Time.
CHINA = timezone(timedelta(hours=8))


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(CHINA).replace(tzinfo=None, microsecond=0)


class VirtualClock:
    """A clock that only moves when told to."""

    def __init__(self, start: datetime):
        self._now = start

    def now(self) -> datetime:
        return self._now

    def advance(self, **delta) -> datetime:
        self._now += timedelta(**delta)
        return self._now

    def set(self, moment: datetime) -> None:
        self._now = moment
