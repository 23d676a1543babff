"""delete_labels by tag or view removes exactly the labels shown (and tagged), read from the
store's values: hidden labels, other fields and untagged labels stay."""

from __future__ import annotations

import pytest

import labelloop as ll
from labelloop import ViewField as F


def _make():
    ds = ll.Dataset()
    samples = []
    for i in range(10):
        dets = [
            ll.Detection(label="cat", confidence=j / 5, tags=["x"] if (i + j) % 3 == 0 else [])
            for j in range(i % 5)
        ]
        gt = ll.Detections(detections=[ll.Detection(label="dog", tags=["x"] if i % 2 else ["y"])])
        samples.append(ll.Sample(f"/d/{i}.jpg", predictions=ll.Detections(detections=dets), gt=gt))
    ds.add_samples(samples)
    return ds


def _labels(ds):
    out = set()
    for s in ds:
        for field in ("predictions", "gt"):
            for d in s[field].detections if s[field] is not None else []:
                out.add((field, d.id, d.confidence, tuple(d.tags)))
    return out


CASES = {
    "tag everywhere": (lambda ds: None, {"tags": "x"}, lambda f, c, t, shown: "x" in t),
    "view, one field": (
        lambda ds: ds.filter_labels("predictions", F("confidence") > 0.3),
        {"fields": "predictions"},
        lambda f, c, t, shown: f == "predictions" and c > 0.3 and shown,
    ),
    "view and tag": (
        lambda ds: ds.match(F("filepath").ends_with(("1.jpg", "3.jpg", "4.jpg"))),
        {"tags": ["x", "z"]},
        lambda f, c, t, shown: "x" in t and shown,
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_delete_labels_removes_what_the_view_shows(case):
    make_view, kwargs, doomed = CASES[case]
    ds = _make()
    try:
        view = make_view(ds)
        shown_ids = {
            i
            for path in ("predictions.detections.id", "gt.detections.id")
            for ids in (view if view is not None else ds).values(path)
            for i in ids or []
        }
        before = _labels(ds)
        ds.delete_labels(view=view, **kwargs)
        expected = {
            row for row in before if not doomed(row[0], row[2] or 0, row[3], row[1] in shown_ids)
        }
        assert _labels(ds) == expected
        assert expected != before
    finally:
        ds.delete()
