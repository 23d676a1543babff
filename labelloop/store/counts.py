"""Item counts of label lists, kept in their container rows: ``length()`` reads one number.

A list field's container row (``position = CONTAINER``) holds in ``labels.items`` how
many item rows the list has (a single label's row holds 0). Every write that adds or
removes item rows recounts the containers it touched, in the same transaction
(:meth:`ItemCounts._recount`, through the index that starts with a container's sample,
field and frame): ``upsert_labels`` and ``delete_labels``; the other deletes
(a field, frames, samples, a dataset) remove the containers with their items, edits of
label data never change a count, and ``copy_dataset`` copies the column. Counting the item
rows per sample instead walks every label of the field: on 100k samples x 10 labels,
``match(F("predictions.detections").length() > 5)`` took 0.42 s (SQLite) and 0.74 s
(PostgreSQL) that way. The partial index ``labels_items`` (containers only) finds the
samples whose count passes without reading any label.

The container row also keeps its items' ``label`` texts, joined in position order by
:data:`~labelloop.store.dialect.TEXT_SEPARATOR`, in ``labels.item_labels`` (NULL when an
item's label is not a string): ``values("<list>.label")``, ``count_values`` and
``distinct`` of it read one row per sample instead of one per label
(:meth:`ItemCounts._kept_labels`). The recount sets it with the count,
and edits that may change an item's ``label`` (``update_label_values`` of ``label``,
``write_label_data``) recount their containers (:meth:`ItemCounts._recount_labels`).
Measured on 100k samples x 10 labels (SQLite, CPU): those values took 0.64-0.87 s instead
of 1.7-1.8 s from the labels' rows; adding 20k such samples took 3% longer, setting the
``label`` of all their labels 15% (1.5 s of 9.6 s).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from labelloop.store.base import CONTAINER
from labelloop.store.dialect import TEXT_SEPARATOR, Dialect
from labelloop.store.sqlconn import SQLConnection

#: The item rows of the list whose container row is ``{c}``.
_ITEMS = (
    "WHERE i.dataset_id = {c}.dataset_id AND i.sample_id = {c}.sample_id AND "
    "i.field = {c}.field AND i.frame_number = {c}.frame_number AND i.position >= 0"
)

_GROUP = (("sample_id", "text"), ("field", "text"), ("frame_number", "int"))


def _kept(dialect: Dialect, c: str) -> str:
    """``SET`` of the count and the joined labels kept in the container row ``c``."""
    texts = dialect.text_list("i.a_label", "TRUE", order="i.position")
    return (
        f"(items, item_labels) = (SELECT COUNT(*), CASE WHEN COUNT(i.a_label) = COUNT(*) "
        f"THEN {texts} END FROM {dialect.labels_in_order('i')} {_ITEMS.format(c=c)})"
    )


def schema(dialect: Dialect, present: frozenset[str] = frozenset()) -> list[str]:
    """Statements adding ``labels.items`` and ``labels.item_labels`` (unless ``present``),
    their index, and the values of the containers that have none yet (a file or database
    from before the columns)."""
    add = "ADD COLUMN IF NOT EXISTS" if dialect.name == "postgresql" else "ADD COLUMN"
    out = [
        f"ALTER TABLE labels {add} {name} {kind}"
        for name, kind in (("items", "INTEGER"), ("item_labels", "TEXT"))
        if name not in present
    ]
    # SQLite reads the texts from the index (a PostgreSQL index entry has a size limit)
    index, texts = (
        ("labels_lists", ", item_labels") if dialect.name == "sqlite" else ("labels_items", "")
    )
    if texts:
        out.append("DROP INDEX IF EXISTS labels_items")  # schema 6's, without the texts
    out += [
        f"CREATE INDEX IF NOT EXISTS {index} ON labels"
        f"(dataset_id, field, frame_number, items, sample_id{texts}) "
        f"WHERE position = {CONTAINER}",
        f"UPDATE labels AS c SET {_kept(dialect, 'c')} WHERE c.position = {CONTAINER} AND "
        "(c.items IS NULL OR c.item_labels IS NULL AND c.items > 0)",
    ]
    return out


def stored(alias: str) -> str:
    """The count of sample ``s``'s list in field ``?`` (0 when it has none), for a label
    alias ``alias`` of its own."""
    return (
        f"COALESCE((SELECT {alias}.items FROM labels {alias} WHERE "
        f"{alias}.dataset_id = s.dataset_id AND {alias}.sample_id = s.id AND "
        f"{alias}.field = ? AND {alias}.frame_number = 0 AND "
        f"{alias}.position = {CONTAINER}), 0)"
    )


def passing(alias: str, test: str) -> str:
    """The ids of the samples whose list in field ``?`` of dataset ``?`` has a count
    meeting ``test`` (SQL on ``{n}``, the count)."""
    return (
        f"SELECT {alias}.sample_id FROM labels {alias} WHERE {alias}.dataset_id = ? AND "
        f"{alias}.field = ? AND {alias}.frame_number = 0 AND "
        f"{alias}.position = {CONTAINER} AND {test.format(n=f'{alias}.items')}"
    )


class KeptLabels(NamedTuple):
    """The labels a field's lists keep, read in one row: joined by :data:`TEXT_SEPARATOR`,
    for the lists whose labels are all strings, their samples' ids, their item counts and
    their items' labels (sample after sample, each in position order; ``None`` for none);
    and the samples whose lists are not exact (read those as JSON)."""

    ids: str | None
    counts: str | None
    texts: str | None
    inexact: list[str]


#: A list whose kept labels are exact: empty, or texts kept (all its labels are strings).
_EXACT = "COALESCE(items = 0 OR items > 0 AND item_labels IS NOT NULL, FALSE)"


class ItemCounts(SQLConnection):
    """Recounting the containers a label write touched, and reading the labels they keep
    (a mixin of the SQL store)."""

    def _kept_labels(self, dataset_id: str, field: str) -> KeptLabels:
        """The labels the sample-level lists of ``field`` keep (one row per list, joined
        by the database into one)."""
        d = self.dialect
        found = self._one(
            f"SELECT {d.text_list('sample_id', _EXACT)}, {d.text_list('items', _EXACT)}, "
            f"{d.text_list('item_labels', _EXACT)}, "
            f"{d.text_list('sample_id', f'NOT {_EXACT}')} FROM labels WHERE dataset_id=? AND "
            f"field=? AND frame_number=0 AND position={CONTAINER}",
            (dataset_id, field),
        )
        inexact = found[3].split(TEXT_SEPARATOR) if found[3] is not None else []
        return KeptLabels(found[0], found[1], found[2], inexact)

    def _recount(self, dataset_id: str, groups: Iterable[tuple[str, str, int]]) -> None:
        """Set ``items`` and ``item_labels`` of the containers of the ``(sample_id, field,
        frame_number)`` groups, inside the caller's transaction: one statement per few
        thousand groups."""
        groups = sorted(set(groups))
        rows = self.dialect.json_rows(_GROUP)
        for chunk in self._chunks(groups, 20):
            self._exec(
                f"WITH g AS MATERIALIZED {rows} UPDATE labels AS c "
                f"SET {_kept(self.dialect, 'c')} FROM g WHERE c.dataset_id = ? AND "
                "c.sample_id = g.sample_id AND c.field = g.field AND "
                f"c.frame_number = g.frame_number AND c.position = {CONTAINER}",
                (json.dumps(chunk), dataset_id),
            )

    def _recount_labels(
        self, dataset_id: str, ids: Sequence[str], field: str, frames: bool
    ) -> None:
        """Recount the lists holding the labels ``ids`` of ``field``: their ``label`` may
        have changed."""
        level = ">0" if frames else "=0"
        groups: set[tuple[str, str, int]] = set()
        for chunk in self._chunks(list(ids)):
            cond, params = self._in("id", chunk)
            groups.update(
                (r[0], field, r[1])
                for r in self._all(
                    f"SELECT sample_id, frame_number FROM {self.dialect.labels_by_id} "
                    "WHERE dataset_id=? AND "
                    f"{cond} AND field=? AND frame_number{level} AND position >= 0",
                    (dataset_id, *params, field),
                )
            )
        self._recount(dataset_id, groups)
