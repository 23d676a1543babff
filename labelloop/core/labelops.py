"""Label-level operations: find, add, replace and delete single labels by id.

These never rewrite a sample: they touch only the label rows involved, inside
the caller's transaction when there is one. The annotation merge engine builds
on them (see docs/architecture.md, "Core API for other layers").
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from labelloop.core.docs import label_data, label_rows
from labelloop.core.fields import is_label_spec
from labelloop.core.ids import new_id
from labelloop.core.label_stages import label_paths
from labelloop.core.labels import (
    Detections,
    Keypoints,
    Label,
    Polylines,
    TemporalDetections,
    label_class,
)
from labelloop.core.labeltags import shown_label_ids, source_level
from labelloop.core.stages import as_list
from labelloop.store.base import CONTAINER, SAMPLE_LEVEL, LabelRow
from labelloop.store.base import REMOVE as REMOVE

if TYPE_CHECKING:
    from labelloop.core.dataset import Dataset


class LabelInfo(NamedTuple):
    """Where a label lives: ``sample_id``, ``frame_number`` (``None`` = sample level), ``field``."""

    sample_id: str
    frame_number: int | None
    field: str
    label: Label


def label_from_row(row: Any) -> Label:
    """The label object stored in a :class:`~labelloop.store.base.LabelRow`."""
    data = dict(row.data)
    data["id"] = row.id
    return Label.from_dict(data)


def get_label(dataset: Dataset, label_id: str, field: str | None = None) -> LabelInfo:
    """Where label ``label_id`` lives and the label itself (``KeyError`` if unknown).

    Ids are unique within a field: ``field`` (``frames.x`` for a frame field) says
    which one; without it, a label copied into several fields is found in one of them.
    """
    found = get_labels(dataset, [label_id], field)
    if not found:
        where = f" in field '{field}'" if field else ""
        raise KeyError(f"No label with id {label_id!r}{where} in dataset '{dataset.name}'")
    return found[0]


def get_labels(
    dataset: Dataset, label_ids: Iterable[str], field: str | None = None
) -> list[LabelInfo]:
    """:class:`LabelInfo` of the labels with these ids (unknown ids skipped), in every
    field or only in ``field`` (``frames.x`` for a frame field).

    Items of list labels come back as the item (``Detection``), single
    labels and list containers as stored (a container without its items).
    """
    name, frames = _level(field)
    rows = dataset._store.find_labels(dataset._id, list(label_ids), name, frames)
    return [
        LabelInfo(r.sample_id, r.frame_number or None, r.field, label_from_row(r)) for r in rows
    ]


def set_label(
    dataset: Dataset, sample_id: str, field: str, label: Label, frame_number: int | None = None
) -> None:
    """Add or replace one label without rewriting its sample.

    For list fields (``Detections``) ``label`` is an item (``Detection``):
    an existing id is replaced in place, a new one is appended. For
    single-label fields the field's value becomes ``label``.
    """
    frame = frame_number is not None
    schema = dataset.frame_schema if frame else dataset.sample_schema
    number = frame_number if frame else SAMPLE_LEVEL
    spec = schema.get(field)
    container_cls = container_for(label) if spec is None else label_class(spec["cls"])
    with dataset.transaction():
        if spec is None:
            dataset._declare_field(field, {"kind": "label", "cls": container_cls.__name__}, frame)
        elif not is_label_spec(spec):
            raise ValueError(f"Field '{field}' holds {spec['kind']} values, not labels")
        if frame:
            _ensure_frame(dataset, sample_id, number)
        stored = dataset._store.field_label_ids(dataset._id, sample_id, field, number)
        if container_cls.list_field:
            if not isinstance(label, container_cls.item_class):
                raise ValueError(
                    f"Field '{field}' holds {container_cls.__name__}; pass a "
                    f"{container_cls.item_class.__name__}, not {type(label).__name__}"
                )
            rows = []
            if not any(p == CONTAINER for p in stored.values()):
                rows += label_rows(sample_id, number, field, container_cls())
            position = stored.get(label.id)
            if position is None:
                position = max(stored.values(), default=-1) + 1
            rows.append(LabelRow(sample_id, number, field, position, label.id, label_data(label)))
        else:
            if not isinstance(label, container_cls):
                raise ValueError(
                    f"Field '{field}' holds {container_cls.__name__}, not {type(label).__name__}"
                )
            gone = [i for i in stored if i != label.id]
            dataset._store.delete_labels(dataset._id, gone, field, frame)
            rows = label_rows(sample_id, number, field, label)
        dataset._store.upsert_labels(dataset._id, rows)


def update_label_values(
    dataset: Dataset, field: str, attrs: Sequence[str], rows: Iterable[tuple[str, Sequence[Any]]]
) -> int:
    """Set attributes ``attrs`` of labels ``(id, values)`` of ``field`` (``frames.x`` for a
    frame field) in place, in one transaction; a value :data:`REMOVE` removes the
    attribute. Only labels whose values change are written; the number written."""
    name, frames = _level(field)
    assert name is not None
    return dataset._store.update_label_values(dataset._id, attrs, rows, name, frames)


def write_label_data(
    dataset: Dataset, field: str, rows: Iterable[tuple[str, dict[str, Any]]]
) -> None:
    """Replace the stored data (documents without ``id``) of labels ``(id, data)`` of
    ``field`` (``frames.x``) in place: for edits of documents read in the same transaction."""
    name, frames = _level(field)
    assert name is not None
    dataset._store.write_label_data(dataset._id, rows, name, frames)


def label_ids(dataset: Dataset, field: str) -> list[str]:
    """Ids of every label (list items, or single labels) of ``field`` (``frames.x``)."""
    name, frames = _level(field)
    assert name is not None
    spec = (dataset.frame_schema if frames else dataset.sample_schema).get(name)
    items = spec is not None and label_class(spec["cls"]).list_field is not None
    rows = dataset._store.label_values(dataset._id, name, frames, items, "id")
    return [label_id for _, _, label_id in rows]


def _ensure_frame(dataset: Dataset, sample_id: str, number: int) -> None:
    if not dataset._store.get_frames(dataset._id, sample_id, numbers=[number]):
        dataset._store.upsert_frames(dataset._id, sample_id, [(number, new_id(), {})])


def delete_labels(
    dataset: Dataset, ids: Any = None, tags: Any = None, view: Any = None, fields: Any = None
) -> None:
    """Delete labels by id, by tag, or all labels of a view (optionally only ``fields``)."""

    # a derived view (patches, frames, clips) names its labels by its own fields
    paths = label_paths(view.schema_source if view is not None else dataset, fields)
    if ids is not None:
        targets = list(dict.fromkeys(as_list(ids)))
        if fields is None:  # an id names its labels in every field
            dataset._store.delete_labels(dataset._id, targets)
            return
        with dataset.transaction():
            for path in paths:
                dataset._store.delete_labels(
                    dataset._id, targets, *source_level(dataset, path.field, path.is_frame)
                )
        return
    if tags is None and view is None:
        raise ValueError("delete_labels needs ids, tags or a view")
    source = view if view is not None else dataset
    with dataset.transaction():
        for (field, frames), label_ids in shown_label_ids(source, fields, tags).items():
            dataset._store.delete_labels(dataset._id, label_ids, field, frames)


def _level(field: str | None) -> tuple[str | None, bool]:
    """``(field name, frame level)`` of a field path (``frames.x`` is a frame field)."""
    if field is not None and field.startswith("frames."):
        return field[len("frames.") :], True
    return field, False


def container_for(label: Label) -> type[Label]:
    """Class declared for a new field given one label: objects go in lists, others alone."""
    for cls in (Detections, Polylines, Keypoints, TemporalDetections):
        if cls.item_class is type(label):
            return cls
    return type(label)
