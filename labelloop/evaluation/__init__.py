"""Detection evaluation: COCO-style matching, reports and mAP.

Importing this package registers ``evaluate_detections`` (and the cleanup of
its runs) with the core, so ``dataset.evaluate_detections(...)`` works once
``labelloop`` is imported.
"""

from labelloop.evaluation.detection import delete_evaluation, evaluate_detections
from labelloop.evaluation.results import DetectionResults

__all__ = ["DetectionResults", "delete_evaluation", "evaluate_detections"]
