"""New frame fields: tracks and shapes drawn by the annotator come back on the right frames."""

from __future__ import annotations

import pytest

from tests.cvat_video.helpers import (
    HEIGHT,
    WIDTH,
    annotator,
    credentials,
    first_job,
    frame_labels,
    video_dataset,
)


def test_new_track_and_shape_come_back_interpolated(cvat_server_fresh, tmp_path):
    dataset = video_dataset(tmp_path, frames=10)
    dataset.annotate(
        "new",
        label_field="frames.objects",
        label_type="detections",
        classes=["vehicle", "person"],
        attributes={
            "type": {"type": "select", "values": ["sedan", "suv"], "mutable": False},
            "moving": {"type": "radio", "values": [True, False], "default": False},
        },
        **credentials(cvat_server_fresh),
    )
    results = dataset.load_annotation_results("new")
    with annotator(cvat_server_fresh) as person:
        job = first_job(person, results)
        person.add_track(
            job,
            label="vehicle",
            attributes={"type": "suv"},
            shapes=[
                {"frame": 2, "points": [0, 0, 16, 16], "attributes": {"moving": True}},
                {"frame": 6, "points": [32, 16, 48, 32], "attributes": {"moving": False}},
                {"frame": 8, "points": [32, 16, 48, 32], "outside": True},
            ],
        )
        person.add_shape(job, type="rectangle", label="person", points=[8, 8, 24, 40], frame=9)
    report = dataset.load_annotations("new")
    assert report.fields["frames.objects"].added == 7
    labels = frame_labels(dataset, "objects")
    # CVAT frames 2..7 are frame numbers 3..8; the outside shape at 8 ends the track
    tracked = {n: d for n, ds in labels.items() for d in ds if d.label == "vehicle"}
    assert sorted(tracked) == [3, 4, 5, 6, 7, 8]
    assert {d.index for d in tracked.values()} == {1}
    assert [n for n, d in tracked.items() if d.get_field("keyframe")] == [3, 7]
    assert all(d.type == "suv" for d in tracked.values())
    assert tracked[3].moving is True and tracked[5].moving is True and tracked[7].moving is False
    # halfway between the keyframes on frames 3 and 7 (linear interpolation)
    assert tracked[5].bounding_box == pytest.approx(
        [16 / WIDTH, 8 / HEIGHT, 16 / WIDTH, 16 / HEIGHT]
    )
    people = [d for ds in labels.values() for d in ds if d.label == "person"]
    assert [n for n, ds in labels.items() for d in ds if d.label == "person"] == [10]
    assert people[0].get_field("index") is None
    # loading again changes nothing (ids of drawn objects are stable)
    again = dataset.load_annotations("new")
    assert again.fields["frames.objects"].added == 0
    assert again.fields["frames.objects"].deleted == 0
