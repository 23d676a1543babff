"""Aggregates over label attributes, for both SQL engines (a mixin of the SQL store).

Each answer is one query that the database streams: counts, per-value counts,
bounds, sums, histograms and per-sample value lists. Hot attributes
(:mod:`labelloop.store.hot`) are read from their columns; the rows where the
column is NULL (missing, null or another JSON kind) are left to the JSON path,
in a second query that runs only when the first one found any. No aggregate
groups by more than the value itself (on 1M labels, SQLite: grouping by
``(column IS NULL, column)`` took 1.5-1.8 s CPU, by the column 0.7-1.2 s).
"""

from __future__ import annotations

import collections
from collections.abc import Iterator, Sequence
from typing import Any

from labelloop.store import codec, hot
from labelloop.store.base import CONTAINER
from labelloop.store.counts import ItemCounts
from labelloop.store.dialect import NUMBER, STRING, TEXT_SEPARATOR
from labelloop.store.joined import joined_lists
from labelloop.store.sqlconn import decode_texts
from labelloop.store.sqlexpr import compile_expr

#: Per-sample lists: one group per sample, kept only when its container row is there.
_BY_SAMPLE = f" GROUP BY sample_id HAVING MIN(position)={CONTAINER}"


class LabelAggregates(ItemCounts):
    """Label aggregates of :class:`~labelloop.store.sqlcore.SQLStore`."""

    def _label_filter(
        self, field: str, frames: bool, items: bool, where: Any
    ) -> tuple[str, list[Any]]:
        sql = " AND field=? AND frame_number" + (">0" if frames else "=0")
        sql += " AND position" + (">=0" if items else f"={CONTAINER}")
        params: list[Any] = [field]
        if where is not None:
            cond, args = compile_expr(where, self.dialect)
            sql += f" AND {cond}"
            params += args
        return sql, params

    def count_labels(
        self, dataset_id: str, field: str, frames: bool, items: bool, where: Any = None
    ) -> int:
        sql, params = self._label_filter(field, frames, items, where)
        return self._one(
            "SELECT COUNT(*) FROM labels WHERE dataset_id=?" + sql, (dataset_id, *params)
        )[0]

    def label_values(
        self, dataset_id: str, field: str, frames: bool, items: bool, attr: str, where: Any = None
    ) -> Iterator[tuple[str, int, Any]]:
        sql, params = self._label_filter(field, frames, items, where)
        d = self.dialect
        name, kind = hot.HOT.get(attr, (None, None))
        if attr == "id":
            select, select_params = "id, NULL", []
        elif name is not None and kind is not None:  # the JSON only where the column is NULL
            text = d.json_text("data")
            select = f"{hot.select(d, name, kind)}, CASE WHEN {name} IS NULL THEN {text} END"
            select_params = [d.path(attr)]
        else:
            select, select_params = f"NULL, {d.json_text('data')}", [d.path(attr)]
        rows = self._all(
            f"SELECT sample_id, frame_number, {select} FROM labels WHERE dataset_id=?"
            + sql
            + " ORDER BY sample_id, frame_number, position",
            (*select_params, dataset_id, *params),
        )
        if attr == "id":
            values = [r[2] for r in rows]
        else:
            texts = decode_texts([r[3] for r in rows])
            values = [
                t if r[2] is None else hot.decode(d, kind or "", r[2]) for r, t in zip(rows, texts)
            ]
        for r, value in zip(rows, values):
            yield r[0], r[1], value

    def label_lists(
        self, dataset_id: str, field: str, attr: str, where: Any = None
    ) -> dict[str, list[Any]]:
        """``{sample id: [attr of each item, in order]}`` for the samples whose sample-level
        list field is set (``[]`` when no item passes ``where``), aggregated by the database.

        Attributes held in a column (the id, the hot attributes) cross as a few long texts
        where the dialect can write the column's values exactly
        (:func:`~labelloop.store.joined.joined_lists`): on 100k samples x 10 labels
        PostgreSQL built a JSON array of labels per sample in 1.1 s, these in 0.45 s.
        ``label`` with no filter is read from the labels each list keeps
        (:meth:`_kept_lists`). The samples where some value is not exact in the column
        (missing, another kind, see ``Dialect.exact_text``), all when a value holds the
        separator, and every other attribute are read as one JSON array per sample
        (:meth:`_json_lists`)."""
        cond, params = "TRUE", []
        if where is not None:
            cond, params = compile_expr(where, self.dialect)
        # items must pass cond; the container row (position -1) says the list is set
        rows = "dataset_id=? AND field=? AND frame_number=0 AND "
        rows += f"(position={CONTAINER} OR position >= 0 AND ({cond}))"
        args = (dataset_id, field, *params)
        if attr == "label" and where is None:
            return self._kept_lists(dataset_id, field, rows, args)
        d, item = self.dialect, "position >= 0"
        column, kind = ("id", STRING) if attr == "id" else hot.HOT.get(attr, ("", ""))
        exact = d.exact_text(column, kind) if column else None
        if exact is None:
            return self._json_lists(attr, rows, args)
        per_sample = (
            f"SELECT sample_id, COUNT(*) FILTER (WHERE {item}) AS n, "
            f"COUNT(*) FILTER (WHERE {item} AND NOT ({exact})) AS inexact, "
            f"{d.text_list(column, item)} AS texts, {d.text_list('position', item)} AS positions "
            f"FROM {d.labels_in_order()} WHERE {rows}{_BY_SAMPLE}"
        )
        found = self._one(
            f"SELECT {d.text_list('sample_id', 'inexact = 0')}, "
            f"{d.text_list('n', 'inexact = 0')}, {d.text_list('texts', 'inexact = 0')}, "
            f"{d.text_list('positions', 'inexact = 0 AND n > 0', 30)}, "
            f"{d.text_list('sample_id', 'inexact > 0')} FROM ({per_sample}) AS g",
            args,
        )
        lists = joined_lists(*found[:4], numbers=kind == NUMBER)
        if lists is None:  # a value or an id holds the separator
            return self._json_lists(attr, rows, args)
        inexact = found[4].split(TEXT_SEPARATOR) if found[4] is not None else []
        return self._with_json_lists(lists, inexact, attr, rows, args)

    def _kept_lists(
        self, dataset_id: str, field: str, rows: str, args: Sequence[Any]
    ) -> dict[str, list[Any]]:
        """``label_lists`` of ``label`` with no filter, from the labels each list keeps
        (:meth:`_kept_labels`). JSON for the lists whose labels are not all strings, or for
        all when a label holds the separator."""
        kept = self._kept_labels(dataset_id, field)
        lists = joined_lists(kept.ids, kept.counts, kept.texts, None, in_order=True)
        if lists is None:
            return self._json_lists("label", rows, args)
        return self._with_json_lists(lists, kept.inexact, "label", rows, args)

    def _with_json_lists(
        self,
        lists: dict[str, list[Any]],
        inexact: list[str],
        attr: str,
        rows: str,
        args: Sequence[Any],
    ) -> dict[str, list[Any]]:
        """``lists`` completed with the ``inexact`` samples' lists read as JSON."""
        if len(inexact) > len(lists):  # most: one pass is cheaper than finding each
            return self._json_lists(attr, rows, args)
        for chunk in self._chunks(inexact):
            where_ids, ids = self._in("sample_id", chunk)
            lists.update(self._json_lists(attr, f"{where_ids} AND {rows}", (*ids, *args)))
        return lists

    def _json_lists(self, attr: str, rows: str, args: Sequence[Any]) -> dict[str, list[Any]]:
        """``label_lists`` read as one JSON array of the items' values per sample, over the
        label rows meeting ``rows`` (SQL; its ``args``)."""
        d = self.dialect
        name, kind = hot.HOT.get(attr, (None, None))
        if attr == "id":
            value, value_params = d.json_string("id"), []
        elif name is not None and kind == STRING:  # strings are exact in their column
            value = f"CASE WHEN {name} IS NOT NULL THEN {d.json_string(name)} ELSE "
            value += f"{d.json_item('data')} END"
            value_params = [d.path(attr)]
        else:  # numbers as the document wrote them (a float column would round some)
            value, value_params = d.json_item("data"), [d.path(attr)]
        found = self._all(
            f"SELECT sample_id, {d.json_list(value, 'position >= 0')} "
            f"FROM {d.labels_in_order()} WHERE {rows}{_BY_SAMPLE}",
            (*value_params, *args),
        )
        lists = codec.loads("[" + ",".join(r[1] or "[]" for r in found) + "]")
        return {r[0]: values for r, values in zip(found, lists)}

    def _hot_rows(
        self,
        dataset_id: str,
        attr: str,
        where: tuple[str, list[Any]],
        select: str,
        by_value: bool = False,
    ) -> tuple[str | None, Any, list[tuple]]:
        """Aggregates ``select`` (``{c}``: the column) of a hot attribute's column, one row
        (or one per value, ``by_value``), with ``(sql of the rows left to JSON, or None when
        there are none; the column's kind)``. ``(sql, None, [])`` for other attributes."""
        sql, params = where
        name, kind = hot.HOT.get(attr, (None, None))
        if name is None:
            return sql, None, []
        frm = f"FROM labels WHERE dataset_id=?{sql}"
        if by_value:  # NULL is a group of its own: the rows left to JSON
            rows = self._all(
                f"SELECT {name} IS NULL, {select.format(c=name)} {frm} GROUP BY {name}",
                (dataset_id, *params),
            )
            rest = any(r[0] for r in rows)
            found = [r[1:] for r in rows if not r[0]]
        else:  # NULLs are left out of the aggregates: only counted
            row = self._one(
                f"SELECT COUNT(*) - COUNT({name}), COUNT({name}), {select.format(c=name)} {frm}",
                (dataset_id, *params),
            )
            rest = bool(row[0])
            found = [row[2:]] if row[1] else []
        return f"{sql} AND {name} IS NULL" if rest else None, kind, found

    def label_value_counts(
        self, dataset_id: str, field: str, frames: bool, items: bool, attr: str, where: Any = None
    ) -> list[tuple[Any, int]]:
        sql, params = self._label_filter(field, frames, items, where)
        rows = None
        listed = attr == "label" and items and not frames  # a sample-level list's labels
        if self.dialect.counts_kept_labels and listed and where is None:
            rows = self._kept_label_counts(dataset_id, field, sql, params)
        if rows is None:
            rows = self._value_counts(dataset_id, attr, sql, params)
        merged: dict[str, Any] = {}
        for value, n in rows:  # texts differing only in spacing/keys order
            key = codec.dumps(value)
            merged[key] = (value, merged.get(key, (None, 0))[1] + n)
        return list(merged.values())

    def _value_counts(
        self, dataset_id: str, attr: str, sql: str, params: list[Any]
    ) -> list[tuple[Any, int]]:
        """``(value, count)`` of ``attr`` over the labels ``sql`` (``params``) selects,
        grouped by the database (a value may come twice: from its column and from JSON)."""
        d = self.dialect
        kind = hot.HOT.get(attr, ("", ""))[1]
        if not kind and d.counts_over_indexes and any(a == attr for a, _ in d.indexed):
            rows, rest = self._indexed_counts(dataset_id, attr, sql, params)
        else:
            rest, _, found = self._hot_rows(
                dataset_id, attr, (sql, params), f"{hot.select(d, '{c}', kind)}, COUNT(*)", True
            )
            rows = [(hot.decode(d, kind, r[0]), r[1]) for r in found]
        if rest is not None:
            text = f"CASE WHEN {hot.present('data', attr)} THEN {d.json_text('data')} END"
            found = self._all(
                f"SELECT {text}, COUNT(*) FROM labels WHERE dataset_id=?" + rest + " GROUP BY 1",
                (d.path(attr), dataset_id, *params),
            )
            rows += zip(decode_texts([r[0] for r in found]), (r[1] for r in found))
        return rows

    def _indexed_counts(
        self, dataset_id: str, attr: str, sql: str, params: list[Any]
    ) -> tuple[list[tuple[Any, int]], str]:
        """``_value_counts`` of an indexed attribute: one ``GROUP BY`` per indexed kind over
        its index (1M labels, SQLite: 0.2 s instead of 2.2 s from the documents), and the
        SQL of the labels left to JSON (those holding another kind, or none)."""
        d, rows, rest = self.dialect, [], sql
        for kind in sorted(k for a, k in d.indexed if a == attr):
            value = hot.indexed_value(d, "data", attr, kind)
            found = self._all(
                f"SELECT {hot.select(d, value, kind)}, COUNT(*) FROM labels WHERE dataset_id=?"
                f"{sql} AND {value} IS NOT NULL GROUP BY {value}",
                (dataset_id, *params),
            )
            rows += [(hot.decode(d, kind, r[0]), r[1]) for r in found]
            rest += f" AND {value} IS NULL"
        return rows, rest

    def _kept_label_counts(
        self, dataset_id: str, field: str, sql: str, params: list[Any]
    ) -> list[tuple[Any, int]] | None:
        """``_value_counts`` of the sample-level list ``field``'s labels, counted in the
        labels its lists keep (:meth:`_kept_labels`): 1M labels need no ``GROUP BY``. The
        lists not kept exactly are counted by the database; ``None`` when most are, or a
        label holds the separator."""
        kept = self._kept_labels(dataset_id, field)
        counts = kept.counts.split(TEXT_SEPARATOR) if kept.counts is not None else []
        values = kept.texts.split(TEXT_SEPARATOR) if kept.texts is not None else []
        if len(values) != sum(map(int, counts)) or len(kept.inexact) > len(counts):
            return None
        rows: list[tuple[Any, int]] = list(collections.Counter(values).items())
        for chunk in self._chunks(kept.inexact):
            cond, ids = self._in("sample_id", chunk)
            rows += self._value_counts(dataset_id, "label", f"{sql} AND {cond}", [*params, *ids])
        return rows

    def label_bounds(
        self, dataset_id: str, field: str, frames: bool, items: bool, attr: str, where: Any = None
    ) -> list[tuple[Any, Any]] | None:
        sql, params = self._label_filter(field, frames, items, where)
        d = self.dialect
        kind = hot.HOT.get(attr, ("", ""))[1]
        low, high = hot.select(d, "MIN({c})", kind), hot.select(d, "MAX({c})", kind)
        rest, _, found = self._hot_rows(dataset_id, attr, (sql, params), f"{low}, {high}")
        # (min, max) of the column's kind, as numbers and as strings
        kinds: dict[str, list[Any]] = {kind: [*found[0], *found[0]]} if found else {}
        if rest is not None:
            path = d.path(attr)
            number = d.json_typed("data", NUMBER)
            string = d.json_typed("data", STRING) + d.collate
            rows = self._all(
                f"SELECT {d.json_kind('data')}, {d.number_out(f'MIN({number})')}, "
                f"{d.number_out(f'MAX({number})')}, MIN({string}), MAX({string}) "
                f"FROM labels WHERE dataset_id=?{rest} AND {hot.present('data', attr)} "
                # one parse rules a null out, before the four reads of a value
                f"AND {d.json_kind('data')} <> 'null' GROUP BY 1",
                (*[path] * 9, dataset_id, *params, path),
            )
            kinds.update((r[0], list(r[1:])) for r in rows)  # never the column's kind
        if "other" in kinds:
            return None
        out: list[tuple[Any, Any]] = []
        if "number" in kinds:
            low, high = kinds["number"][:2]
            out.append((d.number_in(low), d.number_in(high)))
        if "string" in kinds:
            out.append(tuple(kinds["string"][2:]))
        return out

    def _numbers(
        self, dataset_id: str, field: str, frames: bool, items: bool, attr: str, where: Any
    ) -> tuple[str, list[Any], str, list[Any], str]:
        """``(FROM ... WHERE sql and its params, SQL of attr's number (else NULL) and its
        params, SQL aggregate true when some value is a list or an object)``: the caller
        selects the latter too and gives up then (their numbers are the walk's)."""
        sql, params = self._label_filter(field, frames, items, where)
        d = self.dialect
        path = d.path(attr)
        held = hot.present("data", attr)  # the documents lacking attr are not parsed
        other = f"CASE WHEN {held} THEN (CASE {d.json_kind('data')} WHEN 'other' THEN 1 END) END"
        name = hot.column(attr, NUMBER)
        if name is not None:  # only the rows the column leaves NULL may hold lists
            number, number_params, other = name, [], f"CASE WHEN {name} IS NULL THEN {other} END"
        else:
            number = f"CASE WHEN {held} THEN {d.json_typed('data', NUMBER)} END"
            number_params = [path, path]
        frm = f"FROM labels WHERE dataset_id=?{sql}"
        return frm, [dataset_id, *params], number, number_params, other

    def label_sums(
        self, dataset_id: str, field: str, frames: bool, items: bool, attr: str, where: Any = None
    ) -> tuple[int, Any, Any] | None:
        frm, params, x, x_params, other = self._numbers(
            dataset_id, field, frames, items, attr, where
        )
        d = self.dialect
        found, count, total, squares = self._one(
            f"SELECT MAX({other}), COUNT({x}), {d.number_out(f'SUM({x})')}, "
            f"{d.number_out(f'SUM({x} * {x})')} {frm}",
            (d.path(attr), *x_params * 4, *params),
        )
        if found:
            return None
        total, squares = d.number_in(total), d.number_in(squares)
        return count, 0 if total is None else total, 0 if squares is None else squares

    def label_histogram(
        self,
        dataset_id: str,
        field: str,
        frames: bool,
        items: bool,
        attr: str,
        edges: Sequence[float],
        where: Any = None,
    ) -> tuple[list[int], int] | None:
        """``(counts per bin, number of numbers)`` of attr's numbers over ``edges`` as
        ``numpy.histogram`` bins them (``edges[i] <= x < edges[i + 1]``, the last bin closed),
        in one pass (a count below each edge: one comparison per edge and number); ``None`` when some value is a list or an object."""
        frm, params, x, x_params, other = self._numbers(
            dataset_id, field, frames, items, attr, where
        )
        # one comparison per edge: how many numbers lie below each (the last: at or below)
        below = ", ".join(
            f"COUNT(CASE WHEN {x} {'<=' if i == len(edges) - 1 else '<'} ? THEN 1 END)"
            for i in range(len(edges))
        )
        args: list[Any] = [self.dialect.path(attr), *x_params]
        for edge in edges:
            args += [*x_params, float(edge)]
        row = self._one(f"SELECT MAX({other}), COUNT({x}), {below} {frm}", (*args, *params))
        if row[0]:
            return None
        return [high - low for low, high in zip(row[2:], row[3:])], int(row[1])
