"""Compile serialized label expressions to SQL conditions on a label row, for any dialect.

A safe subset is compiled: comparisons of a label attribute with a number,
string or bool, ``is_in``, ``exists`` and ``&``/``|``/``~`` of those. The
condition must answer exactly as the Python evaluator
(:func:`labelloop.core.expressions.compile_expr`) does: a comparison involving
a missing value is false, ``!=`` against a missing value is true, booleans
never equal or order against numbers. Anything else raises ``ValueError`` and
the core evaluates the expression in Python.

The label row is the ``labels`` table's ``id`` and JSON ``data`` columns
(``alias.`` prefixed when given).
"""

from __future__ import annotations

from typing import Any

from labelloop.store import hot
from labelloop.store.dialect import STRING, Dialect, kind_of

_CMP = {"==": "=", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
_SWAP = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}


def literal(expr: Any) -> Any:
    """The value of a ``{"$lit": value}`` node (``ValueError`` for other nodes)."""
    if not (isinstance(expr, dict) and set(expr) == {"$lit"}):
        raise ValueError("not a literal")
    return expr["$lit"]


def attribute(expr: Any) -> str:
    """The dotted label attribute a ``{"$field": name}`` node reads."""
    if not (isinstance(expr, dict) and set(expr) == {"$field"}):
        raise ValueError("not a field reference")
    name = expr["$field"]
    if not name or name.startswith("$") or name == "tags":
        raise ValueError("unsupported field reference")
    return name


def operation(expr: Any) -> tuple[str, list[Any]]:
    """``(op, args)`` of an operation node (``ValueError`` for fields and literals)."""
    if not isinstance(expr, dict) or "$op" not in expr:
        raise ValueError("not an operation")
    return expr["$op"], expr.get("args", [])


def logic(op: str, parts: list[tuple[str, list[Any]]]) -> tuple[str, list[Any]]:
    """``and``/``or``/``not`` of compiled conditions (each never NULL)."""
    if not parts:
        raise ValueError("empty logic")
    if op == "not":
        return f"(NOT {parts[0][0]})", parts[0][1]
    return f"({f' {op.upper()} '.join(p[0] for p in parts)})", [x for p in parts for x in p[1]]


class LabelCompiler:
    """Conditions on one label row for one dialect (``alias`` qualifies the columns)."""

    def __init__(self, dialect: Dialect, alias: str = "") -> None:
        self.d = dialect
        self.data = f"{alias}.data" if alias else "data"
        self.id = f"{alias}.id" if alias else "id"

    def typed(self, expr: Any, value: Any) -> tuple[str, list[Any]]:
        """The attribute as an SQL value comparable with ``value`` (NULL if of another kind)."""
        kind = kind_of(value)
        if attribute(expr) == "id":  # a string: never equal to another kind
            return (self.id if kind == STRING else "NULL"), []
        column = hot.typed(self.data, attribute(expr), kind)
        if column is not None:
            return column, []
        path = self.d.path(attribute(expr))
        return self.d.json_typed(self.data, kind), [path, path]

    def missing(self, expr: Any, negate: bool) -> tuple[str, list[Any]]:
        """Whether the attribute is missing or JSON null (present, with ``negate``)."""
        test = "IS NOT NULL" if negate else "IS NULL"
        if attribute(expr) == "id":
            return f"({self.id} {test})", []
        sql = self.d.json_text(self.data)
        path = self.d.path(attribute(expr))
        # JSON null reads as the text 'null': the Python evaluator sees None
        if negate:
            return f"COALESCE({sql} <> 'null', FALSE)", [path]
        return f"COALESCE({sql} = 'null', TRUE)", [path]

    def condition(self, expr: Any) -> tuple[str, list[Any]]:
        """``(sql, params)``: a boolean that is never NULL."""
        op, args = operation(expr)
        if op in ("and", "or", "not"):
            return logic(op, [self.condition(a) for a in args])
        if op in _CMP:
            left, right = args
            if isinstance(left, dict) and "$lit" in left:  # literal on the left: swap
                left, right = right, left
                op = _SWAP.get(op, op)
            value = literal(right)
            if value is None:
                if op not in ("==", "!="):
                    return "FALSE", []  # ordering against None is never true
                return self.missing(left, op == "!=")
            col, params = self.typed(left, value)
            default = "TRUE" if op == "!=" else "FALSE"  # a missing or other-typed value
            mark = self.d.typed_param(kind_of(value))
            return (
                f"COALESCE({col} {_CMP[op]} {mark}, {default})",
                [*params, self.d.param_value(value)],
            )
        if op == "is_in":
            left, values = args
            values = literal(values)
            if not isinstance(values, list) or not values:
                raise ValueError("is_in needs a non-empty list")
            kinds = {kind_of(v) for v in values}
            if len(kinds) != 1:
                raise ValueError("is_in over mixed types")
            kind = kinds.pop()
            col, params = self.typed(left, values[0])
            marks = ",".join(self.d.typed_param(kind) for _ in values)
            return (
                f"COALESCE({col} IN ({marks}), FALSE)",
                [*params, *(self.d.param_value(v) for v in values)],
            )
        if op == "exists":
            left, flag = args
            return self.missing(left, bool(literal(flag)))
        raise ValueError(f"operation {op!r} is not compiled")


def compile_expr(expr: Any, dialect: Dialect, alias: str = "") -> tuple[str, list[Any]]:
    """``(sql, params)`` for a boolean expression over one label's attributes."""
    return LabelCompiler(dialect, alias).condition(expr)
