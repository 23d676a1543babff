"""Detections with instance masks <-> CVAT ``mask`` shapes, pixel-exact.

A mask whose size already matches its box in pixels (within one pixel, which
covers sub-pixel boxes and masks one pixel larger than their box as older tools
wrote them) is sent as is, anchored at the rounded top-left corner: no
resizing, so mask -> CVAT -> mask is the identity. Other masks (e.g. 28x28
network outputs) are resized with nearest-neighbour sampling to the rounded
pixel box. Downloads read CVAT's inclusive right/bottom, so the box covers the
mask exactly (no one-pixel drift). Parts of a mask outside the frame are cut
off, since CVAT masks live inside the image.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from labelloop.core.labels import Detection, Label
from labelloop.cvat import rle
from labelloop.cvat.convert.common import (
    expect_type,
    frame_dims,
    label_kwargs,
    new_shape,
    options_or_default,
)
from labelloop.cvat.convert.detection import box_to_pixels
from labelloop.cvat.convert.options import ConvertOptions

logger = logging.getLogger(__name__)


def resize_nearest(mask: np.ndarray, height: int, width: int) -> np.ndarray:
    """``mask`` resampled to ``(height, width)`` by nearest neighbour (pixel centres)."""
    src_h, src_w = mask.shape
    rows = np.minimum(((np.arange(height) + 0.5) * src_h / height).astype(np.int64), src_h - 1)
    cols = np.minimum(((np.arange(width) + 0.5) * src_w / width).astype(np.int64), src_w - 1)
    return mask[rows[:, None], cols[None, :]]


def place_mask(
    mask: np.ndarray, box: Sequence[float], frame_size: tuple[int, int]
) -> tuple[np.ndarray, int, int]:
    """``(pixel mask, left, top)``: the label's mask laid on the frame's pixel grid."""
    mask = np.asarray(mask)
    if mask.ndim != 2 or 0 in mask.shape:
        raise ValueError(f"Detection masks must be non-empty 2-D arrays, got shape {mask.shape}")
    mask = mask != 0
    x0, y0, x1, y1 = box_to_pixels(box, frame_size)
    left, top = int(round(x0)), int(round(y0))
    mask_h, mask_w = mask.shape
    if abs(mask_w - (x1 - x0)) > 1 or abs(mask_h - (y1 - y0)) > 1:
        width = max(1, int(round(x1)) - left)
        height = max(1, int(round(y1)) - top)
        logger.debug("Resizing a %dx%d mask to its %dx%d pixel box", mask_w, mask_h, width, height)
        mask = resize_nearest(mask, height, width)
    frame_w, frame_h = frame_size
    cut_l, cut_t = max(0, -left), max(0, -top)
    cut_r = max(0, left + mask.shape[1] - frame_w)
    cut_b = max(0, top + mask.shape[0] - frame_h)
    if cut_l or cut_t or cut_r or cut_b:
        mask = mask[cut_t : mask.shape[0] - cut_b, cut_l : mask.shape[1] - cut_r]
        if 0 in mask.shape:
            raise ValueError(f"The mask of box {list(box)} lies outside the frame {frame_size}")
        left, top = left + cut_l, top + cut_t
    return mask, left, top


def to_cvat(
    label: Detection,
    frame_size: Sequence[int],
    frame: int = 0,
    options: ConvertOptions | None = None,
) -> list[dict[str, Any]]:
    """One ``mask`` shape for a detection with a ``mask``."""
    if not isinstance(label, Detection):
        raise ValueError(f"instance.to_cvat takes a Detection, not {type(label).__name__}")
    if label.mask is None:
        raise ValueError(
            f"Detection {label.id} has no mask; send it as a rectangle with detection.to_cvat"
        )
    mask, left, top = place_mask(label.mask, label.bounding_box, frame_dims(frame_size))
    points = rle.mask_to_points(mask, left, top)
    return [new_shape("mask", label, points, frame, options_or_default(options))]


def from_cvat(
    obj: Mapping[str, Any],
    frame_size: Sequence[int],
    options: ConvertOptions | None = None,
    template: Label | None = None,
) -> Detection:
    """The :class:`Detection` (bool ``mask`` + box covering it) of a CVAT ``mask`` shape."""
    expect_type(obj, "mask")
    width, height = frame_dims(frame_size)
    mask, left, top = rle.points_to_mask(obj["points"])
    kwargs = label_kwargs(obj, options_or_default(options), Detection, template)
    kwargs["bounding_box"] = [
        left / width,
        top / height,
        mask.shape[1] / width,
        mask.shape[0] / height,
    ]
    kwargs["mask"] = mask
    return Detection(**kwargs)
