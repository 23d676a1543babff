"""Reading a run's tasks from the server, with what could not be read made explicit.

The first step of the download pipeline (read -> objects -> labels -> merge):
:func:`read_task` returns a task's label maps, data meta and objects, plus
the CVAT frame ranges it could not read and why: a task deleted (404) or
forbidden (403) is unread as a whole, a job answering 404/403 leaves its
frames unread, and frames no job of the list covers are unread too. The merge
never takes an unread frame's missing objects for deletions. Other failures
(5xx after retries, connection loss) raise: a load is then refused whole.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from labelloop.cvat.errors import CVATAuthError, CVATError, CVATNotFound
from labelloop.cvat.resources.labels import LabelMaps

logger = logging.getLogger(__name__)

_OBJECT_KINDS = ("tags", "shapes", "tracks")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def server_identity(url: str) -> str:
    """A CVAT server's URL spelt one way: scheme and host in lower case, no default port,
    no user info, query, fragment or trailing slash. Ids derived from it are the same
    however the user wrote the address, and differ between servers."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = parts.hostname or ""
    if ":" in host:  # IPv6
        host = f"[{host}]"
    port = parts.port
    netloc = host if port is None or port == _DEFAULT_PORTS.get(scheme) else f"{host}:{port}"
    return f"{scheme}://{netloc}{parts.path.rstrip('/')}"


def task_source(url: str, task_id: int) -> str:
    """Where a task's objects come from: its server (:func:`server_identity`) and id. Task
    ids repeat across servers, so ids derived for server objects include both."""
    return f"{server_identity(url)}/tasks/{int(task_id)}"


@dataclass
class Gap:
    """CVAT frames ``first..last`` (inclusive) of a task that could not be read."""

    first: int
    last: int | None  # None: to the task's end
    source: str
    reason: str


@dataclass
class TaskRead:
    """One task as read: ``objects`` by kind (each server object once), and the ``gaps``.

    ``source`` is the task's :func:`task_source`. ``maps`` and ``meta`` are ``None``
    when the task itself could not be read (then one gap covers every frame: ``last``
    is ``None``).
    """

    task_id: int
    source: str
    maps: LabelMaps | None = None
    meta: dict[str, Any] | None = None
    objects: dict[str, list[dict[str, Any]]] = field(
        default_factory=lambda: {kind: [] for kind in _OBJECT_KINDS}
    )
    gaps: list[Gap] = field(default_factory=list)

    @property
    def readable(self) -> bool:
        """Whether the task itself answered (some of its jobs may still be gaps)."""
        return self.maps is not None

    def gap_at(self, cvat_frame: int) -> Gap | None:
        """The gap holding a CVAT frame index, if it was not read."""
        for gap in self.gaps:
            if gap.first <= cvat_frame and (gap.last is None or cvat_frame <= gap.last):
                return gap
        return None


def _unreadable(err: CVATError) -> str | None:
    """Why a 404/403 made something unreadable (other errors: ``None``, they raise)."""
    if isinstance(err, CVATNotFound):
        return "not found on the server (404): deleted?"
    if isinstance(err, CVATAuthError) and err.status == 403:
        return "access refused by the server (403)"
    return None


def read_task(api: Any, task_id: int, per_job: bool = True) -> TaskRead:
    """Read a task: per job (``per_job``; images) or as a whole (videos)."""
    read = TaskRead(task_id, task_source(api.base_url, task_id))
    try:
        maps = api.labels.task_maps(task_id)
        meta = api.tasks.data_meta(task_id)
        if per_job:
            jobs = api.jobs.of_task(task_id)
        else:
            whole = api.tasks.get_annotations(task_id)
    except CVATError as err:
        reason = _unreadable(err)
        if reason is None:
            raise
        logger.warning("Skipping task %d on %s: %s", task_id, api.base_url, reason)
        read.gaps.append(Gap(0, None, f"task {task_id}", reason))
        return read
    read.maps, read.meta = maps, meta
    if not per_job:
        _add_objects(read, whole, set())
        return read
    size = int(meta.get("size", len(meta.get("frames") or ())))
    covered: set[int] = set()
    seen: set[tuple[str, Any]] = set()
    for job in jobs:
        if job.get("type", "annotation") != "annotation":
            continue  # ground-truth jobs hold their own copy of some frames
        first, last = int(job.get("start_frame", 0)), int(job.get("stop_frame", size - 1))
        covered.update(range(first, last + 1))
        try:
            annotations = api.jobs.get_annotations(int(job["id"]))
        except CVATError as err:
            reason = _unreadable(err)
            if reason is None:
                raise
            source = f"task {task_id}, job {job['id']}"
            logger.warning("Skipping %s (frames %d-%d): %s", source, first, last, reason)
            read.gaps.append(Gap(first, last, source, reason))
            continue
        _add_objects(read, annotations, seen)
    for first, last in _runs(sorted(set(range(size)) - covered)):
        reason = "covered by no job of the task's job list"
        logger.warning("Skipping frames %d-%d of task %d: %s", first, last, task_id, reason)
        read.gaps.append(Gap(first, last, f"task {task_id}", reason))
    return read


def _add_objects(read: TaskRead, annotations: dict[str, Any], seen: set) -> None:
    for kind in _OBJECT_KINDS:
        for obj in annotations.get(kind) or ():
            key = (kind, obj.get("id"))
            if obj.get("id") is not None and key in seen:  # overlapping jobs repeat objects
                continue
            seen.add(key)
            read.objects[kind].append(obj)


def _runs(numbers: list[int]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for n in numbers:
        if out and out[-1][1] == n - 1:
            out[-1] = (out[-1][0], n)
        else:
            out.append((n, n))
    return out
