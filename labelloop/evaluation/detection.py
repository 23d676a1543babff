"""``evaluate_detections()`` on datasets and views, and cleanup of its runs.

Registered with the core's extension registry. Arguments are validated
before anything is written; the run is recorded with the shared run-record
mechanism (``labelloop.core.runs``) and the results object is stored with it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from PIL import Image

from labelloop.core import labelops, runs
from labelloop.core.extensions import implements
from labelloop.core.fields import list_attr
from labelloop.core.labels import Detections, Polylines
from labelloop.evaluation import rows
from labelloop.evaluation.ap import COCO_IOU_THRESHOLDS, average_precision, mean_average_precision
from labelloop.evaluation.objects import EvalSettings, ObjectEvaluator
from labelloop.evaluation.results import DetectionResults

logger = logging.getLogger(__name__)

#: Evaluation methods this package implements.
METHODS = ("coco",)
_FRAMES = "frames."


@implements("evaluate_detections")
def evaluate_detections(
    collection: Any,
    pred_field: str,
    gt_field: str = "ground_truth",
    eval_key: str | None = None,
    classes: Sequence[str] | None = None,
    iou: float = 0.5,
    classwise: bool = True,
    method: str = "coco",
    compute_mAP: bool = False,  # noqa: N803 (public API name)
    use_masks: bool = False,
    use_boxes: bool = False,
    iscrowd: str = "iscrowd",
    iou_threshs: Sequence[float] | None = None,
    progress: bool | None = None,
) -> DetectionResults:
    """Match ``pred_field`` objects to ``gt_field`` objects COCO-style at ``iou``.

    With ``eval_key`` every object gets ``<eval_key>`` ("tp"/"fp"/"fn"),
    ``<eval_key>_id`` and ``<eval_key>_iou``, and every sample (and frame)
    gets ``<eval_key>_tp``/``_fp``/``_fn`` counts. ``compute_mAP=True`` adds
    COCO AP per class over ``iou_threshs`` (default 0.50:0.05:0.95).
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if not isinstance(iou, (int, float)) or not 0 < iou <= 1:
        raise ValueError(f"iou must be a number in (0, 1], got {iou!r}")
    threshs = COCO_IOU_THRESHOLDS.tolist() if iou_threshs is None else list(iou_threshs)
    if not threshs or not all(isinstance(t, (int, float)) and 0 < t <= 1 for t in threshs):
        raise ValueError(f"iou_threshs must be numbers in (0, 1], got {iou_threshs!r}")
    if eval_key is not None:
        runs.validate_key(eval_key)
    settings = EvalSettings(
        pred_field=pred_field,
        gt_field=gt_field,
        iou=float(iou),
        classwise=bool(classwise),
        iscrowd=iscrowd,
        use_masks=bool(use_masks),
        use_boxes=bool(use_boxes),
        compute_mAP=bool(compute_mAP),
        iou_threshs=[float(t) for t in threshs],
        method=method,
    )
    _check_fields(collection, pred_field, gt_field)
    with collection.dataset.transaction():  # the run, its labels and results land together
        if eval_key is not None:
            if runs.has_run(collection, eval_key, "evaluation"):
                delete_evaluation(collection, eval_key)
            config = {**settings.to_dict(), "classes": list(classes) if classes else None}
            runs.register_run(collection, "evaluation", eval_key, config, method)
        evaluator = _run(collection, settings, eval_key, bool(progress))
        results = _results(evaluator, classes, eval_key, collection)
        if eval_key is not None:
            runs.save_results(collection, eval_key, results)
    return results


def _run(
    collection: Any, settings: EvalSettings, eval_key: str | None, progress: bool
) -> ObjectEvaluator:
    if rows.applies(collection, settings):
        schema = collection.get_field_schema()
        attrs = (list_attr(schema[settings.gt_field]), list_attr(schema[settings.pred_field]))
        return rows.evaluate_docs(collection, settings, eval_key, attrs, progress)
    evaluator = ObjectEvaluator(settings, eval_key)
    frames = settings.pred_field.startswith(_FRAMES)
    pf, gf = _strip(settings.pred_field), _strip(settings.gt_field)
    masks = settings.use_masks
    for sample in collection.iter_samples(progress=progress, autosave=eval_key is not None):
        if frames:
            totals = [0, 0, 0]
            for frame in sample.frames.values():
                counts = evaluator.evaluate(*_objects(frame, gf, pf), _size(sample, masks))
                _set_counts(frame, eval_key, counts)
                totals = [a + b for a, b in zip(totals, counts)]
            _set_counts(sample, eval_key, (totals[0], totals[1], totals[2]))
        else:
            counts = evaluator.evaluate(*_objects(sample, gf, pf), _size(sample, masks))
            _set_counts(sample, eval_key, counts)
    return evaluator


