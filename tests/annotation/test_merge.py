"""load_annotations(): restrictions, read-only attributes, dest_field, idempotence, atomicity."""

from __future__ import annotations

import logging

import numpy as np
import pytest

import labelloop as ll
from labelloop.annotation.config import annotation_config
from tests.annotation.datasets import digest
from tests.annotation.memory_backend import SERVER


def _server(key: str, field: str) -> dict:
    """The annotator's view of ``field``: ``{sample_id: {label_id: label}}``."""
    return SERVER[key]["labels"][field]


def _edit_everything(dataset, key: str) -> dict:
    """Relabel, move and re-attribute one box, delete another, add one. Returns the ids."""
    first, second = dataset.skip(1).head(2)  # samples with 2 and 3 boxes
    server = _server(key, "ground_truth")
    edited_id, deleted_id = (d.id for d in first.ground_truth.detections)
    box = server[first.id][edited_id]
    box["label"] = "cat" if box.label == "dog" else "dog"
    box["bounding_box"] = [0.5, 0.5, 0.1, 0.1]
    box["iscrowd"] = 7
    del server[first.id][deleted_id]
    new = ll.Detection(label="dog", bounding_box=[0.0, 0.0, 0.5, 0.5], iscrowd=0)
    server[second.id][new.id] = new
    return {"sample": first.id, "edited": edited_id, "deleted": deleted_id, "added": new.id}


def test_merge_applies_edits_keeps_foreign_attributes_and_is_idempotent(dataset):
    dataset.annotate("r", label_field="ground_truth", backend="memory")
    ids = _edit_everything(dataset, "r")
    report = dataset.load_annotations("r", unexpected="ignore")
    assert report.to_dict()["fields"]["ground_truth"] == {
        "added": 1,
        "deleted": 1,
        "edited": 1,
        "refused": {},
    }
    sample = dataset[ids["sample"]]
    (edited,) = [d for d in sample.ground_truth.detections if d.id == ids["edited"]]
    assert edited.bounding_box == [0.5, 0.5, 0.1, 0.1] and edited.iscrowd == 7
    assert edited.notes.startswith("kept-")  # ids preserved, so attributes outside the run live on
    assert ids["deleted"] not in [d.id for d in sample.ground_truth.detections]
    assert ids["added"] in dataset.values("ground_truth.detections.id", unwind=True)
    after = digest(dataset)
    again = dataset.load_annotations("r", unexpected="ignore")
    assert again.to_dict()["fields"]["ground_truth"]["added"] == 0
    assert again.to_dict()["fields"]["ground_truth"]["edited"] == 0
    assert digest(dataset) == after
    stored = dataset.load_annotation_results("r", cache=False).id_map["ground_truth"]
    assert ids["added"] in stored[dataset.skip(2).first().id]
    assert ids["deleted"] not in stored[ids["sample"]]


@pytest.mark.parametrize(
    "flag, reason",
    [
        ("allow_additions", "addition"),
        ("allow_deletions", "deletion"),
        ("allow_label_edits", "label edit"),
        ("allow_spatial_edits", "spatial edit"),
    ],
)
def test_each_restriction_is_enforced_and_reported(dataset, caplog, flag, reason):
    dataset.annotate("r", label_field="ground_truth", backend="memory", **{flag: False})
    ids = _edit_everything(dataset, "r")
    with caplog.at_level(logging.WARNING):
        report = dataset.load_annotations("r", unexpected="ignore")
    diff = report.fields["ground_truth"]
    assert diff.refused_counts() == {reason: 1}
    assert f"1 {reason}" in caplog.text
    values = dataset.values("ground_truth.detections.id", unwind=True)
    labels = {d.id: d for s in dataset for d in s.ground_truth.detections}
    if flag == "allow_additions":
        assert ids["added"] not in values and diff.added == 0
    if flag == "allow_deletions":
        assert ids["deleted"] in values and diff.deleted == 0
    if flag == "allow_label_edits":
        assert labels[ids["edited"]].bounding_box == [0.5, 0.5, 0.1, 0.1]
        assert (
            labels[ids["edited"]].label
            != SERVER["r"]["labels"]["ground_truth"][ids["sample"]][ids["edited"]].label
        )
    if flag == "allow_spatial_edits":
        assert labels[ids["edited"]].bounding_box != [0.5, 0.5, 0.1, 0.1]
    assert labels[ids["edited"]].iscrowd == 7  # attribute edits are not restricted


