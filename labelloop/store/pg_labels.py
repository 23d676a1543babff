"""The label queries of the PostgreSQL engine (a mixin of :class:`PostgresStore`).

Labels are the big table (one row per label), so this is where the engine's
speed lives. Ids are passed as one array and matched with
``IN (SELECT unnest(array))``: the planner then walks the ``(dataset, sample)``
index once per id, where ``= ANY(array)`` could make it scan a whole field's
labels testing each against the array (minutes at a million labels). Filters are
compiled by :mod:`labelloop.store.pgexpr`; upserts of many rows go through
``COPY`` into a session staging table.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from psycopg import errors as pgerrors

from labelloop.store import codec
from labelloop.store.base import CONTAINER, LabelRow
from labelloop.store.pgexpr import compile_expr

_COPY_MIN = 200  # rows from which upserts go through COPY into a staging table
_CHUNK = 2000  # sample ids per query
_LABEL_COLS = "dataset_id, id, sample_id, frame_number, field, position, data"
_LABEL_UPDATE = ", ".join(
    f"{c}=EXCLUDED.{c}" for c in ("sample_id", "frame_number", "field", "position", "data")
)


def _label_rows(rows: list[tuple]) -> list[LabelRow]:
    datas = codec.loads_many([r[5] for r in rows])
    return [LabelRow(r[0], r[1], r[2], r[3], r[4], d) for r, d in zip(rows, datas)]


def chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterator[list[Any]]:
    """``items`` in lists of at most ``size`` (one query each)."""
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


class LabelQueries:
    """Label methods of the store; uses its ``_conn``, ``_all``, ``_one``, ``_write``,
    ``_write_many``, ``_copy`` and ``transaction``."""

    def get_labels(
        self,
        dataset_id: str,
        sample_ids: Sequence[str],
        fields: Sequence[str] | None = None,
        frames: bool = False,
        frame_range: tuple[int, int] | None = None,
        where: dict[str, Any] | None = None,
    ) -> list[LabelRow]:
        if fields is not None and not fields:
            return []
        extra = " AND frame_number>0" if frames else " AND frame_number=0"
        params: list[Any] = []
        if frames and frame_range is not None:
            extra += " AND frame_number BETWEEN %s AND %s"
            params += list(frame_range)
        if fields is not None:
            extra += " AND field = ANY(%s)"
            params.append(list(fields))
        for field, expr in (where or {}).items():
            sql, args = compile_expr(expr)
            extra += f" AND NOT (field=%s AND position>=0 AND NOT COALESCE(({sql}), FALSE))"
            params += [field, *args]
        out: list[LabelRow] = []
        for chunk in chunks(sample_ids):
            rows = self._all(
                f"SELECT sample_id, frame_number, field, position, id, data FROM labels "
                f"WHERE dataset_id=%s AND sample_id IN (SELECT unnest(%s::text[])){extra} "
                "ORDER BY sample_id, field, frame_number, position",
                (dataset_id, chunk, *params),
            )
            out += _label_rows(rows)
        return out

    def find_labels(self, dataset_id: str, ids: Sequence[str]) -> list[LabelRow]:
        out: list[LabelRow] = []
        for chunk in chunks(list(ids)):
            rows = self._all(
                "SELECT sample_id, frame_number, field, position, id, data FROM labels "
                "WHERE dataset_id=%s AND id IN (SELECT unnest(%s::text[]))",
                (dataset_id, chunk),
            )
            out += _label_rows(rows)
        return out

    def field_label_ids(
        self, dataset_id: str, sample_id: str, field: str, frame_number: int
    ) -> dict[str, int]:
        rows = self._all(
            "SELECT id, position FROM labels WHERE dataset_id=%s AND sample_id=%s AND field=%s "
            "AND frame_number=%s",
            (dataset_id, sample_id, field, frame_number),
        )
        return {r[0]: r[1] for r in rows}

    def upsert_labels(
        self, dataset_id: str, rows: Sequence[LabelRow], replace: bool = True
    ) -> None:
        if replace:  # the last row of an id wins, as INSERT OR REPLACE would have it
            rows = list({r.id: r for r in rows}.values())
        values = [
            (
                dataset_id,
                r.id,
                r.sample_id,
                r.frame_number,
                r.field,
                r.position,
                codec.dumps(r.data),
            )
            for r in rows
        ]
        if not values:
            return
        with self.transaction():
            if not replace:
                self._insert_new_labels(values)
            elif len(values) < _COPY_MIN:
                self._write_many(
                    f"INSERT INTO labels({_LABEL_COLS}) VALUES(%s,%s,%s,%s,%s,%s,%s) "
                    f"ON CONFLICT (dataset_id, id) DO UPDATE SET {_LABEL_UPDATE}",
                    values,
                )
            else:
                self._conn.execute(
                    "CREATE TEMP TABLE IF NOT EXISTS labels_stage "
                    "(LIKE labels INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
                )
                self._copy("labels_stage", _LABEL_COLS, values)
                self._conn.execute(
                    f"INSERT INTO labels({_LABEL_COLS}) SELECT {_LABEL_COLS} FROM labels_stage "
                    f"ON CONFLICT (dataset_id, id) DO UPDATE SET {_LABEL_UPDATE}"
                )
                self._conn.execute("TRUNCATE labels_stage")

    def _insert_new_labels(self, values: list[tuple]) -> None:
        """COPY new labels; an id already stored is a ``ValueError`` and writes nothing."""
        self._conn.execute("SAVEPOINT new_labels")
        try:
            self._copy("labels", _LABEL_COLS, values)
        except pgerrors.UniqueViolation:
            self._conn.execute("ROLLBACK TO SAVEPOINT new_labels")
            raise ValueError(
                "A label id occurs twice in this dataset; give each label its own object "
                "(label.copy(new_ids=True))"
            ) from None
        self._conn.execute("RELEASE SAVEPOINT new_labels")

    def delete_labels(self, dataset_id: str, ids: Iterable[str]) -> None:
        ids = list(ids)
        with self.transaction():
            for chunk in chunks(ids):
                self._conn.execute(
                    "DELETE FROM labels WHERE dataset_id=%s AND id IN (SELECT unnest(%s::text[]))",
                    (dataset_id, chunk),
                )

    def delete_field_labels(self, dataset_id: str, field: str, frames: bool) -> None:
        op = ">" if frames else "="
        self._write(
            f"DELETE FROM labels WHERE dataset_id=%s AND field=%s AND frame_number{op}0",
            (dataset_id, field),
        )

    def rename_field_labels(self, dataset_id: str, old: str, new: str, frames: bool) -> None:
        op = ">" if frames else "="
        self._write(
            f"UPDATE labels SET field=%s WHERE dataset_id=%s AND field=%s AND frame_number{op}0",
            (new, dataset_id, old),
        )

    def can_compile(self, expr: Any) -> bool:
        try:
            compile_expr(expr)
        except ValueError:
            return False
        return True

    def _label_filter(
        self, field: str, frames: bool, items: bool, where: Any
    ) -> tuple[str, list[Any]]:
        sql = " AND field=%s AND frame_number" + (">0" if frames else "=0")
        sql += " AND position" + (">=0" if items else f"={CONTAINER}")
        params: list[Any] = [field]
        if where is not None:
            cond, args = compile_expr(where)
            sql += f" AND COALESCE(({cond}), FALSE)"
            params += args
        return sql, params

    def count_labels(
        self, dataset_id: str, field: str, frames: bool, items: bool, where: Any = None
    ) -> int:
        sql, params = self._label_filter(field, frames, items, where)
        return self._one(
            "SELECT COUNT(*) FROM labels WHERE dataset_id=%s" + sql, (dataset_id, *params)
        )[0]

    def label_values(
        self, dataset_id: str, field: str, frames: bool, items: bool, attr: str, where: Any = None
    ) -> Iterator[tuple[str, int, Any]]:
        sql, params = self._label_filter(field, frames, items, where)
        if attr == "id":
            select, select_params = "id", []
        else:
            select, select_params = "(data::json #> %s::text[])::text", [attr.split(".")]
        rows = self._all(
            f"SELECT sample_id, frame_number, {select} FROM labels WHERE dataset_id=%s"
            + sql
            + " ORDER BY sample_id, frame_number, position",
            (*select_params, dataset_id, *params),
        )
        if attr == "id":
            values = [r[2] for r in rows]
        else:
            values = codec.loads_many(["null" if r[2] is None else r[2] for r in rows])
        for r, value in zip(rows, values):
            yield r[0], r[1], value

    def label_value_counts(
        self, dataset_id: str, field: str, frames: bool, items: bool, attr: str, where: Any = None
    ) -> list[tuple[Any, int]]:
        sql, params = self._label_filter(field, frames, items, where)
        rows = self._all(
            "SELECT (data::jsonb #> %s::text[])::text, COUNT(*) FROM labels WHERE dataset_id=%s"
            + sql
            + " GROUP BY 1",
            (attr.split("."), dataset_id, *params),
        )
        values = codec.loads_many(["null" if r[0] is None else r[0] for r in rows])
        return [(value, r[1]) for r, value in zip(rows, values)]

    def label_bounds(
        self, dataset_id: str, field: str, frames: bool, items: bool, attr: str, where: Any = None
    ) -> list[tuple[Any, Any]] | None:
        sql, params = self._label_filter(field, frames, items, where)
        rows = self._all(
            "SELECT jsonb_typeof(j) AS kind,"
            " MIN((j #>> '{}')::numeric) FILTER (WHERE jsonb_typeof(j) = 'number')::text,"
            " MAX((j #>> '{}')::numeric) FILTER (WHERE jsonb_typeof(j) = 'number')::text,"
            " MIN(j #>> '{}' COLLATE \"C\"), MAX(j #>> '{}' COLLATE \"C\")"
            " FROM (SELECT data::jsonb #> %s::text[] AS j FROM labels WHERE dataset_id=%s"
            + sql
            + ") AS v GROUP BY 1",
            (attr.split("."), dataset_id, *params),
        )
        kinds = {r[0]: r[1:] for r in rows}
        if "array" in kinds or "object" in kinds:
            return None
        out: list[tuple[Any, Any]] = []
        if "number" in kinds:
            out.append((codec.loads(kinds["number"][0]), codec.loads(kinds["number"][1])))
        if "string" in kinds:
            out.append((kinds["string"][2], kinds["string"][3]))
        return out
