"""Deploy-time: every variable a gateway condition reads must come from somewhere.

Sources: a service task's declared ``outputs`` / ``errorOutputs.<code>``, a user task's form fields
(``camunda:formData``), a script's assignments, the region's form facts (given by the caller, from
``forms/``), ``items`` and the ``error_message`` the engine sets on a BPMN error.
"""
import ast

from lxml import etree

from engine.bpmn import outputs
from engine.bpmn.expressions import SAFE_FUNCTIONS, UnsafeExpression, check_expression
from engine.bpmn.model import NS
from engine.errors import Problem

ENGINE_VARIABLES = {"items", "error_message"}


def names_read(source: str, mode: str = "eval") -> set[str]:
    """Names a condition (``mode="eval"``) or a script (``"exec"``) reads, not the allow-listed
    functions; empty when it is refused anyway. A script's names are read even if it assigns them first."""
    try:
        check_expression(source, mode)
    except UnsafeExpression:
        return set()  # the expression check names the problem; its names are not variables
    tree = ast.parse(source, mode=mode)
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
            and n.id not in SAFE_FUNCTIONS}


def _assigned(source: str) -> set[str]:
    try:
        tree = ast.parse(source, mode="exec")
    except SyntaxError:
        return set()
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}


def provided(root) -> set[str]:
    """Every variable the diagram's tasks declare or set."""
    found = set(ENGINE_VARIABLES)
    for prop in root.xpath("//bpmn:serviceTask/bpmn:extensionElements/camunda:properties/camunda:property",
                           namespaces=NS):
        name = prop.get("name") or ""
        if name == outputs.OUTPUTS or name.startswith(outputs.ERROR_OUTPUTS):
            found |= {o.name for o in outputs.parse(prop.get("value") or "")[0]}
    found |= {f.get("id") for f in root.xpath("//camunda:formData/camunda:formField", namespaces=NS) if f.get("id")}
    for script in root.xpath("//bpmn:scriptTask/bpmn:script", namespaces=NS):
        found |= _assigned(script.text or "")
    return found


def read(root) -> set[str]:
    """Every variable the diagram's conditions and scripts read (``names_read``)."""
    found = set()
    for node in root.xpath("//bpmn:conditionExpression | //bpmn:script", namespaces=NS):
        mode = "exec" if etree.QName(node).localname == "script" else "eval"
        found |= names_read((node.text or "").strip() or "True", mode)
    return found


def condition_problems(root, known_facts, filename: str) -> list[Problem]:
    """Each condition's variables that nothing provides; ``known_facts`` None skips the check."""
    if known_facts is None:
        return []
    available = provided(root) | set(known_facts)
    problems = []
    for node in root.xpath("//bpmn:conditionExpression", namespaces=NS):
        owner = node.getparent().get("id")
        for name in sorted(names_read((node.text or "").strip() or "True") - available):
            problems.append(Problem(f"{filename}#{owner}", "undeclared_variable",
                                    f"条件读取的变量 {name} 没有任何任务、表单或申请表事实提供"))
    return problems
