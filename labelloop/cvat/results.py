"""``CVATAnnotationResults``: what a CVAT annotation run keeps, and what it can do later.

Besides the framework's ``id_map`` it records the tasks, jobs and projects the
run created, a frame map per task (CVAT frame index -> sample id) and, for
EVERY task, the server-id map (CVAT object id -> label id) that restores
provenance when an annotator's edit cleared the ``label_id`` attribute. A
task deleted on the server meanwhile is skipped with a warning everywhere.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from labelloop.annotation.base import AnnotationResults
from labelloop.cvat.errors import CVATNotFound

if TYPE_CHECKING:
    from labelloop.cvat.api import CVATAnnotationAPI

logger = logging.getLogger(__name__)

_OBJECT_KINDS = ("tags", "shapes", "tracks")


def _int_keys(mapping: dict | None) -> dict:
    return {int(k): v for k, v in (mapping or {}).items()}


def _user(api: CVATAnnotationAPI, user: dict | int | None) -> dict[str, Any] | None:
    """CVAT's user object for an assignee (a summary, an id or ``None``), with ``username``."""
    if user is None:
        return None
    if isinstance(user, dict) and user.get("username"):
        return user
    user_id = user.get("id") if isinstance(user, dict) else user
    if user_id is None:
        return None
    return {"id": int(user_id), "username": api.users.username(int(user_id))}


def _username(user: dict[str, Any] | None) -> str | None:
    return None if user is None else user.get("username")


