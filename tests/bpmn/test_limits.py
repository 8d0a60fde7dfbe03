"""The longest start-to-end path of task limitWorkingDays fits each region's promise (loops ignored)."""
from functools import lru_cache

import pytest
from lxml import etree

from diagrams import REGIONS, bpmn_path, element_properties

BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"


def longest_path(region):
    tree = etree.parse(str(bpmn_path(region)))
    props = element_properties(region)
    process = tree.find(f"{BPMN}process")
    successors = {}
    for flow in process.iter(f"{BPMN}sequenceFlow"):
        successors.setdefault(flow.get("sourceRef"), []).append(flow.get("targetRef"))
    for boundary in process.iter(f"{BPMN}boundaryEvent"):
        successors.setdefault(boundary.get("attachedToRef"), []).append(boundary.get("id"))
    starts = [s.get("id") for s in process.iter(f"{BPMN}startEvent")]

    def days(node):
        return int(props.get(node, {}).get("limitWorkingDays", 0))

    @lru_cache(maxsize=None)
    def best(node, seen=frozenset()):
        options = [best(n, seen | {node}) for n in successors.get(node, []) if n not in seen | {node}]
        length, path = max(options, default=(0, ()))
        return length + days(node), (node,) + path

    return max(best(s) for s in starts), int(props[process.get("id")]["promiseWorkingDays"])


def _promised(region) -> bool:
    """Only a seed's stated promise is a ``promiseWorkingDays`` (issue 14); other regions have targets."""
    return any("promiseWorkingDays" in props for props in element_properties(region).values())


@pytest.mark.parametrize("region", [r for r in REGIONS if _promised(r)])
def test_longest_limit_path_fits_promise(region):
    """Promises only: 河北 promises the case (6) and no step, 四川 states step limits but no case promise."""
    (length, _path), promise = longest_path(region)
    assert 0 <= length <= promise


def test_qinbei_critical_path_is_certificate_registration_card():
    (length, path), promise = longest_path("gx-qinzhou-qinbei")
    assert length == promise == 33
    limited = [n for n in path if int(element_properties("gx-qinzhou-qinbei").get(n, {}).get("limitWorkingDays", 0))]
    assert limited == ["birth_certificate_issue", "hukou_registration_register", "social_security_card_issue"]
