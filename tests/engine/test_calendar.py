"""The working-day calendar on real dates (holidays and 调休), operator files and the fallback."""
import json
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import pytest

from engine.deadlines.calendar import CalendarDataError, WorkingCalendar, load_operator_files, parse_year_file
from engine.deadlines.sla import deadline_after

pytestmark = pytest.mark.no_db
FIXTURES = Path(__file__).parent / "data" / "calendar"
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("start, days, expected", [
    (date(2025, 9, 28), 6, date(2025, 10, 13)),    # National Day + Mid-Autumn, 9-28 and 10-11 worked
    (date(2025, 12, 30), 2, date(2026, 1, 4)),     # New Year 2026, Sunday 1-4 worked
    (date(2026, 9, 30), 1, date(2026, 10, 8)),     # National Day 2026
    (date(2025, 9, 26), 33, date(2025, 11, 18)),   # Qinbei's whole promise
    (date(2025, 9, 29), 0, date(2025, 9, 29)),
])
def test_add_working_days_on_real_dates(start, days, expected):
    result = WorkingCalendar().add_working_days(start, days)
    assert result.date == expected and result.fallback is False


def test_statutory_days_off_and_worked_weekends():
    calendar = WorkingCalendar()
    assert calendar.is_working_day(date(2026, 9, 27)) == (False, False)
    assert calendar.is_working_day(date(2025, 9, 28)) == (True, False)   # a worked Sunday
    assert calendar.is_working_day(date(2025, 10, 8)) == (False, False)
    assert calendar.working_days_between(date(2025, 9, 30), date(2025, 10, 9)) == 1


def test_deadline_is_end_of_the_nth_working_day_plus_paused_days():
    calendar = WorkingCalendar()
    due, fallback = deadline_after(calendar, datetime(2025, 9, 26, 15, 30), 33)
    assert due == datetime(2025, 11, 18, 23, 59, 59) and not fallback
    paused, _ = deadline_after(calendar, datetime(2025, 9, 26, 15, 30), 33, 3)
    assert paused == datetime(2025, 11, 21, 23, 59, 59)


def test_2027_without_data_falls_back_with_a_flag_and_a_warning(caplog):
    calendar = WorkingCalendar()
    result = calendar.add_working_days(date(2026, 12, 31), 1)
    assert result == type(result)(date(2027, 1, 1), True)   # a Friday, worked by the fallback
    calendar.add_working_days(date(2027, 3, 1), 3)
    assert [w["year"] for w in calendar.warnings()] == [2027]
    assert sum("2027" in r.getMessage() for r in caplog.records) == 1   # logged once per year


def test_2027_from_an_operator_file():
    calendar = WorkingCalendar(load_operator_files(directory=FIXTURES))
    assert calendar.add_working_days(date(2026, 12, 31), 1).date == date(2027, 1, 4)
    assert calendar.add_working_days(date(2027, 2, 5), 1) == type(calendar.add_working_days(date(2027, 2, 5), 1))(
        date(2027, 2, 6), False)                              # worked Saturday
    assert calendar.add_working_days(date(2027, 2, 6), 1).date == date(2027, 2, 15)
    assert calendar.warnings() == []
    year = calendar.year(2027)
    assert year["source"] == "operator" and not year["fallback"]
    assert "2027-02-08" in year["holidays"] and year["adjusted_working_days"] == ["2027-02-06", "2027-02-20"]


def test_env_selects_the_operator_file(monkeypatch):
    monkeypatch.setenv("WORKDAY_CALENDAR_FILE", str(FIXTURES / "2027.json"))
    assert WorkingCalendar.from_env().is_working_day(date(2027, 2, 8)) == (False, False)
    monkeypatch.delenv("WORKDAY_CALENDAR_FILE")
    monkeypatch.setenv("WORKDAY_CALENDAR_DIR", str(FIXTURES.parent))  # holds no YYYY.json
    assert WorkingCalendar.from_env().is_working_day(date(2027, 2, 8)) == (True, True)


def test_bad_operator_file_is_rejected_with_every_problem(tmp_path):
    bad = tmp_path / "2027.json"
    bad.write_text(json.dumps({"year": 2027, "holidays": ["2027-02-08", "2028-01-01", "nope"],
                               "workdays": ["2027-02-08", "2027-02-10"]}), "utf-8")
    with pytest.raises(CalendarDataError) as error:
        parse_year_file(bad)
    message = str(error.value)
    for fragment in ("2028-01-01", "nope", "同时是节假日和调休工作日", "2027-02-10 不是周末"):
        assert fragment in message


def test_cli_prints_a_year_and_checks_files(tmp_path):
    run = lambda *a: subprocess.run([sys.executable, "-m", "engine", "calendar", *a], cwd=ROOT,  # noqa: E731
                                    capture_output=True, text=True, timeout=60)
    printed = run("2025")
    assert printed.returncode == 0 and "2025-10-08" in printed.stdout and "2025-09-28" in printed.stdout
    assert run("check", str(FIXTURES / "2027.json")).returncode == 0
    (tmp_path / "bad.json").write_text('{"year": 2027, "workdays": ["2027-02-10"]}')
    assert run("check", str(tmp_path / "bad.json")).returncode == 1
    assert run("check", str(ROOT / "engine/deadlines/data/calendar/2027.example.json")).returncode == 0
