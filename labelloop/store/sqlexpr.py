"""Compile serialized expressions to SQL, for any dialect, answering as Python does.

:class:`ExprCompiler` compiles what any expression may hold: comparisons with
a literal, ``&``/``|``/``~``, ``is_in``, ``exists``, arithmetic (``+ - * /``
on both engines, ``%`` and ``**`` on SQLite; ``-x``, ``abs``), ``strlen``,
``lower``/``upper`` (SQLite), ``starts_with``/``ends_with`` (case-insensitive
on SQLite) and ``re_match`` (SQLite; PostgreSQL for the patterns
:mod:`labelloop.store.sqlregex` translates exactly). What a field is comes
from a subclass: :class:`LabelCompiler` reads one label row's attributes (dotted
paths into nested attributes too), :mod:`labelloop.store.sqlview` a sample's
fields and label lists.

Every condition is never NULL and equals the Python evaluator
(:func:`labelloop.core.expressions.compile_expr`): a comparison involving a
missing value is false, ``!=`` against it true, booleans never equal or order
against numbers, arithmetic on ``None``, strings or lists and division by zero
give ``None``. Not compiled (``ValueError``, the core evaluates those in
Python): comparisons of two fields, ``F("$root")`` references inside label
expressions, ``round``, ``if_else``, ``at`` (``[i]``), ``sum``/``min``/``max``/
``mean``, ``length()`` of anything but label lists, ``==``/``exists`` of an
arithmetic result that may have been computed from a string (``"a" * 2``),
and on PostgreSQL ``%``, ``**``, case folding and the patterns above. Python
raises where SQL answers ``None`` for ``-x``/``abs`` of a string and where
``**`` overflows a float; floats beyond 1e308 and integers beyond 2**53 are
computed in doubles on PostgreSQL.
"""

from __future__ import annotations

import json
import re
from typing import Any

from labelloop.store.dialect import STRING, Dialect, kind_of
from labelloop.store.sqlvalues import Column, Json, Literal, Number, Sql, Text, Value

#: Comparison operators of the expression language in SQL.
CMP = {"==": "=", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
_SWAP = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}
_ARITH = ("+", "-", "*", "/", "%", "**")


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
    if not name or name.startswith("$") or name.split(".")[0] == "tags":
        raise ValueError("unsupported field reference")
    return name


def operation(expr: Any) -> tuple[str, list[Any]]:
    """``(op, args)`` of an operation node (``ValueError`` for fields and literals)."""
    if not isinstance(expr, dict) or "$op" not in expr:
        raise ValueError("not an operation")
    return expr["$op"], expr.get("args", [])


def logic(op: str, parts: list[Sql]) -> Sql:
    """``and``/``or``/``not`` of compiled conditions (each never NULL)."""
    if not parts:
        raise ValueError("empty logic")
    if op == "not":
        return f"(NOT {parts[0][0]})", parts[0][1]
    return f"({f' {op.upper()} '.join(p[0] for p in parts)})", [x for p in parts for x in p[1]]


#: Strings JSON writes one way only (no escapes): a document holding one holds its text.
_PLAIN = re.compile(r"[A-Za-z0-9_. -]+")


def has_string(d: Dialect, column: str, key: str, value: Any) -> Sql:
    """Whether the array at ``key`` of the JSON document ``column`` holds the string
    ``value``. A string JSON writes one way only is first looked for in the text, which
    rules most documents out without parsing them (1M labels, a tag on 1%: selecting the
    tagged ones took SQLite 1.25 s, 0.75 s so)."""
    sql, params = d.array_has(column), [d.path(key), value]
    if isinstance(value, str) and _PLAIN.fullmatch(value):
        return f"({d.text_has(column)} AND {sql})", [json.dumps(value), *params]
    return sql, params


def any_of(parts: list[Sql], joiner: str = " OR ") -> Sql:
    """Conditions joined by ``OR`` (or another joiner), false when there are none."""
    if not parts:
        return ("FALSE" if joiner == " OR " else "TRUE"), []
    return f"({joiner.join(p[0] for p in parts)})", [x for p in parts for x in p[1]]


def _is_literal(node: Any) -> bool:
    return isinstance(node, dict) and set(node) == {"$lit"}


