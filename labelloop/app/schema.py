"""What the sidebar offers: label fields with their classes, tags, numeric fields.

Computed once per session version with the collection's aggregations
(``distinct``, ``bounds``, ``count_values``), which the store answers with
single queries on whole datasets.
"""

from __future__ import annotations

import logging
from typing import Any

from labelloop.core.fields import is_label_spec
from labelloop.core.labels import Segmentation, label_class

logger = logging.getLogger(__name__)

_NUMERIC_KINDS = ("int", "float")
#: Samples scanned for custom label attributes to offer as filters.
_ATTRIBUTE_SCAN = 100
#: Attributes with more distinct values than this are not offered (they are not categories).
_MAX_ATTRIBUTE_VALUES = 20


def label_fields(collection: Any) -> list[dict[str, Any]]:
    """``[{name, cls, frame, path}]`` of every sample and frame label field."""
    out = []
    for name, spec in collection.get_field_schema().items():
        if is_label_spec(spec):
            out.append(_field(name, spec["cls"], frame=False))
    for name, spec in (collection.get_frame_field_schema() or {}).items():
        if is_label_spec(spec):
            out.append(_field(f"frames.{name}", spec["cls"], frame=True))
    return out


def _field(name: str, cls: str, frame: bool) -> dict[str, Any]:
    list_attr = label_class(cls).list_field
    items = f"{name}.{list_attr}" if list_attr else name
    return {"name": name, "cls": cls, "frame": frame, "items_path": items}


def _attribute_names(collection: Any) -> dict[str, set[str]]:
    """Custom scalar attribute names of sample-level labels, from the first samples, but
    those already holding more values there than a filter offers (an evaluation's matched
    ids): counting each of those over 1M labels took 3-4 s, all to be dropped."""
    seen: dict[str, dict[str, set[Any]]] = {}
    fields = [f["name"] for f in label_fields(collection) if not f["frame"]]
    for sample in collection.limit(_ATTRIBUTE_SCAN):
        for field in fields:
            value = sample[field] if sample.has_field(field) else None
            if value is None:
                continue
            for label in value.items() if value.list_field else [value]:
                for name, attr in label.iter_attributes():
                    if isinstance(attr, (str, int, bool)):
                        seen.setdefault(field, {}).setdefault(name, set()).add(attr)
    return {
        field: {n for n, values in names.items() if len(values) <= _MAX_ATTRIBUTE_VALUES}
        for field, names in seen.items()
    }


def summary(collection: Any, version: int, count: int) -> dict[str, Any]:
    """What the page needs at once: names and kinds of fields (no pass over the data)."""
    dataset = collection.dataset
    stages = collection._serialize()
    numeric = [
        {"name": name, "kind": spec["kind"]}
        for name, spec in collection.get_field_schema().items()
        if spec.get("kind") in _NUMERIC_KINDS
    ]
    return {
        "name": dataset.name,
        "media_type": dataset.media_type,
        "count": count,
        "version": version,
        "view": ", ".join(s["_cls"] for s in stages) if stages else None,
        "label_fields": [
            {k: f[k] for k in ("name", "cls", "frame")} for f in label_fields(collection)
        ],
        "numeric_fields": numeric,
        "evaluations": list(dataset.list_evaluations()),
        "runs_enabled": True,
    }


def _text(value: Any) -> str:
    """A value as the page's ``String(value)`` writes it (``true``, not ``True``)."""
    return str(value).lower() if isinstance(value, bool) else str(value)


def _counts(collection: Any, path: str) -> dict[str, int]:
    """``{value as text: count}`` of ``path`` (``None`` left out)."""
    return {str(v): n for v, n in collection.count_values(path).items() if v is not None}


def statistics(collection: Any) -> dict[str, Any]:
    """What the filters offer: classes, confidence, categorical attributes, bounds, tags.

    Each aggregation may be a pass over the view, so the page asks for this
    separately and shows the grid meanwhile.
    """
    evaluations = list(collection.dataset.list_evaluations())
    seen_attributes = _attribute_names(collection)
    fields: dict[str, Any] = {}
    for field in label_fields(collection):
        if label_class(field["cls"]) is Segmentation:
            fields[field["name"]] = {"classes": [], "has_confidence": False, "attributes": {}}
            continue
        path = field["items_path"]
        class_counts = _counts(collection, f"{path}.label")
        low, _ = collection.bounds(f"{path}.confidence")
        attributes, attribute_counts = {}, {}
        for attr in sorted({*evaluations, *seen_attributes.get(field["name"], ())}):
            counts = {v: n for v, n in collection.count_values(f"{path}.{attr}").items()}
            values = [v for v in counts if v is not None]
            categorical = all(isinstance(v, (str, int, bool)) for v in values)
            if values and categorical and len(values) <= _MAX_ATTRIBUTE_VALUES:
                attributes[attr] = sorted(values, key=str)
                attribute_counts[attr] = {_text(v): counts[v] for v in values}
        fields[field["name"]] = {
            "classes": sorted(class_counts),
            "class_counts": class_counts,  # labels per class in the view, shown by the filters
            "has_confidence": low is not None,
            "attributes": attributes,
            "attribute_counts": attribute_counts,
        }
    numeric = {
        name: list(collection.bounds(name))
        for name, spec in collection.get_field_schema().items()
        if spec.get("kind") in _NUMERIC_KINDS
    }
    tags = collection.count_values("tags")
    return {
        "label_fields": fields,
        "numeric_fields": numeric,
        "tags": {str(k): v for k, v in sorted(tags.items(), key=lambda kv: str(kv[0]))},
    }
