"""The annotate flow for images: tasks, media, labels; everything removed again on failure.

For each batch of at most ``task_size`` samples one task is created (inside a
project when asked), its media streamed up (:mod:`labelloop.cvat.upload`) and
processed, and the batch's existing labels sent in ONE ``PUT``; then the jobs
of all tasks are assigned in order. CVAT frames are mapped back to samples by
file name, never by assumed order; each task's server object ids are recorded
against label ids. Tasks of a run go up :data:`TASK_CONCURRENCY` at a time
(:func:`run_tasks`, shared with videos), with the same names, ids and maps as
one after another. Whatever fails, every task and project the run created is
deleted before the error propagates.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from labelloop.core.labels import Label
from labelloop.cvat import convert
from labelloop.cvat.convert import detection, scalar, segmentation
from labelloop.cvat.errors import CVATCancelled, CVATUploadError
from labelloop.cvat.media_check import fill_metadata, read_headers
from labelloop.cvat.resources.labels import LabelMaps
from labelloop.cvat.results import CVATAnnotationResults
from labelloop.cvat.schema import (
    ID_ATTR,
    CVATSchema,
    FieldLabels,
    bind_flag_attributes,
    build_schema,
    refuse_flag_attributes,
    schema_from_project,
)
from labelloop.cvat.upload import DataOptions, unique_names, upload_media, wait_for_request
from labelloop.interrupts import deferred_interrupt
from labelloop.progress import bar

if TYPE_CHECKING:
    from labelloop.cvat.api import CVATAnnotationAPI
    from labelloop.cvat.backend import CVATBackend, CVATBackendConfig

logger = logging.getLogger(__name__)

_LIST_TYPES = ("classifications", "detections", "instances", "polylines", "polygons", "keypoints")
_PROGRESS_MIN_SAMPLES = 200

#: Tasks of one run created, uploaded and processed at the same time. CVAT processes a
#: task's media on its import workers (two in a stock deployment): three tasks in flight
#: keep both busy while a third sends media or labels. More would only queue on the server,
#: hold more label payloads in memory and leave more half-made tasks to delete on failure.
TASK_CONCURRENCY = 3


@dataclass
class SampleRow:
    """What the upload needs of one sample."""

    sample_id: str
    media_path: str
    values: dict[str, Any]
    header: dict[str, Any] = field(default_factory=dict)
    needs_metadata: bool = False


@dataclass
class RunState:
    """Everything created so far (so a failure can remove it) and the ids recorded.

    ``stop`` is set when the run is abandoned: a task still uploading raises
    :class:`~labelloop.cvat.errors.CVATCancelled` at its next step instead of going on.
    """

    task_ids: list[int] = field(default_factory=list)
    project_ids: list[int] = field(default_factory=list)
    job_ids: dict[int, list[int]] = field(default_factory=dict)
    frame_id_map: dict[int, dict[int, dict[str, str]]] = field(default_factory=dict)
    server_id_map: dict[int, dict[str, dict[int, str]]] = field(default_factory=dict)
    id_map: dict[str, dict[str, Any]] = field(default_factory=dict)
    stop: threading.Event = field(default_factory=threading.Event)

    def check(self) -> None:
        """Raise :class:`~labelloop.cvat.errors.CVATCancelled` if the run is being abandoned."""
        if self.stop.is_set():
            raise CVATCancelled("The run was abandoned before this task finished")

    def part(self) -> RunState:
        """An empty state for one task, sharing this run's ``stop``."""
        return RunState(id_map={f: {} for f in self.id_map}, stop=self.stop)

    def merge(self, part: RunState) -> None:
        """Add one task's ids and maps (in task order, the order a sequential run had)."""
        self.task_ids += part.task_ids
        self.job_ids.update(part.job_ids)
        self.frame_id_map.update(part.frame_id_map)
        self.server_id_map.update(part.server_id_map)
        for name, entries in part.id_map.items():
            merged = self.id_map.setdefault(name, {})
            for sample_id, entry in entries.items():
                if isinstance(entry, dict) and isinstance(merged.get(sample_id), dict):
                    merged[sample_id].update(entry)  # frames of one video's clips (tasks)
                else:
                    merged[sample_id] = entry


