"""The item count and labels each list keeps in its container row stay true through every
write.

``length()`` of a label list as stored reads that count, and ``values`` of the items'
labels those texts (``labelloop.store.counts``), instead of reading the list's labels.
After each kind of write, views on the length compiled to SQL must give the Python
evaluator's samples, in order, and the values the samples' own labels. Runs on whichever
engine the suite uses.
"""

from __future__ import annotations

from collections import Counter

import labelloop as ll
from labelloop import ViewField as F
from labelloop.core import labelops, planner
from tests.core.python_views import python_ids


def _check(ds, field: str = "det") -> None:
    length = F(f"{field}.detections").length()
    views = [ds.sort_by(length), ds.sort_by(length * 2, reverse=True)]
    for k in range(0, 5):
        views += [ds.match(length > k), ds.match(length == k), ds.match(length <= k)]
    views.append(ds.match((length > 1) & (length < 4)))
    for view in views:
        compiled = planner.view_ids(view)
        assert compiled is not None, view
        assert compiled == python_ids(view), view
        assert view.count() == len(compiled), view
    walked = [None if s[field] is None else [d.label for d in s[field].detections] for s in ds]
    assert ds.values(f"{field}.detections.label") == walked
    flat = [label for labels in walked if labels for label in labels if label is not None]
    assert ds.count_values(f"{field}.detections.label") == Counter(flat)


def _dets(n: int, label: str = "cat") -> ll.Detections:
    return ll.Detections(detections=[ll.Detection(label=label) for _ in range(n)])


def _dataset() -> ll.Dataset:
    ds = ll.Dataset()
    samples = []
    for i in range(12):
        fields = {} if i % 5 == 4 else {"det": _dets(i % 5, "dog" if i % 2 else "cat")}
        fields["gt"] = ll.Classification(label="cat")
        samples.append(ll.Sample(f"/c/{i}.jpg", **fields))
    ds.add_samples(samples)
    return ds


def test_counts_follow_sample_edits_and_saves():
    ds = _dataset()
    _check(ds)
    first = ds.first()
    first.det.detections += [ll.Detection(label="bird"), ll.Detection(label="bird")]
    first.save()
    _check(ds)
    for sample in ds.iter_samples(autosave=True):  # drop one item of every list
        if sample.det is not None and sample.det.detections:
            sample.det.detections.pop()
    _check(ds)
    last = ds.last()
    last.det = _dets(3)  # a field that was missing
    last.save()
    second = ds.skip(1).first()
    second.det = None
    second.save()
    _check(ds)
    ds.delete()


def test_counts_follow_deleted_labels_set_values_and_field_changes():
    ds = _dataset()
    ids = [d.id for dets in ds.values("det.detections") if dets for d in dets[:1]]
    ds.delete_labels(ids=ids[:5])
    _check(ds)
    ds.untag_labels("x", label_fields=["det"])
    ds.match(F("det.detections").length() > 2).tag_labels("gone", label_fields=["det"])
    ds.delete_labels(tags="gone")
    _check(ds)
    ds.set_values("det", [_dets(i % 4) for i in range(len(ds))])
    _check(ds)
    names = ["a", None, "b\x1fc", "", 7]  # strings, a null, the separator, another kind
    labels = [
        [names[(i + k) % 5] for k in range(len(ids))]
        for i, ids in enumerate(ds.values("det.detections.id"))
    ]
    ds.set_values("det.detections.label", labels)
    _check(ds)
    ds.set_values("det.detections.label", [[f"c{k}" for k in range(len(v))] for v in labels])
    _check(ds)
    written = ds.match(F("det.detections").length() == 3).first().det.detections
    docs = [{k: v for k, v in d.to_dict().items() if k != "id"} for d in written]
    labelops.write_label_data(
        ds, "det", [(d.id, {**doc, "label": "new"}) for d, doc in zip(written, docs)]
    )
    _check(ds)
    ds.rename_sample_field("det", "boxes")
    _check(ds, "boxes")
    clone = ds.clone()
    _check(clone, "boxes")
    clone.delete_sample_field("boxes")
    clone.set_values("boxes", [_dets(i % 3) for i in range(len(clone))])
    _check(clone, "boxes")
    ds.delete_samples(ds.match(F("boxes.detections").length() == 1))
    _check(ds, "boxes")
    clone.delete()
    ds.delete()


def test_counts_of_a_view_that_filters_or_hides_the_list_are_its_own():
    ds = _dataset()
    length = F("det.detections").length()
    filtered = ds.filter_labels("det", F("label") == "cat", only_matches=False)
    for view in (
        filtered.match(length > 0),
        filtered.sort_by(length),
        ds.select_labels(tags="none", fields="gt").match(length == 0),
        ds.exclude_labels(tags="none", fields="det").match(length >= 2),
    ):
        compiled = planner.view_ids(view)
        assert compiled is not None and compiled == python_ids(view), view
    ds.delete()
