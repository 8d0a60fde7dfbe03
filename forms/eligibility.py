"""受理条件 (conditions) and 申请材料 (materials) of one region, read from eligibility.json."""
from dataclasses import dataclass, field

from forms.problems import Problem
from forms.rules import Context, RuleError, check_rule, evaluate


@dataclass(frozen=True)
class Condition:
    code: str
    field: str
    message: str
    rule: dict
    items: tuple[str, ...] = ()  # applies only when one of these is chosen; () = always

    def applies(self, items: list[str]) -> bool:
        return not self.items or any(item in items for item in self.items)

    def failure(self, ctx: Context) -> Problem | None:
        if self.applies(ctx.items) and evaluate(ctx, self.rule) is False:
            return Problem(self.field, self.code, self.message)
        return None


@dataclass(frozen=True)
class Material:
    code: str
    name: str
    items: tuple[str, ...] = ()
    when: dict | None = None
    shared: bool = False  # the seed names a data-sharing check for it; the region's switch decides (below)
    note: str = ""
    provided_by: str | None = None  # a form field whose value shows the material; else attachments

    def applies(self, ctx: Context) -> bool:
        if self.items and not any(item in ctx.items for item in self.items):
            return False
        return self.when is None or evaluate(ctx, self.when) is True

    def provided(self, ctx: Context) -> bool:
        if self.provided_by:
            return ctx.get(self.provided_by) not in (None, "", False)
        attachments = ctx.data.get("attachments") or []
        return self.code in attachments

    def missing(self, ctx: Context, verified: frozenset = frozenset()) -> Problem | None:
        """The paper is asked for unless the region verifies it by data sharing (``verified``:
        the process property ``dataSharingVerifies``; default none, so the paper is asked for)."""
        if self.code in verified or not self.applies(ctx) or self.provided(ctx):
            return None
        return Problem(f"attachments.{self.code}", "material_missing", f"缺少材料：{self.name}")

    def describe(self, verified: frozenset = frozenset()) -> dict:
        """``shared``: verified by data sharing in this region, so the family need not submit it."""
        return {"code": self.code, "name": self.name, "shared": self.code in verified, "note": self.note,
                "conditional": self.when is not None}


@dataclass
class Eligibility:
    conditions: list[Condition] = field(default_factory=list)
    materials: list[Material] = field(default_factory=list)
    facts: dict[str, dict] = field(default_factory=dict)

    def failures(self, ctx: Context) -> list[Problem]:
        return [p for p in (c.failure(ctx) for c in self.conditions) if p]

    def missing_materials(self, ctx: Context, verified: frozenset = frozenset()) -> list[Problem]:
        return [p for p in (m.missing(ctx, verified) for m in self.materials) if p]

    def region_facts(self, ctx: Context) -> dict[str, bool]:
        return {name: evaluate(ctx, rule) is True for name, rule in self.facts.items()}


def _tuple(value) -> tuple:
    return tuple(value or ())


def parse(data: dict) -> Eligibility:
    """Build and check the region's eligibility; a bad rule fails the load, not a case."""
    try:
        conditions = [Condition(c["code"], c["field"], c["message"], c["rule"], _tuple(c.get("items")))
                      for c in data.get("conditions", [])]
        materials = [Material(m["code"], m["name"], _tuple(m.get("items")), m.get("when"),
                              bool(m.get("shared")), m.get("note", ""), m.get("provided_by"))
                     for m in data.get("materials", [])]
    except KeyError as missing:
        raise RuleError(f"eligibility entry lacks {missing}") from None
    for rule in [c.rule for c in conditions] + [m.when for m in materials if m.when]:
        check_rule(rule)
    for rule in data.get("facts", {}).values():
        check_rule(rule)
    return Eligibility(conditions, materials, dict(data.get("facts", {})))
