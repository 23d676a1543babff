"""COCO average precision: 101-point interpolated precision over IoU 0.50:0.95.

Per class, detections of all images are ranked by confidence; crowd matches
are neither true nor false positives; precision is made monotone and sampled
at 101 recall points; AP averages those samples over the IoU thresholds.
Classes without (non-crowd) ground truth have no AP and are left out of mAP.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from labelloop.evaluation.iou import box_iou
from labelloop.evaluation.matching import match_image, score_order

#: The COCO IoU thresholds 0.50, 0.55, ..., 0.95.
COCO_IOU_THRESHOLDS = np.round(np.linspace(0.5, 0.95, 10), 2)
#: The COCO recall sample points 0.00, 0.01, ..., 1.00.
COCO_RECALL_POINTS = np.linspace(0.0, 1.0, 101)
#: COCO keeps at most this many detections per image and class.
COCO_MAX_DETS = 100


@dataclass
class ClassAccumulator:
    """Ranked detections of one class across images, at several IoU thresholds."""

    thresholds: np.ndarray
    scores: list[np.ndarray] = field(default_factory=list)
    matched: list[np.ndarray] = field(default_factory=list)  # (T, n) each
    ignored: list[np.ndarray] = field(default_factory=list)  # (T, n) each
    num_gt: int = 0

    def add_image(self, ious: np.ndarray, scores: np.ndarray, gt_crowd: np.ndarray) -> None:
        """Match one image's objects of this class at every threshold and keep the flags."""
        crowd = np.asarray(gt_crowd, dtype=bool)
        self.num_gt += int((~crowd).sum())
        order = score_order(scores)[:COCO_MAX_DETS]
        ious = ious[order]
        s = np.asarray(scores, dtype=float)[order]
        t = len(self.thresholds)
        matched = np.zeros((t, len(order)), dtype=bool)
        ignored = np.zeros((t, len(order)), dtype=bool)
        for k, thr in enumerate(self.thresholds):
            m = match_image(ious, s, crowd, float(thr))
            matched[k] = m.pred_gt >= 0
            ignored[k] = m.pred_crowd
        self.scores.append(s)
        self.matched.append(matched)
        self.ignored.append(ignored)

    def precision(self) -> np.ndarray | None:
        """``(T, 101)`` interpolated precision, or ``None`` without ground truth."""
        if self.num_gt == 0:
            return None
        t = len(self.thresholds)
        q = np.zeros((t, len(COCO_RECALL_POINTS)))
        if not self.scores:
            return q
        scores = np.concatenate(self.scores)
        order = np.argsort(-np.where(np.isnan(scores), -np.inf, scores), kind="mergesort")
        matched = np.concatenate(self.matched, axis=1)[:, order]
        ignored = np.concatenate(self.ignored, axis=1)[:, order]
        tps = np.cumsum(matched & ~ignored, axis=1, dtype=float)
        fps = np.cumsum(~matched & ~ignored, axis=1, dtype=float)
        nd = tps.shape[1]
        for k in range(t):
            rc = tps[k] / self.num_gt
            pr = tps[k] / (tps[k] + fps[k] + np.spacing(1))
            pr = np.maximum.accumulate(pr[::-1])[::-1]
            idx = np.searchsorted(rc, COCO_RECALL_POINTS, side="left")
            valid = idx < nd
            q[k, valid] = pr[idx[valid]]
        return q


def average_precision(precision: np.ndarray | None) -> float | None:
    """AP of one class from its ``(T, 101)`` precision table."""
    if precision is None:
        return None
    return float(np.mean(precision))


def mean_average_precision(aps: Sequence[float | None]) -> float:
    """Mean of the defined per-class APs (-1 when none is defined, like COCO)."""
    vals = [a for a in aps if a is not None]
    return float(np.mean(vals)) if vals else -1.0


def coco_class_precision(
    images: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]],
    thresholds: np.ndarray = COCO_IOU_THRESHOLDS,
) -> np.ndarray | None:
    """Precision table of one class from per-image ``(pred_boxes, scores, gt_boxes, crowd)``."""
    acc = ClassAccumulator(np.asarray(thresholds, dtype=float))
    for pboxes, scores, gboxes, crowd in images:
        if len(pboxes) == 0 and len(gboxes) == 0:
            continue
        acc.add_image(box_iou(pboxes, gboxes, crowd), scores, crowd)
    return acc.precision()
