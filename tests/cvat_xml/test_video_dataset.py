"""CVATVideoDataset: tracks with outside/keyframes through real MP4 files and back."""

from __future__ import annotations

import logging

import pytest

import labelloop as ll
from labelloop.cvat.xml import load_cvat_xml
from labelloop.formats.io import from_dir as from_dir_impl
from tests.cvat_xml.media import write_mp4

W, H, FRAMES = 64, 48, 8


def from_dir(path, **options):
    # Dataset.from_dir(name=...) collides with extensions.call(name, ...) in the core.
    return from_dir_impl(ll.Dataset, path, **options)


def _box(x, **attrs):
    return ll.Detection(label="car", bounding_box=[x / W, 4.25 / H, 10.5 / W, 8 / H], **attrs)


@pytest.fixture()
def dataset(tmp_path):
    ds = ll.Dataset()
    clip = ll.Sample(str(write_mp4(tmp_path / "src" / "clip.mp4", W, H, FRAMES)))
    empty = ll.Sample(str(write_mp4(tmp_path / "src" / "quiet.mp4", W, H, 3)))
    # car 1: frames 1-3 and 6-7 (a gap), keyframes on 1 and 3 only
    for number, x in ((1, 2.0), (2, 3.5), (3, 5.0), (6, 9.25), (7, 11.0)):
        kf = {"keyframe": True} if number in (1, 3) else {}
        clip.frames[number]["gt"] = ll.Detections(
            detections=[_box(x, index=1, color="red", occluded=number == 2, **kf)]
        )
    # an untracked box on frame 5, a polygon track on 2-3, points ending on the last frame
    clip.frames[5]["gt"] = ll.Detections(detections=[_box(20.0)])
    for number in (2, 3):
        line = ll.Polyline(
            label="lane", points=[[(0.1, 0.1), (0.5, 0.2), (0.3, 0.6)]], closed=True, index=2
        )
        clip.frames[number]["lanes"] = ll.Polylines(polylines=[line])
    clip.frames[FRAMES]["pts"] = ll.Keypoints(
        keypoints=[ll.Keypoint(label="hand", points=[(0.25, 0.5)], index=7)]
    )
    clip.frames[4]["scene"] = ll.Classification(label="night")
    ds.add_samples([clip, empty])
    return ds


def _frame_labels(sample, field):
    out = {}
    for number, frame in sample.frames.items():
        value = frame[field] if frame.has_field(field) else None
        if value is not None:
            out[number] = value[value.list_field]
    return out


def test_tracks_are_written_like_cvat_writes_them(dataset, tmp_path, caplog):
    out = tmp_path / "export"
    with caplog.at_level(logging.WARNING):
        dataset.export(str(out), dataset_type="CVATVideoDataset")
    assert "Not exporting frame fields ['scene']" in caplog.text
    assert sorted(p.name for p in (out / "labels").iterdir()) == ["clip.xml", "quiet.xml"]
    doc = load_cvat_xml(out / "labels" / "clip.xml")
    task = doc.meta["task"]
    assert (task["mode"], task["size"], task["source"]) == (
        "interpolation",
        str(FRAMES),
        "clip.mp4",
    )
    assert task["original_size"] == {"width": str(W), "height": str(H)}
    tracks = {t["id"]: t for t in doc.tracks}
    assert sorted(tracks) == [1, 2, 7, 8]  # indexes, then a fresh id for the untracked box
    car = tracks[1]["shapes"]
    assert [(s["frame"], s["outside"], s["keyframe"]) for s in car] == [
        (0, False, True),
        (1, False, False),
        (2, False, True),
        (3, True, True),
        (5, False, True),
        (6, False, False),
        (7, True, True),
    ]
    assert car[1]["occluded"] is True and car[0]["points"][0] == 2.0
    assert [(s["frame"], s["outside"]) for s in tracks[7]["shapes"]] == [(7, False)]
    assert [(s["frame"], s["outside"]) for s in tracks[8]["shapes"]] == [(4, False), (5, True)]
    assert load_cvat_xml(out / "labels" / "quiet.xml").tracks == []


