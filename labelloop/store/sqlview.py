"""Compile view stages that select and order samples to one SQL query, for any dialect.

The core hands over a view's leading stages as plain JSON steps (see
:meth:`labelloop.store.base.Store.view_ids`); this module turns them into

    SELECT s.id, <key Python orders by repr> FROM samples s WHERE s.dataset_id = ?
        AND <conditions> ORDER BY <keys>

with label fields read from the ``labels`` table through correlated
subqueries, so no sample or label document is decoded. Supported steps:
``match`` (expressions below), ``filter_labels`` (its ``only_matches`` drop,
and the filter applies to later references to the field), ``match_labels``,
``match_tags``, ``exists``, ``select``/``exclude`` of ids and ``sort_by``.

Sample expressions: comparisons, ``&``/``|``/``~``, ``is_in`` and ``exists``
of scalar sample fields, of ``id`` and of single-label attributes; ``length()``
of label lists (optionally ``filter``-ed by a label expression) and of their
attribute lists, compared with numbers; ``contains`` of strings in a label
attribute list. The answers equal the Python evaluator's
(:mod:`labelloop.core.expressions`); anything else raises ``ValueError`` and
the core evaluates those stages in Python.
"""

from __future__ import annotations

from typing import Any

from labelloop.store import hot
from labelloop.store.base import CONTAINER
from labelloop.store.dialect import BOOLEAN, NUMBER, STRING, Dialect, kind_of
from labelloop.store.sqlexpr import LabelCompiler, literal, logic, operation

_CMP = {"==": "=", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
_SWAP = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}
Sql = tuple[str, list[Any]]


class _Json:
    """A JSON value at ``path`` of a document column, maybe inside a label subquery."""

    def __init__(self, column: str, path: str, source: Sql | None = None) -> None:
        self.column, self.path, self.source = column, path, source

    def wrap(self, d: Dialect, sql: str, params: list[Any], default: str) -> Sql:
        """``sql`` (about the value) evaluated where the value lives; ``default`` if absent."""
        if self.source is None:
            return f"COALESCE({sql}, {default})", params
        frm, args = self.source
        return f"COALESCE((SELECT {sql} {frm}), {default})", [*params, *args]


class _Count:
    """A number that is never NULL: ``length()`` of a label list."""

    def __init__(self, sql: str, params: list[Any]) -> None:
        self.sql, self.params = sql, params


class _Items:
    """Items of a label list field: ``FROM labels l WHERE ...`` (``attr``: their attribute)."""

    def __init__(self, field: str, where: str, params: list[Any], attr: str | None = None) -> None:
        self.field, self.where, self.params, self.attr = field, where, params, attr
        self.alias = where.split()[2]


class _Label:
    """A whole label field (only its existence is compiled)."""

    def __init__(self, field: str) -> None:
        self.field = field


