"""load_annotations(dest_field=...) on frame fields of real MP4s: the destination's frame
labels keep the ids of the labels they came from, with or without edits, for shapes and
tracks, in the str and dict forms, so before/after frame fields join by id."""

from __future__ import annotations

import pytest

from tests.cvat_video.helpers import (
    WIDTH,
    annotator,
    box,
    boxes,
    credentials,
    first_job,
    video_dataset,
)

FRAMES = 4


def _shapes(video, number):
    """A car on every frame, a person on frames 2 and 3 (no track index: shapes)."""
    items = [box("car", 0.05 * number, 0.1)]
    if number in (2, 3):
        items.append(box("person", 0.5, 0.5))
    return boxes(*items)


def _track(video, number):
    """One car track (index 1) over every frame."""
    return boxes(box("car", 0.05 * number, 0.1, index=1))


def _ids(dataset, field):
    """``{frame_number: {label id: Detection}}`` of the first video, as stored."""
    sample = dataset.first()
    out = {}
    for number, frame in sample.frames.items():
        value = frame.get_field(field) if frame.has_field(field) else None
        out[number] = {} if value is None else {d.id: d for d in value.detections}
    return out


def test_frame_dest_field_without_edits_keeps_every_id(cvat_server, tmp_path):
    dataset = video_dataset(tmp_path, frames=FRAMES, labels=_shapes)
    dataset.annotate("plain", label_field="frames.detections", **credentials(cvat_server))
    dataset.load_annotations("plain", dest_field="reviewed", **credentials(cvat_server))
    before, after = _ids(dataset, "detections"), _ids(dataset, "reviewed")
    assert {n: set(v) for n, v in after.items()} == {n: set(v) for n, v in before.items()}
    assert sum(len(v) for v in after.values()) == FRAMES + 2
    for number, labels in after.items():
        for label_id, label in labels.items():
            assert label.bounding_box == pytest.approx(before[number][label_id].bounding_box)
    # the frame containers keep theirs too
    sample = dataset.first()
    assert [f.reviewed.id for f in sample.frames.values()] == [
        f.detections.id for f in sample.frames.values()
    ]


def test_frame_dest_field_with_edits_joins_by_id(cvat_server, tmp_path):
    dataset = video_dataset(tmp_path, frames=FRAMES, labels=_shapes)
    results = dataset.annotate("edits", label_field="frames.detections", **credentials(cvat_server))
    before = _ids(dataset, "detections")
    with annotator(cvat_server) as person:
        job = first_job(person, results)
        shapes = person.annotations(job)["shapes"]
        car_id, person_id = person.label_id(job, "car"), person.label_id(job, "person")
        # CVAT frame f is frame number f + 1
        car2 = next(s for s in shapes if s["frame"] == 1 and s["label_id"] == car_id)
        person3 = next(s for s in shapes if s["frame"] == 2 and s["label_id"] == person_id)
        person.move_shape(job, car2["id"], 8, 0)
        person.delete_shapes(job, [person3["id"]])
        person.add_shape(job, type="rectangle", label="person", points=[2, 2, 10, 10], frame=3)
    dataset.load_annotations("edits", dest_field="frames.reviewed", **credentials(cvat_server))
    after = _ids(dataset, "reviewed")
    assert _ids(dataset, "detections") == before  # the source is untouched
    assert set(after[1]) == set(before[1])
    assert set(after[2]) == set(before[2])  # the moved car keeps its id
    (moved,) = [d for d in after[2].values() if d.label == "car"]
    assert moved.bounding_box[0] == pytest.approx(0.1 + 8 / WIDTH)
    assert [d.label for d in after[3].values()] == ["car"]  # the person was deleted
    assert set(after[3]) < set(before[3])
    (new,) = set(after[4]) - set(before[4])  # the drawn person is a new label
    assert after[4][new].label == "person" and set(before[4]) < set(after[4])


def test_frame_dest_field_dict_form_with_an_edited_track(cvat_server, tmp_path):
    dataset = video_dataset(tmp_path, frames=FRAMES, labels=_track)
    results = dataset.annotate("track", label_field="frames.detections", **credentials(cvat_server))
    before = _ids(dataset, "detections")
    with annotator(cvat_server) as person:
        job = first_job(person, results)
        (track,) = person.annotations(job)["tracks"]
        person.set_keyframe(job, track["id"], 2, points=[40, 10, 56, 22])
    dataset.load_annotations(
        "track", dest_field={"frames.detections": "after"}, **credentials(cvat_server)
    )
    after = _ids(dataset, "after")
    # every frame's label is the track's label of that frame: same ids, same track index
    assert {n: set(v) for n, v in after.items()} == {n: set(v) for n, v in before.items()}
    assert {d.index for v in after.values() for d in v.values()} == {1}
    (edited,) = after[3].values()  # CVAT frame 2
    assert edited.bounding_box[0] == pytest.approx(40 / WIDTH)
    (kept,) = after[1].values()
    assert kept.bounding_box == pytest.approx(next(iter(before[1].values())).bounding_box)
