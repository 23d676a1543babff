"""Our COCO matching and AP against pycocotools, the reference implementation."""

from __future__ import annotations

import contextlib
import io

import numpy as np
import pytest
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from labelloop.evaluation.ap import average_precision, coco_class_precision

W, H = 640, 480
CLASSES = ["cat", "dog", "car", "person"]


def _random_case(seed: int, num_images: int = 40):
    """Ground truth and jittered/false predictions with continuous random scores."""
    rng = np.random.default_rng(seed)
    images, gts, dets = [], [], []
    for img_id in range(1, num_images + 1):
        images.append({"id": img_id, "width": W, "height": H, "file_name": f"{img_id}.jpg"})
        for _ in range(rng.integers(0, 9)):
            w, h = rng.uniform(20, 200), rng.uniform(20, 200)
            box = [rng.uniform(0, W - w), rng.uniform(0, H - h), w, h]
            cat = int(rng.integers(1, len(CLASSES) + 1))
            crowd = int(rng.random() < 0.08)
            gts.append(
                {
                    "image_id": img_id,
                    "category_id": cat,
                    "bbox": box,
                    "area": w * h,
                    "iscrowd": crowd,
                }
            )
            for _ in range(rng.integers(0, 3)):  # true-ish positives, sometimes poor
                j = rng.normal(0, 0.15, 4) * [w, h, w, h]
                pb = [box[0] + j[0], box[1] + j[1], max(2.0, w + j[2]), max(2.0, h + j[3])]
                dets.append(
                    {
                        "image_id": img_id,
                        "category_id": cat,
                        "bbox": pb,
                        "score": float(rng.random()),
                    }
                )
        for _ in range(rng.integers(0, 5)):  # false positives
            w, h = rng.uniform(10, 150), rng.uniform(10, 150)
            dets.append(
                {
                    "image_id": img_id,
                    "category_id": int(rng.integers(1, 5)),
                    "bbox": [rng.uniform(0, W - w), rng.uniform(0, H - h), w, h],
                    "score": float(rng.random()),
                }
            )
    for i, g in enumerate(gts, 1):
        g["id"] = i
    cats = [{"id": i, "name": n} for i, n in enumerate(CLASSES, 1)]
    return {"images": images, "annotations": gts, "categories": cats}, dets


def _pycocotools_aps(gt_json, dets):
    with contextlib.redirect_stdout(io.StringIO()):
        coco = COCO()
        coco.dataset = gt_json
        coco.createIndex()
        res = coco.loadRes(dets)
        ev = COCOeval(coco, res, "bbox")
        ev.evaluate()
        ev.accumulate()
    prec = ev.eval["precision"][:, :, :, 0, -1]  # area "all", maxDets 100
    out = {}
    for k, cat_id in enumerate(ev.params.catIds):
        p = prec[:, :, k]
        out[cat_id] = float(np.mean(p[p > -1])) if (p > -1).any() else None
    return out


def _our_aps(gt_json, dets):
    out = {}
    for cat in gt_json["categories"]:
        per_image = []
        for img in gt_json["images"]:
            g = [
                a
                for a in gt_json["annotations"]
                if a["image_id"] == img["id"] and a["category_id"] == cat["id"]
            ]
            d = [a for a in dets if a["image_id"] == img["id"] and a["category_id"] == cat["id"]]
            # relative coordinates, as labelloop stores boxes
            scale = np.array([W, H, W, H], float)
            per_image.append(
                (
                    np.array([a["bbox"] for a in d], float).reshape(-1, 4) / scale,
                    np.array([a["score"] for a in d], float),
                    np.array([a["bbox"] for a in g], float).reshape(-1, 4) / scale,
                    np.array([a["iscrowd"] for a in g], bool),
                )
            )
        out[cat["id"]] = average_precision(coco_class_precision(per_image))
    return out


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_per_class_ap_matches_pycocotools(seed):
    gt_json, dets = _random_case(seed)
    expected = _pycocotools_aps(gt_json, dets)
    ours = _our_aps(gt_json, dets)
    assert set(ours) == set(expected)
    for cat_id, ap in expected.items():
        assert ap is not None and ours[cat_id] is not None
        assert ours[cat_id] == pytest.approx(ap, abs=1e-6)
    # the case is not degenerate: APs differ between classes and lie strictly inside (0, 1)
    assert len({round(a, 6) for a in ours.values()}) > 1
    assert all(0.0 < a < 1.0 for a in ours.values())
