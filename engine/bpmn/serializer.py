"""Workflow state as JSON without the process spec.

The stock converter embeds the whole spec in every case; we store the spec once per
definition version and give it back on load, which halves the state and its load cost.
Stored state carries ``STATE_VERSION``; older versions are upgraded by ``_MIGRATIONS``.
"""
import json
import os
from copy import copy, deepcopy
from functools import lru_cache
from uuid import UUID

import orjson

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default import workflow as default_workflow_converters
from SpiffWorkflow.bpmn.serializer.default.task_spec import BpmnTaskSpecConverter
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, TaskConverter, WorkflowConverter
from SpiffWorkflow.bpmn.specs.defaults import ServiceTask
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.deep_merge import DeepMerge
from SpiffWorkflow.util.task import TaskState

from engine.bpmn.replacements import replace

STATE_VERSION = "newborn-1"
_MIGRATIONS: dict = {}  # old version -> function(dict) upgrading in place


def dump_json(dct: dict) -> str:
    """The state as compact JSON: orjson writes it ten times faster than the standard library, and every
    step saves it (bench/NOTES.md). What orjson refuses (an integer beyond 64 bits in a family's data)
    the standard library writes. The standard library reads both back."""
    try:
        return orjson.dumps(dct, option=orjson.OPT_NON_STR_KEYS).decode()
    except TypeError:
        return json.dumps(dct, separators=(",", ":"))


