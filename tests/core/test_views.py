"""Views: stages, aggregations, serialization and saving through views."""

from __future__ import annotations

import pytest

import labelloop as ll
from labelloop import ViewField as F
from labelloop.core.labels import Detection


def test_spec_examples(image_dataset):
    ds = image_dataset
    # values("filepath") returns every path in dataset order
    assert ds.values("filepath") == [s.filepath for s in ds]
    # match_labels(...).limit(1): the first sample containing a person
    view = ds.match_labels(filter=F("label") == "person", fields="ground_truth").limit(1)
    assert len(view) == 1
    assert "person" in [d.label for d in view.first().ground_truth.detections]
    assert view.first().id == ds.values("id")[1]
    # sort_by(F("predictions.detections").length(), reverse=True)
    ordered = ds.sort_by(F("predictions.detections").length(), reverse=True)
    assert [len(x) for x in ordered.values("predictions.detections.id")] == [3, 2, 1, 0]


def test_filter_labels_hides_labels_and_samples(image_dataset):
    ds = image_dataset
    view = ds.filter_labels("predictions", F("confidence") > 0.8)
    assert view.count() == 3  # the sample without predictions above 0.8 is gone
    assert view.count("predictions.detections") == 4
    assert view.values("predictions.detections.label") == [["cat"], ["person"], ["person", "car"]]
    kept = ds.filter_labels("predictions", F("confidence") > 0.8, only_matches=False)
    assert kept.count() == 4
    assert kept.values("predictions.detections.confidence")[3] == []
    # a Python-only expression gives the same answer as the compiled one
    python_only = ds.filter_labels("predictions", (F("confidence") * 1) > 0.8)
    assert python_only.values("predictions.detections.label") == view.values(
        "predictions.detections.label"
    )
    assert ds.count("predictions.detections") == 6  # the dataset is unchanged


def test_saving_a_filtered_sample_keeps_hidden_labels(image_dataset):
    ds = image_dataset
    view = ds.filter_labels("ground_truth", F("label") == "person")
    sample = view.first()
    assert [d.label for d in sample.ground_truth.detections] == ["person"]
    sample.ground_truth.detections[0].label = "pedestrian"
    sample.ground_truth.detections.append(Detection(label="bike"))
    sample.save()
    assert ds[sample.id].ground_truth.detections is not None
    labels = ds.values("ground_truth.detections.label")
    assert labels[1] == ["pedestrian", "bike"]
    third = view.first()  # sample 1 no longer matches; sample 2 shows only its persons
    assert third.id == ds.values("id")[2]
    assert [d.label for d in third.ground_truth.detections] == ["person", "person"]
    del third.ground_truth.detections[0]
    third.save()
    assert ds.values("ground_truth.detections.label")[2] == ["person", "car"]


def test_editing_through_a_view_edits_the_dataset(image_dataset):
    ds = image_dataset
    sample = ds.match_tags("val").first()
    sample.ground_truth.detections[0].label = "x"
    sample.save()
    assert ds[sample.id].ground_truth.detections[0].label == "x"


def test_sample_selection_stages(image_dataset):
    ds = image_dataset
    ids = ds.values("id")
    assert ds.select([ids[2], ids[0]]).values("id") == [ids[0], ids[2]]
    assert ds.select([ids[2], ids[0]], ordered=True).values("id") == [ids[2], ids[0]]
    assert ds.exclude(ids[0]).values("id") == ids[1:]
    assert ds.match(F("uniqueness") >= 0.5).values("id") == ids[2:]
    assert ds.match_tags("train").values("id") == [ids[0], ids[2]]
    assert ds.match_tags("train", bool=False).values("id") == [ids[1], ids[3]]
    assert ds.skip(1).limit(2).values("id") == ids[1:3]
    assert ds[1:3].values("id") == ids[1:3]
    taken = ds.take(2, seed=7).values("id")
    assert len(set(taken)) == 2 and ds.take(2, seed=7).values("id") == taken
    ds.first().save()
    assert ds.exists("predictions").count() == 4
    assert ds.match(F("predictions.detections").length() > 0).count() == 3
    assert ds.match(F("tags").contains("val")).values("id") == [ids[1]]
    with pytest.raises(ValueError, match="empty"):
        ds.match(F("uniqueness") > 5).first()


def test_label_selection_stages(image_dataset):
    ds = image_dataset
    person_ids = ds.filter_labels("ground_truth", F("label") == "person").values(
        "ground_truth.detections.id", unwind=True
    )
    selected = ds.select_labels(ids=person_ids)
    assert selected.count() == 2
    assert selected.count("ground_truth.detections") == 3
    assert not selected.has_sample_field("nope")
    assert selected.values("predictions.detections") == [[], []]  # no selected predictions
    only_gt = ds.select_labels(ids=person_ids, fields="ground_truth")
    assert only_gt.values("predictions") == [None, None]  # other label fields hidden
    assert isinstance(ds.values("predictions")[0], ll.Detections)
    excluded = ds.exclude_labels(ids=person_ids, fields="ground_truth")
    assert excluded.values("ground_truth.detections.label") == [["cat", "dog"], ["car"]]
    ds.first().save()
    first = ds.first()
    first.ground_truth.detections[0].tags = ["review"]
    first.save()
    assert ds.match_labels(tags="review").count() == 1
    assert ds.match_labels(tags="review", bool=False).count() == 3
    # saving through select_labels keeps the hidden fields and labels
    sample = selected.first()
    sample.ground_truth.detections[0].confidence = 0.5
    sample.save()
    assert ds[sample.id].predictions is not None
    assert ds.count("ground_truth.detections") == 6


