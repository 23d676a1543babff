"""Issue 16 item 4: with ``frame_step > 1`` a new track drawn on the sampled frames fills
every source frame between its keyframes, as the reference loads it."""

from __future__ import annotations

import pytest

from tests.cvat_video.helpers import annotator, credentials, frame_labels, video_dataset


@pytest.mark.parametrize("step", [5, [5], "dict"])
def test_new_track_fills_the_frames_between_sampled_keyframes(server, tmp_path, step):
    dataset = video_dataset(tmp_path, frames=70)
    path = dataset.first().filepath
    frame_step = {path: 5} if step == "dict" else step
    results = dataset.annotate(
        "steps",
        label_field="frames.detections",
        label_type="detections",
        classes=["car"],
        frame_step=frame_step,
        **credentials(server),
    )
    with annotator(server) as person:
        job = person.jobs(results.task_ids[0])[0]["id"]
        person.add_track(
            job,
            label="car",
            shapes=[
                {"frame": 7, "points": [10, 10, 20, 20]},  # frame number 36
                {"frame": 11, "points": [30, 10, 40, 20]},  # frame number 56
                {"frame": 12, "points": [30, 10, 40, 20], "outside": True},  # 61
            ],
        )
    dataset.load_annotations("steps", **credentials(server))
    labels = frame_labels(dataset)
    assert sorted(labels) == list(range(36, 61))
    assert len({labels[n][0].index for n in labels}) == 1  # one track
    x = {n: labels[n][0].bounding_box[0] for n in labels}
    assert x[36] == pytest.approx(10 / 64) and x[56] == pytest.approx(30 / 64)
    assert x[46] == pytest.approx(20 / 64)  # halfway between the keyframes
    assert x[60] == pytest.approx(30 / 64)  # held until the track leaves
    assert [n for n in labels if labels[n][0].keyframe] == [36, 56]
    ids = {labels[n][0].id for n in labels}
    dataset.load_annotations("steps", **credentials(server))  # reloading adds nothing
    again = frame_labels(dataset)
    assert {again[n][0].id for n in again} == ids and sorted(again) == sorted(labels)