class SpeclessWorkflowConverter(BpmnWorkflowConverter):
    def to_dict(self, workflow):
        # WorkflowConverter's part only: the stock BpmnWorkflowConverter would convert the whole spec
        # on every save (half the cost of a save) for us to throw away
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["spec"] = workflow.spec.name
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct, spec=None, subprocess_specs=None):
        dct = dict(dct)
        dct.pop("spec", None)
        workflow = BpmnWorkflow(spec, subprocess_specs or {}, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], parse_uuid, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(parse_uuid(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


# A load parses each task id four times (the task's own, its parent's reference to it, its place in the
# parent's children and its key in the task dict): a quarter of a load's CPU (bench/NOTES.md). Parsed
# once per id here; UUIDs are immutable, so the tasks may share one object. Bounded: ids of about a
# hundred Qinbei cases.
parse_uuid = lru_cache(maxsize=8192)(UUID)
id_text = lru_cache(maxsize=8192)(str)  # a save writes each id two or three times (its own, parent, children)
STOCK_UUID = replace(default_workflow_converters, "UUID", parse_uuid)  # SpiffWorkflow's task converter's

VERIFY_KEPT_TASKS = os.environ.get("ENGINE_VERIFY_KEPT_TASKS") == "1"  # SettledTaskConverter's check


class SettledTaskConverter(TaskConverter):
    """Keeps the dict of a settled task from one save (or the load) of a workflow to the next, and reuses
    it while what it was made from is unchanged: converting the tasks was the costliest part of a save
    (bench/NOTES.md). Settled: a finished task (its state, data and place in the tree no longer change),
    or one holding no data of its own (most tasks ahead: FUTURE, LIKELY, MAYBE, a join WAITING), whose
    dict lists its parent's data names as deleted (SpiffWorkflow's delta), so those are part of its key.
    After an acceptance a Qinbei case holds about twenty such tasks of thirty. ``VERIFY_KEPT_TASKS`` (the test
    suite sets it) converts afresh each time and fails if the kept dict differs, so every test that saves
    a workflow checks this."""

    def to_dict(self, task):
        key = _unchanged_key(task)
        if key is None:
            return self._fresh_dict(task)
        kept = task.__dict__.get("_kept_dict")
        if kept is not None and kept[0] == key:
            if VERIFY_KEPT_TASKS and {**super().to_dict(task), "typename": kept[1]["typename"]} != kept[1]:
                raise AssertionError(f"a settled task changed after it was saved: {task.task_spec.name}")
            return kept[1]
        dct = self._fresh_dict(task)
        task._kept_dict = (key, dct)  # the registry adds the typename to this very dict
        return dct

    def _fresh_dict(self, task) -> dict:
        """The dict SpiffWorkflow's ``TaskConverter.to_dict`` makes, made for a third of its cost: each id's
        text once per process (``id_text``), the parent looked up once, and the registry's walk (a copy
        cleaned of callables) only for internal data there is (most tasks hold none). ``VERIFY_KEPT_TASKS``
        compares it with the library's own."""
        parent = task.workflow.tasks.get(task._parent)
        if parent is None:
            data, delta = task.data, {}
        else:
            data, delta = {}, {"updates": DeepMerge.get_updated_keys(parent.data, task.data),
                               "deletions": DeepMerge.get_deleted_keys(parent.data, task.data)}
        internal = task.internal_data
        dct = {"id": id_text(task.id), "parent": id_text(task._parent) if parent is not None else None,
               "children": [id_text(child) for child in task._children],
               "last_state_change": task.last_state_change, "state": task._state,
               "task_spec": task.task_spec.name, "triggered": task.triggered,
               "internal_data": self.registry.convert(internal) if internal else {}, "data": data, "delta": delta}
        if VERIFY_KEPT_TASKS and dct != super().to_dict(task):
            raise AssertionError(f"a task's dict differs from SpiffWorkflow's own: {task.task_spec.name}")
        return dct

    def from_dict(self, dct, workflow):
        """A loaded settled task keeps the dict it was read from: most steps load the case's workflow
        (another API process held it, or none: a review comes hours after the filing), and its next save
        then converts only what changed. (A parent is read before its children: its data is there.)"""
        task = self._restored_task(dct, workflow)
        key = _unchanged_key(task)
        if key is not None:
            dct["typename"] = self.typename  # the registry's own copy of the stored dict, read no more
            task._kept_dict = (key, dct)
        return task

    def _restored_task(self, dct, workflow) -> Task:
        """The task SpiffWorkflow's ``TaskConverter.from_dict`` restores, for less: the parent looked up
        once, its data copied as the library's merge into an empty dict copies it (mutable values one
        level deep), and the registry's walk only over values there are (tests/engine/test_state_serializer.py
        compares every task with the library's own load)."""
        task_spec = workflow.spec.task_specs.get(dct["task_spec"])
        task = Task(workflow, task_spec, state=dct["state"], id=parse_uuid(dct["id"]))
        parent_id = parse_uuid(dct["parent"]) if dct["parent"] is not None else None
        task._parent = parent_id
        task._children = [parse_uuid(child) for child in dct["children"]]
        task.last_state_change = dct["last_state_change"]
        task.triggered = dct["triggered"]
        internal = dct["internal_data"]
        task.internal_data = self.registry.restore(internal) if internal else {}
        if task._state & TaskState.WAITING and isinstance(task_spec, CatchingEvent):
            workflow.top_workflow.event_manager.add_task(task)
        delta, parent = dct.get("delta"), workflow.tasks.get(parent_id)
        if delta and parent is not None:
            data = {k: copy(v) if isinstance(v, (dict, list, set)) else v for k, v in parent.data.items()}
            updates = delta.get("updates")
            if updates:
                data.update(self.registry.restore(updates))
            for key in delta.get("deletions", ()):
                data.pop(key, None)
        else:
            data = self.registry.restore(dct["data"])
        task.data = data
        return task


def _unchanged_key(task) -> tuple | None:
    """What a settled task's dict is made from; None for a task whose dict is made afresh each save."""
    if task.state & TaskState.FINISHED_MASK:
        return task.state, task.last_state_change, task._parent, tuple(task._children), task.task_spec.name
    if not task.data and not task.internal_data:  # a version move may give a task ahead another spec
        parent = task.parent
        return (task.state, task.last_state_change, task._parent, tuple(task._children), task.task_spec.name,
                task.triggered, tuple(parent.data) if parent is not None else None)
    return None


def _spec_config():
    config = deepcopy(CAMUNDA_CONFIG)
    config[ServiceTask] = BpmnTaskSpecConverter  # the library registers none (serializer gap)
    return config


class SpecSerializer:
    """Serializes a parsed process spec (and its sub-process specs) once per version."""

    def __init__(self):
        self._serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(_spec_config()))

    def dumps(self, spec, subprocess_specs) -> str:
        to_dict = self._serializer.to_dict
        return json.dumps({
            "spec": to_dict(spec),
            "subprocess_specs": {name: to_dict(sp) for name, sp in subprocess_specs.items()},
        })

    def loads(self, text: str):
        dct = json.loads(text)
        from_dict = self._serializer.from_dict
        return from_dict(dct["spec"]), {n: from_dict(s) for n, s in dct["subprocess_specs"].items()}


class StateSerializer:
    def __init__(self):
        config = _spec_config()
        config[BpmnWorkflow] = SpeclessWorkflowConverter
        config[Task] = SettledTaskConverter
        self._serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(config))

    @property
    def registry(self):
        """The converter registry, as SpiffWorkflow's spec diff (``SpecDiff``) needs it."""
        return self._serializer.registry

    def dumps(self, workflow) -> str:
        dct = self._serializer.to_dict(workflow)
        dct["state_version"] = STATE_VERSION
        return dump_json(dct)

    def loads(self, text: str, spec, subprocess_specs, script_engine) -> BpmnWorkflow:
        dct = json.loads(text)  # not orjson: it would read an integer beyond 64 bits as a float
        version = dct.pop("state_version", None)
        while version != STATE_VERSION:
            version = _MIGRATIONS[version](dct)
        workflow = self._serializer.from_dict(dct, spec=spec, subprocess_specs=subprocess_specs)
        workflow.script_engine = script_engine
        return workflow
