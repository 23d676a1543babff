"""The annotate flow: :func:`upload_run` for any collection, the image upload here.

For each batch of at most ``task_size`` samples one task is created (inside a
project when asked), its media streamed up (:mod:`labelloop.cvat.upload`) and
processed, and the batch's existing labels sent in ONE ``PUT``; then the jobs
of all tasks are assigned in order. CVAT frames are mapped back to samples by
file name, never by assumed order; each task's server object ids are recorded
against label ids. Video collections go to :mod:`labelloop.cvat.video` (one
task per video). Both share the run's tasks in :mod:`labelloop.cvat.run_tasks`:
several go up at a time, with the same names, ids and maps as one after
another, and whatever fails, every task and project the run created is deleted
before the error propagates.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from labelloop.annotation.base import AnnotationBackend
from labelloop.annotation.diff import items_of
from labelloop.cvat import convert
from labelloop.cvat.convert import detection, scalar, segmentation
from labelloop.cvat.errors import CVATUploadError
from labelloop.cvat.finite import image_values, refuse_non_finite
from labelloop.cvat.media_check import fill_metadata, media_path, read_headers
from labelloop.cvat.objects import server_ids, to_wire
from labelloop.cvat.resources.labels import LabelMaps
from labelloop.cvat.results import CVATAnnotationResults
from labelloop.cvat.run_tasks import (
    RunState,
    assign_jobs,
    create_task,
    data_options,
    default_task_name,
    id_map_entry,
    prepare_project,
    process_media,
    remove_created,
    run_tasks,
)
from labelloop.cvat.schema import CVATSchema, FieldLabels
from labelloop.cvat.upload import DataOptions, unique_names
from labelloop.cvat.video import collect_videos, upload_videos
from labelloop.progress import bar

if TYPE_CHECKING:
    from labelloop.cvat.api import CVATAnnotationAPI
    from labelloop.cvat.config import CVATBackendConfig

logger = logging.getLogger(__name__)

_PROGRESS_MIN_SAMPLES = 200


@dataclass
class SampleRow:
    """What the upload needs of one sample."""

    sample_id: str
    media_path: str
    values: dict[str, Any]
    header: dict[str, Any] = field(default_factory=dict)
    needs_metadata: bool = False


def _iter_samples(samples: Any) -> Iterator[Any]:
    iterate = getattr(samples, "iter_samples", None)
    return iter(iterate() if callable(iterate) else samples)


def collect_rows(samples: Any, fields: Sequence[str], media_field: str) -> list[SampleRow]:
    """Sample ids, media paths and the schema fields' values; every file's header is read
    (:func:`~labelloop.cvat.media_check.read_headers`) before any request."""
    rows: list[SampleRow] = []
    for sample in _iter_samples(samples):
        path = media_path(sample, media_field)
        values = {f: sample.get_field(f) if sample.has_field(f) else None for f in fields}
        missing = sample.get_field("metadata") is None if sample.has_field("metadata") else True
        rows.append(SampleRow(sample.id, path, values, needs_metadata=missing))
    if not rows:
        raise ValueError("The collection is empty; there is nothing to annotate")
    headers = read_headers([(r.sample_id, r.media_path) for r in rows], "image", media_field)
    for row in rows:
        row.header = headers[row.sample_id]
    return rows


def upload_run(backend: AnnotationBackend, samples: Any, anno_key: str) -> CVATAnnotationResults:
    """Create the run on the server; on any failure delete what was created, then re-raise.

    Image collections go to :func:`_upload` (tasks of ``task_size`` images),
    video collections to :func:`labelloop.cvat.video.upload_videos` (one task
    per video).
    """
    config: CVATBackendConfig = backend.config
    media_type = getattr(samples, "media_type", "image")
    if media_type not in ("image", "video"):
        raise ValueError(
            f"The CVAT backend uploads image and video collections; this one holds "
            f"{media_type!r} media"
        )
    schema = dict(config.label_schema or {})
    if not schema or None in schema:
        raise ValueError(
            "The CVAT backend needs at least one label field: pass label_field=... or "
            "label_schema=..."
        )
    if media_type == "video":
        rows: Any = collect_videos(samples, config)
        upload: Any = upload_videos
    else:
        for param in ("frame_start", "frame_stop", "frame_step"):
            if getattr(config, param) is not None:
                raise ValueError(f"{param} applies to video tasks only; remove it for images")
        rows, upload = collect_rows(samples, list(schema), config.media_field), _upload
    api: CVATAnnotationAPI = backend.connect_to_api()
    state = RunState()
    try:
        upload(api, config, samples, rows, schema, state)
        fill_metadata(samples, rows, media_type, config.media_field)
        return CVATAnnotationResults(
            samples,
            config,
            anno_key,
            state.id_map,
            backend=backend,
            task_ids=state.task_ids,
            job_ids=state.job_ids,
            project_ids=state.project_ids,
            frame_id_map=state.frame_id_map,
            server_id_map=state.server_id_map,
            labels_task_map={f: list(state.task_ids) for f in schema},
        )
    except BaseException as err:
        remove_created(api, state, err)
        raise


def _upload(
    api: CVATAnnotationAPI,
    config: CVATBackendConfig,
    samples: Any,
    rows: list[SampleRow],
    schema: dict[str, Any],
    state: RunState,
) -> None:

    def check(cvat_schema: CVATSchema, from_project: bool) -> None:
        check_classes(cvat_schema, rows, from_project)
        refuse_non_finite(cvat_schema, image_values(cvat_schema, rows))

    project_id, cvat_schema = prepare_project(api, config, schema, state, check)
    schema = config.label_schema
    size = config.task_size or len(rows)
    batches = [rows[i : i + size] for i in range(0, len(rows), size)]
    base_name = config.task_name or default_task_name(samples)
    options = data_options(config)
    for field_name in schema:
        state.id_map[field_name] = {}
    show = len(rows) >= _PROGRESS_MIN_SAMPLES
    with bar(total=len(rows), desc="Uploading to CVAT", unit="img", show=show) as shown:

        def upload_task(number: int, part: RunState) -> None:
            name = f"{base_name}_{number + 1}" if len(batches) > 1 else base_name
            batch = batches[number]
            _upload_task(api, config, cvat_schema, project_id, name, number, batch, options, part)

        run_tasks(state, len(batches), upload_task, lambda n: shown.update(len(batches[n])))
    assign_jobs(api, config, state)


def _upload_task(
    api: CVATAnnotationAPI,
    config: CVATBackendConfig,
    cvat_schema: CVATSchema,
    project_id: int | None,
    name: str,
    number: int,
    batch: list[SampleRow],
    options: DataOptions,
    state: RunState,
) -> None:
    task_id = create_task(api, config, cvat_schema, project_id, name, number, state)
    maps = api.labels.task_maps(task_id)
    paths = [row.media_path for row in batch]
    names = unique_names(paths)
    if not api.client.features.predefined_sorting:
        # servers before 2.4.6 sort files by name: an index prefix keeps sample order
        names = [f"{i:06d}_{name}" for i, name in enumerate(names)]
    process_media(api, config, task_id, paths, options, names, state)
    meta = api.tasks.data_meta(task_id)
    frames = _frame_rows(meta, names, batch, task_id)
    state.frame_id_map[task_id] = {
        i: {"sample_id": row.sample_id} for i, (row, _) in frames.items()
    }
    state.job_ids[task_id] = [int(j["id"]) for j in api.jobs.of_task(task_id)]
    payload = build_payload(cvat_schema, maps, frames, state.id_map)
    state.check()
    if any(payload[k] for k in ("tags", "shapes")):
        saved = api.tasks.put_annotations(task_id, payload)
        state.server_id_map[task_id] = server_ids(saved or {}, maps)
    else:
        state.server_id_map[task_id] = {"tags": {}, "shapes": {}, "tracks": {}}


def _frame_rows(
    meta: dict[str, Any], names: list[str], batch: list[SampleRow], task_id: int
) -> dict[int, tuple[SampleRow, tuple[int, int]]]:
    """CVAT frame index -> (sample row, (width, height)), matched by file name."""
    frames = meta.get("frames") or []
    if meta.get("size", len(frames)) != len(batch) or len(frames) != len(batch):
        raise CVATUploadError(
            f"Task {task_id} holds {meta.get('size', len(frames))} frames after processing, but "
            f"{len(batch)} images were uploaded; check the server's logs for rejected files"
        )
    by_name = {name: row for name, row in zip(names, batch)}
    out: dict[int, tuple[SampleRow, tuple[int, int]]] = {}
    for index, frame in enumerate(frames):
        name = os.path.basename(str(frame.get("name", "")))
        row = by_name.get(name) or (batch[index] if not frame.get("name") else None)
        if row is None:
            raise CVATUploadError(
                f"Task {task_id} frame {index} is named {frame.get('name')!r}, which matches no "
                "uploaded file"
            )
        out[index] = (row, (int(frame["width"]), int(frame["height"])))
    return out


def _objects_for(
    spec: FieldLabels, value: Any, size: tuple[int, int], frame: int
) -> list[dict[str, Any]]:
    """CVAT objects (label names still our classes) for one field value."""
    if spec.is_scalar:
        classes = spec.scalar_classes or None
        return scalar.to_cvat(
            value, None, frame, spec.options(None), field=spec.name, classes=classes
        )
    if spec.label_type == "segmentation":
        return segmentation.to_cvat(value, size, frame, spec.options(None))
    objects: list[dict[str, Any]] = []
    for label in items_of(value):
        options = spec.options(label.get_field("label"))
        if spec.label_type in ("detection", "detections"):
            objects += detection.to_cvat(label, size, frame, options)  # boxes, even with masks
        else:
            objects += convert.to_cvat(label, size, frame, options)
    return objects


def check_classes(
    cvat_schema: CVATSchema, rows: list[SampleRow], from_project: bool = False
) -> None:
    """Refuse labels whose class the schema lacks, before anything is created.

    With ``from_project`` the classes are an existing project's, which the spec
    says apply to the run: such labels are then left out of the upload (with a
    warning) and stay in the dataset untouched, as they are not in the run.
    """
    for name, spec in cvat_schema.fields.items():
        if spec.is_scalar or spec.label_type == "segmentation":
            continue
        missing = {
            label.get_field("label")
            for row in rows
            if row.values.get(name) is not None
            for label in items_of(row.values[name])
        } - set(spec.cvat_names)
        if missing and from_project:
            left_out = _leave_out(name, missing, rows)
            logger.warning(
                "Field '%s': %d label(s) of classes %s that the CVAT project does not define "
                "are not uploaded; they stay in the dataset unchanged",
                name,
                left_out,
                sorted(map(str, missing)),
            )
        elif missing:
            raise ValueError(
                f"Field '{name}' holds labels of classes {sorted(map(str, missing))} that are "
                f"not in its classes {sorted(spec.cvat_names)}; add them to the label schema's "
                "classes (or to the CVAT project) so every existing label can be uploaded"
            )


def _leave_out(name: str, classes: set[Any], rows: list[SampleRow]) -> int:
    """Drop labels of ``classes`` from the rows' copies of field ``name``; returns how many."""
    count = 0
    for row in rows:
        value = row.values.get(name)
        if value is None:
            continue
        keep = [label for label in items_of(value) if label.get_field("label") not in classes]
        count += len(items_of(value)) - len(keep)
        if not value.list_field:
            row.values[name] = value if keep else None
            continue
        trimmed = value.copy()
        trimmed[value.list_field] = keep
        row.values[name] = trimmed
    return count


def build_payload(
    cvat_schema: CVATSchema,
    maps: LabelMaps,
    frames: dict[int, tuple[SampleRow, tuple[int, int]]],
    id_map: dict[str, dict[str, Any]],
) -> dict[str, Any]:
    """The task's ``PUT`` body (server label and attribute ids); records the run's ``id_map``."""
    tags: list[dict[str, Any]] = []
    shapes: list[dict[str, Any]] = []
    for frame, (row, size) in frames.items():
        for field_name, spec in cvat_schema.fields.items():
            value = row.values.get(field_name)
            id_map[field_name][row.sample_id] = id_map_entry(spec, value)
            if value is None:
                continue
            for obj in _objects_for(spec, value, size, frame):
                wire = to_wire(obj, spec, maps)
                (shapes if "type" in obj else tags).append(wire)
    return {"version": 0, "tags": tags, "shapes": shapes, "tracks": []}
