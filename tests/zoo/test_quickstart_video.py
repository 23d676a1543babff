"""The offline quickstart-video zoo dataset: real H.264 MP4s with tracked detections."""

from __future__ import annotations

from collections import defaultdict

import av

from tests.zoo.conftest import load_offline


def test_ten_small_h264_videos(quickstart_video):
    assert len(quickstart_video) == 10 and quickstart_video.media_type == "video"
    for sample in quickstart_video:
        with av.open(sample.filepath) as container:
            stream = container.streams.video[0]
            assert stream.codec_context.name == "h264"
            assert (stream.width, stream.height) == (320, 240)
            decoded = sum(1 for _ in container.decode(stream))
        assert 100 <= decoded <= 120
        assert len(sample.frames) == decoded  # every frame has a detections entry


def test_tracks_have_stable_index_label_and_type(quickstart_video):
    sample = quickstart_video.first()
    tracks = defaultdict(list)
    for number, frame in sample.frames.items():
        for det in frame.detections.detections:
            tracks[det.index].append((number, det.label, det.type, tuple(det.bounding_box)))
    assert len(tracks) >= 2
    for index, seen in tracks.items():
        assert isinstance(index, int) and index >= 1
        assert len({label for _, label, _, _ in seen}) == 1
        assert len({kind for _, _, kind, _ in seen}) == 1
        label, kind = seen[0][1], seen[0][2]
        assert kind in (
            {"sedan", "suv", "truck", "other"} if label == "vehicle" else {"pedestrian", "cyclist"}
        )
        numbers = [n for n, *_ in seen]
        assert numbers == list(range(numbers[0], numbers[-1] + 1))  # contiguous track
        assert len({box for *_, box in seen}) > 1  # the object moves


def test_vehicle_and_person_classes_across_videos(quickstart_video):
    labels = set(quickstart_video.distinct("frames.detections.detections.label"))
    assert labels == {"vehicle", "person"}


def test_max_samples_naming(quickstart_video):
    two = load_offline("quickstart-video", max_samples=2)
    assert two.name == "quickstart-video-2" and len(two) == 2
    assert two.values("filepath") == quickstart_video.values("filepath")[:2]
