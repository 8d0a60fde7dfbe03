"""engine/bpmn/task_walks.py skips two of SpiffWorkflow's task-tree walks when the task dict shows they
would find nothing, and updates a lone waiting parallel join directly. Every region's case, through a
correction loop, must change the same tasks' states in the same order as with the stock walks."""
import logging

from pathlib import Path

import pytest
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState
from SpiffWorkflow.workflow import Workflow

from diagrams import in_memory_workflow, REGIONS
from engine.bpmn import task_walks
from engine.bpmn.replacements import as_shipped

ANSWERS = {"acceptance_review": [{"decision": "correct", "materials": ["结婚证"]}, {"decision": "accept"}],
           "supplement": {"supplemented": True}}


def _state_changes(caplog):
    return [(r.getMessage(), r.task_spec) for r in caplog.records if r.name == "spiff.task"]


def test_the_engine_runs_with_the_shorter_walks():
    assert Workflow.get_tasks is task_walks.get_tasks
    assert Workflow.update_waiting_tasks is task_walks.update_waiting_tasks
    assert BpmnWorkflow._do_engine_steps is task_walks._do_engine_steps
    assert Workflow.is_completed is task_walks.is_completed


@pytest.mark.parametrize("region", REGIONS)
def test_every_state_change_is_the_stock_one(region, run_case, base_data, caplog, monkeypatch):
    # the first run deploys the diagram; later ones run from the stored spec, which predicts its branches
    # in another order (stock or not): compare two later runs
    run_case(region, base_data(region), answers=ANSWERS)
    caplog.set_level(logging.DEBUG, logger="spiff.task")  # DEBUG: a waiting join checked again, too
    calls, walks = [], []
    stock_update = task_walks.STOCK_UPDATE_WAITING_TASKS
    monkeypatch.setattr(task_walks, "STOCK_UPDATE_WAITING_TASKS", lambda wf: walks.append(1) or stock_update(wf))
    monkeypatch.setattr(Workflow, "update_waiting_tasks",
                        lambda wf: calls.append(1) or task_walks.update_waiting_tasks(wf))
    ours = run_case(region, base_data(region), answers=ANSWERS)
    assert ours.ended()
    assert len(walks) < len(calls) / 2  # the walk was skipped more often than not
    changes = _state_changes(caplog)
    caplog.clear()
    with as_shipped():
        stock = run_case(region, base_data(region), answers=ANSWERS)
    assert (ours.outcome(), ours.outcome_reason()) == (stock.outcome(), stock.outcome_reason())
    assert len(changes) > 50 and changes == _state_changes(caplog)


WITH_SUBPROCESS = (Path(__file__).parent / "made" / "nested_subprocess.bpmn").read_bytes()


def _run_nested(caplog) -> list:
    caplog.clear()
    workflow = in_memory_workflow(WITH_SUBPROCESS, "nested")
    workflow.do_engine_steps()
    for name in ["before", "inner_b", "inner_a", "after"]:
        ready = [t for t in workflow.get_tasks(state=TaskState.READY) if t.task_spec.bpmn_id == name]
        assert len(ready) == 1, f"{name} is not ready"
        ready[0].run()
        workflow.do_engine_steps()
    assert workflow.is_completed()
    return _state_changes(caplog)


def test_a_workflow_with_a_subprocess_runs_as_with_the_stock_walks(caplog):
    """A BPMN workflow's get_tasks finds its sub-processes' tasks too, which its task dict does not hold:
    the tasks inside an embedded sub-process (a parallel join among them) must run as before."""
    caplog.set_level(logging.DEBUG, logger="spiff.task")
    ours = _run_nested(caplog)
    with as_shipped():
        stock = _run_nested(caplog)
    assert len(ours) > 20 and ours == stock


FILTERS = [TaskState.READY, TaskState.WAITING, TaskState.COMPLETED, TaskState.FUTURE, TaskState.LIKELY,
           TaskState.MAYBE, TaskState.STARTED, TaskState.CANCELLED, TaskState.PREDICTED_MASK,
           TaskState.DEFINITE_MASK, TaskState.FINISHED_MASK, TaskState.NOT_FINISHED_MASK, TaskState.ANY_MASK]


@pytest.mark.parametrize("region", REGIONS)
def test_get_tasks_answers_as_the_stock_walk_after_every_step(region, run_case, base_data):
    """Same tasks, same order, for every state and mask, and the same answer to is_completed, at every step
    of a case with a correction loop."""
    checked, completed = [], []

    def compare(run):
        workflow = run.workflow()
        for state in FILTERS:
            ours = workflow.get_tasks(state=state)
            assert [t.id for t in ours] == [t.id for t in task_walks.STOCK_GET_TASKS(workflow, state=state)]
            checked.append(len(ours))
        stock_workflow = run.workflow()  # a fresh copy: is_completed remembers its answer
        assert workflow.is_completed() == task_walks.STOCK_IS_COMPLETED(stock_workflow)
        completed.append(workflow.is_completed())

    run_case(region, base_data(region), answers=ANSWERS, check=compare)
    assert len(checked) > 50 and max(checked) > 20
    assert completed[-1] and not completed[0]
