"""The annotate flow for videos: one CVAT task per video, frame labels as tags, shapes and tracks.

Each video becomes its own task (CVAT holds one video per task), uploaded from
disk by :mod:`labelloop.cvat.upload` with its frame range (``frame_start``,
``frame_stop``, ``frame_step``: an int for every video, a list used round
robin, or a dict keyed by the media path actually uploaded). Frame labels are
read one video at a time, in frame ranges (never the whole collection), and
turned into CVAT objects by :func:`labelloop.cvat.tracks.build_tracks`: labels
with an ``index`` become tracks, the rest shapes and tags. Everything that
can be refused (unknown classes, frame ranges beyond a video, existing tracks
with ``frame_step > 1``) is refused before the first request; a failure later
deletes every task and project the run created.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from labelloop.annotation.diff import items_of
from labelloop.core import labels as labels_module
from labelloop.core.derived import clip_of
from labelloop.core.labels import Label
from labelloop.cvat.convert import scalar
from labelloop.cvat.errors import CVATUploadError
from labelloop.cvat.finite import has_non_finite, refuse_non_finite
from labelloop.cvat.media_check import media_path, read_headers
from labelloop.cvat.objects import server_ids, to_wire, wire_attributes
from labelloop.cvat.resources.labels import LabelMaps
from labelloop.cvat.run_tasks import (
    RunState,
    assign_jobs,
    create_task,
    data_options,
    default_task_name,
    id_map_entry,
    prepare_project,
    process_media,
    run_tasks,
)
from labelloop.cvat.schema import ID_ATTR, CVATSchema, FieldLabels
from labelloop.cvat.tracks import FrameRange, TrackUpload, build_tracks
from labelloop.cvat.upload import unique_names
from labelloop.progress import bar

if TYPE_CHECKING:
    from labelloop.cvat.api import CVATAnnotationAPI
    from labelloop.cvat.config import CVATBackendConfig

logger = logging.getLogger(__name__)

_BOX_TYPES = ("detection", "detections")


@dataclass
class VideoRow:
    """What the upload needs of one video sample."""

    sample_id: str
    media_path: str
    frame_count: int
    frame_range: FrameRange
    #: The sample's id in the uploaded view when it is not the video's (a clip).
    view_id: str | None = None
    #: The video file's header, and whether the video sample has no metadata yet.
    header: dict[str, Any] = field(default_factory=dict)
    needs_metadata: bool = False

    @property
    def shown_id(self) -> str:
        """The sample's id in the uploaded collection."""
        return self.view_id or self.sample_id


def frame_param(name: str, value: Any, position: int, media_path: str) -> int | None:
    """One video's ``frame_start``/``frame_stop``/``frame_step`` from its int/list/dict form.

    Lists are used round robin over the videos; dicts are keyed by the media
    path that is uploaded (the ``media_field`` value), videos missing from a
    dict get the default.
    """
    if value is None or isinstance(value, int):
        return value
    if isinstance(value, list):
        return value[position % len(value)] if value else None
    if isinstance(value, dict):
        return value.get(media_path)
    raise ValueError(f"{name} must be an int, a list or a dict of ints, got {value!r}")


def collect_videos(samples: Any, config: CVATBackendConfig) -> list[VideoRow]:
    """Every video's id, media path, frame count (read from the file's header, so a
    file that cannot be read is refused before any request) and frame range."""
    rows: list[VideoRow] = []
    media_field = config.media_field
    extra = [media_field] if media_field != "filepath" else None
    found = [
        (
            sample.id,
            media_path(sample, media_field),
            sample.get_field("metadata") is None,
            clip_of(sample),
        )
        for sample in samples.select_fields(extra).iter_samples()
    ]
    headers = read_headers(
        [(sample_id, path) for sample_id, path, _, _ in found], "video", media_field
    )
    for position, (sample_id, path, needs_metadata, clip) in enumerate(found):
        header = headers[sample_id]
        count = int(header["total_frame_count"])
        start = frame_param("frame_start", config.frame_start, position, path)
        stop = frame_param("frame_stop", config.frame_stop, position, path)
        step = frame_param("frame_step", config.frame_step, position, path)
        if step is not None and step < 1:
            raise ValueError(f"frame_step must be >= 1, got {step} for video {path!r}")
        if clip is not None:  # a clip: its own frame range of its video, keyed by the video
            first, last = clip[1]
            start = max(first - 1, start or 0)
            stop = last - 1 if stop is None else min(stop, last - 1)
        frame_range = FrameRange(start or 0, stop, step or 1)
        if frame_range.size(count) < 1:
            raise ValueError(
                f"frame_start={frame_range.start} is beyond the last frame ({count - 1}, "
                f"0-based) of video {path!r}; lower frame_start for this video"
            )
        video_id, view_id = (clip[0], sample_id) if clip is not None else (sample_id, None)
        rows.append(VideoRow(video_id, path, count, frame_range, view_id, header, needs_metadata))
    if not rows:
        raise ValueError("The collection is empty; there is nothing to annotate")
    return rows