def test_read_only_attributes(dataset):
    dataset.annotate(
        "r",
        label_field="ground_truth",
        backend="memory",
        attributes={"iscrowd": {"type": "text", "read_only": True}, "make": {"type": "text"}},
    )
    sample = dataset.skip(1).first()
    det = sample.ground_truth.detections[0]
    server = _server("r", "ground_truth")[sample.id][det.id]
    server["iscrowd"] = 99
    server["make"] = "vw"
    report = dataset.load_annotations("r", unexpected="ignore")
    assert report.fields["ground_truth"].refused_counts() == {"read-only attribute 'iscrowd'": 1}
    merged = dataset[sample.id].ground_truth.detections[0]
    assert merged.iscrowd == det.iscrowd and merged.make == "vw"


def test_dest_field_gets_the_post_edit_state(dataset):
    before = {s.id: s.ground_truth for s in dataset}
    dataset.annotate("r", label_field="ground_truth", backend="memory", allow_deletions=False)
    ids = _edit_everything(dataset, "r")
    report = dataset.load_annotations("r", dest_field="edited_gt", unexpected="ignore")
    assert report.fields["ground_truth"].refused_counts() == {"deletion": 1}
    for sample in dataset:
        assert sample.ground_truth == before[sample.id]  # source untouched
        dest = sample.edited_gt
        assert len(dest.detections) == len(sample.ground_truth.detections) + (
            1 if sample.id == dataset.skip(2).first().id else 0
        )
        # ids kept: each source label joins its loaded state by id (the added one is new)
        assert {d.id for d in sample.ground_truth.detections} <= {d.id for d in dest.detections}
    edited = dataset[ids["sample"]].edited_gt.detections[0]
    assert edited.bounding_box == [0.5, 0.5, 0.1, 0.1] and edited.notes.startswith("kept-")
    once = digest(dataset)
    dataset.load_annotations("r", dest_field={"ground_truth": "edited_gt"}, unexpected="ignore")
    assert digest(dataset) == once
    with pytest.raises(ValueError, match="not fields of this run"):
        dataset.load_annotations("r", dest_field={"weather": "w2"})
    with pytest.raises(ValueError, match="holds int"):
        dataset.load_annotations("r", dest_field="count")


def test_multi_field_run_with_new_fields_and_scalars(dataset):
    schema = {
        "ground_truth": {},
        "weather": {"allow_label_edits": False},
        "count": {},
        "new_kps": {
            "type": "keypoints",
            "classes": ["person"],
            "attributes": {"truncated": {"type": "checkbox"}},
        },
        "note": {"type": "scalar", "classes": ["ok", "blurry"]},
    }
    dataset.annotate("multi", label_schema=schema, backend="memory")
    first = dataset.first()
    state = SERVER["multi"]["labels"]
    kp = ll.Keypoint(
        label="person", points=[(0.1, 0.2), (float("nan"), float("nan"))], truncated=True
    )
    state["new_kps"][first.id] = {kp.id: kp}
    state["note"][first.id] = "blurry"
    state["count"][first.id] = None
    weather = next(iter(state["weather"][first.id].values()))
    weather["label"] = "snowy"
    with pytest.raises(ValueError, match="dest_field as a string"):
        dataset.load_annotations("multi", dest_field="x")
    report = dataset.load_annotations("multi", unexpected="ignore")
    merged = dataset[first.id]
    assert merged.new_kps.keypoints[0].id == kp.id and merged.new_kps.keypoints[0].truncated is True
    assert np.isnan(merged.new_kps.keypoints[0].points[1][0])
    assert merged.note == "blurry" and merged.count is None
    assert merged.weather.label == first.weather.label
    counts = report.to_dict()["fields"]
    assert counts["new_kps"]["added"] == 1 and counts["note"]["added"] == 1
    assert counts["count"]["deleted"] == 1 and counts["weather"]["refused"] == {"label edit": 1}


