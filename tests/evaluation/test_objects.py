"""ObjectEvaluator on label objects: tp/fp/fn marks, crowds, masks, polygons, reports."""

from __future__ import annotations

import numpy as np
import pytest

from labelloop.core.labels import Detection, Polyline
from labelloop.evaluation.ap import average_precision, mean_average_precision
from labelloop.evaluation.objects import EvalSettings, ObjectEvaluator
from labelloop.evaluation.results import DetectionResults
from tests.evaluation.test_ap_vs_pycocotools import H, W, _pycocotools_aps, _random_case


def _det(label, box, conf=None, **attrs):
    return Detection(label=label, bounding_box=list(box), confidence=conf, **attrs)


def _evaluate_case(ev: ObjectEvaluator, gt_json, dets) -> None:
    """Feed a generated COCO-style case (absolute boxes) to ``ev`` image by image."""
    names = {c["id"]: c["name"] for c in gt_json["categories"]}
    scale = np.array([W, H, W, H], float)
    for img in gt_json["images"]:
        gts = [
            _det(names[a["category_id"]], np.array(a["bbox"]) / scale, iscrowd=a["iscrowd"])
            for a in gt_json["annotations"]
            if a["image_id"] == img["id"]
        ]
        preds = [
            _det(names[d["category_id"]], np.array(d["bbox"]) / scale, d["score"])
            for d in dets
            if d["image_id"] == img["id"]
        ]
        ev.evaluate(gts, preds)


def _results(ev: ObjectEvaluator) -> DetectionResults:
    return DetectionResults(**ev.rows.columns())


def test_marks_tp_fp_fn_with_ids_and_ious():
    gt_cat = _det("cat", [0.1, 0.1, 0.2, 0.2], iscrowd=0)
    gt_dog = _det("dog", [0.6, 0.6, 0.2, 0.2], iscrowd=0)
    p_good = _det("cat", [0.11, 0.1, 0.2, 0.2], 0.9)
    p_dup = _det("cat", [0.1, 0.12, 0.2, 0.2], 0.8)  # second hit on a taken object
    p_far = _det("dog", [0.3, 0.6, 0.1, 0.1], 0.95)
    ev = ObjectEvaluator(EvalSettings("predictions"), "eval")
    counts = ev.evaluate([gt_cat, gt_dog], [p_good, p_dup, p_far])
    assert counts == (1, 2, 1)
    assert (p_good.eval, p_good.eval_id) == ("tp", gt_cat.id)
    assert (gt_cat.eval, gt_cat.eval_id) == ("tp", p_good.id)
    # IoU of two 0.2x0.2 boxes shifted by 0.01: 0.19*0.2 / (2*0.04 - 0.19*0.2)
    assert p_good.eval_iou == pytest.approx(0.038 / 0.042)
    assert p_dup.eval == "fp" and p_dup.eval_id == "" and not p_dup.has_field("eval_iou")
    assert p_far.eval == "fp" and gt_dog.eval == "fn" and gt_dog.eval_id == ""


def test_higher_confidence_wins_the_object():
    gt = _det("car", [0.2, 0.2, 0.4, 0.4], iscrowd=0)
    better_box = _det("car", [0.2, 0.2, 0.4, 0.4], 0.6)
    more_confident = _det("car", [0.22, 0.22, 0.4, 0.4], 0.9)
    ev = ObjectEvaluator(EvalSettings("p"), "e")
    ev.evaluate([gt], [better_box, more_confident])
    assert more_confident.e == "tp" and better_box.e == "fp"


def test_crowd_absorbs_several_predictions_and_prefers_regular_objects():
    crowd = _det("person", [0.0, 0.0, 0.6, 0.6], iscrowd=1)
    person = _det("person", [0.1, 0.1, 0.1, 0.3], iscrowd=0)
    inside = [_det("person", [0.3 + 0.1 * k, 0.2, 0.05, 0.2], 0.5 + 0.1 * k) for k in range(3)]
    on_person = _det("person", [0.1, 0.1, 0.1, 0.3], 0.4)
    ev = ObjectEvaluator(EvalSettings("p", compute_mAP=True), "e")
    tp, fp, fn = ev.evaluate([crowd, person], [*inside, on_person])
    assert (tp, fp, fn) == (4, 0, 0)
    assert all(p.e == "tp" and p.e_id == crowd.id and p.e_iou == pytest.approx(1.0) for p in inside)
    assert on_person.e_id == person.id  # the regular object is preferred over the crowd
    # COCO: crowd matches are ignored for AP; the one regular person is found at rank 4 of 4
    ap = average_precision(ev.accumulators["person"].precision())
    assert ap == pytest.approx(1.0)


