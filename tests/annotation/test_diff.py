"""The per-location label diff on plain labels."""

from __future__ import annotations

import numpy as np

from labelloop.annotation.diff import FieldDiff, Location, ThreeWay, loaded_id
from labelloop.core import labels as fol


def diff_labels(where, spec, current, downloaded, uploaded, taken, diff, spatial_attrs=()):
    """The merge of a run without a stored base: the dataset's labels stand in for it."""
    rules = ThreeWay("cvat", spatial_attrs)
    value, base = rules.labels(where, spec, current, downloaded, None, uploaded, taken, diff)
    return value, list(base)


def diff_scalar(where, spec, current, new, diff):
    return ThreeWay().scalar(where, spec, current, new, current, diff)[0]


SPEC = {
    "type": "detections",
    "classes": ["cat", "dog"],
    "attributes": {
        "iscrowd": {"type": "text", "values": []},
        "make": {"type": "text", "read_only": True},
    },
    "existing_field": True,
}


def _dets() -> fol.Detections:
    return fol.Detections(
        detections=[
            fol.Detection(
                label="cat", bounding_box=[0.1, 0.1, 0.2, 0.2], iscrowd=0, extra="keep", make="vw"
            ),
            fol.Detection(label="dog", bounding_box=[0.5, 0.5, 0.2, 0.2], iscrowd=1),
        ]
    )


def _download(current: fol.Detections) -> dict[str, fol.Detection]:
    out = {}
    for det in current.detections:
        copy = fol.Detection(label=det.label, bounding_box=list(det.bounding_box), id=det.id)
        for name in ("iscrowd", "make"):
            if det.has_field(name):
                copy[name] = det[name]
        out[det.id] = copy
    return out


def _run(spec, current, downloaded, uploaded=None, taken=None):
    diff = FieldDiff()
    uploaded = [d.id for d in current.detections] if uploaded is None else uploaded
    value, synced = diff_labels(
        Location("gt", "s1"), spec, current, downloaded, uploaded, taken or set(), diff
    )
    return value, synced, diff


def test_unchanged_download_is_a_no_op():
    current = _dets()
    value, synced, diff = _run(SPEC, current, _download(current))
    assert value == current
    assert diff.to_dict() == {"added": 0, "deleted": 0, "edited": 0, "refused": {}}
    assert synced == [d.id for d in current.detections]


def test_edits_additions_deletions_and_preserved_attributes():
    current = _dets()
    cat, dog = current.detections
    down = _download(current)
    down[cat.id]["label"] = "dog"
    down[cat.id]["bounding_box"] = [0.2, 0.2, 0.2, 0.2]
    down[cat.id]["iscrowd"] = None  # cleared in the editor
    del down[dog.id]
    new = fol.Detection(label="cat", bounding_box=[0, 0, 0.1, 0.1])
    down[new.id] = new
    value, synced, diff = _run(SPEC, current, down)
    assert diff.to_dict() == {"added": 1, "deleted": 1, "edited": 1, "refused": {}}
    edited = value.detections[0]
    assert edited.label == "dog" and edited.bounding_box == [0.2, 0.2, 0.2, 0.2]
    assert not edited.has_field("iscrowd")
    assert edited.extra == "keep"  # outside the schema: untouched
    assert [d.id for d in value.detections] == [cat.id, new.id]
    assert synced == [cat.id, new.id]


def test_each_restriction_is_enforced_and_reported():
    spec = dict(SPEC, allow_additions=False, allow_deletions=False)
    spec.update(allow_label_edits=False, allow_spatial_edits=False)
    current = _dets()
    cat, dog = current.detections
    down = _download(current)
    down[cat.id]["label"] = "dog"
    down[cat.id]["bounding_box"] = [0.3, 0.3, 0.1, 0.1]
    down[cat.id]["iscrowd"] = 5  # attribute edits stay allowed
    down[cat.id]["make"] = "audi"  # read-only
    del down[dog.id]
    added = fol.Detection(label="cat", bounding_box=[0, 0, 0.1, 0.1])
    down[added.id] = added
    value, _, diff = _run(spec, current, down)
    assert diff.refused_counts() == {
        "label edit": 1,
        "spatial edit": 1,
        "read-only attribute 'make'": 1,
        "deletion": 1,
        "addition": 1,
    }
    assert diff.edited == 1 and diff.added == 0 and diff.deleted == 0
    kept_cat, kept_dog = value.detections
    assert kept_cat.label == "cat" and kept_cat.bounding_box == [0.1, 0.1, 0.2, 0.2]
    assert kept_cat.iscrowd == 5 and kept_cat.make == "vw"
    assert kept_dog.id == dog.id
    assert {r.label_id for r in diff.refused} == {cat.id, dog.id, added.id}


