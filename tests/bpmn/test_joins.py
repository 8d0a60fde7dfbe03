"""engine/bpmn/joins.py replaces SpiffWorkflow's parallel-join check with one that finds the join's task
instances in the workflow's task dict instead of walking the task tree. At every join of every region's
diagram, through a correction loop too, both must answer alike."""
from pathlib import Path

import pytest
from SpiffWorkflow.bpmn.specs.mixins.parallel_gateway import ParallelGateway
from SpiffWorkflow.util.task import TaskState

from diagrams import in_memory_workflow, REGIONS, ROOT
from engine.bpmn import joins

# 江津 runs its items one after another: its diagram has no parallel gateway
WITH_JOINS = [r for r in REGIONS if b"parallelGateway" in (ROOT / "bpmn" / r / "process.bpmn").read_bytes()]


@pytest.fixture
def compared(monkeypatch):
    answers = []

    def both(spec, my_task):
        ours, stock = joins._check_threshold_unstructured(spec, my_task), joins.STOCK_CHECK(spec, my_task)
        answers.append((spec.name, ours, stock))
        return ours

    monkeypatch.setattr(ParallelGateway, "_check_threshold_unstructured", both)
    return answers


def test_the_engine_runs_with_the_faster_join():
    assert ParallelGateway._check_threshold_unstructured is joins._check_threshold_unstructured
    assert joins.STOCK_CHECK is not joins._check_threshold_unstructured


def test_four_regions_join_parallel_branches():
    assert len(WITH_JOINS) == 4 and "cq-jiangjin" not in WITH_JOINS


@pytest.mark.parametrize("region", WITH_JOINS)
def test_the_faster_join_answers_as_the_stock_one_at_every_join(region, run_case, base_data, compared):
    """Seed 002 (钦北): "一次性告知申请人补正材料" — a correction sends the case round the review loop; then
    the chosen items' branches run in parallel and join before the case ends."""
    run = run_case(region, base_data(region), answers={
        "acceptance_review": [{"decision": "correct", "materials": ["结婚证"]}, {"decision": "accept"}],
        "supplement": {"supplemented": True}})
    assert run.ended() and run.outcome() == "completed"
    assert compared, "the diagram has no parallel join on this path"
    assert [(name, ours) for name, ours, stock in compared if ours != stock] == []
    assert {ours for _, ours, _ in compared} == {True, False}  # joins both waited and went on


LOOPED_JOIN = (Path(__file__).parent / "made" / "looped_join.bpmn").read_bytes()


def test_a_join_in_a_loop_answers_as_the_stock_one(monkeypatch):
    """No region's diagram loops through a parallel join; a join's instances of earlier and later passes
    (above and below the arriving one) are the two cases the rule treats apart, so a diagram made for it
    runs three passes, the right branch first on the second."""
    answers, related = [], set()

    def both(spec, my_task):
        for task in my_task.workflow.tasks.values():
            if task.task_spec.name == spec.name and task is not my_task:
                related.add("below" if task.is_descendant_of(my_task) else
                            "above" if my_task.is_descendant_of(task) else "apart")
        ours, stock = joins._check_threshold_unstructured(spec, my_task), joins.STOCK_CHECK(spec, my_task)
        answers.append((ours, stock))
        return ours

    monkeypatch.setattr(ParallelGateway, "_check_threshold_unstructured", both)
    workflow = in_memory_workflow(LOOPED_JOIN, "looped")
    order = iter(["left", "right", "decide", "right", "left", "decide", "left", "right", "decide"])
    repeats = iter([True, True, False])
    workflow.do_engine_steps()
    while not workflow.is_completed():
        name = next(order)
        [task] = [t for t in workflow.get_tasks(state=TaskState.READY) if t.task_spec.bpmn_id == name]
        if name == "decide":
            task.data["repeat"] = next(repeats)
        task.run()
        workflow.do_engine_steps()
        _check_relations(workflow)
    assert len(answers) >= 6 and {stock for _, stock in answers} == {True, False}
    assert [ours for ours, _ in answers] == [stock for _, stock in answers]
    assert {"below", "above"} <= related


def _check_relations(workflow):
    """The replacement's two relations are ``is_descendant_of`` both ways, for every pair of tasks."""
    tasks = list(workflow.tasks.values())
    for mine in tasks:
        above_mine = joins._ancestor_ids(mine)
        for task in tasks:
            assert joins._is_below(task, mine, above_mine) == task.is_descendant_of(mine)
            assert (task.id in above_mine) == mine.is_descendant_of(task)