def test_copied_label_ids_are_regenerated(dataset):
    dataset.annotate("r", label_field="ground_truth", backend="memory")
    a, b = dataset.head(2)
    original = a.ground_truth.detections[0]
    copy = original.copy()
    _server("r", "ground_truth")[b.id][original.id] = copy  # pasted onto another image
    dataset.load_annotations("r", unexpected="ignore")
    ids = dataset.values("ground_truth.detections.id", unwind=True)
    assert len(ids) == len(set(ids)) and ids.count(original.id) == 1
    assert len(dataset[b.id].ground_truth.detections) == len(b.ground_truth.detections) + 1
    once = digest(dataset)
    dataset.load_annotations("r", unexpected="ignore")
    assert digest(dataset) == once


def test_error_mid_download_leaves_the_dataset_exactly_as_before(dataset):
    dataset.annotate("r", label_schema=["ground_truth", "count"], backend="memory")
    _edit_everything(dataset, "r")
    for sample_id in SERVER["r"]["labels"]["count"]:
        SERVER["r"]["labels"]["count"][sample_id] = 100
    SERVER["r"]["fail_after"] = 2
    before = digest(dataset)
    id_map = dataset.load_annotation_results("r", cache=False).id_map
    with pytest.raises(ConnectionError):
        dataset.load_annotations("r", unexpected="ignore", cleanup=True)
    assert digest(dataset) == before
    assert dataset.load_annotation_results("r", cache=False).id_map == id_map
    assert "r" in SERVER  # no cleanup after a failed merge
    SERVER["r"]["fail_after"] = None
    dataset.load_annotations("r", unexpected="ignore", cleanup=True)
    assert digest(dataset) != before and "r" not in SERVER
    assert dataset.load_annotation_results("r", cache=False).id_map == {}  # saved after cleanup


def test_error_mid_merge_rolls_back_every_field(dataset):
    dataset.annotate("r", label_schema=["ground_truth", "count"], backend="memory")
    _edit_everything(dataset, "r")
    first = dataset.first()
    first["polylines"] = 5
    first.save()
    line = ll.Polyline(label="x", points=[[(0, 0), (1, 1)]])
    SERVER["r"]["unexpected"]["ground_truth"] = {"polylines": {dataset.last().id: {line.id: line}}}
    before = digest(dataset)
    with pytest.raises(ValueError, match="'polylines' holds int"):
        dataset.load_annotations("r", unexpected="keep")
    assert digest(dataset) == before


def test_dry_run_reports_without_writing(dataset):
    results = dataset.annotate(
        "r", label_field="ground_truth", backend="memory", allow_deletions=False
    )
    _edit_everything(dataset, "r")
    before = digest(dataset)
    report = dataset.load_annotations("r", dry_run=True)
    same = results.diff()
    assert digest(dataset) == before
    assert report.to_dict() == same.to_dict()
    assert report.fields["ground_truth"].to_dict() == {
        "added": 1,
        "deleted": 0,
        "edited": 1,
        "refused": {"deletion": 1},
    }
    assert report.refused[0].reason == "deletion"
    real = dataset.load_annotations("r", unexpected="ignore")
    assert real.fields["ground_truth"].to_dict() == report.fields["ground_truth"].to_dict()


