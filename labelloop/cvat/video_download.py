"""The download flow for videos: each task's tags, shapes and tracks -> frame labels, streamed.

One task (one video) is read and converted at a time and handed to the merge
as one sample's chunk, so a run of many long videos is never held whole.
CVAT frame indices map back to frame numbers through the task's own frame
range (``start_frame``, ``frame_filter`` from its data meta). Tracks are
expanded by :func:`labelloop.cvat.tracks.track_labels` (CVAT's
interpolation, keyframes marked); each expanded label reuses the id of the
label the run uploaded for the same track on the same frame, so interpolated
frames merge in place instead of being replaced. A track's ``index`` is the
existing index its labels came from (the smallest when tracks were merged);
tracks that are new, or a second piece of a split track, get indices no
existing track of the video uses.
"""

from __future__ import annotations

import logging
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from labelloop.annotation.base import SampleChunk, Skip
from labelloop.annotation.diff import items_of, loaded_id
from labelloop.annotation.schema import RETURN_TYPES
from labelloop.core.labels import Label
from labelloop.cvat.convert.common import UnsupportedObjectError
from labelloop.cvat.objects import (
    KIND_OF_CLASS,
    assign_ids,
    convert_objects,
    named_attributes,
    object_model,
    restore_types,
    run_schema,
    scalar_value,
    server_object_id,
)
from labelloop.cvat.read import TaskRead, read_task
from labelloop.cvat.schema import ID_ATTR, CVATSchema, FieldLabels
from labelloop.cvat.tracks import FrameRange, track_labels

if TYPE_CHECKING:
    from labelloop.cvat.results import CVATAnnotationResults

logger = logging.getLogger(__name__)


@dataclass
class FieldState:
    """One video's current labels of one field: what downloaded tracks are matched against."""

    templates: dict[str, Label] = field(default_factory=dict)
    index_of: dict[str, int] = field(default_factory=dict)
    #: ``{(index, frame_number): [label id, ...]}`` of uploaded labels.
    by_track_frame: dict[tuple[int, int], list[str]] = field(default_factory=dict)
    uploaded: dict[int, set[str]] = field(default_factory=dict)
    indices: set[int] = field(default_factory=set)
    scalars: dict[int, Any] = field(default_factory=dict)


def frame_range_of(meta: dict[str, Any]) -> FrameRange:
    """The frame range a video task holds, from its data meta (the server is the truth)."""
    match = re.fullmatch(r"\s*step\s*=\s*(\d+)\s*", str(meta.get("frame_filter") or ""))
    step = int(match.group(1)) if match else 1
    stop = meta.get("stop_frame")
    return FrameRange(int(meta.get("start_frame") or 0), None if stop is None else int(stop), step)


def _uploaded_ids(entry: Any) -> set[str]:
    if isinstance(entry, list):
        return set(entry)
    return {entry} if isinstance(entry, str) else set()


def field_state(sample: Any, name: str, entries: dict[int, Any]) -> FieldState:
    """The state of frame field ``name`` of one video, streamed frame range by range."""
    state = FieldState()
    state.uploaded = {int(f): _uploaded_ids(e) for f, e in (entries or {}).items()}
    short = name[len("frames.") :]
    for frame in sample.frames.iter_frames():
        value = frame.get_field(short) if frame.has_field(short) else None
        if value is None:
            continue
        number = frame.frame_number
        if not isinstance(value, Label):
            state.scalars[number] = value
            continue
        uploaded = state.uploaded.get(number, set())
        for label in items_of(value):
            index = label.get_field("index")
            if index is None:
                if label.id in uploaded:
                    state.templates[label.id] = label
                continue
            state.indices.add(int(index))
            if label.id in uploaded:
                state.templates[label.id] = label
                state.index_of[label.id] = int(index)
                state.by_track_frame.setdefault((int(index), number), []).append(label.id)
    return state


