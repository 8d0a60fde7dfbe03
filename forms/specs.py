"""Field specs: one description of a field renders both the marshmallow field and its JSON Schema.

Region files (form.json) describe their extra fields with the same vocabulary, so a new region
needs no Python.
"""
from dataclasses import dataclass, field

from marshmallow import fields as mm

from forms import codes
from forms import fields as f

TABLES: dict[str, dict[str, str]] = {
    "sex": codes.SEXES, "parent": codes.PARENTS, "relation": codes.APPLICANT_RELATIONS,
    "bank": codes.BANKS, "birth_place": codes.BIRTH_PLACES, "ethnicity": codes.ETHNIC_GROUPS,
    "household_type": codes.HOUSEHOLD_TYPES, "delivery_method": codes.DELIVERY_METHODS,
}

_PATTERNS = {
    "resident_id": r"^\d{17}[\dXx]$", "mobile": r"^1[3-9]\d{9}$",
    "division": r"^\d{6}$", "bank_card": r"^\d{12,19}$",
}
KINDS = {"string", "choice", "boolean", "integer", "measure", "date", "datetime", "string_list",
         "ethnicity", *_PATTERNS}


class SpecError(ValueError):
    """A field description in a region file is malformed."""


@dataclass(frozen=True)
class Spec:
    kind: str
    label: str
    options: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.kind not in KINDS:
            raise SpecError(f"unknown field kind {self.kind!r} ({self.label})")

    def choices(self) -> dict[str, str]:
        if self.kind == "ethnicity":
            return codes.ETHNIC_GROUPS
        table = self.options.get("table")
        if table is not None and table not in TABLES:
            raise SpecError(f"unknown choice table {table!r} ({self.label})")
        return TABLES[table] if table else self.options.get("choices", {})

    def to_field(self, required: bool) -> mm.Field:
        kw = {"required": required, "allow_none": not required, "metadata": {"label": self.label}}
        o = self.options
        makers = {
            "string": lambda: mm.String(validate=_length(o.get("max_length", 100)), **kw),
            "choice": lambda: f.Choice(self.choices(), **kw),
            "boolean": lambda: mm.Boolean(**kw),
            "integer": lambda: mm.Integer(strict=True, **kw),
            "measure": lambda: f.Measure(o["min"], o["max"], o["code"], self.label, **kw),
            "date": lambda: mm.Date(**kw),
            "datetime": lambda: f.PastDateTime(**kw),
            "string_list": lambda: mm.List(mm.String(), **kw),
            "resident_id": lambda: f.ResidentId(**kw), "mobile": lambda: f.Mobile(**kw),
            "ethnicity": lambda: f.Ethnicity(**kw), "division": lambda: f.Division(**kw),
            "bank_card": lambda: f.BankCard(**kw),
        }
        return makers[self.kind]()

    def json_schema(self) -> dict:
        base = {"title": self.label}
        if self.kind in _PATTERNS:
            return {**base, "type": "string", "pattern": _PATTERNS[self.kind]}
        if self.kind in ("choice", "ethnicity"):
            return {**base, "type": "string", "enum": list(self.choices())}
        if self.kind == "measure":
            return {**base, "type": "number", "minimum": self.options["min"],
                    "maximum": self.options["max"]}
        if self.kind == "string_list":
            return {**base, "type": "array", "items": {"type": "string"}}
        if self.kind in ("date", "datetime"):
            return {**base, "type": "string", "format": "date" if self.kind == "date" else "date-time"}
        if self.kind == "string":
            return {**base, "type": "string", "maxLength": self.options.get("max_length", 100)}
        return {**base, "type": self.kind}


def _length(limit: int):
    def check(value: str) -> None:
        if not value.strip():
            raise f._fail("required", "不能为空")
        if len(value) > limit:
            raise f._fail("too_long", f"不能超过{limit}个字符")
    return check


def spec_from_json(data: dict) -> Spec:
    """A region file's field description: {"name", "kind", "label", ...options}."""
    try:
        options = {k: v for k, v in data.items() if k not in ("name", "kind", "label", "required")}
        return Spec(data["kind"], data["label"], options)
    except KeyError as missing:
        raise SpecError(f"field description lacks {missing}: {data}") from None
