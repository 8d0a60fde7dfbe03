"""engine/bpmn/state_changes.py: SpiffWorkflow's task state change builds its log record only when the
``spiff.task`` logger would emit it. The states change as before; a listener gets the stock records."""
import logging

import pytest
from SpiffWorkflow.task import Task

from engine.bpmn import state_changes

REGION = "gx-qinzhou-qinbei"


def _records(caplog):
    return [(r.getMessage(), r.task_spec, r.state, r.parent is None) for r in caplog.records
            if r.name == "spiff.task"]


def _run(run_case, base_data):
    run = run_case(REGION, base_data(REGION), answers={"acceptance_review": {"decision": "accept"}})
    assert run.ended() and run.outcome() == "completed"
    return run


def test_the_engine_runs_with_the_quiet_state_change():
    assert Task._set_state is state_changes._set_state
    assert state_changes.STOCK_SET_STATE is not state_changes._set_state


def test_no_log_record_is_built_when_the_logger_is_off(run_case, base_data, monkeypatch):
    built = []
    stock_extras = Task.collect_log_extras
    monkeypatch.setattr(Task, "collect_log_extras", lambda self, dct=None: built.append(1) or stock_extras(self, dct))
    logging.getLogger("spiff.task").setLevel(logging.WARNING)
    try:
        _run(run_case, base_data)
    finally:
        logging.getLogger("spiff.task").setLevel(logging.NOTSET)
    assert built == []


@pytest.mark.parametrize("level", [logging.INFO, logging.DEBUG])
def test_a_listener_gets_the_stock_records(run_case, base_data, caplog, monkeypatch, level):
    """The same 钦北 case run to its end with ours and with the stock state change logs alike."""
    caplog.set_level(level, logger="spiff.task")
    _run(run_case, base_data)
    ours = _records(caplog)
    caplog.clear()
    monkeypatch.setattr(Task, "_set_state", state_changes.STOCK_SET_STATE)
    _run(run_case, base_data)
    stock = _records(caplog)
    assert ours and ours == stock
    assert any(message.startswith("State changed to COMPLETED") for message, *_ in ours)
    assert any(message.startswith("State set to") for message, *_ in ours) == (level == logging.DEBUG)
