"""The regions' diagrams as files: where they are, their extension properties, the XSD-checking parse.

Static reading only; running a region's case goes through the engine (``case_run.py``).
"""
from pathlib import Path

from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator

from engine.bpmn.parser import NewbornParser

ROOT = Path(__file__).resolve().parents[2]
REGIONS = ["gx-qinzhou-qinbei", "cq-jiangjin", "sc-dazhou-tongchuan", "sc-province", "he-province"]
CAMUNDA = "{http://camunda.org/schema/1.0/bpmn}"


def bpmn_path(region):
    return ROOT / "bpmn" / region / "process.bpmn"


def element_properties(region):
    """bpmn id -> camunda:properties dict, read from the XML (the parser keeps them for tasks only)."""
    tree = etree.parse(str(bpmn_path(region)))
    props = {}
    for el in tree.iter():
        if el.get("id") and isinstance(el.tag, str):
            found = {p.get("name"): p.get("value") for p in el.findall(f"./*/{CAMUNDA}properties/{CAMUNDA}property")}
            if found:
                props[el.get("id")] = found
    return props


def offered_items(region) -> list[str]:
    """The item codes the region's process offers: its ``items`` extension property."""
    [process] = [p for bpmn_id, p in element_properties(region).items() if "items" in p and "region" in p]
    return [code.strip() for code in process["items"].split(",") if code.strip()]


def load(region):
    """The region's spec, parsed with the BPMN 2.0 XSD validator (raises on any violation)."""
    parser = NewbornParser(validator=BpmnValidator())
    parser.add_bpmn_file(str(bpmn_path(region)))
    [process_id] = parser.get_process_ids()
    return parser.get_spec(process_id), parser.get_subprocess_specs(process_id)


def in_memory_workflow(xml: bytes, process_id: str):
    """A small diagram made for a test, parsed as a deploy parses it and started in memory (no rows),
    with the engine's script engine."""
    from SpiffWorkflow.bpmn import BpmnWorkflow

    from engine.bpmn.safe_xml import parse_bpmn_bytes
    from engine.work.runtime import script_engine
    parser = NewbornParser()
    parser.add_bpmn_xml(etree.ElementTree(parse_bpmn_bytes(xml)), f"{process_id}.bpmn")
    return BpmnWorkflow(parser.get_spec(process_id), parser.get_subprocess_specs(process_id),
                        script_engine=script_engine)
