"""evaluate_detections() on real datasets: the spec's recipe, stored fields, runs, mAP."""

from __future__ import annotations

import contextlib
import io

import numpy as np
import pytest
from PIL import Image
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

import labelloop.zoo as foz
from labelloop import ViewField as F
from labelloop.evaluation import DetectionResults


def test_basic_recipe_finds_the_sample_with_most_confident_false_positives():
    dataset = foz.load_zoo_dataset("quickstart", dataset_name="evaluation-recipe-example")
    dataset.persistent = True
    dataset.evaluate_detections("predictions", gt_field="ground_truth", eval_key="eval")
    most_fp_view = dataset.filter_labels(
        "predictions", (F("confidence") > 0.8) & (F("eval") == "fp")
    ).sort_by(F("predictions.detections").length(), reverse=True)
    sample_id = most_fp_view.first().id
    view = dataset.select(sample_id)
    assert len(view) == 1

    def confident_fps(sample):
        return sum(
            1 for d in sample.predictions.detections if d.confidence > 0.8 and d.eval == "fp"
        )

    chosen = confident_fps(view.first())
    assert chosen >= 2
    assert chosen == max(confident_fps(s) for s in dataset)
    # the filtered view shows exactly those predictions; the dataset keeps all of them
    assert len(most_fp_view.first().predictions.detections) == chosen
    assert len(view.first().predictions.detections) > chosen


def test_labels_and_samples_carry_consistent_eval_fields(evaluated):
    dataset, _ = evaluated
    for sample in dataset:
        preds, gts = sample.predictions.detections, sample.ground_truth.detections
        by_id = {d.id: d for d in preds + gts}
        assert sample.eval_tp == sum(p.eval == "tp" for p in preds)
        assert sample.eval_fp == sum(p.eval == "fp" for p in preds)
        assert sample.eval_fn == sum(g.eval == "fn" for g in gts)
        for p in preds:
            if p.eval == "tp":
                gt = by_id[p.eval_id]
                assert gt.label == p.label and gt.eval == "tp" and p.eval_iou >= 0.5
                if not gt.iscrowd:
                    assert gt.eval_id == p.id and gt.eval_iou == pytest.approx(p.eval_iou)
            else:
                assert p.eval_id == "" or by_id[p.eval_id].label != p.label
        for g in gts:
            assert g.eval in ("tp", "fn")


def test_results_report_and_run_records(evaluated):
    dataset, results = evaluated
    rep = results.report()
    tp = sum(dataset.values("eval_tp"))
    fp = sum(dataset.values("eval_fp"))
    assert rep["micro avg"]["precision"] == pytest.approx(tp / (tp + fp))
    assert set(results.classes) == set(dataset.distinct("ground_truth.detections.label"))
    assert dataset.list_evaluations() == ["eval"]
    info = dataset.get_evaluation_info("eval")
    assert info.config["pred_field"] == "predictions" and info.config["iou"] == 0.5
    loaded = dataset.load_evaluation_results("eval", cache=False)
    assert isinstance(loaded, DetectionResults) and loaded is not results
    assert loaded.report() == rep
    assert np.array_equal(loaded.confusion_matrix(), results.confusion_matrix())
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        results.print_report()
    assert "micro avg" in out.getvalue() and "person" in out.getvalue()


def test_rerun_and_delete_evaluation(quickstart):
    dataset = quickstart.limit(10).clone()
    dataset.evaluate_detections("predictions", eval_key="e1")
    dataset.evaluate_detections("predictions", eval_key="e1", iou=0.75)  # replaces the run
    assert dataset.list_evaluations() == ["e1"]
    assert dataset.get_evaluation_info("e1").config["iou"] == 0.75
    ious = [d.e1_iou for s in dataset for d in s.predictions.detections if d.e1 == "tp"]
    assert ious and min(ious) >= 0.75
    dataset.delete_evaluation("e1")
    assert dataset.list_evaluations() == []
    assert not dataset.has_sample_field("e1_tp")
    det = dataset.first().predictions.detections[0]
    assert not det.has_field("e1") and not det.has_field("e1_id")


def test_evaluating_a_view_touches_only_its_samples(quickstart):
    dataset = quickstart.limit(30).clone()
    view = dataset.skip(10).limit(5)
    results = view.evaluate_detections("predictions", eval_key="v")
    counts = dataset.values("v_tp")
    assert [c is not None for c in counts] == [False] * 10 + [True] * 5 + [False] * 15
    assert sum(counts[10:15]) == sum(
        1 for g, p in zip(results.gt_labels, results.pred_labels) if g is not None and g == p
    )
    assert len(dataset.load_evaluation_view("v")) == 5


