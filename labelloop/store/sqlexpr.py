"""Compile simple serialized label expressions to SQLite conditions on ``labels.data``.

Only a safe subset is compiled (comparisons of a label attribute with a number
or string, ``is_in``, ``exists``, and ``&``/``|``/``~`` of those); anything else
raises ``ValueError`` and the core evaluates the expression in Python. The
compiled condition must agree with the Python evaluator: comparisons involving
a missing value are false, ``!=`` against a missing value is true.
"""

from __future__ import annotations

from typing import Any

_CMP = {"==": "=", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}


def _path(expr: Any) -> str:
    if not (isinstance(expr, dict) and set(expr) == {"$field"}):
        raise ValueError("not a field reference")
    name = expr["$field"]
    if not name or name.startswith("$") or name in ("tags",):
        raise ValueError("unsupported field reference")
    return "$." + ".".join('"' + p.replace('"', '\\"') + '"' for p in name.split("."))


def _literal(expr: Any) -> Any:
    if not (isinstance(expr, dict) and set(expr) == {"$lit"}):
        raise ValueError("not a literal")
    return expr["$lit"]


def _value_sql(expr: Any) -> tuple[str, list[Any]]:
    if expr.get("$field") == "id":
        return "id", []
    return "json_extract(data, ?)", [_path(expr)]


def _type_guard(expr: Any, literal: Any) -> tuple[str, list[Any]]:
    """SQL requiring the attribute to have the literal's JSON type family."""
    if expr.get("$field") == "id":
        if not isinstance(literal, str):
            raise ValueError("ids are strings")
        return "1", []
    if isinstance(literal, bool):
        return "json_type(data, ?) IN ('true', 'false')", [_path(expr)]
    if isinstance(literal, (int, float)):
        return "json_type(data, ?) IN ('integer', 'real')", [_path(expr)]
    if isinstance(literal, str):
        return "json_type(data, ?) = 'text'", [_path(expr)]
    raise ValueError("unsupported literal")


def compile_expr(expr: Any) -> tuple[str, list[Any]]:
    """``(sql, params)`` for a boolean expression over one label's attributes."""
    if not isinstance(expr, dict) or "$op" not in expr:
        raise ValueError("not an operation")
    op, args = expr["$op"], expr.get("args", [])
    if op in ("and", "or"):
        parts = [compile_expr(a) for a in args]
        sql = f" {op.upper()} ".join(f"COALESCE(({p[0]}), 0)" for p in parts)
        return f"({sql})", [x for p in parts for x in p[1]]
    if op == "not":
        inner, params = compile_expr(args[0])
        return f"NOT COALESCE(({inner}), 0)", params
    if op in _CMP:
        left, right = args
        if isinstance(left, dict) and "$lit" in left:  # literal on the left: swap
            left, right = right, left
            op = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}.get(op, op)
        value = _literal(right)
        col, params = _value_sql(left)
        if value is None:
            if op not in ("==", "!="):
                return "0", []  # ordering against None is never true
            return f"{col} IS {'NOT ' if op == '!=' else ''}NULL", params
        guard, gparams = _type_guard(left, value)
        value = int(value) if isinstance(value, bool) else value
        if op == "!=":
            return f"(NOT COALESCE(({guard}), 0) OR {col} != ?)", [*gparams, *params, value]
        return f"({guard} AND {col} {_CMP[op]} ?)", [*gparams, *params, value]
    if op == "is_in":
        left, values = args
        values = _literal(values)
        if not isinstance(values, list) or not values:
            raise ValueError("is_in needs a non-empty list")
        kinds = {type(v) for v in values}
        if kinds - {str} and kinds - {int, float}:
            raise ValueError("is_in over mixed or unsupported types")
        col, params = _value_sql(left)
        guard, gparams = _type_guard(left, values[0])
        marks = ",".join("?" * len(values))
        return f"({guard} AND {col} IN ({marks}))", [*gparams, *params, *values]
    if op == "exists":
        left, flag = args
        col, params = _value_sql(left)
        return f"{col} IS {'NOT ' if _literal(flag) else ''}NULL", params
    raise ValueError(f"operation {op!r} is not compiled")