def run_tasks(
    state: RunState,
    count: int,
    upload_task: Callable[[int, RunState], None],
    done: Callable[[int], None] | None = None,
) -> None:
    """Run ``upload_task(number, part)`` for tasks ``0..count-1``, :data:`TASK_CONCURRENCY`
    at a time, then merge each task's ``part`` into ``state`` in task order.

    ``done(number)`` is called (in this thread) as each task finishes. The first
    failure, or Ctrl-C, stops the other tasks at their next step and skips those
    not started; the error is re-raised once every running task has stopped, with
    every task created so far in ``state.task_ids`` for the caller to delete.
    """
    parts = [state.part() for _ in range(count)]
    pool = ThreadPoolExecutor(min(TASK_CONCURRENCY, count), thread_name_prefix="labelloop-task")
    try:
        futures = {pool.submit(upload_task, n, parts[n]): n for n in range(count)}
        for future in as_completed(futures):
            future.result()
            if done is not None:
                done(futures[future])
    except BaseException:
        state.stop.set()
        raise
    finally:
        try:
            pool.shutdown(wait=True, cancel_futures=True)
        finally:
            for part in parts:
                state.merge(part)


def _iter_samples(samples: Any) -> Iterator[Any]:
    iterate = getattr(samples, "iter_samples", None)
    return iter(iterate() if callable(iterate) else samples)


def media_path(sample: Any, media_field: str) -> str:
    """The existing media file ``media_field`` of ``sample`` names (else a clear error)."""
    path = sample.get_field(media_field) if sample.has_field(media_field) else None
    if not isinstance(path, str) or not path:
        raise ValueError(
            f"Sample {sample.id} has no media path in field {media_field!r}; set "
            "media_field to the field holding the files to upload"
        )
    return path


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


def default_task_name(samples: Any) -> str:
    """``labelloop_<dataset name>`` with spaces replaced."""
    name = getattr(samples, "dataset_name", None) or getattr(samples, "name", None) or "dataset"
    return "labelloop_" + re.sub(r"\s+", "_", str(name))


def _round_robin(value: str | list[str] | None, index: int) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return value[index % len(value)]


def data_options(config: CVATBackendConfig, **frames: int | None) -> DataOptions:
    """The config's chunk/quality options for a task's media (``frames``: video range)."""
    return DataOptions(
        image_quality=config.image_quality,
        use_cache=config.use_cache,
        use_zip_chunks=config.use_zip_chunks,
        chunk_size=config.chunk_size,
        **frames,
    )


def create_task(
    api: CVATAnnotationAPI,
    config: CVATBackendConfig,
    cvat_schema: CVATSchema,
    project_id: int | None,
    name: str,
    number: int,
    state: RunState,
) -> int:
    """Create the run's task ``number`` (assignee, issue tracker round robin); record its id.

    The id goes into ``state`` at once so a later failure deletes the task too.
    """
    state.check()
    assignee = _round_robin(config.task_assignee, number)
    assignee_id = api.get_user_id(assignee) if assignee else None
    with deferred_interrupt(f"creating task {name!r}"):
        task = api.tasks.create(
            name,
            labels=None if project_id is not None else cvat_schema.labels,
            project_id=project_id,
            segment_size=config.segment_size,
            bug_tracker=_round_robin(config.issue_tracker, number),
            assignee_id=assignee_id,
        )
        task_id = int(task["id"])
        state.task_ids.append(task_id)
    return task_id


def upload_run(backend: CVATBackend, samples: Any, anno_key: str) -> CVATAnnotationResults:
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
        from labelloop.cvat.video import collect_videos, upload_videos

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
        _remove_created(api, state, err)
        raise


