"""Intersection-over-union between sets of objects, vectorised with numpy.

Boxes are ``[x, y, w, h]`` in any consistent unit (relative coordinates are
fine: IoU is invariant to scaling each axis). For a *crowd* ground truth the
overlap is measured the COCO way, as intersection over the prediction's own
area, so a prediction lying inside a crowd region scores 1.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PIL import Image, ImageDraw

#: Side of the raster used to compare polygons (per pair, over their joint extent).
POLYGON_RASTER_SIZE = 256


def box_iou(preds: np.ndarray, gts: np.ndarray, gt_crowd: np.ndarray | None = None) -> np.ndarray:
    """IoU matrix of shape ``(len(preds), len(gts))`` for ``[x, y, w, h]`` boxes."""
    preds = np.asarray(preds, dtype=float).reshape(-1, 4)
    gts = np.asarray(gts, dtype=float).reshape(-1, 4)
    px1, py1 = preds[:, 0:1], preds[:, 1:2]
    px2, py2 = px1 + preds[:, 2:3], py1 + preds[:, 3:4]
    gx1, gy1 = gts[:, 0], gts[:, 1]
    gx2, gy2 = gx1 + gts[:, 2], gy1 + gts[:, 3]
    iw = np.clip(np.minimum(px2, gx2) - np.maximum(px1, gx1), 0.0, None)
    ih = np.clip(np.minimum(py2, gy2) - np.maximum(py1, gy1), 0.0, None)
    inter = iw * ih
    parea = preds[:, 2:3] * preds[:, 3:4]
    garea = gts[:, 2] * gts[:, 3]
    union = parea + garea - inter
    if gt_crowd is not None and len(gts):
        crowd = np.asarray(gt_crowd, dtype=bool)
        union = np.where(crowd[None, :], np.broadcast_to(parea, union.shape), union)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)
    return out


def mask_iou(
    preds: Sequence[np.ndarray],
    gts: Sequence[np.ndarray],
    gt_crowd: np.ndarray | None = None,
) -> np.ndarray:
    """IoU matrix between full-frame boolean masks of equal shape."""
    if not len(preds) or not len(gts):
        return np.zeros((len(preds), len(gts)))
    p = np.stack([np.asarray(m, dtype=bool).ravel() for m in preds]).astype(np.float32)
    g = np.stack([np.asarray(m, dtype=bool).ravel() for m in gts]).astype(np.float32)
    inter = p @ g.T
    parea = p.sum(axis=1)[:, None]
    garea = g.sum(axis=1)[None, :]
    union = parea + garea - inter
    if gt_crowd is not None:
        union = np.where(np.asarray(gt_crowd, dtype=bool)[None, :], parea, union)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)


def polygons_bounds(shapes: Sequence[Sequence[Sequence[float]]]) -> np.ndarray:
    """``[x, y, w, h]`` bounding box of a list of polygons (empty -> zeros)."""
    pts = [p for shape in shapes for p in shape]
    if not pts:
        return np.zeros(4)
    arr = np.asarray(pts, dtype=float)
    lo, hi = arr.min(axis=0), arr.max(axis=0)
    return np.array([lo[0], lo[1], hi[0] - lo[0], hi[1] - lo[1]])


def polygon_iou(
    preds: Sequence[Sequence[Sequence[Sequence[float]]]],
    gts: Sequence[Sequence[Sequence[Sequence[float]]]],
    gt_crowd: np.ndarray | None = None,
) -> np.ndarray:
    """IoU matrix between filled polygons (each item a list of closed shapes).

    Pairs whose bounding boxes do not touch are 0 without rasterising; the rest
    are rasterised together on a ``POLYGON_RASTER_SIZE`` grid over their joint
    extent, which keeps the error around a percent for typical shapes.
    """
    pboxes = np.array([polygons_bounds(s) for s in preds]).reshape(-1, 4)
    gboxes = np.array([polygons_bounds(s) for s in gts]).reshape(-1, 4)
    out = np.zeros((len(preds), len(gts)))
    crowd = np.zeros(len(gts), bool) if gt_crowd is None else np.asarray(gt_crowd, bool)
    overlapping = box_iou(pboxes, gboxes, crowd) > 0
    for i, j in zip(*np.nonzero(overlapping)):
        a = _raster_pair(preds[i], gts[j], pboxes[i], gboxes[j])
        pm, gm = a
        inter = np.logical_and(pm, gm).sum()
        union = pm.sum() if crowd[j] else np.logical_or(pm, gm).sum()
        out[i, j] = inter / union if union else 0.0
    return out


def _raster_pair(
    pshapes: Sequence[Sequence[Sequence[float]]],
    gshapes: Sequence[Sequence[Sequence[float]]],
    pbox: np.ndarray,
    gbox: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    x0 = min(pbox[0], gbox[0])
    y0 = min(pbox[1], gbox[1])
    x1 = max(pbox[0] + pbox[2], gbox[0] + gbox[2])
    y1 = max(pbox[1] + pbox[3], gbox[1] + gbox[3])
    scale = POLYGON_RASTER_SIZE / max(x1 - x0, y1 - y0, 1e-12)
    size = (
        max(1, int(np.ceil((x1 - x0) * scale))),
        max(1, int(np.ceil((y1 - y0) * scale))),
    )
    masks = []
    for shapes in (pshapes, gshapes):
        img = Image.new("1", size, 0)
        draw = ImageDraw.Draw(img)
        for shape in shapes:
            if len(shape) >= 3:
                draw.polygon([((x - x0) * scale, (y - y0) * scale) for x, y in shape], fill=1)
        masks.append(np.asarray(img, dtype=bool))
    return masks[0], masks[1]
