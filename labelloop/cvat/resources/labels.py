"""CVAT labels of a task or project, and the name <-> id maps the backend needs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from labelloop.cvat.errors import CVATServerError
from labelloop.cvat.resources.base import Resource


@dataclass
class LabelMaps:
    """Label and attribute-spec ids of one task, by name and back.

    ``attr_ids[label_name][attr_name]`` is the spec id; ``attr_names`` reverses it.
    """

    label_ids: dict[str, int] = field(default_factory=dict)
    label_names: dict[int, str] = field(default_factory=dict)
    attr_ids: dict[str, dict[str, int]] = field(default_factory=dict)
    attr_names: dict[int, str] = field(default_factory=dict)
    attr_types: dict[int, str] = field(default_factory=dict)

    @classmethod
    def from_labels(cls, labels: list[dict[str, Any]]) -> LabelMaps:
        """Build the maps from a server label listing (skeleton sublabels included)."""
        maps = cls()
        for label in labels:
            name, label_id = label["name"], int(label["id"])
            maps.label_ids[name] = label_id
            maps.label_names[label_id] = name
            specs = maps.attr_ids.setdefault(name, {})
            for attr in label.get("attributes", []):
                specs[attr["name"]] = int(attr["id"])
                maps.attr_names[int(attr["id"])] = attr["name"]
                maps.attr_types[int(attr["id"])] = attr.get("input_type", "text")
        return maps


class Labels(Resource):
    """``/api/labels`` (CVAT 2.4+) with a fallback to labels inline in the parent."""

    path = "/api/labels"

    def of_task(self, task_id: int) -> list[dict[str, Any]]:
        """Every label of a task (its own or its project's)."""
        if self.client.features.labels_endpoint:
            return self._of("task", task_id)
        return list(self.client.get_json(f"/api/tasks/{int(task_id)}").get("labels", []))

    def of_project(self, project_id: int) -> list[dict[str, Any]]:
        """Every label of a project."""
        if self.client.features.labels_endpoint:
            return self._of("project", project_id)
        return list(self.client.get_json(f"/api/projects/{int(project_id)}").get("labels", []))

    def _of(self, parent: str, parent_id: int) -> list[dict[str, Any]]:
        try:
            return list(self.list(**{f"{parent}_id": int(parent_id)}))
        except CVATServerError:
            # CVAT 2.73 answers 500, not 404, when the task or project is gone:
            # asking for it says which (CVATNotFound), else the 500 stands
            self.client.get_json(f"/api/{parent}s/{int(parent_id)}")
            raise

    def task_maps(self, task_id: int) -> LabelMaps:
        """Name <-> id maps of a task's labels and attribute specs."""
        return LabelMaps.from_labels(self.of_task(task_id))
