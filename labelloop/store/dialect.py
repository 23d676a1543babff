"""What differs between the SQL of SQLite and of PostgreSQL, in one small class each.

The queries of :mod:`labelloop.store.sqlcore`, :mod:`labelloop.store.sqllabels`
and the expression compiler :mod:`labelloop.store.sqlexpr` are written once,
with ``?`` placeholders, and ask a :class:`Dialect` for the few pieces that
are spelled differently: reading into JSON text, matching a column against
many ids, ordering strings bytewise, aggregating numbers without losing their
type. Everything else (``ON CONFLICT`` upserts, ``COALESCE``, ``TRUE``,
window functions) is the same SQL on both engines.

Arithmetic and string functions follow Python's semantics (what
:mod:`labelloop.core.expressions` computes): a dialect answers ``None`` for a
form it cannot compute exactly as Python does, and the compiler then leaves the
expression to Python. SQLite gets Python's own ``%``, ``**``, ``lower``,
``upper`` and ``re.search`` as registered functions (:mod:`labelloop.store.pyfuncs`);
PostgreSQL computes in ``float8`` as Python's floats do, matches the regular
expressions :func:`~labelloop.store.sqlregex.to_posix` can translate exactly
and leaves ``%``, ``**`` and case folding (locale-dependent there) to Python.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from typing import Any

from labelloop.store.sqlregex import to_posix

#: JSON kinds the compiler compares: Python type -> dialect kind name.
NUMBER, STRING, BOOLEAN = "number", "string", "boolean"

#: Joins the texts of :meth:`Dialect.text_list` (unit separator); a value holding it is
#: seen by its reader (more parts than values).
TEXT_SEPARATOR = "\x1f"


def kind_of(value: Any) -> str:
    """The JSON kind of a Python literal (``ValueError`` for anything else)."""
    if isinstance(value, bool):
        return BOOLEAN
    if isinstance(value, (int, float)):
        return NUMBER
    if isinstance(value, str):
        return STRING
    raise ValueError("unsupported literal")


class Dialect:
    """SQL spelling of one engine. Every fragment takes its values as ``?`` parameters."""

    name = ""
    #: Ids per query when matching a column against a list.
    chunk = 500
    #: Appended to string expressions so ``MIN``/``ORDER BY`` compare bytes, as Python does.
    collate = ""

    def sql(self, text: str) -> str:
        """``text`` with the engine's placeholders."""
        return text

    def in_list(
        self, column: str, values: list[Any], array_type: str = "text"
    ) -> tuple[str, list[Any]]:
        """``column IN (values)`` and its parameters (``array_type``: the values' SQL type)."""
        raise NotImplementedError

    def path(self, key: str) -> Any:
        """The JSON path parameter of a dotted key."""
        raise NotImplementedError

    def json_text(self, column: str) -> str:
        """JSON text of the value at path ``?`` of ``column`` (NULL when missing)."""
        raise NotImplementedError

    def json_kind(self, column: str) -> str:
        """``'number'``, ``'string'``, ``'boolean'``, ``'null'`` or ``'other'`` (array,
        object) for the value at path ``?`` (NULL when missing)."""
        raise NotImplementedError

    def json_typed(self, column: str, kind: str) -> str:
        """The value at path ``?`` as an SQL value when it has JSON ``kind``, else NULL.

        The path parameter is passed twice.
        """
        raise NotImplementedError

    def typed_param(self, kind: str) -> str:
        """A placeholder for a literal compared with :meth:`json_typed` of ``kind``."""
        return "?"

    def json_number(self, column: str, path: Any) -> tuple[str, list[Any]]:
        """The value at ``path`` as an SQL float when it is a number or a boolean (as 0/1,
        what Python's arithmetic makes of it), else NULL."""
        raise NotImplementedError

    def json_is_array(self, column: str) -> str:
        """Whether the value at path ``?`` of ``column`` is a JSON array."""
        raise NotImplementedError

    def number_param(self) -> str:
        """A placeholder for a number taking part in arithmetic."""
        return "?"

    def to_float(self, number: str) -> str:
        """An SQL number as :meth:`json_number` gives them."""
        return number

    def arith(self, op: str, left: str, right: str) -> str | None:
        """``left op right`` of two SQL numbers as Python computes it (NULL where Python's
        evaluator answers ``None``: division by zero), or ``None`` if the engine cannot."""
        if op in ("+", "-", "*"):
            return f"({left} {op} {right})"
        if op == "/":
            return f"({left} / NULLIF({right}, 0))"
        return None

    def text_function(self, name: str, arg: str) -> str | None:
        """Python's ``str.lower``/``str.upper`` of an SQL string (``None``: not exactly)."""
        return None

    def affix(self, value: str, length: int, end: bool) -> str:
        """The first (last, with ``end``) ``length`` characters of an SQL string."""
        return f"substr({value}, {-length if end else 1}{'' if end else f', {length}'})"

    def regex(
        self, value: tuple[str, list[Any]], pattern: str, options: str | None
    ) -> tuple[str, list[Any]] | None:
        """Whether ``re.search(pattern, value)`` finds a match (``options`` as
        :meth:`ViewExpression.re_match <labelloop.core.expressions.ViewExpression.re_match>`
        takes them), never NULL; ``None`` when the engine cannot match exactly as Python."""
        return None

    def param_value(self, value: Any) -> Any:
        """A Python literal as passed for :meth:`typed_param`."""
        return value

    def number_out(self, expr: str) -> str:
        """An aggregate of numbers as returned to Python (decoded by :meth:`number_in`)."""
        return expr

    def number_in(self, value: Any) -> Any:
        """A number returned by :meth:`number_out` as int or float."""
        return value

    def array_has(self, column: str) -> str:
        """Whether the JSON array at path ``?`` of ``column`` holds the string ``?``."""
        raise NotImplementedError

    def text_has(self, column: str) -> str:
        """Whether the text of ``column`` contains the text ``?``."""
        raise NotImplementedError

    def json_edit(
        self, column: str, sets: Sequence[str], drops: Sequence[str]
    ) -> tuple[str, str] | None:
        """``(edited, same)``: ``column`` with the top-level keys ``sets`` set to JSON texts
        (one ``?`` each, in order) and the keys ``drops`` removed, the other keys keeping
        their order and text; and a condition true when the edit would change nothing (its
        ``?``: the same texts again). ``None`` when the engine cannot (the caller edits in
        Python)."""
        return None

    def pairs(self, rows: list[tuple[str, str]]) -> tuple[str, list[Any]]:
        """A subquery of the rows as columns ``(id, value)`` and its parameters."""
        raise NotImplementedError

    def json_rows(self, columns: Sequence[tuple[str, str]]) -> str:
        """A subquery of the rows of the JSON array of arrays ``?``, as ``columns``
        (``(name, "text" | "int")``, in each array's order)."""
        raise NotImplementedError

    #: The labels table as per-sample aggregates read it: in (sample, position) order.
    labels_by_field = "labels"

    def json_string(self, expr: str) -> str:
        """A text column as an item of :meth:`json_list`."""
        raise NotImplementedError

    def json_item(self, column: str) -> str:
        """The value at path ``?`` of ``column`` as an item of :meth:`json_list` (null when
        missing), exactly as the document wrote it."""
        raise NotImplementedError

    def json_list(self, item: str, cond: str) -> str:
        """An aggregate: the JSON text of the array of ``item`` over the group's rows that
        meet ``cond``, in ``position`` order (NULL or ``[]`` when none do)."""
        raise NotImplementedError

    def exact_text(self, column: str, kind: str) -> str | None:
        """A condition true where :meth:`text_list` of ``column`` (holding JSON ``kind``)
        writes its value exactly as the document does (a JSON number's text keeping its
        type and sign), or ``None`` when per-sample lists of the column are better read as
        JSON arrays (:meth:`json_list`): SQLite builds those over its covering index in 0.8 s
        for 100k samples x 10 labels, joined texts took it 1.4 s."""
        return None

    def text_list(self, item: str, cond: str, separator: int = 31) -> str:
        """An aggregate: the texts of ``item`` (a text or an integer column) over the group's
        rows that meet ``cond``, joined by the character of code ``separator`` (31:
        :data:`TEXT_SEPARATOR`), NULLs left out (NULL when none are left), in an unspecified
        row order that is the same for every aggregate of the query."""
        raise NotImplementedError

    def generated(self, attr: str, kind: str) -> str:
        """Type and ``GENERATED`` clause of a column holding ``data``'s top-level ``attr``
        when it has JSON ``kind`` (NULL otherwise); see :mod:`labelloop.store.hot`."""
        raise NotImplementedError