def iter_field_frames(samples: Any, row: VideoRow, field: str) -> Iterator[tuple[int, Any]]:
    """``(frame_number, value)`` of one video's frame field as the uploaded collection shows
    it (a view's label filters apply: the labels it hides are not sent), streamed."""
    name = field[len("frames.") :]
    sample = samples[row.shown_id]
    for frame in sample.frames.iter_frames():
        value = frame.get_field(name) if frame.has_field(name) else None
        if value is not None:
            yield frame.frame_number, value


def _label_path(samples: Any, name: str) -> str | None:
    """``frames.<field>[.<list field>]``: where the field's labels sit (``None``: no such field)."""
    info = (samples.get_frame_field_schema() or {}).get(name[len("frames.") :])
    cls = (info or {}).get("cls")
    if cls is None:
        return None
    if isinstance(cls, str):  # the schema names the label class
        cls = getattr(labels_module, cls, None)
    list_field = getattr(cls, "list_field", None)
    return f"{name}.{list_field}" if list_field else name


def check_videos(samples: Any, cvat_schema: CVATSchema, rows: list[VideoRow]) -> None:
    """Refuse unknown classes, NaN/Infinity in labels and existing tracks with
    ``frame_step > 1`` before any request.

    Each is a store query (``distinct``), not a pass over every frame; only NaN found
    reads the frames, to name the label.
    """
    ids = [row.shown_id for row in rows]
    for name, spec in cvat_schema.fields.items():
        path = _label_path(samples, name)
        if path is None or spec.is_scalar or spec.label_type == "segmentation":
            continue
        used = samples.select(ids).distinct(f"{path}.label")
        missing = {str(c) for c in used if c is not None} - set(spec.cvat_names)
        if missing:
            raise ValueError(
                f"Field '{name}' holds labels of classes {sorted(missing)} that are "
                f"not in its classes {sorted(spec.cvat_names)}; add them to the label schema's "
                "classes (or to the CVAT project) so every existing label can be uploaded"
            )
        if has_non_finite(samples.select(ids), path, cvat_schema, name):
            for row in rows:
                frames = iter_field_frames(samples, row, name)
                described = (
                    (f"{row.shown_id} ({row.media_path}) frame {n}", name, v) for n, v in frames
                )
                refuse_non_finite(cvat_schema, described)
        for row in rows:
            if row.frame_range.step == 1:
                continue
            if any(i is not None for i in samples.select([row.shown_id]).distinct(f"{path}.index")):
                raise ValueError(
                    f"Video {row.media_path!r} has existing tracks in field '{name}' "
                    f"(labels with an index), which cannot be uploaded with "
                    f"frame_step={row.frame_range.step}: CVAT would interpolate "
                    "over the skipped frames; use frame_step=1 or annotate a new field"
                )


def upload_videos(
    api: CVATAnnotationAPI,
    config: CVATBackendConfig,
    samples: Any,
    rows: list[VideoRow],
    schema: dict[str, Any],
    state: RunState,
) -> None:
    """One task per video, several at a time (:func:`~labelloop.cvat.run_tasks.run_tasks`),
    filled in ``state`` (which the caller removes on failure)."""
    project_id, cvat_schema = prepare_project(
        api, config, schema, state, lambda cvat_schema, _: check_videos(samples, cvat_schema, rows)
    )
    for field_name in config.label_schema:
        state.id_map[field_name] = {}
    base_name = config.task_name or default_task_name(samples)
    show = len(rows) > 1
    with bar(total=len(rows), desc="Uploading to CVAT", unit="video", show=show) as shown:

        def upload_task(number: int, part: RunState) -> None:
            name = f"{base_name}_{number + 1}" if len(rows) > 1 else base_name
            row = rows[number]
            _upload_video(api, config, samples, cvat_schema, project_id, name, number, row, part)

        run_tasks(state, len(rows), upload_task, lambda _: shown.update(1))
    assign_jobs(api, config, state)