def test_field_selection(image_dataset):
    ds = image_dataset
    view = ds.select_fields("ground_truth")
    sample = view.first()
    assert sample.predictions is None and sample.ground_truth is not None
    sample["uniqueness"] = 0.99  # saving a partial sample keeps the hidden fields
    sample.save()
    assert ds.first().predictions is not None and ds.first().uniqueness == 0.99
    assert ds.exclude_fields("predictions").first().predictions is None


def test_aggregations(image_dataset):
    ds = image_dataset
    assert ds.count() == 4
    assert ds.count("ground_truth.detections") == 6
    assert ds.distinct("ground_truth.detections.label") == ["car", "cat", "dog", "person"]
    assert ds.count_values("ground_truth.detections.label") == {
        "cat": 1,
        "dog": 1,
        "person": 3,
        "car": 1,
    }
    assert ds.bounds("predictions.detections.confidence") == (0.2, 0.99)
    assert ds.bounds("uniqueness") == (0.0, 0.75)
    boxes = ds.values("ground_truth.detections.bounding_box")
    assert boxes[0][1] == [0.1, 0.1, 0.2, 0.2]
    assert ds.values("tags", unwind=True) == ["train", "val", "train"]
    assert ds.match_tags("train").count("predictions.detections") == 5


def test_set_values(image_dataset):
    ds = image_dataset
    ds.set_values("score", [1, 2, 3, 4])
    assert ds.values("score") == [1, 2, 3, 4]
    view = ds.filter_labels("predictions", F("confidence") > 0.8)
    flags = [[True] * len(x) for x in view.values("predictions.detections.id")]
    view.set_values("predictions.detections.high", flags)
    assert ds.values("predictions.detections.high") == [
        [True, None],
        [True],
        [True, None, True],
        [],
    ]
    with pytest.raises(ValueError, match="4 samples"):
        ds.set_values("score", [1])


def test_views_serialize_and_rebuild(image_dataset):
    ds = image_dataset
    view = (
        ds.filter_labels("predictions", (F("confidence") > 0.3) & F("label").is_in(["cat", "car"]))
        .match(F("predictions.detections").filter(F("label") == "car").length() > 0)
        .sort_by("uniqueness", reverse=True)
        .take(5, seed=1)
        .select_fields(["predictions"])
    )
    import json

    stages = json.loads(json.dumps(view._serialize()))
    rebuilt = ds._load_view(stages)
    assert rebuilt.values("predictions.detections.label") == [["car"]]
    assert rebuilt == view


def test_expression_operators(image_dataset):
    ds = image_dataset
    assert ds.match(F("filepath").ends_with("img1.jpg")).count() == 1
    assert ds.match(F("filepath").re_match(r"IMG[23]", options="i")).count() == 2
    assert ds.match(~F("tags").contains("train")).count() == 2
    assert ds.match((F("uniqueness") * 4) % 2 == 1).count() == 2
    assert ds.match(F("predictions.detections.confidence").max() > 0.9).count() == 2
    mapped = ds.match(F("predictions.detections").map(F("label").upper()).contains("CAT")).count()
    assert mapped == 1
    with pytest.raises(TypeError, match="truth value"):
        bool(F("a") == 1)


def test_set_field_computes_values(image_dataset):
    ds = image_dataset
    doubled = ds.set_field("uniqueness", F("uniqueness") * 2)
    assert doubled.values("uniqueness") == [0.0, 0.5, 1.0, 1.5]
    confident = ds.set_field(
        "predictions.detections", F("detections").filter(F("confidence") > 0.9)
    )
    assert confident.values("predictions.detections.label") == [[], ["person"], ["car"], []]
    sample = confident.skip(2).first()
    sample.save()  # the hidden (filtered-out) predictions survive the save
    assert ds.values("predictions.detections.label")[2] == ["person", "person", "car"]
    upper = ds.set_field("ground_truth.detections.label", F("label").upper())
    assert upper.distinct("ground_truth.detections.label") == ["CAR", "CAT", "DOG", "PERSON"]
    rebuilt = ds._load_view(upper._serialize())
    assert rebuilt.count_values("ground_truth.detections.label")["PERSON"] == 3


def test_setting_a_field_hidden_by_the_view_replaces_it(image_dataset):
    ds = image_dataset
    sample = ds.select_fields("ground_truth").first()
    sample["predictions"] = ll.Detections(detections=[Detection(label="new")])
    sample.save()
    assert ds.values("predictions.detections.label")[0] == ["new"]
    assert ds.count("predictions.detections") == 5
