"""Every invalid argument of ``annotate()`` is turned away before any side effect.

Each case asserts the error names the offending argument, that no task exists on
the server, no run was recorded and no label of the dataset changed.
"""

from __future__ import annotations

import pytest

from tests.reliability.helpers import creds, image_dataset, label_digest, task_ids, video_dataset


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    return image_dataset(tmp_path_factory.mktemp("invalid"), 2)


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    return video_dataset(tmp_path_factory.mktemp("video"))


GT = {"label_field": "gt"}
BOX = {"gt": {"type": "detections", "classes": ["cat", "dog"]}}

IMAGE_CASES = [
    # label_schema
    ({"label_schema": "gt"}, "label_schema"),
    ({"label_schema": {}}, "label_schema"),
    ({"label_schema": {"gt": "detections"}}, "gt"),
    ({"label_schema": {"gt": {"type": "boxes"}}}, "boxes"),
    ({"label_schema": {"gt": {"type": 3}}}, "type"),
    ({"label_schema": {"gt": {"type": "detections", "classes": "cat"}}}, "classes"),
    ({"label_schema": {"gt": {"type": "detections", "classes": [1, 2]}}}, "classes"),
    ({"label_schema": {"gt": {"type": "detections", "clases": ["cat"]}}}, "clases"),
    ({"label_schema": {"new": {"classes": ["a"]}}}, "new"),
    ({"label_schema": {"gt": {"type": "segmentation"}}}, "gt"),
    ({"label_schema": {"": {"type": "detections", "classes": ["a"]}}}, "field names"),
    ({"label_schema": {"frames.gt": BOX["gt"]}}, "frames."),
    ({"label_schema": {"filepath": {"type": "classification", "classes": ["a"]}}}, "filepath"),
    ({"label_schema": {"id": {"type": "classification", "classes": ["a"]}}}, "id"),
    ({"label_schema": {"kind": {"type": "detections", "classes": ["a"]}}}, "kind"),
    # label_field
    ({"label_field": 3}, "label_field"),
    ({"label_field": ""}, "label_field"),
    ({"label_field": ["gt", 3]}, "label_field"),
    ({"label_field": "missing"}, "label_type"),
    ({"label_field": "gt.detections"}, "gt.detections"),
    ({"label_field": "frames.gt"}, "frames."),
    # label_type
    ({"label_field": "gt", "label_type": "boxes"}, "boxes"),
    ({"label_field": "gt", "label_type": 5}, "label type"),
    ({"label_field": "gt", "label_type": "classification"}, "classification"),
    ({"label_field": "new", "label_type": "detections"}, "classes"),
    ({"label_field": "new", "label_type": ["detections"], "classes": ["a"]}, "label type"),
    ({"label_field": "kind", "label_type": "detections"}, "detections"),
    # classes
    ({**GT, "classes": "cat"}, "classes"),
    ({**GT, "classes": []}, "classes"),
    ({**GT, "classes": [1, 2]}, "classes"),
    ({**GT, "classes": ["cat", None]}, "classes"),
    ({**GT, "classes": ["cat", "cat"]}, "cat"),
    ({**GT, "classes": [""]}, "class names"),
    ({**GT, "classes": [{"classes": "cat"}]}, "classes"),
    ({**GT, "classes": [{"classes": ["cat"], "attributes": "x"}]}, "attributes"),
    ({**GT, "classes": [{"labels": ["cat"]}]}, "classes"),
    ({**GT, "classes": 7}, "classes"),
    # attributes
    ({**GT, "attributes": 3}, "attributes"),
    ({**GT, "attributes": [3]}, "attributes"),
    ({**GT, "attributes": {"a": "select"}}, "a"),
    ({**GT, "attributes": {"a": {"type": "dropdown"}}}, "dropdown"),
    ({**GT, "attributes": {"a": {"type": "select"}}}, "values"),
    ({**GT, "attributes": {"a": {"type": "select", "values": []}}}, "values"),
    ({**GT, "attributes": {"a": {"type": "select", "values": "xy"}}}, "values"),
    ({**GT, "attributes": {"a": {"type": "radio", "values": [1, 2], "default": 3}}}, "default"),
    ({**GT, "attributes": {"a": {"type": "checkbox", "default": "maybe"}}}, "default"),
    ({**GT, "attributes": {"a": {"type": "text", "mutable": "yes"}}}, "mutable"),
    ({**GT, "attributes": {"a": {"type": "text", "read_only": "no"}}}, "read_only"),
    ({**GT, "attributes": {"a": {"type": "text", "colour": 1}}}, "colour"),
    ({**GT, "attributes": {"label_id": {"type": "text"}}}, "label_id"),
    ({**GT, "attributes": {"": {"type": "text"}}}, "attribute ''"),
    ({**GT, "attributes": {3: {"type": "text"}}}, "attribute names"),
    # mask_targets
    ({"label_field": "seg", "label_type": "segmentation", "mask_targets": "x"}, "mask_targets"),
    (
        {"label_field": "seg", "label_type": "segmentation", "mask_targets": {"a": "b"}},
        "mask_targets",
    ),
    ({"label_field": "seg", "label_type": "segmentation", "mask_targets": {1: 2}}, "mask_targets"),
    (
        {"label_field": "seg", "label_type": "segmentation", "mask_targets": {1: "a", 2: "a"}},
        "mask_targets",
    ),
    (
        {"label_field": "seg", "label_type": "segmentation", "mask_targets": {-1: "a"}},
        "mask_targets",
    ),
    ({**GT, "mask_targets": {1: "cat"}}, "mask_targets"),
    # frame_* on images
    ({**GT, "frame_start": 2}, "frame_start"),
    ({**GT, "frame_stop": 2}, "frame_stop"),
    ({**GT, "frame_step": 2}, "frame_step"),
    # assignees and projects
    ({**GT, "task_assignee": 3}, "task_assignee"),
    ({**GT, "task_assignee": []}, "task_assignee"),
    ({**GT, "job_assignees": [1]}, "job_assignees"),
    ({**GT, "job_assignees": []}, "job_assignees"),
    ({**GT, "project_id": "abc"}, "project_id"),
    ({**GT, "project_id": -1}, "project_id"),
    ({**GT, "project_id": 999999}, "999999"),
    ({**GT, "project_name": 5}, "project_name"),
    ({**GT, "project_name": ""}, "project_name"),
    # other run parameters
    ({**GT, "task_size": 0}, "task_size"),
    ({**GT, "task_size": "ten"}, "task_size"),
    ({**GT, "segment_size": -3}, "segment_size"),
    ({**GT, "image_quality": 0}, "image_quality"),
    ({**GT, "image_quality": 101}, "image_quality"),
    ({**GT, "chunk_size": 0}, "chunk_size"),
    ({**GT, "timeout": 0}, "timeout"),
    ({**GT, "upload_timeout": -1}, "upload_timeout"),
    ({**GT, "verify": 3}, "verify"),
    ({**GT, "verify": "/no/such/ca.pem"}, "verify"),
    ({**GT, "media_field": "missing"}, "missing"),
    ({**GT, "media_field": 3}, "media_field"),
    ({**GT, "no_such_param": 1}, "no_such_param"),
    ({**GT, "backend": "labelbox"}, "labelbox"),
    ({**GT, "occluded_attr": 3}, "occluded_attr"),
    ({**GT, "group_id_attr": ["x"]}, "group_id_attr"),
]

