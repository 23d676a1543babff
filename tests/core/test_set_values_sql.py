"""set_values written in place (sample documents, label rows) equals the per-sample save."""

from __future__ import annotations

import pytest

import labelloop as ll
from labelloop import ViewField as F
from labelloop.core import editing


def _make():
    ds = ll.Dataset()
    samples = []
    for i in range(8):
        dets = [
            ll.Detection(label=["cat", "dog"][j % 2], confidence=j / 4, bounding_box=[0, 0, 1, 1])
            for j in range(i % 4)
        ]
        fields = {"predictions": ll.Detections(detections=dets)} if i != 5 else {}
        if i % 3:
            fields["gt"] = ll.Classification(label="a")
        samples.append(ll.Sample(f"/v/{i}.jpg", tags=["t"], x=i, **fields))
    ds.add_samples(samples)
    return ds


def _no_ids(value):
    if isinstance(value, dict):
        return {k: _no_ids(v) for k, v in value.items() if k != "id"}
    if isinstance(value, list):
        return [_no_ids(v) for v in value]
    return value


def _state(ds):
    return [s.to_dict() for s in ds]


def _slow(monkeypatch):
    monkeypatch.setattr(editing, "_set_sample_field", lambda *args: False)
    monkeypatch.setattr(editing, "_set_label_attribute", lambda *args: False)


@pytest.mark.parametrize(
    ("view", "path", "values"),
    [
        (lambda ds: ds, "x", lambda v: [i * 2 for i in range(len(v))]),
        (lambda ds: ds, "new_field", lambda v: [None if i % 2 else "s" for i in range(len(v))]),
        (lambda ds: ds.match(F("x") > 2), "pair", lambda v: [(1, 2)] * len(v)),
        (lambda ds: ds.exists("gt"), "gt.label", lambda v: ["b"] * len(v)),
        (
            lambda ds: ds.match(F("x") > 1),
            "predictions.detections.eval",
            lambda v: [
                [i] * len(ids or []) for i, ids in enumerate(v.values("predictions.detections.id"))
            ],
        ),
    ],
)
def test_fast_set_values_equal_the_sample_loop(monkeypatch, view, path, values):
    fast, slow = _make(), _make()
    try:
        target = view(fast)
        target.set_values(path, values(target))
        with monkeypatch.context() as patch:
            _slow(patch)
            reference = view(slow)
            reference.set_values(path, values(reference))
        assert _no_ids(_state(fast)) == _no_ids(_state(slow))
    finally:
        fast.delete()
        slow.delete()


def test_a_hot_attribute_set_in_place_is_read_back_by_sql(monkeypatch):
    """confidence is read from its own column: after set_values, filters and aggregates
    see the new values, of any kind (numbers, strings with quotes, lists, objects)."""
    ds = _make()
    try:
        odd = [0.9, 'say "hi"', [1, 2], {"a": 1}, None, 3, True]
        ids = ds.values("predictions.detections.id")
        new = [[odd[(i + j) % len(odd)] for j in range(len(v or []))] for i, v in enumerate(ids)]
        ds.set_values("predictions.detections.confidence", new)
        assert ds.values("predictions.detections.confidence") == [
            v if ids[i] is not None else None for i, v in enumerate(new)
        ]
        flat = [v for vs in new for v in vs]
        numbers = [v for v in flat if type(v) in (int, float)]
        high = ds.filter_labels("predictions", F("confidence") > 0.5)
        assert high.count("predictions.detections") == sum(1 for v in numbers if v > 0.5)
        unwound = numbers + [x for v in flat if isinstance(v, list) for x in v]  # as sum() does
        assert ds.sum("predictions.detections.confidence") == pytest.approx(sum(unwound))
    finally:
        ds.delete()


def test_label_attribute_through_a_filtered_view_leaves_hidden_labels(monkeypatch):
    ds = _make()
    try:
        before = ds.count("predictions.detections")
        view = ds.filter_labels("predictions", F("label") == "cat", only_matches=False)
        counts = [len(v or []) for v in view.values("predictions.detections.id")]
        view.set_values("predictions.detections.eval", [["tp"] * n for n in counts])
        evals = ds.values("predictions.detections.eval")
        labels = ds.values("predictions.detections.label")
        for sample_evals, sample_labels in zip(evals, labels):
            for value, label in zip(sample_evals or [], sample_labels or []):
                assert value == ("tp" if label == "cat" else None)
        assert ds.count("predictions.detections") == before  # none lost
        assert ds.count_values("predictions.detections.eval")["tp"] == view.count(
            "predictions.detections"
        )
    finally:
        ds.delete()


def test_bad_values_raise_before_anything_is_written():
    ds = _make()
    try:
        before = _state(ds)
        with pytest.raises(ValueError, match="expected a list of"):
            ds.set_values("predictions.detections.eval", [["x"]] * len(ds))
        with pytest.raises(ValueError, match="declared as int"):
            ds.set_values("x", ["a"] * len(ds))
        with pytest.raises(ValueError, match="values for 8 samples"):
            ds.set_values("x", [1])
        assert _state(ds) == before
    finally:
        ds.delete()
