"""CVAT tasks: create, data meta, annotations."""

from __future__ import annotations

from typing import Any

from labelloop.cvat.resources.base import Resource


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
