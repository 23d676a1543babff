"""Datasets: creation, persistence, samples, fields and their types."""

from __future__ import annotations

import pytest

import labelloop as ll
from labelloop import progress
from labelloop.core.labels import Classification, Detection, Detections


def test_samples_round_trip_through_the_database(image_dataset):
    ds = image_dataset
    assert len(ds) == 4
    assert ds.media_type == "image"
    first = ds.first()
    again = ll.load_dataset(ds.name)[first.id]
    assert again.ground_truth == first.ground_truth
    assert [d.label for d in again.predictions.detections] == ["cat", "dog"]
    assert ds.last().filepath.endswith("img3.jpg")
    assert [s.filepath for s in ds.head(2)] == ds.values("filepath")[:2]


def test_dataset_registry(dataset):
    assert ll.dataset_exists(dataset.name)
    assert dataset.name in ll.list_datasets()
    with pytest.raises(ValueError, match="already exists"):
        ll.Dataset(dataset.name)
    assert ll.load_dataset(dataset.name) is dataset
    name = dataset.name
    ll.delete_dataset(name)
    assert not ll.dataset_exists(name)
    with pytest.raises(ValueError, match="No dataset"):
        ll.load_dataset(name)


def test_field_types_are_declared_then_enforced(dataset, tmp_path):
    dataset.add_sample(ll.Sample(str(tmp_path / "a.jpg"), count=3, label=Classification(label="x")))
    with pytest.raises(ValueError, match=r"Field 'count' is declared as int but was given a str"):
        dataset.add_sample(ll.Sample(str(tmp_path / "b.jpg"), count="three"))
    sample = dataset.first()
    with pytest.raises(ValueError, match="declared as Classification"):
        sample["label"] = Detections()
    sample["count"] = None  # None is always allowed
    sample.save()
    assert dataset.values("count") == [None]
    assert len(dataset) == 1  # the failed add_sample added nothing


def test_schema_management(image_dataset):
    ds = image_dataset
    assert ds.get_field_schema()["ground_truth"] == {"kind": "label", "cls": "Detections"}
    assert ds.has_sample_field("uniqueness")
    ds.rename_sample_field("uniqueness", "score")
    assert ds.values("score") == [0.0, 0.25, 0.5, 0.75]
    ds.rename_sample_field("predictions", "preds")
    assert ds.count("preds.detections") == 6
    ds.delete_sample_field("preds")
    assert not ds.has_sample_field("preds")
    assert "preds" not in ds.first().field_names
    ds.add_sample_field("note", str)
    assert ds.values("note") == [None] * 4
    with pytest.raises(ValueError, match="built-in"):
        ds.delete_sample_field("filepath")


def test_dataset_properties_persist(dataset):
    dataset.classes = {"ground_truth": ["cat", "dog"]}
    dataset.default_classes = ["a", "b"]
    dataset.mask_targets = {"seg": {1: "road", 2: "car"}}
    dataset.info["author"] = "me"
    dataset.save()
    dataset.reload()
    assert dataset.get_classes("ground_truth") == ["cat", "dog"]
    assert dataset.get_classes("other") == ["a", "b"]
    assert dataset.get_mask_targets("seg") == {1: "road", 2: "car"}
    assert dataset.get_mask_targets("other") is None
    assert dataset.info == {"author": "me"}


def test_clone_copies_samples_and_runs(image_dataset):
    from labelloop.core import runs

    runs.register_run(image_dataset, "evaluation", "eval", {"iou": 0.5}, method="coco")
    clone = image_dataset.clone()
    try:
        assert clone.name != image_dataset.name
        assert clone.values("ground_truth.detections.label") == image_dataset.values(
            "ground_truth.detections.label"
        )
        assert clone.list_evaluations() == ["eval"]
        clone.first().ground_truth.detections[0].label = "changed"
        sample = clone.first()
        sample.ground_truth.detections[0].label = "changed"
        sample.save()
        assert image_dataset.first().ground_truth.detections[0].label == "cat"
        view_clone = image_dataset.match_tags("train").clone()
        assert len(view_clone) == 2 and view_clone.list_evaluations() == []
        view_clone.delete()
    finally:
        clone.delete()


def test_delete_samples_and_labels(image_dataset):
    ds = image_dataset
    ids = ds.values("id")
    ds.delete_samples(ids[0])
    assert len(ds) == 3 and ids[0] not in ds.values("id")
    person_ids = ds.filter_labels("ground_truth", ll.ViewField("label") == "person").values(
        "ground_truth.detections.id", unwind=True
    )
    ds.delete_labels(ids=person_ids)
    assert ds.distinct("ground_truth.detections.label") == ["car"]
    assert ds.count("predictions.detections") == 4  # other fields untouched


