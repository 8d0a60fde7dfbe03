"""Each regional file parses with the BPMN 2.0 XSD validator and passes the engine's expression allow-list."""
import pytest
from lxml import etree

from diagrams import REGIONS, bpmn_path, load
from engine.bpmn.expressions import check_expression

BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
CAMUNDA = "{http://camunda.org/schema/1.0/bpmn}"


@pytest.mark.parametrize("region", REGIONS)
def test_validates_against_bpmn_xsd(region):
    load(region)  # NewbornParser(validator=BpmnValidator()) raises on any XSD violation


@pytest.mark.parametrize("region", REGIONS)
def test_conditions_pass_allow_list(region):
    tree = etree.parse(str(bpmn_path(region)))
    conditions = [c.text for c in tree.iter(f"{BPMN}conditionExpression")]
    assert conditions
    for text in conditions:
        check_expression(text)


@pytest.mark.parametrize("region", REGIONS)
def test_tasks_carry_group_or_topic(region):
    tree = etree.parse(str(bpmn_path(region)))
    for task in tree.iter(f"{BPMN}userTask"):
        assert task.get(f"{CAMUNDA}candidateGroups"), task.get("id")
    for task in tree.iter(f"{BPMN}serviceTask"):
        assert task.get(f"{CAMUNDA}type") == "external" and task.get(f"{CAMUNDA}topic"), task.get("id")
    assert tree.find(f".//{{http://www.omg.org/spec/BPMN/20100524/DI}}BPMNDiagram") is not None
