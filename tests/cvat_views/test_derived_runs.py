"""annotate()/load_annotations() on patches, frames, clips and map_labels views, against the
local CVAT-compatible server or, when LABELLOOP_TEST_CVAT_URL is set, a real CVAT server.

Each test uploads through the view, lets the annotator edit in CVAT over HTTP, loads the run
and checks the source dataset: the labels landed on the right samples and frames (clips:
CVAT frame ``f`` -> ``support[0] + f``, no off-by-one), nothing outside the view changed.
"""

from __future__ import annotations

import pytest
from PIL import Image

import labelloop as ll
from labelloop import ViewField as F
from labelloop.testing.annotator import Annotator
from tests.cvat_video.helpers import box, boxes, video_dataset


@pytest.fixture
def server(cvat_server_fresh):
    """The local server (emptied), or the real CVAT that LABELLOOP_TEST_CVAT_URL names."""
    return cvat_server_fresh


def _creds(server):
    return {"url": server.url, "username": server.username, "password": server.password}


def video_index(dataset):
    """``{frame_number: [index, ...]}`` of the first video's detections."""
    return {
        n: [d.index for d in f.detections.detections]
        for n, f in dataset.first().frames.items()
        if f.detections is not None and f.detections.detections
    }


def _job(person, results, task_index=0):
    return int(person.jobs(results.task_ids[task_index])[0]["id"])


@pytest.fixture
def images(tmp_path):
    """Three real JPEGs, each with a cat and a dog box."""
    dataset = ll.Dataset()
    for i in range(3):
        path = str(tmp_path / f"img{i}.jpg")
        Image.new("RGB", (80, 60), (30 * i, 90, 150)).save(path, quality=90)
        dataset.add_sample(
            ll.Sample(
                path,
                gt=boxes(box("cat", 0.1, 0.1), box("dog", 0.5, 0.5)),
            )
        )
    yield dataset
    dataset.delete()


def test_patches_view_uploads_source_images_with_only_the_patches_labels(server, images):
    patches = images.filter_labels("gt", F("label") == "cat").to_patches("gt")
    results = patches.annotate(
        "patches", label_field="gt", classes=["cat", "dog"], **_creds(server)
    )
    try:
        assert len(results.task_ids) == 1
        with Annotator(server.url, server.username, server.password) as person:
            job = _job(person, results)
            shapes = person.annotations(job)["shapes"]
            assert len(shapes) == 3  # one cat per image, no dogs
            person.change_label(job, shapes[0]["id"], "dog")
            person.delete_shapes(job, [shapes[1]["id"]])
        images.load_annotations("patches", **_creds(server))
        labels = images.values("gt.detections.label")
        assert sorted(sum(labels, [])) == ["cat", "dog", "dog", "dog", "dog"]
        assert sum(len(x) for x in labels) == 5  # one cat deleted, dogs untouched
        assert images.get_annotation_info("patches").view_stages[-1]["_cls"] == "SelectLabels"
    finally:
        results.cleanup()


def test_frames_view_uploads_frame_images_and_maps_back_to_videos(server, tmp_path):
    dataset = video_dataset(
        tmp_path,
        frames=6,
        labels=lambda v, n: boxes(box("car", 0.1, 0.1, index=1)) if n in (2, 3) else None,
    )
    frames = dataset.to_frames(sample_frames=True, output_dir=str(tmp_path / "frames"))
    results = frames.annotate(
        "frames", label_field="detections", classes=["car", "bus"], **_creds(server)
    )
    try:
        video_id = dataset.first().id
        assert set(results.id_map["_frames"].values()) == {video_id}
        assert sorted(results.id_map["_frame_numbers"].values()) == [1, 2, 3, 4, 5, 6]
        with Annotator(server.url, server.username, server.password) as person:
            job = _job(person, results)
            meta = person._call("GET", f"/api/tasks/{results.task_ids[0]}/data/meta")
            assert meta["size"] == 6  # an image task of the six frames
            shapes = person.annotations(job)["shapes"]
            assert sorted(s["frame"] for s in shapes) == [1, 2]
            person.change_label(job, next(s["id"] for s in shapes if s["frame"] == 1), "bus")
            person.add_shape(job, type="rectangle", label="bus", points=[5, 5, 20, 20], frame=4)
        report = dataset.load_annotations("frames", **_creds(server))
        assert report.fields["frames.detections"].added == 1
        # the image task has no tracks: the objects keep their track index, no edit
        assert report.fields["frames.detections"].edited == 1
        assert video_index(dataset) == {2: [1], 3: [1], 5: [None]}
        video = dataset.first()
        got = {
            n: [d.label for d in f.detections.detections]
            for n, f in video.frames.items()
            if f.detections is not None and f.detections.detections
        }
        assert got == {2: ["bus"], 3: ["car"], 5: ["bus"]}
        # loading again changes nothing (the stored id_map stays in frames-view terms)
        again = dataset.load_annotations("frames", **_creds(server))
        assert again.fields["frames.detections"].added == 0
    finally:
        results.cleanup()
        dataset.delete()