def test_stats_counts_real_bytes(image_dataset):
    stats = image_dataset.stats(include_media=True)
    assert stats["samples_count"] == 4
    assert stats["samples_bytes"] > 0 and stats["samples_size"].endswith("B")
    media = sum(len(open(p, "rb").read()) for p in image_dataset.values("filepath"))
    assert stats["media_bytes"] == media
    assert stats["total_bytes"] == stats["samples_bytes"] + media


def test_adding_a_sample_of_another_dataset_adds_a_copy(image_dataset):
    dataset = ll.Dataset()
    original = image_dataset.first()
    new_id = dataset.add_sample(original)
    assert new_id != original.id and original.dataset is image_dataset
    assert dataset[new_id].ground_truth.detections[0].label == "cat"
    detection = Detection(label="x")
    with pytest.raises(ValueError, match="label id occurs twice"):
        dataset.add_samples(
            [
                ll.Sample("/tmp/x1.jpg", gt=Detections(detections=[detection])),
                ll.Sample("/tmp/x2.jpg", gt=Detections(detections=[detection])),
            ]
        )
    assert len(dataset) == 1
    dataset.delete()


def test_add_samples_options_and_failure_leaves_samples_free(
    dataset, tmp_path, capsys, monkeypatch
):
    # a pipe gets no bar (no carriage-return clutter); a terminal gets one
    piped = ll.Dataset()
    piped.add_samples([ll.Sample(str(tmp_path / "p.jpg"), score=0)], progress=True)
    assert "Adding samples" not in capsys.readouterr().err
    piped.delete()
    monkeypatch.setattr(progress, "on_terminal", lambda: True)
    dataset.add_samples([ll.Sample(str(tmp_path / "a.jpg"), score=1)], progress=True)
    assert "Adding samples" in capsys.readouterr().err
    with pytest.raises(ValueError, match="no sample field 'extra'"):
        dataset.add_sample(ll.Sample(str(tmp_path / "b.jpg"), extra=2), expand_schema=False)
    good = ll.Sample(str(tmp_path / "c.jpg"), score=2)
    bad = ll.Sample(str(tmp_path / "d.jpg"), score="x")
    with pytest.raises(ValueError, match="declared as int"):
        dataset.add_samples([good, bad])
    assert good.id is None and good.dataset is None and len(dataset) == 1
    dataset.add_sample(good)
    assert dataset.values("score") == [1, 2]


def test_masks_nan_points_and_dates_survive_storage(dataset, tmp_path):
    import datetime as dt
    import math

    import numpy as np

    from labelloop.core.labels import Keypoint, Keypoints, Segmentation

    mask = np.arange(12, dtype=np.uint8).reshape(3, 4)
    when = dt.datetime(2024, 5, 6, 7, 8, 9)
    sample = ll.Sample(
        str(tmp_path / "m.jpg"),
        seg=Segmentation(mask=mask),
        boxes=Detections(detections=[Detection(label="a", mask=mask > 5)]),
        kps=Keypoints(keypoints=[Keypoint(points=[(0.1, 0.2), (float("nan"), float("nan"))])]),
        taken=when,
    )
    dataset.add_sample(sample)
    stored = dataset[sample.id]
    assert np.array_equal(stored.seg.mask, mask) and stored.seg.mask.dtype == np.uint8
    assert np.array_equal(stored.boxes.detections[0].mask, mask > 5)
    point = stored.kps.keypoints[0].points[1]
    assert math.isnan(point[0]) and math.isnan(point[1])
    assert stored.taken == when
    assert dataset.get_field_schema()["taken"] == {"kind": "datetime"}
    # a label filter over a field with NaN points still compiles and runs in SQL
    assert dataset.filter_labels("kps", ll.ViewField("label") == None).count("kps.keypoints") == 1  # noqa: E711


def test_saving_a_deleted_sample_raises(image_dataset):
    sample = image_dataset.first()
    image_dataset.delete_samples(sample)
    sample.ground_truth.detections[0].label = "ghost"
    with pytest.raises(ValueError, match="no longer in dataset"):
        sample.save()
    assert image_dataset.count("ground_truth.detections") == 4  # nothing was written
    copy_id = image_dataset.add_sample(sample.copy())
    assert image_dataset[copy_id].ground_truth.detections[0].label == "ghost"
