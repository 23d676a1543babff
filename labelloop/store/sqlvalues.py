"""Values of compiled expressions: what an expression node stands for in SQL.

The Python evaluator (:mod:`labelloop.core.expressions`) works on Python
values of any type; SQL columns have one type. A :class:`Value` therefore
answers per JSON kind: :meth:`~Value.typed` is the value when it has that kind
(NULL otherwise), :meth:`~Value.number` the value as Python's arithmetic sees
it (numbers, and booleans as 0/1), :meth:`~Value.null` whether it is ``None``
(``None`` when SQL cannot tell: ``"a" * 2`` is a string, ``"a" - 1`` is
``None``) and :meth:`~Value.sort_keys` the keys ordering it as Python sorts.
"""

from __future__ import annotations

from typing import Any

from labelloop.store import hot
from labelloop.store.dialect import BOOLEAN, NUMBER, STRING, Dialect, kind_of

Sql = tuple[str, list[Any]]
#: Kind of lists and objects (what SQL cannot compare, order or compute with).
OTHER = "other"
ALL_KINDS = frozenset({NUMBER, STRING, BOOLEAN, OTHER})
NULL: Sql = ("NULL", [])


class Value:
    """An SQL value standing for an expression's Python value."""

    #: The kinds the Python value may have besides ``None``.
    kinds: frozenset[str] = ALL_KINDS

    def typed(self, kind: str) -> Sql:
        """The value when it is of JSON ``kind``, else NULL."""
        raise NotImplementedError

    def number(self) -> Sql:
        """The value as a number when it is a number or a boolean (as 0/1), else NULL."""
        raise NotImplementedError

    def indexed(self, kind: str) -> bool:
        """Whether an index holds :meth:`typed` of ``kind`` (then a bare comparison of it
        is one the index answers)."""
        return False

    def null(self) -> Sql | None:
        """Whether the value is ``None`` (never NULL); ``None`` when SQL cannot tell."""
        return None

    def odd(self) -> Sql | None:
        """Whether the value may be one arithmetic makes a non-number of (a string, a list):
        SQL computes numbers only (``None``: never)."""
        return None

    def sort_keys(self, d: Dialect) -> tuple[list[Sql], Sql | None]:
        """``ORDER BY`` keys in Python's order (``None`` < numbers and booleans < strings)
        and a guard true for rows Python orders otherwise (lists, objects by ``repr``)."""
        raise ValueError("sort key not compiled")


class Literal(Value):
    """A constant."""

    def __init__(self, d: Dialect, value: Any) -> None:
        self.d, self.value = d, value
        self.kinds = frozenset() if value is None else frozenset({_kind(value)})

    def typed(self, kind: str) -> Sql:
        if self.value is None or _kind(self.value) != kind:
            return NULL
        return self.d.typed_param(kind), [self.d.param_value(self.value)]

    def number(self) -> Sql:
        value = self.value
        if _kind(value) not in (NUMBER, BOOLEAN):
            return NULL
        return self.d.number_param(), [int(value) if isinstance(value, bool) else value]

    def null(self) -> Sql:
        return ("TRUE" if self.value is None else "FALSE"), []

    def odd(self) -> Sql | None:
        return (
            None if self.value is None or _kind(self.value) in (NUMBER, BOOLEAN) else ("TRUE", [])
        )


def _kind(value: Any) -> str:
    try:
        return kind_of(value)
    except ValueError:
        return OTHER


class Json(Value):
    """The value at a dotted ``path`` of a JSON document column (``None`` when missing).

    A path that meets a list maps over it in Python (a list, never ``None``), while a
    JSON path reads nothing there: :meth:`through_list` tells those rows apart.
    """

    def __init__(self, d: Dialect, column: str, path: str) -> None:
        self.d, self.column, self.key = d, column, path
        self.path = d.path(path)

    def typed(self, kind: str) -> Sql:
        if self.indexed(kind):  # spelled as its index is
            return hot.indexed_value(self.d, self.column, self.key, kind) or "", []
        column = hot.typed(self.column, self.key, kind)
        if column is not None:
            return column, []
        return self.d.json_typed(self.column, kind), [self.path, self.path]

    def indexed(self, kind: str) -> bool:
        return (
            (self.key, kind) in self.d.indexed
            and self.column.rpartition(".")[2] == "data"  # a label's document
            and hot.indexed_value(self.d, self.column, self.key, kind) is not None
        )

    def number(self) -> Sql:
        column = hot.typed(self.column, self.key, NUMBER)
        if column is None:
            return self.d.json_number(self.column, self.path)
        # the column where it holds a number (no JSON read), else a boolean as 0/1
        flag = self.d.json_typed(self.column, BOOLEAN)
        return (
            f"COALESCE({self.d.to_float(column)}, "
            f"CASE WHEN {flag} THEN 1 WHEN NOT {flag} THEN 0 END)",
            [self.path] * 4,
        )

    def through_list(self) -> Sql | None:
        """Whether a proper prefix of the path holds a list (``None``: a one-part path)."""
        parts = self.key.split(".")
        tests = [
            (self.d.json_is_array(self.column), [self.d.path(".".join(parts[:n]))])
            for n in range(1, len(parts))
        ]
        if not tests:
            return None
        return "(" + " OR ".join(f"COALESCE({t}, FALSE)" for t, _ in tests) + ")", [
            x for _, args in tests for x in args
        ]

    def _listed(self, test: Sql, listed: bool) -> Sql:
        """``test`` where no prefix of the path holds a list (where one does, ``listed``)."""
        prefix = self.through_list()
        if prefix is None:
            return test
        joined = f"({test[0]} OR {prefix[0]})" if listed else f"({test[0]} AND NOT {prefix[0]})"
        return joined, [*test[1], *prefix[1]]

    def null(self) -> Sql:
        text = self.d.json_text(self.column)
        return self._listed((f"COALESCE({text} = 'null', TRUE)", [self.path]), False)

    def odd(self) -> Sql:
        kind = self.d.json_kind(self.column)
        return self._listed((f"COALESCE({kind} IN ('string', 'other'), FALSE)", [self.path]), True)

    def sort_keys(self, d: Dialect) -> tuple[list[Sql], Sql | None]:
        path = self.path
        kind = d.json_kind(self.column)
        rank = (
            f"CASE {kind} WHEN 'number' THEN 1 WHEN 'boolean' THEN 1 WHEN 'string' THEN 2 "
            "WHEN 'other' THEN 3 ELSE 0 END"
        )
        flag = d.json_typed(self.column, BOOLEAN)
        number = (  # numeric, not float: integers order exactly, as in Python
            f"COALESCE({d.json_typed(self.column, NUMBER)}, "
            f"CASE WHEN {flag} THEN 1 WHEN NOT {flag} THEN 0 END)"
        )
        string = d.json_typed(self.column, STRING) + d.collate
        keys = [(rank, [path]), (number, [path] * 6), (string, [path] * 2)]
        return keys, self._listed((f"COALESCE(({kind}) = 'other', FALSE)", [path]), True)


