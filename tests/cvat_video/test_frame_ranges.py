"""frame_start / frame_stop / frame_step as int, list and dict: exact frame numbers both ways."""

from __future__ import annotations

import shutil

import pytest

from tests.cvat_video.helpers import (
    annotator,
    box,
    boxes,
    credentials,
    first_job,
    frame_labels,
    server_tasks,
    video_dataset,
)

FRAMES = 20


def _mark_every_frame(dataset, results, server, label="car"):
    """The annotator draws one box on every frame of every task; returns CVAT sizes."""
    sizes = []
    with annotator(server) as person:
        for task_id in results.task_ids:
            job = int(person.jobs(task_id)[0]["id"])
            meta = person._call("GET", f"/api/tasks/{task_id}/data/meta")
            sizes.append(meta["size"])
            for frame in range(meta["size"]):
                person.add_shape(
                    job, type="rectangle", label=label, points=[frame, 0, frame + 8, 8], frame=frame
                )
    return sizes


def _new_boxes(dataset, key, server, **kwargs):
    """Annotate a new ``frames.boxes`` field of cars on ``server``."""
    dataset.annotate(
        key,
        label_field="frames.boxes",
        label_type="detections",
        classes=["car"],
        **kwargs,
        **credentials(server),
    )


def _numbers(dataset, video):
    return sorted(frame_labels(dataset, "boxes", video))


def test_int_range_maps_cvat_frames_to_exact_frame_numbers(cvat_server_fresh, tmp_path):
    dataset = video_dataset(tmp_path, count=1, frames=FRAMES)
    _new_boxes(
        dataset,
        "ints",
        cvat_server_fresh,
        frame_start=3,
        frame_stop=12,
        frame_step=3,
    )
    results = dataset.load_annotation_results("ints")
    assert _mark_every_frame(dataset, results, cvat_server_fresh) == [4]
    dataset.load_annotations("ints")
    # 0-based media frames 3, 6, 9, 12 are frame numbers 4, 7, 10, 13
    labels = frame_labels(dataset, "boxes")
    assert sorted(labels) == [4, 7, 10, 13]
    assert [labels[n][0].bounding_box[0] * 64 for n in (4, 7, 10, 13)] == pytest.approx(
        [0, 1, 2, 3]
    )


def test_list_range_round_robin_and_mid_video_clips(cvat_server_fresh, tmp_path):
    dataset = video_dataset(tmp_path, count=3, frames=FRAMES)
    _new_boxes(
        dataset,
        "lists",
        cvat_server_fresh,
        frame_start=[5, 0],
        frame_stop=[9, 19],
        frame_step=[1, 10],
    )
    results = dataset.load_annotation_results("lists")
    assert _mark_every_frame(dataset, results, cvat_server_fresh) == [5, 2, 5]
    dataset.load_annotations("lists")
    assert _numbers(dataset, 0) == [6, 7, 8, 9, 10]
    assert _numbers(dataset, 1) == [1, 11]
    assert _numbers(dataset, 2) == [6, 7, 8, 9, 10]


def test_dict_range_is_keyed_by_the_uploaded_media_field(cvat_server_fresh, tmp_path):
    dataset = video_dataset(tmp_path, count=2, frames=FRAMES)
    alternates = []
    for i, sample in enumerate(dataset.iter_samples()):
        alt = str(tmp_path / f"alt{i}.mp4")
        shutil.copy(sample.filepath, alt)
        sample["alt_path"] = alt
        sample.save()
        alternates.append(alt)
    _new_boxes(
        dataset,
        "dicts",
        cvat_server_fresh,
        media_field="alt_path",
        frame_start={alternates[0]: 17},
        frame_stop={alternates[1]: 1},
    )
    results = dataset.load_annotation_results("dicts")
    assert _mark_every_frame(dataset, results, cvat_server_fresh) == [3, 2]
    dataset.load_annotations("dicts")
    assert _numbers(dataset, 0) == [18, 19, 20]  # through the last frame, no off-by-one
    assert _numbers(dataset, 1) == [1, 2]


def test_existing_labels_outside_the_range_are_untouched(cvat_server_fresh, tmp_path):
    dataset = video_dataset(
        tmp_path, frames=FRAMES, labels=lambda v, n: boxes(box("car", 0.01 * n, 0.1)), field="boxes"
    )
    before = frame_labels(dataset, "boxes")
    dataset.annotate(
        "edit",
        label_field="frames.boxes",
        frame_start=4,
        frame_stop=10,
        frame_step=2,
        **credentials(cvat_server_fresh),
    )
    results = dataset.load_annotation_results("edit")
    with annotator(cvat_server_fresh) as person:
        job = first_job(person, results)
        shapes = person.annotations(job)["shapes"]
        assert sorted(s["frame"] for s in shapes) == [0, 1, 2, 3]
        moved = next(s for s in shapes if s["frame"] == 1)
        person.move_shape(job, moved["id"], 10, 0)
        gone = next(s for s in shapes if s["frame"] == 3)
        person.delete_shapes(job, [gone["id"]])
    report = dataset.load_annotations("edit")
    assert report.fields["frames.boxes"].deleted == 1
    after = frame_labels(dataset, "boxes")
    # CVAT frame 1 is media frame 6 (number 7); CVAT frame 3 is number 11
    assert sorted(after) == [n for n in range(1, FRAMES + 1) if n != 11]
    assert after[7][0].bounding_box[0] == pytest.approx(before[7][0].bounding_box[0] + 10 / 64)
    for number in set(after) - {7}:
        assert after[number][0].bounding_box == before[number][0].bounding_box


def test_existing_tracks_with_a_frame_step_are_refused_before_upload(cvat_server_fresh, tmp_path):
    dataset = video_dataset(
        tmp_path, frames=6, labels=lambda v, n: boxes(box("car", 0.1, 0.1, index=1))
    )
    with pytest.raises(ValueError, match="frame_step=2"):
        dataset.annotate(
            "steps", label_field="frames.detections", frame_step=2, **credentials(cvat_server_fresh)
        )
    assert server_tasks(cvat_server_fresh) == []
    assert not dataset.has_annotation_run("steps")


@pytest.mark.parametrize("kwargs", [{"frame_step": 0}, {"frame_step": [1, 0]}, {"frame_start": -1}])
def test_bad_frame_parameters_are_refused(cvat_server_fresh, tmp_path, kwargs):
    dataset = video_dataset(tmp_path, frames=4)
    with pytest.raises(ValueError, match="frame_st"):
        _new_boxes(
            dataset,
            "bad",
            cvat_server_fresh,
            **kwargs,
        )
    assert server_tasks(cvat_server_fresh) == []


def test_start_beyond_the_video_is_refused(cvat_server_fresh, tmp_path):
    dataset = video_dataset(tmp_path, frames=4)
    with pytest.raises(ValueError, match="beyond the last frame"):
        _new_boxes(
            dataset,
            "late",
            cvat_server_fresh,
            frame_start=4,
        )
    assert server_tasks(cvat_server_fresh) == []


def test_long_video_maps_its_last_frames_exactly(cvat_server_fresh, tmp_path):
    dataset = video_dataset(tmp_path, frames=10_000)
    _new_boxes(dataset, "long", cvat_server_fresh, frame_start=9_990)
    results = dataset.load_annotation_results("long")
    assert _mark_every_frame(dataset, results, cvat_server_fresh) == [10]
    dataset.load_annotations("long")
    assert _numbers(dataset, 0) == list(range(9_991, 10_001))
