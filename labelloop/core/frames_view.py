"""Frames views: one image sample per frame of each video (``to_frames``).

A frame sample holds the frame's fields at the top level plus ``sample_id``
(the video) and ``frame_number``; its ``filepath`` is the frame's image,
``<output_dir>/<sample id>/<frame number:06d>.jpg``. Images are written
only when asked (``sample_frames=True``); otherwise the path says where
they would be. ``fps``/``max_fps`` keep a subset of frames at that rate.
Editing a frame sample's fields writes them to the video's frame.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from labelloop.core import writer
from labelloop.core.derived import (
    Derivation,
    DerivedSample,
    ViewSchema,
    changed_fields,
    refuse_changes,
    source_locator,
)
from labelloop.core.fields import SAMPLE_BUILTINS, is_label_spec
from labelloop.core.ids import derived_id
from labelloop.core.planner import run, source_of
from labelloop.core.sample import Frame, Frames, Sample
from labelloop.core.stages import Doc

if TYPE_CHECKING:
    from labelloop.core.collection import SampleCollection
    from labelloop.core.dataset import Dataset

logger = logging.getLogger(__name__)

#: Fields of a frame sample that are not the frame's own.
FRAME_SAMPLE_FIELDS = ("id", "filepath", "tags", "metadata", "sample_id", "frame_number")


def default_frames_dir() -> str:
    """``<LABELLOOP_HOME or ~/.labelloop>/frames``."""
    home = os.environ.get("LABELLOOP_HOME") or os.path.join(Path.home(), ".labelloop")
    return os.path.join(home, "frames")


class ToFrames(Derivation):
    """One image sample per video frame."""

    parent_frames = True

    def __init__(
        self,
        sample_frames: bool = False,
        fps: float | None = None,
        max_fps: float | None = None,
        output_dir: str | None = None,
    ) -> None:
        for name, rate in (("fps", fps), ("max_fps", max_fps)):
            if rate is not None and (isinstance(rate, bool) or not rate > 0):
                raise ValueError(f"to_frames({name}=...) must be a positive number, not {rate!r}")
        self.sample_frames = bool(sample_frames)
        self.fps = fps
        self.max_fps = max_fps
        self.output_dir = output_dir
        self._video_info: dict[str, dict[str, Any] | None] = {}

    def _kwargs(self) -> dict[str, Any]:
        return {
            "sample_frames": self.sample_frames,
            "fps": self.fps,
            "max_fps": self.max_fps,
            "output_dir": self.output_dir,
        }

    @classmethod
    def _from_kwargs(cls, kw: dict[str, Any]) -> ToFrames:
        return cls(
            kw.get("sample_frames", False), kw.get("fps"), kw.get("max_fps"), kw.get("output_dir")
        )

    def validate(self, dataset: Any) -> None:
        if dataset.media_type not in (None, "video"):
            raise ValueError(f"to_frames() needs videos; dataset '{dataset.name}' has images")

    def view_schema(self, parent: Any) -> ViewSchema:
        schema = dict(SAMPLE_BUILTINS)
        schema["sample_id"] = {"kind": "str"}
        schema["frame_number"] = {"kind": "int"}
        for name, spec in parent.frame_schema.items():
            if name not in ("id", "frame_number"):
                schema[name] = spec
        return ViewSchema(getattr(parent, "_root", parent), schema, {}, "image")

    def map_filtered(self, paths: set[str]) -> set[str]:
        return {p[len("frames.") :] for p in paths if p.startswith("frames.")}

    # -- which frames ----------------------------------------------------------------

    def frame_dir(self, dataset_id: str, sample_id: str) -> str:
        """Directory of one video's frame images."""
        base = self.output_dir or os.path.join(default_frames_dir(), dataset_id)
        return os.path.join(base, sample_id)

    def _info(self, doc: Doc) -> dict[str, Any] | None:
        """``frame_rate``, ``total_frame_count``, ``frame_width/height`` of a video, if known."""
        meta = doc.get("metadata") or {}
        if meta.get("total_frame_count") and meta.get("frame_rate"):
            return meta
        path = doc["filepath"]
        if path not in self._video_info:
            from labelloop.media.metadata import video_metadata

            try:
                self._video_info[path] = video_metadata(path)
            except Exception as err:  # noqa: BLE001 - any unreadable media: fall back to stored frames
                logger.debug("Cannot read video metadata of %s: %s", path, err)
                self._video_info[path] = None
        return self._video_info[path] or (meta or None)

    def numbers(self, doc: Doc) -> list[int]:
        """The frame numbers of a video document this view shows."""
        stored = [f["frame_number"] for f in doc.get("frames") or []]
        info = self._info(doc)
        total = (info or {}).get("total_frame_count") or 0
        numbers = sorted(set(stored) | set(range(1, total + 1)))
        support = doc.get("support")  # a clip: only its frames
        if support:
            numbers = [n for n in numbers if support[0] <= n <= support[1]]
        rate = (info or {}).get("frame_rate") or 0
        target = self.fps
        if self.max_fps is not None and rate > self.max_fps:
            target = min(target or self.max_fps, self.max_fps)
        if target is None or not rate or target >= rate or not numbers:
            return numbers
        step = rate / target
        first, last = numbers[0], numbers[-1]
        wanted = []
        k = 0
        while True:
            n = first + int(round(k * step))
            if n > last:
                break
            wanted.append(n)
            k += 1
        present = set(numbers)
        return [n for n in dict.fromkeys(wanted) if n in present]

    def expand(self, doc: Doc, parent: Any, frames: bool) -> Iterator[Doc]:
        source = source_locator(doc)
        sample_id = source["sample_id"]
        directory = self.frame_dir(getattr(parent, "_root", parent)._id, sample_id)
        by_number = {f["frame_number"]: f for f in doc.get("frames") or []}
        info = self._info(doc) or {}
        metadata = None
        if info.get("frame_width") and info.get("frame_height"):
            metadata = {
                "_cls": "ImageMetadata",
                "width": info["frame_width"],
                "height": info["frame_height"],
            }
        for number in self.numbers(doc):
            frame = by_number.get(number) or {}
            out = {k: v for k, v in frame.items() if k not in ("id", "frame_number")}
            out.update(
                id=derived_id("frame", sample_id, number),
                filepath=os.path.join(directory, f"{number:06d}.jpg"),
                tags=[],
                metadata=metadata,
                sample_id=sample_id,
                frame_number=number,
                _source={
                    "sample_id": sample_id,
                    "frame_number": number,
                    "video": doc["filepath"],
                },
            )
            yield out

    # -- writing images ----------------------------------------------------------------

    def sample_images(self, collection: SampleCollection) -> None:
        """Write the missing frame images of a collection's videos (JPEG, one decode per video).

        ``collection`` is the view this stage is applied to.
        """
        dataset = collection._dataset
        source, stages = source_of(dataset, collection.stages)
        for doc in run(source, stages, frames=True):
            sid = source_locator(doc)["sample_id"]
            directory = self.frame_dir(dataset._id, sid)
            wanted = [
                n
                for n in self.numbers(doc)
                if not os.path.exists(os.path.join(directory, f"{n:06d}.jpg"))
            ]
            if wanted:
                _write_frames(doc["filepath"], directory, wanted)

    # -- writing back ------------------------------------------------------------------

    def write_back(self, sample: DerivedSample, dataset: Dataset) -> None:
        own = [n for n in sample.schema_source.sample_schema if n not in FRAME_SAMPLE_FIELDS]
        refuse_changes(sample, own, "frames")
        changed = changed_fields(sample)
        if not changed:
            return
        source = sample._source
        sample_id, number = source["sample_id"], source["frame_number"]
        stored = dataset._store.get_frames(dataset._id, sample_id, numbers=[number])
        frame = Frame()
        if stored:
            object.__setattr__(frame, "_id", stored[0][1])
            frame._fields.update(stored[0][2])  # plain fields the view may not show
        for name in own:
            spec = dataset.frame_schema.get(name)
            if name in sample._fields and (name in changed or not is_label_spec(spec)):
                frame._fields[name] = sample._fields[name]
        frame._fields["frame_number"] = number
        object.__setattr__(frame, "_seen", {k: dict(v) for k, v in sample._seen.items()})
        object.__setattr__(frame, "_filtered", set(sample._filtered))
        video = source_sample(dataset, sample_id, source["video"], {number} if stored else set())
        batch = writer.Batch()
        writer.save_frames(dataset, video, {number: frame}, batch)
        batch.flush(dataset)
        sample._seen.update({k: v for k, v in frame._seen.items() if k in sample._fields})