def _nullable(value: Value) -> bool:
    """Whether a value may be ``None`` or no number (else arithmetic on it is never NULL)."""
    if isinstance(value, Literal):
        return value.odd() is not None or value.value is None
    return not isinstance(value, Number) or value.nullable


class ExprCompiler:
    """Values and conditions of expression nodes; subclasses say what a field is."""

    def __init__(self, dialect: Dialect) -> None:
        self.d = dialect

    def field(self, path: str) -> Any:
        """What ``{"$field": path}`` stands for (a :class:`Value` or the subclass's own)."""
        raise NotImplementedError

    def special_value(self, op: str, args: list[Any]) -> Any:
        """A subclass's own operations on values (``length`` of label lists, ...)."""
        raise ValueError(f"operation {op!r} is not compiled")

    def special_condition(self, op: str, args: list[Any]) -> Sql:
        """A subclass's own conditions (``contains`` ...)."""
        raise ValueError(f"operation {op!r} is not compiled")

    # -- values ------------------------------------------------------------------

    def value(self, node: Any) -> Any:
        if _is_literal(node):
            return Literal(self.d, node["$lit"])
        if isinstance(node, dict) and "$field" in node:
            return self.field(node["$field"])
        op, args = operation(node)
        if op in _ARITH:
            return self.arith(op, [self.scalar(a) for a in args])
        if op in ("neg", "abs"):
            inner = self.scalar(args[0])
            sql, params = inner.number()
            text = f"(-{sql})" if op == "neg" else f"abs({sql})"
            return Number(text, params, inner.odd() is None, inner.odd(), _nullable(inner))
        if op in ("lower", "upper", "strlen"):
            sql, params = self.scalar(args[0]).typed(STRING)
            if op == "strlen":
                return Number(f"length({sql})", params, True)
            text = self.d.text_function(op, sql)
            if text is None:
                raise ValueError(f"{op}() is not compiled on {self.d.name}")
            return Text(text, params)
        return self.special_value(op, args)

    def scalar(self, node: Any) -> Value:
        """The :class:`Value` of a node (``ValueError`` for lists of labels and such)."""
        value = self.value(node)
        if not isinstance(value, Value):
            raise ValueError("not a scalar expression")
        return value

    def arith(self, op: str, operands: list[Value]) -> Number:
        (left, lp), (right, rp) = (v.number() for v in operands)
        sql = self.d.arith(op, left, right)
        if sql is None:
            raise ValueError(f"operator {op!r} is not compiled on {self.d.name}")
        odds = [o for o in (v.odd() for v in operands) if o is not None]
        if op == "**":  # a negative number to a fractional power is complex in Python
            odds.append(
                (
                    f"({sql} IS NULL AND {left} IS NOT NULL AND {right} IS NOT NULL)",
                    [*lp, *rp, *lp, *rp],
                )
            )
        odd = any_of(odds) if odds else None
        nullable = op not in ("+", "-", "*") or any(_nullable(v) for v in operands)
        return Number(sql, [*lp, *rp], not odds, odd, nullable)

    # -- conditions ----------------------------------------------------------------

    def condition(self, node: Any) -> Sql:
        """``(sql, params)``: a boolean that is never NULL."""
        op, args = operation(node)
        if op in ("and", "or", "not"):
            return logic(op, [self.condition(a) for a in args])
        if op in CMP:
            left, right = args
            if _is_literal(left) and not _is_literal(right):
                left, right = right, left
                op = _SWAP.get(op, op)
            return self.compare(self.value(left), op, literal(right))
        if op == "is_in":
            values = literal(args[1])
            if not isinstance(values, list):
                raise ValueError("is_in of a literal list only")
            value = self.value(args[0])
            return any_of([self.compare(value, "==", v) for v in values])
        if op == "exists":
            return self.exists(self.value(args[0]), bool(literal(args[1])))
        if op in ("starts_with", "ends_with"):
            return self.affix(op, self.scalar(args[0]), literal(args[1]), literal(args[2]))
        if op == "re_match":
            return self.re_match(self.scalar(args[0]), literal(args[1]), literal(args[2]))
        return self.special_condition(op, args)

    def compare(self, value: Any, op: str, lit: Any) -> Sql:
        if not isinstance(value, Value):
            raise ValueError("comparison not compiled")
        if lit is None:
            if op not in ("==", "!="):
                return "FALSE", []  # ordering against None is never true
            return self.exists(value, op == "!=")
        kind = kind_of(lit)
        default = "TRUE" if op == "!=" else "FALSE"  # a missing or other-typed value
        if kind not in value.kinds:
            return default, []
        sql, params = value.typed(kind)
        if kind == STRING and op not in ("==", "!="):
            sql += self.d.collate  # code points, as Python orders strings
        test = f"{sql} {CMP[op]} {self.d.typed_param(kind)}"
        args = [*params, self.d.param_value(lit)]
        if default == "FALSE" and value.indexed(kind):
            # the bare comparison and a test the index also answers, never NULL together
            # (a COALESCE of the comparison made PostgreSQL read each row's document: 20k
            # samples x 10, eval == "fp" 0.9 s instead of 0.08 s)
            return f"({test} AND {sql} IS NOT NULL)", [*args, *params]
        return f"COALESCE({test}, {default})", args

    def exists(self, value: Any, flag: bool) -> Sql:
        if not isinstance(value, Value):
            raise ValueError("exists() not compiled")
        null = value.null()
        if null is None:
            raise ValueError("whether this value is None is not known in SQL")
        return (f"(NOT {null[0]})" if flag else null[0]), null[1]

    def affix(self, op: str, value: Value, affixes: Any, case_sensitive: Any) -> Sql:
        options = affixes if isinstance(affixes, list) else [affixes]
        if not all(isinstance(o, str) for o in options):
            raise ValueError("affixes are strings")  # Python raises
        sql, params = value.typed(STRING)
        if not case_sensitive:
            lowered = self.d.text_function("lower", sql)
            if lowered is None:
                raise ValueError(f"case folding is not compiled on {self.d.name}")
            sql, options = lowered, [o.lower() for o in options]
        parts: list[Sql] = []
        for option in options:
            if not option:  # every string starts with ""
                parts.append((f"({sql} IS NOT NULL)", list(params)))
                continue
            piece = self.d.affix(sql, len(option), op == "ends_with")
            parts.append((f"COALESCE({piece} = ?, FALSE)", [*params, option]))
        return any_of(parts)

    def re_match(self, value: Value, pattern: Any, options: Any) -> Sql:
        if not isinstance(pattern, str) or not isinstance(options, (str, type(None))):
            raise ValueError("re_match of a string pattern only")
        try:
            re.compile(pattern)
        except re.error as e:
            raise ValueError("not a regular expression: Python raises") from e
        found = self.d.regex(value.typed(STRING), pattern, options)
        if found is None:
            raise ValueError(f"this pattern is not compiled on {self.d.name}")
        return found


