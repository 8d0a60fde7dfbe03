"""A region's unified form: schema, item selection, eligibility and materials, told all at once."""
import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from marshmallow import ValidationError

from forms import masking
from forms.compose import SectionForm, form_json_schema, form_schema, section_from_config, sections_missing
from forms.eligibility import Eligibility, parse
from forms.idcard import sex_of
from forms.problems import Problem, flatten
from forms.rules import AddWorkingDays, Context
from forms.sections import SEX_OF_ID


class RegionLoadError(ValueError):
    """form.json or eligibility.json of a region is missing or malformed."""


@dataclass
class Assessment:
    """Every problem of one application, by kind; the acceptance clerk decides from the kinds."""
    invalid: list[Problem] = field(default_factory=list)     # schema and item-selection errors
    ineligible: list[Problem] = field(default_factory=list)  # 受理条件 not met → 不予受理
    missing: list[Problem] = field(default_factory=list)     # materials to supply → 补正

    @property
    def problems(self) -> list[Problem]:
        return self.invalid + self.ineligible + self.missing

    @property
    def outcome(self) -> str:
        if self.invalid:
            return "invalid"
        return "refuse" if self.ineligible else ("correct" if self.missing else "accept")


FREE, BUNDLE = "free", "bundle"
ITEM_CHOICES = (FREE, BUNDLE)


@dataclass(frozen=True)
class ProcessRules:
    """What the region's process.bpmn says about its form, as process properties (bpmn/README.md).
    The caller reads them from the diagram: forms reads no BPMN."""
    item_choice: str = FREE          # ``itemChoice``: free = any non-empty subset; bundle = all of ``offered``
    offered: tuple[str, ...] = ()    # ``items``: what the region offers
    verified_by_sharing: frozenset = frozenset()  # ``dataSharingVerifies``: material codes not asked for

    @classmethod
    def from_properties(cls, props: dict) -> "ProcessRules":
        return cls(item_choice=(props.get("itemChoice") or FREE).strip(), offered=_codes(props.get("items")),
                   verified_by_sharing=frozenset(_codes(props.get("dataSharingVerifies"))))


def _codes(value: str | None) -> tuple[str, ...]:
    return tuple(c.strip() for c in (value or "").split(",") if c.strip())


