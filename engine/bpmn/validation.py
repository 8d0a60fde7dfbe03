"""Deploy-time checks: every problem in a diagram, reported at once."""
import re

from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.exceptions import SpiffWorkflowException

from engine.bpmn import outputs
from engine.bpmn.expressions import UnsafeExpression, check_expression
from engine.bpmn.model import NS, SERVICE, USER
from engine.errors import Problem

_xsd = None
ITEM_CHOICES = ("free", "bundle")  # process property itemChoice (bpmn/README.md "Items")
# paper stubs' hand-over (bpmn/README.md "Paper stubs"; engine/deadlines/stubs.py reads them)
STUB_SCHEDULE = re.compile(r"^(monthly|quarterly)(:([1-9]|[12][0-9]|3[01]))?$")
STUB_STATIONS = ("hukou", "institution")
# limitWorkingDays / promiseWorkingDays: promises a seed states; targetWorkingDays: an operator's internal target
LIMIT_PROPERTIES = ("limitWorkingDays", "targetWorkingDays", "warningWorkingDays", "escalationLevel1WorkingDays",
                    "escalationLevel2WorkingDays", "retries", "retryBackoffSeconds")


def xsd_problems(root, filename: str) -> list[Problem]:
    global _xsd
    _xsd = _xsd or BpmnValidator()
    if _xsd.validator.validate(etree.ElementTree(root)):
        return []
    return [Problem(f"{filename}:{err.line}", "xsd", err.message) for err in _xsd.validator.error_log]


def parse_problem(exc: Exception, filename: str) -> Problem:
    if isinstance(exc, ValidationException):
        where = f"{filename}:{exc.sourceline}" if getattr(exc, "sourceline", None) else filename
        ident = getattr(exc, "id", None)
        return Problem(f"{where}#{ident}" if ident else where, "bpmn_invalid", str(exc).split("\n")[0])
    if isinstance(exc, SpiffWorkflowException):
        return Problem(filename, "bpmn_invalid", str(exc).split("\n")[0])
    return Problem(filename, "bpmn_invalid", f"{type(exc).__name__}: {exc}")


def expression_problems(root, filename: str) -> list[Problem]:
    problems = []
    for node in root.xpath("//bpmn:conditionExpression | //bpmn:script", namespaces=NS):
        mode = "exec" if etree.QName(node).localname == "script" else "eval"
        owner = node.getparent().get("id")
        try:
            check_expression((node.text or "").strip() or "True", mode)
        except UnsafeExpression as exc:
            problems.append(Problem(f"{filename}#{owner}", "unsafe_expression", f"表达式被拒绝：{exc}"))
    return problems


def activity_problems(activities: dict, process_props: dict, known_groups, known_topics,
                      filename: str) -> list[Problem]:
    problems = []
    for bpmn_id, act in activities.items():
        where = f"{filename}#{bpmn_id}"
        if act["kind"] == USER and not act["candidate_groups"] and not act.get("candidate_users"):
            problems.append(Problem(where, "no_candidate_group", f"用户任务「{act['name']}」未设置候选组"))
        for group in act.get("candidate_groups", []):
            if known_groups is not None and group not in known_groups:
                problems.append(Problem(where, "unknown_group", f"候选组 {group} 无人负责"))
        if act["kind"] == SERVICE:
            if act.get("type") != "external" or not act.get("topic"):
                problems.append(Problem(where, "no_topic", f"服务任务「{act['name']}」须为外部任务并设置主题"))
            elif known_topics is not None and act["topic"] not in known_topics:
                problems.append(Problem(where, "unknown_topic", f"主题 {act['topic']} 没有对应的工作者"))
            problems += outputs.syntax_problems(act["properties"], where)
        problems += _number_problems(act["properties"], where)
    problems += _number_problems(process_props, filename, ("promiseWorkingDays",) + LIMIT_PROPERTIES)
    choice = process_props.get("itemChoice")
    if choice is not None and choice.strip() not in ITEM_CHOICES:
        problems.append(Problem(f"{filename}.itemChoice", "invalid_item_choice",
                                f"itemChoice 须为 free（自由勾选）或 bundle（固定套餐），实际为 {choice!r}"))
    return problems + _stub_problems(process_props, filename)


def _stub_problems(props: dict, filename: str) -> list[Problem]:
    problems = []
    schedule, station = props.get("stubHandover"), props.get("stubHandoverTo")
    if schedule is not None and not STUB_SCHEDULE.match(schedule.strip()):
        problems.append(Problem(f"{filename}.stubHandover", "invalid_stub_schedule",
                                f"stubHandover 须为 monthly[:日] 或 quarterly[:日]，实际为 {schedule!r}"))
    if station is not None and station.strip() not in STUB_STATIONS:
        problems.append(Problem(f"{filename}.stubHandoverTo", "invalid_stub_station",
                                f"stubHandoverTo 须为 hukou（落户派出所）或 institution（签发机构所在地派出所），实际为 {station!r}"))
    return problems


def _number_problems(props: dict, where: str, names=LIMIT_PROPERTIES) -> list[Problem]:
    problems = []
    for name in names:
        if name in props:
            value = props[name]
            if not (isinstance(value, str) and value.strip().isdigit() and int(value) > 0):
                problems.append(Problem(f"{where}.{name}", "invalid_limit", f"{name} 必须是正整数，实际为 {value!r}"))
    return problems


def critical_path(spec, activities: dict) -> tuple[int, list[str]]:
    """Longest path of task promises (``limitWorkingDays``) from start to end; loops (back edges) are
    ignored. Internal targets (``targetWorkingDays``) are the operator's business and not counted."""
    total, path = critical_path_ids(spec, activities)
    return total, [label for label, _ in path]


def critical_path_ids(spec, activities: dict) -> tuple[int, list[tuple[str, str]]]:
    """``critical_path`` with each step's BPMN id beside its label: (total, [(label, id)])."""
    memo: dict[str, tuple[int, list]] = {}
    on_path: set[str] = set()

    def weight(task_spec) -> int:
        act = activities.get(getattr(task_spec, "bpmn_id", None) or "")
        limit = (act or {}).get("properties", {}).get("limitWorkingDays", "")
        return int(limit) if limit.isdigit() else 0

    def longest(task_spec) -> tuple[int, list[str]]:
        if task_spec.name in memo:
            return memo[task_spec.name]
        on_path.add(task_spec.name)
        best = (0, [])
        for nxt in task_spec.outputs:
            if nxt.name not in on_path:
                best = max(best, longest(nxt), key=lambda r: r[0])
        on_path.discard(task_spec.name)
        own = weight(task_spec)
        bpmn_id = getattr(task_spec, "bpmn_id", None) or ""
        label = activities.get(bpmn_id, {}).get("name")
        result = (own + best[0], ([(f"{label}({own})", bpmn_id)] if own else []) + best[1])
        memo[task_spec.name] = result
        return result

    return longest(spec.start)


def promise_problems(spec, activities: dict, process_props: dict, filename: str) -> list[Problem]:
    promise = process_props.get("promiseWorkingDays", "")
    if not promise.isdigit():
        return []
    total, path = critical_path_ids(spec, activities)
    if total > int(promise):
        labels = " → ".join(label for label, _ in path)
        return [Problem(f"{filename}.promiseWorkingDays", "promise_shorter_than_path",
                        f"承诺时限 {promise} 个工作日短于关键路径 {total} 个工作日：{labels}",
                        tuple(bpmn_id for _, bpmn_id in path))]
    return []
