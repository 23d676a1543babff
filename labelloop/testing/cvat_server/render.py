"""Database rows rendered as CVAT 2.73's read serializers shape them."""

from __future__ import annotations

import json
from typing import Any

from labelloop.testing.cvat_server.web import Ctx


def _basic(ctx: Ctx, row: Any) -> dict[str, Any]:
    return {
        "url": ctx.url(f"/api/users/{row['id']}"),
        "id": row["id"],
        "username": row["username"],
        "first_name": row["first_name"],
        "last_name": row["last_name"],
    }


def basic_user(ctx: Ctx, user_id: int | None) -> dict[str, Any] | None:
    if user_id is None:
        return None
    row = ctx.store.one("SELECT * FROM users WHERE id = ?", (user_id,))
    return None if row is None else _basic(ctx, row)


def full_user(ctx: Ctx, row: Any) -> dict[str, Any]:
    admin = row["grp"] == "admin"
    return {
        **_basic(ctx, row),
        "email": row["email"],
        "groups": [row["grp"]],
        "is_staff": admin,
        "is_superuser": admin,
        "is_active": bool(row["is_active"]),
        "last_login": row["last_login"],
        "date_joined": row["date_joined"],
        "has_analytics_access": admin,
    }


def _job_counts(ctx: Ctx, task_ids: list[int]) -> dict[int, tuple[int, int, int]]:
    if not task_ids:
        return {}
    marks = ",".join("?" for _ in task_ids)
    rows = ctx.store.all(
        "SELECT task_id, COUNT(*) AS total, "
        "SUM(stage = 'acceptance' AND state = 'completed') AS completed, "
        "SUM(stage = 'validation') AS validation FROM jobs "
        f"WHERE task_id IN ({marks}) GROUP BY task_id",
        task_ids,
    )
    return {row["task_id"]: (row["total"], row["completed"], row["validation"]) for row in rows}


def _project_name(ctx: Ctx, project_id: int | None) -> str | None:
    if project_id is None:
        return None
    return ctx.store.scalar("SELECT name FROM projects WHERE id = ?", (project_id,))


def _chunk_fields(task_row: Any) -> dict[str, Any]:
    """Chunk size and types as CVAT derives them from the task's media and upload options."""
    info = json.loads(task_row["media"]) if task_row["media"] else {}
    video = info.get("kind") == "video"
    return {
        "data_chunk_size": info.get("chunk_size"),
        "data_compressed_chunk_type": (
            "video" if video and not info.get("use_zip_chunks") else "imageset"
        ),
        "data_original_chunk_type": "video" if video else "imageset",
    }


def task_status(total: int, completed: int, validation: int) -> str:
    if total and completed == total:
        return "completed"
    if validation:
        return "validation"
    return "annotation"


def task(
    ctx: Ctx, row: Any, counts: dict[int, tuple[int, int, int]] | None = None
) -> dict[str, Any]:
    if counts is None:
        counts = _job_counts(ctx, [row["id"]])
    total, completed, validation = counts.get(row["id"], (0, 0, 0))
    has_data = row["data_state"] != "none"
    body = {
        "url": ctx.url(f"/api/tasks/{row['id']}"),
        "id": row["id"],
        "name": row["name"],
        "project_id": row["project_id"],
        "project_name": _project_name(ctx, row["project_id"]),
        "mode": row["mode"],
        "owner": basic_user(ctx, row["owner_id"]),
        "assignee": basic_user(ctx, row["assignee_id"]),
        "bug_tracker": row["bug_tracker"],
        "created_date": row["created_date"],
        "updated_date": row["updated_date"],
        "overlap": row["overlap"],
        "segment_size": row["segment_size"],
        "status": task_status(total, completed, validation),
        **_chunk_fields(row),
        "data_cloud_storage_id": None,
        "guide_id": None,
        "size": row["size"],
        "image_quality": row["image_quality"],
        "data": row["id"] if has_data else None,
        "dimension": "2d",
        "media_type": "image",
        "subset": row["subset"],
        "organization": row["org_id"],
        "organization_id": row["org_id"],
        "target_storage": None,
        "source_storage": None,
        "jobs": {
            "count": total,
            "completed": completed,
            "validation": validation,
            "url": ctx.url(f"/api/jobs?task_id={row['id']}"),
        },
        "labels": {"url": ctx.url(f"/api/labels?task_id={row['id']}")},
        "assignee_updated_date": row["assignee_updated_date"],
        "validation_mode": None,
        "consensus_enabled": False,
    }
    if not has_data:  # CVAT reads these from the task's data, which does not exist yet
        for key in _DATA_FIELDS:
            del body[key]
    elif not row["media"]:  # data without media (processing failed): no chunks either
        for key in _DATA_FIELDS[:3] + ("image_quality",):
            del body[key]
    return body


