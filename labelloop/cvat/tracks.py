"""CVAT tracks: building them from indexed per-frame labels, expanding them back.

Building: labels carrying an ``index`` become one track per ``(class, index)``
(per part, for multi-part polylines); the rest stay plain shapes. A track gets
an ``outside`` shape after every gap and after its last frame unless that is
the last frame of the task. Attributes whose schema says ``mutable: False``
live on the track, the rest on its shapes. When any label has
``keyframe=True`` only keyframes are sent (plus each segment's first and last
shape so CVAT's interpolation starts and ends where the data does); otherwise
every label is a keyframe.

Expanding reproduces CVAT's server-side track expansion (its ``TrackManager``):
linear interpolation of rectangles (rotation along the shorter arc) and
single points, CVAT's point-matching interpolation for polygons and
polylines, copies for multi-point ``points`` shapes, ``outside`` ranges
dropped, the last shape carried to the end of the task unless it is outside.
It works one track at a time as a generator, so long videos need no
whole-video buffers.
"""

from __future__ import annotations

import copy
import logging
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np

from labelloop.core.labels import LIST_LABELS, Label
from labelloop.cvat import convert
from labelloop.cvat.convert.common import UnsupportedObjectError, options_or_default
from labelloop.cvat.convert.options import ConvertOptions

logger = logging.getLogger(__name__)

#: Keys of a shape that belong to the track, not to each of its shapes.
_TRACK_KEYS = ("label", "group", "source")


