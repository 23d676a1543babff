"""Jobs, and the annotation endpoints of tasks and jobs."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from labelloop.testing.cvat_server import access, labelspec, render
from labelloop.testing.cvat_server.annotations import Annotations, Validator, render_text
from labelloop.testing.cvat_server.store import now
from labelloop.testing.cvat_server.web import (
    ApiError,
    Ctx,
    field_error,
    json_response,
    paginate,
    raw_json_response,
    server_error,
)

STAGES = ("annotation", "validation", "acceptance")
STATES = ("new", "in progress", "completed", "rejected")


def _job_filters(ctx: Ctx, rows: list[Any], tasks: dict[int, Any]) -> list[Any]:
    query = ctx.query
    if query.get("task_id"):
        rows = [r for r in rows if str(r["task_id"]) == query["task_id"]]
    if query.get("project_id"):
        rows = [r for r in rows if str(tasks[r["task_id"]]["project_id"]) == query["project_id"]]
    if query.get("task_name"):
        rows = [r for r in rows if tasks[r["task_id"]]["name"] == query["task_name"]]
    for key in ("stage", "state"):
        if query.get(key):
            rows = [r for r in rows if r[key] == query[key]]
    if query.get("type") and query["type"] != "annotation":
        rows = []
    if query.get("assignee"):
        rows = [
            r
            for r in rows
            if r["assignee_id"] is not None
            and render.basic_user(ctx, r["assignee_id"])["username"] == query["assignee"]
        ]
    if query.get("id"):
        rows = [r for r in rows if str(r["id"]) == query["id"]]
    return rows


async def jobs(ctx: Ctx) -> Response:
    if ctx.request.method == "POST":
        raise ApiError(400, ["This server creates only the annotation jobs of task data"])
    tasks = {row["id"]: row for row in ctx.store.all("SELECT * FROM tasks")}
    rows = ctx.store.all("SELECT * FROM jobs ORDER BY id DESC")
    rows = [
        r
        for r in rows
        if access.in_scope(ctx, tasks[r["task_id"]])
        and access.can_view_job(ctx, r, tasks[r["task_id"]])
    ]
    rows = _job_filters(ctx, rows, tasks)
    return paginate(ctx, rows, lambda row: render.job(ctx, row, tasks[row["task_id"]]))


async def job_detail(ctx: Ctx) -> Response:
    job_id = ctx.int_param("id")
    method = ctx.request.method
    job, task = access.get_job(ctx, job_id, edit=method != "GET")
    if method == "GET":
        return json_response(render.job(ctx, job, task))
    if method == "DELETE":
        raise ApiError(400, ["Only ground truth jobs can be removed"])
    data = await ctx.json_object()
    changes: dict[str, Any] = {}
    stage = data.get("stage", job["stage"])
    if stage not in STAGES:
        raise field_error("stage", f'"{stage}" is not a valid choice.')
    state = data.get("state", "new" if stage != job["stage"] else job["state"])
    if state not in STATES:
        raise field_error("state", f'"{state}" is not a valid choice.')
    if "stage" in data or "state" in data:
        if stage == "annotation":
            changes["status"] = "annotation"
        elif stage == "acceptance" and state == "completed":
            changes["status"] = "completed"
        else:
            changes["status"] = "validation"
        changes.update(stage=stage, state=state)
    if "assignee" in data:
        changes["assignee_id"] = access.check_user_exists(ctx, data["assignee"], "assignee")
        changes["assignee_updated_date"] = now()
    changes["updated_date"] = now()
    ctx.store.update("jobs", job_id, changes)
    job = ctx.store.one("SELECT * FROM jobs WHERE id = ?", (job_id,))
    return json_response(render.job(ctx, job, task))


# ------------------------------------------------------------------ annotations
def _scope(ctx: Ctx, edit: bool) -> tuple[Any, Annotations, Validator]:
    """The task and frame range an annotations request works on."""
    is_job = ctx.request.url.path.startswith("/api/jobs/")
    if is_job:
        job, task = access.get_job(ctx, ctx.int_param("id"), edit=edit)
        lo, hi = job["start_frame"], job["stop_frame"]
    else:
        task = access.get_task(ctx, ctx.int_param("id"), edit=edit)
        lo, hi = 0, task["size"] - 1
    specs = labelspec.load_specs(ctx.store, *labelspec.owner_filter(task))
    annotations = Annotations(ctx.store, task["id"], lo, hi, whole_task=not is_job)
    # CVAT checks no frame against a job's range: a job write may name any frame of the task
    return task, annotations, Validator(specs, 0, task["size"] - 1)


def _bump_version(ctx: Ctx, task: Any) -> int:
    """One more write to the task's annotations (atomic within the caller's transaction)."""
    ctx.store.execute(
        "UPDATE tasks SET version = version + 1, updated_date = ? WHERE id = ?", (now(), task["id"])
    )
    return ctx.store.scalar("SELECT version FROM tasks WHERE id = ?", (task["id"],))


async def annotations(ctx: Ctx) -> Response:
    method = ctx.request.method
    for unsupported in ("format", "filename", "use_default_location", "location"):
        if ctx.query.get(unsupported):
            raise ApiError(
                400,
                [f"'{unsupported}' (annotation files in a format) is not supported by this server"],
            )
    task, store, validator = _scope(ctx, edit=method != "GET")
    if method == "GET":
        return raw_json_response(store.read_text(task["version"]))
    if method == "DELETE":
        with ctx.store.tx():
            store.clear()
            _bump_version(ctx, task)
        return Response(status_code=204)
    body = await ctx.json()
    if not isinstance(body, dict):
        raise server_error()  # CVAT 2.73 reads a non-object body as a dict and fails
    if method == "PUT":
        data = validator.payload(body)
        with ctx.store.tx():
            written = store.replace(data)
            version = _bump_version(ctx, task)
        return raw_json_response(
            render_text(version, written["tags"], written["shapes"], written["tracks"])
        )
    action = ctx.query.get("action")
    if action not in ("create", "update", "delete"):
        raise ApiError(400, ["Please specify a correct 'action' for the request"])
    data = validator.payload(body)  # CVAT validates delete payloads too
    if action == "delete":
        _echo_as_sent(data, body)
    with ctx.store.tx():
        written = getattr(store, action)(data)
        version = _bump_version(ctx, task)
    return raw_json_response(
        render_text(version, written["tags"], written["shapes"], written["tracks"])
    )


def _echo_as_sent(data: dict[str, list[dict[str, Any]]], body: dict[str, Any]) -> None:
    """CVAT answers a delete with the objects as sent: no ``elements`` a client left out."""
    for kind, objects in data.items():
        for obj, raw in zip(objects, body.get(kind) or [], strict=False):
            if isinstance(raw, dict) and "elements" not in raw:
                obj.pop("elements", None)
