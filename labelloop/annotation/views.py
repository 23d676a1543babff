"""Annotation runs on patches, frames and clips views: ids mapped at the edges.

The backends upload the samples they are given and the merge writes into
the dataset; these views only change *which* samples and labels go up and
*where* the results land, so the mapping happens here, before the upload
and around the merge, as the reference defines it:

- a patches view uploads its source images with only the patches' labels:
  the run is made on ``<view before to_patches>.select_labels(ids=..., fields=...)``;
- a frames view uploads the frame images; ``id_map["_frames"]`` (frame
  sample -> video) and ``id_map["_frame_numbers"]`` let the merge see the
  download as the videos' ``frames.<field>`` labels;
- a clips view uploads each clip's frame range as its own video task
  (keyed by the source video, so CVAT frame ``f`` comes back as
  ``support[0] + f``); ``id_map["_clips"]`` maps clips to videos and the
  download of several clips of one video is merged as one.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from typing import Any

from labelloop.annotation.base import SampleChunk
from labelloop.core.clips import ToClips
from labelloop.core.derived import last_derivation
from labelloop.core.frames_view import ToFrames
from labelloop.core.labels import Label
from labelloop.core.patches import ToEvaluationPatches, ToPatches
from labelloop.core.view import DatasetView

FRAMES = "_frames"
FRAME_NUMBERS = "_frame_numbers"
CLIPS = "_clips"
#: id_map keys that are not fields of the run.
SPECIAL_KEYS = (FRAMES, FRAME_NUMBERS, CLIPS)


def derivation(samples: Any) -> Any:
    """The last derivation stage of a collection (``None`` for datasets and plain views)."""
    stages = getattr(samples, "stages", [])
    cut = last_derivation(stages)
    return None if cut is None else stages[cut]


def upload_collection(samples: Any) -> Any:
    """What ``annotate()`` sends for ``samples`` (checked before anything is uploaded)."""
    stage = derivation(samples)
    if isinstance(stage, (ToPatches, ToEvaluationPatches)):
        return _patch_sources(samples, stage)
    if isinstance(stage, ToFrames):
        missing = [p for p in samples.values("filepath") if not os.path.isfile(p)]
        if missing:
            raise ValueError(
                f"{len(missing)} frame image(s) of this frames view are not on disk (e.g. "
                f"{missing[0]!r}); make the view with to_frames(sample_frames=True) to write them"
            )
    if isinstance(stage, ToClips):
        _check_clips(samples)
    return samples


def _patch_sources(samples: Any, stage: Any) -> Any:
    """``<view before the patches>.select_labels(ids=<the patches' labels>, fields=...)``."""
    stages = samples.stages
    cut = stages.index(stage)
    parent = DatasetView(samples.dataset, stages[:cut])
    if isinstance(stage, ToPatches):
        fields = [stage.field]
        ids = [i for i in samples.values(f"{stage.field}.id") if i is not None]
    else:
        fields = list(stage.eval_fields(samples.schema_source)[:2])
        ids = []
        for field in fields:
            ids += samples.values(f"{field}.detections.id", unwind=True)
    return parent.select_labels(ids=ids, fields=fields)


def _check_clips(samples: Any) -> None:
    """Refuse overlapping clips of one video: their annotations would land on the same frames."""
    spans: dict[str, list[list[int]]] = {}
    for sample_id, support in zip(samples.values("sample_id"), samples.values("support")):
        for other in spans.get(sample_id, []):
            if support[0] <= other[1] and other[0] <= support[1]:
                raise ValueError(
                    f"Clips {other} and {support} of video {sample_id} overlap; annotate "
                    "non-overlapping clips (e.g. filter the clips view first)"
                )
        spans.setdefault(sample_id, []).append(support)


def finalize_id_map(samples: Any, id_map: dict[str, Any]) -> None:
    """Add the view -> source maps of frames and clips views to a new run's ``id_map``."""
    stage = derivation(samples)
    if isinstance(stage, ToFrames):
        ids = samples.values("id")
        id_map[FRAMES] = dict(zip(ids, samples.values("sample_id")))
        id_map[FRAME_NUMBERS] = dict(zip(ids, samples.values("frame_number")))
    elif isinstance(stage, ToClips):
        id_map[CLIPS] = dict(zip(samples.values("id"), samples.values("sample_id")))


class FramesRun:
    """The merge's view of a frames-view run: ``frames.<field>`` labels of the videos."""

    def __init__(self, dataset: Any, id_map: dict[str, Any]) -> None:
        self.dataset = dataset
        self.video = dict(id_map[FRAMES])
        self.number = dict(id_map[FRAME_NUMBERS])
        self.frame_sample = {(v, self.number[f]): f for f, v in self.video.items()}

    def schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        """The run's fields as frame fields."""
        return {f"frames.{name}": spec for name, spec in schema.items()}

    def to_videos(self, id_map: dict[str, Any]) -> dict[str, Any]:
        """``{field: {frame sample: entry}}`` -> ``{frames.field: {video: {frame: entry}}}``."""
        out: dict[str, Any] = {k: v for k, v in id_map.items() if k in SPECIAL_KEYS}
        for name, entries in id_map.items():
            if name in SPECIAL_KEYS:
                continue
            videos: dict[str, Any] = {}
            for frame_sample, entry in entries.items():
                if frame_sample in self.video:
                    videos.setdefault(self.video[frame_sample], {})[self.number[frame_sample]] = (
                        entry
                    )
            out[f"frames.{name}"] = videos
        return out

    def to_frames(self, id_map: dict[str, Any]) -> dict[str, Any]:
        """The inverse of :meth:`to_videos`."""
        out: dict[str, Any] = {k: v for k, v in id_map.items() if k in SPECIAL_KEYS}
        for name, videos in id_map.items():
            if name in SPECIAL_KEYS:
                continue
            entries = {}
            for video, frames in videos.items():
                for number, entry in frames.items():
                    frame_sample = self.frame_sample.get((video, int(number)))
                    if frame_sample is not None:
                        entries[frame_sample] = entry
            out[name[len("frames.") :]] = entries
        return out

    def chunks(self, chunks: Iterable[SampleChunk]) -> Iterator[SampleChunk]:
        """Frame samples' downloads regrouped into one chunk per video."""
        videos: dict[str, dict[str, dict[str, dict[int, Any]]]] = {}
        for frame_sample, fields in chunks:
            if frame_sample not in self.video:
                continue
            video, number = self.video[frame_sample], self.number[frame_sample]
            out = videos.setdefault(video, {})
            for name, by_type in fields.items():
                target = out.setdefault(f"frames.{name}", {})
                for return_type, value in by_type.items():
                    target.setdefault(return_type, {})[number] = value
        for video, fields in videos.items():
            _keep_track_indexes(self.dataset, fields)
            yield video, fields


def _keep_track_indexes(dataset: Any, fields: dict[str, Any]) -> None:
    """Give downloaded labels the track ``index`` of the label they came from.

    Frame images go to CVAT as an image task, which has no tracks: without
    this every uploaded object of a tracked field would come back as an
    index edit.
    """
    for name, by_type in fields.items():  # ids are unique per field: look in its own
        labels = [
            label
            for frames in by_type.values()
            for per_frame in frames.values()
            if isinstance(per_frame, dict)
            for label in per_frame.values()
            if isinstance(label, Label) and label.get_field("index") is None
        ]
        if not labels:
            continue
        found = dataset.get_labels((x.id for x in labels), name)
        stored = {info.label.id: info.label for info in found}
        for label in labels:
            index = stored[label.id].get_field("index") if label.id in stored else None
            if index is not None:
                label["index"] = index


def combine_chunks(chunks: Iterable[SampleChunk]) -> Iterator[SampleChunk]:
    """Downloads of several tasks of one video (its clips) joined into one chunk per video."""
    videos: dict[str, dict[str, dict[str, dict[int, Any]]]] = {}
    for video, fields in chunks:
        out = videos.setdefault(video, {})
        for name in fields:
            for return_type, frames in fields[name].items():
                out.setdefault(name, {}).setdefault(return_type, {}).update(frames)
    yield from videos.items()
