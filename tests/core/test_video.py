"""Video samples: frames, frame labels, frame paths, streaming, metadata."""

from __future__ import annotations

import pytest

import labelloop as ll
from labelloop import ViewField as F
from labelloop.core.labels import Detection, Detections
from tests.core.media import write_mp4


@pytest.fixture
def video_dataset(tmp_path, dataset):
    samples = []
    for index, count in enumerate((25, 12)):
        path = write_mp4(str(tmp_path / f"clip{index}.mp4"), frames=count)
        sample = ll.Sample(path)
        for number in range(1, count + 1):
            sample.frames[number]["detections"] = Detections(
                detections=[
                    Detection(label="car", bounding_box=[0.1, 0.1, 0.3, 0.3], index=1),
                    Detection(label="person", bounding_box=[0.5, 0.5, 0.1, 0.2], index=2),
                ]
            )
        samples.append(sample)
    dataset.add_samples(samples)
    return dataset


def test_spec_keyframe_example(video_dataset):
    view = video_dataset.take(1, seed=3)
    sample = view.first()
    num_frames = len(sample.frames)
    keyframes = set(range(1, num_frames, 10)).union({1, num_frames})
    for frame_number in keyframes:
        frame = sample.frames[frame_number]
        for det in frame.detections.detections:
            det.keyframe = True
    sample.save()
    stored = video_dataset[sample.id]
    marked = [
        n for n, f in stored.frames.items() if f.detections.detections[0].get_field("keyframe")
    ]
    assert marked == sorted(keyframes)


def test_frames_are_one_based_and_created_on_access(video_dataset):
    sample = video_dataset.first()
    assert sample.media_type == "video"
    assert sample.frames.keys()[0] == 1 and len(sample.frames) == 25
    with pytest.raises(ValueError, match=">= 1"):
        sample.frames[0]
    new = sample.frames[40]  # auto-created
    assert new.frame_number == 40 and len(sample.frames) == 26
    new["weather"] = "rain"
    sample.save()
    assert video_dataset.count("frames") == 38
    assert video_dataset.values("frames.weather")[0][-1] == "rain"
    with pytest.raises(ValueError, match="declared as str"):
        video_dataset.first().frames[1]["weather"] = 3


def test_frame_paths_everywhere(video_dataset):
    ds = video_dataset
    assert ds.count("frames.detections.detections") == 74
    ids = ds.values("frames.detections.detections.id")
    assert len(ids) == 2 and len(ids[0]) == 25 and len(ids[0][0]) == 2
    cars = ds.filter_labels("frames.detections", F("label") == "car")
    assert cars.count("frames.detections.detections") == 37
    assert cars.distinct("frames.detections.detections.label") == ["car"]
    assert ds.exists("frames.detections").count() == 2
    assert ds.match_labels(filter=F("index") == 2, fields="frames.detections").count() == 2
    # a filtered frame saved through the view keeps its hidden person
    sample = cars.first()
    frame = sample.frames[3]
    assert [d.label for d in frame.detections.detections] == ["car"]
    frame.detections.detections[0].label = "truck"
    sample.save()
    assert ds.first().frames[3].detections.detections[1].label == "person"
    assert ds.first().frames[3].detections.detections[0].label == "truck"


def test_frames_iterate_in_order_and_stream(video_dataset, monkeypatch):
    sample = video_dataset.first()
    assert [n for n, _ in sample.frames.items()] == list(range(1, 26))
    monkeypatch.setattr(ll.core.sample.Frames, "CHUNK", 4)
    fresh = video_dataset.first()
    seen = []
    for frame in fresh.frames.iter_frames(start=5, stop=14, autosave=True):
        frame["checked"] = True
        seen.append(frame.frame_number)
    assert seen == list(range(5, 15))
    assert not fresh.frames._cache  # streamed frames were not kept
    checked = video_dataset.values("frames.checked")[0]
    assert [i + 1 for i, v in enumerate(checked) if v] == list(range(5, 15))


def test_delete_frame_field_and_frames(video_dataset):
    ds = video_dataset
    sample = ds.first()
    del sample.frames[1]
    sample.save()
    assert ds.count("frames") == 36
    ds.delete_frame_field("detections")
    assert not ds.has_frame_field("detections")
    assert ds.count("frames") == 36
    assert ds._store.stats(ds._id)["labels_count"] == 0


def test_compute_metadata_reads_real_headers(video_dataset, tmp_path):
    from tests.core.media import write_jpeg

    video_dataset.compute_metadata()
    meta = video_dataset.first().metadata
    assert (meta.frame_width, meta.frame_height, meta.width) == (64, 48, 64)
    assert meta.total_frame_count == 25 and meta.frame_rate == pytest.approx(10.0)
    assert meta.duration == pytest.approx(2.5, abs=0.2)
    assert meta.mime_type == "video/mp4"
    images = ll.Dataset()
    images.add_sample(ll.Sample(write_jpeg(str(tmp_path / "x.jpg"), width=30, height=20)))
    images.compute_metadata()
    meta = images.first().metadata
    assert (meta.width, meta.height, meta.mime_type) == (30, 20, "image/jpeg")
    assert meta.size_bytes == (tmp_path / "x.jpg").stat().st_size
    with pytest.raises(ValueError, match="video sample"):
        images.add_sample(ll.Sample(str(tmp_path / "clip.mp4")))
    images.delete()


def test_match_frames_shows_only_matching_frames(video_dataset):
    ds = video_dataset
    sample = ds.first()
    for number in (2, 4):
        sample.frames[number]["flag"] = True
    sample.save()
    view = ds.match_frames(F("flag") == True)  # noqa: E712
    assert view.count() == 1 and view.count("frames") == 2
    assert view.values("frames.frame_number") == [[2, 4]]
    visible = view.first()
    assert visible.frames.keys() == [2, 4]
    visible.frames[4]["flag"] = False
    visible.save()
    assert ds.count("frames") == 37  # hidden frames were not deleted
    assert ds.match_frames(F("flag") == True).values("frames.frame_number") == [[2]]  # noqa: E712
    kept = ds.match_frames(F("flag") == True, omit_empty=False)  # noqa: E712
    assert kept.count() == 2


def test_set_field_on_frames(video_dataset):
    view = video_dataset.set_field("frames.detections.detections.label", F("label").upper())
    assert view.distinct("frames.detections.detections.label") == ["CAR", "PERSON"]
    sample = view.first()
    assert sample.frames[1].detections.detections[0].label == "CAR"
    assert video_dataset.distinct("frames.detections.detections.label") == ["car", "person"]


def test_frame_values_from_the_store_equal_the_document_walk(video_dataset):
    ds = video_dataset
    sample = ds.first()
    sample.frames[3]["detections"] = None
    sample.frames[4].detections.detections = []
    sample.frames[60]["weather"] = "fog"  # a frame without detections
    sample.save()
    for path in ("frames.detections.detections.id", "frames.detections.detections.label"):
        fast = ds.values(path)
        slow = ds.match(F("filepath").exists()).values(path)  # any stage forces the walk
        assert fast == slow
        assert fast[0][2] is None and fast[0][3] == [] and fast[0][-1] is None