def iter_video_annotations(backend: Any, results: CVATAnnotationResults) -> Iterator[SampleChunk]:
    """``(sample_id, {field: {return_type: {frame_number: {label_id: label}}}})`` per task.

    Each chunk is a :class:`LazyChunk`: the merge collects up to a batch of
    samples before merging them, so a video's annotations are read and
    converted only when the merge reads them, and dropped right after. A task
    that cannot be read gives an empty chunk whose ``skipped`` says why.
    """
    api = backend.connect_to_api()
    cvat_schema = run_schema(backend.config)
    dataset = results.samples.dataset
    for task_id in list(results.task_ids):
        frames = results.frame_id_map.get(task_id) or {}
        if 0 not in frames:
            continue
        sample_id = frames[0]["sample_id"]

        def convert(task_id: int = task_id, sample_id: str = sample_id) -> Any:
            read = read_task(api, task_id, per_job=False)
            if not read.readable:
                return {}, [Skip(gap.source, gap.reason) for gap in read.gaps]
            video = _VideoTask(read, results, cvat_schema, backend.config)
            return video.convert(dataset[sample_id], read.objects), []

        yield sample_id, LazyChunk(convert, cvat_schema.fields)


class LazyChunk(Mapping[str, dict[str, Any]]):
    """One sample's download, made by ``convert`` (returning the data and the unread
    parts, :class:`~labelloop.annotation.base.Skip`) on first read and released once every
    field was read; reading a field again after that is an error, never a silent refetch."""

    def __init__(self, convert: Callable[[], Any], fields: Iterable[str]) -> None:
        self._convert: Callable[[], Any] | None = convert
        self._data: dict[str, Any] | None = None
        self._skipped: list[Skip] | None = None
        self._fields = list(fields)
        self._unread = set(self._fields)

    def _loaded(self) -> dict[str, Any]:
        if self._data is None:
            if self._convert is None:
                raise RuntimeError("This video's annotations were already merged and released")
            made, self._convert = self._convert(), None
            self._data, self._skipped = made if isinstance(made, tuple) else (made, [])
        return self._data

    @property
    def skipped(self) -> list[Skip]:
        """The parts of this video that could not be read (reads the task if not yet read)."""
        if self._skipped is None:
            self._loaded()
        return list(self._skipped or ())

    def __getitem__(self, name: str) -> dict[str, Any]:
        data = self._loaded()
        if name not in data and name in self._fields:  # an unread task: nothing downloaded
            value: dict[str, Any] = {}
        else:
            value = data[name]
        self._unread.discard(name)
        if not self._unread:
            self._data = None
        return value

    def __iter__(self) -> Iterator[str]:
        return iter(self._fields)

    def __len__(self) -> int:
        return len(self._fields)


