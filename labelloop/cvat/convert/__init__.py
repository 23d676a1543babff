"""Converters between labelloop labels and CVAT objects, one module per label kind.

Every kind module offers the same pair, so callers never special-case a kind:

* ``to_cvat(label, frame_size, frame=0, options=None) -> list[dict]``
* ``from_cvat(obj, frame_size, options=None, template=None) -> Label``

``frame_size`` is ``(width, height)`` in pixels, ``frame`` the CVAT frame index,
``options`` a :class:`ConvertOptions`. The objects are the CVAT object model of
``docs/architecture.md`` (label names, ``{"name", "value"}`` attributes,
absolute pixels). This package's own :func:`to_cvat`/:func:`from_cvat` pick the
kind from the label class resp. the CVAT object type.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from labelloop.core.ids import is_id
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
    Segmentation,
)
from labelloop.cvat.convert import (
    classification,
    detection,
    instance,
    keypoint,
    polyline,
    segmentation,
)
from labelloop.cvat.convert.common import UnsupportedObjectError, options_or_default
from labelloop.cvat.convert.options import ConvertOptions

__all__ = [
    "ConvertOptions",
    "UnsupportedObjectError",
    "from_cvat",
    "from_cvat_objects",
    "to_cvat",
]


def to_cvat(
    label: Label,
    frame_size: Sequence[int],
    frame: int = 0,
    options: ConvertOptions | None = None,
) -> list[dict[str, Any]]:
    """CVAT objects for any label; detections with a ``mask`` become ``mask`` shapes."""
    if isinstance(label, (Classification, Classifications)):
        return classification.to_cvat(label, frame_size, frame, options)
    if isinstance(label, Detections):
        return [s for item in label.detections for s in to_cvat(item, frame_size, frame, options)]
    if isinstance(label, Detection):
        module = instance if label.mask is not None else detection
        return module.to_cvat(label, frame_size, frame, options)
    if isinstance(label, (Polyline, Polylines)):
        return polyline.to_cvat(label, frame_size, frame, options)
    if isinstance(label, (Keypoint, Keypoints)):
        return keypoint.to_cvat(label, frame_size, frame, options)
    if isinstance(label, Segmentation):
        return segmentation.to_cvat(label, frame_size, frame, options)
    raise ValueError(f"No CVAT converter for {type(label).__name__} labels")


def from_cvat(
    obj: Mapping[str, Any],
    frame_size: Sequence[int],
    options: ConvertOptions | None = None,
    template: Label | None = None,
) -> Label:
    """The label of one CVAT tag or shape (``mask`` shapes give instance detections).

    ``template`` is the label as uploaded, when known: it restores what CVAT
    cannot hold (missing keypoints, ``filled``, bool/number types of text
    attributes).

    Raises :class:`UnsupportedObjectError` for shapes no label holds (ellipses,
    cuboids), so callers can report them instead of losing them silently.
    """
    kind = obj.get("type", "tag")
    if kind == "tag":
        return classification.from_cvat(obj, frame_size, options, template)
    if kind == "rectangle":
        return detection.from_cvat(obj, frame_size, options, template)
    if kind == "mask":
        return instance.from_cvat(obj, frame_size, options, template)
    if kind in ("polygon", "polyline"):
        return polyline.from_cvat(obj, frame_size, options, template)
    if kind in ("points", "skeleton"):
        return keypoint.from_cvat(obj, frame_size, options, template)
    raise UnsupportedObjectError(f"CVAT {kind!r} shapes have no labelloop label kind")


def _object_id(obj: Mapping[str, Any], id_attr: str | None) -> str | None:
    for attr in obj.get("attributes") or ():
        if attr["name"] == id_attr and is_id(attr.get("value")):
            return attr["value"]
    return None


def from_cvat_objects(
    objects: Iterable[Mapping[str, Any]],
    frame_size: Sequence[int],
    options: ConvertOptions | None = None,
    templates: Mapping[str, Label] | None = None,
) -> list[Label]:
    """Labels of one frame's objects, joining polygon/polyline parts that share an id.

    ``templates`` maps label ids to the uploaded labels (see :func:`from_cvat`). Unsupported objects raise :class:`UnsupportedObjectError`.
    """
    options = options_or_default(options)
    templates = templates or {}
    parts: dict[str, list[Mapping[str, Any]]] = {}
    order: list[str | Mapping[str, Any]] = []
    for obj in objects:
        label_id = _object_id(obj, options.id_attr)
        if obj.get("type") in ("polygon", "polyline") and label_id:
            if label_id not in parts:
                parts[label_id] = []
                order.append(label_id)
            parts[label_id].append(obj)
        else:
            order.append(obj)
    labels: list[Label] = []
    for entry in order:
        if isinstance(entry, str):
            group = parts[entry]
            labels.append(polyline.from_cvat(group, frame_size, options, templates.get(entry)))
        else:
            template = templates.get(_object_id(entry, options.id_attr) or "")
            labels.append(from_cvat(entry, frame_size, options, template))
    return labels
