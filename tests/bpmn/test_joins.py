"""engine/bpmn/joins.py replaces SpiffWorkflow's parallel-join check with one that finds the join's task
instances in the workflow's task dict instead of walking the task tree. At every join of every region's
diagram, through a correction loop too, both must answer alike."""
import pytest
from SpiffWorkflow.bpmn.specs.mixins.parallel_gateway import ParallelGateway

from diagrams import REGIONS, ROOT
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
