import copy
import json

import pytest

from forms import load_region
from form_helpers import ROOT

@pytest.fixture
def region():
    return lambda code: load_region(ROOT / "bpmn" / code)


@pytest.fixture
def valid_form():
    def load(code: str) -> dict:
        return copy.deepcopy(json.loads((ROOT / "tests/data/forms" / f"{code}.json").read_text("utf-8")))
    return load
