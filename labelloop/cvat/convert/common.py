"""Pieces every converter shares: argument checks and CVAT object skeletons."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from labelloop.core.labels import Label
from labelloop.cvat.convert.attributes import attributes_from_cvat, attributes_to_cvat, shape_flags
from labelloop.cvat.convert.options import DEFAULT_OPTIONS, ConvertOptions


class UnsupportedObjectError(ValueError):
    """A CVAT object that no labelloop label kind represents (e.g. an ellipse)."""


def frame_dims(frame_size: Sequence[int]) -> tuple[int, int]:
    """``(width, height)`` checked to be positive integers."""
    try:
        width, height = frame_size
    except (TypeError, ValueError):
        raise ValueError(f"frame_size must be (width, height), got {frame_size!r}") from None
    if not all(isinstance(v, (int, np.integer)) and v > 0 for v in (width, height)):
        raise ValueError(f"frame_size must hold two positive integers, got {frame_size!r}")
    return int(width), int(height)


def frame_index(frame: int) -> int:
    """A CVAT frame index checked to be a non-negative integer."""
    if isinstance(frame, bool) or not isinstance(frame, (int, np.integer)) or frame < 0:
        raise ValueError(f"frame must be a non-negative integer, got {frame!r}")
    return int(frame)


def class_name(label: Label) -> str:
    """The label's class, which becomes the CVAT label name."""
    name = label.get_field("label")
    if not isinstance(name, str) or not name:
        raise ValueError(
            f"{type(label).__name__} {label.id} has label={name!r}; CVAT objects need a "
            "non-empty class name"
        )
    return name


def options_or_default(options: ConvertOptions | None) -> ConvertOptions:
    """``options``, or the defaults when ``None``."""
    return DEFAULT_OPTIONS if options is None else options


def finite_xy(points: Iterable[Sequence[float]], what: str) -> np.ndarray:
    """An ``(n, 2)`` float array of points, every coordinate finite."""
    arr = np.asarray([tuple(p) for p in points], dtype=np.float64).reshape(-1, 2)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{what} has non-finite coordinates")
    return arr


def to_pixels(xy: np.ndarray, frame_size: tuple[int, int]) -> list[float]:
    """Flat absolute ``[x0, y0, x1, y1, ...]`` from relative ``(n, 2)`` points."""
    return (xy * np.asarray(frame_size, dtype=np.float64)).ravel().tolist()


def from_pixels(points: Sequence[float], frame_size: tuple[int, int]) -> list[tuple[float, float]]:
    """Relative ``(x, y)`` tuples from flat absolute CVAT points."""
    if len(points) % 2:
        raise ValueError(f"CVAT points must be x, y pairs; got {len(points)} values")
    arr = np.asarray(points, dtype=np.float64).reshape(-1, 2) / np.asarray(frame_size, float)
    return [(float(x), float(y)) for x, y in arr]


def new_shape(
    kind: str,
    label: Label,
    points: list[float],
    frame: int,
    options: ConvertOptions,
    *,
    rotation: float | None = None,
    name: str | None = None,
) -> dict[str, Any]:
    """A CVAT shape dict for ``label`` (see the object model in docs/architecture.md).

    ``rotation`` is given by shapes that hold the label's ``rotation`` themselves;
    for others a ``rotation`` attribute is sent like any other. ``name``
    overrides the CVAT label name (default: the label's class).
    """
    occluded, group = shape_flags(label, options)
    return {
        "type": kind,
        "label": name if name is not None else class_name(label),
        "frame": frame_index(frame),
        "points": points,
        "rotation": float(rotation or 0.0),
        "occluded": occluded,
        "outside": False,
        "z_order": 0,
        "group": group,
        "source": "manual",
        "attributes": attributes_to_cvat(label, options, [] if rotation is None else ["rotation"]),
    }


def new_tag(name: str, frame: int, attributes: list[dict[str, str]]) -> dict[str, Any]:
    """A CVAT tag dict."""
    return {
        "label": name,
        "frame": frame_index(frame),
        "group": 0,
        "source": "manual",
        "attributes": attributes,
    }


def expect_type(obj: Mapping[str, Any], *types: str) -> str:
    """The object's shape type, checked to be one of ``types``."""
    kind = obj.get("type")
    if kind not in types:
        raise UnsupportedObjectError(
            f"Expected a CVAT {' or '.join(types)} object, got type {kind!r}"
        )
    return kind


def label_kwargs(
    obj: Mapping[str, Any],
    options: ConvertOptions,
    label_cls: type[Label],
    template: Label | None = None,
) -> dict[str, Any]:
    """``label`` plus id and custom attributes for rebuilding a label from ``obj``."""
    name = obj.get("label")
    if not isinstance(name, str) or not name:
        raise ValueError(f"CVAT object has no label name: {dict(obj)!r}")
    kwargs = attributes_from_cvat(obj, options, label_cls, template)
    kwargs["label"] = name
    return kwargs


def is_finite(value: Any) -> bool:
    """Whether ``value`` is a real, finite number."""
    return (
        isinstance(value, (int, float, np.number))
        and not isinstance(value, bool)
        and math.isfinite(float(value))
    )
