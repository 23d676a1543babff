"""iter_samples(autosave=True) writes only the documents and label rows the loop changed.

Each case runs the same edit on two identical datasets, with and without the
record of what was read, and compares everything stored; a spy on the store
counts what the recorded path wrote.
"""

from __future__ import annotations

import pytest

import labelloop as ll
from labelloop import ViewField as F
from labelloop.core import writer


def _make():
    ds = ll.Dataset()
    samples = []
    for i in range(12):
        dets = [
            ll.Detection(
                id=f"{i:04d}{j:04d}aaaaaaaaaaaaaaaa",
                label=["cat", "dog"][j % 2],
                confidence=j / 4,
                bounding_box=[0.1, 0.1, 0.2, 0.2],
                extra=[j],
            )
            for j in range(i % 4)
        ]
        fields = {"predictions": ll.Detections(id=f"{i:04d}cccccccccccccccccccc", detections=dets)}
        if i % 3:
            fields["gt"] = ll.Classification(id=f"{i:04d}gggggggggggggggggggg", label="a")
        samples.append(ll.Sample(f"/v/{i}.jpg", tags=["t"], x=i, **fields))
    ds.add_samples(samples)
    return ds


def _state(ds):
    return [{k: v for k, v in s.to_dict().items() if k != "id"} for s in ds]


class _Spy:
    def __init__(self, monkeypatch, store):
        self.samples, self.labels = 0, 0
        update, upsert = store.update_samples, store.upsert_labels

        def update_samples(dataset_id, rows):
            self.samples += len(rows)
            return update(dataset_id, rows)

        def upsert_labels(dataset_id, rows, replace=True):
            self.labels += len(rows)
            return upsert(dataset_id, rows, replace)

        monkeypatch.setattr(store, "update_samples", update_samples)
        monkeypatch.setattr(store, "upsert_labels", upsert_labels)


def _first_label(s):
    dets = s.predictions.detections
    if dets:
        dets[0].label = "zebra"


def _nested(s):
    s.tags.append("seen")  # in place: no __setitem__
    for det in s.predictions.detections:
        det.bounding_box[0] = 0.5
        det.extra.append(1)


def _replace_gt(s):
    if s.gt is not None:
        s.gt = ll.Classification(id=s.gt.id[:-4] + "bbbb", label="b")


def _nothing(s):
    pass


EDITS = {"one label": _first_label, "nested": _nested, "replace": _replace_gt, "none": _nothing}
VIEWS = {
    "dataset": lambda ds: ds,
    "filtered": lambda ds: ds.filter_labels("predictions", F("confidence") > 0.2),
    "fields": lambda ds: ds.select_fields("predictions"),
    "sorted": lambda ds: ds.sort_by("x", reverse=True).match(F("x") > 2),
}


@pytest.mark.parametrize("view", list(VIEWS))
@pytest.mark.parametrize("edit", list(EDITS))
def test_autosave_equals_the_full_save(monkeypatch, view, edit):
    fast, slow = _make(), _make()
    try:
        with monkeypatch.context() as patch:
            patch.setattr(writer, "remember", lambda *args: None)
            for sample in VIEWS[view](slow).iter_samples(autosave=True, batch_size=5):
                EDITS[edit](sample)
        with monkeypatch.context() as patch:
            spy = _Spy(patch, fast._store)
            for sample in VIEWS[view](fast).iter_samples(autosave=True, batch_size=5):
                EDITS[edit](sample)
        assert _state(fast) == _state(slow)
        if edit in ("one label", "none", "replace"):
            assert spy.samples == 0  # no sample document changed
        if edit == "none":
            assert spy.labels == 0
        if edit == "one label" and view != "fields":
            shown = VIEWS[view](fast).values("predictions.detections.id")
            assert spy.labels == sum(1 for ids in shown if ids)
    finally:
        fast.delete()
        slow.delete()


def test_a_sample_kept_after_autosave_saves_whole_again():
    """What autosave recorded is dropped once written: reverting an edit later and saving
    writes the reverted value."""
    ds = _make()
    try:
        kept = []
        for sample in ds.iter_samples(autosave=True):
            sample["x"] = -1
            kept.append(sample)
        assert ds.values("x") == [-1] * 12
        kept[0]["x"] = 0
        kept[0].save()
        assert ds.values("x")[0] == 0
    finally:
        ds.delete()


def test_a_failed_batch_leaves_the_dataset_as_it_was(monkeypatch):
    ds = _make()
    try:
        before = _state(ds)

        def fail(*args, **kwargs):
            raise OSError("disk full")

        monkeypatch.setattr(ds._store, "upsert_labels", fail)
        with pytest.raises(OSError):
            for sample in ds.iter_samples(autosave=True):
                _first_label(sample)
                sample["x"] = 100
        monkeypatch.undo()
        assert _state(ds) == before
    finally:
        ds.delete()