VIDEO_CASES = [
    ({"label_field": "frames.boxes", "frame_start": -2}, "frame_start"),
    ({"label_field": "frames.boxes", "frame_start": "one"}, "frame_start"),
    ({"label_field": "frames.boxes", "frame_start": 1.5}, "frame_start"),
    ({"label_field": "frames.boxes", "frame_start": 5, "frame_stop": 2}, "frame_st"),
    ({"label_field": "frames.boxes", "frame_step": 0}, "frame_step"),
    ({"label_field": "frames.boxes", "frame_step": -1}, "frame_step"),
    ({"label_field": "frames.boxes", "frame_step": "2"}, "frame_step"),
    ({"label_field": "frames.boxes", "frame_start": 50}, "frame_start"),
    ({"label_field": "boxes", "label_type": "detections", "classes": ["a"]}, "frames."),
]


def _refused(dataset, server, kwargs, names):
    before = label_digest(dataset)
    kwargs = {**creds(server), **kwargs}
    try:
        results = dataset.annotate("bad", **kwargs)
    except (ValueError, TypeError, LookupError) as err:
        message = str(err)
    else:  # accepted: undo it so the next cases start clean, then fail this one
        results.cleanup()
        dataset.delete_annotation_run("bad")
        pytest.fail(f"annotate() accepted {kwargs}")
    assert names in message, message
    assert not dataset.has_annotation_run("bad")
    assert task_ids(server) == []
    assert label_digest(dataset) == before


def _case_id(case):
    kwargs, _ = case
    return "-".join(f"{k}={v!r}"[:40] for k, v in kwargs.items() if k != "label_field") or "-"


@pytest.mark.parametrize(("kwargs", "names"), IMAGE_CASES, ids=map(_case_id, IMAGE_CASES))
def test_invalid_image_argument_is_refused_before_any_side_effect(images, server, kwargs, names):
    _refused(images, server, kwargs, names)


@pytest.mark.parametrize(("kwargs", "names"), VIDEO_CASES, ids=map(_case_id, VIDEO_CASES))
def test_invalid_video_argument_is_refused_before_any_side_effect(videos, server, kwargs, names):
    _refused(videos, server, kwargs, names)
