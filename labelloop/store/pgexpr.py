"""Compile simple serialized label expressions to PostgreSQL conditions on ``labels.data``.

The PostgreSQL twin of :mod:`labelloop.store.sqlexpr`: the same safe subset
(comparisons of a label attribute with a number, string or bool, ``is_in``,
``exists`` and ``&``/``|``/``~`` of those), the same answers as the Python
evaluator (a comparison involving a missing value is false, ``!=`` against a
missing value is true). Anything else raises ``ValueError`` and the core
evaluates the expression in Python. Parameters use psycopg's ``%s`` style.
"""

from __future__ import annotations

from typing import Any

from labelloop.store.sqlexpr import _literal

_CMP = {"==": "=", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
_SWAP = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}


def _parts(expr: Any) -> list[str]:
    if not (isinstance(expr, dict) and set(expr) == {"$field"}):
        raise ValueError("not a field reference")
    name = expr["$field"]
    if not name or name.startswith("$") or name in ("tags",):
        raise ValueError("unsupported field reference")
    return name.split(".")


_KINDS = (
    (bool, "boolean", "boolean"),
    ((int, float), "number", "numeric"),
    (str, "string", "text"),
)


def _typed(expr: Any, literal: Any) -> tuple[str, list[Any]]:
    """SQL for the attribute as a value comparable with ``literal`` (NULL if of another type).

    ``CASE`` guarantees the cast only ever sees values of the right JSON type.
    """
    if expr.get("$field") == "id":
        if not isinstance(literal, str):
            raise ValueError("ids are strings")
        return "id", []
    for types, kind, cast in _KINDS:
        if isinstance(literal, types):
            path = _parts(expr)
            sql = (
                f"(CASE WHEN json_typeof(data::json #> %s::text[]) = '{kind}' "
                f"THEN (data::json #>> %s::text[])::{cast} END)"
            )
            return sql, [path, path]
    raise ValueError("unsupported literal")


def _param(value: Any) -> str:
    for types, _, cast in _KINDS:
        if isinstance(value, types):
            return f"%s::{cast}"
    raise ValueError("unsupported literal")


def compile_expr(expr: Any) -> tuple[str, list[Any]]:
    """``(sql, params)`` for a boolean expression over one label's attributes."""
    if not isinstance(expr, dict) or "$op" not in expr:
        raise ValueError("not an operation")
    op, args = expr["$op"], expr.get("args", [])
    if op in ("and", "or"):
        parts = [compile_expr(a) for a in args]
        sql = f" {op.upper()} ".join(f"COALESCE(({p[0]}), FALSE)" for p in parts)
        return f"({sql})", [x for p in parts for x in p[1]]
    if op == "not":
        inner, params = compile_expr(args[0])
        return f"NOT COALESCE(({inner}), FALSE)", params
    if op in _CMP:
        left, right = args
        if isinstance(left, dict) and "$lit" in left:  # literal on the left: swap
            left, right = right, left
            op = _SWAP.get(op, op)
        value = _literal(right)
        if value is None:
            if op not in ("==", "!="):
                return "FALSE", []  # ordering against None is never true
            return _missing(left, op == "!=")
        col, params = _typed(left, value)
        default = "TRUE" if op == "!=" else "FALSE"  # a missing or other-typed value
        return f"COALESCE({col} {_CMP[op]} {_param(value)}, {default})", [*params, value]
    if op == "is_in":
        left, values = args
        values = _literal(values)
        if not isinstance(values, list) or not values:
            raise ValueError("is_in needs a non-empty list")
        kinds = {type(v) for v in values}
        if kinds - {str} and kinds - {int, float}:
            raise ValueError("is_in over mixed or unsupported types")
        col, params = _typed(left, values[0])
        marks = ",".join(_param(v) for v in values)
        return f"COALESCE({col} IN ({marks}), FALSE)", [*params, *values]
    if op == "exists":
        left, flag = args
        return _missing(left, bool(_literal(flag)))
    raise ValueError(f"operation {op!r} is not compiled")


def _missing(expr: Any, negate: bool) -> tuple[str, list[Any]]:
    """``IS NULL`` (or ``IS NOT NULL``) of the attribute; JSON null counts as missing."""
    if expr.get("$field") == "id":
        return f"id IS {'NOT ' if negate else ''}NULL", []
    return f"(data::json #>> %s::text[]) IS {'NOT ' if negate else ''}NULL", [_parts(expr)]