class Column(Value):
    """A string column that is never NULL (``id``)."""

    kinds = frozenset({STRING})

    def __init__(self, column: str) -> None:
        self.column = column

    def typed(self, kind: str) -> Sql:
        return (self.column, []) if kind == STRING else NULL

    def number(self) -> Sql:
        return NULL

    def null(self) -> Sql:
        return "FALSE", []

    def odd(self) -> Sql:
        return "TRUE", []

    def sort_keys(self, d: Dialect) -> tuple[list[Sql], Sql | None]:
        return [(self.column, [])], None


class Number(Value):
    """A computed number, NULL where Python's answer is not a number.

    ``exact``: NULL exactly where Python's answer is ``None`` (no operand could be a
    string or a list); ``odd`` says where an operand could be one.
    """

    def __init__(
        self,
        sql: str,
        params: list[Any],
        exact: bool,
        odd: Sql | None = None,
        nullable: bool = True,
    ) -> None:
        self.sql, self.params, self.exact, self._odd = sql, params, exact, odd
        self.nullable = nullable  # False: never None (a count, a count plus one ...)
        # not exact: Python's answer may be a string ("a" * 1 == "a") or a list
        self.kinds = frozenset({NUMBER} if exact else {NUMBER, STRING, OTHER})

    def typed(self, kind: str) -> Sql:
        if kind == NUMBER:
            return self.sql, list(self.params)
        if kind in self.kinds:
            raise ValueError("this arithmetic may give a string in Python: not compiled")
        return NULL

    def number(self) -> Sql:
        return self.sql, list(self.params)

    def null(self) -> Sql | None:
        if not self.nullable:
            return "FALSE", []
        return (f"({self.sql} IS NULL)", list(self.params)) if self.exact else None

    def odd(self) -> Sql | None:
        return self._odd

    def sort_keys(self, d: Dialect) -> tuple[list[Sql], Sql | None]:
        if not self.nullable:  # one key: SQL evaluates a subquery once per row
            return [self.number()], None
        rank = f"CASE WHEN {self.sql} IS NULL THEN 0 ELSE 1 END"
        return [(rank, list(self.params)), self.number()], self._odd


class Text(Value):
    """A computed string, NULL exactly where Python's answer is ``None``."""

    kinds = frozenset({STRING})

    def __init__(self, sql: str, params: list[Any]) -> None:
        self.sql, self.params = sql, params

    def typed(self, kind: str) -> Sql:
        return (self.sql, list(self.params)) if kind == STRING else NULL

    def number(self) -> Sql:
        return NULL

    def null(self) -> Sql:
        return f"({self.sql} IS NULL)", list(self.params)

    def odd(self) -> Sql:
        return f"({self.sql} IS NOT NULL)", list(self.params)

    def sort_keys(self, d: Dialect) -> tuple[list[Sql], Sql | None]:
        rank = f"CASE WHEN {self.sql} IS NULL THEN 0 ELSE 2 END"
        return [(rank, list(self.params)), (self.sql + d.collate, list(self.params))], None


class Sub(Value):
    """A value read from the one row of a subquery (a single label), ``None`` without it."""

    def __init__(self, inner: Value, source: Sql) -> None:
        self.inner, self.source = inner, source
        self.kinds = inner.kinds

    def _wrap(self, part: Sql | None, default: str) -> Sql | None:
        if part is None:
            return None
        frm, args = self.source
        return f"COALESCE((SELECT {part[0]} {frm}), {default})", [*part[1], *args]

    def typed(self, kind: str) -> Sql:
        return self._wrap(self.inner.typed(kind), "NULL") or NULL

    def number(self) -> Sql:
        return self._wrap(self.inner.number(), "NULL") or NULL

    def null(self) -> Sql | None:
        return self._wrap(self.inner.null(), "TRUE")

    def odd(self) -> Sql | None:
        return self._wrap(self.inner.odd(), "FALSE")

    def sort_keys(self, d: Dialect) -> tuple[list[Sql], Sql | None]:
        keys, guard = self.inner.sort_keys(d)
        wrapped = [self._wrap(k, "NULL") for k in keys]
        wrapped[0] = self._wrap(keys[0], "0")  # no label: None, first
        return [w for w in wrapped if w is not None], self._wrap(guard, "FALSE")