class SampleCompiler:
    """Conditions and sort keys on the samples table ``s`` for one dialect and schema."""

    def __init__(self, dialect: Dialect, label_fields: dict[str, str | None]) -> None:
        self.d = dialect
        self.label_fields = label_fields  # field -> list attribute (None: single label)
        self.filters: dict[str, list[Sql]] = {}  # label conditions of earlier filter_labels
        self._n = 0

    def _alias(self) -> str:
        self._n += 1
        return f"l{self._n}"

    def labels_from(self, field: str, items: bool, alias: str) -> Sql:
        """``FROM labels alias WHERE ...``: the field's items (or its container/single label)."""
        position = "> -1" if items else f"= {CONTAINER}"
        sql = (
            f"FROM labels {alias} WHERE {alias}.dataset_id = s.dataset_id AND "
            f"{alias}.sample_id = s.id AND {alias}.field = ? AND {alias}.frame_number = 0 "
            f"AND {alias}.position {position}"
        )
        params: list[Any] = [field]
        single = self.label_fields.get(field) is None
        if items or single:
            for cond, args in self.filters.get(field, []):
                sql += " AND " + cond.replace("{l}", alias)
                params += args
        return sql, params

    # -- values ----------------------------------------------------------------

    def value(self, node: Any) -> Any:
        """A :class:`_Json`, :class:`_Count` or :class:`_Items` for an expression node."""
        if isinstance(node, dict) and "$field" in node:
            return self.field(node["$field"].removeprefix("$"))
        if isinstance(node, dict) and node.get("$op") == "length":
            inner = self.value(node["args"][0])
            if not isinstance(inner, _Items):
                raise ValueError("length() of a label list only")
            return _Count(f"(SELECT COUNT(*) {inner.where})", list(inner.params))
        if isinstance(node, dict) and node.get("$op") == "filter":
            items, cond = node["args"]
            inner = self.value(items)
            if not isinstance(inner, _Items) or inner.attr is not None:
                raise ValueError("filter() of a label list only")
            sql, params = LabelCompiler(self.d, inner.alias).condition(cond)
            return _Items(inner.field, f"{inner.where} AND {sql}", [*inner.params, *params])
        if isinstance(node, dict) and node.get("$op") == "map":
            items, fn = node["args"]
            inner = self.value(items)
            if not isinstance(inner, _Items) or inner.attr is not None:
                raise ValueError("map() of a label list only")
            attr = fn.get("$field") if isinstance(fn, dict) and set(fn) == {"$field"} else None
            if not attr or attr.startswith("$"):
                raise ValueError("map() to one label attribute only")
            return _Items(inner.field, inner.where, inner.params, attr)
        raise ValueError("expression not compiled")

    def field(self, path: str) -> Any:
        if not path or path.split(".")[0] in ("frames", "tags"):
            raise ValueError(f"field {path!r} not compiled")
        if path == "id":
            return "id"
        head, _, rest = path.partition(".")
        if head not in self.label_fields:
            return _Json("s.doc", path)
        list_attr = self.label_fields[head]
        alias = self._alias()
        if list_attr and (rest == list_attr or rest.startswith(list_attr + ".")):
            frm, params = self.labels_from(head, True, alias)
            attr = rest[len(list_attr) + 1 :] or None
            return _Items(head, frm, params, attr)
        if not rest:
            return _Label(head)
        return _Json(f"{alias}.data", rest, self.labels_from(head, False, alias))

    # -- conditions --------------------------------------------------------------

    def condition(self, node: Any) -> Sql:
        """``(sql, params)``: a boolean that is never NULL."""
        op, args = operation(node)
        if op in ("and", "or", "not"):
            return logic(op, [self.condition(a) for a in args])
        if op in _CMP:
            left, right = args
            if isinstance(left, dict) and "$lit" in left:
                left, right = right, left
                op = _SWAP.get(op, op)
            return self.compare(self.value(left), op, literal(right))
        if op == "is_in":
            values = literal(args[1])
            if not isinstance(values, list) or not values or len({kind_of(v) for v in values}) != 1:
                raise ValueError("is_in over one kind of values only")
            parts = [self.compare(self.value(args[0]), "==", v) for v in values]
            return f"({' OR '.join(p[0] for p in parts)})", [x for p in parts for x in p[1]]
        if op == "exists":
            return self.exists(self.value(args[0]), bool(literal(args[1])))
        if op == "contains":
            return self.contains(self.value(args[0]), literal(args[1]), bool(literal(args[2])))
        raise ValueError(f"operation {op!r} is not compiled")

    def compare(self, value: Any, op: str, lit: Any) -> Sql:
        if isinstance(value, _Count):
            if not isinstance(lit, (int, float)) or isinstance(lit, bool):
                return ("TRUE" if op == "!=" else "FALSE"), []
            return f"({value.sql} {_CMP[op]} ?)", [*value.params, lit]
        if lit is None:
            if op not in ("==", "!="):
                return "FALSE", []
            return self.exists(value, op == "!=")
        kind = kind_of(lit)
        default = "TRUE" if op == "!=" else "FALSE"
        if value == "id":
            if kind != STRING:
                return default, []
            return f"(s.id {_CMP[op]} ?)", [lit]
        if not isinstance(value, _Json):
            raise ValueError("comparison not compiled")
        path = self.d.path(value.path)
        typed = self.d.json_typed(value.column, kind)
        params = [path, path, self.d.param_value(lit)]
        column = hot.typed(value.column, value.path, kind)
        if column is not None:
            typed, params = column, params[2:]
        sql = f"{typed} {_CMP[op]} {self.d.typed_param(kind)}"
        return value.wrap(self.d, sql, params, default)

    def exists(self, value: Any, flag: bool) -> Sql:
        if isinstance(value, _Count) or value == "id":
            return ("TRUE" if flag else "FALSE"), []
        if isinstance(value, (_Items, _Label)):
            if getattr(value, "attr", None) is not None:
                raise ValueError("exists() of an attribute list is not compiled")
            # a label exists when its row does (a list's container: an empty list is not None)
            container, params = self.labels_from(value.field, False, self._alias())
            return f"({'' if flag else 'NOT '}EXISTS (SELECT 1 {container}))", params
        text = self.d.json_text(value.column)
        path = self.d.path(value.path)
        test = f"{text} <> 'null'" if flag else f"{text} = 'null'"
        return value.wrap(self.d, test, [path], "FALSE" if flag else "TRUE")

    def contains(self, value: Any, values: Any, all_: bool) -> Sql:
        if not isinstance(value, _Items) or value.attr is None:
            raise ValueError("contains() of a label attribute list only")
        if not isinstance(values, list) or not values or {kind_of(v) for v in values} != {STRING}:
            raise ValueError("contains() of strings only")
        typed = self.d.json_typed(f"{value.alias}.data", STRING)
        path = self.d.path(value.attr)
        args = [path, path]
        column = hot.typed(f"{value.alias}.data", value.attr, STRING)
        if column is not None:
            typed, args = column, []
        parts = [
            (f"EXISTS (SELECT 1 {value.where} AND {typed} = ?)", [*value.params, *args, v])
            for v in values
        ]
        joiner = " AND " if all_ else " OR "
        return f"({joiner.join(p[0] for p in parts)})", [x for p in parts for x in p[1]]

    # -- ordering ----------------------------------------------------------------

    def sort_keys(self, node: Any) -> tuple[list[Sql], Sql | None]:
        """``ORDER BY`` keys equal to the Python order (``None`` < numbers and booleans <
        strings), and a flag for the rows Python orders by ``repr`` (lists, objects), which
        SQL cannot: the caller falls back when any row has it."""
        value = self.field(node) if isinstance(node, str) else self.value(node)
        if isinstance(value, _Count):
            return [(value.sql, value.params)], None
        if value == "id":
            return [("s.id", [])], None
        if not isinstance(value, _Json):
            raise ValueError("sort key not compiled")
        d, path = self.d, self.d.path(value.path)
        kind = d.json_kind(value.column)
        rank = (
            f"CASE {kind} WHEN 'number' THEN 1 WHEN 'boolean' THEN 1 WHEN 'string' THEN 2 "
            "WHEN 'other' THEN 3 ELSE 0 END"
        )
        flag = d.json_typed(value.column, BOOLEAN)
        number = (
            f"COALESCE({d.json_typed(value.column, NUMBER)}, "
            f"CASE WHEN {flag} THEN 1 WHEN NOT {flag} THEN 0 END)"
        )
        string = d.json_typed(value.column, STRING)
        keys = [
            value.wrap(d, rank, [path], "0"),
            value.wrap(d, number, [path] * 6, "NULL"),
            value.wrap(d, string, [path] * 2, "NULL"),
        ]
        keys[2] = (keys[2][0] + d.collate, keys[2][1])
        guard = value.wrap(d, f"({kind}) = 'other'", [path], "FALSE")
        return keys, guard