def _remove_created(api: CVATAnnotationAPI, state: RunState, err: BaseException) -> None:
    logger.warning(
        "Annotation upload failed (%s); deleting the %d task(s) and %d project(s) it created",
        type(err).__name__,
        len(state.task_ids),
        len(state.project_ids),
    )
    for task_id in state.task_ids:
        try:
            api.tasks.delete(task_id)
        except Exception as cleanup_err:  # keep the original error; report the leftover
            logger.error("Could not delete task %d: %s", task_id, cleanup_err)
    for project_id in state.project_ids:
        try:
            api.projects.delete(project_id)
        except Exception as cleanup_err:
            logger.error("Could not delete project %d: %s", project_id, cleanup_err)


def _resolve_project(
    api: CVATAnnotationAPI, config: CVATBackendConfig, schema: dict[str, Any]
) -> tuple[int | None, dict[str, Any], bool]:
    """The existing project to use (if any), the schema it implies, and whether the
    project has no labels yet (then the run's schema becomes the project's)."""
    project_id = config.project_id
    if project_id is not None and not api.project_exists(project_id):
        raise ValueError(f"CVAT project {project_id} does not exist on {api.base_url}")
    if project_id is None and config.project_name:
        project_id = api.get_project_id(config.project_name)
    labels = api.labels.of_project(project_id) if project_id is not None else []
    if not labels and any(spec.get("unnamed") for spec in schema.values()):
        raise ValueError(
            f"No label field given and CVAT project {config.project_name or project_id!r} "
            f"{'has no labels' if project_id is not None else 'does not exist'} on "
            f"{api.base_url}; pass label_field= or upload to a project that defines labels"
        )
    if project_id is None:
        return None, schema, False
    if not labels:
        return project_id, schema, True
    name = config.project_name or str(project_id)
    # before the project is touched
    refuse_flag_attributes(schema, name, config.occluded_attr, config.group_id_attr)
    _ensure_id_attributes(api, project_id, labels)
    return project_id, schema_from_project(schema, labels, name), False


def _ensure_id_attributes(api: CVATAnnotationAPI, project_id: int, labels: list[dict]) -> None:
    """Add the hidden ``label_id`` attribute to project labels that lack it."""
    missing = [
        {
            "id": label["id"],
            "name": label["name"],
            "attributes": [{"name": ID_ATTR, "input_type": "text", "mutable": True, "values": []}],
        }
        for label in labels
        if not any(a["name"] == ID_ATTR for a in label.get("attributes") or ())
    ]
    if missing:
        api.projects.patch(project_id, {"labels": missing})


def prepare_project(
    api: CVATAnnotationAPI,
    config: CVATBackendConfig,
    schema: dict[str, Any],
    state: RunState,
    check: Callable[[CVATSchema, bool], None],
) -> tuple[int | None, CVATSchema]:
    """The run's project (existing, or created once ``check`` accepted the CVAT schema) and
    its CVAT schema; an existing project's classes become the run's stored schema.

    ``check`` gets the CVAT schema and whether its classes are an existing project's."""
    project_id, schema, label_project = _resolve_project(api, config, schema)
    schema = bind_flag_attributes(schema, config.occluded_attr, config.group_id_attr)
    config.label_schema = schema
    cvat_schema = build_schema(
        schema,
        occluded_attr=config.occluded_attr,
        group_id_attr=config.group_id_attr,
        coerce_text_attrs=config.coerce_text_attrs,
    )
    check(cvat_schema, project_id is not None and not label_project)
    if project_id is None and config.project_name:
        with deferred_interrupt(f"creating project {config.project_name!r}"):
            project_id = api.create_project(config.project_name, cvat_schema.labels)
            state.project_ids.append(project_id)
    elif label_project:
        api.projects.patch(project_id, {"labels": cvat_schema.labels})
    return project_id, cvat_schema