def test_copies_of_uploaded_ids_get_stable_fresh_ids():
    current = _dets()
    cat = current.detections[0]
    elsewhere = fol.Detection(label="cat", bounding_box=[0, 0, 1, 1], id=cat.id)
    diff = FieldDiff()
    value, synced = diff_labels(
        Location("gt", "s2"), SPEC, None, {cat.id: elsewhere}, [], {cat.id}, diff
    )
    assert value.detections[0].id == loaded_id(cat.id, "s2", None) != cat.id
    assert synced == [value.detections[0].id]
    again, _ = diff_labels(
        Location("gt", "s2"), SPEC, None, {cat.id: elsewhere}, [], {cat.id}, FieldDiff()
    )
    assert again.detections[0].id == value.detections[0].id  # same on every merge


def test_labels_not_in_the_run_are_left_alone_and_not_reused():
    current = _dets()
    hidden = current.detections[1]  # e.g. filtered out of the annotated view
    down = {hidden.id: fol.Detection(label="cat", bounding_box=[0, 0, 1, 1], id=hidden.id)}
    value, _, diff = _run(SPEC, current, down, uploaded=[current.detections[0].id])
    assert diff.deleted == 1 and diff.added == 1
    ids = [d.id for d in value.detections]
    assert hidden.id in ids and len(set(ids)) == 2


def test_single_label_fields_and_masks():
    spec = {"type": "classification", "classes": ["a", "b"], "attributes": {}}
    current = fol.Classification(label="a")
    replacement = fol.Classification(label="b")
    diff = FieldDiff()
    value, synced = diff_labels(
        Location("c", "s"), spec, current, {replacement.id: replacement}, [current.id], set(), diff
    )
    assert value.label == "b" and diff.deleted == 1 and diff.added == 1
    extra = fol.Classification(label="a")
    diff = FieldDiff()
    value, _ = diff_labels(
        Location("c", "s"),
        spec,
        current,
        {current.id: current, extra.id: extra},
        [current.id],
        set(),
        diff,
    )
    assert value.id == current.id
    assert diff.refused_counts() == {"second label in a single-label field": 1}
    seg_spec = {"type": "segmentation", "mask_targets": {1: "x"}, "allow_spatial_edits": False}
    seg = fol.Segmentation(mask=np.zeros((2, 2), np.uint8))
    painted = fol.Segmentation(mask=np.ones((2, 2), np.uint8), id=seg.id)
    diff = FieldDiff()
    value, _ = diff_labels(
        Location("m", "s"), seg_spec, seg, {seg.id: painted}, [seg.id], set(), diff
    )
    assert not value.mask.any() and diff.refused_counts() == {"spatial edit": 1}


def test_scalars():
    spec = {"type": "scalar", "classes": []}
    where = Location("n", "s")
    diff = FieldDiff()
    assert diff_scalar(where, spec, None, 3, diff) == 3
    assert diff_scalar(where, spec, 3, 4, diff) == 4
    assert diff_scalar(where, spec, 4, None, diff) is None
    assert diff_scalar(where, spec, 4, 4.0, diff) == 4
    assert (diff.added, diff.edited, diff.deleted) == (1, 1, 1)
    strict = dict(spec, allow_additions=False, allow_deletions=False)
    diff = FieldDiff()
    assert diff_scalar(where, strict, None, 3, diff) is None
    assert diff_scalar(where, strict, 3, None, diff) == 3
    assert diff.refused_counts() == {"addition": 1, "deletion": 1}


def test_missing_keypoints_compare_equal_and_tiny_float_noise_is_no_edit():
    spec = {"type": "keypoints", "classes": ["p"], "attributes": {}, "allow_spatial_edits": False}
    nan = float("nan")
    kp = fol.Keypoint(label="p", points=[(0.1, 0.2), (nan, nan)])
    current = fol.Keypoints(keypoints=[kp])
    noisy = fol.Keypoint(label="p", points=[[0.1 + 1e-12, 0.2], [nan, nan]], id=kp.id)
    diff = FieldDiff()
    value, _ = diff_labels(Location("k", "s"), spec, current, {kp.id: noisy}, [kp.id], set(), diff)
    assert value is current and diff.to_dict()["refused"] == {} and diff.edited == 0
    moved = fol.Keypoint(label="p", points=[[0.1, 0.2], [0.5, 0.5]], id=kp.id)
    diff = FieldDiff()
    value, _ = diff_labels(Location("k", "s"), spec, current, {kp.id: moved}, [kp.id], set(), diff)
    assert value is current and diff.refused_counts() == {"spatial edit": 1}