class _VideoTask:
    """Conversion of one video task's annotations."""

    def __init__(
        self,
        read: TaskRead,
        results: CVATAnnotationResults,
        cvat_schema: CVATSchema,
        config: Any,
    ) -> None:
        task_id, meta = read.task_id, read.meta or {}
        self.task_id = task_id
        self.source = read.source
        self.frame_range: FrameRange = frame_range_of(meta)
        self.size = int(meta["size"])
        first = (meta.get("frames") or [{}])[0]
        self.frame_size = (int(first.get("width", 1)), int(first.get("height", 1)))
        self.maps = read.maps
        self.results = results
        self.cvat_schema = cvat_schema
        self.config = config
        self.coerce = bool(config.coerce_text_attrs)
        self.problems: Counter[str] = Counter()
        self.known = results.server_id_map.get(task_id, {})

    def convert(self, sample: Any, raw: dict[str, Any]) -> dict[str, dict[str, Any]]:
        states = {
            name: field_state(sample, name, self.results.id_map.get(name, {}).get(sample.id))
            for name in self.cvat_schema.fields
        }
        out: dict[str, dict[str, Any]] = {
            name: {RETURN_TYPES[spec.label_type]: {}}
            for name, spec in self.cvat_schema.fields.items()
        }
        self._plain_objects(raw, states, out)
        self._tracks(raw.get("tracks") or [], states, out)
        for problem, count in self.problems.items():
            logger.warning(
                "Task %d: %d CVAT object(s) not loaded: %s", self.task_id, count, problem
            )
        for name, spec in self.cvat_schema.fields.items():
            declared = (self.config.label_schema or {}).get(name, {})
            keep = (
                spec.is_scalar
                or not declared.get("existing_field")
                or declared.get("only_keyframes")
            )
            if keep:
                continue
            for by_frame in out[name].values():
                for labels in by_frame.values():
                    for label in labels.values():
                        if label.has_field("keyframe"):
                            label.clear_field("keyframe")
        return out

    def _owner(self, obj: dict[str, Any]) -> tuple[FieldLabels, str | None] | None:
        name = self.maps.label_names.get(int(obj["label_id"]))
        owner = self.cvat_schema.owner(name) if name is not None else None
        if owner is None:
            self.problems[f"label {name!r} is not part of the run's schema"] += 1
        return owner

    def _frame_number(self, cvat_frame: int) -> int | None:
        if not 0 <= cvat_frame < self.size:
            self.problems["objects on frames outside the task's frame range"] += 1
            return None
        return self.frame_range.to_frame_number(cvat_frame)

    def _plain_objects(
        self, raw: dict[str, Any], states: dict[str, FieldState], out: dict[str, Any]
    ) -> None:
        buckets: dict[tuple[str, int], dict[str | None, list[dict]]] = defaultdict(
            lambda: defaultdict(list)
        )
        placed: list[tuple[str, dict[str, Any], dict[str, Any]]] = []
        for kind in ("tags", "shapes"):
            for obj in raw.get(kind) or ():
                owner = self._owner(obj)
                number = self._frame_number(int(obj.get("frame", -1)))
                if owner is None or number is None:
                    continue
                spec, cls = owner
                model = object_model(obj, spec, cls, self.maps, self.known.get(kind, {}))
                if not spec.is_scalar:
                    placed.append((kind, obj, model))
                buckets[(spec.name, number)][cls].append(model)
        assign_ids(placed, self.known, self.source)
        for (name, number), by_class in buckets.items():
            spec = self.cvat_schema.fields[name]
            state = states[name]
            if spec.is_scalar:
                value = scalar_value(spec, by_class, state.scalars.get(number), self.coerce)
                if value is not None:
                    out[name].setdefault("scalar", {})[number] = value
                continue
            converted = convert_objects(
                spec, by_class, self.frame_size, self.problems, state.templates
            )
            for return_type, labels in converted.items():
                per_frame = out[name].setdefault(return_type, {}).setdefault(number, {})
                for label in labels:
                    restore_types(label, spec, state.templates.get(label.id), self.coerce)
                    per_frame[label.id] = label

    def _tracks(
        self, tracks: list[dict[str, Any]], states: dict[str, FieldState], out: dict[str, Any]
    ) -> None:
        assigned: dict[str, set[int]] = defaultdict(set)
        next_index = {name: max(s.indices, default=0) + 1 for name, s in states.items()}
        for track in sorted(tracks, key=lambda t: (int(t.get("frame", 0)), t.get("id", 0))):
            owner = self._owner(track)
            if owner is None:
                continue
            spec, cls = owner
            if spec.is_scalar or spec.label_type in ("segmentation", "classification"):
                self.problems[f"tracks in field '{spec.name}', which holds no tracks"] += 1
                continue
            state = states[spec.name]
            expanded = self._expand(track, spec, cls, state)
            if expanded is None:
                continue
            claimed = self._claimed(track, state, [(n, i) for n, i, _ in expanded])
            free = [i for i in claimed if i not in assigned[spec.name]]
            if free:
                index = free[0]
            else:
                index = next_index[spec.name]
                next_index[spec.name] += 1
            assigned[spec.name].add(index)
            for number, own_id, label in expanded:
                kind = KIND_OF_CLASS.get(type(label), RETURN_TYPES[spec.label_type])
                per_frame = out[spec.name].setdefault(kind, {}).setdefault(number, {})
                label["index"] = index
                if not label.get_field("keyframe"):
                    label["keyframe"] = False
                label["id"] = self._track_label_id(own_id, [index, *claimed], number, state)
                if label.id in per_frame:
                    label["id"] = loaded_id(own_id, self.source, track.get("id"), number)
                restore_types(label, spec, state.templates.get(label.id), self.coerce)
                per_frame[label.id] = label

    def _expand(
        self, track: dict[str, Any], spec: FieldLabels, cls: str | None, state: FieldState
    ) -> list[tuple[int, str, Label]] | None:
        """``(frame_number, id, label)`` per frame the track covers; ``id`` is the uploaded
        label id its keyframe carries, else the same derived id on every load."""
        model = object_model(track, spec, cls, self.maps, {})
        model["shapes"] = [
            {
                **{k: v for k, v in shape.items() if k != "attributes"},
                "attributes": named_attributes(shape.get("attributes"), self.maps),
            }
            for shape in track.get("shapes") or ()
        ]
        out: list[tuple[int, str, Label]] = []
        try:
            for cvat_frame, label in track_labels(
                model,
                self.frame_size,
                self.size,
                index=0,
                options=spec.options(cls),
                templates=state.templates,
            ):
                number = self._frame_number(cvat_frame)
                if number is None:
                    continue
                own = label.id
                if own not in state.uploaded.get(number, ()):
                    own = server_object_id("track", track.get("id"), self.source, number)
                out.append((number, own, label))
        except (UnsupportedObjectError, ValueError) as err:
            self.problems[f"track not expandable: {err}"] += 1
            return None
        if self.frame_range.step > 1:
            return self._fill_steps(out, track.get("id"))
        return out

    def _fill_steps(
        self, sampled: list[tuple[int, str, Label]], track_id: Any
    ) -> list[tuple[int, str, Label]]:
        """With ``frame_step > 1`` a track covers the source frames between the sampled ones
        too (as the reference loads it): interpolated between two visible sampled frames,
        held after the last one up to the next sampled frame (or the task's last frame)."""
        step = self.frame_range.step
        stop = self.frame_range.stop
        # the task's last source frame (1-based): frame_stop, else one step past the last index
        if stop is not None:
            last = stop + 1
        else:
            last = self.frame_range.to_frame_number(self.size - 1) + step - 1
        out: list[tuple[int, str, Label]] = []
        for i, (number, own, label) in enumerate(sampled):
            out.append((number, own, label))
            after = sampled[i + 1] if i + 1 < len(sampled) else None
            following = after[2] if after is not None and after[0] == number + step else None
            for between in range(number + 1, min(number + step, last + 1)):
                filled = _between(label, following, (between - number) / step)
                filled["keyframe"] = False
                filled["id"] = server_object_id("track", track_id, self.source, between)
                out.append((between, filled.id, filled))
        return out

    def _claimed(
        self, track: dict[str, Any], state: FieldState, labels: list[tuple[int, str]]
    ) -> list[int]:
        """Existing indices whose labels this track holds: uploaded ``label_id`` values on
        its shapes, the track's upload-time id, or ids a previous load gave it."""
        id_specs = {s for s, n in self.maps.attr_names.items() if n == ID_ATTR}
        ids = {
            a.get("value")
            for shape in track.get("shapes") or ()
            for a in shape.get("attributes") or ()
            if a.get("spec_id") in id_specs
        }
        ids.update(label_id for _, label_id in labels)
        fallback = self.known.get("tracks", {}).get(int(track.get("id", -1)))
        if fallback:
            ids.add(fallback)
        return sorted({state.index_of[i] for i in ids if i in state.index_of})

    @staticmethod
    def _track_label_id(own: str, indices: list[int], number: int, state: FieldState) -> str:
        """The uploaded label this track holds on frame ``number``, else ``own``."""
        if own in state.uploaded.get(number, ()):
            return own
        for index in indices:
            for label_id in state.by_track_frame.get((index, number), ()):
                return label_id
        return own


def _between(label: Label, following: Label | None, t: float) -> Label:
    """A copy of ``label`` a fraction ``t`` of the way to ``following`` (boxes and points move
    linearly, as CVAT interpolates; anything else, or no ``following``, is held)."""
    out = label.copy()
    if following is None:
        return out
    for name in ("bounding_box", "points"):
        a, b = label.get_field(name), following.get_field(name)
        if a is not None and b is not None:
            moved = _lerp(a, b, t)
            if moved is not None:
                out[name] = moved
    return out


def _lerp(a: Any, b: Any, t: float) -> Any:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a + (b - a) * t
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)) and len(a) == len(b):
        parts = [_lerp(x, y, t) for x, y in zip(a, b)]
        return None if any(p is None for p in parts) else list(parts)
    return None
