"""Evaluating the objects of one image (or video frame) against its ground truth.

Works on label objects only, so it is independent of how a collection stores
them: given the ground-truth and predicted ``Detection``/``Polyline`` items of
one image it computes the IoU matrix (boxes, instance masks or polygons),
matches at the evaluation IoU, writes ``<eval_key>``, ``<eval_key>_id`` and
``<eval_key>_iou`` onto the labels, and feeds the per-class AP accumulators.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from labelloop.core.labels import Detection, Label, Polyline
from labelloop.evaluation.ap import COCO_IOU_THRESHOLDS, ClassAccumulator
from labelloop.evaluation.iou import box_iou, mask_iou, polygon_iou, polygons_bounds
from labelloop.evaluation.matching import match_image
from labelloop.formats.masks import paste_mask


@dataclass
class EvalSettings:
    """Options of one evaluation run (stored with the run record)."""

    pred_field: str
    gt_field: str = "ground_truth"
    iou: float = 0.5
    classwise: bool = True
    iscrowd: str = "iscrowd"
    use_masks: bool = False
    use_boxes: bool = False
    compute_mAP: bool = False  # noqa: N815 (public option name)
    iou_threshs: list[float] = field(default_factory=lambda: COCO_IOU_THRESHOLDS.tolist())
    method: str = "coco"

    def to_dict(self) -> dict[str, Any]:
        """Plain dict of the settings."""
        return dict(vars(self))


class MatchRows:
    """Match rows (one per match or miss) collected as label pairs, tabulated on demand."""

    def __init__(self) -> None:
        self.pairs: list[tuple[Label | None, Label | None, float | None]] = []

    def add(self, gt: Label | None, pred: Label | None, iou: float | None) -> None:
        """Record one row."""
        self.pairs.append((gt, pred, iou))

    def columns(self) -> dict[str, list[Any]]:
        """The rows as columns: ``gt_labels``, ``pred_labels``, ``ious``, ``confidences``,
        ``gt_ids`` and ``pred_ids`` (``None`` for a missing side)."""
        cols: dict[str, list[Any]] = {
            k: [] for k in ("gt_labels", "pred_labels", "ious", "confidences", "gt_ids", "pred_ids")
        }
        for gt, pred, iou in self.pairs:
            cols["gt_labels"].append(gt["label"] if gt is not None else None)
            cols["pred_labels"].append(pred["label"] if pred is not None else None)
            cols["ious"].append(iou)
            cols["confidences"].append(pred["confidence"] if pred is not None else None)
            cols["gt_ids"].append(gt["id"] if gt is not None else None)
            cols["pred_ids"].append(pred["id"] if pred is not None else None)
        return cols


class ObjectEvaluator:
    """Evaluates images one at a time and collects rows and AP statistics."""

    def __init__(self, settings: EvalSettings, eval_key: str | None) -> None:
        self.settings = settings
        self.eval_key = eval_key
        self.rows = MatchRows()
        self.accumulators: dict[str, ClassAccumulator] = {}

    def evaluate(
        self,
        gts: Sequence[Label],
        preds: Sequence[Label],
        frame_size: tuple[int, int] | None = None,
    ) -> tuple[int, int, int]:
        """Match one image's objects; return its ``(tp, fp, fn)`` counts.

        ``frame_size`` (width, height) is needed only for instance-mask IoU.
        """
        s = self.settings
        crowd = np.array([bool(g.get_field(s.iscrowd, 0)) for g in gts], dtype=bool)
        ious = self._ious(gts, preds, crowd, frame_size)
        confs = [p["confidence"] for p in preds]
        scores = np.array([np.nan if c is None else c for c in confs], dtype=float)
        gnames = [g["label"] for g in gts]
        pnames = [p["label"] for p in preds]
        glabels = np.array(gnames, dtype=object)
        plabels = np.array(pnames, dtype=object)
        same = plabels[:, None] == glabels[None, :] if s.classwise else None
        m = match_image(ious, scores, crowd, s.iou, same)
        pred_gt, gt_pred, pred_iou = m.pred_gt.tolist(), m.gt_pred.tolist(), m.pred_iou.tolist()
        add, mark = self.rows.pairs.append, self._mark
        tp = fp = fn = 0
        for i, pred in enumerate(preds):
            j = pred_gt[i]
            if j >= 0:
                gt, iou = gts[j], pred_iou[i]
                hit = gnames[j] == pnames[i]
            else:
                gt, iou, hit = None, None, False
            tp, fp = tp + hit, fp + (not hit)
            mark(pred, "tp" if hit else "fp", gt, iou)
            add((gt, pred, iou))
        for j, gt in enumerate(gts):
            i = gt_pred[j]
            if i >= 0:
                hit = gnames[j] == pnames[i]
                mark(gt, "tp" if hit else "fn", preds[i], pred_iou[i])
                fn += not hit  # matched pairs were recorded from the prediction side
            else:
                mark(gt, "fn", None, None)
                add((gt, None, None))
                fn += 1
        if s.compute_mAP:
            self._accumulate(ious, scores, crowd, glabels, plabels)
        return tp, fp, fn

    def _ious(
        self,
        gts: Sequence[Label],
        preds: Sequence[Label],
        crowd: np.ndarray,
        frame_size: tuple[int, int] | None,
    ) -> np.ndarray:
        s = self.settings
        if not gts or not preds:
            return np.zeros((len(preds), len(gts)))
        if _is_polyline(gts[0]) or _is_polyline(preds[0]):
            if s.use_boxes:
                pb = np.array([polygons_bounds(p.points) for p in preds])
                gb = np.array([polygons_bounds(g.points) for g in gts])
                return box_iou(pb, gb, crowd)
            return polygon_iou([p.points for p in preds], [g.points for g in gts], crowd)
        if s.use_masks:
            if frame_size is None:
                raise ValueError(
                    "use_masks=True needs image sizes: run compute_metadata() on the collection"
                )
            w, h = frame_size
            pm = [paste_mask(p.bounding_box, p.mask, w, h) for p in preds]
            gm = [paste_mask(g.bounding_box, g.mask, w, h) for g in gts]
            return mask_iou(pm, gm, crowd)
        pb = np.array([p.bounding_box for p in preds], dtype=float)
        gb = np.array([g.bounding_box for g in gts], dtype=float)
        return box_iou(pb, gb, crowd)

    def _mark(self, label: Label, outcome: str, other: Label | None, iou: float | None) -> None:
        key = self.eval_key
        if key is None:
            return
        label[key] = outcome
        label[f"{key}_id"] = other["id"] if other is not None else ""
        if iou is not None:
            label[f"{key}_iou"] = iou
        elif label.has_field(f"{key}_iou"):
            label.clear_field(f"{key}_iou")

    def _accumulate(
        self,
        ious: np.ndarray,
        scores: np.ndarray,
        crowd: np.ndarray,
        glabels: np.ndarray,
        plabels: np.ndarray,
    ) -> None:
        thresholds = np.asarray(self.settings.iou_threshs, dtype=float)
        for c in set(glabels.tolist()) | set(plabels.tolist()):
            pi = np.flatnonzero(plabels == c)
            gi = np.flatnonzero(glabels == c)
            acc = self.accumulators.get(c)
            if acc is None:
                acc = self.accumulators[c] = ClassAccumulator(thresholds)
            acc.add_image(ious[np.ix_(pi, gi)], scores[pi], crowd[gi])


def _is_polyline(label: Any) -> bool:
    """A ``Polyline``, as an object or as its stored document."""
    return isinstance(label, Polyline) or (
        isinstance(label, dict) and label.get("_cls") == Polyline.__name__
    )


def is_object_label(label: Any) -> bool:
    """Whether ``label`` is an item this module evaluates."""
    return isinstance(label, (Detection, Polyline))
