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

from labelloop.core.fields import is_label_spec, list_attr

#: Attributes that are not indexed: ``id`` is a column, ``tags`` a list, ``_cls`` fixed.
_NOT_INDEXED = ("id", "_id", "_cls", "tags")


def _label_attribute(dataset: Any, path: str) -> tuple[str, bool, str]:
    """``(field, frame-level, attribute)`` of a label attribute path (``ValueError`` naming
    the forms)."""
    frames = path.startswith("frames.")
    schema = dataset.frame_schema if frames else dataset.sample_schema
    parts = path[len("frames.") :].split(".") if frames else path.split(".")
    field, rest = parts[0], parts[1:]
    spec = schema.get(field)
    if is_label_spec(spec):
        items = list_attr(spec)
        if items:  # a list's attributes are its items'
            rest = rest[1:] if rest[:1] == [items] else []
        if rest and rest[0] not in _NOT_INDEXED:
            return field, frames, ".".join(rest)
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
        field, frames, attr = _label_attribute(self, path)
        self._store.create_label_index(self._id, path, field, frames, attr)
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
