"""Editing existing tracks: ids kept, edits on the right frames, keyframes, attributes, flags."""

from __future__ import annotations

import pytest

from tests.cvat_video.helpers import (
    HEIGHT,
    WIDTH,
    annotator,
    box,
    boxes,
    credentials,
    first_job,
    frame_labels,
    video_dataset,
)

FRAMES = 10


def _tracks(video: int, number: int, keyframes: set[int] | None = None):
    """Track 1 (car) on every frame, moving right; track 2 (person) on frames 3..6."""
    car = box("car", 0.05 * number, 0.1, index=1, type="sedan", state="parked", occluded=False)
    items = [car]
    if 3 <= number <= 6:
        items.append(box("person", 0.5, 0.5, index=2, type="adult", state="walking"))
    if keyframes is not None:
        for item in items:
            item["keyframe"] = number in keyframes
    return boxes(*items)


SCHEMA = {
    "frames.detections": {
        "type": "detections",
        "classes": ["car", "person"],
        "attributes": {
            "type": {"type": "text", "mutable": False},
            "state": {"type": "text"},
            "occluded": {"type": "occluded"},
        },
    }
}


def _server_tracks(server, results):
    with annotator(server) as person:
        job = first_job(person, results)
        return job, person.annotations(job)["tracks"]


def test_tracks_upload_with_immutable_attributes_on_the_track(cvat_server_fresh, tmp_path):
    dataset = video_dataset(tmp_path, frames=FRAMES, labels=_tracks)
    dataset.annotate("up", label_schema=SCHEMA, **credentials(cvat_server_fresh))
    results = dataset.load_annotation_results("up")
    _, tracks = _server_tracks(cvat_server_fresh, results)
    assert len(tracks) == 2
    person = next(t for t in tracks if len(t["shapes"]) < 8)
    # frames 3..6 are CVAT frames 2..5, then an outside shape right after the track
    assert [(s["frame"], s["outside"]) for s in person["shapes"]] == [
        (2, False),
        (3, False),
        (4, False),
        (5, False),
        (6, True),
    ]
    car = next(t for t in tracks if t is not person)
    assert len(car["shapes"]) == FRAMES and not any(s["outside"] for s in car["shapes"])
    with annotator(cvat_server_fresh) as person_ui:
        labels = {label["name"]: label for label in person_ui.task(results.task_ids[0]).labels()}
    specs = {a["id"]: a["name"] for a in labels["car"]["attributes"]}
    assert [specs[a["spec_id"]] for a in car["attributes"]] == ["type"]
    assert {specs[a["spec_id"]] for a in car["shapes"][0]["attributes"]} == {"state", "label_id"}


def test_edit_existing_tracks_without_keyframes(cvat_server_fresh, tmp_path):
    dataset = video_dataset(tmp_path, frames=FRAMES, labels=_tracks)
    before = frame_labels(dataset)
    dataset.annotate("edit", label_schema=SCHEMA, **credentials(cvat_server_fresh))
    results = dataset.load_annotation_results("edit")
    job, tracks = _server_tracks(cvat_server_fresh, results)
    car = next(t for t in tracks if len(t["shapes"]) == FRAMES)
    with annotator(cvat_server_fresh) as person:
        # frame number 5 is CVAT frame 4: move the car there, mark it occluded and stopped
        person.set_keyframe(
            job, car["id"], 4, points=[40, 4, 56, 16], occluded=True, attributes={"state": "moving"}
        )
        person.set_attributes(job, car["id"], {"type": "suv"}, kind="tracks")
    report = dataset.load_annotations("edit")
    diff = report.fields["frames.detections"]
    assert diff.added == 0 and diff.deleted == 0
    after = frame_labels(dataset)
    for number in range(1, FRAMES + 1):
        assert [d.id for d in after[number]] == [d.id for d in before[number]]
    cars = {n: next(d for d in ds if d.label == "car") for n, ds in after.items()}
    assert cars[5].bounding_box == pytest.approx([40 / WIDTH, 4 / HEIGHT, 16 / WIDTH, 12 / HEIGHT])
    assert cars[5].state == "moving" and cars[5].occluded is True
    assert cars[4].state == "parked" and cars[4].occluded is False
    assert cars[4].bounding_box == pytest.approx(before[4][0].bounding_box)
    assert {d.type for d in cars.values()} == {"suv"}
    assert {d.index for d in cars.values()} == {1}
    # no keyframe information existed, so none is added
    assert not any(d.has_field("keyframe") for ds in after.values() for d in ds)


def test_edit_existing_tracks_with_keyframes_uploads_only_keyframes(cvat_server_fresh, tmp_path):
    keyframes = {1, 5, 10}
    dataset = video_dataset(tmp_path, frames=FRAMES, labels=lambda v, n: _tracks(v, n, keyframes))
    before = frame_labels(dataset)
    dataset.annotate("keys", label_schema=SCHEMA, **credentials(cvat_server_fresh))
    results = dataset.load_annotation_results("keys")
    job, tracks = _server_tracks(cvat_server_fresh, results)
    car = next(t for t in tracks if t["shapes"][0]["frame"] == 0)
    assert [s["frame"] for s in car["shapes"]] == [0, 4, 9]
    with annotator(cvat_server_fresh) as person:
        person.set_keyframe(job, car["id"], 9, points=[0, 0, 16, 12])
    report = dataset.load_annotations("keys")
    assert report.fields["frames.detections"].added == 0
    assert report.fields["frames.detections"].deleted == 0
    after = frame_labels(dataset)
    cars = {n: next(d for d in ds if d.label == "car") for n, ds in after.items()}
    assert {n: d.id for n, d in cars.items()} == {
        n: next(d.id for d in ds if d.label == "car") for n, ds in before.items()
    }
    assert [n for n, d in cars.items() if d.keyframe] == [1, 5, 10]
    assert cars[10].bounding_box == pytest.approx([0, 0, 16 / WIDTH, 12 / HEIGHT])
    # frames between keyframes 5 and 10 follow CVAT's linear interpolation
    x5 = cars[5].bounding_box[0]
    assert cars[8].bounding_box[0] == pytest.approx(x5 + (0 - x5) * 3 / 5)


def test_group_ids_and_occluded_on_tracks(cvat_server_fresh, tmp_path):
    def labels(v, number):
        return boxes(box("car", 0.1, 0.1, index=1, group_id=3, hidden=number > 2))

    dataset = video_dataset(tmp_path, frames=4, labels=labels)
    schema = {
        "frames.detections": {
            "type": "detections",
            "classes": ["car"],
            "attributes": {"group_id": {"type": "group_id"}, "hidden": {"type": "occluded"}},
        }
    }
    dataset.annotate("flags", label_schema=schema, **credentials(cvat_server_fresh))
    results = dataset.load_annotation_results("flags")
    job, tracks = _server_tracks(cvat_server_fresh, results)
    assert tracks[0]["group"] == 3
    assert [s["occluded"] for s in tracks[0]["shapes"]] == [False, False, True, True]
    with annotator(cvat_server_fresh) as person:
        person.set_group(job, [tracks[0]["id"]], 5, kind="tracks")
        person.set_keyframe(job, tracks[0]["id"], 3, occluded=False)
    dataset.load_annotations("flags")
    after = frame_labels(dataset)
    assert [after[n][0].group_id for n in range(1, 5)] == [5, 5, 5, 5]
    assert [after[n][0].hidden for n in range(1, 5)] == [False, False, True, False]
