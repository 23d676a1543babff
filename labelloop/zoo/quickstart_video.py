"""The ``quickstart-video`` zoo dataset, built locally: 10 short H.264 clips.

Each clip (320x240, 30 fps, 100-120 frames) shows a few vehicles and people
moving across a static backdrop. Every object is a track: its frame-level
``detections`` carry a stable integer ``index`` and a ``type`` attribute
(``sedan``/``suv``/``truck``/``other`` for vehicles, ``pedestrian``/``cyclist``
for people). Content is a pure function of the clip index; the MP4s are
encoded once (PyAV) into the zoo directory and labels are rebuilt on load.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
import numpy as np
from PIL import Image

from labelloop.core.labels import Detection, Detections
from labelloop.formats.registry import ImportedSample
from labelloop.zoo.drawing import CLASS_COLORS, background, jitter_color, paste_object
from labelloop.zoo.media_cache import atomic_write, read_info, write_info

logger = logging.getLogger(__name__)

NAME = "quickstart-video"
NUM_SAMPLES = 10
GENERATOR_VERSION = 1
WIDTH, HEIGHT, FPS = 320, 240, 30
VEHICLE_TYPES = ["sedan", "suv", "truck", "other"]
PERSON_TYPES = ["pedestrian", "cyclist"]
_SEED = 52


@dataclass
class TrackSpec:
    """One moving object: visible from ``first`` to ``last`` frame (1-based, inclusive)."""

    index: int
    label: str
    type: str
    first: int
    last: int
    start: tuple[float, float]
    velocity: tuple[float, float]
    size: tuple[int, int]
    color: tuple[int, int, int]

    def box_at(self, frame_number: int) -> tuple[int, int, int, int]:
        """Pixel box at ``frame_number``; the object bounces off the frame edges."""
        t = frame_number - self.first
        w, h = self.size
        x = _bounce(self.start[0] + self.velocity[0] * t, WIDTH - w)
        y = _bounce(self.start[1] + self.velocity[1] * t, HEIGHT - h)
        return int(round(x)), int(round(y)), w, h


def _bounce(pos: float, span: float) -> float:
    period = 2 * span
    p = pos % period
    return p if p <= span else period - p


@dataclass
class ClipSpec:
    """Length and tracks of one clip."""

    index: int
    num_frames: int
    tracks: list[TrackSpec]


def clip_spec(index: int) -> ClipSpec:
    """The deterministic content of clip ``index``."""
    rng = np.random.default_rng([_SEED, index])
    n = int(rng.integers(100, 121))
    tracks = []
    for k in range(int(rng.integers(2, 6))):
        vehicle = rng.random() < 0.65
        label = "vehicle" if vehicle else "person"
        kinds = VEHICLE_TYPES if vehicle else PERSON_TYPES
        kind = kinds[int(rng.integers(len(kinds)))]
        if vehicle:
            size = (int(rng.integers(50, 90)), int(rng.integers(30, 50)))
        else:
            size = (int(rng.integers(14, 22)), int(rng.integers(40, 60)))
        full = rng.random() < 0.6
        first = 1 if full else int(rng.integers(1, n // 3))
        last = n if full else int(rng.integers(2 * n // 3, n + 1))
        start = (rng.uniform(0, WIDTH - size[0]), rng.uniform(0, HEIGHT - size[1]))
        speed = rng.uniform(1.0, 3.0) if vehicle else rng.uniform(0.3, 1.0)
        angle = rng.uniform(0, 2 * np.pi)
        velocity = (speed * np.cos(angle), 0.4 * speed * np.sin(angle))
        color = jitter_color(CLASS_COLORS[label], rng)
        tracks.append(TrackSpec(k + 1, label, kind, first, last, start, velocity, size, color))
    return ClipSpec(index, n, tracks)


def filename(index: int) -> str:
    """Media file name of clip ``index``."""
    return f"video_{index:03d}.mp4"


def _encode(spec: ClipSpec, file: Any) -> None:
    rng = np.random.default_rng([_SEED, spec.index, 1])
    backdrop = background(WIDTH, HEIGHT, rng)
    with av.open(file, mode="w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        stream.options = {"preset": "veryfast", "crf": "28"}
        for frame_number in range(1, spec.num_frames + 1):
            image: Image.Image = backdrop.copy()
            for track in spec.tracks:
                if track.first <= frame_number <= track.last:
                    paste_object(image, track.label, track.box_at(frame_number), track.color)
            frame = av.VideoFrame.from_image(image)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def ensure_media(root: Path) -> None:
    """Encode the clips into ``root`` unless a complete current copy exists."""
    data = root / "data"
    if read_info(root).get("version") == GENERATOR_VERSION and all(
        (data / filename(i)).is_file() for i in range(NUM_SAMPLES)
    ):
        return
    logger.info("Generating the %s dataset in %s", NAME, root)
    for i in range(NUM_SAMPLES):
        spec = clip_spec(i)
        atomic_write(data / filename(i), lambda f, s=spec: _encode(s, f))
    write_info(root, {"version": GENERATOR_VERSION})


def frame_labels(spec: ClipSpec) -> dict[int, Detections]:
    """``{frame_number: Detections}`` for every frame of the clip (empty where none)."""
    out = {}
    for frame_number in range(1, spec.num_frames + 1):
        dets = []
        for track in spec.tracks:
            if track.first <= frame_number <= track.last:
                x, y, w, h = track.box_at(frame_number)
                box = [x / WIDTH, y / HEIGHT, w / WIDTH, h / HEIGHT]
                dets.append(
                    Detection(
                        label=track.label, bounding_box=box, index=track.index, type=track.type
                    )
                )
        out[frame_number] = Detections(detections=dets)
    return out


def load_samples(root: Path, indices: Sequence[int]) -> list[ImportedSample]:
    """The requested clips with per-frame ``detections``, encoding the media first if needed."""
    ensure_media(root)
    return [
        ImportedSample(
            os.fspath(root / "data" / filename(i)),
            frames={n: {"detections": d} for n, d in frame_labels(clip_spec(i)).items()},
        )
        for i in indices
    ]
