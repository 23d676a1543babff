"""load_annotations(dest_field=...) on images: the destination's labels keep the ids of
the labels they came from (label ids are unique per field), so before/after fields join
by id, with or without the annotator's edits, for the str and dict forms."""

from __future__ import annotations

import pytest

from labelloop.core.labels import Detection, Detections
from labelloop.testing.annotator import Annotator
from tests.cvat.helpers import image_dataset

W, H = 64, 48


def _boxes(i):
    return Detections(
        detections=[
            Detection(label="cat", bounding_box=[0.1, 0.1, 0.25, 0.25]),
            Detection(label="dog", bounding_box=[0.5, 0.5, 0.25, 0.25]),
        ]
    )


def _creds(server):
    return {"url": server.url, "username": server.username, "password": server.password}


def _by_id(value):
    return {d.id: d for d in value.detections}


def _shapes_of(person, results, sample_id, label):
    """The job and the shapes of one label class on one sample's image."""
    task_id = results.task_ids[0]
    frames = results.frame_id_map[task_id]
    frame = next(f for f, info in frames.items() if info["sample_id"] == sample_id)
    job_id = results.job_ids[task_id][0]
    shapes = person.annotations(job_id)["shapes"]
    return (
        job_id,
        int(frame),
        [
            s
            for s in shapes
            if s["frame"] == int(frame) and person.label_id(job_id, label) == s["label_id"]
        ],
    )


def test_str_dest_field_without_edits_keeps_every_id(cvat_server, tmp_path):
    dataset = image_dataset(tmp_path, 2, (W, H), gt=_boxes)
    dataset.annotate("plain", label_field="gt", **_creds(cvat_server))
    dataset.load_annotations("plain", dest_field="reviewed", **_creds(cvat_server))
    for sample in dataset.iter_samples():
        before, after = _by_id(sample.gt), _by_id(sample.reviewed)
        assert set(after) == set(before) and len(after) == 2
        for label_id, label in after.items():
            assert label.label == before[label_id].label
            assert label.bounding_box == pytest.approx(before[label_id].bounding_box)
        assert sample.reviewed.id == sample.gt.id  # the container too
    # loading again rewrites the destination in place: the same ids, nothing doubled
    dataset.load_annotations("plain", dest_field="reviewed", **_creds(cvat_server))
    assert dataset.values("reviewed.detections.id") == dataset.values("gt.detections.id")
    assert dataset.count("gt.detections") == dataset.count("reviewed.detections") == 4


def test_str_dest_field_with_edits_joins_by_id(cvat_server, tmp_path):
    dataset = image_dataset(tmp_path, 2, (W, H), gt=_boxes)
    results = dataset.annotate("edits", label_field="gt", **_creds(cvat_server))
    edited = dataset.first()
    cat_id = next(d.id for d in edited.gt.detections if d.label == "cat")
    dog_id = next(d.id for d in edited.gt.detections if d.label == "dog")
    with Annotator(cvat_server.url, cvat_server.username, cvat_server.password) as person:
        job_id, frame, (cat,) = _shapes_of(person, results, edited.id, "cat")
        person.move_shape(job_id, cat["id"], 8, 0)
        _, _, (dog,) = _shapes_of(person, results, edited.id, "dog")
        person.delete_shapes(job_id, [dog["id"]])
        person.add_shape(job_id, type="rectangle", label="cat", points=[2, 2, 10, 10], frame=frame)
    report = dataset.load_annotations("edits", dest_field="reviewed", **_creds(cvat_server))
    assert report.fields["gt"].added == 1 and report.fields["gt"].deleted == 1
    sample = dataset[edited.id]
    before, after = _by_id(sample.gt), _by_id(sample.reviewed)
    assert set(before) == {cat_id, dog_id}  # the source is untouched
    assert before[cat_id].bounding_box == pytest.approx([0.1, 0.1, 0.25, 0.25])
    # joined by id: the moved cat is the same label, the dog is gone, the new box is new
    assert cat_id in after and dog_id not in after
    assert after[cat_id].bounding_box[0] == pytest.approx(0.1 + 8 / W)
    (new_id,) = set(after) - {cat_id}
    assert new_id not in before and after[new_id].label == "cat"
    other = dataset.skip(1).first()  # the sample nobody touched: a copy, same ids
    assert set(_by_id(other.reviewed)) == set(_by_id(other.gt))
    # stored, not only in memory
    assert dataset.select(edited.id).values("reviewed.detections.id")[0] == list(after)


