"""Label ids are unique within a field, not across the dataset.

A label copied into another field keeps its id (``Label.copy()`` keeps ids
unless ``new_ids=True``), as the reference allows, so before/after fields join
by id; each field keeps its own labels. Runs on whichever engine the suite
uses (a real SQLite file by default, PostgreSQL with ``LABELLOOP_DATABASE_URI``).
"""

from __future__ import annotations

import pytest

import labelloop as ll
from labelloop.core.labels import Classification, Detection, Detections
from tests.core.media import write_mp4


def _ids(value):
    return [d.id for d in value.detections]


def _stored(dataset, sample_id, path):
    """What the store holds (not a sample object in memory)."""
    return dataset.select(sample_id).values(path)[0]


def test_copying_labels_to_another_field_keeps_both_fields(image_dataset):
    sample = image_dataset.first()
    gt_ids = _ids(sample.ground_truth)
    sample["pred"] = sample.ground_truth.copy()
    sample.save()
    assert _stored(image_dataset, sample.id, "ground_truth.detections.id") == gt_ids
    assert _stored(image_dataset, sample.id, "pred.detections.id") == gt_ids
    stored = ll.load_dataset(image_dataset.name).first()
    assert _ids(stored.ground_truth) == gt_ids == _ids(stored.pred)
    assert [d.label for d in stored.ground_truth.detections] == ["cat", "dog"]
    assert stored.pred.id == stored.ground_truth.id  # the container keeps its id too
    # editing the copy leaves the original alone, and the other way round
    stored.pred.detections[0].label = "lion"
    stored.ground_truth.detections.pop()
    stored.save()
    again = image_dataset[stored.id]
    assert [d.label for d in again.pred.detections] == ["lion", "dog"]
    assert [d.label for d in again.ground_truth.detections] == ["cat"]
    assert _stored(image_dataset, stored.id, "pred.detections.label") == ["lion", "dog"]
    assert _stored(image_dataset, stored.id, "ground_truth.detections.label") == ["cat"]
    # clearing one field keeps the other's labels
    again["pred"] = None
    again.save()
    assert _stored(image_dataset, stored.id, "ground_truth.detections.id") == gt_ids[:1]
    assert _stored(image_dataset, stored.id, "ground_truth.id") == stored.ground_truth.id
    assert _stored(image_dataset, stored.id, "pred") is None


def test_set_values_copies_a_field_with_its_ids(image_dataset):
    values = image_dataset.values("ground_truth")
    image_dataset.set_values("copy", values)
    assert image_dataset.values("copy.detections.id") == image_dataset.values(
        "ground_truth.detections.id"
    )
    assert image_dataset.count("ground_truth.detections") == 6
    assert image_dataset.count("copy.detections") == 6


def test_copying_frame_labels_to_another_frame_field_keeps_both(tmp_path, dataset):
    sample = ll.Sample(str(write_mp4(str(tmp_path / "v.mp4"), frames=4)))
    sample.frames[1]["gt"] = Detections(detections=[Detection(label="car")])
    sample.frames[2]["gt"] = Detections(detections=[Detection(label="bus")])
    dataset.add_sample(sample)
    sample = dataset.first()
    for frame in sample.frames.values():
        frame["pred"] = frame["gt"].copy()
    sample.save()
    assert _stored(dataset, sample.id, "frames.gt.detections.label")[:2] == [["car"], ["bus"]]
    assert (
        _stored(dataset, sample.id, "frames.pred.detections.id")[:2]
        == _stored(dataset, sample.id, "frames.gt.detections.id")[:2]
    )
    # clearing the copy on one frame keeps the original there
    sample.frames[1]["pred"] = None
    sample.save()
    assert _stored(dataset, sample.id, "frames.gt.detections.label")[:2] == [["car"], ["bus"]]
    assert _stored(dataset, sample.id, "frames.pred.detections.label")[:2] == [None, ["bus"]]


def test_edits_through_views_and_by_id_touch_one_field(image_dataset):
    sample = image_dataset.first()
    gt_ids = _ids(sample.ground_truth)
    sample["pred"] = sample.ground_truth.copy()
    sample.save()
    # a view hiding ground_truth: clearing pred there must not reach ground_truth
    only_pred = image_dataset.select_fields("pred").first()
    only_pred["pred"] = None
    only_pred.save()
    assert _stored(image_dataset, sample.id, "ground_truth.detections.id") == gt_ids
    assert _stored(image_dataset, sample.id, "pred") is None
    sample = image_dataset.first()
    sample["pred"] = sample.ground_truth.copy()
    sample.save()
    # by id and field: only that field's label goes
    image_dataset.delete_labels(ids=[gt_ids[0]], fields="pred")
    assert _stored(image_dataset, sample.id, "ground_truth.detections.id") == gt_ids
    assert _stored(image_dataset, sample.id, "pred.detections.id") == gt_ids[1:]
    # by tag, in one field: the same-id label of the other field carries the tag too
    sample = image_dataset.first()
    sample.pred.detections[0].tags = ["wrong"]
    sample.ground_truth.detections[1].tags = ["wrong"]
    sample.save()
    image_dataset.delete_labels(tags="wrong", fields="pred")
    assert _stored(image_dataset, sample.id, "ground_truth.detections.id") == gt_ids
    assert _stored(image_dataset, sample.id, "pred.detections") == []
    # by id in every field (the reference's delete_labels(ids=...))
    image_dataset.delete_labels(ids=[gt_ids[1]])
    assert _stored(image_dataset, sample.id, "ground_truth.detections.id") == gt_ids[:1]
    # lookups by id name the field they search
    info = image_dataset.get_label(gt_ids[0], "ground_truth")
    assert (info.sample_id, info.field, info.label.label) == (sample.id, "ground_truth", "cat")
    with pytest.raises(KeyError, match="in field 'pred'"):
        image_dataset.get_label(gt_ids[0], "pred")