class SQLiteDialect(Dialect):
    """SQLite 3.38+: JSON1 functions with ``'$."a"."b"'`` paths."""

    name = "sqlite"
    chunk = 500

    def in_list(
        self, column: str, values: list[Any], array_type: str = "text"
    ) -> tuple[str, list[Any]]:
        if len(values) > self.chunk:  # one JSON array: SQLite caps the number of parameters
            return f"{column} IN (SELECT value FROM json_each(?))", [json.dumps(list(values))]
        return f"{column} IN ({','.join('?' * len(values))})", list(values)

    def path(self, key: str) -> str:
        return "$." + ".".join('"' + p.replace('"', '\\"') + '"' for p in key.split("."))

    def json_text(self, column: str) -> str:
        return f"({column} -> ?)"

    def json_kind(self, column: str) -> str:
        return (
            f"(CASE json_type({column}, ?) WHEN 'integer' THEN 'number' WHEN 'real' THEN "
            "'number' WHEN 'text' THEN 'string' WHEN 'true' THEN 'boolean' WHEN 'false' THEN "
            "'boolean' WHEN 'null' THEN 'null' WHEN 'array' THEN 'other' WHEN 'object' THEN "
            "'other' END)"
        )

    def json_typed(self, column: str, kind: str) -> str:
        types = {NUMBER: "('integer','real')", STRING: "('text')", BOOLEAN: "('true','false')"}
        return f"(CASE WHEN json_type({column}, ?) IN {types[kind]} THEN {column} ->> ? END)"

    def param_value(self, value: Any) -> Any:
        return int(value) if isinstance(value, bool) else value

    def json_number(self, column: str, path: Any) -> tuple[str, list[Any]]:
        # ->> reads true/false as 1/0
        types = "('integer','real','true','false')"
        return f"(CASE WHEN json_type({column}, ?) IN {types} THEN {column} ->> ? END)", [
            path,
            path,
        ]

    def json_is_array(self, column: str) -> str:
        return f"(json_type({column}, ?) = 'array')"

    def arith(self, op: str, left: str, right: str) -> str | None:
        if op == "/":  # SQLite divides integers as integers; x / 0 is NULL
            return f"(CAST({left} AS REAL) / {right})"
        if op in ("%", "**"):
            return f"py_{'mod' if op == '%' else 'pow'}({left}, {right})"
        return super().arith(op, left, right)

    def text_function(self, name: str, arg: str) -> str | None:
        return f"py_{name}({arg})"

    def regex(
        self, value: tuple[str, list[Any]], pattern: str, options: str | None
    ) -> tuple[str, list[Any]] | None:
        return f"py_search(?, ?, {value[0]})", [pattern, options or "", *value[1]]

    def array_has(self, column: str) -> str:
        # array items only: json_each walks an object's members and a scalar itself too
        return (
            f"EXISTS (SELECT 1 FROM json_each({column}, ?) WHERE typeof(key) = 'integer' "
            "AND value = ?)"
        )

    def text_has(self, column: str) -> str:
        return f"instr({column}, ?) > 0"

    def json_edit(
        self, column: str, sets: Sequence[str], drops: Sequence[str]
    ) -> tuple[str, str] | None:
        paths = ["'" + self.path(key).replace("'", "''") + "'" for key in (*sets, *drops)]
        edited = column
        if sets:
            edited = f"json_set({edited}, {', '.join(f'{p}, json(?)' for p in paths[: len(sets)])})"
        if drops:
            edited = f"json_remove({edited}, {', '.join(paths[len(sets) :])})"
        same = [f"({column} -> {p}) IS json(?)" for p in paths[: len(sets)]]
        same += [f"json_type({column}, {p}) IS NULL" for p in paths[len(sets) :]]
        return edited, " AND ".join(same) or "TRUE"

    # the hot index's order is (..., sample_id, position): groups by sample see their rows
    # in position order (SQLite 3.40 has no ORDER BY inside an aggregate)
    labels_by_field = "labels INDEXED BY labels_hot"

    def json_string(self, expr: str) -> str:
        return expr  # json_group_array quotes text

    def json_item(self, column: str) -> str:
        return f"json(COALESCE({column} -> ?, 'null'))"

    def json_list(self, item: str, cond: str) -> str:
        return f"json_group_array({item}) FILTER (WHERE {cond})"

    def json_rows(self, columns: Sequence[tuple[str, str]]) -> str:
        cols = ", ".join(f"value ->> {i} AS {name}" for i, (name, _) in enumerate(columns))
        return f"(SELECT {cols} FROM json_each(?))"

    def generated(self, attr: str, kind: str) -> str:
        types = {NUMBER: "('integer','real')", STRING: "('text')"}
        path = "'" + self.path(attr).replace("'", "''") + "'"
        # no declared type for numbers: no affinity, so 1.0 stays a float and 1 an integer
        return (
            f"{'TEXT ' if kind == STRING else ''}GENERATED ALWAYS AS (CASE WHEN "
            f"json_type(data, {path}) IN {types[kind]} THEN data ->> {path} END) VIRTUAL"
        )


