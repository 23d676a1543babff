"""Diff one field's labels at one sample (or frame) against a download, by label id.

Pure functions on labels and plain dicts: they return the merged value plus
what changed and what the run's restrictions refused. The merge engine
(:mod:`labelloop.annotation.merge`) walks the samples and writes the values.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from labelloop.annotation.schema import LABEL_TYPES, TRACKABLE_TYPES, schema_attributes
from labelloop.core import labels as fol
from labelloop.core.ids import derived_id

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
class Change:
    """One item of the review: what a merge does (or would do) to one label or value.

    ``kind`` is ``added``, ``deleted``, ``edited``, ``refused`` or ``conflict``;
    ``changes`` maps each property to ``[dataset value, CVAT value]`` (shown
    readably: masks as their shape, coordinates rounded); a conflict's
    ``resolution`` says which side won (``"cvat"`` or ``"dataset"``).
    """

    kind: str
    field: str
    sample_id: str
    frame: int | None
    label_id: str | None
    label: Any = None
    changes: dict[str, list[Any]] = field(default_factory=dict)
    reason: str | None = None
    resolution: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form (JSON-ready)."""
        return {k: v for k, v in vars(self).items() if v not in (None, {})}


#: Items kept per field in a report (counts stay exact beyond it).
MAX_ITEMS = 10_000


@dataclass
class FieldDiff:
    """What a merge changes in one field: counts, refusals, conflicts and itemised changes."""

    added: int = 0
    deleted: int = 0
    edited: int = 0
    refused: list[Refusal] = field(default_factory=list)
    conflicts: list[Change] = field(default_factory=list)
    items: list[Change] = field(default_factory=list)
    items_left_out: int = 0

    def record(self, change: Change) -> None:
        """Add one item to the review (and to ``conflicts``)."""
        if change.kind == "conflict":
            self.conflicts.append(change)
        if len(self.items) < MAX_ITEMS:
            self.items.append(change)
        else:
            self.items_left_out += 1

    def refused_counts(self) -> dict[str, int]:
        """How many changes were refused, by reason."""
        out: dict[str, int] = {}
        for item in self.refused:
            out[item.reason] = out.get(item.reason, 0) + 1
        return out

    def to_dict(self) -> dict[str, Any]:
        """``{"added", "deleted", "edited", "refused": {reason: count}}`` (+ ``conflicts``
        when there are any)."""
        out: dict[str, Any] = {
            "added": self.added,
            "deleted": self.deleted,
            "edited": self.edited,
            "refused": self.refused_counts(),
        }
        if self.conflicts:
            out["conflicts"] = len(self.conflicts)
        return out


@dataclass
class Location:
    """Where a diff happens: field, sample and frame (``None`` for sample level)."""

    field: str
    sample_id: str
    frame: int | None = None

    def refuse(
        self,
        diff: FieldDiff,
        label_id: str | None,
        reason: str,
        label: Any = None,
        changes: dict[str, list[Any]] | None = None,
    ) -> None:
        """Record a refused change."""
        diff.refused.append(Refusal(self.field, self.sample_id, self.frame, label_id, reason))
        diff.record(self.change("refused", label_id, label, changes, reason))

    def change(
        self,
        kind: str,
        label_id: str | None,
        label: Any = None,
        changes: dict[str, list[Any]] | None = None,
        reason: str | None = None,
        resolution: str | None = None,
    ) -> Change:
        """An item of the review at this location."""
        return Change(
            kind,
            self.field,
            self.sample_id,
            self.frame,
            label_id,
            label,
            changes or {},
            reason,
            resolution,
        )


def loaded_id(label_id: str, *where: Any) -> str:
    """The id of a label the annotation loop makes (a duplicate of ``label_id``, an object
    drawn in the annotation tool), the same on every load.

    Deterministic so that loading a run twice maps the same object to the same
    id (idempotence) instead of adding it again; ``|``-joined, as stored ids were made.
    """
    return derived_id(label_id, *where, separator="|")


