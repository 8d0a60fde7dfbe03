"""Restricted expressions for gateway conditions and script tasks.

SpiffWorkflow's default script engine ``eval``s with full builtins. Every expression
and script is parsed and checked against an AST allow-list before it may run, at
deploy time (refused with a problem) and again at run time (defence in depth).
"""
import ast
from functools import lru_cache

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment

SAFE_FUNCTIONS = {
    "len": len, "min": min, "max": max, "sum": sum, "any": any, "all": all,
    "abs": abs, "round": round, "int": int, "str": str, "bool": bool, "sorted": sorted,
}

_ALLOWED_NODES = (
    ast.Expression, ast.Module, ast.Expr, ast.Assign, ast.AugAssign, ast.If, ast.Pass,
    ast.BoolOp, ast.And, ast.Or, ast.UnaryOp, ast.Not, ast.USub, ast.UAdd,
    ast.BinOp, ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod,
    ast.Compare, ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.In, ast.NotIn,
    ast.Is, ast.IsNot, ast.IfExp, ast.Name, ast.Load, ast.Store, ast.Constant,
    ast.List, ast.Tuple, ast.Set, ast.Dict, ast.Subscript, ast.Slice, ast.Call,
    ast.Attribute,
)
# Attribute access is limited to these read-only methods of plain data.
_ALLOWED_ATTRIBUTES = {"get", "keys", "values", "items", "startswith", "endswith", "lower", "upper", "strip"}


class UnsafeExpression(ValueError):
    pass


def check_expression(source: str, mode: str = "eval") -> None:
    """Raise ``UnsafeExpression`` unless ``source`` uses only allow-listed syntax."""
    try:
        tree = ast.parse(source, mode=mode)
    except SyntaxError as exc:
        raise UnsafeExpression(f"语法错误：{exc.msg}") from None
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED_NODES):
            raise UnsafeExpression(f"不允许的语法：{type(node).__name__}")
        if isinstance(node, ast.Name) and node.id.startswith("_"):
            raise UnsafeExpression(f"不允许的名称：{node.id}")
        if isinstance(node, ast.Attribute) and node.attr not in _ALLOWED_ATTRIBUTES:
            raise UnsafeExpression(f"不允许的属性：{node.attr}")
        if isinstance(node, ast.Call):
            target = node.func
            if isinstance(target, ast.Name) and target.id not in SAFE_FUNCTIONS:
                raise UnsafeExpression(f"不允许的函数：{target.id}")
            if not isinstance(target, (ast.Name, ast.Attribute)):
                raise UnsafeExpression("不允许的调用")
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and "__" in node.value:
            raise UnsafeExpression("不允许含双下划线的字符串")


@lru_cache(maxsize=4096)
def checked_code(source: str, mode: str):
    """``source`` checked (``check_expression``) and compiled, once per distinct text: a diagram's few
    conditions are evaluated on every step of every case. Refused text raises each time (not cached)."""
    check_expression(source, mode)
    return compile(source, "<bpmn>", mode)


class RestrictedEnvironment(TaskDataEnvironment):
    """Evaluates allow-listed code with no builtins but a few pure functions."""

    def __init__(self):
        super().__init__({"__builtins__": {}, **SAFE_FUNCTIONS})

    def evaluate(self, expression, context, external_context=None):
        return super().evaluate(checked_code(expression, "eval"), context, external_context)

    def execute(self, script, context, external_context=None):
        return super().execute(checked_code(script, "exec"), context, external_context)


class RestrictedScriptEngine(PythonScriptEngine):
    def __init__(self):
        super().__init__(environment=RestrictedEnvironment())

    def validate(self, expression):
        check_expression(expression, "eval")
