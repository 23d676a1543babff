"""Label queries of both SQL engines (a mixin of :class:`~labelloop.store.sqlcore.SQLStore`).

Labels are the big table (one row per label), so this is where the engines'
speed lives. Filters are compiled by :mod:`labelloop.store.sqlexpr`; aggregates
are in :mod:`labelloop.store.sqlaggregates`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from labelloop.store import codec
from labelloop.store.base import LabelRow
from labelloop.store.counts import ItemCounts
from labelloop.store.sqledits import level_filter
from labelloop.store.sqlexpr import compile_expr

_LABEL_COLS = "dataset_id, id, sample_id, frame_number, field, position, data"
_READ_COLS = "sample_id, frame_number, field, position, id, data"
#: A label's key: ids are unique within a (sample- or frame-level) field, not across fields,
#: so a copy keeps its id in another field (``pred = gt.copy()``) and both fields keep theirs.
LABEL_KEY = "dataset_id, id, field, (frame_number > 0)"
#: Replaces a label in its own place only: a row of the same field and id elsewhere (another
#: sample or frame) is left alone and counted as a conflict by :meth:`upsert_labels`.
UPSERT_LABELS = (
    f"INSERT INTO labels({_LABEL_COLS}) VALUES(?,?,?,?,?,?,?) "
    f"ON CONFLICT ({LABEL_KEY}) DO UPDATE SET position=excluded.position, data=excluded.data "
    "WHERE labels.sample_id=excluded.sample_id AND labels.frame_number=excluded.frame_number"
)
DUPLICATE_ID = (
    "A label id occurs twice in one field of this dataset; give each label its own object "
    "(label.copy(new_ids=True))"
)


def _label_rows(rows: list[tuple]) -> list[LabelRow]:
    datas = codec.loads_many([r[5] for r in rows])
    return [LabelRow(r[0], r[1], r[2], r[3], r[4], d) for r, d in zip(rows, datas)]


class LabelQueries(ItemCounts):
    """Label methods of :class:`~labelloop.store.sqlcore.SQLStore`."""

    #: The engine's exception for a duplicate primary key.
    _unique_error: type[Exception] = Exception

    def _upsert_label_values(self, values: list[tuple]) -> int:
        """Insert or replace label rows in their place (engines may bulk load many); the
        number of rows written (fewer when some id is taken elsewhere in its field)."""
        return self._write_many(UPSERT_LABELS, values)

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
            extra += " AND frame_number BETWEEN ? AND ?"
            params += list(frame_range)
        if fields is not None:
            cond, args = self.dialect.in_list("field", list(fields))
            extra += f" AND {cond}"
            params += args
        for field, expr in (where or {}).items():
            sql, args = compile_expr(expr, self.dialect)
            extra += f" AND NOT (field=? AND position>=0 AND NOT {sql})"
            params += [field, *args]
        out: list[LabelRow] = []
        for chunk in self._chunks(sample_ids):
            cond, ids = self._in("sample_id", chunk)
            rows = self._all(
                f"SELECT {_READ_COLS} FROM labels WHERE dataset_id=? AND {cond}{extra} "
                "ORDER BY sample_id, field, frame_number, position",
                (dataset_id, *ids, *params),
            )
            out += _label_rows(rows)
        return out

    def find_labels(
        self,
        dataset_id: str,
        ids: Sequence[str],
        field: str | None = None,
        frames: bool = False,
    ) -> list[LabelRow]:
        extra, args = level_filter(field, frames)
        out: list[LabelRow] = []
        for chunk in self._chunks(list(ids)):
            cond, params = self._in("id", chunk)
            rows = self._all(
                f"SELECT {_READ_COLS} FROM {self.dialect.labels_by_id} WHERE dataset_id=? AND "
                f"{cond}{extra}",
                (dataset_id, *params, *args),
            )
            out += _label_rows(rows)
        return out

    def field_label_ids(
        self, dataset_id: str, sample_id: str, field: str, frame_number: int
    ) -> dict[str, int]:
        rows = self._all(
            "SELECT id, position FROM labels WHERE dataset_id=? AND sample_id=? AND field=? "
            "AND frame_number=?",
            (dataset_id, sample_id, field, frame_number),
        )
        return {r[0]: r[1] for r in rows}

    def upsert_labels(
        self, dataset_id: str, rows: Sequence[LabelRow], replace: bool = True
    ) -> None:
        if replace:  # the last row of a place wins
            rows = list({(r.id, r.field, r.sample_id, r.frame_number): r for r in rows}.values())
            if len({(r.id, r.field, r.frame_number > 0) for r in rows}) < len(rows):
                raise ValueError(DUPLICATE_ID)
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
            if replace:
                if self._upsert_label_values(values) < len(values):
                    raise ValueError(self._taken_message(dataset_id, rows))
            else:
                self._exec("SAVEPOINT new_labels")
                try:
                    self._bulk_insert("labels", _LABEL_COLS, values)
                except self._unique_error:
                    self._exec("ROLLBACK TO SAVEPOINT new_labels")
                    raise ValueError(DUPLICATE_ID) from None
                self._exec("RELEASE SAVEPOINT new_labels")
            self._recount(dataset_id, ((r.sample_id, r.field, r.frame_number) for r in rows))

    def _taken_message(self, dataset_id: str, rows: Sequence[LabelRow]) -> str:
        """Why an upsert wrote fewer rows than asked: the first id already elsewhere."""
        for field, frames in {(r.field, r.frame_number > 0) for r in rows}:
            wanted = {r.id: r for r in rows if r.field == field and (r.frame_number > 0) == frames}
            for found in self.find_labels(dataset_id, list(wanted), field, frames):
                new = wanted[found.id]
                if (found.sample_id, found.frame_number) != (new.sample_id, new.frame_number):
                    where = f"sample {found.sample_id}" + (
                        f" frame {found.frame_number}" if frames else ""
                    )
                    return (
                        f"Label {found.id} is already in field '{field}' of {where}: label ids "
                        "are unique within a field; give the copy new ids "
                        "(label.copy(new_ids=True)) or remove the label there first"
                    )
        return DUPLICATE_ID

    def delete_field_labels(self, dataset_id: str, field: str, frames: bool) -> None:
        op = ">" if frames else "="
        self._write(
            f"DELETE FROM labels WHERE dataset_id=? AND field=? AND frame_number{op}0",
            (dataset_id, field),
        )

    def rename_field_labels(self, dataset_id: str, old: str, new: str, frames: bool) -> None:
        op = ">" if frames else "="
        self._write(
            f"UPDATE labels SET field=? WHERE dataset_id=? AND field=? AND frame_number{op}0",
            (new, dataset_id, old),
        )

    def can_compile(self, expr: Any) -> bool:
        try:
            compile_expr(expr, self.dialect)
        except ValueError:
            return False
        return True