def same(a: Any, b: Any) -> bool:
    """Equality for label values: arrays exactly, floats within :data:`COORD_TOLERANCE`."""
    if a is b:
        return True
    if isinstance(a, dict) or isinstance(b, dict):
        return (
            isinstance(a, dict)
            and isinstance(b, dict)
            and a.keys() == b.keys()
            and all(same(a[k], b[k]) for k in a)
        )
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


CONFLICT_MODES = ("cvat", "dataset", "error")
#: ``base`` of a location whose run kept no merge base: the dataset's labels stand in
NO_BASE = None

#: a property's restriction: (edit flag, refusal reason)
_LABEL_RULE = ("allow_label_edits", "label edit")
_INDEX_RULE = ("allow_index_edits", "index edit")
_SPATIAL_RULE = ("allow_spatial_edits", "spatial edit")


def prop_names(
    spec: dict[str, Any], cls: Any, frame: int | None, spatial_attrs: tuple[str, ...] = ()
) -> dict[str, tuple[str | None, str]]:
    """The properties a merge compares for a label of class ``cls``, each with the edit
    flag that allows changing it (``None``: always allowed) and the refusal reason."""
    label_type = spec["type"]
    out: dict[str, tuple[str | None, str]] = {}
    if label_type != "segmentation":
        out["label"] = _LABEL_RULE
    if frame is not None and label_type in TRACKABLE_TYPES:
        out["index"] = _INDEX_RULE
    for name in SPATIAL_FIELDS.get(label_type, ()) + spatial_attrs:
        out[name] = _SPATIAL_RULE
    if spec.get("only_keyframes"):
        out["keyframe"] = (None, "keyframe")
    for name, attr in schema_attributes(spec, cls).items():
        out[name] = (
            "read_only" if attr.get("read_only") else None,
            f"read-only attribute {name!r}",
        )
    return out


def props_of(
    spec: dict[str, Any], label: fol.Label, frame: int | None, spatial_attrs: tuple[str, ...] = ()
) -> dict[str, Any]:
    """What the merge base keeps of a label: its compared properties' values."""
    names = prop_names(spec, label.get_field("label"), frame, spatial_attrs)
    return {name: _get(label, name) for name in names}


def _get(label: fol.Label | dict[str, Any], name: str) -> Any:
    if isinstance(label, dict):
        return label.get(name)
    return label.get_field(name) if label.has_field(name) else None


def show(value: Any) -> Any:
    """A value as the review shows it: arrays by shape, coordinates rounded."""
    if isinstance(value, np.ndarray):
        return f"<array {'x'.join(map(str, value.shape))}>"
    if isinstance(value, float):
        return round(value, 6)
    if isinstance(value, (list, tuple)):
        return [show(v) for v in value]
    return value


