"""What the engine needs from a parsed diagram, read once at deploy and stored per version."""
from dataclasses import dataclass, field

from SpiffWorkflow.bpmn.specs.defaults import ServiceTask, EndEvent, IntermediateThrowEvent
from SpiffWorkflow.camunda.specs.user_task import UserTask

from engine.bpmn import outputs

CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
NS = {"bpmn": BPMN_NS, "camunda": CAMUNDA_NS}

USER, SERVICE, MILESTONE, END = "user", "service", "milestone", "end"
LANE_PREFIX = "lane_"  # lanes are ``lane_<code>``, the code being the department's candidate group
# Lane-name keywords -> lane codes (bpmn/README.md "Lanes"), first match wins: the last guess for a
# lane whose id is not ``lane_<code>`` and a task without candidate groups. (Migration 0002 keeps its
# own frozen copy: released migrations never change.)
LANE_KEYWORDS = (("疾控", "cdc"), ("接种", "cdc"), ("卫健", "health"), ("助产", "health"), ("公安", "police"),
                 ("派出所", "police"), ("医保", "medical_insurance"), ("医疗保障", "medical_insurance"),
                 ("人社", "hrss"), ("人力资源", "hrss"), ("社保", "hrss"), ("税务", "tax"),
                 ("政务", "service_center"), ("好差评", "service_center"), ("邮政", "post"), ("申请人", "applicant"))


def process_properties(process_element) -> dict:
    props = process_element.xpath("./bpmn:extensionElements/camunda:properties/camunda:property", namespaces=NS)
    return {p.get("name"): p.get("value") for p in props}


def executable_processes(root) -> list:
    return root.xpath("//bpmn:process[@isExecutable='true']", namespaces=NS)


def _groups(value: str | None) -> list[str]:
    return [g.strip() for g in (value or "").split(",") if g.strip()]


@dataclass
class LaneCodes:
    """Department codes of a document's lanes whose id is ``lane_<code>``, by flow node id and by lane
    name (SpiffWorkflow gives a task spec only its lane's name; inner tasks inherit a subprocess's lane)."""
    by_node: dict = field(default_factory=dict)
    by_name: dict = field(default_factory=dict)

    def department(self, spec, groups: list[str]) -> str | None:
        """The lane's code; else (a lane id not ``lane_<code>``, or no lane) the first candidate group;
        else the code a keyword of the lane's name points to; else None."""
        code = self.by_node.get(spec.bpmn_id) or self.by_name.get(spec.lane)
        if code:
            return code
        if groups:
            return groups[0]
        return keyword_code(spec.lane)


def keyword_code(lane_name: str | None) -> str | None:
    """The lane code a lane's name suggests (``LANE_KEYWORDS``), or None."""
    for word, code in LANE_KEYWORDS:
        if lane_name and word in lane_name:
            return code
    return None


def lane_codes(root) -> LaneCodes:
    codes = LaneCodes()
    for lane in root.iter(f"{{{BPMN_NS}}}lane"):
        lane_id = lane.get("id") or ""
        if not lane_id.startswith(LANE_PREFIX) or lane_id == LANE_PREFIX:
            continue
        code = lane_id[len(LANE_PREFIX):]
        if lane.get("name"):
            codes.by_name.setdefault(lane.get("name"), code)
        for ref in lane.findall("bpmn:flowNodeRef", NS):
            if ref.text and ref.text.strip():
                codes.by_node[ref.text.strip()] = code
    return codes


def describe_activity(spec, lanes: LaneCodes | None = None) -> dict | None:
    """The engine's view of one task spec, or None for specs it need not know."""
    ext = getattr(spec, "extensions", None) or {}
    props = {k: v for k, v in ext.items() if not k.startswith("camunda:")}
    groups = _groups(ext.get("camunda:candidateGroups"))
    base = {"name": spec.bpmn_name or spec.bpmn_id, "lane": spec.lane, "properties": props,
            "item": props.get("item"), "department": (lanes or LaneCodes()).department(spec, groups)}
    if isinstance(spec, UserTask):
        form = getattr(spec, "form", None)
        return {**base, "kind": USER, "candidate_groups": groups,
                "candidate_users": _groups(ext.get("camunda:candidateUsers")),
                "form_key": ext.get("camunda:formKey") or (form.key if form else None),
                "form_fields": _form_fields(form)}
    if isinstance(spec, ServiceTask):
        return {**base, "kind": SERVICE, "type": ext.get("camunda:type"), "topic": ext.get("camunda:topic"),
                **outputs.declarations(props)}
    if isinstance(spec, (IntermediateThrowEvent, EndEvent)) and ("itemStatus" in props or "caseOutcome" in props):
        return {**base, "kind": MILESTONE if "itemStatus" in props else END}
    return None


def _form_fields(form) -> list[dict]:
    if form is None:
        return []
    fields = []
    for field in form.fields:
        entry = {"id": field.id, "label": field.label, "type": field.type,
                 "required": any(v.name == "required" for v in field.validation)}
        if getattr(field, "options", None):
            entry["options"] = [{"id": o.id, "name": o.name} for o in field.options]
        fields.append(entry)
    return fields


def describe_activities(spec, subprocess_specs, lanes: LaneCodes | None = None) -> dict:
    """Every activity the engine needs, by bpmn id; ``lanes`` is ``lane_codes(root)`` of the document."""
    out = {}
    for s in [spec, *subprocess_specs.values()]:
        for task_spec in s.task_specs.values():
            if getattr(task_spec, "bpmn_id", None):
                desc = describe_activity(task_spec, lanes)
                if desc is not None:
                    out[task_spec.bpmn_id] = desc
    return out
