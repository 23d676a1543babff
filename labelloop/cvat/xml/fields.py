"""Labels <-> CVAT objects for the XML dataset types: fields, schemas, reports.

Both dataset types share these rules. On export every label goes through
:mod:`labelloop.cvat.convert` (no rounding: the writer keeps two decimals), a
label's ``occluded``/``group_id`` attributes become the shape's flags, and the
``<labels>`` meta is derived from what was written so that import restores
attribute types (checkbox -> bool, number -> int/float, select/text -> str).
On import objects land in one field per kind (``classifications``,
``detections`` (boxes and masks), ``polylines``, ``keypoints``); objects no
label kind holds (ellipses, cuboids) are counted and reported, never dropped
silently.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from labelloop.core.labels import (
    Classification,
    Classifications,
    Detection,
    Detections,
    Keypoint,
    Keypoints,
    Label,
    Polyline,
    Polylines,
)
from labelloop.cvat import convert
from labelloop.cvat.convert import ConvertOptions, UnsupportedObjectError
from labelloop.cvat.xml.meta import attribute_spec, label_spec, meta_labels

logger = logging.getLogger(__name__)

#: Label attributes bound to CVAT's shape flags in both directions.
OCCLUDED_ATTR = "occluded"
GROUP_ID_ATTR = "group_id"
#: Attribute carrying a label's id (as CVAT tasks made by labelloop/FiftyOne hold it).
ID_ATTR = "label_id"
#: Text attribute recording where a keypoint's missing (NaN) points sit.
MISSING_POINTS_ATTR = "missing_points"
#: CVAT object type -> default field name on import.
FIELD_OF_TYPE = {
    "tag": "classifications",
    "rectangle": "detections",
    "mask": "detections",
    "polygon": "polylines",
    "polyline": "polylines",
    "points": "keypoints",
    "skeleton": "keypoints",
}
_LIST_OF_KIND = {
    "classifications": Classifications,
    "detections": Detections,
    "polylines": Polylines,
    "keypoints": Keypoints,
}
#: Label classes the XML formats hold.
EXPORTABLE = (
    Classification,
    Classifications,
    Detection,
    Detections,
    Polyline,
    Polylines,
    Keypoint,
    Keypoints,
)
_EXPORTABLE_NAMES = {cls.__name__ for cls in EXPORTABLE}
_INPUT_TYPES = ("select", "radio", "checkbox", "number", "text")


def export_options(label_ids: bool = False) -> ConvertOptions:
    """Converter options for writing: flags bound, NaN keypoints kept, and label ids
    as a ``label_id`` attribute only when ``label_ids`` (import always restores them)."""
    return ConvertOptions(
        occluded_attr=OCCLUDED_ATTR,
        group_id_attr=GROUP_ID_ATTR,
        id_attr=ID_ATTR if label_ids else None,
        missing_points_attr=MISSING_POINTS_ATTR,
    )


def import_options(meta: Mapping[str, Any]) -> ConvertOptions:
    """Converter options for reading a file: attribute types and skeletons from its meta."""
    attributes: dict[str, dict[str, Any]] = {}
    skeletons: dict[str, list[str]] = defaultdict(list)
    for label in meta_labels(meta):
        if label.get("parent"):
            skeletons[label["parent"]].append(label.get("name", ""))
        for spec in label.get("attributes") or []:
            name, kind = spec.get("name"), spec.get("input_type", "text")
            if kind not in _INPUT_TYPES:
                kind = "text"
            if not name or name in (OCCLUDED_ATTR, GROUP_ID_ATTR, MISSING_POINTS_ATTR, ID_ATTR):
                continue
            entry = {"type": kind, "values": list(spec.get("values") or [])}
            if attributes.get(name, entry)["type"] != kind:
                entry = {"type": "text", "values": []}
            attributes[name] = entry
    return ConvertOptions(
        attributes=attributes or None,
        occluded_attr=OCCLUDED_ATTR,
        group_id_attr=GROUP_ID_ATTR,
        id_attr=ID_ATTR,
        missing_points_attr=MISSING_POINTS_ATTR,
        skeleton_points=dict(skeletons) or None,
    )


def field_names(label_field: str | Mapping[str, str] | None) -> dict[str, str]:
    """Kind (``detections``, ...) -> field name: defaults, a prefix, or a mapping."""
    kinds = list(_LIST_OF_KIND)
    if label_field is None:
        return {k: k for k in kinds}
    if isinstance(label_field, str):
        return {k: f"{label_field}_{k}" for k in kinds}
    if isinstance(label_field, Mapping):
        unknown = sorted(set(label_field) - set(kinds))
        if unknown:
            raise ValueError(f"label_field keys must be among {kinds}; unknown: {unknown}")
        return {k: label_field.get(k, k) for k in kinds}
    raise ValueError(
        f"label_field must be None, a field-name prefix or a dict kind -> field, got {label_field!r}"
    )


class ImportReport:
    """Counts (with examples) of objects that could not become labels."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.unsupported: Counter[str] = Counter()
        self.examples: dict[str, str] = {}

    def add(self, kind: str, where: str, reason: str) -> None:
        """Record one object of ``kind`` at ``where`` that was not imported."""
        self.unsupported[kind] += 1
        self.examples.setdefault(kind, f"{where}: {reason}")

    def log(self) -> None:
        """Warn once per kind with its count and first example."""
        for kind, count in sorted(self.unsupported.items()):
            logger.warning(
                "%s: %d CVAT %s object(s) were not imported (first: %s)",
                self.source,
                count,
                kind,
                self.examples[kind],
            )


