"""Diff one field's labels at one sample (or frame) against a download, by label id.

Pure functions on labels and plain dicts: they return the merged value plus
what changed and what the run's restrictions refused. The merge engine
(:mod:`labelloop.annotation.merge`) walks the samples and writes the values.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from labelloop.annotation.schema import LABEL_TYPES, TRACKABLE_TYPES, schema_attributes
from labelloop.core import labels as fol

#: Spatial properties compared per label type (others are left as they are).
SPATIAL_FIELDS: dict[str, tuple[str, ...]] = {
    "detection": ("bounding_box",),
    "detections": ("bounding_box",),
    "instance": ("bounding_box", "mask"),
    "instances": ("bounding_box", "mask"),
    "polyline": ("points",),
    "polylines": ("points",),
    "polygon": ("points",),
    "polygons": ("points",),
    "keypoint": ("points",),
    "keypoints": ("points",),
    "segmentation": ("mask",),
}
#: Absolute tolerance for coordinates: pixel round trips are not bit-exact.
COORD_TOLERANCE = 1e-9


@dataclass
class Refusal:
    """One change the run's restrictions did not allow."""

    field: str
    sample_id: str
    frame: int | None
    label_id: str | None
    reason: str

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form."""
        return dict(vars(self))


@dataclass
class FieldDiff:
    """Counts of what a merge changes in one field, and what it refused."""

    added: int = 0
    deleted: int = 0
    edited: int = 0
    refused: list[Refusal] = field(default_factory=list)

    def refused_counts(self) -> dict[str, int]:
        """How many changes were refused, by reason."""
        out: dict[str, int] = {}
        for item in self.refused:
            out[item.reason] = out.get(item.reason, 0) + 1
        return out

    def to_dict(self) -> dict[str, Any]:
        """``{"added", "deleted", "edited", "refused": {reason: count}}``."""
        return {
            "added": self.added,
            "deleted": self.deleted,
            "edited": self.edited,
            "refused": self.refused_counts(),
        }


@dataclass
class Location:
    """Where a diff happens: field, sample and frame (``None`` for sample level)."""

    field: str
    sample_id: str
    frame: int | None = None

    def refuse(self, diff: FieldDiff, label_id: str | None, reason: str) -> None:
        """Record a refused change."""
        diff.refused.append(Refusal(self.field, self.sample_id, self.frame, label_id, reason))


def derived_id(label_id: str, *where: Any) -> str:
    """A fresh id for a duplicate of ``label_id`` that is the same on every merge.

    Deterministic so that loading a run twice maps the same copy to the same
    new id (idempotence) instead of adding it again.
    """
    text = "|".join([label_id, *map(str, where)])
    return hashlib.sha1(text.encode()).hexdigest()[:24]


def same(a: Any, b: Any) -> bool:
    """Equality for label values: arrays exactly, floats within :data:`COORD_TOLERANCE`."""
    if a is b:
        return True
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (
            isinstance(a, np.ndarray)
            and isinstance(b, np.ndarray)
            and a.shape == b.shape
            and bool(np.array_equal(a, b))
        )
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        if type(a) is type(b) and a == b:  # fast path for unchanged coordinates
            return True
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return abs(a - b) <= COORD_TOLERANCE
    return a == b


def items_of(value: fol.Label | None) -> list[fol.Label]:
    """The labels a field value holds: list labels' items, a single label, or nothing."""
    if value is None:
        return []
    if value.list_field:
        return list(value.items())
    return [value]


def uploaded_ids(entry: Any) -> list[str]:
    """Label ids in one ``id_map`` entry (a list, one id, ``True``/``None``)."""
    if isinstance(entry, str):
        return [entry]
    if isinstance(entry, (list, tuple)):
        return list(entry)
    return []


