"""China working-day calendar (statutory holidays and 调休 working weekends).

Years covered by ``chinese_calendar`` come from it; later years from an operator data
file (``<year>.json`` in ``WORKDAY_CALENDAR_DIR``, or one file named by
``WORKDAY_CALENDAR_FILE``); a year with neither falls back to Monday-Friday and says so
(``fallback=True`` on every answer, a warning logged once per year and listed by
``warnings()`` for the supervision API).
"""
import json
import logging
import os
import re
import threading
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import chinese_calendar

log = logging.getLogger(__name__)
DEFAULT_DIR = Path(__file__).parent / "data" / "calendar"
YEAR_FILE = re.compile(r"^(\d{4})\.json$")


@dataclass(frozen=True)
class WorkingDate:
    date: date
    fallback: bool


@dataclass(frozen=True)
class YearData:
    """One year from an operator file: statutory holidays and adjusted (调休) working days."""
    year: int
    holidays: frozenset
    workdays: frozenset
    source: str = ""
    names: dict = field(default_factory=dict)


class CalendarDataError(ValueError):
    pass


def parse_year_file(path: Path) -> YearData:
    """Load and validate; raise ``CalendarDataError`` listing every problem."""
    try:
        data = json.loads(Path(path).read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise CalendarDataError(f"{path}: 无法读取 JSON：{exc}") from None
    return parse_year_data(data, str(path))


def parse_year_data(data, path: str = "calendar") -> YearData:
    """Validate one year's data (the file's JSON); raise ``CalendarDataError`` listing every problem."""
    problems, year = [], data.get("year") if isinstance(data, dict) else None
    if not isinstance(year, int) or not 2000 <= year <= 2100:
        raise CalendarDataError(f"{path}: 缺少有效的 year（整数）")
    names, holidays = {}, set()
    for entry in data.get("holidays", []):
        day, name = (entry.get("date"), entry.get("name", "")) if isinstance(entry, dict) else (entry, "")
        parsed = _day(day, year, "holidays", problems)
        if parsed:
            holidays.add(parsed)
            names[parsed] = name
    workdays = {d for d in (_day(x, year, "workdays", problems) for x in data.get("workdays", [])) if d}
    problems += [f"{d} 同时是节假日和调休工作日" for d in sorted(holidays & workdays)]
    problems += [f"调休工作日 {d} 不是周末" for d in sorted(workdays) if d.weekday() < 5]
    if problems:
        raise CalendarDataError(f"{path}: " + "；".join(problems))
    return YearData(year, frozenset(holidays), frozenset(workdays), str(data.get("source", "")), names)


def _day(value, year: int, field_name: str, problems: list) -> date | None:
    try:
        parsed = date.fromisoformat(str(value))
    except ValueError:
        problems.append(f"{field_name} 中的日期无效：{value!r}")
        return None
    if parsed.year != year:
        problems.append(f"{field_name} 中的 {parsed} 不在 {year} 年")
        return None
    return parsed


def load_operator_files(directory: Path | None = None, file: Path | None = None) -> dict[int, YearData]:
    years = {}
    paths = [Path(file)] if file else sorted(p for p in Path(directory).glob("*.json")
                                              if YEAR_FILE.match(p.name)) if directory and Path(directory).is_dir() else []
    for path in paths:
        data = parse_year_file(path)
        years[data.year] = data
    return years


class WorkingCalendar:
    def __init__(self, operator_years: dict[int, YearData] | None = None):
        self.operator_years = dict(operator_years or {})
        self._fallback_years: set[int] = set()
        self._lock = threading.Lock()
        self._cache: dict[date, tuple[bool, bool]] = {}

    @classmethod
    def from_env(cls) -> "WorkingCalendar":
        file = os.environ.get("WORKDAY_CALENDAR_FILE")
        directory = Path(os.environ.get("WORKDAY_CALENDAR_DIR", DEFAULT_DIR))
        return cls(load_operator_files(directory=directory, file=Path(file) if file else None))

    def add_year(self, data: YearData) -> None:
        """Take (or replace) an operator year: answers for that year change from now on, off the fallback."""
        with self._lock:
            self.operator_years[data.year] = data
            self._fallback_years.discard(data.year)
            self._cache = {day: answer for day, answer in self._cache.items() if day.year != data.year}

    def refresh(self, directory: Path | None = None) -> list[int]:
        """Take the operator files that appeared or changed in ``directory`` (default: the environment's)
        since this calendar was built; returns the years taken. A bad file raises ``CalendarDataError``."""
        file = os.environ.get("WORKDAY_CALENDAR_FILE")
        found = load_operator_files(directory=Path(directory or os.environ.get("WORKDAY_CALENDAR_DIR", DEFAULT_DIR)),
                                    file=Path(file) if file and directory is None else None)
        taken = [year for year, data in sorted(found.items()) if self.operator_years.get(year) != data]
        for year in taken:
            self.add_year(found[year])
        return taken

    def source_of(self, year: int) -> str:
        if year in self.operator_years:
            return "operator"
        try:
            chinese_calendar.is_workday(date(year, 6, 1))
            return "chinese_calendar"
        except NotImplementedError:
            return "fallback"

    def is_working_day(self, day: date) -> tuple[bool, bool]:
        """(is a working day, answered by the weekends-only fallback)."""
        cached = self._cache.get(day)
        if cached is None:
            cached = self._cache[day] = self._lookup(day)
        return cached

    def _lookup(self, day: date) -> tuple[bool, bool]:
        data = self.operator_years.get(day.year)
        if data is not None:
            if day in data.holidays:
                return False, False
            return day in data.workdays or day.weekday() < 5, False
        try:
            return chinese_calendar.is_workday(day), False
        except NotImplementedError:
            self._note_fallback(day.year)
            return day.weekday() < 5, True

    def _note_fallback(self, year: int) -> None:
        with self._lock:
            if year in self._fallback_years:
                return
            self._fallback_years.add(year)
        log.warning("工作日历缺少 %s 年的法定节假日数据，按周一至周五计算（fallback）；"
                    "请在 WORKDAY_CALENDAR_DIR 中提供 %s.json", year, year)

    def warnings(self) -> list[dict]:
        """Years answered by the fallback so far, for the supervision API."""
        return [{"year": y, "code": "calendar_fallback",
                 "message": f"{y} 年缺少节假日数据，期限按周一至周五推算，可能不准确"}
                for y in sorted(self._fallback_years)]

    def add_working_days(self, start: date, days: int) -> WorkingDate:
        """The ``days``-th working day after ``start`` (``start`` itself never counts)."""
        day, fallback, counted = start, False, 0
        while counted < days:
            day += timedelta(days=1)
            working, fell_back = self.is_working_day(day)
            fallback |= fell_back
            counted += working
        return WorkingDate(day, fallback)

    def subtract_working_days(self, start: date, days: int) -> WorkingDate:
        """The ``days``-th working day before ``start`` (``start`` itself never counts)."""
        day, fallback, counted = start, False, 0
        while counted < days:
            day -= timedelta(days=1)
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

    def year(self, year: int) -> dict:
        """A year's holidays and adjusted working days (weekend days that are worked)."""
        day, holidays, workdays, fallback = date(year, 1, 1), [], [], False
        while day.year == year:
            working, fell_back = self.is_working_day(day)
            fallback |= fell_back
            if not working and day.weekday() < 5:
                holidays.append(day)
            elif working and day.weekday() >= 5:
                workdays.append(day)
            day += timedelta(days=1)
        return {"year": year, "source": self.source_of(year), "fallback": fallback,
                "holidays": [d.isoformat() for d in holidays],
                "adjusted_working_days": [d.isoformat() for d in workdays],
                "working_day_count": self.working_days_between(date(year - 1, 12, 31), date(year, 12, 31))}


_default: WorkingCalendar | None = None


def save_year_file(data: YearData, raw: dict, directory: Path | None = None) -> Path:
    """Write a validated year as ``<directory>/<year>.json`` (default: the environment's operator directory),
    so every process that starts later, or ``refresh``es, knows it."""
    target = Path(directory or os.environ.get("WORKDAY_CALENDAR_DIR", DEFAULT_DIR))
    target.mkdir(parents=True, exist_ok=True)
    path = target / f"{data.year}.json"
    path.write_text(json.dumps(raw, ensure_ascii=False, indent=2) + "\n", "utf-8")
    return path


def default_calendar() -> WorkingCalendar:
    """The process-wide calendar, built from the environment on first use."""
    global _default
    if _default is None:
        _default = WorkingCalendar.from_env()
    return _default
