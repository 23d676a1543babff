"""Tasks: CRUD, background requests and task status."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from starlette.responses import Response

from labelloop.testing.cvat_server import access, labelspec, render
from labelloop.testing.cvat_server.routes_projects import delete_task_everything, filter_common
from labelloop.testing.cvat_server.store import now
from labelloop.testing.cvat_server.web import (
    ApiError,
    Ctx,
    PageError,
    as_int,
    field_error,
    forbidden,
    json_response,
    paginate,
    server_error,
    text,
)

#: Seconds a ``DELETE`` waits for the task's data processing (CVAT's has no bound of its own).
_DELETE_WAIT = 600.0


def _task_filters(ctx: Ctx, rows: list[Any]) -> list[Any]:
    rows = filter_common(ctx, rows)
    query = ctx.query
    if query.get("project_id"):
        rows = [r for r in rows if str(r["project_id"]) == query["project_id"]]
    if query.get("project_name"):
        names = {
            p["id"]
            for p in ctx.store.all(
                "SELECT id FROM projects WHERE name = ?", (query["project_name"],)
            )
        }
        rows = [r for r in rows if r["project_id"] in names]
    for key in ("mode", "subset"):
        if query.get(key):
            rows = [r for r in rows if r[key] == query[key]]
    if query.get("status"):
        rendered = {t["id"]: t["status"] for t in render.tasks(ctx, rows)}
        rows = [r for r in rows if rendered[r["id"]] == query["status"]]
    return rows


async def tasks(ctx: Ctx) -> Response:
    if ctx.request.method == "GET":
        rows = ctx.store.all("SELECT * FROM tasks ORDER BY id DESC")
        rows = [r for r in rows if access.in_scope(ctx, r) and access.can_view_task(ctx, r)]
        rows = _task_filters(ctx, rows)
        page = paginate(ctx, rows, lambda row: row["id"])
        return _render_page(ctx, page, rows)
    access.require_creator(ctx)
    data = await ctx.json()
    if not isinstance(data, dict):
        raise server_error()  # CVAT 2.73 fails on a non-object task body
    if not data.get("name"):
        raise field_error("name", "This field is required.")
    user = ctx.require_user()
    project_id = data.get("project_id")
    if project_id is not None:
        try:
            project_id = as_int(project_id, "project_id", 0)
        except ApiError:
            raise server_error() from None  # CVAT 2.73 fails on a non-numeric project_id
    labels = data.get("labels") or []
    if labels and project_id is not None:
        raise ApiError(400, ["Task must have only one of Label set or project_id"])
    org_id = ctx.org_id
    if project_id is not None:
        project = ctx.store.one("SELECT * FROM projects WHERE id = ?", (project_id,))
        if project is None:
            raise ApiError(400, [f"The specified project #{project_id} does not exist."])
        if not access.can_view_project(ctx, project):
            raise forbidden()
        if ctx.org_given and project["org_id"] != ctx.org_id:
            raise ApiError(400, ["The task and its project should be in the same organization."])
        org_id = project["org_id"]
    segment_size = as_int(data.get("segment_size") or 0, "segment_size", 0, 2**31 - 1)
    overlap = data.get("overlap")
    if overlap is not None:
        overlap = as_int(overlap, "overlap", 0, 2**31 - 1)
    stamp = now()
    with ctx.store.tx():
        task_id = ctx.store.insert(
            "tasks",
            {
                "name": text(data["name"], "name"),
                "project_id": project_id,
                "owner_id": access.check_user_exists(ctx, data.get("owner_id"), "owner_id")
                or user.id,
                "assignee_id": access.check_user_exists(
                    ctx, data.get("assignee_id"), "assignee_id"
                ),
                "bug_tracker": text(data.get("bug_tracker") or "", "bug_tracker"),
                "overlap": overlap,
                "segment_size": segment_size,
                "subset": text(data.get("subset") or "", "subset"),
                "org_id": org_id,
                "created_date": stamp,
                "updated_date": stamp,
            },
        )
        if project_id is None:
            labelspec.save_labels(ctx.store, labels, task_id=task_id)
    row = ctx.store.one("SELECT * FROM tasks WHERE id = ?", (task_id,))
    return json_response(render.task(ctx, row), 201)


def _render_page(ctx: Ctx, page: Response, rows: list[Any]) -> Response:
    """Swap the ids in a page of task ids for full task bodies (one job-count query)."""
    body = json.loads(page.body)
    by_id = {row["id"]: row for row in rows}
    body["results"] = render.tasks(ctx, [by_id[i] for i in body["results"]])
    return json_response(body)


async def task_detail(ctx: Ctx) -> Response:
    task_id = ctx.int_param("id")
    method = ctx.request.method
    row = access.get_task(ctx, task_id, edit=method != "GET")
    if method == "GET":
        return json_response(render.task(ctx, row))
    if method == "DELETE":
        if await _processing_ended(ctx, task_id):  # as CVAT 2.73: 500, and the task stays
            raise server_error()
        delete_task_everything(ctx, task_id)
        return Response(status_code=204)
    data = await ctx.json_object()
    changes: dict[str, Any] = {"updated_date": now()}
    for key in ("name", "bug_tracker", "subset"):
        if key in data:
            changes[key] = text(data[key] or "", key)
    if "assignee_id" in data:
        changes["assignee_id"] = access.check_user_exists(ctx, data["assignee_id"], "assignee_id")
        changes["assignee_updated_date"] = now()
    if "owner_id" in data:
        changes["owner_id"] = access.check_user_exists(ctx, data["owner_id"], "owner_id")
    with ctx.store.tx():
        project_id = data.get("project_id")
        if project_id is not None and as_int(project_id, "project_id", 0) != row["project_id"]:
            _move_to_project(ctx, row, as_int(project_id, "project_id", 0))
            changes["project_id"] = as_int(project_id, "project_id", 0)
        if data.get("labels"):
            if row["project_id"] is not None:
                raise ApiError(
                    400, ["Cannot change labels of a task in a project; change the project"]
                )
            labelspec.save_labels(ctx.store, data["labels"], task_id=task_id)
        ctx.store.update("tasks", task_id, changes)
    row = ctx.store.one("SELECT * FROM tasks WHERE id = ?", (task_id,))
    return json_response(render.task(ctx, row))


def _move_to_project(ctx: Ctx, task: Any, project_id: Any) -> None:
    """Move a task into a project whose labels have the same names as the task's."""
    project = ctx.store.one("SELECT * FROM projects WHERE id = ?", (project_id,))
    if project is None:
        raise ApiError(400, [f"The specified project #{project_id} does not exist."])
    if not access.can_edit_project(ctx, project):
        raise forbidden()
    if task["project_id"] is not None:
        raise ApiError(400, ["Moving a task between projects is not supported by this server"])
    own = ctx.store.all(
        "SELECT id, name FROM labels WHERE task_id = ? AND parent_id IS NULL", (task["id"],)
    )
    target = {
        r["name"]: r["id"]
        for r in ctx.store.all(
            "SELECT id, name FROM labels WHERE project_id = ? AND parent_id IS NULL", (project_id,)
        )
    }
    missing = [r["name"] for r in own if r["name"] not in target]
    if missing:
        raise ApiError(400, [f"Target project does not have label with name '{missing[0]}'"])
    if ctx.store.one("SELECT 1 FROM objects WHERE task_id = ? LIMIT 1", (task["id"],)):
        raise ApiError(
            400, ["Moving an annotated task into a project is not supported by this server"]
        )
    labelspec.delete_owned_labels(ctx.store, "task_id", task["id"])