@dataclass(frozen=True)
class FrameRange:
    """Which media frames a CVAT video task holds: ``start..stop`` (0-based,
    ``stop`` inclusive, ``None`` = the last frame) every ``step`` frames.

    labelloop frame numbers are 1-based; CVAT frame indices count only the
    uploaded frames from 0.
    """

    start: int = 0
    stop: int | None = None
    step: int = 1

    def __post_init__(self) -> None:
        if self.start < 0:
            raise ValueError(f"frame_start must be >= 0, got {self.start}")
        if self.stop is not None and self.stop < self.start:
            raise ValueError(f"frame_stop ({self.stop}) must be >= frame_start ({self.start})")
        if self.step < 1:
            raise ValueError(f"frame_step must be a positive integer, got {self.step}")

    def size(self, frame_count: int) -> int:
        """How many CVAT frames a video of ``frame_count`` frames yields."""
        last = frame_count - 1 if self.stop is None else min(self.stop, frame_count - 1)
        return max(0, (last - self.start) // self.step + 1)

    def to_cvat(self, frame_number: int) -> int | None:
        """The CVAT frame index of labelloop frame ``frame_number`` (``None``: not uploaded)."""
        offset = frame_number - 1 - self.start
        if (
            offset < 0
            or offset % self.step
            or (self.stop is not None and frame_number - 1 > self.stop)
        ):
            return None
        return offset // self.step

    def to_frame_number(self, cvat_frame: int) -> int:
        """The labelloop frame number of CVAT frame index ``cvat_frame``."""
        return self.start + cvat_frame * self.step + 1


@dataclass
class TrackUpload:
    """What :func:`build_tracks` produces: tracks, shapes of labels without index, tags."""

    tracks: list[dict[str, Any]] = field(default_factory=list)
    shapes: list[dict[str, Any]] = field(default_factory=list)
    tags: list[dict[str, Any]] = field(default_factory=list)


_Entry = TypeVar("_Entry", bound=tuple)


def _items(label: Label) -> list[Label]:
    return label.items() if isinstance(label, LIST_LABELS) else [label]


def consecutive_runs(entries: Iterable[_Entry]) -> list[list[_Entry]]:
    """Entries (tuples led by a frame number, in frame order) split at every frame gap.

    A gap ends a track segment: CVAT would interpolate over it.
    """
    segments: list[list[_Entry]] = []
    for entry in entries:
        if segments and entry[0] == segments[-1][-1][0] + 1:
            segments[-1].append(entry)
        else:
            segments.append([entry])
    return segments


def _track_shape(shape: dict[str, Any], options: ConvertOptions) -> dict[str, Any]:
    out = {k: v for k, v in shape.items() if k not in _TRACK_KEYS}
    name = shape["label"]
    out["attributes"] = [a for a in shape["attributes"] if options.is_mutable(a["name"], name)]
    out["keyframe"] = True
    return out


def _make_track(
    key_shapes: list[tuple[int, Label, dict]],
    last_frame: int,
    only_keyframes: bool,
    options: ConvertOptions,
) -> dict[str, Any]:
    first = key_shapes[0][2]
    shapes = []
    for segment in consecutive_runs(key_shapes):
        for position, (_, item, shape) in enumerate(segment):
            edge = position in (0, len(segment) - 1)
            if not only_keyframes or edge or item.get_field("keyframe") is True:
                shapes.append(_track_shape(shape, options))
        end = segment[-1][0]
        if end < last_frame:
            closing = _track_shape(segment[-1][2], options)
            closing.update(frame=end + 1, outside=True)
            shapes.append(copy.deepcopy(closing))
    return {
        "label": first["label"],
        "frame": key_shapes[0][0],
        "group": first["group"],
        "source": "manual",
        "attributes": [
            a for a in first["attributes"] if not options.is_mutable(a["name"], first["label"])
        ],
        "shapes": shapes,
    }


def build_tracks(
    labels: Iterable[tuple[int, Label]],
    frame_size: Sequence[int],
    *,
    frame_count: int,
    frame_range: FrameRange | None = None,
    options: ConvertOptions | None = None,
    only_keyframes: bool | None = None,
) -> TrackUpload:
    """Tracks and plain shapes for one video's labels of one field.

    ``labels`` yields ``(frame_number, label)`` with 1-based frame numbers and
    single or list labels; frames outside ``frame_range`` are skipped.
    ``frame_count`` is the video's number of frames. ``only_keyframes=None``
    sends only keyframes when any label has ``keyframe=True``. Instance masks
    cannot be tracked in CVAT, so masked detections are sent as plain shapes.
    """
    options = options_or_default(options)
    frame_range = frame_range or FrameRange()
    last_frame = frame_range.size(frame_count) - 1
    upload = TrackUpload()
    keyed: dict[tuple[str, int, int], list[tuple[int, Label, dict]]] = {}
    marked = False
    skipped = untracked = 0
    for frame_number, label in labels:
        cvat_frame = frame_range.to_cvat(frame_number)
        if cvat_frame is None or cvat_frame > last_frame:
            skipped += 1
            continue
        for item in _items(label):
            marked = marked or item.get_field("keyframe") is True
            shapes = convert.to_cvat(item, frame_size, cvat_frame, options)
            if shapes and "type" not in shapes[0]:
                upload.tags.extend(shapes)
                continue
            index = item.get_field("index")
            if index is None or not shapes or shapes[0]["type"] == "mask":
                untracked += index is not None
                upload.shapes.extend(shapes)
                continue
            for part, shape in enumerate(shapes):
                keyed.setdefault((shape["label"], index, part), []).append(
                    (cvat_frame, item, shape)
                )
    if skipped:
        logger.debug("Skipped %d labels on frames outside %s", skipped, frame_range)
    if untracked:
        logger.warning(
            "Sent %d indexed masked detections as plain shapes: CVAT cannot track masks",
            untracked,
        )
    if only_keyframes is None:
        only_keyframes = marked
    for (name, index, _), entries in keyed.items():
        entries.sort(key=lambda e: e[0])
        for before, after in zip(entries, entries[1:]):
            if before[0] == after[0]:
                raise ValueError(
                    f"Two {name!r} labels with index {index} on CVAT frame {after[0]}; "
                    "a track holds one object per frame"
                )
        upload.tracks.append(_make_track(entries, last_frame, only_keyframes, options))
    return upload


# -- expansion -----------------------------------------------------------------


def _angle_step(to_angle: float, from_angle: float) -> float:
    """Signed rotation from ``from_angle`` to ``to_angle`` along the shorter arc.

    Mirrors CVAT, including its quirk for exactly opposite angles: the
    difference -180 is replaced by 1 degree.
    """
    diff = ((to_angle - from_angle + 180) % 360) - 180
    if abs(diff) >= 180:
        diff = 360 + abs(diff) if diff > 0 else 1
    return diff


def _copy(shape: Mapping[str, Any], frame: int, points: list[float] | None = None) -> dict:
    out = dict(shape)
    out["attributes"] = copy.deepcopy(list(shape["attributes"]))
    out["keyframe"] = False
    out["frame"] = frame
    out["points"] = list(shape["points"]) if points is None else points
    return out


def _linear(shape0: Mapping[str, Any], shape1: Mapping[str, Any]) -> Iterator[dict]:
    span = shape1["frame"] - shape0["frame"]
    start = np.asarray(shape0["points"], dtype=np.float64)
    diff = np.subtract(shape1["points"], shape0["points"])
    rot0 = float(shape0.get("rotation", 0.0))
    turn = _angle_step(float(shape1.get("rotation", 0.0)), rot0)
    for frame in range(shape0["frame"] + 1, shape1["frame"]):
        offset = (frame - shape0["frame"]) / span
        out = _copy(shape0, frame, (start + diff * offset).tolist())
        out["rotation"] = (rot0 + turn * offset + 360) % 360
        yield out


def _walked(xy: np.ndarray) -> list[float]:
    """Arc length from the first vertex to each vertex, summed edge by edge like CVAT."""
    out = [0.0]
    for i in range(1, len(xy)):
        dx, dy = xy[i] - xy[i - 1]
        out.append(out[-1] + math.sqrt(dx**2 + dy**2))
    return out


def _curve_length(xy: np.ndarray) -> float:
    return _walked(xy)[-1]


def _arc_positions(xy: np.ndarray) -> np.ndarray:
    """Cumulative arc length of each vertex as a fraction of the whole curve."""
    walked = _walked(xy)
    total = walked[-1]
    return np.asarray([0.0] + [w / total if total else math.nan for w in walked[1:]])


def _nearest(value: float, positions: np.ndarray) -> int:
    """Index of the first position closest to ``value`` (index 0 when undefined)."""
    gaps = np.abs(positions - value)
    gaps = np.where(np.isnan(gaps), np.inf, gaps)
    return 0 if math.isnan(value) or not np.isfinite(gaps).any() else int(np.argmin(gaps))


def _match_vertices(left: np.ndarray, right: np.ndarray) -> list[list[int]]:
    """For each left vertex, the right vertices it moves to (CVAT's matching)."""
    left_pos, right_pos = _arc_positions(left), _arc_positions(right)
    matching = [[_nearest(p, right_pos)] for p in left_pos]
    taken = {m[0] for m in matching}
    for j in range(len(right)):
        if j not in taken:
            matching[_nearest(right_pos[j], left_pos)].append(j)
    return [sorted(m) for m in matching]


class _Reducer:
    """CVAT's thinning of the interpolated vertex list for one frame."""

    def __init__(
        self, points: np.ndarray, matching: list[list[int]], left: np.ndarray, right: np.ndarray
    ) -> None:
        self.points, self.matching, self.left, self.right = points, matching, left, right
        self.slots: list[list[int]] = []
        position = 0
        for targets in matching:
            self.slots.append(list(range(position, position + len(targets))))
            position += len(targets)
        self.out: list[np.ndarray] = []

    def _thin(self, base_length: float, count: int, first: int, last: int) -> None:
        threshold = base_length / (2 * count)
        kept = [self.points[first]]
        anchor = first
        for k in range(first + 1, last):
            if _distance(self.points[anchor], self.points[k]) >= threshold:
                kept.append(self.points[k])
                anchor = k
        kept.append(self.points[last])
        if len(kept) == 2 and _distance(self.points[first], self.points[last]) < threshold:
            kept = [(kept[0] + kept[1]) / 2]
        self.out.extend(kept)

    def left_run(self, start: int, stop: int) -> None:
        first, last = self.slots[start][0], self.slots[stop][0]
        if first == last:
            self.out.append(self.points[first])
            return
        self._thin(_curve_length(self.left[start : stop + 1]), stop - start + 1, first, last)

    def fan(self, i: int) -> None:
        start, stop = self.matching[i][0], self.matching[i][-1]
        self._thin(
            _curve_length(self.right[start : stop + 1]),
            stop - start + 1,
            self.slots[i][0],
            self.slots[i][-1],
        )

    def run(self) -> list[float]:
        opened: int | None = None
        for i, targets in enumerate(self.matching):
            if len(targets) == 1:
                if opened is None:
                    opened = i
                elif targets[0] != self.matching[opened][0]:
                    self.left_run(opened, i - 1)
                    opened = i
            else:
                if opened is not None:
                    self.left_run(opened, i - 1)
                    opened = None
                self.fan(i)
        if opened is not None:
            self.left_run(opened, len(self.matching) - 1)
        return np.asarray(self.out, dtype=np.float64).ravel().tolist()


def _distance(a: np.ndarray, b: np.ndarray) -> float:
    return math.sqrt((a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2)


def _polyshape(shape0: Mapping[str, Any], shape1: Mapping[str, Any]) -> Iterator[dict]:
    closed = shape0["type"] == "polygon"
    left = np.asarray(shape0["points"], dtype=np.float64).reshape(-1, 2)
    right = np.asarray(shape1["points"], dtype=np.float64).reshape(-1, 2)
    if closed:  # walk the outline back to its first vertex
        left, right = np.vstack([left, left[:1]]), np.vstack([right, right[:1]])
    matching = _match_vertices(left, right)
    pairs_left = np.asarray([left[i] for i, m in enumerate(matching) for _ in m])
    pairs_right = np.asarray([right[j] for m in matching for j in m])
    span = shape1["frame"] - shape0["frame"]
    for frame in range(shape0["frame"] + 1, shape1["frame"]):
        offset = (frame - shape0["frame"]) / span
        moved = pairs_left + (pairs_right - pairs_left) * offset
        points = _Reducer(moved, matching, left, right).run()
        yield _copy(shape0, frame, points[:-2] if closed else points)


def _between(shape0: Mapping[str, Any], shape1: Mapping[str, Any]) -> Iterator[dict]:
    kind = shape0["type"]
    if kind != shape1["type"]:
        raise ValueError(f"A track changes shape type from {kind!r} to {shape1['type']!r}")
    if kind in ("rectangle", "ellipse", "cuboid"):
        return _linear(shape0, shape1)
    if kind == "points":
        if len(shape0["points"]) == 2 and len(shape1["points"]) == 2:
            return _linear(shape0, shape1)
        return (_copy(shape0, f) for f in range(shape0["frame"] + 1, shape1["frame"]))
    if kind in ("polygon", "polyline"):
        return _polyshape(shape0, shape1)
    raise UnsupportedObjectError(f"CVAT cannot interpolate {kind!r} tracks")


def _same(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    return dict(a, id=None, keyframe=None) == dict(b, id=None, keyframe=None)


def _keyframe_walk(shapes: list[dict], stop: int, include_outside: bool) -> Iterator[dict]:
    previous: dict | None = None
    for shape in shapes:
        if previous is not None and shape["frame"] >= stop:
            for between in _between(previous, shape):
                if between["frame"] >= stop:
                    return
                yield between
            return
        if previous is not None:
            if shape["frame"] == previous["frame"] and _same(shape, previous):
                continue
            if shape["frame"] <= previous["frame"]:
                raise ValueError(f"A track has two different shapes on frame {shape['frame']}")
            names = {a["name"] for a in shape["attributes"]}
            shape["attributes"] += [
                copy.deepcopy(a) for a in previous["attributes"] if a["name"] not in names
            ]
            if include_outside or not previous["outside"]:
                yield from _between(previous, shape)
        shape["keyframe"] = True
        yield shape
        previous = shape
    if previous is not None and (include_outside or not previous["outside"]):
        for frame in range(previous["frame"] + 1, stop):
            yield _copy(previous, frame)


def expand_track(
    track: Mapping[str, Any], stop: int, *, include_outside: bool = False
) -> Iterator[dict[str, Any]]:
    """Per-frame shapes of a track on CVAT frames ``[track start, stop)``.

    Each yielded shape carries the track's label, group and source, its own
    plus the track's attributes, and ``keyframe``. Outside shapes are dropped
    unless ``include_outside``. The input track is not modified.
    """
    if track.get("elements"):
        raise UnsupportedObjectError("Skeleton tracks cannot be expanded into labels")
    first = track.get("frame", 0)
    shapes = sorted((copy.deepcopy(dict(s)) for s in track["shapes"]), key=lambda s: s["frame"])
    for shape in shapes:
        shape.setdefault("outside", False)
    for shape in _keyframe_walk(shapes, stop, include_outside):
        if not first <= shape["frame"] < stop:
            continue
        if shape["outside"] and not include_outside:
            continue
        out = {"rotation": 0.0, **shape, **{k: track[k] for k in _TRACK_KEYS if k in track}}
        out["attributes"] = copy.deepcopy(shape["attributes"] + list(track.get("attributes") or []))
        yield out


def track_labels(
    track: Mapping[str, Any],
    frame_size: Sequence[int],
    stop: int,
    *,
    index: int,
    options: ConvertOptions | None = None,
    templates: Mapping[str, Label] | None = None,
) -> Iterator[tuple[int, Label]]:
    """``(cvat_frame, label)`` for every frame a track covers before ``stop``.

    Labels get ``index`` and, on keyframes, ``keyframe=True``. Interpolated
    labels get fresh ids (the keyframe's id would otherwise repeat); keyframes
    keep the id they were uploaded with. ``templates`` (uploaded labels by id)
    serve the keyframe's label as template for the frames interpolated from it.
    """
    options = options_or_default(options)
    templates = templates or {}
    for shape in expand_track(track, stop):
        label_id = next(
            (a["value"] for a in shape["attributes"] if a["name"] == options.id_attr), ""
        )
        if not shape["keyframe"] and options.id_attr:
            shape["attributes"] = [a for a in shape["attributes"] if a["name"] != options.id_attr]
        label = convert.from_cvat(shape, frame_size, options, templates.get(label_id))
        label.index = index
        if shape["keyframe"]:
            label.keyframe = True
        yield shape["frame"], label
