"""Compose one region's marshmallow schema and JSON Schema from the shared sections and form.json."""
from dataclasses import dataclass, field

from marshmallow import RAISE, Schema, fields as mm

from forms.problems import Problem
from forms.sections import REQUIRED, SECTION_TITLES, SECTIONS
from forms.specs import Spec, SpecError, spec_from_json

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


@dataclass
class SectionForm:
    """One section as a region uses it: which fields, which are required, when it must be filled."""
    code: str
    specs: dict[str, Spec]
    required_fields: set[str]
    always: bool = False
    required_for: tuple[str, ...] = ()
    extra: list[str] = field(default_factory=list)

    @property
    def title(self) -> str:
        return SECTION_TITLES.get(self.code, self.code)

    def marshmallow_schema(self) -> type[Schema]:
        declared = {name: spec.to_field(name in self.required_fields) for name, spec in self.specs.items()}
        return Schema.from_dict(declared, name=f"{self.code.title()}Section")

    def json_schema(self) -> dict:
        return {
            "type": "object", "title": self.title, "additionalProperties": False,
            "properties": {name: spec.json_schema() for name, spec in self.specs.items()},
            "required": sorted(self.required_fields),
        }

    def describe(self) -> dict:
        return {"code": self.code, "title": self.title, "required": self.always,
                "required_for": list(self.required_for),
                "fields": {name: spec.label for name, spec in self.specs.items()}}


def section_from_config(code: str, config: dict) -> SectionForm:
    if code not in SECTIONS:
        raise SpecError(f"unknown section {code!r}")
    specs = {k: v for k, v in SECTIONS[code].items() if k not in set(config.get("omit", []))}
    extra = config.get("extra", [])
    for description in extra:
        specs[description["name"]] = spec_from_json(description)
    required = (REQUIRED.get(code, set()) & set(specs)) | set(config.get("require", []))
    required |= {d["name"] for d in extra if d.get("required")}
    unknown = required - set(specs)
    if unknown:
        raise SpecError(f"section {code} requires unknown fields {sorted(unknown)}")
    return SectionForm(code, specs, required, bool(config.get("required")),
                       tuple(config.get("required_for", [])), [d["name"] for d in extra])


def form_schema(sections: list[SectionForm]) -> Schema:
    declared: dict[str, mm.Field] = {
        s.code: mm.Nested(s.marshmallow_schema(), required=s.always, unknown=RAISE) for s in sections}
    declared["attachments"] = mm.List(mm.String(), load_default=list)
    return Schema.from_dict(declared, name="RegionForm")(unknown=RAISE)


def form_json_schema(region: str, title: str, sections: list[SectionForm], materials: list[str]) -> dict:
    properties = {s.code: s.json_schema() for s in sections}
    properties["attachments"] = {"type": "array", "title": "已提交材料（材料代码）",
                                 "items": {"type": "string", "enum": materials}, "uniqueItems": True}
    return {
        "$schema": JSON_SCHEMA_DIALECT, "$id": f"urn:newborn-onething:{region}:form",
        "title": title, "type": "object", "additionalProperties": False,
        "properties": properties, "required": [s.code for s in sections if s.always],
    }


def sections_missing(sections: list[SectionForm], form: dict, items: list[str],
                     item_names: dict[str, str]) -> list[Problem]:
    """Sections the chosen items need but the form lacks (sections always required are schema errors)."""
    found = []
    for section in sections:
        needing = [item for item in section.required_for if item in items]
        if needing and section.code not in form:
            names = "、".join(item_names[i] for i in needing)
            found.append(Problem(section.code, "section_required",
                                 f"办理{names}须填写“{section.title}”部分"))
    return found
