"""The whole loop with the test annotator playing the person in CVAT: restriction flags,
read_only attributes, dest_field, unexpected labels, failures that change nothing."""

from __future__ import annotations

import logging

import pytest

from labelloop.core.labels import Detection, Detections
from labelloop.cvat.errors import CVATBadRequest
from labelloop.testing.annotator import Annotator
from tests.cvat.helpers import image_dataset

W, H = 64, 48


def _dets(i):
    return Detections(
        detections=[
            Detection(label="cat", bounding_box=[0.1, 0.1, 0.25, 0.25], kind="a", note="x"),
            Detection(label="dog", bounding_box=[0.5, 0.5, 0.25, 0.25], kind="b", note="y"),
        ]
    )


def _creds(server):
    return {"url": server.url, "username": server.username, "password": server.password}


def _annotator(server):
    return Annotator(server.url, server.username, server.password)


def _job_and_shapes(annotator, results):
    job_id = results.job_ids[results.task_ids[0]][0]
    return job_id, annotator.annotations(job_id)["shapes"]


def _by_id(dataset):
    return {s.id: {d.id: d for d in s.gt.detections} for s in dataset.iter_samples()}


def _frame0_sample(results):
    return results.frame_id_map[results.task_ids[0]][0]["sample_id"]


def test_restrictions_refuse_edits_but_keep_attribute_changes(cvat_server, tmp_path):
    dataset = image_dataset(tmp_path, 1, (W, H), gt=_dets)
    before = _by_id(dataset)
    results = dataset.annotate(
        "strict",
        label_field="gt",
        attributes={"kind": {"type": "text"}, "note": {"type": "text", "read_only": True}},
        allow_additions=False,
        allow_deletions=False,
        allow_label_edits=False,
        allow_spatial_edits=False,
        **_creds(cvat_server),
    )
    with _annotator(cvat_server) as person:
        job_id, shapes = _job_and_shapes(person, results)
        first, second = sorted(shapes, key=lambda s: s["points"][0])
        person.move_shape(job_id, first["id"], 5, 5)
        person.change_label(job_id, first["id"], "dog")  # clears its attributes, as CVAT does
        person.set_attributes(job_id, first["id"], {"kind": "changed", "note": "edited"})
        person.delete_shapes(job_id, [second["id"]])
        person.add_shape(job_id, type="rectangle", label="cat", points=[1, 1, 9, 9], frame=0)
    report = dataset.load_annotations("strict", **_creds(cvat_server))
    after = _by_id(dataset)
    (sample_id,) = after
    cat_id = next(i for i, d in before[sample_id].items() if d.label == "cat")
    assert set(after[sample_id]) == set(before[sample_id])  # nothing added or deleted
    cat = after[sample_id][cat_id]
    assert cat.label == "cat" and cat.bounding_box == pytest.approx([0.1, 0.1, 0.25, 0.25])
    assert cat.kind == "changed"  # attribute edits are not restricted...
    assert cat.note == "x"  # ...unless the attribute is read_only
    refused = report.fields["gt"].refused_counts()
    assert sum(refused.values()) >= 4, refused


def test_dest_field_and_unexpected_labels(cvat_server, tmp_path):
    dataset = image_dataset(tmp_path, 1, (W, H), gt=_dets)
    results = dataset.annotate("dest", label_field="gt", **_creds(cvat_server))
    with _annotator(cvat_server) as person:
        job_id, shapes = _job_and_shapes(person, results)
        person.move_shape(job_id, shapes[0]["id"], 3, 0)
        # a polygon drawn into a boxes field is "unexpected"
        person.add_shape(job_id, type="polygon", label="cat", points=[1, 1, 20, 1, 10, 15], frame=0)
    returned = dataset.load_annotations(
        "dest", dest_field="reviewed", unexpected="return", **_creds(cvat_server)
    )
    sample = next(dataset.iter_samples())
    assert len(sample.reviewed.detections) == 2
    assert sorted(d.label for d in sample.gt.detections) == ["cat", "dog"]  # source untouched
    assert returned is not None and "polylines" in returned["gt"]
    dataset.load_annotations("dest", unexpected="ignore", **_creds(cvat_server))
    sample = next(dataset.iter_samples())
    assert not sample.has_field("polylines") or sample.polylines is None
    dataset.load_annotations("dest", unexpected="keep", cleanup=True, **_creds(cvat_server))
    sample = next(dataset.iter_samples())
    assert [p.label for p in sample.polylines.polylines] == ["cat"]


@pytest.mark.local_cvat_only(reason="injects a download fault")
def test_download_error_leaves_dataset_unchanged(cvat_server_fresh, tmp_path):
    server = cvat_server_fresh
    dataset = image_dataset(tmp_path, 2, (W, H), gt=_dets)
    before = _by_id(dataset)
    results = dataset.annotate("atomic", label_field="gt", **_creds(server))
    with _annotator(server) as person:
        job_id, shapes = _job_and_shapes(person, results)
        person.delete_shapes(job_id, [s["id"] for s in shapes if s["frame"] == 0])
    with server.fault(
        method="GET", path=r"/api/jobs/\d+/annotations", status=400, body={"detail": "bad job"}
    ):
        with pytest.raises(CVATBadRequest, match="bad job"):
            dataset.load_annotations("atomic", **_creds(server))
    after = _by_id(dataset)
    assert {s: set(d) for s, d in after.items()} == {s: set(d) for s, d in before.items()}
    dataset.load_annotations("atomic", cleanup=True, **_creds(server))
    assert sum(len(d) for d in _by_id(dataset).values()) == 2  # frame 0's labels deleted


def test_copied_labels_get_fresh_ids_and_secrets_stay_out_of_logs(cvat_server, tmp_path, caplog):
    dataset = image_dataset(tmp_path, 1, (W, H), gt=_dets)
    with caplog.at_level(logging.DEBUG):
        results = dataset.annotate("copy", label_field="gt", **_creds(cvat_server))
        with _annotator(cvat_server) as person:
            job_id, shapes = _job_and_shapes(person, results)
            original = shapes[0]
            label_id = next(a["value"] for a in original["attributes"] if len(a["value"]) == 24)
            # copy/paste in CVAT duplicates every attribute, label_id included
            person.add_shape(
                job_id,
                type="rectangle",
                label="cat",
                points=[2, 2, 12, 12],
                frame=0,
                attributes={"label_id": label_id},
            )
        dataset.load_annotations("copy", cleanup=True, **_creds(cvat_server))
    ids = [d.id for d in next(dataset.iter_samples()).gt.detections]
    assert len(ids) == 3 and len(set(ids)) == 3 and label_id in ids
    assert cvat_server.password not in caplog.text