class ThreeWay:
    """One merge's rules: how conflicts resolve and which attributes are spatial."""

    def __init__(self, conflicts: str = "cvat", spatial_attrs: tuple[str, ...] = ()) -> None:
        if conflicts not in CONFLICT_MODES:
            raise ValueError(f"conflicts must be one of {list(CONFLICT_MODES)}, not {conflicts!r}")
        self.conflicts = conflicts
        self.spatial_attrs = spatial_attrs

    @property
    def cvat_wins(self) -> bool:
        """Whether a conflict takes CVAT's side (``"error"`` reports as ``"cvat"`` would,
        then refuses the whole load)."""
        return self.conflicts != "dataset"

    def labels(
        self,
        where: Location,
        spec: dict[str, Any],
        current: fol.Label | None,
        downloaded: dict[str, fol.Label],
        base: dict[str, dict[str, Any]] | None,
        uploaded: Iterable[str],
        taken: set[str],
        diff: FieldDiff,
    ) -> tuple[fol.Label | None, dict[str, dict[str, Any]]]:
        """Merge one location: ``base`` (what the run sent, or last loaded, by label id;
        ``None`` for runs without one: the dataset's labels of ``uploaded`` stand in),
        ``downloaded`` (CVAT now) and ``current`` (the dataset now).

        Returns the new value (``current`` itself when nothing changes) and the new
        base of the location (the labels now in sync with CVAT)."""
        label_type = spec["type"]
        flags = _flags(spec)
        old = items_of(current)
        own = set(uploaded)
        if base is None:
            base = {
                i.id: props_of(spec, i, where.frame, self.spatial_attrs) for i in old if i.id in own
            }
        else:
            own = set(base)
        ours = {item.id: item for item in old}
        kept: list[fol.Label] = []
        new_base: dict[str, dict[str, Any]] = {}
        changed = False
        for item in old:
            if item.id not in base:  # added locally, or never part of the run: kept
                kept.append(item)
                continue
            theirs = downloaded.get(item.id)
            if theirs is not None:
                merged, refused = self._edit(where, spec, base[item.id], item, theirs, diff)
                changed = changed or merged is not item
                kept.append(merged)
                new_base[item.id] = base[item.id] if refused else self._props(spec, where, theirs)
                continue
            local = self._moved(spec, where, base[item.id], item)
            if local:  # deleted in CVAT, edited in the dataset
                resolution = "cvat" if self.cvat_wins and flags["allow_deletions"] else "dataset"
                diff.record(
                    where.change(
                        "conflict",
                        item.id,
                        item.get_field("label"),
                        local,
                        "deleted in CVAT, edited in the dataset",
                        resolution,
                    )
                )
                if resolution == "dataset":
                    kept.append(item)
                    continue
            elif not flags["allow_deletions"]:
                where.refuse(diff, item.id, "deletion", item.get_field("label"))
                kept.append(item)
                new_base[item.id] = base[item.id]
                continue
            diff.deleted += 1
            diff.record(where.change("deleted", item.id, item.get_field("label")))
            changed = True
        for label_id in base:
            theirs = downloaded.get(label_id)
            if label_id in ours or theirs is None:
                continue  # merged above, or deleted on both sides
            moved = self._moved(spec, where, base[label_id], theirs)
            new_base[label_id] = self._props(spec, where, theirs)
            if not moved:
                continue  # deleted in the dataset, untouched in CVAT: stays deleted
            restore = self.cvat_wins and flags["allow_additions"]
            diff.record(
                where.change(
                    "conflict",
                    label_id,
                    theirs.get_field("label"),
                    moved,
                    "edited in CVAT, deleted in the dataset",
                    "cvat" if restore else "dataset",
                )
            )
            if restore and not (_singular(label_type) and kept):
                kept.append(theirs.copy())
                diff.added += 1
                changed = True
        old_ids = set(ours)
        for label_id, new in downloaded.items():
            if label_id in base:
                continue
            if not flags["allow_additions"]:
                where.refuse(diff, label_id, "addition", new.get_field("label"))
                continue
            if _singular(label_type) and kept:
                where.refuse(
                    diff, label_id, "second label in a single-label field", new.get_field("label")
                )
                continue
            new_id = label_id
            if label_id in old_ids or (label_id in taken and label_id not in own):
                new_id = loaded_id(label_id, where.sample_id, where.frame)
            label = new.copy()
            label.set_field("id", new_id)
            kept.append(label)
            taken.add(new_id)
            new_base[new_id] = self._props(spec, where, label)
            diff.added += 1
            diff.record(where.change("added", new_id, label.get_field("label")))
            changed = True
        return (_rebuild(label_type, current, kept) if changed else current), new_base

    def _props(self, spec: dict[str, Any], where: Location, label: fol.Label) -> dict[str, Any]:
        return props_of(spec, label, where.frame, self.spatial_attrs)

    def _names(
        self, spec: dict[str, Any], where: Location, *labels: Any
    ) -> dict[str, tuple[str | None, str]]:
        out: dict[str, tuple[str | None, str]] = {}
        for label in labels:
            out.update(prop_names(spec, _get(label, "label"), where.frame, self.spatial_attrs))
        return out

    def _moved(
        self, spec: dict[str, Any], where: Location, base: dict[str, Any], label: fol.Label
    ) -> dict[str, list[Any]]:
        """The properties ``label`` changed relative to ``base``: ``{name: [base, now]}``."""
        out = {}
        for name in self._names(spec, where, base, label):
            b = _get(base, name)
            now = _from_cvat(b, _get(label, name))
            if not same(b, now):
                out[name] = [show(b), show(now)]
        return out

    def _edit(
        self,
        where: Location,
        spec: dict[str, Any],
        base: dict[str, Any],
        ours: fol.Label,
        theirs: fol.Label,
        diff: FieldDiff,
    ) -> tuple[fol.Label, bool]:
        """``ours`` with the annotator's changes (``ours`` itself when none apply) and
        whether a change was refused (the base then stays as it was)."""
        flags = _flags(spec)
        apply: dict[str, Any] = {}
        shown: dict[str, list[Any]] = {}
        refused = False
        conflicting: dict[str, list[Any]] = {}
        for name, (flag, reason) in self._names(spec, where, base, ours, theirs).items():
            b, o = _get(base, name), _get(ours, name)
            t = _from_cvat(b, _get(theirs, name))
            if same(t, b) or same(o, t):
                continue  # CVAT kept it, or both made the same change
            if not same(o, b):  # both changed it, differently
                conflicting[name] = [show(o), show(t)]
                if not self.cvat_wins:
                    continue
            allowed = flag is None or (flag != "read_only" and flags[flag])
            if allowed:
                apply[name] = t
                shown[name] = [show(o), show(t)]
            else:
                refused = True
                where.refuse(
                    diff, ours.id, reason, ours.get_field("label"), {name: [show(o), show(t)]}
                )
        if conflicting:
            diff.record(
                where.change(
                    "conflict",
                    ours.id,
                    ours.get_field("label"),
                    conflicting,
                    "changed in CVAT and in the dataset",
                    "cvat" if self.cvat_wins else "dataset",
                )
            )
        if not apply:
            return ours, refused
        out = ours.copy()
        for name, value in apply.items():
            _assign(out, name, value)
        diff.edited += 1
        diff.record(where.change("edited", ours.id, out.get_field("label"), shown))
        return out, refused

    def scalar(
        self,
        where: Location,
        spec: dict[str, Any],
        current: Any,
        new: Any,
        base: Any,
        diff: FieldDiff,
    ) -> tuple[Any, Any]:
        """The merged scalar and the new base value (``base`` is what was sent or last
        loaded; runs without a base pass ``current``)."""
        if same(new, base) or same(current, new):
            return current, new
        flags = _flags(spec)
        if not same(current, base):
            resolution = "cvat" if self.cvat_wins else "dataset"
            diff.record(
                where.change(
                    "conflict",
                    None,
                    None,
                    {"value": [show(current), show(new)]},
                    "changed in CVAT and in the dataset",
                    resolution,
                )
            )
            if resolution == "dataset":
                return current, new
        kind, flag = (
            ("added", "allow_additions")
            if current is None
            else ("deleted", "allow_deletions")
            if new is None
            else ("edited", None)
        )
        if flag is not None and not flags[flag]:
            where.refuse(diff, None, "addition" if kind == "added" else "deletion")
            return current, base
        setattr(diff, kind, getattr(diff, kind) + 1)
        diff.record(where.change(kind, None, None, {"value": [show(current), show(new)]}))
        return new, new


def _from_cvat(base: Any, value: Any) -> Any:
    """CVAT cannot tell an empty text attribute from an unset one: ``""`` sent, nothing
    back, is no change."""
    return base if value is None and base == "" else value


def _singular(label_type: str) -> bool:
    return LABEL_TYPES[label_type] not in fol.LIST_LABELS


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


def _assign(label: fol.Label, name: str, value: Any) -> None:
    if value is None:
        label.clear_field(name)
    else:
        label.set_field(name, value)
