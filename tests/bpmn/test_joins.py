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


LOOPED_JOIN = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
  <bpmn:process id="looped" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:exclusiveGateway id="merge"/>
    <bpmn:parallelGateway id="fork"/>
    <bpmn:userTask id="left"/>
    <bpmn:userTask id="right"/>
    <bpmn:parallelGateway id="join"/>
    <bpmn:userTask id="decide"/>
    <bpmn:exclusiveGateway id="again" default="to_end"/>
    <bpmn:endEvent id="end"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="merge"/>
    <bpmn:sequenceFlow id="f2" sourceRef="merge" targetRef="fork"/>
    <bpmn:sequenceFlow id="f3" sourceRef="fork" targetRef="left"/>
    <bpmn:sequenceFlow id="f4" sourceRef="fork" targetRef="right"/>
    <bpmn:sequenceFlow id="f5" sourceRef="left" targetRef="join"/>
    <bpmn:sequenceFlow id="f6" sourceRef="right" targetRef="join"/>
    <bpmn:sequenceFlow id="f7" sourceRef="join" targetRef="decide"/>
    <bpmn:sequenceFlow id="f8" sourceRef="decide" targetRef="again"/>
    <bpmn:sequenceFlow id="to_merge" sourceRef="again" targetRef="merge">
      <bpmn:conditionExpression>repeat</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="to_end" sourceRef="again" targetRef="end"/>
  </bpmn:process>
</bpmn:definitions>"""


def test_a_join_in_a_loop_answers_as_the_stock_one(monkeypatch):
    """No region's diagram loops through a parallel join; a join's instances of earlier and later passes
    (above and below the arriving one) are the two cases the rule treats apart, so a diagram made for it
    runs three passes, the right branch first on the second."""
    from lxml import etree
    from SpiffWorkflow.bpmn import BpmnWorkflow
    from SpiffWorkflow.util.task import TaskState

    from engine.bpmn.parser import NewbornParser
    from engine.bpmn.safe_xml import parse_bpmn_bytes
    from engine.work.runtime import script_engine

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
    parser = NewbornParser()
    parser.add_bpmn_xml(etree.ElementTree(parse_bpmn_bytes(LOOPED_JOIN)), "looped.bpmn")
    workflow = BpmnWorkflow(parser.get_spec("looped"), script_engine=script_engine)
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