def test_set_values_on_a_label_attribute_writes_one_field(image_dataset):
    sample = image_dataset.first()
    sample["pred"] = sample.ground_truth.copy()
    sample.save()
    view = image_dataset.select(sample.id)
    view.set_values("pred.detections.eval", [["tp", "fp"]])
    assert view.values("pred.detections.eval") == [["tp", "fp"]]
    assert view.values("ground_truth.detections.eval") == [[None, None]]


def test_select_and_exclude_labels_by_id_in_one_field(image_dataset):
    sample = image_dataset.first()
    sample["pred"] = sample.ground_truth.copy()
    sample.save()
    first = sample.ground_truth.detections[0].id
    view = image_dataset.select_labels(ids=[first], fields="pred")
    assert view.values("pred.detections.id") == [[first]]
    assert view.values("ground_truth") == [None]
    view = image_dataset.exclude_labels(ids=[first], fields="pred").select(sample.id)
    assert len(view.values("ground_truth.detections")[0]) == 2
    assert len(view.values("pred.detections")[0]) == 1


def test_a_duplicate_id_within_a_field_is_refused_and_nothing_moves(image_dataset):
    first, second = image_dataset.limit(2)
    second["ground_truth"] = first.ground_truth.copy()  # same field, another sample
    with pytest.raises(
        ValueError, match=f"is already in field 'ground_truth' of sample {first.id}"
    ):
        second.save()
    assert _stored(image_dataset, first.id, "ground_truth.detections.label") == ["cat", "dog"]
    assert _stored(image_dataset, second.id, "ground_truth.detections.label") == ["person"]
    second["ground_truth"] = first.ground_truth.copy(new_ids=True)  # the fix the error names
    second.save()
    assert _stored(image_dataset, second.id, "ground_truth.detections.label") == ["cat", "dog"]
    assert _stored(image_dataset, first.id, "ground_truth.detections.label") == ["cat", "dog"]


def test_one_label_object_on_two_frames_of_a_field_is_refused(tmp_path, dataset):
    sample = ll.Sample(str(write_mp4(str(tmp_path / "v.mp4"), frames=3)))
    label = Classification(label="day")
    sample.frames[1]["weather"] = label
    dataset.add_sample(sample)
    sample = dataset.first()
    sample.frames[2]["weather"] = sample.frames[1]["weather"]
    with pytest.raises(ValueError, match="occurs twice in one field"):
        sample.save()
    assert _stored(dataset, sample.id, "frames.weather.label") == ["day"]  # frame 2 unsaved


def test_evaluation_patches_of_predictions_copied_from_ground_truth(dataset):
    sample = ll.Sample(
        "/data/a.jpg", gt=Detections(detections=[Detection(label="cat", bounding_box=[0.1] * 4)])
    )
    dataset.add_sample(sample)
    sample["pred"] = sample.gt.copy()  # same ids, then moved away: an fp and an fn
    sample.pred.detections[0].bounding_box = [0.7, 0.7, 0.2, 0.2]
    sample.pred.detections[0]["confidence"] = 0.9
    sample.save()
    dataset.evaluate_detections("pred", gt_field="gt", eval_key="ev")
    patches = dataset.to_evaluation_patches("ev")
    ids = patches.values("id")
    assert sorted(patches.values("type")) == ["fn", "fp"] and len(set(ids)) == 2
    by_type = {p.type: p for p in patches}
    shared = sample.gt.detections[0].id
    assert by_type["fn"].id == shared  # the gt's patch keeps the label id
    assert by_type["fp"].pred.detections[0].id == shared
    assert patches[by_type["fp"].id].type == "fp"


def test_tag_labels_of_one_field_leaves_the_copies_in_another(image_dataset):
    sample = image_dataset.first()
    sample["pred"] = sample.ground_truth.copy()
    sample.save()
    view = image_dataset.select(sample.id)
    view.tag_labels("checked", label_fields="pred")
    assert view.values("pred.detections.tags") == [[["checked"], ["checked"]]]
    assert view.values("ground_truth.detections.tags") == [[[], []]]
    assert view.count_label_tags("ground_truth") == {}


def test_tag_labels_through_a_frames_view_reaches_the_frame_field(tmp_path, dataset):
    sample = ll.Sample(str(write_mp4(str(tmp_path / "v.mp4"), frames=3)))
    sample.frames[1]["gt"] = Detections(detections=[Detection(label="car")])
    dataset.add_sample(sample)
    dataset.to_frames().tag_labels("seen", label_fields="gt")  # a frame field shown per frame
    assert dataset.values("frames.gt.detections.tags")[0][0] == [["seen"]]
