"""Drives a regional process in SpiffWorkflow the way the engine will: user tasks are
completed with data, external service tasks are completed by "workers" (or fail with a
BPMN error), and the workflow is saved and reloaded between every step."""
from pathlib import Path

from lxml import etree
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator
from SpiffWorkflow.bpmn.specs.defaults import ServiceTask
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import ErrorEventDefinition
from SpiffWorkflow.bpmn.util import BpmnEvent
from SpiffWorkflow.util.task import TaskState

from engine.bpmn.expressions import RestrictedScriptEngine
from engine.bpmn.parser import NewbornParser
from engine.bpmn.serializer import SpecSerializer, StateSerializer

ROOT = Path(__file__).resolve().parents[2]
REGIONS = ["gx-qinzhou-qinbei", "cq-jiangjin", "sc-dazhou-tongchuan", "sc-province", "he-province"]
CAMUNDA = "{http://camunda.org/schema/1.0/bpmn}"

# What clerks, families and workers answer unless a test says otherwise.
DEFAULT_ANSWERS = {
    "acceptance_review": {"decision": "accept"},
    "newborn_naming": {"newborn_name": "李小明", "newborn_named": True},
    "hukou_prereview": {"prereview_passed": True},
}
DEFAULT_RESULTS = {
    "marriage_licence.check": {"marriage_licence_found": True},
    "hukou_registration.register": {"hukou_refused": False,
                                    "elicence": {"kind": "hukou", "number": "500381202401010011"}},
    "birth_certificate.issue": {"elicence": {"kind": "birth_certificate", "number": "Q500012345"}},
}


def bpmn_path(region):
    return ROOT / "bpmn" / region / "process.bpmn"


def element_properties(region):
    """bpmn id -> camunda:properties dict, read from the XML (the parser keeps them for tasks only)."""
    tree = etree.parse(str(bpmn_path(region)))
    props = {}
    for el in tree.iter():
        if el.get("id") and isinstance(el.tag, str):
            found = {p.get("name"): p.get("value") for p in el.findall(f"./*/{CAMUNDA}properties/{CAMUNDA}property")}
            if found:
                props[el.get("id")] = found
    return props


def load(region):
    parser = NewbornParser(validator=BpmnValidator())
    parser.add_bpmn_file(str(bpmn_path(region)))
    [process_id] = parser.get_process_ids()
    return parser.get_spec(process_id), parser.get_subprocess_specs(process_id)


class BpmnError(Exception):
    """What a worker reports instead of a result when its department refuses the item."""

    def __init__(self, code, payload):
        super().__init__(code)
        self.code, self.payload = code, payload


def raise_bpmn_error(workflow, task, code, payload):
    """Throws a BPMN error at a STARTED external service task; its error boundary event catches it.

    A BpmnEvent with `target` set is delivered only to waiting catch events of that
    (sub)workflow whose definition matches: ErrorEventDefinition matches on errorCode.
    The interrupting boundary event then cancels the service task."""
    event = BpmnEvent(ErrorEventDefinition(code, code=code), payload=payload, target=task.workflow)
    workflow.catch(event)


class Run:
    """One case. `answers` maps a user task's formKey or bpmn id to the data the clerk or family
    enters (a dict or a list of dicts used in turn); `results` maps a service topic to a worker's
    result (a dict, or a BpmnError). `check(run)` is called after every step."""

    def __init__(self, region, data, answers=None, results=None, check=None, max_steps=300):
        self.region = region
        self.spec, self.subprocess_specs = load(region)
        self.props = element_properties(region)
        self.answers = {**DEFAULT_ANSWERS, **(answers or {})}
        self.results = {**DEFAULT_RESULTS, **(results or {})}
        self.check = check
        self.handled = []  # bpmn ids of the user/service tasks this run completed, in order
        spec_json = SpecSerializer().dumps(self.spec, self.subprocess_specs)
        self.spec, self.subprocess_specs = SpecSerializer().loads(spec_json)
        self.workflow = BpmnWorkflow(self.spec, self.subprocess_specs, script_engine=RestrictedScriptEngine())
        for task in self.workflow.get_tasks(state=TaskState.READY):
            task.data.update(data)
        self._run(max_steps)

    def _reload(self):
        state = StateSerializer()
        text = state.dumps(self.workflow)
        self.workflow = state.loads(text, self.spec, self.subprocess_specs, RestrictedScriptEngine())

    def _answer(self, table, key):
        value = table[key]
        if isinstance(value, list):
            return value.pop(0) if len(value) > 1 else value[0]
        return value

    def _run(self, max_steps):
        for _ in range(max_steps):
            self.workflow.do_engine_steps()
            self._reload()
            if self.check:
                self.check(self)
            if self.workflow.is_completed():
                break
            ready = self.workflow.get_tasks(state=TaskState.READY, manual=True)
            started = [t for t in self.workflow.get_tasks(state=TaskState.STARTED)
                       if isinstance(t.task_spec, ServiceTask)]
            if not ready and not started:
                raise AssertionError(f"stuck; waiting: {self.open_ids()}")
            task = (ready + started)[0]
            ext = task.task_spec.extensions
            if task in ready:
                key = ext.get("camunda:formKey") if ext.get("camunda:formKey") in self.answers else task.task_spec.bpmn_id
                task.data.update(self._answer(self.answers, key) if key in self.answers else {})
                task.run()
            else:
                result = self._answer(self.results, ext["camunda:topic"]) if ext["camunda:topic"] in self.results else {}
                if isinstance(result, BpmnError):
                    raise_bpmn_error(self.workflow, task, result.code, result.payload)
                else:
                    task.data.update(result)
                    task.complete()
            self.handled.append(task.task_spec.bpmn_id)
        else:
            raise AssertionError("too many steps")

    @property
    def done(self):
        """bpmn ids of completed tasks in completion order, engine-run ones included."""
        tasks = sorted(self.workflow.get_tasks(state=TaskState.COMPLETED), key=lambda t: t.last_state_change)
        return [t.task_spec.bpmn_id for t in tasks if t.task_spec.bpmn_id]

    def open_ids(self):
        return sorted(t.task_spec.bpmn_id for t in self.workflow.get_tasks(
            state=TaskState.READY | TaskState.STARTED | TaskState.WAITING) if t.task_spec.bpmn_id)

    def open_lanes(self):
        return {t.task_spec.lane for t in self.workflow.get_tasks(state=TaskState.READY | TaskState.STARTED)}

    def completed_ids(self):
        return {t.task_spec.bpmn_id for t in self.workflow.get_tasks(state=TaskState.COMPLETED)}

    def item_status(self):
        """item -> done/refused, from the milestones the tokens passed."""
        status = {}
        for bpmn_id in self.done:
            props = self.props.get(bpmn_id, {})
            if "itemStatus" in props:
                status[props["item"]] = props["itemStatus"]
        return status

    def outcome(self):
        ends = [i for i in self.done if i in self.spec.task_specs and type(self.spec.task_specs[i]).__name__ == "EndEvent"]
        return self.props.get(ends[-1], {}).get("caseOutcome", "completed") if ends else None

    @property
    def data(self):
        return self.workflow.last_task.data if self.workflow.last_task else {}
