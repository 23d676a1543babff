"""View expressions: ``F("confidence") > 0.8`` and friends.

An expression is a tree of plain JSON (``{"$field": path}``, ``{"$lit": value}``,
``{"$op": name, "args": [...]}``) so views that use it serialize into run
records. :func:`compile_expr` turns a tree into a Python function of
``(root, current)`` documents; stores may compile simple trees to their own
query language (see ``labelloop.store.sqlexpr`` and ``labelloop.store.sqlview``).

Field paths are dotted; a path that meets a list maps over it
(``F("ground_truth.detections.label")`` is the list of labels). ``F()`` is the
current element (inside ``filter``/``map``, the item), ``F("$x")`` the root
sample's field ``x``. Ordering comparisons involving ``None`` are false, and
booleans never equal or order against numbers.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable
from typing import Any

Node = Any
Evaluator = Callable[[Any, Any], Any]


def _node(value: Any) -> Node:
    """The tree of an expression or a literal."""
    if isinstance(value, ViewExpression):
        return value._node
    if isinstance(value, (list, tuple)) and any(isinstance(v, ViewExpression) for v in value):
        return {"$op": "array", "args": [_node(v) for v in value]}
    if isinstance(value, tuple):
        value = list(value)
    return {"$lit": value}


class ViewExpression:
    """An expression evaluated per sample (``match``, ``sort_by``) or per label (``filter_labels``)."""

    __slots__ = ("_node",)

    def __init__(self, node: Node = None) -> None:
        self._node = node if isinstance(node, dict) else {"$lit": node}

    def _op(self, name: str, *args: Any) -> ViewExpression:
        return ViewExpression({"$op": name, "args": [self._node, *(_node(a) for a in args)]})

    def _rop(self, name: str, other: Any) -> ViewExpression:
        return ViewExpression({"$op": name, "args": [_node(other), self._node]})

    # comparisons
    def __eq__(self, other: Any) -> ViewExpression:  # type: ignore[override]
        return self._op("==", other)

    def __ne__(self, other: Any) -> ViewExpression:  # type: ignore[override]
        return self._op("!=", other)

    def __lt__(self, other: Any) -> ViewExpression:
        return self._op("<", other)

    def __le__(self, other: Any) -> ViewExpression:
        return self._op("<=", other)

    def __gt__(self, other: Any) -> ViewExpression:
        return self._op(">", other)

    def __ge__(self, other: Any) -> ViewExpression:
        return self._op(">=", other)

    __hash__ = None  # type: ignore[assignment]

    def __bool__(self) -> bool:
        raise TypeError(
            "A ViewExpression has no truth value; combine conditions with &, | and ~ "
            "instead of and, or and not"
        )

    # logic
    def __and__(self, other: Any) -> ViewExpression:
        return self._op("and", other)

    def __rand__(self, other: Any) -> ViewExpression:
        return self._rop("and", other)

    def __or__(self, other: Any) -> ViewExpression:
        return self._op("or", other)

    def __ror__(self, other: Any) -> ViewExpression:
        return self._rop("or", other)

    def __invert__(self) -> ViewExpression:
        return self._op("not")

    # arithmetic
    def __add__(self, other: Any) -> ViewExpression:
        return self._op("+", other)

    def __radd__(self, other: Any) -> ViewExpression:
        return self._rop("+", other)

    def __sub__(self, other: Any) -> ViewExpression:
        return self._op("-", other)

    def __rsub__(self, other: Any) -> ViewExpression:
        return self._rop("-", other)

    def __mul__(self, other: Any) -> ViewExpression:
        return self._op("*", other)

    def __rmul__(self, other: Any) -> ViewExpression:
        return self._rop("*", other)

    def __truediv__(self, other: Any) -> ViewExpression:
        return self._op("/", other)

    def __rtruediv__(self, other: Any) -> ViewExpression:
        return self._rop("/", other)

    def __mod__(self, other: Any) -> ViewExpression:
        return self._op("%", other)

    def __pow__(self, other: Any) -> ViewExpression:
        return self._op("**", other)

    def __neg__(self) -> ViewExpression:
        return self._op("neg")

    def __abs__(self) -> ViewExpression:
        return self._op("abs")

    def __getitem__(self, index: int) -> ViewExpression:
        return self._op("at", index)

    # methods
    def length(self) -> ViewExpression:
        """Length of a list (0 when missing)."""
        return self._op("length")

    def is_in(self, values: Any) -> ViewExpression:
        """Whether the value is one of ``values``."""
        return self._op("is_in", list(values))

    def exists(self, bool: bool = True) -> ViewExpression:
        """Whether the value is not ``None`` (or is, with ``bool=False``)."""
        return self._op("exists", bool)

    def is_null(self) -> ViewExpression:
        """Whether the value is ``None``."""
        return self._op("exists", False)

    def contains(self, values: Any, all: bool = False) -> ViewExpression:
        """Whether a list holds any (or ``all``) of ``values`` (one value or a list)."""
        return self._op("contains", values if isinstance(values, (list, tuple)) else [values], all)

    def filter(self, expr: ViewExpression) -> ViewExpression:
        """The items of a list for which ``expr`` (about ``F()``, the item) is true."""
        return self._op("filter", expr)

    def map(self, expr: ViewExpression) -> ViewExpression:
        """``expr`` applied to each item of a list."""
        return self._op("map", expr)

    def starts_with(self, prefix: str | list[str], case_sensitive: bool = True) -> ViewExpression:
        """Whether a string starts with ``prefix`` (or any of several)."""
        return self._op("starts_with", prefix, case_sensitive)

    def ends_with(self, suffix: str | list[str], case_sensitive: bool = True) -> ViewExpression:
        """Whether a string ends with ``suffix`` (or any of several)."""
        return self._op("ends_with", suffix, case_sensitive)

    def re_match(self, regex: str, options: str | None = None) -> ViewExpression:
        """Whether a string matches the regular expression (``options="i"``: ignore case)."""
        return self._op("re_match", regex, options)

    def lower(self) -> ViewExpression:
        """Lower-cased string."""
        return self._op("lower")

    def upper(self) -> ViewExpression:
        """Upper-cased string."""
        return self._op("upper")

    def strlen(self) -> ViewExpression:
        """Length of a string."""
        return self._op("strlen")

    def sum(self) -> ViewExpression:
        """Sum of a list of numbers."""
        return self._op("sum")

    def min(self) -> ViewExpression:
        """Smallest item of a list (``None`` when empty)."""
        return self._op("min")

    def max(self) -> ViewExpression:
        """Largest item of a list (``None`` when empty)."""
        return self._op("max")

    def mean(self) -> ViewExpression:
        """Mean of a list of numbers (``None`` when empty)."""
        return self._op("mean")

    def round(self, places: int = 0) -> ViewExpression:
        """Number rounded to ``places`` decimals."""
        return self._op("round", places)

    def if_else(self, true_expr: Any, false_expr: Any) -> ViewExpression:
        """``true_expr`` where this is true, else ``false_expr``."""
        return self._op("if_else", true_expr, false_expr)

    # serialization
    def _serialize(self) -> Node:
        return self._node

    @classmethod
    def _from_serialized(cls, node: Node) -> ViewExpression:
        return cls(node)

    def __repr__(self) -> str:
        return f"ViewExpression({self._node!r})"


class ViewField(ViewExpression):
    """A reference to a field: ``F("label")``, ``F("ground_truth.detections")``, ``F()``."""

    __slots__ = ()

    def __init__(self, name: str | None = None) -> None:
        super().__init__({"$field": name or ""})


def to_node(value: Any) -> Node:
    """The serialized tree of a ``ViewExpression`` (or a literal)."""
    return _node(value)


# -- evaluation ---------------------------------------------------------------


def get_path(obj: Any, path: str) -> Any:
    """Follow a dotted path through dicts, mapping over lists on the way."""
    if not path:
        return obj
    for part in path.split("."):
        if obj is None:
            return None
        if isinstance(obj, dict):
            obj = obj.get(part)
        elif isinstance(obj, list):
            obj = [get_path(item, part) for item in obj]
        else:
            obj = getattr(obj, part, None)
    return obj


def _eq(a: Any, b: Any) -> bool:
    """Equality where booleans never equal numbers (as in the stores)."""
    if isinstance(a, bool) != isinstance(b, bool):
        return False
    return bool(a == b)


def _ordered(fn: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    def compare(a: Any, b: Any) -> bool:
        if a is None or b is None or isinstance(a, bool) != isinstance(b, bool):
            return False
        try:
            return bool(fn(a, b))
        except TypeError:
            return False

    return compare


def _arith(fn: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    def apply(a: Any, b: Any) -> Any:
        if a is None or b is None:
            return None
        try:
            return fn(a, b)
        except (TypeError, ZeroDivisionError):
            return None

    return apply


_BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "==": _eq,
    "!=": lambda a, b: not _eq(a, b),
    "<": _ordered(operator.lt),
    "<=": _ordered(operator.le),
    ">": _ordered(operator.gt),
    ">=": _ordered(operator.ge),
    "+": _arith(operator.add),
    "-": _arith(operator.sub),
    "*": _arith(operator.mul),
    "/": _arith(operator.truediv),
    "%": _arith(operator.mod),
    "**": _arith(operator.pow),
}


def _numbers(value: Any) -> list[Any]:
    return [v for v in (value or []) if isinstance(v, (int, float)) and v is not None]


def _str_test(kind: str) -> Callable[[Any, Any, Any], bool]:
    def test(value: Any, affixes: Any, case_sensitive: Any) -> bool:
        if not isinstance(value, str):
            return False
        options = affixes if isinstance(affixes, list) else [affixes]
        if not case_sensitive:
            value, options = value.lower(), [o.lower() for o in options]
        method = value.startswith if kind == "start" else value.endswith
        return any(method(o) for o in options)

    return test


def _re_match(value: Any, regex: str, options: str | None) -> bool:
    if not isinstance(value, str):
        return False
    flags = re.IGNORECASE if options and "i" in options else 0
    return re.search(regex, value, flags) is not None


def _contains(value: Any, values: list[Any], all_: bool) -> bool:
    if not isinstance(value, list):
        return False
    test = all if all_ else any
    return test(v in value for v in values)


def _at(value: Any, index: int) -> Any:
    try:
        return value[index]
    except (TypeError, IndexError, KeyError):
        return None


_UNARY: dict[str, Callable[[Any], Any]] = {
    "not": lambda v: not v,
    "neg": lambda v: None if v is None else -v,
    "abs": lambda v: None if v is None else abs(v),
    "length": lambda v: len(v) if isinstance(v, (list, str, dict)) else 0,
    "lower": lambda v: v.lower() if isinstance(v, str) else None,
    "upper": lambda v: v.upper() if isinstance(v, str) else None,
    "strlen": lambda v: len(v) if isinstance(v, str) else None,
    "sum": lambda v: sum(_numbers(v)),
    "min": lambda v: min(_numbers(v), default=None),
    "max": lambda v: max(_numbers(v), default=None),
    "mean": lambda v: (sum(_numbers(v)) / len(_numbers(v))) if _numbers(v) else None,
}

_CALLS: dict[str, Callable[..., Any]] = {
    "is_in": lambda v, values: any(_eq(v, x) for x in values),
    "exists": lambda v, flag: (v is not None) == bool(flag),
    "contains": _contains,
    "starts_with": _str_test("start"),
    "ends_with": _str_test("end"),
    "re_match": _re_match,
    "round": lambda v, places: None if v is None else round(v, places),
    "at": _at,
}


def compile_expr(node: Node) -> Evaluator:
    """A function ``(root, current) -> value`` evaluating the tree ``node``."""
    if isinstance(node, ViewExpression):
        node = node._node
    if not isinstance(node, dict):
        return lambda root, cur: node
    if "$lit" in node:
        value = node["$lit"]
        return lambda root, cur: value
    if "$field" in node:
        path = node["$field"]
        if path.startswith("$"):
            rest = path[1:]
            return lambda root, cur: get_path(root, rest)
        if path and "." not in path:  # the common case: one attribute of a dict

            def attribute(root: Any, cur: Any) -> Any:
                return cur.get(path) if type(cur) is dict else get_path(cur, path)

            return attribute
        return lambda root, cur: get_path(cur, path)
    op = node.get("$op")
    args = [compile_expr(a) for a in node.get("args", [])]
    if op == "and":
        return lambda root, cur: all(a(root, cur) for a in args)
    if op == "or":
        return lambda root, cur: any(a(root, cur) for a in args)
    if op == "array":
        return lambda root, cur: [a(root, cur) for a in args]
    if op in _BINARY:
        fn, left, right = _BINARY[op], args[0], args[1]
        return lambda root, cur: fn(left(root, cur), right(root, cur))
    if op in _UNARY:
        fn1, inner = _UNARY[op], args[0]
        return lambda root, cur: fn1(inner(root, cur))
    if op == "filter":
        items, cond = args
        return lambda root, cur: (
            None if (seq := items(root, cur)) is None else [x for x in seq if cond(root, x)]
        )
    if op == "map":
        items, fn2 = args
        return lambda root, cur: (
            None if (seq := items(root, cur)) is None else [fn2(root, x) for x in seq]
        )
    if op == "if_else":
        cond, yes, no = args
        return lambda root, cur: yes(root, cur) if cond(root, cur) else no(root, cur)
    if op in _CALLS:
        fn3, first, rest = _CALLS[op], args[0], args[1:]
        return lambda root, cur: fn3(first(root, cur), *(r(root, cur) for r in rest))
    raise ValueError(f"Unknown expression operation {op!r}")


def is_finite_number(value: Any) -> bool:
    """Whether ``value`` is an int or a finite float (not bool)."""
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and (not isinstance(value, float) or math.isfinite(value))
    )
