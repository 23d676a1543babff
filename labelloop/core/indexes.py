"""Indexes of label attributes: what a dataset asks its store to keep readable in SQL.

``label``, ``confidence`` and ``index`` always are (:mod:`labelloop.store.hot`);
any other attribute a user filters on often (an evaluation's ``eval`` or
``eval_iou``, a model's own score) can be indexed by name, as MongoDB users of
the reference system do with ``create_index``. Filters comparing it with a
literal (``filter_labels``, ``match_labels``, the App's) then find its labels in
the index instead of reading every label's document; results never change.
"""

from __future__ import annotations

from typing import Any

from labelloop.core.label_stages import LabelPath

#: Attributes that are not indexed: ``id`` is a column, ``tags`` a list, ``_cls`` fixed.
_NOT_INDEXED = ("id", "_id", "_cls", "tags")


def _label_attribute(dataset: Any, path: str) -> tuple[LabelPath, str]:
    """The label field and attribute a path names (``ValueError`` naming the forms)."""
    parts = path.split(".")
    for n in range(len(parts) - 1, 0, -1):  # the longest label field the path starts with
        field = ".".join(parts[:n])
        try:
            label = LabelPath(dataset, field)
        except ValueError:
            continue
        rest = parts[n:]
        if label.list_attr:
            if rest[0] != label.list_attr:
                break
            rest = rest[1:]
        if rest and rest[0] not in _NOT_INDEXED:
            return label, ".".join(rest)
        break
    raise ValueError(
        f"Cannot index '{path}': name an attribute of a label field's labels, such as "
        "'predictions.detections.eval', 'ground_truth.label' or "
        "'frames.detections.detections.iou' (not id, tags or _cls)"
    )


class DatasetIndexes:
    """The index methods of :class:`~labelloop.core.dataset.Dataset`."""

    def create_index(self, path: str) -> str:
        """Index the label attribute ``path`` (``"predictions.detections.eval"``) so that
        filters comparing it with a value read it from the index, not from every label's
        document. Takes one pass over the labels; later writes keep it. Returns ``path``."""
        label, attr = _label_attribute(self, path)
        self._store.create_label_index(self._id, path, label.field, label.is_frame, attr)
        return path

    def list_indexes(self) -> list[str]:
        """The label attribute paths indexed with :meth:`create_index`."""
        return sorted(self._store.label_indexes(self._id))

    def drop_index(self, path: str) -> None:
        """Drop the index :meth:`create_index` made for ``path``."""
        try:
            self._store.drop_label_index(self._id, path)
        except KeyError:
            raise ValueError(
                f"'{path}' has no index; indexed paths: {self.list_indexes()}"
            ) from None

    def _move_indexes(self, field: str, new: str | None = None) -> None:
        """Carry the indexes of a renamed label field's attributes to its ``new`` name, or
        forget them with a deleted field (in the caller's transaction)."""
        for path in self.list_indexes():
            if path.startswith(field + "."):
                if new is not None:  # first: the attribute's index stays built
                    self.create_index(new + path[len(field) :])
                self._store.drop_label_index(self._id, path)
