"""Label schema: accept every form ``annotate()`` takes, infer what is missing, validate all.

:func:`build_label_schema` turns ``label_schema`` (dict or list of fields) or the
single-field arguments into the normalised schema stored with a run::

    {field: {"type": str, "classes": [str | {"classes": [...], "attributes": {...}}],
             "attributes": {name: spec}, "mask_targets": {int|str: str} (segmentation),
             "existing_field": bool, "allow_additions": bool, ... (existing fields),
             "only_keyframes": bool (existing trackable frame fields)}}

It reads the collection only through a :class:`SchemaSource`, so it runs on
plain inputs too. Every problem is a ``ValueError`` raised before anything is
sent anywhere, naming the field and the fix.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from labelloop.annotation.attributes import RESERVED_ATTRS, parse_attributes
from labelloop.annotation.classes import (
    DEFAULT_MASK_TARGETS,
    class_names,
    parse_classes,
    parse_mask_targets,
    parse_scalar_classes,
    schema_attributes,
)
from labelloop.annotation.summary import LabelSummary
from labelloop.core import labels as fol

if TYPE_CHECKING:
    from labelloop.annotation.base import AnnotationBackend

logger = logging.getLogger(__name__)

#: Label class annotated by each label type (``scalar`` has none).
LABEL_TYPES: dict[str, type[fol.Label] | None] = {
    "classification": fol.Classification,
    "classifications": fol.Classifications,
    "detection": fol.Detection,
    "detections": fol.Detections,
    "instance": fol.Detection,
    "instances": fol.Detections,
    "polyline": fol.Polyline,
    "polylines": fol.Polylines,
    "polygon": fol.Polyline,
    "polygons": fol.Polylines,
    "keypoint": fol.Keypoint,
    "keypoints": fol.Keypoints,
    "segmentation": fol.Segmentation,
    "scalar": None,
}
#: The key under which downloads group each label type's annotations.
RETURN_TYPES: dict[str, str] = {
    "classification": "classification",
    "classifications": "classifications",
    "detection": "detections",
    "detections": "detections",
    "instance": "detections",
    "instances": "detections",
    "polyline": "polylines",
    "polylines": "polylines",
    "polygon": "polylines",
    "polygons": "polylines",
    "keypoint": "keypoints",
    "keypoints": "keypoints",
    "segmentation": "segmentation",
    "scalar": "scalar",
}
SPATIAL_TYPES = frozenset(
    t for t in LABEL_TYPES if t not in ("classification", "classifications", "scalar")
)
#: Types that become tracks (with ``index`` and keyframes) in frame fields.
TRACKABLE_TYPES = SPATIAL_TYPES - {"segmentation"}
LABELED_TYPES = frozenset(t for t in LABEL_TYPES if t not in ("segmentation", "scalar"))
EDIT_FLAGS = (
    "allow_additions",
    "allow_deletions",
    "allow_label_edits",
    "allow_index_edits",
    "allow_spatial_edits",
)
#: Schema key of a run that names no label field (its backend takes the classes from the
#: server): every label downloaded for it is unexpected and goes where ``unexpected`` says.
UNNAMED_FIELD = "_unnamed"
_FIELD_KEYS = frozenset({"type", "classes", "attributes", "mask_targets", *EDIT_FLAGS})
_RESERVED_FIELDS = frozenset({"id", "_id", "filepath", "tags", "metadata", "media_type", "frames"})
_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class FieldInfo:
    """What an existing field holds: a label class or a scalar Python type."""

    label_cls: type[fol.Label] | None = None
    scalar_type: type | None = None


class SchemaSource(Protocol):
    """What schema inference reads from the collection being annotated."""

    media_type: str

    def field_info(self, path: str) -> FieldInfo | None:
        """``None`` when the field does not exist."""

    def label_summary(self, path: str) -> LabelSummary:
        """One pass over the existing labels of ``path`` (list labels' items)."""

    def declared_classes(self, path: str) -> list[str] | None:
        """``classes[path]`` of the dataset, else its ``default_classes``, else ``None``."""

    def declared_mask_targets(self, path: str) -> dict[Any, str] | None:
        """``mask_targets[path]`` of the dataset, else ``default_mask_targets``, else ``None``."""


def build_label_schema(
    source: SchemaSource,
    backend: AnnotationBackend,
    label_schema: dict[str, Any] | list[str] | tuple[str, ...] | None = None,
    label_field: str | Sequence[str] | None = None,
    label_type: str | None = None,
    classes: list[Any] | None = None,
    attributes: Any = True,
    mask_targets: dict[Any, str] | None = None,
    **flags: bool,
) -> dict[str, dict[str, Any]]:
    """The normalised, validated schema (see the module docstring)."""
    unknown = sorted(set(flags) - set(EDIT_FLAGS))
    if unknown:
        raise ValueError(f"Unknown argument(s) {unknown}; the edit flags are {list(EDIT_FLAGS)}")
    for flag, value in flags.items():
        if not isinstance(value, bool):
            raise ValueError(f"{flag} must be True or False, not {value!r}")
    if source.media_type not in backend.supported_media_types:
        raise ValueError(
            f"The {backend.config.name!r} backend cannot annotate {source.media_type!r} "
            f"collections; it supports {list(backend.supported_media_types)}"
        )
    if label_schema is None and not label_field and backend.takes_classes_from_server():
        name = f"frames.{UNNAMED_FIELD}" if source.media_type == "video" else UNNAMED_FIELD
        spec = {"type": "detections", "classes": [], "attributes": {}, "existing_field": False}
        return {name: {**spec, **flags, "unnamed": True}}
    raw = _raw_schema(label_schema, label_field, backend)
    defaults: dict[str, Any] = {
        "type": label_type,
        "classes": classes,
        "mask_targets": mask_targets,
    }
    out = {}
    for field, spec in raw.items():
        merged = dict(spec)
        for key, value in defaults.items():
            if merged.get(key) is None and value is not None:
                merged[key] = value
        merged.setdefault("attributes", attributes)
        for flag, value in flags.items():
            merged.setdefault(flag, value)
        explicit = spec if label_schema is not None else merged
        out[field] = _normalize_field(source, backend, field, merged, explicit=explicit)
    return out


def _field_names(label_field: Any) -> list[str]:
    """``label_field`` as a list: one name, or a list/tuple of names (``"f",`` is a tuple)."""
    if label_field is None or isinstance(label_field, str):
        return [label_field] if label_field else []
    if isinstance(label_field, (list, tuple)) and all(isinstance(n, str) for n in label_field):
        if len(set(label_field)) < len(label_field):
            raise ValueError(f"label_field names a field twice: {label_field!r}; name it once")
        return list(label_field)
    raise ValueError(
        f"label_field must be a field name or a list of field names, not {label_field!r}"
    )


def _raw_schema(
    label_schema: Any, label_field: str | Sequence[str] | None, backend: AnnotationBackend
) -> dict[str, dict[str, Any]]:
    names = _field_names(label_field)
    if label_schema is None:
        if names:
            # label_type, classes and attributes apply to each named field
            return {name: {} for name in names}
        if backend.requires_label_schema:
            raise ValueError(
                "Nothing to annotate: pass label_field= (with label_type= and classes= for a new "
                "field) or label_schema={field: {...}}"
            )
        return {}
    if names and not set(names) <= set(label_schema):
        logger.warning("label_field=%r is ignored because label_schema is given", label_field)
    if isinstance(label_schema, (list, tuple)):
        raw: dict[str, dict[str, Any]] = {}
        for name in label_schema:
            if not isinstance(name, str):
                raise ValueError(
                    f"label_schema as a list must hold field names, not {name!r}; use a dict "
                    "{field: {...}} to give details"
                )
            if name in raw:
                raise ValueError(f"label_schema lists field {name!r} twice; list it once")
            raw[name] = {}
        return raw
    if not isinstance(label_schema, dict):
        raise ValueError(
            "label_schema must be a dict {field: {'type': ..., 'classes': [...]}} or a list of "
            f"field names, not {type(label_schema).__name__}"
        )
    if not label_schema:
        raise ValueError("label_schema is empty; give at least one field")
    raw = {}
    for name, spec in label_schema.items():
        if spec is None:
            spec = {}
        if not isinstance(spec, dict):
            raise ValueError(
                f"label_schema[{name!r}] must be a dict like {{'type': 'detections', 'classes': "
                f"[...]}}, not {type(spec).__name__}"
            )
        raw[name] = dict(spec)
    return raw


def _check_field_name(source: SchemaSource, backend: AnnotationBackend, field: Any) -> None:
    if not isinstance(field, str) or not field:
        raise ValueError(f"Label field names must be non-empty strings, not {field!r}")
    is_frame = field.startswith("frames.")
    base = field[len("frames.") :] if is_frame else field
    if not _NAME_RE.match(base):
        raise ValueError(
            f"Invalid label field name {field!r}: use letters, digits and underscores, starting "
            "with a letter (prefix 'frames.' for frame-level video fields)"
        )
    if base in _RESERVED_FIELDS:
        raise ValueError(
            f"{field!r} is a built-in field and cannot be annotated; pick another name"
        )
    video = source.media_type == "video"
    if is_frame and not video:
        raise ValueError(
            f"Field {field!r} is a frame-level field but the collection holds "
            f"{source.media_type} samples; drop the 'frames.' prefix"
        )
    if video and not is_frame and not backend.supports_video_sample_fields:
        raise ValueError(
            f"The {backend.config.name!r} backend cannot annotate sample-level fields of videos "
            f"({field!r}); annotate the frame-level field 'frames.{field}' instead"
        )


def _normalize_field(
    source: SchemaSource,
    backend: AnnotationBackend,
    field: str,
    spec: dict[str, Any],
    explicit: dict[str, Any],
) -> dict[str, Any]:
    _check_field_name(source, backend, field)
    where = f"label_schema[{field!r}]"
    unknown = sorted(set(spec) - _FIELD_KEYS)
    if unknown:
        raise ValueError(
            f"{where}: unknown key(s) {unknown}; allowed keys are {sorted(_FIELD_KEYS)}"
        )
    for flag in EDIT_FLAGS:
        if flag in spec and not isinstance(spec[flag], bool):
            raise ValueError(f"{where}: {flag!r} must be True or False, not {spec[flag]!r}")
    info = source.field_info(field)
    label_type = _resolve_type(source, backend, field, spec.get("type"), info)
    is_frame = field.startswith("frames.")
    if source.media_type == "video" and not is_frame and label_type in SPATIAL_TYPES:
        raise ValueError(
            f"{where}: {label_type!r} labels of videos live on frames; use 'frames.{field}'"
        )
    labels = source.label_summary(field) if info and info.label_cls else LabelSummary()
    out: dict[str, Any] = {"type": label_type}
    if label_type == "scalar":
        out["classes"] = parse_scalar_classes(where, spec.get("classes"))
        _refuse_attributes(where, explicit, label_type)
    elif label_type == "segmentation":
        if explicit.get("classes") is not None:
            raise ValueError(
                f"{where}: segmentation classes come from mask_targets; pass "
                "mask_targets={1: 'class1', 2: 'class2'} instead of classes"
            )
        out["mask_targets"] = _mask_targets(source, where, field, spec.get("mask_targets"), info)
        out["classes"] = [
            name for value, name in out["mask_targets"].items() if value not in (0, "#000000")
        ]
        _refuse_attributes(where, explicit, label_type)
    else:
        # an attribute both field-wide (e.g. inferred by attributes=True) and in a class
        # group: the group's spec applies to its classes, the field's to the others
        out["classes"], _ = _classes(source, backend, where, field, spec, info, labels, label_type)
        exclude = ("keyframe",) if is_frame else ()
        observed = labels.observed_attributes(exclude) if info else None
        out["attributes"] = parse_attributes(
            where, spec.get("attributes", True), observed, backend, label_type in SPATIAL_TYPES
        )
    if explicit.get("mask_targets") is not None and label_type != "segmentation":
        raise ValueError(
            f"{where}: mask_targets only apply to 'segmentation' fields, not {label_type!r}; "
            "remove mask_targets"
        )
    out["existing_field"] = info is not None
    if info is not None:
        out.update(_edit_flags(spec, label_type, is_frame))
        if is_frame and label_type in TRACKABLE_TYPES and backend.supports_keyframes:
            out["only_keyframes"] = _only_keyframes(field, labels)
    return out


def _resolve_type(
    source: SchemaSource,
    backend: AnnotationBackend,
    field: str,
    label_type: Any,
    info: FieldInfo | None,
) -> str:
    where = f"label_schema[{field!r}]"
    supported = backend.supported_label_types
    if label_type is not None:
        if not isinstance(label_type, str) or label_type not in LABEL_TYPES:
            raise ValueError(
                f"{where}: unknown label type {label_type!r}; use one of {list(LABEL_TYPES)}"
            )
        if label_type not in supported:
            raise ValueError(
                f"{where}: the {backend.config.name!r} backend cannot annotate {label_type!r} "
                f"labels; it supports {list(supported)}"
            )
    if info is None:
        if label_type is None:
            raise ValueError(
                f"{where}: {field!r} is a new field, so its type is needed; pass label_type= or "
                f"'type' in the schema (one of {list(supported)})"
            )
        return label_type
    if info.label_cls is None:
        return _resolve_scalar_type(backend, where, field, label_type, info)
    if label_type is not None:
        if LABEL_TYPES[label_type] is not info.label_cls:
            raise ValueError(
                f"{where}: existing field {field!r} holds {info.label_cls.__name__} labels, which "
                f"cannot be annotated as {label_type!r}; drop the type to infer it or pick "
                "another field"
            )
        if label_type in ("instance", "instances"):
            _check_all_masked(source, where, field)
        return label_type
    inferred = _infer_type(source, field, info.label_cls)
    if inferred not in supported:
        raise ValueError(
            f"{where}: the {backend.config.name!r} backend cannot annotate {inferred!r} labels "
            f"(field {field!r}); it supports {list(supported)}"
        )
    return inferred


def _resolve_scalar_type(
    backend: AnnotationBackend, where: str, field: str, label_type: Any, info: FieldInfo
) -> str:
    if info.scalar_type not in backend.supported_scalar_types:
        allowed = [t.__name__ for t in backend.supported_scalar_types]
        raise ValueError(
            f"{where}: existing field {field!r} holds neither labels nor scalars of type "
            f"{allowed}, so it cannot be annotated; pick another field"
        )
    if label_type not in (None, "scalar"):
        raise ValueError(
            f"{where}: existing field {field!r} holds {info.scalar_type.__name__} values; "
            f"annotate it as 'scalar', not {label_type!r}"
        )
    if "scalar" not in backend.supported_label_types:
        raise ValueError(f"{where}: the {backend.config.name!r} backend cannot annotate scalars")
    return "scalar"


def _infer_type(source: SchemaSource, field: str, label_cls: type[fol.Label]) -> str:
    """Label type for an existing field; ambiguous classes are decided by the data, never
    by dropping labels (boxes for every detection unless all of them have masks)."""
    singular = label_cls not in fol.LIST_LABELS
    if label_cls in (fol.Detection, fol.Detections):
        summary = source.label_summary(field)
        masked = summary.masked
        if summary.count and masked == summary.count:
            return "instance" if singular else "instances"
        if masked:
            logger.info(
                "Field %r: %d of %d detections have masks; all are uploaded as boxes (masks are "
                "kept). Pass label_type='instances' to edit masks once every detection has one",
                field,
                masked,
                summary.count,
            )
        return "detection" if singular else "detections"
    if label_cls in (fol.Polyline, fol.Polylines):
        summary = source.label_summary(field)
        if summary.count and summary.filled == summary.count:
            return "polygon" if singular else "polygons"
        return "polyline" if singular else "polylines"
    for name, cls in LABEL_TYPES.items():
        if cls is label_cls and name not in ("instance", "instances", "polygon", "polygons"):
            return name
    raise ValueError(
        f"Field {field!r} holds {label_cls.__name__} labels, which cannot be annotated"
    )


def _check_all_masked(source: SchemaSource, where: str, field: str) -> None:
    summary = source.label_summary(field)
    missing = summary.count - summary.masked
    if missing:
        raise ValueError(
            f"{where}: {missing} detection(s) in {field!r} have no mask and cannot be uploaded as "
            "instances; use label_type='detections' to edit their boxes, or add masks first"
        )


def _refuse_attributes(where: str, explicit: dict[str, Any], label_type: str) -> None:
    if explicit.get("attributes") not in (None, True, False):
        raise ValueError(
            f"{where}: {label_type!r} fields have no label attributes; remove 'attributes'"
        )


def _classes(
    source: SchemaSource,
    backend: AnnotationBackend,
    where: str,
    field: str,
    spec: dict[str, Any],
    info: FieldInfo | None,
    labels: LabelSummary,
    label_type: str,
) -> tuple[list[Any], set[str]]:
    """Validated classes (explicit, else declared, else observed) plus class-group attributes."""
    classes = spec.get("classes")
    observed = sorted(labels.classes)
    if classes is None and info is None:
        raise ValueError(
            f"{where}: {field!r} is a new field, so it needs classes; pass classes=[...] or "
            "'classes' in the schema"
        )
    explicit = classes is not None
    if not explicit:
        classes = source.declared_classes(field) or observed
    out, names, group_attrs = parse_classes(where, classes, backend, label_type in SPATIAL_TYPES)
    extra = [c for c in observed if c not in names]
    if extra:
        log = logger.warning if explicit else logger.info
        log("Field %r: adding class(es) %s of existing labels to the schema", field, extra)
        out.extend(extra)
    return out, group_attrs


def _mask_targets(
    source: SchemaSource, where: str, field: str, targets: Any, info: FieldInfo | None
) -> dict[Any, str]:
    if targets is None:
        targets = source.declared_mask_targets(field)
    if targets is None:
        if info is None:
            raise ValueError(
                f"{where}: {field!r} is a new segmentation field, so it needs mask_targets, e.g. "
                "mask_targets={1: 'cat', 2: 'dog'}"
            )
        targets = DEFAULT_MASK_TARGETS
    return parse_mask_targets(where, targets)


def _edit_flags(spec: dict[str, Any], label_type: str, is_frame: bool) -> dict[str, bool]:
    flags = {
        "allow_additions": spec.get("allow_additions", True),
        "allow_deletions": spec.get("allow_deletions", True),
    }
    if label_type in LABELED_TYPES:
        flags["allow_label_edits"] = spec.get("allow_label_edits", True)
    if is_frame and label_type in TRACKABLE_TYPES:
        flags["allow_index_edits"] = spec.get("allow_index_edits", True)
    if label_type in SPATIAL_TYPES:
        flags["allow_spatial_edits"] = spec.get("allow_spatial_edits", True)
    return flags


def _only_keyframes(field: str, labels: LabelSummary) -> bool:
    if labels.any_keyframe:
        return True
    if labels.keyframe_flags:
        logger.warning(
            "Field %r: labels carry 'keyframe' but none is True, so every frame's labels are "
            "uploaded as keyframes",
            field,
        )
    return False


__all__ = [
    "DEFAULT_MASK_TARGETS",
    "EDIT_FLAGS",
    "FieldInfo",
    "LABEL_TYPES",
    "RESERVED_ATTRS",
    "RETURN_TYPES",
    "SchemaSource",
    "build_label_schema",
    "class_names",
    "schema_attributes",
]