def source_sample(dataset: Dataset, sample_id: str, filepath: str, stored: set[int]) -> Sample:
    """A stand-in for a stored video sample, to write some of its frames."""
    video = Sample(filepath)
    object.__setattr__(video, "_id", sample_id)
    object.__setattr__(video, "_dataset", dataset)
    frames = Frames(video)
    frames._stored = set(stored)
    object.__setattr__(video, "_frames", frames)
    return video


def _write_frames(video_path: str, directory: str, numbers: list[int]) -> None:
    """Decode a video once and save the frames ``numbers`` (1-based) as JPEG files."""
    import av

    os.makedirs(directory, exist_ok=True)
    wanted = set(numbers)
    last = max(wanted)
    with av.open(video_path) as container:
        for index, frame in enumerate(container.decode(video=0), start=1):
            if index in wanted:
                path = os.path.join(directory, f"{index:06d}.jpg")
                frame.to_image().save(path + ".tmp", format="JPEG", quality=95)
                os.replace(path + ".tmp", path)
            if index >= last:
                break
    missing = [n for n in numbers if not os.path.exists(os.path.join(directory, f"{n:06d}.jpg"))]
    if missing:
        raise ValueError(
            f"Video {video_path!r} has no frame(s) {missing[:5]}; its metadata counts more "
            "frames than it decodes (recompute it with compute_metadata(overwrite=True))"
        )