def test_clips_view_maps_cvat_frames_to_support_start_without_off_by_one(server, tmp_path):
    marked = {3, 4, 5, 9, 10}
    dataset = video_dataset(
        tmp_path,
        frames=12,
        labels=lambda v, n: boxes(box("car", 0.05 * n, 0.1)) if n in marked else None,
    )
    clips = dataset.to_clips("frames.detections")
    assert clips.values("support") == [[3, 5], [9, 10]]
    results = clips.annotate(
        "clips", label_field="frames.detections", classes=["car", "bus"], **_creds(server)
    )
    try:
        video_id = dataset.first().id
        assert set(results.id_map["_clips"].values()) == {video_id}
        assert len(results.task_ids) == 2
        with Annotator(server.url, server.username, server.password) as person:
            sizes = [
                person._call("GET", f"/api/tasks/{t}/data/meta")["size"] for t in results.task_ids
            ]
            assert sizes == [3, 2]
            first = _job(person, results, 0)
            assert sorted(s["frame"] for s in person.annotations(first)["shapes"]) == [0, 1, 2]
            person.add_shape(first, type="rectangle", label="bus", points=[1, 1, 9, 9], frame=0)
            second = _job(person, results, 1)
            shapes = person.annotations(second)["shapes"]
            person.delete_shapes(second, [next(s["id"] for s in shapes if s["frame"] == 1)])
        dataset.load_annotations("clips", **_creds(server))
        video = dataset.first()
        got = {
            n: sorted(d.label for d in f.detections.detections)
            for n, f in video.frames.items()
            if f.detections is not None and f.detections.detections
        }
        assert got == {3: ["bus", "car"], 4: ["car"], 5: ["car"], 9: ["car"]}
    finally:
        results.cleanup()
        dataset.delete()


def test_clips_view_refuses_overlapping_clips_before_uploading(cvat_server_fresh, tmp_path):
    dataset = video_dataset(tmp_path, frames=8)
    clips = dataset.to_clips([[1, 4], [3, 6]])
    with pytest.raises(ValueError, match="overlap"):
        clips.annotate(
            "overlap",
            label_field="frames.detections",
            label_type="detections",
            classes=["car"],
            **_creds(cvat_server_fresh),
        )
    assert not dataset.list_annotation_runs()
    dataset.delete()


def test_frames_view_without_images_is_refused_before_uploading(cvat_server_fresh, tmp_path):
    dataset = video_dataset(tmp_path, frames=3)
    with pytest.raises(ValueError, match="sample_frames=True"):
        dataset.to_frames(output_dir=str(tmp_path / "none")).annotate(
            "noimg",
            label_field="detections",
            label_type="detections",
            classes=["car"],
            **_creds(cvat_server_fresh),
        )
    dataset.delete()


def test_map_labels_view_writes_mapped_classes_and_keeps_new_shapes(server, images):
    view = images.map_labels("gt", {"cat": "CAT"})
    results = view.annotate(
        "mapped", label_field="gt", classes=["CAT", "dog", "bird"], **_creds(server)
    )
    try:
        with Annotator(server.url, server.username, server.password) as person:
            job = _job(person, results)
            names = sorted(s["label_id"] for s in person.annotations(job)["shapes"])
            assert len(names) == 6
            person.add_shape(job, type="rectangle", label="bird", points=[2, 2, 12, 12], frame=0)
        images.load_annotations("mapped", **_creds(server))
        counts = images.count_values("gt.detections.label")
        assert counts == {"CAT": 3, "dog": 3, "bird": 1}
    finally:
        results.cleanup()