def test_classwise_false_records_confusions():
    gt = _det("cat", [0.1, 0.1, 0.3, 0.3], iscrowd=0)
    pred = _det("dog", [0.1, 0.1, 0.3, 0.3], 0.9)
    ev = ObjectEvaluator(EvalSettings("p", classwise=False), "e")
    assert ev.evaluate([gt], [pred]) == (0, 1, 1)
    assert pred.e == "fp" and gt.e == "fn" and pred.e_id == gt.id and gt.e_id == pred.id
    res = _results(ev)
    cm = res.confusion_matrix()
    assert res.classes == ["cat", "dog"]
    assert cm[0, 1] == 1 and cm.sum() == 1
    ev2 = ObjectEvaluator(EvalSettings("p", classwise=True), "e")
    assert ev2.evaluate([gt], [pred]) == (0, 1, 1)
    assert pred.e_id == "" and gt.e_id == ""


def test_mask_iou_decides_when_use_masks():
    # two boxes that coincide, but the masks cover opposite halves
    left = np.zeros((10, 10), bool)
    left[:, :5] = True
    gt = _det("cat", [0.0, 0.0, 0.5, 0.5], iscrowd=0, mask=left)
    pred = _det("cat", [0.0, 0.0, 0.5, 0.5], 0.9, mask=~left)
    ev = ObjectEvaluator(EvalSettings("p", use_masks=True), "e")
    assert ev.evaluate([gt], [pred], frame_size=(20, 20)) == (0, 1, 1)
    ev = ObjectEvaluator(EvalSettings("p"), "e")
    assert ev.evaluate([gt], [pred]) == (1, 0, 0)
    with pytest.raises(ValueError, match="compute_metadata"):
        ObjectEvaluator(EvalSettings("p", use_masks=True), "e").evaluate([gt], [pred])


def test_polygon_iou_for_polylines():
    square = [[(0.1, 0.1), (0.5, 0.1), (0.5, 0.5), (0.1, 0.5)]]
    triangle = [[(0.1, 0.1), (0.5, 0.1), (0.1, 0.5)]]  # half the square
    gt = Polyline(label="roof", points=square, closed=True, filled=True, iscrowd=0)
    pred = Polyline(label="roof", points=triangle, closed=True, filled=True, confidence=0.7)
    ev = ObjectEvaluator(EvalSettings("p", iou=0.45), "e")
    assert ev.evaluate([gt], [pred]) == (1, 0, 0)
    assert pred.e_iou == pytest.approx(0.5, abs=0.02)
    ev = ObjectEvaluator(EvalSettings("p", iou=0.55), "e")
    assert ev.evaluate([gt], [pred]) == (0, 1, 1)
    ev = ObjectEvaluator(EvalSettings("p", iou=0.9, use_boxes=True), "e")
    assert ev.evaluate([gt], [pred]) == (1, 0, 0)  # same bounding boxes


def test_report_agrees_with_confusion_matrix():
    gt_json, dets = _random_case(5, num_images=15)
    ev = ObjectEvaluator(EvalSettings("p", classwise=False), None)
    _evaluate_case(ev, gt_json, dets)
    res = _results(ev)
    rep = res.report()
    cm = res.confusion_matrix(include_missing=True)
    for k, c in enumerate(res.classes):
        tp = cm[k, k]
        assert rep[c]["precision"] == pytest.approx(tp / cm[:, k].sum())
        assert rep[c]["recall"] == pytest.approx(tp / cm[k, :].sum())
        assert rep[c]["support"] == cm[k, :].sum()
    assert rep["micro avg"]["support"] == cm[:-1, :].sum()
    text = res.format_report()
    assert all(c in text for c in res.classes) and "weighted avg" in text


def test_evaluator_ap_matches_pycocotools_on_labels():
    gt_json, dets = _random_case(7)
    expected = _pycocotools_aps(gt_json, dets)
    names = {c["id"]: c["name"] for c in gt_json["categories"]}
    ev = ObjectEvaluator(EvalSettings("p", compute_mAP=True), "eval")
    _evaluate_case(ev, gt_json, dets)
    ours = {c: average_precision(a.precision()) for c, a in ev.accumulators.items()}
    for cat_id, ap in expected.items():
        assert ours[names[cat_id]] == pytest.approx(ap, abs=1e-6)
    assert mean_average_precision(list(ours.values())) == pytest.approx(
        np.mean(list(expected.values())), abs=1e-6
    )


def test_results_round_trip_and_map_errors():
    ev = ObjectEvaluator(EvalSettings("p"), "e")
    ev.evaluate(
        [_det("cat", [0.1, 0.1, 0.2, 0.2], iscrowd=0)], [_det("cat", [0.1, 0.1, 0.2, 0.2], 0.5)]
    )
    res = _results(ev)
    with pytest.raises(ValueError, match="compute_mAP=True"):
        res.mAP()
    back = DetectionResults.from_dict(res.to_dict())
    assert back.report() == res.report()
    assert res.to_dict()["cls"] == "labelloop.evaluation.results.DetectionResults"
