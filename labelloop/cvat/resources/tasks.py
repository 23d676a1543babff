"""CVAT tasks: create, data meta, annotations."""

from __future__ import annotations

import logging
from typing import Any

from labelloop.cvat.errors import CVATConnectionError, CVATError, CVATTimeoutError
from labelloop.cvat.resources.base import Resource

logger = logging.getLogger(__name__)


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
        """Create an (empty) task, either with its own ``labels`` or inside a project.

        When the answer is lost (connection dropped, timeout) the server may have
        created the task anyway; such a task, found by name among tasks that did not
        exist before the request, is deleted before the error propagates, so no
        caller is left with a task it never learnt the id of.
        """
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
        existing = self._ids_named(name)
        try:
            return self.client.send_json("POST", self.path, body)
        except (CVATConnectionError, CVATTimeoutError):
            try:
                for task_id in sorted(self._ids_named(name) - existing):
                    logger.warning("Deleting task %d: its creation's answer was lost", task_id)
                    self.delete(task_id)
            except CVATError as cleanup_err:
                logger.error("Could not look for a half-created task %r: %s", name, cleanup_err)
            raise

    def _ids_named(self, name: str) -> set[int]:
        return {int(t["id"]) for t in self.list(name=name) if t.get("name") == name}

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