class RegionForm:
    def __init__(self, code: str, config: dict, eligibility: Eligibility, rules: ProcessRules | None = None):
        self.code = code
        self.rules = rules or ProcessRules()
        self.name: str = config["name"]
        self.division: str | None = config.get("division")
        self.items: list[dict] = [{"code": i["code"], "name": i["name"]} for i in config["items"]]
        self.item_names = {i["code"]: i["name"] for i in self.items}
        self.sections: list[SectionForm] = [section_from_config(code_, conf)
                                            for code_, conf in config["sections"].items()]
        self.eligibility = eligibility
        unknown = self.rules.verified_by_sharing - {m.code for m in eligibility.materials}
        if unknown:
            raise RegionLoadError(f"{code}: dataSharingVerifies names no material of eligibility.json: "
                                  f"{', '.join(sorted(unknown))}")
        self._schema = form_schema(self.sections)

    # -- validation ------------------------------------------------------------------------
    def validate(self, form: dict, items: list[str], today: date,
                 add_working_days: AddWorkingDays) -> list[dict]:
        """Every problem at once, as {"field", "code", "message"} dicts; [] means acceptable."""
        assessment = self.assess(form, items, today, add_working_days)
        return [p.as_dict() for p in assessment.problems]

    def assess(self, form: dict, items: list[str], today: date,
               add_working_days: AddWorkingDays) -> Assessment:
        result = Assessment()
        chosen, selection_problems = self._check_items(items)
        data, schema_problems = self._load(self._with_required_sections(form))
        result.invalid = schema_problems + selection_problems
        if isinstance(form, dict):
            result.invalid += sections_missing(self.sections, form, chosen, self.item_names)
        ctx = Context(data, chosen, today, add_working_days, {p.field for p in schema_problems})
        if chosen:
            result.ineligible = self.eligibility.failures(ctx)
            result.missing = self.eligibility.missing_materials(ctx, self.rules.verified_by_sharing)
        return result

    def _with_required_sections(self, form):
        """Missing always-required sections as empty ones, so each missing field is named (一次性告知)."""
        if not isinstance(form, dict):
            return form
        return {**{s.code: {} for s in self.sections if s.always and s.code not in form}, **form}

    def _check_items(self, items) -> tuple[list[str], list[Problem]]:
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            return [], [Problem("items", "invalid_type", "办理事项应为事项代码列表")]
        if not items:
            return [], [Problem("items", "items_empty", "请至少选择一个办理事项")]
        problems = [Problem("items", "unknown_item", f"本地区不办理事项“{i}”") for i in items
                    if i not in self.item_names]
        if len(set(items)) != len(items):
            problems.append(Problem("items", "item_duplicate", "办理事项有重复"))
        problems += self._bundle_problems(items)
        return [i for i in dict.fromkeys(items) if i in self.item_names], problems

    def _bundle_problems(self, items: list[str]) -> list[Problem]:
        """A region whose seed offers a fixed bundle refuses a subset: it would never run in part."""
        bundle = [i for i in self.rules.offered if i in self.item_names] or list(self.item_names)
        if self.rules.item_choice != BUNDLE or set(items) >= set(bundle):
            return []
        names = "、".join(self.item_names[i] for i in bundle)
        return [Problem("items", "items_fixed_bundle", f"本地区按固定套餐一并办理，须同时申请：{names}")]

    def item_rule(self) -> dict:
        """The region's item rule for ``GET /regions/{code}``."""
        if self.rules.item_choice == BUNDLE:
            return {"item_choice": BUNDLE, "item_choice_label": "固定套餐：须一并申请全部事项"}
        return {"item_choice": FREE, "item_choice_label": "自由勾选：可申请其中一项或多项，只办理所选事项"}

    def _load(self, form) -> tuple[dict, list[Problem]]:
        if not isinstance(form, dict):
            return {}, [Problem("", "invalid_type", "申请表应为JSON对象")]
        try:
            data, problems = self._schema.load(form), []
        except ValidationError as error:
            data, problems = (error.valid_data or {}), flatten(error.messages)
        problems += self._sex_mismatches(data) + self._unknown_attachments(data)
        return data, problems

    def _sex_mismatches(self, data: dict) -> list[Problem]:
        found = []
        for section, expected in SEX_OF_ID.items():
            person = data.get(section) or {}
            number = person.get("id_number")
            stated = person.get(expected[1:]) if expected.startswith("@") else expected
            if number and stated and sex_of(number) != stated:
                found.append(Problem(f"{section}.id_number", "id_sex_mismatch",
                                     "公民身份号码显示的性别与所填性别不一致"))
        return found

    def _unknown_attachments(self, data: dict) -> list[Problem]:
        known = {m.code for m in self.eligibility.materials}
        return [Problem(f"attachments.{code}", "unknown_material", f"本地区没有材料“{code}”")
                for code in data.get("attachments", []) if code not in known]

    # -- what the process and the API read -------------------------------------------------
    def facts(self, form: dict, items: list[str]) -> dict:
        """A few process variables for BPMN gateway conditions (kept small: stored in the workflow)."""
        chosen, _ = self._check_items(items)
        data, problems = self._load(form)
        ctx = Context(data, chosen, date.today(), None, {p.field for p in problems})
        def get(path: str):
            value = ctx.get(path)
            return value if isinstance(value, str) and value else None

        mother, father = get("mother.ethnicity"), get("father.ethnicity")
        facts = {
            "items": chosen,
            "newborn_named": get("newborn.name") is not None,
            "ethnicity_differs": bool(mother and father and mother != father),
            "applicant_is_mother": get("applicant.relation") == "mother",
            "card_chosen": "social_security_card" in chosen,
            "maternity_chosen": "maternity_reimbursement" in chosen,
            "delivery_by_post": get("delivery.method") == "post",
            "hukou_follows": get("hukou.follows"),
        }
        facts.update(self.eligibility.region_facts(ctx))
        return facts

    def json_schema(self) -> dict:
        materials = [m.code for m in self.eligibility.materials]
        return form_json_schema(self.code, f"{self.name}新生儿出生“一件事”申请表", self.sections, materials)

    def requirements(self, items: list[str]) -> dict:
        """一次告知: the conditions and materials that apply to the chosen items."""
        chosen = [i for i in items if i in self.item_names]
        return {
            "region": self.code, "name": self.name,
            "items": [{"code": i, "name": self.item_names[i]} for i in chosen],
            "unknown_items": [i for i in items if i not in self.item_names],
            "conditions": [{"code": c.code, "field": c.field, "message": c.message}
                           for c in self.eligibility.conditions if c.applies(chosen)],
            "materials": [m.describe(self.rules.verified_by_sharing) for m in self.eligibility.materials
                          if not m.items or any(i in chosen for i in m.items)],
            "sections": [s.describe() for s in self.sections
                         if s.always or any(i in chosen for i in s.required_for)],
        }

    def summary(self) -> dict:
        return {
            "code": self.code, "name": self.name, "division": self.division, "items": self.items,
            "conditions": [{"code": c.code, "message": c.message} for c in self.eligibility.conditions],
            "materials": [m.describe(self.rules.verified_by_sharing) for m in self.eligibility.materials],
            "sections": [s.describe() for s in self.sections],
        }

    def mask(self, form: dict) -> dict:
        return masking.mask(form)


def _read(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RegionLoadError(f"{path} is missing") from None
    except json.JSONDecodeError as error:
        raise RegionLoadError(f"{path}: {error}") from None


def load_region(region_dir: Path, rules: ProcessRules | None = None) -> RegionForm:
    """Read bpmn/<region>/form.json and eligibility.json into a RegionForm; ``rules`` are the process
    properties that shape the form (``ProcessRules.from_properties``)."""
    region_dir = Path(region_dir)
    config = _read(region_dir / "form.json")
    try:
        eligibility = parse(_read(region_dir / "eligibility.json"))
        return RegionForm(config.get("region", region_dir.name), config, eligibility, rules)
    except (KeyError, ValueError) as error:
        raise RegionLoadError(f"{region_dir.name}: {error}") from error
