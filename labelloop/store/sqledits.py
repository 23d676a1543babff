"""Bulk label edits of both SQL engines (a mixin of :class:`~labelloop.store.sqlcore.SQLStore`).

Setting attributes of many labels (``set_values`` on a label attribute, label
tags, evaluation results) writes only the labels whose values change, in one
transaction. Where the engine edits JSON in SQL (SQLite's ``json_set``, which
keeps the other keys' order and text) that is one ``UPDATE ... FROM`` per 20k
labels, skipping those whose stored value is already the new one; otherwise
(PostgreSQL, whose ``jsonb`` would reorder keys and rewrite numbers) the documents
are edited in Python, compared, and the changed ones written back with one
``UPDATE ... FROM`` per chunk.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from labelloop.store import codec
from labelloop.store.base import REMOVE
from labelloop.store.counts import ItemCounts


def level_filter(field: str | None, frames: bool | None) -> tuple[str, list[Any]]:
    """SQL restricting labels to one field (``None``: any field) at one level."""
    if field is None:
        return "", []
    return " AND field=? AND frame_number" + (">0" if frames else "=0"), [field]


def _same(old: Any, new: Any) -> bool:
    """Whether a stored value is already ``new`` (as JSON text: ``1`` is not ``1.0``)."""
    if type(old) is not type(new):
        return False
    if isinstance(old, (list, dict)):
        return codec.dumps(old) == codec.dumps(new)
    try:
        return bool(old == new)
    except ValueError:  # arrays
        return False


class LabelEdits(ItemCounts):
    """Label-editing methods of :class:`~labelloop.store.sqlcore.SQLStore`."""

    def update_label_values(
        self,
        dataset_id: str,
        attrs: Sequence[str],
        rows: Iterable[tuple[str, Sequence[Any]]],
        field: str,
        frames: bool = False,
    ) -> int:
        new = {label_id: tuple(values) for label_id, values in rows}  # the last row wins
        if not new:
            return 0
        with self.transaction():
            if self.dialect.json_edit("data", attrs, [], ["?"] * len(attrs)) is None:
                written = self._edit_in_python(dataset_id, list(attrs), new, field, frames)
            else:  # one statement per set of removed attributes (usually one)
                groups: dict[tuple[bool, ...], list[tuple[str, tuple]]] = {}
                for label_id, values in new.items():
                    removed = tuple(v is REMOVE for v in values)
                    groups.setdefault(removed, []).append((label_id, values))
                written = sum(
                    self._edit_in_sql(dataset_id, list(attrs), removed, items, field, frames)
                    for removed, items in groups.items()
                )
            if written and "label" in attrs:  # the lists keep their items' labels
                self._recount_labels(dataset_id, list(new), field, frames)
            return written

    def _edit_in_sql(
        self,
        dataset_id: str,
        attrs: list[str],
        removed: tuple[bool, ...],
        items: list[tuple[str, tuple]],
        field: str,
        frames: bool,
    ) -> int:
        """One ``UPDATE ... FROM`` per 20k labels, their new values crossing as one JSON
        text. Setting an attribute of 200k labels (SQLite, profiled): 4.2 s CPU with the
        texts built, one ``UPDATE`` per label 5.0 s."""
        sets = [a for a, r in zip(attrs, removed) if not r]
        drops = [a for a, r in zip(attrs, removed) if r]
        columns = [("id", "text")] + [(f"v{k}", "text") for k in range(len(sets))]
        edit = self.dialect.json_edit("data", sets, drops, [f"v.{c}" for c, _ in columns[1:]])
        assert edit is not None
        edited, same = edit
        extra, args = level_filter(field, frames)
        sql = (  # v first (materialized), then each label by id; RETURNING counts them
            f"WITH v AS MATERIALIZED {self.dialect.json_rows(columns)} "
            f"UPDATE {self.dialect.labels_by_id} SET data={edited} FROM v "
            f"WHERE labels.dataset_id=? AND labels.id=v.id{extra} AND NOT ({same}) RETURNING 1"
        )
        written = 0
        for chunk in self._chunks(items, 40):
            rows = [
                [label_id, *(codec.dumps(v) for v, r in zip(values, removed) if not r)]
                for label_id, values in chunk
            ]
            written += len(self._exec(sql, (json.dumps(rows), dataset_id, *args)).fetchall())
        return written

    def _edit_in_python(
        self,
        dataset_id: str,
        attrs: list[str],
        new: dict[str, tuple],
        field: str,
        frames: bool,
    ) -> int:
        extra, args = level_filter(field, frames)
        written = 0
        for chunk in self._chunks(list(new), 50):
            cond, params = self._in("id", chunk)
            found = self._all(
                f"SELECT id, data FROM {self.dialect.labels_by_id} WHERE dataset_id=? AND "
                f"{cond}{extra}",
                (dataset_id, *params, *args),
            )
            changed = []
            for (label_id, _), data in zip(found, codec.loads_many([r[1] for r in found])):
                edited = False
                for attr, value in zip(attrs, new[label_id]):
                    if value is REMOVE:
                        edited |= data.pop(attr, REMOVE) is not REMOVE
                    else:
                        edited |= attr not in data or not _same(data[attr], value)
                        data[attr] = value  # in Python: keys keep their order
                if edited:
                    changed.append((label_id, codec.dumps(data)))
            self._set_texts("labels", "data", dataset_id, changed, level_filter(field, frames))
            written += len(changed)
        return written

    def write_label_data(
        self,
        dataset_id: str,
        rows: Iterable[tuple[str, dict[str, Any]]],
        field: str,
        frames: bool = False,
    ) -> None:
        texts = [(label_id, codec.dumps(data)) for label_id, data in rows]
        with self.transaction():
            for chunk in self._chunks(texts, 50):
                self._set_texts("labels", "data", dataset_id, chunk, level_filter(field, frames))
            self._recount_labels(dataset_id, [t[0] for t in texts], field, frames)

    def delete_labels(
        self,
        dataset_id: str,
        ids: Iterable[str],
        field: str | None = None,
        frames: bool = False,
    ) -> None:
        extra, args = level_filter(field, frames)
        ids = list(ids)
        with self.transaction():
            touched: set[tuple[str, str, int]] = set()
            for chunk in self._chunks(ids):
                cond, params = self._in("id", chunk)
                touched.update(
                    self._exec(
                        f"DELETE FROM {self.dialect.labels_by_id} WHERE dataset_id=? AND "
                        f"{cond}{extra} "
                        "RETURNING sample_id, field, frame_number",
                        (dataset_id, *params, *args),
                    ).fetchall()
                )
            self._recount(dataset_id, touched)