def _upload_video(
    api: CVATAnnotationAPI,
    config: CVATBackendConfig,
    samples: Any,
    cvat_schema: CVATSchema,
    project_id: int | None,
    name: str,
    number: int,
    row: VideoRow,
    state: RunState,
) -> None:
    task_id = create_task(api, config, cvat_schema, project_id, name, number, state)
    frame_range = row.frame_range
    options = data_options(
        config,
        start_frame=frame_range.start,
        stop_frame=frame_range.stop,
        frame_step=frame_range.step,
    )
    paths = [row.media_path]
    process_media(api, config, task_id, paths, options, unique_names(paths), state)
    meta = api.tasks.data_meta(task_id)
    expected = frame_range.size(row.frame_count)
    if int(meta.get("size", -1)) != expected or not meta.get("frames"):
        raise CVATUploadError(
            f"Task {task_id} holds {meta.get('size')} frames after processing, but "
            f"{expected} frames of {row.media_path!r} were uploaded ({frame_range})"
        )
    frame = meta["frames"][0]
    size = (int(frame["width"]), int(frame["height"]))
    state.frame_id_map[task_id] = {0: {"sample_id": row.sample_id}}
    state.job_ids[task_id] = [int(j["id"]) for j in api.jobs.of_task(task_id)]
    maps = api.labels.task_maps(task_id)
    payload = {"version": 0, "tags": [], "shapes": [], "tracks": []}
    for field_name, spec in cvat_schema.fields.items():
        upload = _field_objects(samples, spec, row, size, state.id_map[field_name], config)
        payload["tags"] += [to_wire(o, spec, maps) for o in upload.tags]
        payload["shapes"] += [to_wire(o, spec, maps) for o in upload.shapes]
        payload["tracks"] += [track_to_wire(t, spec, maps) for t in upload.tracks]
    state.server_id_map[task_id] = {"tags": {}, "shapes": {}, "tracks": {}}
    state.check()
    if any(payload[k] for k in ("tags", "shapes", "tracks")):
        saved = api.tasks.put_annotations(task_id, payload) or {}
        state.server_id_map[task_id] = server_ids(saved, maps)
        state.server_id_map[task_id]["tracks"] = track_server_ids(saved, maps)
    logger.debug(
        "Task %d: %d tags, %d shapes, %d tracks for video %s",
        task_id,
        len(payload["tags"]),
        len(payload["shapes"]),
        len(payload["tracks"]),
        row.sample_id,
    )


def _field_objects(
    samples: Any,
    spec: FieldLabels,
    row: VideoRow,
    size: tuple[int, int],
    id_map: dict[str, Any],
    config: CVATBackendConfig,
) -> TrackUpload:
    """One video's objects of one field; records the uploaded frames' ids in ``id_map``."""
    frame_range = row.frame_range
    entries: dict[int, Any] = id_map.setdefault(row.sample_id, {})  # a video's clips share it
    if spec.is_scalar:
        upload = TrackUpload()
        for number, value in iter_field_frames(samples, row, spec.name):
            cvat_frame = frame_range.to_cvat(number)
            if cvat_frame is None or cvat_frame >= frame_range.size(row.frame_count):
                continue
            entries[number] = id_map_entry(spec, value)
            upload.tags += scalar.to_cvat(
                value,
                None,
                cvat_frame,
                spec.options(None),
                field=spec.name,
                classes=spec.scalar_classes or None,
            )
        return upload
    last = frame_range.size(row.frame_count)

    def uploaded() -> Iterator[tuple[int, Label]]:
        for number, value in iter_field_frames(samples, row, spec.name):
            cvat_frame = frame_range.to_cvat(number)
            if cvat_frame is None or cvat_frame >= last:
                continue
            entries[number] = id_map_entry(spec, value)
            for item in items_of(value):
                if spec.label_type in _BOX_TYPES and item.get_field("mask") is not None:
                    item = item.copy()  # a detections field sends boxes, as for images
                    item["mask"] = None
                yield number, item

    # None for new fields: build_tracks then looks for keyframe marks itself
    only_keyframes = (config.label_schema or {}).get(spec.name, {}).get("only_keyframes")
    upload = TrackUpload()
    by_class: dict[str | None, list[tuple[int, Label]]] = {}
    for number, item in uploaded():
        by_class.setdefault(item.get_field("label"), []).append((number, item))
    for cls, items in by_class.items():
        part = build_tracks(
            items,
            size,
            frame_count=row.frame_count,
            frame_range=frame_range,
            options=spec.options(cls),
            only_keyframes=only_keyframes,
        )
        upload.tracks += part.tracks
        upload.shapes += part.shapes
        upload.tags += part.tags
    return upload


def track_to_wire(track: dict[str, Any], spec: FieldLabels, maps: LabelMaps) -> dict[str, Any]:
    """A track of the object model with the server's label and attribute spec ids."""
    wire = to_wire(track, spec, maps)
    attr_ids = maps.attr_ids.get(spec.cvat_names.get(track["label"], track["label"]), {})
    wire["shapes"] = [
        {
            **{k: v for k, v in shape.items() if k != "attributes"},
            "attributes": wire_attributes(shape.get("attributes"), attr_ids),
        }
        for shape in track["shapes"]
    ]
    return wire


def track_server_ids(saved: dict[str, Any], maps: LabelMaps) -> dict[int, str]:
    """``{track id: label id of its first shape}``: fallback provenance of each track."""
    id_specs = {spec_id for spec_id, name in maps.attr_names.items() if name == ID_ATTR}
    out: dict[int, str] = {}
    for track in saved.get("tracks") or ():
        for shape in sorted(track.get("shapes") or (), key=lambda s: s.get("frame", 0)):
            value = next(
                (a.get("value") for a in shape.get("attributes") or () if a["spec_id"] in id_specs),
                None,
            )
            if value and "id" in track:
                out[int(track["id"])] = value
                break
    return out
