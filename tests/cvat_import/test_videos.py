"""import_annotations on video tasks made by plain REST: tracks with keyframes, frame
ranges, deleted frames, media rebuilt from chunks, idempotent re-import."""

from __future__ import annotations

import os

import pytest

from labelloop.core.dataset import Dataset
from labelloop.core.labels import Detection, Detections
from labelloop.core.sample import Sample
from labelloop.testing.annotator import Annotator
from labelloop.utils.cvat import import_annotations
from tests.cvat_import.helpers import (
    creds,
    delete_frames,
    first_job,
    gray_levels,
    rest_task,
    write_mp4,
)


def _draw(server, task_id):
    job = first_job(server, task_id)
    with Annotator(server.url, server.username, server.password) as person:
        person.add_track(
            job,
            label="cat",
            shapes=[
                {"frame": 0, "points": [0, 0, 10, 10]},
                {"frame": 4, "points": [20, 0, 30, 10]},
                {"frame": 5, "points": [20, 0, 30, 10], "outside": True},
            ],
        )
        person.add_shape(job, type="rectangle", label="dog", points=[2, 2, 6, 6], frame=2)
        person.add_tag(job, label="dog", frame=1)
    return job


def test_tracks_shapes_tags_on_local_video_with_frame_range(cvat_server_fresh, tmp_path):
    server = cvat_server_fresh
    video = write_mp4(str(tmp_path / "videos" / "clip.mp4"), 14)
    # the task holds media frames 2, 4, 6, ... (CVAT frame i = labelloop frame 3 + 2 i)
    task_id = rest_task(server, [video], start_frame="2", frame_filter="step=2")
    _draw(server, task_id)
    delete_frames(server, task_id, [1])

    dataset = Dataset()
    dataset.add_sample(Sample(filepath=video))
    sample = dataset.first()  # an unrelated track 1 already lives in the field
    mine = Detection(label="dog", bounding_box=[0.5, 0.5, 0.1, 0.1], index=1)
    sample.frames[1]["detections"] = Detections(detections=[mine])
    sample.save()
    report = import_annotations(
        dataset, task_ids=task_id, data_path=str(tmp_path / "videos"), **creds(server)
    )
    assert dataset.values("filepath") == [video] and dataset.media_type == "video"
    sample = dataset.first()
    boxes = {
        n: [(d.label, d.index, d.get_field("keyframe")) for d in f.detections.detections]
        for n, f in sample.frames.items()
        if f.detections
    }
    # track keyframes 0 and 4 -> frames 3 and 11, interpolated between, outside from CVAT 5;
    # CVAT frame 1 (labelloop 5) was deleted
    assert boxes == {
        1: [("dog", 1, None)],
        3: [("cat", 2, True)],
        7: [("dog", None, None), ("cat", 2, False)],
        9: [("cat", 2, False)],
        11: [("cat", 2, True)],
    }
    middle = sample.frames[7].detections.detections[1].bounding_box
    assert middle == pytest.approx([10 / 64, 0, 10 / 64, 10 / 48])
    assert not sample.frames[5].has_field("classifications")  # its tag was skipped too
    (problem,) = report.problems
    assert "deleted" in problem and report.problems[problem] == 2

    # importing again changes nothing
    ids = sorted(dataset.values("frames.detections.detections.id", unwind=True))
    report = import_annotations(
        dataset, task_ids=task_id, data_path=str(tmp_path / "videos"), **creds(server)
    )
    assert report.labels_added == 0 and report.labels_updated == len(ids) - 1  # not `mine`
    assert sorted(dataset.values("frames.detections.detections.id", unwind=True)) == ids
    again = dataset.first().frames
    assert [d.index for n in (1, 3, 9) for d in again[n].detections.detections] == [1, 2, 2]


def test_download_rebuilds_the_video_from_chunks(cvat_server_fresh, tmp_path):
    server = cvat_server_fresh
    video = write_mp4(str(tmp_path / "src" / "walk.mp4"), 8)
    task_id = rest_task(server, [video], chunk_size="3")
    _draw(server, task_id)
    target = tmp_path / "downloads"
    dataset = Dataset()
    report = import_annotations(
        dataset,
        task_ids=[task_id],
        data_path=str(target),
        download_media=True,
        label_types={"detections": "boxes", "classifications": "scene"},
        progress=False,
        **creds(server),
    )
    path = str(target / "walk.mp4")
    assert report.media_downloaded == 1 and dataset.values("filepath") == [path]
    # real MP4 bytes: all 8 frames, in order, with the source's gray levels
    assert gray_levels(path) == pytest.approx(gray_levels(video), abs=3)
    sample = dataset.first()
    assert [n for n, f in sample.frames.items() if f.boxes] == [1, 2, 3, 4, 5]
    assert [c.label for c in sample.frames[2].scene.classifications] == ["dog"]
    assert os.path.getsize(path) > 0


def test_image_set_chunks_decode_in_name_order():
    import io
    import zipfile

    import numpy as np
    from PIL import Image

    from labelloop.cvat.import_media import _chunk_frames

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for i in (2, 0, 1):  # stored out of order; CVAT names frames by position
            image = Image.fromarray(np.full((8, 10, 3), 50 * i, dtype=np.uint8))
            png = io.BytesIO()
            image.save(png, format="PNG")
            archive.writestr(f"{i:06d}.png", png.getvalue())
    frames = [frame.to_ndarray(format="rgb24") for frame, _rate in _chunk_frames(buffer.getvalue())]
    assert [int(f.mean()) for f in frames] == [0, 50, 100]
    assert frames[0].shape == (8, 10, 3)


def test_labelloop_video_task_round_trip_keeps_keyframe_ids(cvat_server_fresh, tmp_path):
    server = cvat_server_fresh
    video = write_mp4(str(tmp_path / "orig" / "run.mp4"), 5)
    source = Dataset()
    source.add_sample(Sample(filepath=video))
    sample = source.first()
    for number in (1, 2, 3):
        box = Detection(label="cat", bounding_box=[0.1 * number, 0.1, 0.2, 0.2], index=1)
        sample.frames[number]["gt"] = Detections(detections=[box])
    sample.save()
    results = source.annotate("up", label_field="frames.gt", **creds(server))
    imported = Dataset()
    report = import_annotations(
        imported,
        task_ids=results.task_ids,
        data_path={"run.mp4": video},
        label_types={"detections": "gt"},
        **creds(server),
    )
    assert not report.problems
    original = {
        n: [(d.id, d.index) for d in f.gt.detections] for n, f in source.first().frames.items()
    }
    copy = {
        n: [(d.id, d.index) for d in f.gt.detections]
        for n, f in imported.first().frames.items()
        if f.get_field("gt")
    }
    assert copy == {n: v for n, v in original.items() if v}
    boxes = [imported.first().frames[n].gt.detections[0].bounding_box[0] for n in (1, 2, 3)]
    assert boxes == pytest.approx([0.1, 0.2, 0.3], abs=0.02)
