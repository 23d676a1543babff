"""Conversions between labels, plain documents and store rows.

Views evaluate stages on plain documents (dicts: scalars, ``metadata`` as a
dict, labels as ``Label.to_dict()``-shaped dicts with their ``id``); samples
hold Python objects. Labels are stored one row per label: a single label or a
list label's container at position -1, the items at positions 0, 1, ...
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from labelloop.core.labels import Label
from labelloop.core.metadata import Metadata
from labelloop.store.base import CONTAINER, LabelRow


def label_data(label: Label, skip: str | None = None) -> dict[str, Any]:
    """A label's stored data: its attributes without ``id`` (and without ``skip``)."""
    out: dict[str, Any] = {"_cls": type(label).__name__}
    for name, value in label._values.items():
        if name == "id" or name == skip:
            continue
        out[name] = value.to_dict() if isinstance(value, Label) else value
    return out


def label_rows(
    sample_id: str,
    frame_number: int,
    field: str,
    label: Label,
    positions: dict[str, int] | None = None,
    next_position: int = 0,
) -> list[LabelRow]:
    """Rows for one field value; items keep ``positions`` by id, new ones count on."""
    list_attr = label.list_field
    label_id = label._values["id"]
    rows = [
        LabelRow(sample_id, frame_number, field, CONTAINER, label_id, label_data(label, list_attr))
    ]
    if list_attr:
        for index, item in enumerate(label._values.get(list_attr) or []):
            item_id = item._values["id"]
            if positions is None:
                pos = index
            elif positions.get(item_id, -1) >= 0:
                pos = positions[item_id]
            else:
                pos = next_position
                next_position += 1
            rows.append(LabelRow(sample_id, frame_number, field, pos, item_id, label_data(item)))
    return rows


def assemble_labels(
    rows: Iterable[LabelRow], label_fields: dict[str, tuple[str, str | None]]
) -> dict[tuple[str, int, str], dict[str, Any]]:
    """Label dicts keyed by ``(sample_id, frame_number, field)`` from stored rows.

    ``label_fields`` maps each field to ``(label class name, list attribute or
    None)``. Rows must come grouped by sample, field and frame, items in order.
    """
    out: dict[tuple[str, int, str], dict[str, Any]] = {}
    for row in rows:
        key = (row.sample_id, row.frame_number, row.field)
        cls_name, attr = label_fields.get(row.field, (None, None))
        if row.position == CONTAINER:
            doc = row.data  # rows are freshly decoded: safe to extend in place
            doc["id"] = row.id
            if attr:
                doc[attr] = out[key][attr] if key in out else []
            out[key] = doc
            continue
        if attr is None:
            continue  # an item row for a field no longer declared as a list
        item = row.data
        item["id"] = row.id
        container = out.get(key)
        if container is None:  # items whose container row is missing: rebuild one
            container = out[key] = {"_cls": cls_name, attr: []}
        container[attr].append(item)
    return out


def doc_to_value(value: Any) -> Any:
    """A document value as the object a sample holds (labels, metadata)."""
    if isinstance(value, dict) and "_cls" in value:
        if value["_cls"] is None:
            return None
        if "Metadata" in value["_cls"]:
            return Metadata.from_dict(value)
        return Label.from_dict(value)
    return value


def value_to_doc(value: Any) -> Any:
    """A sample's value as a plain document value."""
    if isinstance(value, (Label, Metadata)):
        return value.to_dict()
    return value