class CVATAnnotationResults(AnnotationResults):
    """Results of a CVAT annotation run.

    Attributes:
        task_ids: ids of the tasks the run created, in order.
        job_ids: ``{task_id: [job_id, ...]}``.
        project_ids: ids of the projects the run created (existing ones excluded).
        frame_id_map: ``{task_id: {frame_index: {"sample_id": id}}}``.
        server_id_map: ``{task_id: {"tags"|"shapes"|"tracks": {cvat_id: label_id}}}``.
        labels_task_map: ``{field: [task_id, ...]}``.
    """

    def __init__(
        self,
        samples: Any,
        config: Any,
        anno_key: str,
        id_map: dict[str, Any],
        backend: Any = None,
        *,
        task_ids: Iterable[int] | None = None,
        job_ids: dict | None = None,
        project_ids: Iterable[int] | None = None,
        frame_id_map: dict | None = None,
        server_id_map: dict | None = None,
        labels_task_map: dict | None = None,
    ) -> None:
        super().__init__(samples, config, anno_key, id_map, backend=backend)
        self.task_ids = [int(t) for t in task_ids or ()]
        self.job_ids = {k: [int(j) for j in v] for k, v in _int_keys(job_ids).items()}
        self.project_ids = [int(p) for p in project_ids or ()]
        self.frame_id_map = {k: _int_keys(v) for k, v in _int_keys(frame_id_map).items()}
        self.server_id_map = {
            task: {kind: _int_keys(ids.get(kind)) for kind in _OBJECT_KINDS}
            for task, ids in _int_keys(server_id_map).items()
        }
        self.labels_task_map = {
            f: [int(t) for t in tasks] for f, tasks in (labels_task_map or {}).items()
        }

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict; integer keys become strings (and come back on load)."""
        out = super().to_dict()
        out["job_ids"] = {str(k): v for k, v in self.job_ids.items()}
        out["frame_id_map"] = {
            str(t): {str(f): v for f, v in frames.items()}
            for t, frames in self.frame_id_map.items()
        }
        out["server_id_map"] = {
            str(t): {kind: {str(i): v for i, v in ids.items()} for kind, ids in per.items()}
            for t, per in self.server_id_map.items()
        }
        return out

    @property
    def api(self) -> CVATAnnotationAPI:
        """The connected :class:`CVATAnnotationAPI`."""
        return self.connect_to_api()

    # -- editor and status ----------------------------------------------------

    def launch_editor(self) -> None:
        """Open the first job of the run's first existing task (or the task) in a browser."""
        api = self.api
        for task_id in self.task_ids:
            if not api.task_exists(task_id):
                logger.warning(
                    "Skipping task %d, which no longer exists on %s", task_id, api.base_url
                )
                continue
            jobs = self.job_ids.get(task_id)
            api.launch_editor(
                api.base_job_url(task_id, jobs[0]) if jobs else api.base_task_url(task_id)
            )
            return
        raise ValueError(f"Annotation run {self.anno_key!r} has no tasks left to open")

    def get_status(self) -> dict[str, dict[int, dict[str, Any]]]:
        """Per field and task: ``name``, ``status``, ``assignee``, ``last_updated``, ``url``
        and ``jobs`` (``{job_id: <the server's job JSON> + "url"}``).

        Assignees are CVAT's user objects (``{"id", "username", ...}``) or ``None``, as
        the server returns them, so ``status[...]["assignee"]["username"]`` works.
        """
        api = self.api
        status: dict[str, dict[int, dict[str, Any]]] = {}
        tasks: dict[int, dict[str, Any] | None] = {}
        for field, task_ids in self.labels_task_map.items():
            status[field] = {}
            for task_id in task_ids:
                if task_id not in tasks:
                    tasks[task_id] = self._task_status(api, task_id)
                if tasks[task_id] is not None:
                    status[field][task_id] = tasks[task_id]
        return status

    def _task_status(self, api: CVATAnnotationAPI, task_id: int) -> dict[str, Any] | None:
        try:
            task = api.tasks.get(task_id)
        except CVATNotFound:
            logger.warning("Skipping task %d, which no longer exists on %s", task_id, api.base_url)
            return None
        jobs: dict[int, dict[str, Any]] = {}
        for job in api.jobs.of_task(task_id):
            jobs[int(job["id"])] = {
                **job,
                "assignee": _user(api, job.get("assignee")),
                "url": api.base_job_url(task_id, job["id"]),
            }
        return {
            "name": task.get("name"),
            "status": task.get("status"),
            "assignee": _user(api, task.get("assignee")),
            "last_updated": task.get("updated_date"),
            "url": api.base_task_url(task_id),
            "jobs": jobs,
        }

    def print_status(self) -> None:
        """Print :meth:`get_status` as a readable report (stdout)."""
        lines: list[str] = []
        for field, tasks in self.get_status().items():
            lines += ["", f"Status for label field '{field}':", ""]
            for task_id, info in tasks.items():
                lines += [
                    f"\tTask {task_id} ({info['name']}):",
                    f"\t\tStatus: {info['status']}",
                    f"\t\tAssignee: {_username(info['assignee'])}",
                    f"\t\tLast updated: {info['last_updated']}",
                    f"\t\tURL: {info['url']}",
                    "",
                ]
                for job_id, job in info["jobs"].items():
                    lines += [
                        f"\t\tJob {job_id}:",
                        f"\t\t\tStatus: {job.get('state') or job.get('status')}",
                        f"\t\t\tStage: {job.get('stage')}",
                        f"\t\t\tAssignee: {_username(job['assignee'])}",
                        "",
                    ]
        print("\n".join(lines))

    # -- deletion -------------------------------------------------------------

    def delete_tasks(self, task_ids: Iterable[int]) -> None:
        """Delete tasks on the server and forget them (and their samples) in this run."""
        task_ids = [int(t) for t in task_ids]
        api = self.api
        for task_id in task_ids:
            if not api.tasks.delete(task_id):
                logger.warning("Task %d was already deleted on the server", task_id)
        self._forget_tasks(task_ids)

    def _forget_tasks(self, task_ids: Iterable[int]) -> None:
        gone = set(task_ids)
        samples = {
            frame["sample_id"] for t in gone for frame in self.frame_id_map.get(t, {}).values()
        }
        self.task_ids = [t for t in self.task_ids if t not in gone]
        for mapping in (self.job_ids, self.frame_id_map, self.server_id_map):
            for t in gone:
                mapping.pop(t, None)
        for field in list(self.labels_task_map):
            self.labels_task_map[field] = [t for t in self.labels_task_map[field] if t not in gone]
        for by_sample in self.id_map.values():
            if isinstance(by_sample, dict):
                for sample_id in samples:
                    by_sample.pop(sample_id, None)

    def cleanup(self) -> None:
        """Delete the run's tasks, then the projects it created once they are empty."""
        api = self.api
        if self.task_ids:
            logger.info("Deleting tasks...")
            for task_id in self.task_ids:
                if not api.tasks.delete(task_id):
                    logger.warning("Skipping task %d, which no longer exists", task_id)
        if self.project_ids:
            empty = api.get_empty_projects(self.project_ids)
            if empty:
                logger.info("Deleting projects...")
                api.delete_projects(empty)
            kept = [p for p in self.project_ids if p not in empty and api.project_exists(p)]
            for project_id in kept:
                logger.info("Keeping project %d: it still holds tasks of other runs", project_id)
        self.task_ids = []
        self.job_ids = {}
        self.project_ids = []
        self.frame_id_map = {}
        self.server_id_map = {}
        self.labels_task_map = {}
        self.id_map = {}