def _upload(
    api: CVATAnnotationAPI,
    config: CVATBackendConfig,
    samples: Any,
    rows: list[SampleRow],
    schema: dict[str, Any],
    state: RunState,
) -> None:
    project_id, cvat_schema = prepare_project(
        api,
        config,
        schema,
        state,
        lambda cvat_schema, from_project: check_classes(cvat_schema, rows, from_project),
    )
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


def process_media(
    api: CVATAnnotationAPI,
    config: CVATBackendConfig,
    task_id: int,
    paths: list[str],
    options: DataOptions,
    names: list[str],
    state: RunState,
) -> None:
    """Send a task's media and wait until the server processed it; stop early if the run
    is abandoned (between requests and while waiting)."""
    rq_id = upload_media(
        api.client, task_id, paths, options, names=names, progress=lambda _: state.check()
    )
    wait_for_request(
        api.client, rq_id, task_id=task_id, timeout=config.upload_timeout, cancel=state.stop
    )


def assign_jobs(api: CVATAnnotationAPI, config: CVATBackendConfig, state: RunState) -> None:
    """Assign ``job_assignees`` round robin over every job of the run, in task order."""
    job_ids = [job_id for task_id in state.task_ids for job_id in state.job_ids[task_id]]
    for number, job_id in enumerate(job_ids if config.job_assignees else ()):
        username = config.job_assignees[number % len(config.job_assignees)]
        user_id = api.get_user_id(username)
        if user_id is not None:
            api.jobs.assign(job_id, user_id)


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


def _labels_of(value: Any) -> list[Label]:
    if isinstance(value, Label) and value.list_field:
        return list(value[value.list_field] or [])
    return [value]


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
    for label in _labels_of(value):
        options = spec.options(label.get_field("label"))
        if spec.label_type in ("detection", "detections"):
            objects += detection.to_cvat(label, size, frame, options)  # boxes, even with masks
        else:
            objects += convert.to_cvat(label, size, frame, options)
    return objects


def id_map_entry(spec: FieldLabels, value: Any) -> Any:
    """What the run records for one sample's value (see the upload contract)."""
    if spec.is_scalar:
        return True if value is not None else None
    if spec.label_type in _LIST_TYPES:
        return [] if value is None else [label.id for label in _labels_of(value)]
    return None if value is None else value.id


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
            for label in _labels_of(row.values[name])
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
        keep = [label for label in _labels_of(value) if label.get_field("label") not in classes]
        count += len(_labels_of(value)) - len(keep)
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


def to_wire(obj: dict[str, Any], spec: FieldLabels, maps: LabelMaps) -> dict[str, Any]:
    """An object-model dict with the server's label and attribute spec ids."""
    cls = obj["label"]
    cvat_name = spec.name if spec.scalar_value_label else spec.cvat_names.get(cls, cls)
    try:
        label_id = maps.label_ids[cvat_name]
    except KeyError:
        raise ValueError(
            f"The CVAT task has no label {cvat_name!r} for class {cls!r} of field "
            f"'{spec.name}'; add the class to the project or the label schema"
        ) from None
    attr_ids = maps.attr_ids.get(cvat_name, {})
    wire = {k: v for k, v in obj.items() if k not in ("label", "attributes", "elements")}
    wire["label_id"] = label_id
    wire["attributes"] = [
        {"spec_id": attr_ids[a["name"]], "value": a["value"]}
        for a in obj.get("attributes") or ()
        if a["name"] in attr_ids
    ]
    return wire


def server_ids(saved: dict[str, Any], maps: LabelMaps) -> dict[str, dict[int, str]]:
    """``{kind: {cvat object id: label id}}`` from the server's answer to the ``PUT``."""
    id_specs = {spec_id for spec_id, name in maps.attr_names.items() if name == ID_ATTR}
    out: dict[str, dict[int, str]] = {"tags": {}, "shapes": {}, "tracks": {}}
    for kind in out:
        for obj in saved.get(kind) or ():
            for attr in obj.get("attributes") or ():
                if attr.get("spec_id") in id_specs and attr.get("value") and "id" in obj:
                    out[kind][int(obj["id"])] = attr["value"]
    return out
