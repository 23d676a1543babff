"""Video runs on data in the state users have it: metadata computed, several runs."""

from __future__ import annotations

from tests.cvat_video.helpers import box, boxes, credentials, server_tasks, video_dataset


def test_annotate_after_compute_metadata(cvat_server_fresh, tmp_path):
    dataset = video_dataset(
        tmp_path, count=2, frames=6, labels=lambda v, n: boxes(box("car", 0.1, 0.1))
    )
    dataset.compute_metadata()
    assert dataset.first().metadata.total_frame_count == 6
    first = dataset.annotate(
        "first", label_field="frames.detections", **credentials(cvat_server_fresh)
    )
    second = dataset.annotate(
        "second", label_field="frames.detections", **credentials(cvat_server_fresh)
    )
    created = set(first.task_ids) | set(second.task_ids)
    assert len(first.task_ids) == 2 and len(created) == 4
    assert created <= {int(task["id"]) for task in server_tasks(cvat_server_fresh)}


def test_annotate_computes_missing_metadata_of_uploaded_videos(cvat_server_fresh, tmp_path):
    dataset = video_dataset(
        tmp_path, count=2, frames=5, labels=lambda v, n: boxes(box("car", 0.1, 0.1))
    )
    assert dataset.first().metadata is None
    dataset.limit(1).annotate(
        "one", label_field="frames.detections", **credentials(cvat_server_fresh)
    )
    first, second = list(dataset)
    assert (first.metadata.frame_width, first.metadata.frame_height) == (64, 48)
    assert first.metadata.total_frame_count == 5
    assert second.metadata is None  # not uploaded, not touched
