"""Bad media, annotator-tampered CVAT data and malformed server payloads.

Expect a clear error or a reported, skipped item: never a bare ``KeyError``,
never a half-written dataset.
"""

from __future__ import annotations

import json
import logging
import os

import pytest

from labelloop import Keypoint, Keypoints
from labelloop.cvat.errors import CVATError
from labelloop.testing.annotator import Annotator
from tests.reliability.helpers import (
    creds,
    image_dataset,
    label_digest,
    task_ids,
    video_dataset,
)


def _media_case(dataset, server, damage):
    """Every file is read on disk first: a bad one is refused before any request, naming
    its sample and path (CVAT itself would only fail later, naming its own copy)."""
    sample = next(dataset.iter_samples())
    damage(sample.filepath)
    before = label_digest(dataset)
    with pytest.raises(ValueError) as info:
        dataset.annotate("media", label_field="gt", **creds(server))
    message = str(info.value)
    assert f"sample {sample.id}: {sample.filepath!r}" in message, message
    assert "nothing was created on the server" in message
    assert not dataset.has_annotation_run("media")
    assert task_ids(server) == []
    assert label_digest(dataset) == before


def _remove(path):
    os.remove(path)


def _truncate(path):
    with open(path, "rb") as f:
        head = f.read(40)
    with open(path, "wb") as f:
        f.write(head)


def _text(path):
    with open(path, "w") as f:
        f.write("this is not an image\n")


def _unreadable(path):
    os.remove(path)
    os.mkdir(path)  # a directory where the file was: unreadable as media, even for root


@pytest.mark.parametrize(
    "damage",
    [_remove, _truncate, _text, _unreadable],
    ids=["missing", "truncated", "not-image", "unreadable"],
)
def test_bad_media_is_refused_naming_the_file(server, tmp_path, damage):
    _media_case(image_dataset(tmp_path, 2), server, damage)


def _edited_run(server, tmp_path, edit):
    dataset = image_dataset(tmp_path, 1, per_sample=2)
    results = dataset.annotate(
        "tampered", label_field="gt", url=server.url, token=server.admin_token
    )
    (task_id,) = results.task_ids
    with Annotator(server.url, token=server.admin_token) as person:
        job_id = person.jobs(task_id)[0]["id"]
        edit(person, job_id)
    return dataset


def _load_and_check(dataset, server, caplog):
    with caplog.at_level(logging.WARNING):
        report = dataset.load_annotations("tampered", url=server.url, token=server.admin_token)
    labels = [d for s in dataset.iter_samples() for d in (s.gt.detections if s.gt else [])]
    ids = [d.id for d in labels]
    assert len(ids) == len(set(ids))  # label ids stay unique
    for d in labels:
        assert all(v == v and abs(v) != float("inf") for v in d.bounding_box)
    return report, labels


def test_duplicate_label_ids_from_copy_paste_get_distinct_ids(server, tmp_path, caplog):
    def edit(person, job):
        shape = person.annotations(job)["shapes"][0]
        attrs = {a["spec_id"]: a["value"] for a in shape["attributes"]}
        names = {
            a["id"]: a["name"] for a in person._label_by_id(job, shape["label_id"])["attributes"]
        }
        label = person._label_by_id(job, shape["label_id"])["name"]
        person.add_shape(
            job,
            type="rectangle",
            label=label,
            points=[1, 1, 5, 5],
            frame=0,
            attributes={names[k]: v for k, v in attrs.items()},
        )

    dataset = _edited_run(server, tmp_path, edit)
    _, labels = _load_and_check(dataset, server, caplog)
    assert len(labels) == 3


def test_garbage_and_huge_label_id_attributes_fall_back_to_provenance(server, tmp_path, caplog):
    def edit(person, job):
        shapes = person.annotations(job)["shapes"]
        # the longest value CVAT stores (4096 characters; it refuses longer ones with 400)
        person.set_attributes(job, shapes[0]["id"], {"label_id": "x" * 4096})
        person.set_attributes(job, shapes[1]["id"], {"label_id": "not-an-id"})

    dataset = _edited_run(server, tmp_path, edit)
    before_ids = {d.id for s in dataset.iter_samples() for d in s.gt.detections}
    _, labels = _load_and_check(dataset, server, caplog)
    assert {d.id for d in labels} == before_ids  # matched back through the server-id map


def test_shapes_outside_the_frame_are_loaded_clipped_or_reported(server, tmp_path, caplog):
    def edit(person, job):
        person.add_shape(job, type="rectangle", label="cat", points=[-50, -50, 500, 400], frame=0)

    dataset = _edited_run(server, tmp_path, edit)
    _, labels = _load_and_check(dataset, server, caplog)
    assert len(labels) == 3
    assert any("outside their image" in r.getMessage() for r in caplog.records)


def test_unknown_class_added_to_the_task_is_reported_not_merged(server, tmp_path, caplog):
    def edit(person, job):
        task_id = person.job(job)["task_id"]
        with server.client() as client:
            client.patch(
                f"/api/tasks/{task_id}", json={"labels": [{"name": "zebra", "attributes": []}]}
            ).raise_for_status()
        person.add_shape(job, type="rectangle", label="zebra", points=[1, 1, 9, 9], frame=0)

    dataset = _edited_run(server, tmp_path, edit)
    _, labels = _load_and_check(dataset, server, caplog)
    assert "zebra" not in {d.label for d in labels}
    assert any("zebra" in r.getMessage() for r in caplog.records)


