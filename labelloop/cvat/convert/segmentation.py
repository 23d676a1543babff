"""Semantic segmentations <-> one CVAT ``mask`` shape per class value.

Each non-zero pixel value present in the mask becomes a ``mask`` shape named
by ``options.mask_targets`` (value 0, or black for ``#rrggbb`` RGB targets, is
background), cropped to the value's
tight box; every shape carries the segmentation's id. Downloads paint the
shapes (in ``z_order``) into a frame-sized integer mask. A mask with another
size than the frame is resized to the frame by nearest neighbour first, since
CVAT masks live on the frame's pixel grid; same-size masks round-trip exactly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from labelloop.core.labels import Label, Segmentation
from labelloop.cvat import rle
from labelloop.cvat.convert.common import (
    expect_type,
    frame_dims,
    label_kwargs,
    new_shape,
    options_or_default,
)
from labelloop.cvat.convert.instance import resize_nearest
from labelloop.cvat.convert.options import ConvertOptions


def _hex_value(key: str) -> int | None:
    text = key[1:] if key.startswith("#") else ""
    if len(text) != 6:
        return None
    try:
        return int(text, 16)
    except ValueError:
        return None


def _targets(options: ConvertOptions) -> tuple[dict[int, str], bool]:
    """``({packed value: class}, rgb)``: integer targets, or ``#rrggbb`` targets packed."""
    targets = options.mask_targets
    if not targets:
        raise ValueError("Segmentations need options.mask_targets ({pixel value: class name})")
    if all(isinstance(k, (int, np.integer)) and not isinstance(k, bool) for k in targets):
        return {int(k): name for k, name in targets.items()}, False
    packed: dict[int, str] = {}
    for key, name in targets.items():
        value = _hex_value(key) if isinstance(key, str) else None
        if value is None or value in packed:
            raise ValueError(
                "mask_targets keys must all be integer pixel values or all distinct "
                f"'#rrggbb' colors; got {list(targets)}"
            )
        packed[value] = name
    return packed, True


def _pack_rgb(mask: np.ndarray) -> np.ndarray:
    rgb = mask.astype(np.int64)
    return (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]


def to_cvat(
    label: Segmentation,
    frame_size: Sequence[int],
    frame: int = 0,
    options: ConvertOptions | None = None,
) -> list[dict[str, Any]]:
    """``mask`` shapes, one per class value present in the segmentation."""
    if not isinstance(label, Segmentation):
        raise ValueError(f"segmentation.to_cvat takes a Segmentation, not {type(label).__name__}")
    options = options_or_default(options)
    targets, rgb = _targets(options)
    width, height = frame_dims(frame_size)
    mask = label.get_mask()
    if mask is None:
        raise ValueError(f"Segmentation {label.id} has neither mask nor mask_path")
    mask = np.asarray(mask)
    wanted = "an (H, W, 3) RGB" if rgb else "a 2-D integer"
    if (
        mask.ndim != (3 if rgb else 2)
        or (rgb and mask.shape[2] != 3)
        or mask.dtype.kind not in "iub"
    ):
        raise ValueError(
            f"Segmentation {label.id} needs {wanted} mask for these mask_targets, "
            f"got {mask.dtype} {mask.shape}"
        )
    if rgb:
        mask = _pack_rgb(mask)
    if mask.shape != (height, width):
        mask = resize_nearest(mask, height, width)
    values = [int(v) for v in np.unique(mask) if v != 0]
    unnamed = [f"#{v:06x}" if rgb else v for v in values if v not in targets]
    if unnamed:
        raise ValueError(
            f"Segmentation {label.id} has pixel values {unnamed} that mask_targets does not "
            "name; add them to mask_targets"
        )
    shapes = []
    for value in values:
        hit = mask == value
        rows = np.flatnonzero(hit.any(axis=1))
        cols = np.flatnonzero(hit.any(axis=0))
        top, bottom, left, right = rows[0], rows[-1], cols[0], cols[-1]
        points = rle.mask_to_points(hit[top : bottom + 1, left : right + 1], int(left), int(top))
        shapes.append(new_shape("mask", label, points, frame, options, name=targets[value]))
    return shapes


def from_cvat(
    obj: Mapping[str, Any] | Sequence[Mapping[str, Any]],
    frame_size: Sequence[int],
    options: ConvertOptions | None = None,
    template: Label | None = None,
) -> Segmentation:
    """The :class:`Segmentation` painted from a frame's ``mask`` shapes.

    With ``#rrggbb`` mask targets the mask is an ``(H, W, 3)`` uint8 RGB image.

    Id and attributes come from the first shape carrying an id (else the id is
    ``template``'s, else new).
    """
    shapes = [obj] if isinstance(obj, Mapping) else list(obj)
    options = options_or_default(options)
    targets, rgb = _targets(options)
    width, height = frame_dims(frame_size)
    values: dict[str, int] = {}
    for value, name in targets.items():
        if name in values:
            raise ValueError(f"mask_targets names {name!r} twice; class names must be unique")
        values[name] = int(value)
    top_value = max(values.values(), default=0)
    if rgb:
        dtype = np.int64
    elif top_value <= 255:
        dtype = np.uint8
    else:
        dtype = np.uint16 if top_value <= 65535 else np.int64
    out = np.zeros((height, width), dtype=dtype)
    kwargs: dict[str, Any] = {}
    for shape in sorted(shapes, key=lambda s: s.get("z_order", 0)):
        expect_type(shape, "mask")
        name = shape.get("label")
        if name not in values:
            raise ValueError(f"CVAT mask class {name!r} is not in mask_targets {sorted(values)}")
        if "id" not in kwargs:
            kwargs = label_kwargs(shape, options, Segmentation, template)
            del kwargs["label"]
        mask, left, top = rle.points_to_mask(shape["points"])
        piece = mask[: max(0, height - top), : max(0, width - left)]
        region = out[top : top + piece.shape[0], left : left + piece.shape[1]]
        region[piece] = values[name]
    if "id" not in kwargs and template is not None:
        kwargs["id"] = template.id
    if rgb:
        shifts = np.array([16, 8, 0])
        out = ((out[..., None] >> shifts) & 0xFF).astype(np.uint8)
    return Segmentation(mask=out, **kwargs)
