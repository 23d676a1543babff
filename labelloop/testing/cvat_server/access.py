"""Who may see and change what: organization context and object permissions.

A simplified reading of CVAT's IAM rules. Administrators see everything.
Other users see the projects, tasks and jobs they own or are assigned to
(directly, through the project, or through a job), plus everything in
organizations where they are owner, maintainer or supervisor. With an
organization context (``X-Organization`` header, ``org``/``org_id`` query)
only that organization's objects are listed; an empty header means the
personal workspace. Users of the ``worker`` group cannot create projects or
tasks.
"""

from __future__ import annotations

from typing import Any

from labelloop.testing.cvat_server.web import ApiError, Ctx, forbidden, not_found, server_error

_ORG_WIDE_ROLES = ("owner", "maintainer", "supervisor")
_ORG_WRITE_ROLES = ("owner", "maintainer")


def resolve_org(ctx: Ctx) -> None:
    """Set ``ctx.org_id``/``ctx.org_given`` from the header or query."""
    slug = ctx.request.headers.get("x-organization")
    if slug is None:
        slug = ctx.query.get("org")
    org_id = ctx.query.get("org_id")
    if slug is None and not org_id:
        return
    ctx.org_given = True
    if slug == "" and not org_id:
        return
    if org_id:
        row = ctx.store.one("SELECT id FROM organizations WHERE id = ?", (org_id,))
    else:
        row = ctx.store.one("SELECT id FROM organizations WHERE slug = ?", (slug,))
    if row is None:
        raise not_found()
    ctx.org_id = row["id"]
    if ctx.user is not None and not ctx.user.is_admin and org_role(ctx, ctx.org_id) is None:
        raise forbidden()


def org_role(ctx: Ctx, org_id: int | None) -> str | None:
    if org_id is None or ctx.user is None:
        return None
    return ctx.store.scalar(
        "SELECT role FROM memberships WHERE org_id = ? AND user_id = ?", (org_id, ctx.user.id)
    )


def in_scope(ctx: Ctx, row: Any) -> bool:
    """Whether an object belongs to the requested organization context."""
    return not ctx.org_given or row["org_id"] == ctx.org_id


def _project(ctx: Ctx, project_id: int | None) -> Any:
    if project_id is None:
        return None
    return ctx.store.one("SELECT * FROM projects WHERE id = ?", (project_id,))


def can_view_project(ctx: Ctx, row: Any) -> bool:
    user = ctx.require_user()
    if user.is_admin or user.id in (row["owner_id"], row["assignee_id"]):
        return True
    if org_role(ctx, row["org_id"]) in _ORG_WIDE_ROLES:
        return True
    return bool(
        ctx.store.one(
            "SELECT 1 FROM tasks t LEFT JOIN jobs j ON j.task_id = t.id WHERE t.project_id = ? "
            "AND (t.owner_id = ? OR t.assignee_id = ? OR j.assignee_id = ?) LIMIT 1",
            (row["id"], user.id, user.id, user.id),
        )
    )


def can_edit_project(ctx: Ctx, row: Any) -> bool:
    user = ctx.require_user()
    return (
        user.is_admin
        or user.id in (row["owner_id"], row["assignee_id"])
        or org_role(ctx, row["org_id"]) in _ORG_WRITE_ROLES
    )


def can_view_task(ctx: Ctx, row: Any) -> bool:
    user = ctx.require_user()
    if can_edit_task(ctx, row):
        return True
    if org_role(ctx, row["org_id"]) == "supervisor":
        return True
    return bool(
        ctx.store.one(
            "SELECT 1 FROM jobs WHERE task_id = ? AND assignee_id = ? LIMIT 1", (row["id"], user.id)
        )
    )


def can_edit_task(ctx: Ctx, row: Any) -> bool:
    user = ctx.require_user()
    if user.is_admin or user.id in (row["owner_id"], row["assignee_id"]):
        return True
    if org_role(ctx, row["org_id"]) in _ORG_WRITE_ROLES:
        return True
    project = _project(ctx, row["project_id"])
    return project is not None and user.id in (project["owner_id"], project["assignee_id"])


def can_view_job(ctx: Ctx, job: Any, task: Any) -> bool:
    return job["assignee_id"] == ctx.require_user().id or can_view_task(ctx, task)


def can_edit_job(ctx: Ctx, job: Any, task: Any) -> bool:
    return job["assignee_id"] == ctx.require_user().id or can_edit_task(ctx, task)


def require_creator(ctx: Ctx) -> None:
    """Workers may annotate but not create projects or tasks."""
    user = ctx.require_user()
    if user.group == "worker" and org_role(ctx, ctx.org_id) not in _ORG_WRITE_ROLES:
        raise forbidden()


def get_task(ctx: Ctx, task_id: int, *, edit: bool = False) -> Any:
    row = ctx.store.one("SELECT * FROM tasks WHERE id = ?", (task_id,))
    if row is None:
        raise not_found()
    if not (can_edit_task(ctx, row) if edit else can_view_task(ctx, row)):
        raise forbidden()
    return row


def get_project(ctx: Ctx, project_id: int, *, edit: bool = False) -> Any:
    row = ctx.store.one("SELECT * FROM projects WHERE id = ?", (project_id,))
    if row is None:
        raise not_found()
    if not (can_edit_project(ctx, row) if edit else can_view_project(ctx, row)):
        raise forbidden()
    return row


def get_job(ctx: Ctx, job_id: int, *, edit: bool = False) -> tuple[Any, Any]:
    job = ctx.store.one("SELECT * FROM jobs WHERE id = ?", (job_id,))
    if job is None:
        raise not_found()
    task = ctx.store.one("SELECT * FROM tasks WHERE id = ?", (job["task_id"],))
    if not (can_edit_job(ctx, job, task) if edit else can_view_job(ctx, job, task)):
        raise forbidden()
    return job, task


def check_user_exists(ctx: Ctx, user_id: Any, field_name: str) -> int | None:
    if user_id is None:
        return None
    if not isinstance(user_id, int) or isinstance(user_id, bool):
        raise ApiError(400, {field_name: ["A valid integer is required."]})
    if ctx.store.one("SELECT id FROM users WHERE id = ?", (user_id,)) is None:
        # CVAT takes these ids as plain integers and fails in the database: 500
        raise server_error()
    return user_id
