"""What a detection evaluation returns: matches, per-class metrics, mAP.

The results hold one row per match or miss (ground-truth label, predicted
label, IoU, confidence, both ids); a missing side is ``None``, shown as
``"(none)"``. Precision/recall/F1 per class follow the usual definitions
(scikit-learn's ``classification_report``): a row is a hit for class ``c``
when both labels are ``c``.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import numpy as np

#: Shown in reports and confusion matrices for "no object on this side".
MISSING_LABEL = "(none)"


class DetectionResults:
    """Outcome of ``evaluate_detections()``; rebuilt from run records by ``from_dict``."""

    def __init__(
        self,
        gt_labels: Sequence[str | None],
        pred_labels: Sequence[str | None],
        ious: Sequence[float | None],
        confidences: Sequence[float | None],
        gt_ids: Sequence[str | None],
        pred_ids: Sequence[str | None],
        classes: Sequence[str] | None = None,
        class_aps: dict[str, float] | None = None,
        map_value: float | None = None,
        eval_key: str | None = None,
        collection: Any = None,
    ) -> None:
        self.gt_labels = list(gt_labels)
        self.pred_labels = list(pred_labels)
        self.ious = list(ious)
        self.confidences = list(confidences)
        self.gt_ids = list(gt_ids)
        self.pred_ids = list(pred_ids)
        found = {x for x in self.gt_labels + self.pred_labels if x is not None}
        self.classes = list(classes) if classes is not None else sorted(found)
        self.class_aps = dict(class_aps) if class_aps is not None else None
        self._map = map_value
        self.eval_key = eval_key
        self.collection = collection

    # -- metrics ----------------------------------------------------------

    def report(self, classes: Sequence[str] | None = None) -> dict[str, dict[str, float]]:
        """Per-class ``precision``/``recall``/``f1-score``/``support`` plus micro, macro
        and weighted averages over ``classes`` (default: all classes seen)."""
        classes = list(classes) if classes is not None else self.classes
        gt = np.array([x if x is not None else "" for x in self.gt_labels], dtype=object)
        pred = np.array([x if x is not None else "" for x in self.pred_labels], dtype=object)
        out: dict[str, dict[str, float]] = {}
        tp_all = pred_all = true_all = 0
        for c in classes:
            tp = int(np.sum((gt == c) & (pred == c)))
            n_pred = int(np.sum(pred == c))
            n_true = int(np.sum(gt == c))
            out[c] = _prf(tp, n_pred, n_true)
            tp_all, pred_all, true_all = tp_all + tp, pred_all + n_pred, true_all + n_true
        if classes:
            out["micro avg"] = _prf(tp_all, pred_all, true_all)
            rows = [out[c] for c in classes]
            keys = ("precision", "recall", "f1-score")
            out["macro avg"] = {k: float(np.mean([r[k] for r in rows])) for k in keys}
            out["macro avg"]["support"] = true_all
            w = np.array([r["support"] for r in rows], dtype=float)
            out["weighted avg"] = {
                k: float(np.dot(w, [r[k] for r in rows]) / w.sum()) if w.sum() else 0.0
                for k in keys
            }
            out["weighted avg"]["support"] = true_all
        return out

    def print_report(self, classes: Sequence[str] | None = None, digits: int = 2) -> None:
        """Write :meth:`report` as a table to standard output."""
        sys.stdout.write(self.format_report(classes, digits))

    def format_report(self, classes: Sequence[str] | None = None, digits: int = 2) -> str:
        """:meth:`report` as an aligned text table."""
        rep = self.report(classes)
        names = list(rep)
        width = max([len(n) for n in names] + [12])
        head = f"{'':>{width}} {'precision':>9} {'recall':>9} {'f1-score':>9} {'support':>9}\n"
        lines = [head, "\n"]
        for name in names:
            if name == "micro avg":
                lines.append("\n")
            r = rep[name]
            lines.append(
                f"{name:>{width}} {r['precision']:>9.{digits}f} {r['recall']:>9.{digits}f} "
                f"{r['f1-score']:>9.{digits}f} {int(r['support']):>9d}\n"
            )
        return "".join(lines)

    def mAP(self, classes: Sequence[str] | None = None) -> float:  # noqa: N802 (public API name)
        """COCO mAP (IoU 0.50:0.95), or over ``classes`` only; needs ``compute_mAP=True``."""
        if self.class_aps is None:
            raise ValueError(
                "mAP was not computed for this evaluation; "
                "run evaluate_detections(..., compute_mAP=True)"
            )
        if classes is None:
            return float(self._map) if self._map is not None else -1.0
        vals = [self.class_aps[c] for c in classes if c in self.class_aps]
        return float(np.mean(vals)) if vals else -1.0

    def confusion_matrix(
        self, classes: Sequence[str] | None = None, include_missing: bool = True
    ) -> np.ndarray:
        """Counts with ground truth in rows and predictions in columns.

        Order is ``classes`` (default all), then ``"(none)"`` when
        ``include_missing``: its row counts false positives (nothing matched) and
        its column misses.
        """
        labels = list(classes) if classes is not None else list(self.classes)
        if include_missing:
            labels.append(MISSING_LABEL)
        index = {name: i for i, name in enumerate(labels)}
        cm = np.zeros((len(labels), len(labels)), dtype=int)
        for g, p in zip(self.gt_labels, self.pred_labels):
            gi = index.get(g if g is not None else MISSING_LABEL)
            pi = index.get(p if p is not None else MISSING_LABEL)
            if gi is not None and pi is not None:
                cm[gi, pi] += 1
        return cm

    # -- run records --------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form with the class path under ``cls``."""
        return {
            "cls": f"{type(self).__module__}.{type(self).__qualname__}",
            "gt_labels": self.gt_labels,
            "pred_labels": self.pred_labels,
            "ious": [None if v is None else float(v) for v in self.ious],
            "confidences": [None if v is None else float(v) for v in self.confidences],
            "gt_ids": self.gt_ids,
            "pred_ids": self.pred_ids,
            "classes": self.classes,
            "class_aps": self.class_aps,
            "mAP": self._map,
            "eval_key": self.eval_key,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any], collection: Any = None) -> DetectionResults:
        """Rebuild results saved by :meth:`to_dict`."""
        return cls(
            d["gt_labels"],
            d["pred_labels"],
            d["ious"],
            d["confidences"],
            d["gt_ids"],
            d["pred_ids"],
            classes=d.get("classes"),
            class_aps=d.get("class_aps"),
            map_value=d.get("mAP"),
            eval_key=d.get("eval_key"),
            collection=collection,
        )

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__}: {len(self.gt_labels)} matches, {len(self.classes)} classes>"
        )


def _prf(tp: int, n_pred: int, n_true: int) -> dict[str, float]:
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_true if n_true else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": p, "recall": r, "f1-score": f, "support": n_true}