def compile_view(
    dialect: Dialect, dataset_id: str, label_fields: dict[str, str | None], steps: list[dict]
) -> Sql:
    """``SELECT s.id, flag ...`` (ids in view order) for ``steps``; ``ValueError`` if not
    compilable. The result is not Python's order when some row's flag is set."""
    compiler = SampleCompiler(dialect, label_fields)
    where: list[Sql] = [("s.dataset_id = ?", [dataset_id])]
    order: list[Sql] = []
    guards: list[Sql] = []
    for step in steps:
        kind = step["kind"]
        if order and kind != "sort_by":
            raise ValueError("only a final sort is compiled")
        if kind == "match":
            where.append(compiler.condition(step["expr"]))
        elif kind == "filter_labels":
            field = step["field"]
            if field not in label_fields:
                raise ValueError("frame-level or unknown label field")
            cond, params = LabelCompiler(dialect, "{l}").condition(step["filter"])
            compiler.filters.setdefault(field, []).append((cond, params))
            if step["only_matches"]:
                alias = compiler._alias()
                items = label_fields[field] is not None
                frm, args = compiler.labels_from(field, items, alias)
                where.append((f"EXISTS (SELECT 1 {frm})", args))
        elif kind == "match_tags":
            tags = list(step["tags"])
            if not all(isinstance(t, str) for t in tags):
                raise ValueError("tags are strings")
            has = dialect.array_has("s.doc")
            parts = [(has, [dialect.path("tags"), t]) for t in tags]
            test = (" AND " if step["all"] else " OR ").join(p[0] for p in parts)
            test = test or ("TRUE" if step["all"] else "FALSE")
            sql = f"({test})" if step["bool"] else f"(NOT ({test}))"
            where.append((sql, [x for p in parts for x in p[1]]))
        elif kind == "exists":
            where.append(compiler.exists(compiler.field(step["field"]), step["bool"]))
        elif kind in ("select", "exclude"):
            ids = list(step["ids"])
            if not ids:
                where.append(("FALSE" if kind == "select" else "TRUE", []))
                continue
            cond, params = dialect.in_list("s.id", ids)
            where.append((cond if kind == "select" else f"NOT {cond}", params))
        elif kind == "sort_by":
            keys, guard = compiler.sort_keys(step["key"])
            direction = "DESC" if step["reverse"] else "ASC"
            order[:0] = [(f"{key} {direction}", params) for key, params in keys]
            if guard is not None:
                guards.append(guard)
        else:
            raise ValueError(f"step {kind!r} is not compiled")
    flag = " OR ".join(g[0] for g in guards) or "FALSE"
    sql = f"SELECT s.id, CASE WHEN {flag} THEN 1 ELSE 0 END FROM samples s WHERE "
    sql += " AND ".join(w[0] for w in where)
    params = [x for g in guards for x in g[1]] + [x for w in where for x in w[1]]
    keys = [o[0] for o in order] + ["s.seq"]
    sql += " ORDER BY " + ", ".join(keys)
    params += [x for o in order for x in o[1]]
    return sql, params
