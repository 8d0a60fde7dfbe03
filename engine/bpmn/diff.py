"""What changed between two versions of a diagram, element by element, read on the parsed XML.

Compared are the process and every flow element and lane by id: its type, its attributes (Camunda's
too), its extension properties, its inner definitions (conditions, timers, form fields) and its lane.
The diagram's drawing (BPMN DI) is not compared: moving a shape changes nothing a case sees.
"""
from collections import Counter

from lxml import etree

from engine.bpmn.model import BPMN_NS, CAMUNDA_NS, NS
from engine.bpmn.safe_xml import parse_bpmn_bytes

CONTAINERS = ("process", "subProcess", "adHocSubProcess", "transaction", "laneSet", "childLaneSet")
_ELEMENTS = "//bpmn:process | //*[@id][{}]".format(" or ".join(f"parent::bpmn:{c}" for c in CONTAINERS))
_SKIPPED = {"incoming", "outgoing", "flowNodeRef", "laneSet", "childLaneSet"}


def _name(qualified: str) -> str:
    qname = etree.QName(qualified)
    return f"camunda:{qname.localname}" if qname.namespace == CAMUNDA_NS else qname.localname


def _flatten(element, prefix: str, props: dict, elements: set) -> None:
    """Everything inside one element, as ``path@attribute`` / ``path`` (text) keys; nested flow elements
    are elements of their own."""
    children = [c for c in element if isinstance(c.tag, str) and c not in elements]
    seen = Counter(c.tag for c in children)
    index = Counter()
    for child in children:
        local = etree.QName(child).localname
        if local in _SKIPPED:
            continue
        if etree.QName(child).namespace == CAMUNDA_NS and local == "property":
            props[child.get("name") or ""] = child.get("value")
            continue
        label = child.get("name") or child.get("id") if etree.QName(child).namespace == CAMUNDA_NS else None
        index[child.tag] += 1
        if label is None and seen[child.tag] > 1:
            label = str(index[child.tag])
        path = f"{prefix}{_name(child.tag)}" + (f"[{label}]" if label else "")
        for attr, value in child.attrib.items():
            if attr != "id":
                props[f"{path}@{_name(attr)}"] = value
        if (child.text or "").strip():
            props[path] = child.text.strip()
        _flatten(child, path + "/", props, elements)


def describe_elements(data: bytes, filename: str = "process.bpmn") -> dict:
    """``{id: {"type", "name", "properties"}}`` for the process, its flow elements and its lanes.

    Raises ``XmlRejected`` for bytes the safe parser refuses (deployed versions never are).
    """
    root = parse_bpmn_bytes(data, filename)
    found = [e for e in root.xpath(_ELEMENTS, namespaces=NS) if etree.QName(e).localname not in _SKIPPED]
    elements = set(found)
    lanes = {ref.text.strip(): ref.getparent().get("id")
             for ref in root.iter(f"{{{BPMN_NS}}}flowNodeRef") if ref.text and ref.text.strip()}
    described = {}
    for element in found:
        props = {_name(a): v for a, v in element.attrib.items() if a not in ("id", "name")}
        _flatten(element, "", props, elements)
        if element.get("id") in lanes:
            props["lane"] = lanes[element.get("id")]
        described[element.get("id")] = {"type": etree.QName(element).localname,
                                         "name": element.get("name") or "", "properties": props}
    return described


def diff_versions(old_xml: bytes, new_xml: bytes) -> list[dict]:
    """Each element added, removed or changed from ``old_xml`` to ``new_xml``; a change lists every
    property with its old and new value (None where absent). Ordered: removed, added, changed."""
    old, new = describe_elements(old_xml), describe_elements(new_xml)
    changes = [_entry(i, old[i], "removed") for i in old if i not in new]
    changes += [_entry(i, new[i], "added") for i in new if i not in old]
    for element_id in (i for i in new if i in old):
        before, after = old[element_id], new[element_id]
        props = _changed_properties(before, after)
        if props:
            changes.append(_entry(element_id, after, "changed", props))
    return changes


def _changed_properties(before: dict, after: dict) -> list[dict]:
    props = []
    for field in ("type", "name"):
        if before[field] != after[field]:
            props.append({"name": field, "from": before[field], "to": after[field]})
    old, new = before["properties"], after["properties"]
    for name in sorted(set(old) | set(new)):
        if old.get(name) != new.get(name):
            props.append({"name": name, "from": old.get(name), "to": new.get(name)})
    return props


def _entry(element_id: str, described: dict, change: str, props: list | None = None) -> dict:
    return {"id": element_id, "type": described["type"], "name": described["name"], "change": change,
            "properties": props or []}
