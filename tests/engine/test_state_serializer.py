"""The workflow state written each step reads back as it was (engine.bpmn.serializer)."""
import json
import uuid

import pytest
from SpiffWorkflow.util.task import TaskState

from engine.bpmn import serializer
from engine.bpmn.replacements import as_shipped
from engine.bpmn.serializer import dump_json
from engine.definitions import spec_cache
from engine.work import runtime
from engine.store.models import Case
from tests.engine.helpers import complete_service_task, engine_context, open_tasks, start_accepted_case


def test_a_case_state_reads_back_with_chinese_text_and_integers_beyond_64_bits(clean_db, clock):
    """A family's data carries Chinese text and may carry any JSON integer."""
    ctx = engine_context(clean_db, clock)
    try:
        case = start_accepted_case(ctx)
        case = ctx.session.get(Case, case.id)
        definition = spec_cache.version(ctx.session, case.definition_id)
        workflow = runtime.load_workflow(case, definition)
        big = 2 ** 70
        workflow.data.update({"申请人": "李四", "big": big, "neg": -(2 ** 63), "nested": {"ids": [1, big]}})
        text = runtime.state_serializer.dumps(workflow)
        again = runtime.state_serializer.loads(text, *spec_cache.get(definition), runtime.script_engine)
        assert again.data["申请人"] == "李四"
        assert again.data["big"] == big and isinstance(again.data["big"], int)
        assert again.data["nested"] == {"ids": [1, big]} and again.data["neg"] == -(2 ** 63)
        assert {str(t.id) for t in again.get_tasks()} == {str(t.id) for t in workflow.get_tasks()}
        assert {t.id for t in open_tasks(ctx, case.id)} <= {str(t.id) for t in again.get_tasks()}
    finally:
        ctx.session.close()


def test_dump_json_writes_what_the_standard_library_reads_the_same_either_way():
    value = {"名": "出生登记", "n": [1, 2.5, None, True], "k": {"a": {}}}
    assert json.loads(dump_json(value)) == value
    wide = {"n": 2 ** 64, "名": "户口"}  # orjson refuses it: the standard library's JSON instead
    assert json.loads(dump_json(wide)) == wide


@pytest.fixture
def loaded(clean_db, clock):
    """An accepted Qinbei case's workflow as a step loads it, with what it takes to load it again."""
    ctx = engine_context(clean_db, clock)
    case = ctx.session.get(Case, start_accepted_case(ctx).id)
    definition = spec_cache.version(ctx.session, case.definition_id)
    specs = spec_cache.get(definition)
    yield runtime.load_workflow(case, definition), lambda text: runtime.state_serializer.loads(
        text, *specs, runtime.script_engine)
    ctx.session.close()


def _finished(workflow):
    return [t for t in workflow.get_tasks() if t.state & TaskState.FINISHED_MASK]


def _bare(workflow):
    """Unfinished tasks holding no data of their own (the tasks ahead): their dicts are kept too."""
    return [t for t in workflow.get_tasks() if not t.state & TaskState.FINISHED_MASK and not t.data
            and not t.internal_data]


def test_a_loaded_workflow_saves_again_converting_only_its_waiting_tasks(loaded, monkeypatch):
    workflow, load = loaded
    converted = []
    real = serializer.SettledTaskConverter._fresh_dict
    monkeypatch.setattr(serializer.SettledTaskConverter, "_fresh_dict",
                        lambda self, task: converted.append(task) or real(self, task))
    monkeypatch.setattr(serializer, "VERIFY_KEPT_TASKS", False)
    text = runtime.state_serializer.dumps(workflow)
    settled = _finished(workflow) + _bare(workflow)
    assert _finished(workflow) and len(_bare(workflow)) >= 5  # an accepted case: its branches ahead
    assert not set(converted) & set(settled) and len(converted) == len(workflow.get_tasks()) - len(settled)
    assert converted and all(t.data for t in converted)  # the waiting tasks: the family's data in hand
    again = load(text)
    assert json.loads(runtime.state_serializer.dumps(again)) == json.loads(text)


def test_a_task_ahead_is_converted_afresh_when_its_parents_data_names_change(loaded):
    """A task ahead's dict lists its parent's data names as deleted (SpiffWorkflow's delta): a name
    added to the parent's data must reach the child's saved dict, not a kept one."""
    workflow, load = loaded
    task = next(t for t in _bare(workflow) if t.parent is not None)
    runtime.state_serializer.dumps(workflow)
    task.parent.data["added_to_the_parent"] = 1
    saved = json.loads(runtime.state_serializer.dumps(workflow))
    assert "added_to_the_parent" in saved["tasks"][str(task.id)]["delta"]["deletions"]
    assert load(json.dumps(saved)).get_task_from_id(task.id).data == {}


