"""Polylines and polygons <-> CVAT ``polygon``/``polyline`` shapes, one per part.

A :class:`Polyline` holds several parts; each becomes its own CVAT shape, all
carrying the label's id so downloads can join them again. Closed parts become
``polygon`` shapes (CVAT polygons are always closed) and open ones
``polyline`` shapes. CVAT has no notion of ``filled``: it comes back from the
uploaded label (``template``) when given, else from ``options.filled`` for
polygons (default ``True``) and ``False`` for polylines.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from labelloop.core.labels import Label, Polyline, Polylines
from labelloop.cvat.convert.common import (
    expect_type,
    finite_xy,
    frame_dims,
    from_pixels,
    label_kwargs,
    new_shape,
    options_or_default,
    to_pixels,
)
from labelloop.cvat.convert.options import ConvertOptions

#: Fewest points CVAT accepts per shape type.
MIN_POINTS = {"polygon": 3, "polyline": 2}


def to_cvat(
    label: Polyline | Polylines,
    frame_size: Sequence[int],
    frame: int = 0,
    options: ConvertOptions | None = None,
) -> list[dict[str, Any]]:
    """CVAT shapes for every part of a polyline (or of every polyline of a list)."""
    if isinstance(label, Polylines):
        return [s for item in label.polylines for s in to_cvat(item, frame_size, frame, options)]
    if not isinstance(label, Polyline):
        raise ValueError(f"polyline.to_cvat takes Polyline(s), not {type(label).__name__}")
    size = frame_dims(frame_size)
    options = options_or_default(options)
    kind = "polygon" if label.closed else "polyline"
    if not label.points:
        raise ValueError(f"Polyline {label.id} has no points to send")
    shapes = []
    for number, part in enumerate(label.points):
        xy = finite_xy(part, f"Polyline {label.id} part {number}")
        if len(xy) < MIN_POINTS[kind]:
            raise ValueError(
                f"Polyline {label.id} part {number} has {len(xy)} points; a CVAT {kind} "
                f"needs at least {MIN_POINTS[kind]}"
            )
        shapes.append(new_shape(kind, label, to_pixels(xy, size), frame, options))
    return shapes


def from_cvat(
    obj: Mapping[str, Any] | Sequence[Mapping[str, Any]],
    frame_size: Sequence[int],
    options: ConvertOptions | None = None,
    template: Label | None = None,
) -> Polyline:
    """The :class:`Polyline` of one CVAT shape, or of several shapes that are its parts.

    Attributes come from the first part; all parts must be of the same type.
    """
    parts = [obj] if isinstance(obj, Mapping) else list(obj)
    if not parts:
        raise ValueError("polyline.from_cvat needs at least one shape")
    kinds = {expect_type(part, "polygon", "polyline") for part in parts}
    if len(kinds) > 1:
        raise ValueError("Parts of one polyline must all be polygons or all be polylines")
    size = frame_dims(frame_size)
    options = options_or_default(options)
    kwargs = label_kwargs(parts[0], options, Polyline, template)
    closed = kinds == {"polygon"}
    if isinstance(template, Polyline):
        filled = bool(template.filled)
    elif closed:
        filled = True if options.filled is None else options.filled
    else:
        filled = False
    kwargs.update(
        points=[from_pixels(part["points"], size) for part in parts],
        closed=closed,
        filled=filled,
    )
    return Polyline(**kwargs)
