"""engine/bpmn/task_walks.py skips two of SpiffWorkflow's task-tree walks when the task dict shows they
would find nothing, and updates a lone waiting parallel join directly. Every region's case, through a
correction loop, must change the same tasks' states in the same order as with the stock walks."""
import logging

import pytest
from SpiffWorkflow.workflow import Workflow

from diagrams import REGIONS
from engine.bpmn import task_walks

ANSWERS = {"acceptance_review": [{"decision": "correct", "materials": ["结婚证"]}, {"decision": "accept"}],
           "supplement": {"supplemented": True}}


def _state_changes(caplog):
    return [(r.getMessage(), r.task_spec) for r in caplog.records if r.name == "spiff.task"]


def test_the_engine_runs_with_the_shorter_walks():
    assert Workflow.get_tasks is task_walks.get_tasks
    assert Workflow.update_waiting_tasks is task_walks.update_waiting_tasks


@pytest.mark.parametrize("region", REGIONS)
def test_every_state_change_is_the_stock_one(region, run_case, base_data, caplog, monkeypatch):
    # the first run deploys the diagram; later ones run from the stored spec, which predicts its branches
    # in another order (stock or not): compare two later runs
    run_case(region, base_data(region), answers=ANSWERS)
    caplog.set_level(logging.DEBUG, logger="spiff.task")  # DEBUG: a waiting join checked again, too
    calls, walks = [], []
    stock_get, stock_update = task_walks.STOCK_GET_TASKS, task_walks.STOCK_UPDATE_WAITING_TASKS
    monkeypatch.setattr(task_walks, "STOCK_UPDATE_WAITING_TASKS", lambda wf: walks.append(1) or stock_update(wf))
    monkeypatch.setattr(Workflow, "update_waiting_tasks",
                        lambda wf: calls.append(1) or task_walks.update_waiting_tasks(wf))
    ours = run_case(region, base_data(region), answers=ANSWERS)
    assert ours.ended()
    assert len(walks) < len(calls) / 2  # the walk was skipped more often than not
    changes = _state_changes(caplog)
    caplog.clear()
    monkeypatch.setattr(Workflow, "get_tasks", stock_get)
    monkeypatch.setattr(Workflow, "update_waiting_tasks", stock_update)
    stock = run_case(region, base_data(region), answers=ANSWERS)
    assert (ours.outcome(), ours.outcome_reason()) == (stock.outcome(), stock.outcome_reason())
    assert len(changes) > 50 and changes == _state_changes(caplog)