def test_instances_masks_classification_return_types_and_deleted_samples(dataset, caplog):
    first, second = dataset.head(2)
    with_masks = ll.Detections(
        detections=[
            ll.Detection(label="cat", bounding_box=[0.1, 0.1, 0.5, 0.5], mask=np.ones((3, 3), bool))
        ]
    )
    first["inst"] = with_masks
    first.save()
    results = dataset.annotate("r", label_schema=["inst", "weather"], backend="memory")
    assert results.config.label_schema["inst"]["type"] == "instances"
    (det,) = SERVER["r"]["labels"]["inst"][first.id].values()
    det["mask"] = np.zeros((3, 3), bool)
    # a backend may report tags of a single-label field under either classification key
    tag = ll.Classification(label="foggy", id=second.weather.id)
    SERVER["r"]["labels"]["weather"].pop(second.id)
    SERVER["r"]["unexpected"]["weather"] = {"classifications": {second.id: {tag.id: tag}}}
    dataset.delete_samples([dataset.last().id])
    with caplog.at_level(logging.WARNING):
        report = dataset.load_annotations("r", unexpected="ignore", progress=True)
    assert report.missing_samples == 1 and "no longer in the dataset" in caplog.text
    assert not dataset[first.id].inst.detections[0].mask.any()
    assert dataset[second.id].weather.label == "foggy"
    assert report.fields["weather"].edited == 1 and report.unexpected == {}


def test_backends_without_streaming_are_downloaded_before_writing(dataset):
    annotation_config.backends["whole"] = {
        "config_cls": "tests.annotation.memory_backend.WholeDownloadConfig",
        "token": "t",
    }
    dataset.annotate("w", label_field="ground_truth", backend="whole")
    ids = _edit_everything(dataset, "w")
    SERVER["w"]["fail_after"] = 1
    before = digest(dataset)
    with pytest.raises(ConnectionError):
        dataset.load_annotations("w", unexpected="ignore")
    assert digest(dataset) == before
    SERVER["w"]["fail_after"] = None
    report = dataset.load_annotations("w", unexpected="ignore")
    assert report.fields["ground_truth"].to_dict()["added"] == 1
    assert ids["deleted"] not in dataset.values("ground_truth.detections.id", unwind=True)


def test_scalars_the_annotator_left_empty_keep_local_values(dataset):
    dataset.annotate("s", label_field="score", label_type="scalar", backend="memory")
    first, second = dataset.head(2)
    first["score"] = 0.5  # set locally after the upload; the annotator never saw it
    first.save()
    SERVER["s"]["labels"]["score"][second.id] = 0.9
    report = dataset.load_annotations("s", unexpected="ignore")
    assert dataset[first.id].score == 0.5 and dataset[second.id].score == 0.9
    assert report.fields["score"].to_dict() == {
        "added": 1,
        "deleted": 0,
        "edited": 0,
        "refused": {},
    }
    SERVER["s"]["labels"]["score"][second.id] = None  # annotator clears it again
    report = dataset.load_annotations("s", unexpected="ignore")
    assert dataset[second.id].score is None and report.fields["score"].deleted == 1


def test_labels_hidden_by_the_annotated_view_are_never_touched(dataset):
    from labelloop import ViewField as F

    view = dataset.filter_labels("ground_truth", F("label") == "cat")
    results = view.annotate("cats", label_field="ground_truth", backend="memory")
    uploaded = {i for ids in results.id_map["ground_truth"].values() for i in ids}
    dogs = {d.id for s in dataset for d in s.ground_truth.detections if d.label == "dog"}
    assert uploaded and not uploaded & dogs
    for labels in SERVER["cats"]["labels"]["ground_truth"].values():
        labels.clear()  # the annotator deletes every cat
    report = dataset.load_annotations("cats", unexpected="ignore")
    assert report.fields["ground_truth"].deleted == len(uploaded)
    remaining = set(dataset.values("ground_truth.detections.id", unwind=True))
    assert remaining == dogs
