"""Declared outputs of service tasks: what a department returns, checked before a worker's step runs.

A service task's extension property ``outputs`` lists the variables its department returns
(``hukou_refused:boolean, elicence:object``); ``errorOutputs.<errorCode>`` lists those a BPMN error
carries. Types: string, boolean, integer, number, object, list; a trailing ``?`` marks an optional
one, which may be absent or null. A task that declares outputs refuses undeclared variables (a
department must not set variables the diagram routes on, such as ``items`` or ``decision``); a task
that declares nothing accepts any variables (diagrams written before the convention).
"""
import re
from dataclasses import dataclass

from engine.errors import Problem

OUTPUTS = "outputs"
ERROR_OUTPUTS = "errorOutputs."
TYPES = {
    "string": ("字符串", lambda v: isinstance(v, str)),
    "boolean": ("布尔值", lambda v: isinstance(v, bool)),
    "integer": ("整数", lambda v: isinstance(v, int) and not isinstance(v, bool)),
    "number": ("数字", lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)),
    "object": ("对象", lambda v: isinstance(v, dict)),
    "list": ("列表", lambda v: isinstance(v, list)),
}
_ENTRY = re.compile(r"^([A-Za-z][A-Za-z0-9_]*)\s*:\s*([a-z]+)(\?)?$")


@dataclass(frozen=True)
class Output:
    name: str
    type: str
    optional: bool = False

    def as_dict(self) -> dict:
        return {"name": self.name, "type": self.type, "optional": self.optional}


def parse(value: str) -> tuple[list[Output], list[str]]:
    """The declared outputs and, for each entry that is not ``name:type[?]``, why."""
    outputs, errors, seen = [], [], set()
    for entry in (e.strip() for e in (value or "").split(",")):
        if not entry:
            continue
        match = _ENTRY.match(entry)
        if match is None:
            errors.append(f"「{entry}」不是 变量名:类型 的形式")
        elif match.group(2) not in TYPES:
            errors.append(f"「{entry}」的类型须为 {'/'.join(TYPES)} 之一")
        elif match.group(1) in seen:
            errors.append(f"变量 {match.group(1)} 重复声明")
        else:
            seen.add(match.group(1))
            outputs.append(Output(match.group(1), match.group(2), bool(match.group(3))))
    return outputs, errors


def declarations(props: dict) -> dict:
    """The activity's declarations as stored with the version: ``outputs`` and ``error_outputs`` by code."""
    found = {}
    if OUTPUTS in props:
        found["outputs"] = [o.as_dict() for o in parse(props[OUTPUTS])[0]]
    errors = {name[len(ERROR_OUTPUTS):]: [o.as_dict() for o in parse(value)[0]]
              for name, value in props.items() if name.startswith(ERROR_OUTPUTS)}
    if errors:
        found["error_outputs"] = errors
    return found


def syntax_problems(props: dict, where: str) -> list[Problem]:
    """Deploy-time: every malformed ``outputs`` / ``errorOutputs.<code>`` entry of one activity."""
    problems = []
    for name, value in props.items():
        if name == OUTPUTS or (name.startswith(ERROR_OUTPUTS) and len(name) > len(ERROR_OUTPUTS)):
            problems += [Problem(f"{where}.{name}", "invalid_outputs", f"{name}：{error}")
                         for error in parse(value)[1]]
    return problems


def declared_for(activity: dict, error_code: str | None = None) -> list[dict] | None:
    """What the completion (or the BPMN error ``error_code``) may carry; None when nothing is declared."""
    if "outputs" not in activity and "error_outputs" not in activity:
        return None
    if error_code is None:
        return activity.get("outputs", [])
    return activity.get("error_outputs", {}).get(error_code, [])


def payload_problems(declared: list[dict], variables: dict) -> list[Problem]:
    """Every missing, mistyped or undeclared variable of a worker's payload, named by field."""
    problems = []
    for out in declared:
        name, label = out["name"], TYPES[out["type"]][0]
        value = variables.get(name)
        if value is None:
            if not out["optional"]:
                problems.append(Problem(name, "missing_variable", f"缺少声明的输出变量 {name}（{label}）"))
        elif not TYPES[out["type"]][1](value):
            problems.append(Problem(name, "invalid_variable_type", f"输出变量 {name} 须为{label}"))
    known = {out["name"] for out in declared}
    problems += [Problem(name, "undeclared_variable", f"变量 {name} 未在该任务的输出声明中")
                 for name in variables if name not in known]
    return problems
