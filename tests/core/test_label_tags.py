"""tag_labels / untag_labels / count_label_tags: only the labels a collection shows, in place."""

from __future__ import annotations

import pytest

import labelloop as ll
from labelloop import ViewField as F
from labelloop.core.labels import Classification, Detection, Detections
from tests.core.media import write_mp4


def _tags(ds, path):
    """Per-label tags in storage order, read back from fresh samples."""
    return [t for per_sample in ds.values(f"{path}.tags") for t in per_sample or []]


def _without_tags(value):
    if isinstance(value, dict):
        return {k: _without_tags(v) for k, v in value.items() if k != "tags"}
    if isinstance(value, list):
        return [_without_tags(v) for v in value]
    return value


def test_tag_labels_of_a_filtered_view_leaves_hidden_labels_and_all_else(image_dataset):
    ds = image_dataset
    first = ds.first()
    first.ground_truth.detections[0].tags = ["keep"]
    first.save()
    before = [s.to_dict() for s in ds]
    view = ds.filter_labels("predictions", F("confidence") > 0.8)
    view.tag_labels(["check", "keep"], label_fields="predictions")
    expected = [["check", "keep"] if c > 0.8 else [] for c in [0.9, 0.2, 0.95, 0.85, 0.5, 0.99]]
    assert _tags(ds, "predictions.detections") == expected
    assert _tags(ds, "ground_truth.detections")[0] == ["keep"]  # other field untouched
    after = [s.to_dict() for s in ds]
    assert _without_tags(after) == _without_tags(before)  # nothing but tags changed
    assert ds.count_label_tags() == {"check": 4, "keep": 5}
    assert view.count_label_tags("predictions") == {"check": 4, "keep": 4}

    view.tag_labels("check", label_fields=["predictions"])  # already there: no change
    assert _tags(ds, "predictions.detections") == expected
    ds.untag_labels("keep")
    assert ds.count_label_tags() == {"check": 4}
    assert ds.match_labels(tags="check").count() == 3


def test_tag_labels_on_single_labels_and_frames(tmp_path, dataset):
    path = write_mp4(str(tmp_path / "clip.mp4"), frames=3)
    video = ll.Sample(path, scene=Classification(label="road"))
    for number in (1, 2, 3):
        video.frames[number]["boxes"] = Detections(
            detections=[Detection(label="car", bounding_box=[0.1, 0.1, 0.2, 0.2])]
        )
    dataset.add_sample(video)
    dataset.tag_labels("seen")
    assert dataset.count_label_tags() == {"seen": 4}
    sample = dataset.first()
    assert sample.scene.tags == ["seen"]
    assert [f.boxes.detections[0].tags for f in sample.frames.values()] == [["seen"]] * 3
    dataset.untag_labels("seen", label_fields="frames.boxes")
    assert dataset.count_label_tags() == {"seen": 1}


def test_unknown_label_fields_are_refused_before_anything_is_written(image_dataset):
    with pytest.raises(ValueError, match="'uniqueness' is not a label field.*ground_truth"):
        image_dataset.tag_labels("x", label_fields=["predictions", "uniqueness"])
    with pytest.raises(ValueError, match="Label tags are strings"):
        image_dataset.tag_labels([1])
    assert image_dataset.count_label_tags() == {}


def test_tagging_a_field_leaves_copies_of_its_labels_in_another(image_dataset):
    sample = image_dataset.first()
    sample["copied"] = sample.ground_truth.copy()  # the same label ids, in another field
    sample.save()
    image_dataset.tag_labels("x", label_fields="copied")
    assert image_dataset.count_label_tags() == {"x": 2}
    assert image_dataset.count_label_tags("ground_truth") == {}


def test_untagging_a_view_touches_only_the_labels_it_shows(image_dataset):
    ds = image_dataset
    ds.tag_labels(["a", "b"], label_fields="predictions")
    view = ds.filter_labels("predictions", F("confidence") > 0.8)
    view.untag_labels("a")  # the store selects the labels having "a" among those shown
    confidences = [0.9, 0.2, 0.95, 0.85, 0.5, 0.99]
    assert _tags(ds, "predictions.detections") == [
        ["b"] if c > 0.8 else ["a", "b"] for c in confidences
    ]
    assert ds.count_label_tags("predictions") == {"a": 2, "b": 6}
    assert view.count_label_tags() == {"b": 4}
    patches = ds.to_patches("predictions")
    assert patches.count_label_tags() == {"a": 2, "b": 6}
    patches.match(F("predictions.confidence") < 0.8).untag_labels(["a", "b"])
    assert _tags(ds, "predictions.detections") == [["b"] if c > 0.8 else [] for c in confidences]
    assert ds.count_label_tags() == {"b": 4}
