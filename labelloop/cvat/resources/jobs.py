"""CVAT jobs: list a task's jobs, assign them, read their annotations."""

from __future__ import annotations

from typing import Any

from labelloop.cvat.resources.base import Resource
from labelloop.cvat.resources.payloads import checked_annotations


class Jobs(Resource):
    """``/api/jobs``."""

    path = "/api/jobs"

    def of_task(self, task_id: int) -> list[dict[str, Any]]:
        """Jobs of a task, ordered by their first frame."""
        if self.client.features.jobs_endpoint:
            jobs = list(self.list(task_id=task_id))
        else:
            jobs = list(self.client.paginate(f"/api/tasks/{int(task_id)}/jobs"))
        return sorted(jobs, key=lambda j: (j.get("start_frame", 0), j["id"]))

    def assign(self, job_id: int, user_id: int | None) -> dict[str, Any]:
        """Set (or clear, with ``None``) the job's assignee."""
        return self.patch(job_id, {"assignee": user_id})

    def get_annotations(self, job_id: int) -> dict[str, Any]:
        """The job's ``tags``, ``shapes`` and ``tracks`` (a malformed answer raises)."""
        path = f"{self.url(job_id)}/annotations/"
        return checked_annotations(self.client.get_json(path), path)