def test_dict_dest_field_keeps_ids_per_field(cvat_server, tmp_path):
    def preds(i):
        return Detections(detections=[Detection(label="bird", bounding_box=[0.2, 0.2, 0.3, 0.3])])

    dataset = image_dataset(tmp_path, 1, (W, H), gt=_boxes, pred=preds)
    schema = {
        "gt": {"type": "detections", "classes": ["cat", "dog"]},
        "pred": {"type": "detections", "classes": ["bird"]},
    }
    dataset.annotate("two", label_schema=schema, **_creds(cvat_server))
    sample = dataset.first()
    dog_id = next(d.id for d in sample.gt.detections if d.label == "dog")
    results = dataset.load_annotation_results("two")
    with Annotator(cvat_server.url, cvat_server.username, cvat_server.password) as person:
        job_id, _, (dog,) = _shapes_of(person, results, sample.id, "dog")
        person.change_label(job_id, dog["id"], "cat")
    dataset.load_annotations(
        "two",
        dest_field={"gt": "gt_after", "pred": "pred_after"},
        unexpected="keep",
        **_creds(cvat_server),
    )
    sample = dataset.first()
    assert set(_by_id(sample.gt_after)) == set(_by_id(sample.gt))
    assert _by_id(sample.gt_after)[dog_id].label == "cat"  # the relabelled dog keeps its id
    assert _by_id(sample.gt)[dog_id].label == "dog"
    assert set(_by_id(sample.pred_after)) == set(_by_id(sample.pred))


def test_a_run_over_two_fields_sharing_ids_loads_both(cvat_server, tmp_path):
    """``pred = gt.copy()`` keeps the ids; annotating both fields and loading them back
    keeps each field's labels (the same id in two fields is not a copy-paste in CVAT)."""
    dataset = image_dataset(tmp_path, 1, (W, H), gt=_boxes)
    sample = dataset.first()
    sample["pred"] = sample.gt.copy()
    sample.save()
    ids = set(_by_id(sample.gt))
    schema = {
        "gt": {"type": "detections", "classes": ["cat", "dog"]},
        "pred": {"type": "detections", "classes": ["cat", "dog"]},
    }
    results = dataset.annotate("shared", label_schema=schema, **_creds(cvat_server))
    with Annotator(cvat_server.url, cvat_server.username, cvat_server.password) as person:
        job_id = results.job_ids[results.task_ids[0]][0]
        shapes = person.annotations(job_id)["shapes"]
        assert len(shapes) == 4
        pred_dog = person.label_id(job_id, "dog_pred")
        (dog,) = [s for s in shapes if s["label_id"] == pred_dog]
        person.move_shape(job_id, dog["id"], 4, 0)
    report = dataset.load_annotations("shared", **_creds(cvat_server))
    assert report.fields["gt"].added == report.fields["pred"].added == 0
    assert report.fields["gt"].deleted == report.fields["pred"].deleted == 0
    sample = dataset.first()
    gt, pred = _by_id(sample.gt), _by_id(sample.pred)
    assert set(gt) == set(pred) == ids
    dog_id = next(i for i, d in gt.items() if d.label == "dog")
    assert gt[dog_id].bounding_box == pytest.approx([0.5, 0.5, 0.25, 0.25])
    assert pred[dog_id].bounding_box[0] == pytest.approx(0.5 + 4 / W)
