"""COCO-style greedy matching of predictions to ground truth in one image.

Predictions are visited by decreasing confidence; each takes the unmatched,
non-crowd ground truth it overlaps most (IoU at least the threshold). Only when
no such object exists may it fall back to a crowd object, which can absorb any
number of predictions. This is the rule of the COCO evaluation server, so
average precision computed from these matches agrees with ``pycocotools``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class ImageMatches:
    """Outcome of matching one image (or one class of one image) at one threshold."""

    #: For each prediction, the index of its ground truth or -1.
    pred_gt: np.ndarray
    #: For each prediction, the IoU with its ground truth (NaN when unmatched).
    pred_iou: np.ndarray
    #: For each ground truth, the index of the (last) prediction matched to it or -1.
    gt_pred: np.ndarray
    #: For each prediction, whether its match is a crowd object.
    pred_crowd: np.ndarray


def score_order(scores: np.ndarray) -> np.ndarray:
    """Indices sorting ``scores`` high to low, stable; missing scores go last."""
    s = np.asarray(scores, dtype=float)
    s = np.where(np.isnan(s), -np.inf, s)
    return np.argsort(-s, kind="mergesort")


def match_image(
    ious: np.ndarray,
    scores: np.ndarray,
    gt_crowd: np.ndarray,
    threshold: float,
    allowed: np.ndarray | None = None,
) -> ImageMatches:
    """Match predictions (rows of ``ious``) to ground truth (columns).

    ``allowed`` (same shape as ``ious``) restricts which pairs may match, e.g.
    only same-class pairs when evaluating classwise.
    """
    n, m = ious.shape
    pred_gt = np.full(n, -1, dtype=int)
    pred_iou = np.full(n, np.nan)
    gt_pred = np.full(m, -1, dtype=int)
    pred_crowd = np.zeros(n, dtype=bool)
    if n == 0 or m == 0:
        return ImageMatches(pred_gt, pred_iou, gt_pred, pred_crowd)
    crowd = np.asarray(gt_crowd, dtype=bool)
    thr = min(threshold, 1 - 1e-10)
    ok = ious >= thr
    if allowed is not None:
        ok &= allowed
    candidates = ok.any(axis=1)
    taken = np.zeros(m, dtype=bool)
    for i in score_order(scores):
        if not candidates[i]:
            continue
        row = ious[i]
        free = ok[i] & ~crowd & ~taken
        if not free.any():
            free = ok[i] & crowd
            if not free.any():
                continue
        vals = np.where(free, row, -np.inf)
        j = m - 1 - int(np.argmax(vals[::-1]))  # last of equal maxima, as COCO does
        pred_gt[i] = j
        pred_iou[i] = row[j]
        gt_pred[j] = i
        pred_crowd[i] = crowd[j]
        if not crowd[j]:
            taken[j] = True
    return ImageMatches(pred_gt, pred_iou, gt_pred, pred_crowd)