def test_map_agrees_with_pycocotools_on_quickstart(quickstart):
    results = quickstart.evaluate_detections("predictions", compute_mAP=True)
    assert quickstart.list_evaluations() == []  # no eval_key: nothing stored
    classes = sorted(results.class_aps)
    cat_ids = {c: i for i, c in enumerate(classes, 1)}
    images, gts, dets = [], [], []
    for img_id, sample in enumerate(quickstart, 1):
        with Image.open(sample.filepath) as im:
            w, h = im.size
        images.append({"id": img_id, "width": w, "height": h})
        scale = np.array([w, h, w, h])
        for d in sample.ground_truth.detections:
            box = (np.array(d.bounding_box) * scale).tolist()
            gts.append({"id": len(gts) + 1, "image_id": img_id, "category_id": cat_ids[d.label],
                        "bbox": box, "area": box[2] * box[3], "iscrowd": d.iscrowd})  # fmt: skip
        for d in sample.predictions.detections:
            box = (np.array(d.bounding_box) * scale).tolist()
            dets.append({"image_id": img_id, "category_id": cat_ids[d.label], "bbox": box,
                         "score": d.confidence})  # fmt: skip
    with contextlib.redirect_stdout(io.StringIO()):
        coco = COCO()
        coco.dataset = {"images": images, "annotations": gts,
                        "categories": [{"id": i, "name": c} for c, i in cat_ids.items()]}  # fmt: skip
        coco.createIndex()
        ev = COCOeval(coco, coco.loadRes(dets), "bbox")
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    prec = ev.eval["precision"][:, :, :, 0, -1]
    for k, c in enumerate(classes):
        assert results.class_aps[c] == pytest.approx(float(prec[:, :, k].mean()), abs=1e-6)
    assert results.mAP() == pytest.approx(ev.stats[0], abs=1e-6)
    assert 0.1 < results.mAP() < 0.9
    assert results.mAP(["cat", "dog"]) == pytest.approx(
        (results.class_aps["cat"] + results.class_aps["dog"]) / 2
    )


def test_frame_level_evaluation_on_video():
    dataset = foz.load_zoo_dataset("quickstart-video", max_samples=1).clone()
    sample = dataset.first()
    for frame in sample.frames.values():
        for det in frame.detections.detections:
            det.confidence = 0.9
    sample.save()
    results = dataset.evaluate_detections(
        "frames.detections", gt_field="frames.detections", eval_key="fe"
    )
    sample = dataset.first()
    total = sum(len(f.detections.detections) for f in sample.frames.values())
    assert sample.fe_tp == total and sample.fe_fp == 0 and sample.fe_fn == 0
    frame = sample.frames[1]
    assert frame.fe_tp == len(frame.detections.detections)
    assert results.report()["micro avg"]["recall"] == 1.0
    dataset.delete_evaluation("fe")
    assert not dataset.has_frame_field("fe_tp")


def test_bad_arguments_fail_before_anything_is_written(quickstart):
    dataset = quickstart.limit(3).clone()
    cases = [
        ({"pred_field": "nope"}, "not a field"),
        ({"pred_field": "uniqueness"}, "Detections or Polylines"),
        ({"pred_field": "predictions", "iou": 1.5}, "iou must be"),
        ({"pred_field": "predictions", "method": "open-images"}, "method must be"),
        ({"pred_field": "predictions", "gt_field": "frames.detections"}, "both be sample-level"),
        ({"pred_field": "predictions", "eval_key": "bad key"}, "identifier"),
    ]
    for kwargs, message in cases:
        with pytest.raises(ValueError, match=message):
            dataset.evaluate_detections(**{"eval_key": "x", **kwargs})
    assert dataset.list_evaluations() == []
    assert not dataset.has_sample_field("x_tp")


def test_instance_masks_decide_matches_with_use_masks(quickstart):
    ids = [s.id for s in quickstart if any(d.mask is not None for d in s.predictions.detections)]
    dataset = quickstart.select(ids[:8]).clone()
    dataset.evaluate_detections("predictions", eval_key="box")
    dataset.evaluate_detections("predictions", eval_key="seg", use_masks=True)
    compared = 0
    for sample in dataset:
        for det in sample.predictions.detections:
            if det.mask is not None and det.box == "tp" and det.seg == "tp":
                compared += 1
                assert det.seg_iou != pytest.approx(det.box_iou, abs=1e-3)
    assert compared > 0


def test_polylines_are_evaluated_as_polygons(tmp_path):
    import labelloop as ll

    path = tmp_path / "img.jpg"
    Image.new("RGB", (100, 100)).save(path)
    square = [[(0.1, 0.1), (0.5, 0.1), (0.5, 0.5), (0.1, 0.5)]]
    shifted = [[(0.15, 0.1), (0.55, 0.1), (0.55, 0.5), (0.15, 0.5)]]
    far = [[(0.7, 0.7), (0.9, 0.7), (0.9, 0.9)]]
    gt = ll.Polylines(
        polylines=[ll.Polyline(label="roof", points=square, closed=True, filled=True)]
    )
    pred = ll.Polylines(polylines=[
        ll.Polyline(label="roof", points=shifted, closed=True, filled=True, confidence=0.9),
        ll.Polyline(label="roof", points=far, closed=True, filled=True, confidence=0.8),
    ])  # fmt: skip
    dataset = ll.Dataset()
    dataset.add_sample(ll.Sample(str(path), gt=gt, pred=pred))
    dataset.evaluate_detections("pred", gt_field="gt", eval_key="e")
    sample = dataset.first()
    hit, miss = sample.pred.polylines
    assert (hit.e, miss.e, sample.gt.polylines[0].e) == ("tp", "fp", "tp")
    assert hit.e_iou == pytest.approx(0.35 / 0.45, abs=0.02)  # overlap 0.35x0.4 over union
    assert (sample.e_tp, sample.e_fp, sample.e_fn) == (1, 1, 0)
