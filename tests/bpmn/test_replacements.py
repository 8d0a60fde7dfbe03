"""engine/bpmn/replacements.py records every replacement of a SpiffWorkflow internal, so that the bench's
floor can run the library as shipped (``as_shipped``) and get the engine's replacements back after."""
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer.default import workflow as default_workflow_converters
from SpiffWorkflow.bpmn.specs.mixins.parallel_gateway import ParallelGateway
from SpiffWorkflow.task import Task
from SpiffWorkflow.workflow import Workflow

from engine.bpmn import joins, serializer, state_changes, task_walks
from engine.bpmn.replacements import as_shipped

EXPECTED = {(ParallelGateway, "_check_threshold_unstructured"): (joins.STOCK_CHECK,
                                                              joins._check_threshold_unstructured),
            (Task, "_set_state"): (state_changes.STOCK_SET_STATE, state_changes._set_state),
            (Workflow, "get_tasks"): (task_walks.STOCK_GET_TASKS, task_walks.get_tasks),
            (Workflow, "update_waiting_tasks"): (task_walks.STOCK_UPDATE_WAITING_TASKS,
                                                 task_walks.update_waiting_tasks),
            (Workflow, "is_completed"): (task_walks.STOCK_IS_COMPLETED, task_walks.is_completed),
            (BpmnWorkflow, "_do_engine_steps"): (task_walks.STOCK_DO_ENGINE_STEPS, task_walks._do_engine_steps),
            (default_workflow_converters, "UUID"): (serializer.STOCK_UUID, serializer.parse_uuid)}


def test_as_shipped_puts_every_stock_function_back_and_then_the_engines():
    with as_shipped():
        assert {key: getattr(*key) for key in EXPECTED} == {key: stock for key, (stock, _) in EXPECTED.items()}
    assert {key: getattr(*key) for key in EXPECTED} == {key: ours for key, (_, ours) in EXPECTED.items()}
    assert all(stock is not ours for stock, ours in EXPECTED.values())
