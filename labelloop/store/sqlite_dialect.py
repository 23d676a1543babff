"""SQLite's spelling of the SQL both engines share (see :mod:`labelloop.store.dialect`)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from labelloop.store.dialect import BOOLEAN, NUMBER, STRING, Dialect


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

    def json_typed(self, column: str, kind: str, path: str = "?") -> str:
        types = {NUMBER: "('integer','real')", STRING: "('text')", BOOLEAN: "('true','false')"}
        return (
            f"(CASE WHEN json_type({column}, {path}) IN {types[kind]} THEN {column} ->> {path} END)"
        )

    def path_literal(self, key: str) -> str | None:
        return "'" + self.path(key).replace("'", "''") + "'"

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
        self, column: str, sets: Sequence[str], drops: Sequence[str], values: Sequence[str]
    ) -> tuple[str, str] | None:
        paths = ["'" + self.path(key).replace("'", "''") + "'" for key in (*sets, *drops)]
        pairs = list(zip(paths, values))
        edited = column
        if sets:
            edited = f"json_set({edited}, {', '.join(f'{p}, json({v})' for p, v in pairs)})"
        if drops:
            edited = f"json_remove({edited}, {', '.join(paths[len(sets) :])})"
        same = [f"({column} -> {p}) IS json({v})" for p, v in pairs]
        same += [f"json_type({column}, {p}) IS NULL" for p in paths[len(sets) :]]
        return edited, " AND ".join(same) or "TRUE"

    # without statistics SQLite takes labels_hot (dataset, field, frame) for a field's
    # labels by id and walks the whole field for each chunk of ids: deleting 20k of 200k
    # labels by id took 7.7 s CPU that way, 2.2 s through labels_key
    labels_by_id = "labels INDEXED BY labels_key"
    # 100k samples x 10 labels: 0.38-0.45 s; GROUP BY sorts 1M labels: 1.0-1.15 s
    # (PostgreSQL hashes them in 0.26-0.28 s, its kept texts took 0.35-0.46 s)
    counts_kept_labels = True
    # 1M labels: 0.30-0.44 s instead of 3.6-4.0 s from the documents
    counts_over_indexes = True

    def labels_in_order(self, alias: str = "labels") -> str:
        # the hot index's order is (..., sample_id, position): groups by sample see their
        # rows in position order (SQLite 3.40 has no ORDER BY inside an aggregate)
        return f"labels AS {alias} INDEXED BY labels_hot"

    def text_list(self, item: str, cond: str, separator: int = 31, order: str | None = None) -> str:
        # in the rows' order: labels_in_order reads a sample's labels by position
        return f"group_concat({item}, char({separator})) FILTER (WHERE {cond})"

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


SQLITE = SQLiteDialect()
