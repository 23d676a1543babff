"""The spec's two video examples, run as written (imports renamed); the annotator does the
person's part in CVAT, and the App is started on a free port without a browser."""

from __future__ import annotations

import functools
import webbrowser

import pytest

import labelloop
from labelloop.annotation.config import annotation_config
from tests.cvat_video.helpers import annotator, server_tasks


@pytest.fixture
def reader(cvat_server_fresh, monkeypatch):
    """The environment a reader sets up: CVAT url and login; no browser, App on a free port."""
    monkeypatch.setenv("LABELLOOP_CVAT_URL", cvat_server_fresh.url)
    monkeypatch.setenv("LABELLOOP_CVAT_USERNAME", cvat_server_fresh.username)
    monkeypatch.setenv("LABELLOOP_CVAT_PASSWORD", cvat_server_fresh.password)
    monkeypatch.setattr(webbrowser, "open", lambda *args, **kwargs: True)
    sessions = []

    def launch_app(*args, **kwargs):
        session = real_launch(*args, **{**kwargs, "port": 0, "auto": False})
        sessions.append(session)
        return session

    real_launch = labelloop.launch_app
    monkeypatch.setattr(labelloop, "launch_app", functools.wraps(real_launch)(launch_app))
    annotation_config.reload()
    yield cvat_server_fresh
    for session in sessions:
        session.close()
    annotation_config.reload()


def _only_task(server):
    (task,) = server_tasks(server)
    return task["id"]


def test_adding_new_frame_labels(reader):
    import labelloop as fo
    import labelloop.zoo as foz

    dataset = foz.load_zoo_dataset("quickstart-video").clone()
    dataset.delete_frame_field("detections")  # delete existing labels

    view = dataset.limit(1)

    anno_key = "video"

    # Create annotation task
    view.annotate(
        anno_key,
        label_field="frames.detections",
        label_type="detections",
        classes=["vehicle"],
        attributes={
            "type": {
                "type": "select",
                "values": ["sedan", "suv", "truck", "other"],
                "mutable": False,
            }
        },
        launch_editor=True,
    )

    # Add annotations in CVAT...
    with annotator(reader) as person:
        job = person.jobs(_only_task(reader))[0]["id"]
        person.add_track(
            job,
            label="vehicle",
            attributes={"type": "truck"},
            shapes=[
                {"frame": 10, "points": [10, 20, 60, 50]},
                {"frame": 20, "points": [110, 20, 160, 50]},
                {"frame": 30, "points": [110, 20, 160, 50], "outside": True},
            ],
        )

    # Download annotations
    dataset.load_annotations(anno_key)

    # Load the view that was annotated in the App
    view = dataset.load_annotation_view(anno_key)
    session = fo.launch_app(view=view)

    # what the person drew: one truck track on frames 11..30 (CVAT frames 10..29)
    frames = {n: f.detections for n, f in view.first().frames.items() if f.get_field("detections")}
    assert sorted(frames) == list(range(11, 31))
    trucks = [frames[n].detections[0] for n in sorted(frames)]
    assert {(d.label, d.type, d.index) for d in trucks} == {("vehicle", "truck", 1)}
    assert [n for n in sorted(frames) if frames[n].detections[0].keyframe] == [11, 21]
    assert trucks[5].bounding_box[0] == pytest.approx(60 / 320)
    assert session.url

    # Cleanup
    results = dataset.load_annotation_results(anno_key)
    results.cleanup()
    dataset.delete_annotation_run(anno_key)
    assert server_tasks(reader) == []


def test_editing_frame_level_label_tracks(reader):
    import labelloop as fo
    import labelloop.zoo as foz

    dataset = foz.load_zoo_dataset("quickstart-video").clone()

    view = dataset.take(1)

    # Mark some keyframes
    sample = view.first()
    num_frames = len(sample.frames)
    keyframes = set(range(1, num_frames, 10)).union({1, num_frames})
    for frame_number in keyframes:
        frame = sample.frames[frame_number]
        for det in frame.detections.detections:
            det.keyframe = True

    sample.save()

    before = {n: [d.id for d in f.detections.detections] for n, f in sample.frames.items()}

    anno_key = "cvat_video"

    # Send frame-level detections to CVAT
    view.annotate(
        anno_key,
        label_field="frames.detections",
        launch_editor=True,
    )
    print(dataset.get_annotation_info(anno_key))

    # Edit annotations in CVAT...
    with annotator(reader) as person:
        task_id = _only_task(reader)
        jobs = person.jobs(task_id)
        job = jobs[0]["id"]
        tracks = person.annotations(job)["tracks"]
        # only keyframes were uploaded: the marked frames plus each track's first/last frame
        uploaded = {s["frame"] + 1 for t in tracks for s in t["shapes"] if not s["outside"]}
        assert uploaded <= {n for n in before if before[n]}
        assert len(uploaded) < num_frames
        track = max(tracks, key=lambda t: len(t["shapes"]))
        shape = sorted(track["shapes"], key=lambda s: s["frame"])[1]
        points = [p + 5 for p in shape["points"]]
        person.set_keyframe(job, track["id"], shape["frame"], points=points)

    # Merge edits back in
    report = dataset.load_annotations(anno_key)
    assert report.fields["frames.detections"].added == 0
    assert report.fields["frames.detections"].deleted == 0
    assert report.fields["frames.detections"].edited >= 1

    # Load the view that was annotated in the App
    view = dataset.load_annotation_view(anno_key)
    session = fo.launch_app(view=view)
    after = view.first()
    assert {n: [d.id for d in f.detections.detections] for n, f in after.frames.items()} == before
    moved = [d for d in after.frames[shape["frame"] + 1].detections.detections if d.keyframe]
    assert any(d.bounding_box[0] == pytest.approx((shape["points"][0] + 5) / 320) for d in moved)
    assert session.url

    # Cleanup
    results = dataset.load_annotation_results(anno_key)
    results.cleanup()
    dataset.delete_annotation_run(anno_key)
    assert server_tasks(reader) == []
