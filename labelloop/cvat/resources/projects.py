"""CVAT projects: find by name, create with labels, list their tasks, emptiness."""

from __future__ import annotations

from typing import Any

from labelloop.cvat.resources.base import Resource


class Projects(Resource):
    """``/api/projects``."""

    path = "/api/projects"

    def find_id(self, name: str) -> int | None:
        """Id of the first project named exactly ``name`` (lowest id), or ``None``."""
        ids = [int(p["id"]) for p in self.list(search=name) if p.get("name") == name]
        return min(ids) if ids else None

    def create(self, name: str, labels: list[dict[str, Any]]) -> dict[str, Any]:
        """Create a project with ``labels`` (CVAT label specs, names not ids); a project
        created by a request whose answer was lost is deleted again."""
        return self.create_named({"name": name, "labels": labels})

    def task_ids(self, project_id: int) -> list[int]:
        """Ids of the tasks in a project.

        On CVAT 2.4+ the project's ``tasks`` field is a summary object, not a
        list, so the tasks are listed through ``/api/tasks?project_id=``.
        """
        if self.client.features.labels_endpoint:
            return [
                int(t["id"]) for t in self.client.paginate("/api/tasks", {"project_id": project_id})
            ]
        tasks = self.get(project_id).get("tasks", [])
        return [int(t["id"] if isinstance(t, dict) else t) for t in tasks]

    def is_empty(self, project_id: int) -> bool:
        """Whether the project holds no task."""
        return not self.task_ids(project_id)