async def _processing_ended(ctx: Ctx, task_id: int) -> bool:
    """Wait for the task's data processing, if any runs; whether one ran.

    CVAT 2.73's ``DELETE`` of a task whose media its worker is still processing waits
    on the worker's database transaction, then fails on the segments it wrote: Django's
    500 page, the task left complete. Deleting it again after that succeeds.
    """
    running = "SELECT 1 FROM requests WHERE task_id = ? AND status IN ('queued', 'started')"
    if ctx.store.one(running, (task_id,)) is None:
        return False
    deadline = time.monotonic() + _DELETE_WAIT
    while ctx.store.one(running, (task_id,)) is not None and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    return True


# ------------------------------------------------------------------ requests
def render_request(ctx: Ctx, row: Any) -> dict[str, Any]:
    owner = render.basic_user(ctx, row["owner_id"]) or {"id": row["owner_id"], "username": ""}
    return {
        "status": row["status"],
        "message": row["message"],
        "id": row["id"],
        "operation": {
            "type": row["op_type"],
            "target": row["target"],
            "project_id": None,
            "task_id": row["task_id"],
            "job_id": None,
            "org_id": row["org_id"],
            "format": None,
            "lightweight": None,
        },
        "progress": row["progress"],
        "created_date": row["created_date"],
        "started_date": row["started_date"],
        "finished_date": row["finished_date"],
        "expiry_date": None,
        "owner": {"id": owner["id"], "username": owner["username"]},
        "result_url": None,
        "result_id": None,
    }


async def requests(ctx: Ctx) -> Response:
    user = ctx.require_user()
    rows = ctx.store.all("SELECT * FROM requests ORDER BY created_date DESC")
    if not user.is_admin:
        rows = [r for r in rows if r["owner_id"] == user.id]
    if ctx.org_given:
        rows = [r for r in rows if r["org_id"] == ctx.org_id]
    query = ctx.query
    if query.get("action"):
        rows = [r for r in rows if r["op_type"].split(":")[0] == query["action"]]
    for key, column in (("target", "target"), ("status", "status")):
        if query.get(key):
            rows = [r for r in rows if r[column] == query[key]]
    if query.get("task_id"):
        rows = [r for r in rows if str(r["task_id"]) == query["task_id"]]
    return paginate(ctx, rows, lambda row: render_request(ctx, row))


async def request_detail(ctx: Ctx) -> Response:
    user = ctx.require_user()
    row = ctx.store.one("SELECT * FROM requests WHERE id = ?", (ctx.path_params["id"],))
    if row is None or (not user.is_admin and row["owner_id"] != user.id):
        raise PageError(404, "There is no request with specified id")  # CVAT's plain answer
    return json_response(render_request(ctx, row))


async def task_status(ctx: Ctx) -> Response:
    """The deprecated ``/api/tasks/{id}/status`` view of the creation request."""
    task = access.get_task(ctx, ctx.int_param("id"))
    row = ctx.store.one("SELECT * FROM requests WHERE task_id = ?", (task["id"],))
    if row is None:  # as CVAT: no request left means nothing is running
        return json_response({"state": "Finished", "message": "", "progress": 0.0})
    return json_response(
        {
            "state": row["status"].capitalize(),
            "message": row["message"] or "",
            "progress": float(row["progress"] or 0),
        }
    )
