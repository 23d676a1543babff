"""Keypoints <-> CVAT ``points`` shapes (and reading ``skeleton`` shapes).

A missing keypoint is ``(nan, nan)``, which a CVAT ``points`` shape cannot hold.
Only present points are sent; where the missing ones sat is restored on the
way back from either ``options.missing_points_attr`` (a text attribute such as
``"5:0,1,4"``: five slots, points present at 0, 1 and 4) or the uploaded label
passed as ``template``. Restoration happens only when the annotator kept the
number of points; otherwise the downloaded points are returned as they are.
Skeleton shapes are read with elements ordered by ``options.skeleton_points``
(outside or absent elements become NaN).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from labelloop.core.labels import Keypoint, Keypoints, Label
from labelloop.cvat.convert.common import (
    expect_type,
    frame_dims,
    from_pixels,
    label_kwargs,
    new_shape,
    options_or_default,
    to_pixels,
)
from labelloop.cvat.convert.options import ConvertOptions

logger = logging.getLogger(__name__)

NAN_POINT = (math.nan, math.nan)


def encode_layout(total: int, present: Sequence[int]) -> str:
    """``"total:i,j,..."`` recording which of ``total`` slots hold points."""
    return f"{total}:{','.join(str(i) for i in present)}"


def decode_layout(text: str) -> tuple[int, list[int]]:
    """``(total, present indices)`` from :func:`encode_layout` text."""
    try:
        total_text, present_text = text.split(":", 1)
        total = int(total_text)
        present = [int(i) for i in present_text.split(",") if i]
    except ValueError:
        raise ValueError(f"Malformed keypoint layout {text!r}; expected 'total:i,j,...'") from None
    if any(not 0 <= i < total for i in present) or len(set(present)) != len(present):
        raise ValueError(f"Keypoint layout {text!r} names slots outside 0..{total - 1}")
    return total, present


def _present(points: Sequence[Sequence[float]]) -> tuple[np.ndarray, np.ndarray]:
    """The ``(N, 2)`` float array of ``points`` and the indices of its non-NaN rows."""
    xy = np.asarray([tuple(p) for p in points], dtype=np.float64).reshape(-1, 2)
    return xy, np.flatnonzero(np.all(np.isfinite(xy), axis=1))


def to_cvat(
    label: Keypoint | Keypoints,
    frame_size: Sequence[int],
    frame: int = 0,
    options: ConvertOptions | None = None,
) -> list[dict[str, Any]]:
    """One ``points`` shape per keypoint, holding only its present points."""
    if isinstance(label, Keypoints):
        return [s for item in label.keypoints for s in to_cvat(item, frame_size, frame, options)]
    if not isinstance(label, Keypoint):
        raise ValueError(f"keypoint.to_cvat takes Keypoint(s), not {type(label).__name__}")
    size = frame_dims(frame_size)
    options = options_or_default(options)
    xy, present = _present(label.points)
    if np.any(np.isinf(xy)):
        raise ValueError(f"Keypoint {label.id} has infinite coordinates")
    if present.size == 0:
        raise ValueError(f"Keypoint {label.id} has no present (non-NaN) points to send")
    shape = new_shape("points", label, to_pixels(xy[present], size), frame, options)
    if options.missing_points_attr and present.size < len(xy):
        layout = encode_layout(len(xy), present.tolist())
        shape["attributes"].append({"name": options.missing_points_attr, "value": layout})
    return [shape]


def _layout_from(
    obj: Mapping[str, Any], options: ConvertOptions, template: Label | None
) -> tuple[int, list[int]] | None:
    if options.missing_points_attr:
        for attr in obj.get("attributes") or ():
            if attr["name"] == options.missing_points_attr and attr.get("value"):
                return decode_layout(attr["value"])
    if isinstance(template, Keypoint) and template.points:
        xy, present = _present(template.points)
        return len(xy), present.tolist()
    return None


def _points_from_skeleton(
    obj: Mapping[str, Any], size: tuple[int, int], options: ConvertOptions
) -> list[tuple[float, float]]:
    elements = {e.get("label"): e for e in obj.get("elements") or ()}
    order = (options.skeleton_points or {}).get(obj.get("label"))
    names = list(order) if order is not None else list(elements)
    points = []
    for name in names:
        element = elements.get(name)
        if element is None or element.get("outside") or len(element.get("points") or ()) < 2:
            points.append(NAN_POINT)
        else:
            points.append(from_pixels(element["points"][:2], size)[0])
    return points


def from_cvat(
    obj: Mapping[str, Any],
    frame_size: Sequence[int],
    options: ConvertOptions | None = None,
    template: Label | None = None,
) -> Keypoint:
    """The :class:`Keypoint` of a CVAT ``points`` or ``skeleton`` shape, NaNs restored."""
    kind = expect_type(obj, "points", "skeleton")
    size = frame_dims(frame_size)
    options = options_or_default(options)
    kwargs = label_kwargs(obj, options, Keypoint, template)
    if kind == "skeleton":
        kwargs["points"] = _points_from_skeleton(obj, size, options)
        return Keypoint(**kwargs)
    points = from_pixels(obj["points"], size)
    layout = _layout_from(obj, options, template)
    if layout is not None:
        total, present = layout
        if len(present) == len(points):
            slots: list[tuple[float, float]] = [NAN_POINT] * total
            for index, point in zip(present, points):
                slots[index] = point
            points = slots
        else:
            logger.debug(
                "Keypoint %s now has %d points instead of %d; missing slots not restored",
                kwargs.get("id"),
                len(points),
                len(present),
            )
    kwargs["points"] = points
    return Keypoint(**kwargs)
