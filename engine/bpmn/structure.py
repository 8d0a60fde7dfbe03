"""Whole-file checks on the XML: flows, connections and reachability of every element, not only
what the parser reaches from the start event; and the engine's view of tasks the parser never saw.
"""
from dataclasses import dataclass, field

from lxml import etree

from engine.bpmn.model import BPMN_NS, CAMUNDA_NS, NS, SERVICE, USER
from engine.errors import Problem

ACTIVITIES = {"task", "userTask", "serviceTask", "scriptTask", "manualTask", "sendTask", "receiveTask",
              "businessRuleTask", "subProcess", "callActivity", "transaction"}
EVENTS = {"startEvent", "endEvent", "intermediateThrowEvent", "intermediateCatchEvent", "boundaryEvent"}
GATEWAYS = {"exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway", "complexGateway"}
FLOW_NODES = ACTIVITIES | EVENTS | GATEWAYS
CONTAINERS = ("process", "subProcess", "transaction")


@dataclass
class _Scope:
    """One process or sub-process: its own flow nodes and sequence flows."""
    nodes: dict = field(default_factory=dict)   # id -> element
    flows: list = field(default_factory=list)


def _local(element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _scopes(root) -> list[_Scope]:
    scopes = []
    for container in root.iter(*(f"{{{BPMN_NS}}}{name}" for name in CONTAINERS)):
        scope = _Scope()
        for child in container:
            name = _local(child)
            if name in FLOW_NODES and child.get("id"):
                scope.nodes[child.get("id")] = child
            elif name == "sequenceFlow":
                scope.flows.append(child)
        scopes.append(scope)
    return scopes


def structure_problems(root, filename: str) -> list[Problem]:
    """Dangling flow references, elements without incoming or outgoing flows, unreachable elements."""
    problems = []
    for scope in _scopes(root):
        incoming, outgoing, edges = set(), set(), {}
        for flow in scope.flows:
            flow_id = flow.get("id") or "?"
            for end in ("sourceRef", "targetRef"):
                ref = flow.get(end)
                if ref not in scope.nodes:
                    problems.append(Problem(f"{filename}#{flow_id}.{end}", "dangling_reference",
                                            f"顺序流 {flow_id} 的 {end} 指向不存在的元素 {ref!r}"))
            source, target = flow.get("sourceRef"), flow.get("targetRef")
            if source in scope.nodes and target in scope.nodes:
                outgoing.add(source)
                incoming.add(target)
                edges.setdefault(source, []).append(target)
        problems += _connection_problems(scope, incoming, outgoing, filename)
        problems += _reach_problems(scope, incoming, edges, filename)
    return problems


def _needs_incoming(element) -> bool:
    name = _local(element)
    if name in ("startEvent", "boundaryEvent"):
        return False
    return not (name == "subProcess" and element.get("triggeredByEvent") == "true")


def _needs_outgoing(element) -> bool:
    name = _local(element)
    return name != "endEvent" and not (name == "subProcess" and element.get("triggeredByEvent") == "true")


def _connection_problems(scope: _Scope, incoming: set, outgoing: set, filename: str) -> list[Problem]:
    problems = []
    for node_id, element in scope.nodes.items():
        label = element.get("name") or node_id
        if _needs_incoming(element) and node_id not in incoming:
            problems.append(Problem(f"{filename}#{node_id}", "no_incoming", f"元素「{label}」没有流入的顺序流"))
        if _needs_outgoing(element) and node_id not in outgoing:
            problems.append(Problem(f"{filename}#{node_id}", "no_outgoing", f"元素「{label}」没有流出的顺序流"))
        attached = element.get("attachedToRef")
        if _local(element) == "boundaryEvent" and attached not in scope.nodes:
            problems.append(Problem(f"{filename}#{node_id}.attachedToRef", "dangling_reference",
                                    f"边界事件「{label}」附着于不存在的元素 {attached!r}"))
    return problems


def _reach_problems(scope: _Scope, incoming: set, edges: dict, filename: str) -> list[Problem]:
    """Elements no path reaches from a start (a boundary event is reached with its activity)."""
    attached: dict[str, list[str]] = {}
    for node_id, element in scope.nodes.items():
        if _local(element) == "boundaryEvent":
            attached.setdefault(element.get("attachedToRef"), []).append(node_id)
    todo = [i for i, e in scope.nodes.items() if not _needs_incoming(e) and _local(e) != "boundaryEvent"]
    seen = set(todo)
    while todo:
        current = todo.pop()
        for nxt in edges.get(current, []) + attached.get(current, []):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return [Problem(f"{filename}#{node_id}", "unreachable", f"元素「{e.get('name') or node_id}」从开始事件无法到达")
            for node_id, e in scope.nodes.items()
            if node_id not in seen and node_id in incoming and _local(e) != "boundaryEvent"]


def _camunda(element, name: str) -> str | None:
    return element.get(f"{{{CAMUNDA_NS}}}{name}")


def _groups(value: str | None) -> list[str]:
    return [g.strip() for g in (value or "").split(",") if g.strip()]


def xml_activities(root, skip: set) -> dict:
    """User and service tasks (by id) the parser did not describe, read from the XML as the engine would.

    So a task the start event never reaches (or every task, when the parser failed) still has its
    candidate groups, topic and limits checked.
    """
    found = {}
    for element in root.iter(f"{{{BPMN_NS}}}userTask", f"{{{BPMN_NS}}}serviceTask"):
        bpmn_id = element.get("id")
        if not bpmn_id or bpmn_id in skip:
            continue
        props = {p.get("name"): p.get("value") for p in
                 element.xpath("./bpmn:extensionElements/camunda:properties/camunda:property", namespaces=NS)}
        act = {"name": element.get("name") or bpmn_id, "properties": props}
        if _local(element) == "userTask":
            found[bpmn_id] = {**act, "kind": USER, "candidate_groups": _groups(_camunda(element, "candidateGroups")),
                              "candidate_users": _groups(_camunda(element, "candidateUsers"))}
        else:
            found[bpmn_id] = {**act, "kind": SERVICE, "type": _camunda(element, "type"),
                              "topic": _camunda(element, "topic")}
    return found
