"""Projects and labels."""

from __future__ import annotations

import shutil
from typing import Any

from starlette.responses import Response

from labelloop.testing.cvat_server import access, labelspec, render
from labelloop.testing.cvat_server.store import now
from labelloop.testing.cvat_server.web import (
    ApiError,
    Ctx,
    field_error,
    forbidden,
    json_response,
    not_found,
    paginate,
    server_error,
    text,
)


def filter_common(ctx: Ctx, rows: list[Any]) -> list[Any]:
    """The filters projects and tasks share: search, name, id, owner, assignee."""
    query = ctx.query
    if query.get("search"):
        needle = query["search"].lower()
        rows = [r for r in rows if needle in r["name"].lower()]
    if query.get("name") is not None:
        rows = [r for r in rows if r["name"] == query["name"]]
    if query.get("id"):
        rows = [r for r in rows if str(r["id"]) == query["id"]]
    for key, column in (("owner", "owner_id"), ("assignee", "assignee_id")):
        if query.get(key):
            wanted = query[key]
            rows = [
                r
                for r in rows
                if r[column] is not None and render.basic_user(ctx, r[column])["username"] == wanted
            ]
    return rows


async def projects(ctx: Ctx) -> Response:
    if ctx.request.method == "GET":
        rows = ctx.store.all("SELECT * FROM projects ORDER BY id DESC")
        rows = [r for r in rows if access.in_scope(ctx, r) and access.can_view_project(ctx, r)]
        return paginate(ctx, filter_common(ctx, rows), lambda row: render.project(ctx, row))
    access.require_creator(ctx)
    data = await ctx.json()
    if not isinstance(data, dict):
        raise server_error()  # CVAT 2.73 fails on a non-object project body
    if not data.get("name"):
        raise field_error("name", "This field is required.")
    user = ctx.require_user()
    stamp = now()
    with ctx.store.tx():
        project_id = ctx.store.insert(
            "projects",
            {
                "name": text(data["name"], "name"),
                "owner_id": access.check_user_exists(ctx, data.get("owner_id"), "owner_id")
                or user.id,
                "assignee_id": access.check_user_exists(
                    ctx, data.get("assignee_id"), "assignee_id"
                ),
                "bug_tracker": text(data.get("bug_tracker") or "", "bug_tracker"),
                "org_id": ctx.org_id,
                "created_date": stamp,
                "updated_date": stamp,
            },
        )
        labelspec.save_labels(ctx.store, data.get("labels") or [], project_id=project_id)
    row = ctx.store.one("SELECT * FROM projects WHERE id = ?", (project_id,))
    return json_response(render.project(ctx, row), 201)


async def project_detail(ctx: Ctx) -> Response:
    project_id = ctx.int_param("id")
    method = ctx.request.method
    row = access.get_project(ctx, project_id, edit=method != "GET")
    if method == "GET":
        return json_response(render.project(ctx, row))
    if method == "DELETE":
        for task in ctx.store.all("SELECT id FROM tasks WHERE project_id = ?", (project_id,)):
            delete_task_everything(ctx, task["id"])
        labelspec.delete_owned_labels(ctx.store, "project_id", project_id)
        ctx.store.execute("DELETE FROM projects WHERE id = ?", (project_id,))
        return Response(status_code=204)
    data = await ctx.json_object()
    changes: dict[str, Any] = {"updated_date": now()}
    if "name" in data:
        changes["name"] = text(data["name"], "name")
    if "bug_tracker" in data:
        changes["bug_tracker"] = text(data["bug_tracker"] or "", "bug_tracker")
    if "assignee_id" in data:
        changes["assignee_id"] = access.check_user_exists(ctx, data["assignee_id"], "assignee_id")
        changes["assignee_updated_date"] = now()
    if "owner_id" in data:
        changes["owner_id"] = access.check_user_exists(ctx, data["owner_id"], "owner_id")
    with ctx.store.tx():
        if "labels" in data:
            labelspec.save_labels(ctx.store, data["labels"], project_id=project_id)
        ctx.store.update("projects", project_id, changes)
    row = ctx.store.one("SELECT * FROM projects WHERE id = ?", (project_id,))
    return json_response(render.project(ctx, row))


def delete_task_everything(ctx: Ctx, task_id: int) -> None:
    """Remove a task with its labels, jobs, annotations, requests and media."""
    with ctx.store.tx() as conn:
        conn.execute("DELETE FROM objects WHERE task_id = ?", (task_id,))
        conn.execute("DELETE FROM jobs WHERE task_id = ?", (task_id,))
        conn.execute("DELETE FROM requests WHERE task_id = ?", (task_id,))
        labelspec.delete_owned_labels(ctx.store, "task_id", task_id)
        conn.execute("DELETE FROM tasks WHERE id = ?", (task_id,))
    shutil.rmtree(ctx.state.task_dir(task_id), ignore_errors=True)