_DATA_FIELDS = (
    "data_chunk_size",
    "data_compressed_chunk_type",
    "data_original_chunk_type",
    "data_cloud_storage_id",
    "size",
    "image_quality",
)


def tasks(ctx: Ctx, rows: list[Any]) -> list[dict[str, Any]]:
    counts = _job_counts(ctx, [row["id"] for row in rows])
    return [task(ctx, row, counts) for row in rows]


def job(ctx: Ctx, row: Any, task_row: Any) -> dict[str, Any]:
    return {
        "url": ctx.url(f"/api/jobs/{row['id']}"),
        "id": row["id"],
        "task_id": row["task_id"],
        "task_name": task_row["name"],
        "project_id": task_row["project_id"],
        "project_name": _project_name(ctx, task_row["project_id"]),
        "assignee": basic_user(ctx, row["assignee_id"]),
        "guide_id": None,
        "dimension": "2d",
        "bug_tracker": task_row["bug_tracker"] or None,
        "status": row["status"],
        "stage": row["stage"],
        "state": row["state"],
        "mode": task_row["mode"],
        "media_type": "image",
        "frame_count": row["stop_frame"] - row["start_frame"] + 1,
        "start_frame": row["start_frame"],
        "stop_frame": row["stop_frame"],
        **_chunk_fields(task_row),
        "created_date": row["created_date"],
        "updated_date": row["updated_date"],
        "issues": {"url": ctx.url(f"/api/issues?job_id={row['id']}"), "count": 0},
        "labels": {"url": ctx.url(f"/api/labels?job_id={row['id']}")},
        "type": "annotation",
        "organization": task_row["org_id"],
        "target_storage": None,
        "source_storage": None,
        "assignee_updated_date": row["assignee_updated_date"],
        "parent_job_id": None,
        "consensus_replicas": 0,
        "replicas_count": 0,
    }


def project(ctx: Ctx, row: Any) -> dict[str, Any]:
    task_rows = ctx.store.all("SELECT id FROM tasks WHERE project_id = ?", (row["id"],))
    counts = _job_counts(ctx, [t["id"] for t in task_rows])
    total = sum(c[0] for c in counts.values())
    completed = sum(c[1] for c in counts.values())
    validation = sum(c[2] for c in counts.values())
    subsets = ctx.store.all(
        "SELECT DISTINCT subset FROM tasks WHERE project_id = ? AND subset != ''", (row["id"],)
    )
    return {
        "url": ctx.url(f"/api/projects/{row['id']}"),
        "id": row["id"],
        "name": row["name"],
        "owner": basic_user(ctx, row["owner_id"]),
        "assignee": basic_user(ctx, row["assignee_id"]),
        "guide_id": None,
        "bug_tracker": row["bug_tracker"],
        "task_subsets": [s["subset"] for s in subsets],
        "created_date": row["created_date"],
        "updated_date": row["updated_date"],
        "status": task_status(total, completed, validation),
        "dimension": "2d" if task_rows else None,
        "organization": row["org_id"],
        "organization_id": row["org_id"],
        "target_storage": None,
        "source_storage": None,
        "tasks": {"count": len(task_rows), "url": ctx.url(f"/api/tasks?project_id={row['id']}")},
        "labels": {"url": ctx.url(f"/api/labels?project_id={row['id']}")},
        "assignee_updated_date": row["assignee_updated_date"],
    }