def _check_fields(collection: Any, pred_field: str, gt_field: str) -> None:
    """Both fields exist, hold the same evaluable label type, at the same level."""
    if pred_field.startswith(_FRAMES) != gt_field.startswith(_FRAMES):
        raise ValueError(
            f"pred_field {pred_field!r} and gt_field {gt_field!r} must both be sample-level "
            "or both frame-level ('frames.' prefix)"
        )
    kinds = {}
    for arg, path in (("pred_field", pred_field), ("gt_field", gt_field)):
        if path.startswith(_FRAMES):
            schema = collection.get_frame_field_schema() or {}
        else:
            schema = collection.get_field_schema()
        spec = schema.get(_strip(path))
        if spec is None:
            raise ValueError(f"{arg} {path!r} is not a field of this collection")
        kinds[arg] = spec.get("cls")
        if kinds[arg] not in (Detections.__name__, Polylines.__name__):
            raise ValueError(
                f"{arg} {path!r} holds {kinds[arg] or spec.get('kind')}; "
                "evaluate_detections needs Detections or Polylines"
            )
    if kinds["pred_field"] != kinds["gt_field"]:
        raise ValueError(
            f"pred_field holds {kinds['pred_field']} but gt_field holds {kinds['gt_field']}; "
            "both must be the same label type"
        )


def _strip(path: str) -> str:
    return path[len(_FRAMES) :] if path.startswith(_FRAMES) else path


def _objects(doc: Any, gt_field: str, pred_field: str) -> tuple[list[Any], list[Any]]:
    gt = doc[gt_field] if doc.has_field(gt_field) else None
    pred = doc[pred_field] if doc.has_field(pred_field) else None
    return (gt.items() if gt is not None else []), (pred.items() if pred is not None else [])


def _size(sample: Any, needed: bool) -> tuple[int, int] | None:
    """(width, height) of the sample's media, for mask IoU only."""
    if not needed:
        return None
    meta = sample.metadata
    if meta is not None and meta.get("width") and meta.get("height"):
        return int(meta.width), int(meta.height)
    if sample.media_type == "image":
        with Image.open(sample.filepath) as img:
            return img.width, img.height
    return None


def _set_counts(doc: Any, eval_key: str | None, counts: tuple[int, int, int]) -> None:
    if eval_key is None:
        return
    for suffix, value in zip(("tp", "fp", "fn"), counts):
        doc[f"{eval_key}_{suffix}"] = int(value)


def _results(
    evaluator: ObjectEvaluator,
    classes: Sequence[str] | None,
    eval_key: str | None,
    collection: Any,
) -> DetectionResults:
    class_aps = map_value = None
    if evaluator.settings.compute_mAP:
        aps = {c: average_precision(acc.precision()) for c, acc in evaluator.accumulators.items()}
        class_aps = {c: a for c, a in sorted(aps.items()) if a is not None}
        wanted = class_aps if classes is None else {c: class_aps.get(c) for c in classes}
        map_value = mean_average_precision(list(wanted.values()))
    return DetectionResults(
        **evaluator.rows.columns(), classes=classes, class_aps=class_aps, map_value=map_value,
        eval_key=eval_key, collection=collection,
    )  # fmt: skip


@implements("delete_evaluation")
def delete_evaluation(collection: Any, eval_key: str) -> None:
    """Delete run ``eval_key`` and the fields it wrote on labels, samples and frames."""
    info = runs.get_run(collection, eval_key, "evaluation")
    dataset = collection.dataset
    names = (eval_key, f"{eval_key}_id", f"{eval_key}_iou")
    counts = [f"{eval_key}_tp", f"{eval_key}_fp", f"{eval_key}_fn"]
    paths = [info.config.get("pred_field"), info.config.get("gt_field")]
    frames = any(p and p.startswith(_FRAMES) for p in paths)
    for path in dict.fromkeys(p for p in paths if p):  # in place: only labels that have them
        labelops.update_label_values(
            dataset,
            path,
            names,
            ((i, [labelops.REMOVE] * 3) for i in labelops.label_ids(dataset, path)),
        )
    for name in counts:
        if dataset.has_sample_field(name):
            dataset.delete_sample_field(name)
        if frames and dataset.has_frame_field(name):
            dataset.delete_frame_field(name)
    runs.delete_run(collection, eval_key, "evaluation")
