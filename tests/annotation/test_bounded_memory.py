"""Big video runs use bounded memory: the merge and schema inference hold one range of
frames at a time, never a whole video or the whole run.

Frames alive are counted through weak references to every ``Frame`` created, with small
ranges patched in so a few short videos are already "big".
"""

from __future__ import annotations

import weakref

import pytest

import labelloop as ll
from labelloop.annotation import merge
from labelloop.annotation.collection import CollectionSource
from labelloop.annotation.summary import LabelSummary
from labelloop.core.sample import Frame, Frames
from tests.annotation.memory_backend import SERVER

VIDEOS, FRAMES, RANGE = 3, 40, 8


@pytest.fixture
def videos(video_path, monkeypatch):
    monkeypatch.setattr(merge, "FRAME_RANGE", RANGE)
    monkeypatch.setattr(Frames, "CHUNK", RANGE)
    dataset = ll.Dataset()
    samples = []
    for _ in range(VIDEOS):
        sample = ll.Sample(filepath=video_path)
        for number in range(1, FRAMES + 1):
            sample.frames[number] = ll.Frame(
                dets=ll.Detections(
                    detections=[
                        ll.Detection(
                            label=("car", "person")[k],
                            bounding_box=[0.01 * number, 0.1 * k, 0.2, 0.2],
                            index=k + 1,
                            occluded=False,
                        )
                        for k in range(2)
                    ]
                )
            )
        samples.append(sample)
    dataset.add_samples(samples)
    del samples, sample
    yield dataset
    dataset.delete()


@pytest.fixture
def live_frames(monkeypatch):
    """Call it to get how many ``Frame`` objects are alive right now."""
    live: list[weakref.ref[Frame]] = []  # frames are unhashable: no WeakSet
    init = Frame.__init__

    def tracking_init(self, *args, **kwargs):
        init(self, *args, **kwargs)
        live.append(weakref.ref(self))

    monkeypatch.setattr(Frame, "__init__", tracking_init)

    def count() -> int:  # frames hold no reference cycles once released: no gc needed
        live[:] = [ref for ref in live if ref() is not None]
        return len(live)

    return count


def _frames_held_per_merged_location(live_frames, monkeypatch) -> list[int]:
    """Frames alive each time the merge diffs one location (one frame of one video)."""
    held: list[int] = []
    labels = merge.ThreeWay.labels

    def counting(*args, **kwargs):
        held.append(live_frames())
        return labels(*args, **kwargs)

    monkeypatch.setattr(merge.ThreeWay, "labels", counting)
    return held


def test_video_merge_holds_one_frame_range(videos, live_frames, monkeypatch):
    dataset = videos
    dataset.annotate("big", label_field="frames.dets", backend="memory")
    for by_frame in SERVER["big"]["labels"]["frames.dets"].values():
        for boxes in by_frame.values():
            for box in boxes.values():  # every frame of every video is edited
                box["bounding_box"] = [0.5, 0.5, 0.1, 0.1]
        extra = ll.Detection(label="car", bounding_box=[0, 0, 0.1, 0.1], index=3)
        by_frame[FRAMES + 1] = {extra.id: extra}  # and one box on a frame that did not exist

    held = _frames_held_per_merged_location(live_frames, monkeypatch)
    report = dataset.load_annotations("big", unexpected="ignore")

    assert len(held) == VIDEOS * (FRAMES + 1)  # every frame of the run was merged
    # one range read plus one range being written, not a video (40) or the run (120)
    assert max(held) <= 2 * RANGE + 1
    diff = report.fields["frames.dets"]
    assert (diff.edited, diff.added, diff.deleted) == (VIDEOS * FRAMES * 2, VIDEOS, 0)
    for sample in dataset.iter_samples():
        assert len(sample.frames) == FRAMES + 1
        for number, frame in sample.frames.items():
            boxes = [d.bounding_box for d in frame.dets.detections]
            if number == FRAMES + 1:
                assert boxes == [pytest.approx([0, 0, 0.1, 0.1])]
            else:
                assert boxes == [pytest.approx([0.5, 0.5, 0.1, 0.1])] * 2


def test_video_dry_run_merge_holds_one_frame_range(videos, live_frames, monkeypatch):
    dataset = videos
    dataset.annotate("dry", label_field="frames.dets", backend="memory")
    held = _frames_held_per_merged_location(live_frames, monkeypatch)
    report = dataset.load_annotations("dry", dry_run=True, unexpected="ignore")
    assert len(held) == VIDEOS * FRAMES and max(held) <= RANGE + 1
    assert report.fields["frames.dets"].to_dict()["edited"] == 0


def test_schema_summary_streams_a_video_field(videos, live_frames, monkeypatch):
    held: list[int] = []
    add = LabelSummary.add

    def counting(self, label):
        held.append(live_frames())
        add(self, label)

    monkeypatch.setattr(LabelSummary, "add", counting)
    summary = CollectionSource(videos).label_summary("frames.dets")
    assert summary.count == len(held) == VIDEOS * FRAMES * 2
    assert summary.classes == {"car", "person"}
    assert summary.observed_attributes() == {"occluded": False}
    assert summary.keyframe_flags == 0 and summary.masked == 0
    assert max(held) <= RANGE


def test_summary_matches_what_inference_reads_from_the_labels():
    boxes = [
        ll.Detection(label="car", keyframe=True, size=3),
        ll.Detection(label="bus", keyframe=False, size=True, mask=[[1]]),
        ll.Detection(label=None, keyframe=None),
    ]
    summary = LabelSummary.of(boxes)
    assert (summary.count, summary.masked, summary.keyframe_flags) == (3, 1, 3)
    assert summary.any_keyframe and summary.classes == {"car", "bus"}
    # mixed bool/int values of one attribute become free text
    assert summary.observed_attributes(exclude=("keyframe",)) == {"size": "True"}
    lines = LabelSummary.of([ll.Polyline(filled=True), ll.Polyline(filled=False)])
    assert (lines.count, lines.filled) == (2, 1)
