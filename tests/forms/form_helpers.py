"""Shared helpers for the forms tests."""
from datetime import date, timedelta
from pathlib import Path

import chinese_calendar

ROOT = Path(__file__).resolve().parents[2]
REGIONS = ["cq-jiangjin", "sc-dazhou-tongchuan", "gx-qinzhou-qinbei", "sc-province", "he-province"]
TODAY = date(2025, 10, 10)  # the example births are on 2025-09-26


def add_working_days(start: date, days: int) -> date:
    """The China calendar (statutory holidays and 调休 working weekends), as the engine provides it."""
    day = start
    while days > 0:
        day += timedelta(days=1)
        if chinese_calendar.is_workday(day):
            days -= 1
    return day


def all_items(region_form) -> list[str]:
    return [item["code"] for item in region_form.items]


def codes(problems) -> set[str]:
    return {p["code"] for p in problems}