def _kind_sql(column: str) -> str:
    return f"json_typeof({column}::json #> ?::text[])"


class PostgresDialect(Dialect):
    """PostgreSQL: ``%s`` placeholders, ``json`` path operators, arrays for id lists."""

    name = "postgresql"
    chunk = 2000
    collate = ' COLLATE "C"'
    _CASTS = {NUMBER: "numeric", STRING: "text", BOOLEAN: "boolean"}

    @functools.lru_cache(maxsize=512)  # noqa: B019 (two module-level instances)
    def sql(self, text: str) -> str:
        return text.replace("%", "%%").replace("?", "%s")

    def in_list(
        self, column: str, values: list[Any], array_type: str = "text"
    ) -> tuple[str, list[Any]]:
        # IN (SELECT unnest(...)) walks the index once per id; = ANY(...) may scan instead
        return f"{column} IN (SELECT unnest(?::{array_type}[]))", [list(values)]

    def path(self, key: str) -> list[str]:
        return key.split(".")

    def json_text(self, column: str) -> str:
        return f"({column}::json #> ?::text[])::text"

    def json_kind(self, column: str) -> str:
        return (
            f"(CASE {_kind_sql(column)} WHEN 'number' THEN 'number' WHEN 'string' THEN 'string' "
            "WHEN 'boolean' THEN 'boolean' WHEN 'null' THEN 'null' WHEN 'array' THEN 'other' "
            "WHEN 'object' THEN 'other' END)"
        )

    def json_typed(self, column: str, kind: str) -> str:
        return (
            f"(CASE WHEN {_kind_sql(column)} = '{kind}' "
            f"THEN ({column}::json #>> ?::text[])::{self._CASTS[kind]} END)"
        )

    def typed_param(self, kind: str) -> str:
        return f"?::{self._CASTS[kind]}"

    def json_number(self, column: str, path: Any) -> tuple[str, list[Any]]:
        # float8, as Python's floats: numeric would answer 0.1 + 0.2 == 0.3
        text = f"({column}::json #>> ?::text[])"
        return (
            f"(CASE {_kind_sql(column)} WHEN 'number' THEN {text}::float8 "
            f"WHEN 'boolean' THEN {text}::boolean::int::float8 END)",
            [path, path, path],
        )

    def json_is_array(self, column: str) -> str:
        return f"({_kind_sql(column)} = 'array')"

    def number_param(self) -> str:
        return "?::float8"

    def to_float(self, number: str) -> str:
        return f"({number})::float8"

    def affix(self, value: str, length: int, end: bool) -> str:
        return f"{'right' if end else 'left'}({value}, {length})"

    def regex(
        self, value: tuple[str, list[Any]], pattern: str, options: str | None
    ) -> tuple[str, list[Any]] | None:
        if options and "i" in options:  # case folding follows the server's locale
            return None
        posix = to_posix(pattern)
        if posix is None:
            return None
        return f"COALESCE({value[0]} ~ ?, FALSE)", [*value[1], posix]

    def number_out(self, expr: str) -> str:
        return f"({expr})::text"

    def number_in(self, value: Any) -> Any:
        return None if value is None else json.loads(value)

    def generated(self, attr: str, kind: str) -> str:
        key = "'" + attr.replace("'", "''") + "'"
        cast = self._CASTS[kind]
        return (
            f"{cast}{self.collate if kind == STRING else ''} GENERATED ALWAYS AS (CASE WHEN "
            f"json_typeof(data::json -> {key}) = '{kind}' THEN (data::json ->> {key})::{cast} "
            "END) STORED"
        )

    def json_string(self, expr: str) -> str:
        return f"to_json({expr})"

    def json_item(self, column: str) -> str:
        return f"({column}::json #> ?::text[])"

    def json_list(self, item: str, cond: str) -> str:
        return f"(json_agg({item} ORDER BY position) FILTER (WHERE {cond}))::text"

    def exact_text(self, column: str, kind: str) -> str | None:
        # 100k samples x 10 labels: 0.45 s instead of 1.1 s for the JSON arrays
        if kind == STRING:
            return f"{column} IS NOT NULL"
        # a numeric keeps a JSON number's digits and scale, not its exponent or the sign of
        # a zero: exact where it has a fraction (a float not 0.0 or -0.0, written with a
        # dot or a negative exponent) or none and is below 1e16 (an int; json.dumps writes
        # floats from 1e16 up with an exponent)
        return (
            f"({column} IS NOT NULL AND ({column} <> 0 AND scale({column}) > 0 "
            f"OR scale({column}) = 0 AND abs({column}) < 1e16))"
        )

    def text_list(self, item: str, cond: str, separator: int = 31) -> str:
        # no ORDER BY: sorting each group costs more than the rest of the aggregate
        return f"string_agg(({item})::text, chr({separator})) FILTER (WHERE {cond})"

    def pairs(self, rows: list[tuple[str, str]]) -> tuple[str, list[Any]]:
        # one JSON text: psycopg escapes a text[] of JSON strings slowly, in Python
        sql = "(SELECT e ->> 0 AS id, e ->> 1 AS value FROM json_array_elements(?::json) e)"
        return sql, [json.dumps(rows)]

    def json_rows(self, columns: Sequence[tuple[str, str]]) -> str:
        cols = ", ".join(
            f"(e ->> {i})::{kind} AS {name}" if kind != "text" else f"e ->> {i} AS {name}"
            for i, (name, kind) in enumerate(columns)
        )
        return f"(SELECT {cols} FROM json_array_elements(?::json) e)"

    def array_has(self, column: str) -> str:
        return f"COALESCE(({column}::jsonb #> ?::text[]) @> jsonb_build_array(?::text), FALSE)"

    def text_has(self, column: str) -> str:
        return f"strpos({column}, ?) > 0"


SQLITE = SQLiteDialect()
POSTGRES = PostgresDialect()
