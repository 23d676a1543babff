"""evaluate_detections over plain documents equals the per-sample loop it replaces.

Each case evaluates two identical datasets (same label ids), one by the document
path and one with it switched off, and compares every stored label and sample
field, the results' match rows, the report and mAP. The data varies what
matching depends on: classes, crowd objects, missing confidences, empty and
missing fields, stale evaluation attributes, views that filter labels.
"""

from __future__ import annotations

import random

import pytest

import labelloop as ll
from labelloop import ViewField as F
from labelloop.evaluation import rows

CLASSES = ["cat", "dog", "bird"]


def _box(rng):
    return [
        rng.random() * 0.6,
        rng.random() * 0.6,
        0.1 + rng.random() * 0.3,
        0.1 + rng.random() * 0.3,
    ]


def _jitter(box, rng):
    return [box[0] + rng.uniform(-0.05, 0.05), box[1] + rng.uniform(-0.05, 0.05), *box[2:]]


def _samples(seed, n=40):
    rng = random.Random(seed)
    out = []
    for i in range(n):
        gts, preds = [], []
        for j in range(rng.randrange(0, 6)):
            box = _box(rng)
            extra = {"iscrowd": 1} if rng.random() < 0.15 else {}
            if rng.random() < 0.1:
                extra["crowd"] = True  # a custom crowd attribute for iscrowd="crowd"
            gts.append(
                ll.Detection(
                    id=f"{seed:04d}{i:04d}{j:04d}aaaaaaaaaaaa",
                    label=rng.choice(CLASSES),
                    bounding_box=box,
                    **extra,
                )
            )
            for k in range(rng.randrange(0, 3)):
                conf = None if rng.random() < 0.1 else round(rng.random(), 3)
                extra = {"ev_iou": 0.5, "ev": "stale"} if rng.random() < 0.1 else {}
                preds.append(ll.Detection(
                    id=f"{seed:04d}{i:04d}{j:04d}{k:04d}bbbbbbbb",
                    label=rng.choice(CLASSES) if rng.random() < 0.3 else gts[-1].label,
                    bounding_box=_jitter(box, rng), confidence=conf, **extra,
                ))  # fmt: skip
        if rng.random() < 0.2:
            preds.append(
                ll.Detection(
                    id=f"{seed:04d}{i:04d}9999cccccccccccc",
                    label="cat",
                    bounding_box=_box(rng),
                    confidence=0.5,
                )
            )
        fields = {}
        kind = i % 7
        if kind != 3:  # no ground truth field at all
            fields["ground_truth"] = (
                None
                if kind == 4
                else ll.Detections(id=f"{seed:04d}{i:04d}gggggggggggggggg", detections=gts)
            )
        if kind != 5:
            fields["predictions"] = ll.Detections(
                id=f"{seed:04d}{i:04d}pppppppppppppppp", detections=preds if kind != 6 else []
            )
        out.append(ll.Sample(f"/img/{i:04d}.jpg", **fields))
    return out


def _dataset(seed):
    ds = ll.Dataset()
    ds.add_samples(_samples(seed))
    return ds


def _state(ds):
    return [{k: v for k, v in s.to_dict().items() if k != "id"} for s in ds]


def _results(res):
    cols = ("gt_labels", "pred_labels", "ious", "confidences", "gt_ids", "pred_ids")
    return {c: getattr(res, c) for c in cols}, res.report(), res.mAP() if res.class_aps else None


VIEWS = {
    "dataset": lambda ds: ds,
    "filtered": lambda ds: ds.filter_labels(
        "predictions", F("confidence") > 0.3, only_matches=False
    ),
    "matched": lambda ds: ds.match(F("predictions.detections").length() > 1).sort_by(
        "filepath", reverse=True
    ),
    "label filter": lambda ds: ds.filter_labels("ground_truth", F("label") != "bird"),
}
OPTIONS = {
    "default": {},
    "not classwise": {"classwise": False},
    "custom crowd, mAP": {"iscrowd": "crowd", "compute_mAP": True, "iou": 0.3},
}


@pytest.mark.parametrize("view", list(VIEWS))
@pytest.mark.parametrize("options", list(OPTIONS))
def test_document_path_equals_the_sample_loop(monkeypatch, view, options):
    fast, slow = _dataset(7), _dataset(7)
    kwargs = {"gt_field": "ground_truth", "eval_key": "ev", **OPTIONS[options]}
    try:
        assert rows.applies(VIEWS[view](fast), _settings(kwargs))
        got = VIEWS[view](fast).evaluate_detections("predictions", **kwargs)
        with monkeypatch.context() as patch:
            patch.setattr(rows, "applies", lambda *args: False)
            want = VIEWS[view](slow).evaluate_detections("predictions", **kwargs)
        assert _state(fast) == _state(slow)
        assert _results(got) == _results(want)
        assert fast.get_field_schema() == slow.get_field_schema()
        # a second run with the key replaces the first the same way on both paths
        again = VIEWS["matched"](fast).evaluate_detections("predictions", **kwargs)
        with monkeypatch.context() as patch:
            patch.setattr(rows, "applies", lambda *args: False)
            want = VIEWS["matched"](slow).evaluate_detections("predictions", **kwargs)
        assert _state(fast) == _state(slow)
        assert _results(again) == _results(want)
        fast.delete_evaluation("ev")
        slow.delete_evaluation("ev")
        assert _state(fast) == _state(slow)
    finally:
        fast.delete()
        slow.delete()


def _settings(kwargs):
    from labelloop.evaluation.objects import EvalSettings

    return EvalSettings("predictions", use_masks=bool(kwargs.get("use_masks")))


def test_without_eval_key_nothing_is_written():
    ds = _dataset(3)
    try:
        before = _state(ds)
        res = ds.evaluate_detections("predictions", gt_field="ground_truth")
        assert _state(ds) == before
        assert len(res.pred_ids) >= ds.count("predictions.detections")
    finally:
        ds.delete()
