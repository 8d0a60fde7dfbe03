"""A workflow taken apart is freed by reference counting: nothing of it is left for the cycle collector,
whose passes over dropped workflows paused API processes for 150-220 ms (bench/NOTES.md, round thirteen)."""
import gc
from pathlib import Path

import pytest
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from diagrams import REGIONS, in_memory_workflow, load, offered_items
from engine.bpmn.teardown import take_apart
from engine.work.runtime import script_engine, state_serializer

NESTED = (Path(__file__).parent / "made" / "nested_subprocess.bpmn").read_bytes()


def _left_for_the_collector(make, taken_apart: bool) -> int:
    """What the collector finds once the workflow ``make()`` returns (held here alone) is dropped. Its
    specs are kept, as the engine's spec cache keeps them: they are not the workflow's to free."""
    held = [make()]
    specs = [held[0].spec, held[0].subprocess_specs]  # noqa: F841 (kept alive while measuring)
    gc.collect()  # whatever building it left behind, so that only the workflow is counted below
    gc.disable()
    try:
        if taken_apart:
            take_apart(held[0])
        held.clear()
        return gc.collect()
    finally:
        gc.enable()


def _region_workflow(region: str):
    """A region's case started and advanced in memory, then saved and loaded as a step's workflow is."""
    spec, subprocess_specs = load(region)
    started = BpmnWorkflow(spec, subprocess_specs, script_engine=script_engine)
    started.data.update({"items": offered_items(region)})
    started.do_engine_steps()
    return state_serializer.loads(state_serializer.dumps(started), spec, subprocess_specs, script_engine)


def _inside_a_subprocess():
    workflow = in_memory_workflow(NESTED, "nested")
    workflow.do_engine_steps()
    [before] = [t for t in workflow.get_tasks(state=TaskState.READY) if t.task_spec.bpmn_id == "before"]
    before.run()
    workflow.do_engine_steps()
    assert workflow.subprocesses  # the embedded sub-process is running
    return workflow


@pytest.mark.no_db
@pytest.mark.parametrize("region", REGIONS)
def test_a_loaded_region_workflow_taken_apart_leaves_nothing_for_the_collector(region):
    assert _left_for_the_collector(lambda: _region_workflow(region), taken_apart=False) > 50  # a knot as it is
    assert _left_for_the_collector(lambda: _region_workflow(region), taken_apart=True) == 0


@pytest.mark.no_db
def test_a_workflow_inside_a_subprocess_taken_apart_leaves_nothing_for_the_collector():
    assert _left_for_the_collector(_inside_a_subprocess, taken_apart=False) > 0
    assert _left_for_the_collector(_inside_a_subprocess, taken_apart=True) == 0