def object_label(
    obj: Mapping[str, Any],
    frame_size: Sequence[int],
    options: ConvertOptions,
    report: ImportReport,
    where: str,
) -> tuple[str, Label] | None:
    """``(kind, label)`` for one CVAT tag or shape, or ``None`` (reported) if no kind holds it."""
    kind = obj.get("type", "tag")
    if kind not in FIELD_OF_TYPE:
        report.add(kind, where, f"label {obj.get('label')!r}")
        return None
    try:
        label = convert.from_cvat(obj, frame_size, options)
    except (UnsupportedObjectError, ValueError) as exc:
        report.add(kind, where, str(exc))
        return None
    if label.get_field(OCCLUDED_ATTR) is False:
        label.clear_field(OCCLUDED_ATTR)
    return FIELD_OF_TYPE[kind], label


def group_labels(pairs: Iterable[tuple[str, Label]], names: Mapping[str, str]) -> dict[str, Label]:
    """``{field: list label}`` from ``(kind, label)`` pairs, in order."""
    by_kind: dict[str, list[Label]] = defaultdict(list)
    for kind, label in pairs:
        by_kind[kind].append(label)
    out: dict[str, Label] = {}
    for kind, labels in by_kind.items():
        list_cls = _LIST_OF_KIND[kind]
        out[names[kind]] = list_cls(**{list_cls.list_field: labels})
    return out


def exportable_fields(schema: Mapping[str, Mapping[str, Any]] | None, requested: Any) -> list[str]:
    """The label fields to export: ``requested`` checked, or every exportable one."""
    schema = schema or {}
    if requested is None:
        return [
            name
            for name, spec in schema.items()
            if spec.get("kind") == "label" and spec.get("cls") in _EXPORTABLE_NAMES
        ]
    fields = [requested] if isinstance(requested, str) else list(requested)
    for name in fields:
        spec = schema.get(name)
        if spec is None or spec.get("kind") != "label":
            raise ValueError(f"{name!r} is not a label field of this collection")
        if spec.get("cls") not in _EXPORTABLE_NAMES:
            raise ValueError(
                f"field {name!r} holds {spec.get('cls')} labels; CVAT XML holds "
                f"{sorted(_EXPORTABLE_NAMES)}"
            )
    return fields


class ClassesFound:
    """Mixin for dataset types: remembers label names per field seen by ``read``."""

    #: Prefix of the reported field names (``"frames."`` for frame fields).
    classes_prefix = ""

    def __init__(self) -> None:
        self._classes: dict[str, set[str]] = {}

    def note_classes(self, fields: Mapping[str, Label]) -> None:
        """Record the label names of ``{field: list label}``."""
        for field, value in fields.items():
            found = self._classes.setdefault(field, set())
            found.update(item.label for item in value[value.list_field])

    def dataset_properties(self) -> dict[str, Any]:
        """The label names found per imported field, as ``classes``."""
        prefix = self.classes_prefix
        return {"classes": {prefix + f: sorted(c) for f, c in self._classes.items()}}


class SchemaBuilder:
    """Collects label names, shape types and attribute values to write ``<labels>``."""

    def __init__(self) -> None:
        self._types: dict[str, set[str]] = defaultdict(set)
        self._attrs: dict[str, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))

    def add(self, label: Label, objects: Iterable[Mapping[str, Any]]) -> None:
        """Record the objects written for one label (single, not list, label)."""
        for obj in objects:
            self._types[obj["label"]].add(obj.get("type", "tag"))
            for attr in obj.get("attributes") or []:
                self._attrs[obj["label"]][attr["name"]].append(label.get_field(attr["name"]))

    def labels(self) -> list[dict[str, Any]]:
        """Label specs sorted by name, attribute input types inferred from the values."""
        specs = []
        for name in sorted(self._types):
            types = self._types[name]
            kind = types.pop() if len(types) == 1 else "any"
            attributes = [_attribute(a, v) for a, v in self._attrs[name].items()]
            specs.append(label_spec(name, type=kind, attributes=attributes))
        return specs


def _attribute(name: str, values: list[Any]) -> dict[str, Any]:
    if all(isinstance(v, bool) for v in values):
        return attribute_spec(name, input_type="checkbox", values=["false"])
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        step = "1" if all(float(v).is_integer() for v in values) else "0.01"
        return attribute_spec(
            name, input_type="number", values=[str(min(values)), str(max(values)), step]
        )
    distinct = sorted({str(v) for v in values})
    if all(isinstance(v, str) for v in values) and len(distinct) <= 32:
        return attribute_spec(name, input_type="select", values=distinct)
    return attribute_spec(name, input_type="text", default_value="")
