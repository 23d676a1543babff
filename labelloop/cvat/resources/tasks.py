"""CVAT tasks: create, delete, data meta, annotations."""

from __future__ import annotations

import itertools
import logging
import time
from typing import Any

from labelloop.cvat.errors import CVATServerError, CVATTimeoutError
from labelloop.cvat.resources.base import Resource

logger = logging.getLogger(__name__)

#: Seconds a task delete waits for the task's media processing to end (see :meth:`Tasks.delete`).
DELETE_WAIT = 300.0
_POLL_INTERVAL = 0.5


class Tasks(Resource):
    """``/api/tasks``."""

    path = "/api/tasks"

    def create(
        self,
        name: str,
        *,
        labels: list[dict[str, Any]] | None = None,
        project_id: int | None = None,
        segment_size: int | None = None,
        bug_tracker: str | None = None,
        assignee_id: int | None = None,
    ) -> dict[str, Any]:
        """Create an (empty) task, either with its own ``labels`` or inside a project
        (a task created by a request whose answer was lost is deleted again)."""
        body: dict[str, Any] = {"name": name}
        if project_id is not None:
            body["project_id"] = int(project_id)
        else:
            body["labels"] = labels or []
        if segment_size:
            body["segment_size"] = int(segment_size)
        if bug_tracker:
            body["bug_tracker"] = bug_tracker
        if assignee_id is not None:
            body["assignee_id"] = int(assignee_id)
        return self.create_named(body)

    def delete(self, task_id: int, missing_ok: bool = True, *, wait: float = DELETE_WAIT) -> bool:
        """Delete a task; returns ``False`` if it was already gone and ``missing_ok``.

        CVAT 2.73 cannot delete a task while its worker processes the task's media: the
        ``DELETE`` waits for the worker, then answers 500 and the task stays. On a 5xx
        the task's data request is waited for (at most ``wait`` seconds) and the task
        deleted again; a second failure raises.
        """
        try:
            return super().delete(task_id, missing_ok)
        except CVATServerError as err:
            logger.info("Deleting task %d failed (%s); retrying after its processing", task_id, err)
            self.wait_for_data(task_id, wait)
        return super().delete(task_id, missing_ok)

    def wait_for_data(self, task_id: int, timeout: float) -> None:
        """Wait (at most ``timeout`` seconds) until no data request of the task is queued or
        running on the server."""
        deadline = time.monotonic() + timeout
        params = {"task_id": task_id, "action": "create", "target": "task"}
        for polls in itertools.count():
            found = self.client.get_json("/api/requests", params=params).get("results") or ()
            if not any(r.get("status") in ("queued", "started") for r in found):
                return
            if time.monotonic() + _POLL_INTERVAL > deadline:
                raise CVATTimeoutError(
                    f"Task {task_id}'s media was still being processed after {timeout:.0f}s",
                    path="/api/requests",
                )
            if polls == 0:
                logger.warning("Task %d: waiting for the server to finish its media", task_id)
            time.sleep(_POLL_INTERVAL)

    def data_meta(self, task_id: int) -> dict[str, Any]:
        """The task's media meta: ``frames``, ``size``, ``start_frame``, ``deleted_frames``..."""
        return self.client.get_json(f"{self.url(task_id)}/data/meta")

    def put_annotations(self, task_id: int, annotations: dict[str, Any]) -> dict[str, Any]:
        """Replace the task's annotations (``tags``, ``shapes``, ``tracks``) with ``annotations``."""
        body = {"version": 0, "tags": [], "shapes": [], "tracks": [], **annotations}
        return self.client.send_json("PUT", f"{self.url(task_id)}/annotations/", body)

    def get_annotations(self, task_id: int) -> dict[str, Any]:
        """All annotations of the task."""
        return self.client.get_json(f"{self.url(task_id)}/annotations/")
