import copy
import json

import pytest

from lxml import etree

from forms import load_region, ProcessRules
from form_helpers import ROOT

CAMUNDA = "{http://camunda.org/schema/1.0/bpmn}"


def process_rules(code: str) -> ProcessRules:
    """The region's process properties as the API reads them (forms itself reads no BPMN)."""
    root = etree.parse(str(ROOT / "bpmn" / code / "process.bpmn")).getroot()
    props = {p.get("name"): p.get("value") for p in root.iter(f"{CAMUNDA}property")
             if p.getparent().getparent().getparent().tag.endswith("}process")}
    return ProcessRules.from_properties(props)


@pytest.fixture
def region():
    return lambda code: load_region(ROOT / "bpmn" / code, process_rules(code))


@pytest.fixture
def valid_form():
    def load(code: str) -> dict:
        return copy.deepcopy(json.loads((ROOT / "tests/data/forms" / f"{code}.json").read_text("utf-8")))
    return load