# ------------------------------------------------------------------ labels
def _label_owner(ctx: Ctx) -> tuple[str, int] | None:
    """The label filter of ``?project_id/task_id/job_id``.

    CVAT 2.73 looks the parent up with ``.get()`` outside its error handling: a parent
    that does not exist is Django's HTML 500 page, not a 404; so it is here.
    """
    try:
        return _label_parent(ctx)
    except ApiError as err:
        if err.status != 404:
            raise
        raise server_error() from None


def _label_parent(ctx: Ctx) -> tuple[str, int] | None:
    query = ctx.query
    if sum(name in query for name in ("project_id", "task_id", "job_id")) > 1:
        raise ApiError(400, ["job_id, task_id and project_id parameters cannot be used together"])
    for name in ("project_id", "task_id", "job_id"):
        raw = query.get(name)
        if raw and not raw.isdigit():
            raise server_error()  # a non-numeric id fails CVAT's .get(id=...) too
    if query.get("project_id"):
        project = access.get_project(ctx, ctx.query_int("project_id"))
        return "project_id", project["id"]
    task_id = ctx.query_int("task_id")
    if task_id is None and query.get("job_id"):
        job, _task = access.get_job(ctx, ctx.query_int("job_id"))
        task_id = job["task_id"]
    if task_id is not None:
        return labelspec.owner_filter(access.get_task(ctx, task_id))
    return None


def _visible_label(ctx: Ctx, row: Any) -> bool:
    if row["project_id"] is not None:
        project = ctx.store.one("SELECT * FROM projects WHERE id = ?", (row["project_id"],))
        return (
            project is not None
            and access.in_scope(ctx, project)
            and access.can_view_project(ctx, project)
        )
    task = ctx.store.one("SELECT * FROM tasks WHERE id = ?", (row["task_id"],))
    return task is not None and access.in_scope(ctx, task) and access.can_view_task(ctx, task)


async def labels(ctx: Ctx) -> Response:
    owner = _label_owner(ctx)
    if owner is not None:
        column, owner_id = owner
        rows = ctx.store.all(f"SELECT * FROM labels WHERE {column} = ? ORDER BY id", (owner_id,))
    else:
        rows = [
            r for r in ctx.store.all("SELECT * FROM labels ORDER BY id") if _visible_label(ctx, r)
        ]
    parent_id = ctx.query_int("parent_id")
    if parent_id is not None:
        rows = [r for r in rows if r["parent_id"] == parent_id]
    elif ctx.query.get("parent"):
        parents = {r["id"] for r in rows if r["name"] == ctx.query["parent"]}
        rows = [r for r in rows if r["parent_id"] in parents]
    else:
        rows = [r for r in rows if r["parent_id"] is None]
    for key in ("name", "type"):
        if ctx.query.get(key):
            rows = [r for r in rows if r[key] == ctx.query[key]]
    return paginate(ctx, rows, lambda row: labelspec.render_label(ctx.store, row))


async def label_detail(ctx: Ctx) -> Response:
    label_id = ctx.int_param("id")
    row = ctx.store.one("SELECT * FROM labels WHERE id = ?", (label_id,))
    if row is None or not _visible_label(ctx, row):
        raise not_found()
    method = ctx.request.method
    if method == "GET":
        return json_response(labelspec.render_label(ctx.store, row))
    if row["project_id"] is not None:
        allowed = access.can_edit_project(ctx, access.get_project(ctx, row["project_id"]))
    else:
        allowed = access.can_edit_task(ctx, access.get_task(ctx, row["task_id"]))
    if not allowed:
        raise forbidden()
    if method == "DELETE":
        labelspec.save_labels(
            ctx.store,
            [{"id": label_id, "deleted": True}],
            project_id=row["project_id"],
            task_id=row["task_id"],
        )
        return Response(status_code=204)
    data = await ctx.json_object()
    if "name" in data and data["name"] != row["name"]:
        column = "project_id" if row["project_id"] is not None else "task_id"
        clash = ctx.store.one(
            f"SELECT id FROM labels WHERE {column} = ? AND name = ? AND id != ?",
            (row[column], data["name"], label_id),
        )
        if clash:
            raise ApiError(400, ["All label names must be unique"])
    labelspec.save_labels(
        ctx.store,
        [{**data, "id": label_id}],
        project_id=row["project_id"],
        task_id=row["task_id"],
    )
    row = ctx.store.one("SELECT * FROM labels WHERE id = ?", (label_id,))
    return json_response(labelspec.render_label(ctx.store, row))
