"""Detection boxes <-> CVAT ``rectangle`` shapes, rotation included.

Boxes go to absolute pixel floats with no rounding, so relative -> absolute ->
relative is stable to float precision. A detection's ``rotation`` attribute
(degrees, clockwise about the box centre, as CVAT draws it) becomes the
shape's ``rotation``, normalised into ``[0, 360)``; a zero rotation is not
written back onto downloaded labels.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from labelloop.core.labels import Detection, Label
from labelloop.cvat.convert.common import (
    expect_type,
    frame_dims,
    is_finite,
    label_kwargs,
    new_shape,
    options_or_default,
)
from labelloop.cvat.convert.options import ConvertOptions


def box_to_pixels(box: Sequence[float], frame_size: tuple[int, int]) -> list[float]:
    """``[xtl, ytl, xbr, ybr]`` in pixels from a relative ``[x, y, w, h]`` box."""
    if box is None or len(box) != 4 or not all(is_finite(v) for v in box):
        raise ValueError(f"bounding_box must be four finite numbers [x, y, w, h], got {box!r}")
    x, y, w, h = (float(v) for v in box)
    if w < 0 or h < 0:
        raise ValueError(f"bounding_box width and height must be >= 0, got {box!r}")
    width, height = frame_size
    return [x * width, y * height, (x + w) * width, (y + h) * height]


def box_from_pixels(points: Sequence[float], frame_size: tuple[int, int]) -> list[float]:
    """A relative ``[x, y, w, h]`` box from ``[xtl, ytl, xbr, ybr]`` pixels."""
    xtl, ytl, xbr, ybr = (float(v) for v in points[:4])
    width, height = frame_size
    return [xtl / width, ytl / height, (xbr - xtl) / width, (ybr - ytl) / height]


def rotation_of(label: Detection) -> float:
    """The label's rotation in degrees, normalised into ``[0, 360)``."""
    value = label.get_field("rotation")
    if value is None:
        return 0.0
    if not is_finite(value):
        raise ValueError(f"Detection {label.id} has rotation={value!r}; expected degrees")
    return float(np.mod(float(value), 360.0))


def to_cvat(
    label: Detection,
    frame_size: Sequence[int],
    frame: int = 0,
    options: ConvertOptions | None = None,
) -> list[dict[str, Any]]:
    """One ``rectangle`` shape for a detection's box (its mask, if any, is not sent)."""
    if not isinstance(label, Detection):
        raise ValueError(f"detection.to_cvat takes a Detection, not {type(label).__name__}")
    points = box_to_pixels(label.bounding_box, frame_dims(frame_size))
    shape = new_shape(
        "rectangle", label, points, frame, options_or_default(options), rotation=rotation_of(label)
    )
    return [shape]


def from_cvat(
    obj: Mapping[str, Any],
    frame_size: Sequence[int],
    options: ConvertOptions | None = None,
    template: Label | None = None,
) -> Detection:
    """The :class:`Detection` a CVAT ``rectangle`` holds."""
    expect_type(obj, "rectangle")
    kwargs = label_kwargs(obj, options_or_default(options), Detection, template)
    kwargs["bounding_box"] = box_from_pixels(obj["points"], frame_dims(frame_size))
    rotation = float(obj.get("rotation") or 0.0)
    if rotation:
        kwargs["rotation"] = rotation
    return Detection(**kwargs)
