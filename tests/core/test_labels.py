"""Label-level operations that other layers use to merge without rewriting samples."""

from __future__ import annotations

import pytest

from labelloop.core.labels import Classification, Detection


def test_get_set_and_delete_single_labels(image_dataset):
    ds = image_dataset
    sample_id = ds.values("id")[2]
    car_id = ds.values("ground_truth.detections.id")[2][2]
    info = ds.get_label(car_id)
    assert (info.sample_id, info.frame_number, info.field) == (sample_id, None, "ground_truth")
    assert info.label.label == "car" and isinstance(info.label, Detection)
    edited = info.label
    edited.label = "bus"
    ds.set_label(sample_id, "ground_truth", edited)
    new = Detection(label="bike", bounding_box=[0, 0, 0.1, 0.1])
    ds.set_label(sample_id, "ground_truth", new)
    assert ds.values("ground_truth.detections.label")[2] == ["person", "person", "bus", "bike"]
    assert ds.values("predictions.detections.label")[2] == ["person", "person", "car"]
    ds.set_label(sample_id, "weather", Classification(label="sunny"))
    assert ds.values("weather.label") == [None, None, "sunny", None]
    ds.set_label(sample_id, "weather", Classification(label="rain"))
    assert ds.count("weather") == 1 and ds.values("weather.label")[2] == "rain"
    with pytest.raises(ValueError, match="pass a Detection"):
        ds.set_label(sample_id, "ground_truth", Classification(label="x"))
    ds.delete_labels(ids=[new.id])
    assert ds.values("ground_truth.detections.label")[2] == ["person", "person", "bus"]
    with pytest.raises(KeyError):
        ds.get_label(new.id)


def test_labels_on_frames_and_empty_samples(tmp_path, dataset):
    import labelloop as ll
    from tests.core.media import write_mp4

    sample = ll.Sample(write_mp4(str(tmp_path / "v.mp4"), frames=3))
    dataset.add_sample(sample)
    det = Detection(label="car")
    dataset.set_label(sample.id, "detections", det, frame_number=2)
    info = dataset.get_label(det.id)
    assert (info.frame_number, info.field) == (2, "detections")
    assert dataset.values("frames.detections.detections.label") == [[["car"]]]
    dataset.delete_labels(tags=["nothing"])  # no label has the tag
    assert dataset.count("frames.detections.detections") == 1


def test_delete_labels_by_tag_and_view(image_dataset):
    from labelloop import ViewField as F

    ds = image_dataset
    sample = ds.first()
    sample.predictions.detections[1].tags = ["bad"]
    sample.save()
    ds.delete_labels(tags="bad")
    assert ds.count("predictions.detections") == 5
    ds.delete_labels(
        view=ds.filter_labels("ground_truth", F("label") == "person"), fields="ground_truth"
    )
    assert ds.count("ground_truth.detections") == 3
    assert ds.count("predictions.detections") == 5