def diff_labels(
    where: Location,
    spec: dict[str, Any],
    current: fol.Label | None,
    downloaded: dict[str, fol.Label],
    uploaded: Iterable[str],
    taken: set[str],
    diff: FieldDiff,
    spatial_attrs: tuple[str, ...] = (),
) -> tuple[fol.Label | None, list[str]]:
    """Merge ``downloaded`` (``{label_id: label}``) into the field value ``current``.

    ``uploaded`` are the ids the run sent for this location; ``taken`` holds
    ids claimed elsewhere in the run (a downloaded copy of one gets a
    :func:`derived_id`) and is updated. Returns the new value (``current``
    itself when nothing changes) and the ids now in sync with the service (for
    the run's ``id_map``).
    """
    label_type = spec["type"]
    flags = _flags(spec)
    uploaded = set(uploaded)
    old = items_of(current)
    old_ids = {item.id for item in old}
    kept: list[fol.Label] = []
    synced: list[str] = []
    changed = False
    for item in old:
        if item.id not in uploaded:
            kept.append(item)
        elif item.id not in downloaded:
            if flags["allow_deletions"]:
                diff.deleted += 1
                changed = True
            else:
                where.refuse(diff, item.id, "deletion")
                kept.append(item)
                synced.append(item.id)
        else:
            edited = _edit(where, spec, item, downloaded[item.id], diff, spatial_attrs)
            changed = changed or edited is not item
            kept.append(edited)
            synced.append(item.id)
    singular = LABEL_TYPES[label_type] not in fol.LIST_LABELS
    for label_id, new in downloaded.items():
        if label_id in old_ids and label_id in uploaded:
            continue
        if not flags["allow_additions"]:
            where.refuse(diff, label_id, "addition")
            continue
        if singular and kept:
            where.refuse(diff, label_id, "second label in a single-label field")
            continue
        new_id = label_id
        if label_id in old_ids or (label_id in taken and label_id not in uploaded):
            new_id = derived_id(label_id, where.sample_id, where.frame)
        label = new.copy()
        label.set_field("id", new_id)
        kept.append(label)
        taken.add(new_id)
        synced.append(new_id)
        diff.added += 1
        changed = True
    return (_rebuild(label_type, current, kept) if changed else current), synced


def _flags(spec: dict[str, Any]) -> dict[str, bool]:
    return {
        name: spec.get(name, True)
        for name in (
            "allow_additions",
            "allow_deletions",
            "allow_label_edits",
            "allow_index_edits",
            "allow_spatial_edits",
        )
    }


def _rebuild(label_type: str, current: fol.Label | None, items: list[fol.Label]) -> Any:
    cls = LABEL_TYPES[label_type]
    if cls in fol.LIST_LABELS:
        if current is None:
            return cls(**{cls.list_field: items}) if items else None
        fields = {name: current.get_field(name) for name in current.field_names}
        fields[cls.list_field] = items
        return type(current)(**fields)  # shallow: the items are already the merged ones
    return items[0] if items else None


def _edit(
    where: Location,
    spec: dict[str, Any],
    old: fol.Label,
    new: fol.Label,
    diff: FieldDiff,
    spatial_attrs: tuple[str, ...],
) -> fol.Label:
    """``old`` with the allowed changes from ``new`` (``old`` itself when nothing changes)."""
    label_type = spec["type"]
    flags = _flags(spec)
    changes: dict[str, Any] = {}

    def propose(names: Iterable[str], allowed: bool, reason: str) -> None:
        moved = [n for n in names if not same(old.get_field(n), new.get_field(n))]
        if moved and allowed:
            changes.update((n, new.get_field(n)) for n in moved)
        elif moved:
            where.refuse(diff, old.id, reason)

    if label_type != "segmentation":
        propose(("label",), flags["allow_label_edits"], "label edit")
    if where.frame is not None and label_type in TRACKABLE_TYPES:
        propose(("index",), flags["allow_index_edits"], "index edit")
    spatial = SPATIAL_FIELDS.get(label_type, ()) + spatial_attrs
    propose(spatial, flags["allow_spatial_edits"], "spatial edit")
    if spec.get("only_keyframes"):
        propose(("keyframe",), True, "keyframe")
    label = changes.get("label", old.get_field("label"))
    for name, attr in schema_attributes(spec, label).items():
        propose((name,), not attr.get("read_only"), f"read-only attribute {name!r}")
    if not changes:
        return old
    out = old.copy()
    for name, value in changes.items():
        _assign(out, name, value)
    diff.edited += 1
    return out


def _assign(label: fol.Label, name: str, value: Any) -> None:
    if value is None:
        label.clear_field(name)
    else:
        label.set_field(name, value)


def diff_scalar(
    where: Location, spec: dict[str, Any], current: Any, new: Any, diff: FieldDiff
) -> Any:
    """The merged scalar: ``None`` -> value is an addition, value -> ``None`` a deletion."""
    if same(current, new):
        return current
    flags = _flags(spec)
    if current is None:
        if flags["allow_additions"]:
            diff.added += 1
            return new
        where.refuse(diff, None, "addition")
        return current
    if new is None:
        if flags["allow_deletions"]:
            diff.deleted += 1
            return None
        where.refuse(diff, None, "deletion")
        return current
    diff.edited += 1
    return new
