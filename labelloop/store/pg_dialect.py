"""PostgreSQL's spelling of the SQL both engines share (see :mod:`labelloop.store.dialect`)."""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from typing import Any

from labelloop.store.dialect import BOOLEAN, NUMBER, STRING, Dialect
from labelloop.store.sqlregex import to_posix


def _kind_sql(column: str, path: str = "?::text[]") -> str:
    return f"json_typeof({column}::json #> {path})"


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

    def json_typed(self, column: str, kind: str, path: str = "?") -> str:
        path = "?::text[]" if path == "?" else path
        return (
            f"(CASE WHEN {_kind_sql(column, path)} = '{kind}' "
            f"THEN ({column}::json #>> {path})::{self._CASTS[kind]} END)"
        )

    def path_literal(self, key: str) -> str | None:
        if "?" in key:
            return None
        quoted = (p.replace("\\", "\\\\").replace('"', '\\"') for p in self.path(key))
        items = ",".join(f'"{p}"' for p in quoted)
        return "'{" + items.replace("'", "''") + "}'::text[]"

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

    def text_list(self, item: str, cond: str, separator: int = 31, order: str | None = None) -> str:
        # ORDER BY only when asked: sorting each group costs more than the rest of the
        # aggregate
        order_by = f" ORDER BY {order}" if order else ""
        return f"string_agg(({item})::text, chr({separator}){order_by}) FILTER (WHERE {cond})"

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


POSTGRES = PostgresDialect()