def test_export_then_import_restores_frames_indexes_and_keyframes(dataset, tmp_path):
    out = tmp_path / "export"
    dataset.export(
        str(out),
        dataset_type="CVATVideoDataset",
        frame_labels_field=["gt", "lanes", "pts"],
        label_ids=True,
    )
    back = from_dir(str(out), dataset_type="CVATVideoDataset")
    clip, quiet = sorted(back, key=lambda s: s.filepath)
    assert clip.filepath == str((out / "data" / "clip.mp4").resolve())
    assert (clip.metadata.frame_width, clip.metadata.total_frame_count) == (W, FRAMES)
    original = list(dataset)[0]
    want, got = _frame_labels(original, "gt"), _frame_labels(clip, "detections")
    assert sorted(got) == sorted(want)
    for number, labels in want.items():
        [a], [b] = labels, got[number]
        assert b.bounding_box == pytest.approx(a.bounding_box, abs=0.005 / W)
        assert b.get_field("color") == a.get_field("color")
        assert b.id == a.id
        # a run of frames always starts on a keyframe (CVAT interpolates from there)
        track = {n for n, [label] in want.items() if label.index == a.index}
        starts_run = a.index is not None and number - 1 not in track
        assert b.get_field("keyframe") == (a.get_field("keyframe") or starts_run or None)
        assert bool(b.get_field("occluded")) == bool(a.get_field("occluded"))
        assert b.index == (a.index if a.index is not None else 8)
    lanes = _frame_labels(clip, "polylines")
    assert sorted(lanes) == [2, 3] and all(p[0].index == 2 and p[0].closed for p in lanes.values())
    [hand] = _frame_labels(clip, "keypoints")[FRAMES]
    assert hand.index == 7 and hand.points[0] == pytest.approx((0.25, 0.5), abs=0.005 / W)
    assert _frame_labels(quiet, "detections") == {}


def test_label_field_is_refused_for_video(dataset, tmp_path):
    dataset.add_sample_field("note", ll.Detections)
    with pytest.raises(ValueError, match="pass frame_labels_field"):
        dataset.export(str(tmp_path / "x"), dataset_type="CVATVideoDataset", label_field="note")
    with pytest.raises(ValueError, match="has no tags"):
        dataset.export(
            str(tmp_path / "y"), dataset_type="CVATVideoDataset", frame_labels_field="scene"
        )


def test_hand_written_cvat_video_xml_imports_tracks(tmp_path):
    from tests.cvat_xml.samples import VIDEO_XML

    (tmp_path / "labels").mkdir()
    (tmp_path / "labels" / "drive.xml").write_text(VIDEO_XML)
    write_mp4(tmp_path / "data" / "drive.mp4", 32, 16, 2)
    sample = from_dir(str(tmp_path), dataset_type="CVATVideoDataset").first()
    assert sample.filepath == str(tmp_path / "data" / "drive.mp4")
    # size comes from <original_size>, not from the (smaller) video on disk
    assert (sample.metadata.frame_width, sample.metadata.total_frame_count) == (1280, 20)
    boxes = _frame_labels(sample, "detections")
    person = {n: labels[0] for n, labels in boxes.items() if labels[0].index == 0}
    assert sorted(person) == [4, 5, 6]  # CVAT frames 3-5; the outside shape on 6 is no label
    assert [person[n].get_field("keyframe") for n in (4, 5, 6)] == [True, None, True]
    assert {person[n].identity for n in person} == {"bob"}  # immutable, from the track
    assert [person[n].pose for n in (4, 5, 6)] == ["standing", "standing", "sitting"]
    assert person[5].occluded is True and person[6].rotation == 5.0 and person[4].group_id == 2
    assert person[4].bounding_box[0] * 1280 == pytest.approx(100.0)
    [mask] = boxes[8]
    assert mask.index == 3 and mask.mask.shape == (2, 2)
    [polygon] = _frame_labels(sample, "polylines")[1]
    assert (polygon.index, polygon.closed, polygon.get_field("keyframe")) == (1, True, None)
    hands = _frame_labels(sample, "keypoints")
    assert sorted(hands) == [3]  # on CVAT frame 3 every element of the skeleton is outside


def test_overlapping_tracks_of_different_shapes_get_distinct_ids(tmp_path):
    # the reference's issue 1634: a polygon track and a box track, both index 1, in one video
    ds = ll.Dataset()
    video = ll.Sample(str(write_mp4(tmp_path / "src" / "both.mp4", W, H, 30)))
    for number in range(1, 31):
        shape = ll.Polyline(
            label="person", points=[[(0.1, 0.1), (0.4, 0.1), (0.3, 0.5)]], closed=True,
            filled=True, index=1,
        )  # fmt: skip
        video.frames[number]["polygons"] = ll.Polylines(polylines=[shape])
        if number <= 20:
            video.frames[number]["boxes"] = ll.Detections(detections=[_box(2.0 + number, index=1)])
    ds.add_samples([video])
    out = tmp_path / "export"
    ds.export(str(out), dataset_type="CVATVideoDataset", frame_labels_field=["polygons", "boxes"])
    tracks = load_cvat_xml(str(out / "labels" / "both.xml")).tracks
    ids = [track["id"] for track in tracks]
    assert len(ids) == 2 and len(set(ids)) == 2
    back = from_dir(str(out), dataset_type="CVATVideoDataset").first()
    polylines = [p for labels in _frame_labels(back, "polylines").values() for p in labels]
    detections = [d for labels in _frame_labels(back, "detections").values() for d in labels]
    assert (len(polylines), len(detections)) == (30, 20)
    assert len({p.index for p in polylines}) == 1 and len({d.index for d in detections}) == 1
    assert {p.index for p in polylines} != {d.index for d in detections}