class LabelCompiler(ExprCompiler):
    """Conditions on one label row (``alias`` qualifies its ``id`` and ``data`` columns)."""

    def __init__(self, dialect: Dialect, alias: str = "") -> None:
        super().__init__(dialect)
        self.data = f"{alias}.data" if alias else "data"
        self.id = f"{alias}.id" if alias else "id"

    def field(self, path: str) -> Value:
        name = attribute({"$field": path})
        if name == "id":
            return Column(self.id)
        return Json(self.d, self.data, name)

    def special_condition(self, op: str, args: list[Any]) -> Sql:
        if op != "contains":
            return super().special_condition(op, args)
        # a list attribute holding any (all) of some strings (e.g. F("tags").contains("x"))
        key = "tags" if args[0] == {"$field": "tags"} else attribute(args[0])
        values, all_ = literal(args[1]), bool(literal(args[2]))
        if not values or not all(isinstance(v, str) for v in values):
            raise ValueError("contains() of strings only")
        parts = [has_string(self.d, self.data, key, v) for v in values]
        return any_of(parts, " AND " if all_ else " OR ")


def compile_expr(expr: Any, dialect: Dialect, alias: str = "") -> Sql:
    """``(sql, params)`` for a boolean expression over one label's attributes."""
    return LabelCompiler(dialect, alias).condition(expr)
