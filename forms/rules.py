"""The declarative rule vocabulary of eligibility.json: a rule is a JSON object, never code.

Every rule answers True, False or None. None means "cannot be judged": a field it needs is
missing or failed validation. A condition fails only on False, so one bad field never hides
the conditions that can still be judged.
"""
import calendar
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Callable

AddWorkingDays = Callable[[date, int], date]


class RuleError(ValueError):
    """A rule in a region file is malformed."""


class _Invalid:
    """Marks a field that was given but failed validation."""


INVALID = _Invalid()


@dataclass
class Context:
    data: dict
    items: list[str]
    today: date
    add_working_days: AddWorkingDays | None = None
    invalid: set[str] = field(default_factory=set)

    def get(self, path: str):
        if any(path == bad or path.startswith(bad + ".") for bad in self.invalid):
            return INVALID
        value = self.data
        for part in path.split("."):
            if not isinstance(value, dict):
                return None
            value = value.get(part)
        return value


def _known(value) -> bool:
    return value is not None and value is not INVALID


def _values(ctx: Context, fields: list[str]) -> list | None:
    values = [ctx.get(name) for name in fields]
    return values if all(_known(v) for v in values) else None


def _compare(test):
    def rule(ctx: Context, spec: dict):
        value = ctx.get(spec["field"])
        return test(value, spec) if _known(value) else None
    return rule


def _present(ctx: Context, spec: dict):
    value = ctx.get(spec["field"])
    if value is INVALID:
        return None
    return value not in (None, "", [])


def _startswith_each(ctx: Context, spec: dict) -> list:
    results = []
    for name in spec["fields"]:
        value = ctx.get(name)
        results.append(str(value).startswith(spec["prefix"]) if _known(value) else None)
    return results


def _any_startswith(ctx: Context, spec: dict):
    results = _startswith_each(ctx, spec)
    return True if True in results else (None if None in results else False)


def _all_startswith(ctx: Context, spec: dict):
    results = _startswith_each(ctx, spec)
    return False if False in results else (None if None in results else True)


def _same(ctx: Context, spec: dict):
    values = _values(ctx, spec["fields"])
    return None if values is None else len(set(values)) == 1


def _differ(ctx: Context, spec: dict):
    same = _same(ctx, spec)
    return None if same is None else not same


COMPOUND_SURNAMES = ("欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙",
                     "宇文", "司徒", "夏侯", "轩辕", "令狐", "端木", "独孤", "南宫", "西门", "呼延")


def surname(name: str) -> str:
    return name[:2] if name[:2] in COMPOUND_SURNAMES else name[:1]


def _surname_in_parents(ctx: Context, spec: dict):
    child = ctx.get(spec["field"])
    parents = _values(ctx, spec["parents"])
    if not _known(child) or not child or parents is None:
        return None
    return any(child.startswith(surname(parent)) for parent in parents if parent)


def _add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def deadline(start: date, amount: int, unit: str, add_working_days: AddWorkingDays | None) -> date:
    if unit == "calendar":
        return start + timedelta(days=amount)
    if unit == "working":
        if add_working_days is None:
            raise RuleError("working-day rule needs the calendar callable")
        return add_working_days(start, amount)
    if unit == "months":
        return _add_months(start, amount)
    if unit == "years":
        return _add_months(start, 12 * amount)
    raise RuleError(f"unknown unit {unit!r}")


def _within_period(ctx: Context, spec: dict):
    start = ctx.get(spec["field"])
    if not _known(start):
        return None
    start = start.date() if isinstance(start, datetime) else start
    return ctx.today <= deadline(start, spec["amount"], spec["unit"], ctx.add_working_days)


def _items_any(ctx: Context, spec: dict):
    return any(item in ctx.items for item in spec["items"])


def _all(ctx: Context, spec: dict):
    results = [evaluate(ctx, rule) for rule in spec["rules"]]
    return False if False in results else (None if None in results else True)


def _any(ctx: Context, spec: dict):
    results = [evaluate(ctx, rule) for rule in spec["rules"]]
    return True if True in results else (None if None in results else False)


def _not(ctx: Context, spec: dict):
    result = evaluate(ctx, spec["of"])
    return None if result is None else not result


RULES: dict[str, tuple[Callable, tuple[str, ...]]] = {
    "equals": (_compare(lambda v, s: v == s["value"]), ("field", "value")),
    "not_equals": (_compare(lambda v, s: v != s["value"]), ("field", "value")),
    "in": (_compare(lambda v, s: v in s["values"]), ("field", "values")),
    "not_in": (_compare(lambda v, s: v not in s["values"]), ("field", "values")),
    "true": (_compare(lambda v, s: v is True), ("field",)),
    "not_true": (_compare(lambda v, s: v is not True), ("field",)),
    "present": (_present, ("field",)),
    "startswith": (_compare(lambda v, s: str(v).startswith(s["prefix"])), ("field", "prefix")),
    "any_startswith": (_any_startswith, ("fields", "prefix")),
    "all_startswith": (_all_startswith, ("fields", "prefix")),
    "same": (_same, ("fields",)),
    "differ": (_differ, ("fields",)),
    "surname_in_parents": (_surname_in_parents, ("field", "parents")),
    "within_period": (_within_period, ("field", "amount", "unit")),
    "items_any": (_items_any, ("items",)),
    "all": (_all, ("rules",)),
    "any": (_any, ("rules",)),
    "not": (_not, ("of",)),
}
UNITS = ("calendar", "working", "months", "years")


def check_rule(spec: dict) -> None:
    """Raise RuleError unless ``spec`` uses the vocabulary correctly (done once, at load)."""
    if not isinstance(spec, dict) or spec.get("rule") not in RULES:
        raise RuleError(f"unknown rule: {spec!r}")
    missing = [key for key in RULES[spec["rule"]][1] if key not in spec]
    if missing:
        raise RuleError(f"rule {spec['rule']} lacks {missing}")
    if spec["rule"] == "within_period" and spec["unit"] not in UNITS:
        raise RuleError(f"unit must be one of {UNITS}")
    for inner in spec.get("rules", []) + ([spec["of"]] if "of" in spec else []):
        check_rule(inner)


def evaluate(ctx: Context, spec: dict):
    return RULES[spec["rule"]][0](ctx, spec)