MALFORMED = [
    pytest.param(
        {
            "status": 200,
            "body": "<html><body>Bad gateway</body></html>",
            "headers": {"Content-Type": "text/html"},
        },
        id="html-page",
    ),
    pytest.param({"status": 200, "body": {"version": 1}}, id="missing-keys"),
    pytest.param(
        {"status": 200, "body": {"version": 1, "tags": [], "shapes": "x", "tracks": []}},
        id="wrong-types",
    ),
    pytest.param(
        {
            "status": 200,
            "body": {
                "version": 1,
                "tags": [],
                "tracks": [],
                "shapes": [{"type": "rectangle", "frame": 0}],
            },
        },
        id="shape-missing-keys",
    ),
    pytest.param(
        {
            "status": 502,
            "body": "<html>proxy error</html>",
            "headers": {"Content-Type": "text/html"},
        },
        id="html-error-page",
    ),
]


@pytest.mark.local_cvat_only(reason="injects a malformed payload")
@pytest.mark.parametrize("fault", MALFORMED)
def test_malformed_annotation_payload_is_a_clear_error_and_nothing_is_written(
    server, tmp_path, fault
):
    dataset = image_dataset(tmp_path, 1)
    dataset.annotate("payload", label_field="gt", url=server.url, token=server.admin_token)
    before = label_digest(dataset)
    server.inject_fault(method="GET", path=r"^/api/jobs/\d+/annotations/?$", **fault)
    with pytest.raises(CVATError) as info:
        dataset.load_annotations("payload", url=server.url, token=server.admin_token)
    assert "/annotations" in str(info.value)
    assert label_digest(dataset) == before


@pytest.mark.parametrize("token", ["NaN", "Infinity"])
def test_the_server_refuses_non_finite_numbers_in_a_patch(server, tmp_path, token):
    """JSON has no NaN/Infinity: CVAT 2.73 answers 400 to a tampered client's PATCH holding
    them and keeps the job as it was (the local server too)."""

    def edit(person, job):
        kept = person.annotations(job)["shapes"]
        shape = dict(kept[0], points=[0.0, 1.0, 5.0, 5.0])
        body = json.dumps({"version": 0, "tags": [], "shapes": [shape], "tracks": []})
        with server.client() as client:  # raw JSON tokens, as a tampered client sends them
            response = client.patch(
                f"/api/jobs/{job}/annotations",
                params={"action": "update"},
                content=body.replace("[0.0, 1.0", f"[{token}, 1.0", 1),
                headers={"Content-Type": "application/json"},
            )
        assert response.status_code == 400, response.text
        assert "JSON parse error" in response.text
        after = person.annotations(job)["shapes"]
        assert [s["points"] for s in after] == [s["points"] for s in kept]

    _edited_run(server, tmp_path, edit)


def _with_bad_value(dataset, where, bad):
    sample = dataset.first()
    box = sample.gt.detections[0]
    if where == "coordinates":
        box.bounding_box = [bad, 0.1, 0.2, 0.2]
    else:
        box["score"] = bad
    sample.save()
    return sample, box


@pytest.mark.parametrize("where", ["coordinates", "attribute"])
@pytest.mark.parametrize("bad", [float("nan"), float("-inf")], ids=["nan", "inf"])
def test_non_finite_labels_are_refused_before_any_request(server, tmp_path, where, bad):
    dataset = image_dataset(tmp_path, 2)
    sample, box = _with_bad_value(dataset, where, bad)
    before = label_digest(dataset)
    schema = {"gt": {"type": "detections", "classes": ["cat", "dog"], "attributes": ["score"]}}
    with pytest.raises(ValueError) as info:
        dataset.annotate("run", label_schema=schema, **creds(server))
    message = str(info.value)
    part = "bounding_box" if where == "coordinates" else "attribute 'score'"
    assert f"Sample {sample.id} ({sample.filepath})" in message
    assert f"field 'gt': Detection {box.id}" in message and part in message
    assert "NaN or Infinity" in message and "delete_labels" in message
    assert task_ids(server) == [] and not dataset.has_annotation_run("run")
    assert label_digest(dataset) == before


def test_non_finite_video_labels_are_refused_naming_the_frame(server, tmp_path):
    dataset = video_dataset(tmp_path, 2)
    sample = dataset.last()
    sample.frames[1]["boxes"].detections[0].bounding_box = [0.1, float("inf"), 0.2, 0.2]
    sample.save()
    with pytest.raises(ValueError, match=rf"Sample {sample.id} \(.*clip1.mp4\) frame 1"):
        dataset.annotate("run", label_field="frames.boxes", **creds(server))
    assert task_ids(server) == [] and not dataset.has_annotation_run("run")


def test_missing_keypoints_are_not_refused_as_non_finite(server, tmp_path):
    dataset = image_dataset(tmp_path, 1)
    sample = dataset.first()
    sample["pose"] = Keypoints(
        keypoints=[Keypoint(label="cat", points=[(0.1, 0.1), (float("nan"), float("nan"))])]
    )
    sample.save()
    results = dataset.annotate("run", label_field="pose", **creds(server))
    assert len(results.task_ids) == 1
