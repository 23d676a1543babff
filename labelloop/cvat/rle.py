"""CVAT's run-length encoding of binary masks, and the ``mask`` shape's points.

CVAT stores a mask shape as the run lengths of its tight box, read row by row,
starting with a run of zeros (``0`` when the first pixel is set), followed by
the box ``[left, top, right, bottom]`` whose right and bottom are *inclusive*:
a 3x2 mask at the image origin ends with ``[0, 0, 2, 1]``. Everything here is
vectorised with numpy, so 4k masks encode and decode in milliseconds.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np


def encode(mask: np.ndarray) -> list[int]:
    """Run lengths of a 2-D mask (non-zero = set), row-major, starting with zeros."""
    mask = np.asarray(mask)
    if mask.ndim != 2:
        raise ValueError(f"mask must be a 2-D array, got shape {mask.shape}")
    flat = mask.ravel() != 0
    if flat.size == 0:
        return [0]
    starts = np.flatnonzero(flat[1:] != flat[:-1]) + 1
    bounds = np.concatenate(([0], starts, [flat.size]))
    runs = np.diff(bounds).tolist()
    return [0, *runs] if flat[0] else runs


def decode(rle: Sequence[float], width: int, height: int) -> np.ndarray:
    """A ``(height, width)`` bool mask from run lengths (missing tail runs are zeros)."""
    if width < 0 or height < 0:
        raise ValueError(f"width and height must be >= 0, got {width}x{height}")
    counts = np.asarray(rle).ravel()
    if counts.dtype.kind not in "iu":  # CVAT's JSON may carry runs as floats
        counts = counts.astype(np.float64)
        if not np.all(np.isfinite(counts)) or np.any(counts % 1):
            raise ValueError("rle must hold non-negative whole run lengths")
    counts = counts.astype(np.int64)
    if np.any(counts < 0):
        raise ValueError("rle must hold non-negative whole run lengths")
    size = width * height
    total = int(counts.sum())
    if total > size:
        raise ValueError(f"rle covers {total} pixels but the {width}x{height} box has {size}")
    values = (np.arange(counts.size) % 2).astype(bool)
    flat = np.zeros(size, dtype=bool)
    flat[:total] = np.repeat(values, counts)
    return flat.reshape(height, width)


def mask_to_points(mask: np.ndarray, left: int, top: int) -> list[float]:
    """A CVAT ``mask`` shape's points for ``mask`` placed with its corner at ``(left, top)``."""
    mask = np.asarray(mask)
    if mask.ndim != 2 or mask.shape[0] == 0 or mask.shape[1] == 0:
        raise ValueError(f"mask must be a non-empty 2-D array, got shape {mask.shape}")
    height, width = mask.shape
    box = [left, top, left + width - 1, top + height - 1]
    return [float(v) for v in encode(mask)] + [float(v) for v in box]


def points_to_mask(points: Sequence[float]) -> tuple[np.ndarray, int, int]:
    """``(mask, left, top)`` from a CVAT ``mask`` shape's points (RLE + inclusive box)."""
    if len(points) < 5:
        raise ValueError(
            f"mask points need run lengths followed by [left, top, right, bottom]; "
            f"got {len(points)} values"
        )
    left, top, right, bottom = (math.trunc(float(v)) for v in points[-4:])
    if right < left or bottom < top:
        raise ValueError(f"mask box [{left}, {top}, {right}, {bottom}] is empty")
    mask = decode(points[:-4], right - left + 1, bottom - top + 1)
    return mask, left, top
