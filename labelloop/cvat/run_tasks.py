"""The tasks of one run on the server, for images and videos alike.

What both annotate flows (:mod:`labelloop.cvat.annotate` for images,
:mod:`labelloop.cvat.video` for videos) share: the run's project
(:func:`prepare_project`), its tasks (:func:`create_task`, media through
:func:`process_media`), :data:`TASK_CONCURRENCY` of them at a time
(:func:`run_tasks`) with the ids and maps gathered in a :class:`RunState`, the
jobs' assignees (:func:`assign_jobs`), and everything created removed again
when the run fails (:func:`remove_created`).
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from labelloop.annotation.diff import items_of
from labelloop.cvat.errors import CVATCancelled
from labelloop.cvat.schema import (
    ID_ATTR,
    CVATSchema,
    FieldLabels,
    bind_flag_attributes,
    build_schema,
    refuse_flag_attributes,
    schema_from_project,
)
from labelloop.cvat.upload import DataOptions, upload_media, wait_for_request
from labelloop.interrupts import deferred_interrupt

if TYPE_CHECKING:
    from labelloop.cvat.api import CVATAnnotationAPI
    from labelloop.cvat.config import CVATBackendConfig

logger = logging.getLogger(__name__)

_LIST_TYPES = ("classifications", "detections", "instances", "polylines", "polygons", "keypoints")

#: Tasks of one run created, uploaded and processed at the same time. CVAT processes a
#: task's media on its import workers (two in a stock deployment): three tasks in flight
#: keep both busy while a third sends media or labels. More would only queue on the server,
#: hold more label payloads in memory and leave more half-made tasks to delete on failure.
TASK_CONCURRENCY = 3


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


def remove_created(api: CVATAnnotationAPI, state: RunState, err: BaseException) -> None:
    """Delete every task and project ``state`` records (a failed run's); an error deleting
    one is logged and the others are still deleted, so ``err`` stays the error raised."""
    logger.warning(
        "Annotation upload failed (%s); deleting the %d task(s) and %d project(s) it created",
        type(err).__name__,
        len(state.task_ids),
        len(state.project_ids),
    )
    leftovers = (
        ("task", state.task_ids, api.tasks, api.task_url),  # a task's delete waits for its media
        ("project", state.project_ids, api.projects, api.project_url),
    )
    for kind, ids, resource, url in leftovers:
        for item_id in ids:
            try:
                resource.delete(item_id)
            except Exception as cleanup_err:  # keep the original error; name the leftover
                logger.error(
                    "Could not delete %s %d (%s): %s; it is left on the server, delete it there",
                    kind,
                    item_id,
                    url(item_id),
                    cleanup_err,
                )


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


def id_map_entry(spec: FieldLabels, value: Any) -> Any:
    """What the run records for one sample's value (see the upload contract)."""
    if spec.is_scalar:
        return True if value is not None else None
    if spec.label_type in _LIST_TYPES:
        return [] if value is None else [label.id for label in items_of(value)]
    return None if value is None else value.id
