"""Every frame label kind in one run, overlapping tracks of different shapes, task options."""

from __future__ import annotations

import numpy as np
import pytest

from labelloop.core.labels import (
    Classification,
    Classifications,
    Keypoint,
    Keypoints,
    Polyline,
    Polylines,
)
from tests.cvat_video.helpers import (
    annotator,
    box,
    boxes,
    credentials,
    first_job,
    server_tasks,
    video_dataset,
)

FRAMES = 6


def _fill(dataset):
    sample = dataset.first()
    for number in range(1, FRAMES + 1):
        frame = sample.frames[number]
        x = 0.1 + 0.05 * number
        frame["boxes"] = boxes(box("car", x, 0.2, index=1))
        frame["lines"] = Polylines(
            polylines=[
                Polyline(
                    label="lane",
                    points=[[(x, 0.2), (x + 0.2, 0.2), (x + 0.2, 0.5)]],
                    closed=True,
                    filled=True,
                    index=1,
                )
            ]
        )
        frame["points"] = Keypoints(
            keypoints=[Keypoint(label="head", points=[(x, 0.3), (x + 0.1, 0.3)], index=1)]
        )
        frame["weather"] = Classification(label="sunny" if number < 4 else "rain")
        frame["scene"] = Classifications(classifications=[Classification(label="day")])
    sample.save()


def test_every_frame_kind_round_trips_with_overlapping_tracks(cvat_server_fresh, tmp_path):
    dataset = video_dataset(tmp_path, frames=FRAMES)
    _fill(dataset)
    before = {
        n: {f: frame[f] for f in ("boxes", "lines", "points", "weather", "scene")}
        for n, frame in dataset.first().frames.items()
    }
    schema = {
        "frames.boxes": {"type": "detections"},
        "frames.lines": {"type": "polygons"},
        "frames.points": {"type": "keypoints"},
        "frames.weather": {"type": "classification", "classes": ["sunny", "rain", "snow"]},
        "frames.scene": {"type": "classifications", "classes": ["day", "night"]},
    }
    dataset.annotate("kinds", label_schema=schema, **credentials(cvat_server_fresh))
    results = dataset.load_annotation_results("kinds")
    with annotator(cvat_server_fresh) as person:
        job = first_job(person, results)
        annotations = person.annotations(job)
        # three tracks of different shape types on the same frames, tags on every frame
        assert sorted(t["shapes"][0]["type"] for t in annotations["tracks"]) == [
            "points",
            "polygon",
            "rectangle",
        ]
        assert len(annotations["tags"]) == 2 * FRAMES and not annotations["shapes"]
        snow = next(t for t in annotations["tags"] if t["frame"] == 5)
        labels = {label["name"]: label["id"] for label in person.task(results.task_ids[0]).labels()}
        if snow["label_id"] in (labels.get("sunny"), labels.get("rain")):
            person.change_label(job, snow["id"], "snow", kind="tags")
        polygon = next(t for t in annotations["tracks"] if t["shapes"][0]["type"] == "polygon")
        person.set_keyframe(job, polygon["id"], 2, points=[10, 10, 30, 10, 30, 30, 10, 30])
    report = dataset.load_annotations("kinds")
    for name in schema:
        assert report.fields[name].added == 0 and report.fields[name].deleted == 0, name
    frames = dict(dataset.first().frames.items())
    assert frames[6]["weather"].label == "snow"
    assert frames[6]["weather"].id == before[6]["weather"].id
    for number in range(1, FRAMES + 1):
        for name in ("boxes", "lines", "points", "scene"):
            assert [x.id for x in frames[number][name].items()] == [
                x.id for x in before[number][name].items()
            ], (number, name)
    moved = frames[3]["lines"].polylines[0]
    assert np.allclose(
        np.asarray(moved.points[0]) * [64, 48], [[10, 10], [30, 10], [30, 30], [10, 30]]
    )
    assert frames[3]["lines"].polylines[0].index == 1
    assert np.allclose(
        frames[4]["points"].keypoints[0].points, before[4]["points"].keypoints[0].points
    )


def test_assignees_round_robin_over_videos_and_jobs(cvat_server_fresh, tmp_path):
    server = cvat_server_fresh
    for name in ("alice", "bobby"):
        server.create_user(name, "Annotate-Loop-2026")  # what CVAT accepts
    dataset = video_dataset(tmp_path, count=3, frames=10)
    dataset.annotate(
        "people",
        label_field="frames.boxes",
        label_type="detections",
        classes=["car"],
        segment_size=5,
        task_assignee=["alice", "bobby"],
        job_assignees=["bobby", "alice"],
        **credentials(server),
    )
    status = dataset.load_annotation_results("people").get_status()["frames.boxes"]
    assert [info["assignee"]["username"] for info in status.values()] == ["alice", "bobby", "alice"]
    jobs = [
        job["assignee"] and job["assignee"]["username"]
        for info in status.values()
        for job in info["jobs"].values()
    ]
    assert len(jobs) > 3  # several jobs per video, assigned round robin across the run
    assert jobs == [("bobby", "alice")[i % 2] for i in range(len(jobs))]


def test_upload_options_reach_the_video_task(cvat_server_fresh, tmp_path):
    dataset = video_dataset(tmp_path, frames=10)
    dataset.annotate(
        "opts",
        label_field="frames.boxes",
        label_type="detections",
        classes=["car"],
        use_zip_chunks=False,
        chunk_size=4,
        image_quality=42,
        **credentials(cvat_server_fresh),
    )
    (task,) = server_tasks(cvat_server_fresh)
    assert task["image_quality"] == 42
    assert task["data_chunk_size"] == 4
    assert task["data_compressed_chunk_type"] == "video"


def test_sample_level_field_of_a_video_collection_is_refused(cvat_server_fresh, tmp_path):
    dataset = video_dataset(tmp_path, frames=3)
    with pytest.raises(ValueError, match="frames.weather"):
        dataset.annotate(
            "flat",
            label_field="weather",
            label_type="classification",
            classes=["sunny"],
            **credentials(cvat_server_fresh),
        )
    assert server_tasks(cvat_server_fresh) == []