def test_a_finished_task_with_a_new_child_is_converted_afresh(loaded):
    workflow, _ = loaded
    task = _finished(workflow)[-1]
    runtime.state_serializer.dumps(workflow)
    child = uuid.uuid4()
    task._children.append(child)
    saved = json.loads(runtime.state_serializer.dumps(workflow))
    assert str(child) in saved["tasks"][str(task.id)]["children"]


def test_the_suites_check_catches_a_finished_task_changed_in_place(loaded, monkeypatch):
    """What the kept dicts assume, checked on every save while the suite runs (tests/conftest.py)."""
    workflow, _ = loaded
    monkeypatch.setattr(serializer, "VERIFY_KEPT_TASKS", True)
    task = next(t for t in _finished(workflow) if t.parent is not None)
    runtime.state_serializer.dumps(workflow)
    task.data["changed_after_finishing"] = 1
    with pytest.raises(AssertionError, match="changed after it was saved"):
        runtime.state_serializer.dumps(workflow)


def _tree(workflow) -> dict:
    return {t.id: (t._parent, tuple(t._children), t.state, t.task_spec.name, t.data) for t in workflow.get_tasks()}


def test_a_load_parses_each_task_id_once_and_reads_the_tree_as_spiffworkflow_does(loaded):
    """The task converter's ids come from ``parse_uuid`` (engine/bpmn/serializer.py): a task's parent
    reference and its place in the parent's children are the very id object of that task."""
    workflow, load = loaded
    text = runtime.state_serializer.dumps(workflow)
    serializer.parse_uuid.cache_clear()
    again = load(text)
    with as_shipped():
        stock = load(text)
    assert _tree(again) == _tree(stock) == _tree(workflow)
    for task in again.get_tasks():
        assert again.tasks[task.id] is task and isinstance(task.id, uuid.UUID)
        assert all(again.tasks[child].parent is task and again.tasks[child]._parent is task.id
                   for child in task._children)
    assert serializer.parse_uuid.cache_info().currsize == len(again.tasks)


def _everything(workflow) -> dict:
    """Each task as SpiffWorkflow holds it, and the catching events waiting for their event."""
    return {"tasks": {t.id: (t._parent, tuple(t._children), t.state, t.task_spec.name, t.last_state_change,
                             t.triggered, t.data, t.internal_data) for t in workflow.get_tasks()},
            "waiting": sorted(str(t.id) for t in workflow.event_manager.tasks.values()) if hasattr(
                workflow.event_manager, "tasks") else None}


@pytest.mark.parametrize("steps", [0, 3, 8])
def test_tasks_save_and_load_as_spiffworkflows_own_converter_has_them(clean_db, clock, steps):
    """``SettledTaskConverter`` makes and reads task dicts itself (a third of the library's cost): the
    text it writes is the library's, and a state it reads is the workflow the library reads, at the
    acceptance and further on (service tasks done, data of the departments' answers in the tree)."""
    ctx = engine_context(clean_db, clock)
    try:
        case = start_accepted_case(ctx)
        for _ in range(steps):
            task = next((t for t in open_tasks(ctx, case.id) if t.kind == "service"), None)
            if task is None:
                break
            complete_service_task(ctx, task)
        case = ctx.session.get(Case, case.id)
        definition = spec_cache.version(ctx.session, case.definition_id)
        specs = spec_cache.get(definition)
        ours = runtime.state_serializer.loads(case.state, *specs, runtime.script_engine)
        config = serializer._spec_config()
        config[serializer.BpmnWorkflow] = serializer.SpeclessWorkflowConverter
        library = serializer.BpmnWorkflowSerializer(serializer.BpmnWorkflowSerializer.configure(config))
        dct = json.loads(case.state)
        dct.pop("state_version")
        stock = library.from_dict(dct, spec=specs[0], subprocess_specs=specs[1])
        assert _everything(ours) == _everything(stock)
        for task in ours.get_tasks():
            task.__dict__.pop("_kept_dict", None)  # made afresh, not kept from the load
        ours_text = json.loads(runtime.state_serializer.dumps(ours))
        ours_text.pop("state_version")
        assert ours_text == library.to_dict(stock)
    finally:
        ctx.session.close()
