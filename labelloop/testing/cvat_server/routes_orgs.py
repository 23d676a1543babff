"""Organizations, memberships and invitations.

Invitations follow CVAT's flow without email: an owner or maintainer invites
a registered user by email (``POST /api/invitations`` in the organization's
context) and that user accepts (``POST /api/invitations/{key}/accept``), which
makes the membership.
"""

from __future__ import annotations

import secrets
from typing import Any

from starlette.responses import Response

from labelloop.testing.cvat_server import render
from labelloop.testing.cvat_server.access import org_role
from labelloop.testing.cvat_server.store import now
from labelloop.testing.cvat_server.web import (
    ApiError,
    Ctx,
    field_error,
    forbidden,
    json_response,
    not_found,
    paginate,
    text,
)

ROLES = ("worker", "supervisor", "maintainer", "owner")


def _render_org(ctx: Ctx, row: Any) -> dict[str, Any]:
    return {
        "id": row["id"],
        "slug": row["slug"],
        "name": row["name"],
        "description": row["description"],
        "created_date": row["created_date"],
        "updated_date": row["updated_date"],
        "contact": {},
        "owner": render.basic_user(ctx, row["owner_id"]),
    }


async def organizations(ctx: Ctx) -> Response:
    user = ctx.require_user()
    if ctx.request.method == "GET":
        rows = ctx.store.all("SELECT * FROM organizations ORDER BY id DESC")
        if not user.is_admin:
            rows = [r for r in rows if org_role(ctx, r["id"]) is not None]
        return paginate(ctx, rows, lambda row: _render_org(ctx, row))
    data = await ctx.json_object()
    slug = text(data.get("slug") or "", "slug")
    if not slug or not slug.replace("-", "").replace("_", "").isalnum():
        raise field_error("slug", "Enter a valid slug of letters, digits, '-' and '_'.")
    if ctx.store.one("SELECT id FROM organizations WHERE slug = ?", (slug,)):
        raise field_error("slug", "organization with this slug already exists.")
    stamp = now()
    org_id = ctx.store.insert(
        "organizations",
        {
            "slug": slug,
            "name": text(data.get("name") or slug, "name"),
            "description": text(data.get("description") or "", "description"),
            "owner_id": user.id,
            "created_date": stamp,
            "updated_date": stamp,
        },
    )
    ctx.store.insert(
        "memberships", {"org_id": org_id, "user_id": user.id, "role": "owner", "joined_date": stamp}
    )
    row = ctx.store.one("SELECT * FROM organizations WHERE id = ?", (org_id,))
    return json_response(_render_org(ctx, row), 201)


async def organization_detail(ctx: Ctx) -> Response:
    user = ctx.require_user()
    org_id = ctx.int_param("id")
    row = ctx.store.one("SELECT * FROM organizations WHERE id = ?", (org_id,))
    if row is None:
        raise not_found()
    role = org_role(ctx, org_id)
    if not user.is_admin and role is None:
        raise not_found()
    if ctx.request.method == "GET":
        return json_response(_render_org(ctx, row))
    if not user.is_admin and role not in ("owner", "maintainer"):
        raise forbidden()
    if ctx.request.method == "DELETE":
        ctx.store.execute("DELETE FROM memberships WHERE org_id = ?", (org_id,))
        ctx.store.execute("DELETE FROM organizations WHERE id = ?", (org_id,))
        return Response(status_code=204)
    data = await ctx.json_object()
    changes = {k: text(data[k], k) for k in ("name", "description") if k in data}
    changes["updated_date"] = now()
    ctx.store.update("organizations", org_id, changes)
    row = ctx.store.one("SELECT * FROM organizations WHERE id = ?", (org_id,))
    return json_response(_render_org(ctx, row))


def render_membership(ctx: Ctx, row: Any) -> dict[str, Any]:
    return {
        "id": row["id"],
        "user": render.basic_user(ctx, row["user_id"]),
        "organization": row["org_id"],
        "is_active": True,
        "joined_date": row["joined_date"],
        "role": row["role"],
        "invitation": None,
    }


async def memberships(ctx: Ctx) -> Response:
    user = ctx.require_user()
    rows = ctx.store.all("SELECT * FROM memberships ORDER BY id DESC")
    if ctx.org_id is not None:
        rows = [r for r in rows if r["org_id"] == ctx.org_id]
    if not user.is_admin:
        mine = {r["org_id"] for r in rows if r["user_id"] == user.id}
        rows = [r for r in rows if r["org_id"] in mine]
    if ctx.query.get("user"):
        rows = [
            r for r in rows if render.basic_user(ctx, r["user_id"])["username"] == ctx.query["user"]
        ]
    return paginate(ctx, rows, lambda row: render_membership(ctx, row))


def _manageable(ctx: Ctx, org_id: int) -> bool:
    user = ctx.require_user()
    return user.is_admin or org_role(ctx, org_id) in ("owner", "maintainer")


async def membership_detail(ctx: Ctx) -> Response:
    row = ctx.store.one("SELECT * FROM memberships WHERE id = ?", (ctx.int_param("id"),))
    user = ctx.require_user()
    if row is None or (not user.is_admin and org_role(ctx, row["org_id"]) is None):
        raise not_found()
    if ctx.request.method == "GET":
        return json_response(render_membership(ctx, row))
    if not _manageable(ctx, row["org_id"]) or row["role"] == "owner":
        raise forbidden()
    if ctx.request.method == "DELETE":
        ctx.store.execute("DELETE FROM memberships WHERE id = ?", (row["id"],))
        return Response(status_code=204)
    data = await ctx.json_object()
    role = data.get("role", row["role"])
    if role not in ROLES[:-1]:
        raise field_error("role", f'"{role}" is not a valid choice.')
    ctx.store.update("memberships", row["id"], {"role": role})
    row = ctx.store.one("SELECT * FROM memberships WHERE id = ?", (row["id"],))
    return json_response(render_membership(ctx, row))


def _render_invitation(ctx: Ctx, row: Any) -> dict[str, Any]:
    org = ctx.store.one("SELECT * FROM organizations WHERE id = ?", (row["org_id"],))
    return {
        "key": row["key"],
        "created_date": row["created_date"],
        "owner": render.basic_user(ctx, row["owner_id"]),
        "role": row["role"],
        "user": render.basic_user(ctx, row["user_id"]),
        "organization": row["org_id"],
        "expired": False,
        "accepted": bool(row["accepted"]),
        "organization_info": {"id": org["id"], "slug": org["slug"]},
    }


async def invitations(ctx: Ctx) -> Response:
    user = ctx.require_user()
    if ctx.request.method == "GET":
        rows = ctx.store.all("SELECT * FROM invitations ORDER BY created_date DESC")
        rows = [
            r
            for r in rows
            if (not ctx.org_given or r["org_id"] == ctx.org_id)
            and (user.id == r["user_id"] or _manageable(ctx, r["org_id"]))
        ]
        return paginate(ctx, rows, lambda row: _render_invitation(ctx, row))
    if ctx.org_id is None:
        raise ApiError(400, ["Invitations are made in an organization context (X-Organization)"])
    if not _manageable(ctx, ctx.org_id):
        raise forbidden()
    data = await ctx.json_object()
    role = data.get("role")
    if role not in ROLES[:-1]:
        raise field_error("role", f'"{role}" is not a valid choice.')
    email = text(data.get("email") or "", "email")
    invited = ctx.store.one("SELECT id FROM users WHERE email = ? AND email != ''", (email,))
    if invited is None:
        raise field_error("email", "This server invites only registered users (no email is sent).")
    if org_role(ctx, ctx.org_id) is not None and invited["id"] == user.id:
        raise field_error("email", "The user is already a member of this organization.")
    key = secrets.token_urlsafe(24)
    ctx.store.insert(
        "invitations",
        {
            "key": key,
            "org_id": ctx.org_id,
            "user_id": invited["id"],
            "owner_id": user.id,
            "role": role,
            "created_date": now(),
        },
    )
    row = ctx.store.one("SELECT * FROM invitations WHERE key = ?", (key,))
    return json_response(_render_invitation(ctx, row), 201)


async def accept_invitation(ctx: Ctx) -> Response:
    user = ctx.require_user()
    row = ctx.store.one("SELECT * FROM invitations WHERE key = ?", (ctx.path_params["key"],))
    if row is None or row["user_id"] != user.id:
        raise not_found()
    if row["accepted"]:
        raise ApiError(400, ["The invitation is expired or already accepted"])
    with ctx.store.tx() as conn:
        conn.execute("UPDATE invitations SET accepted = 1 WHERE key = ?", (row["key"],))
        conn.execute(
            "INSERT OR REPLACE INTO memberships (org_id, user_id, role, joined_date) "
            "VALUES (?, ?, ?, ?)",
            (row["org_id"], user.id, row["role"], now()),
        )
    org = ctx.store.one("SELECT * FROM organizations WHERE id = ?", (row["org_id"],))
    return json_response({"organization_slug": org["slug"]})
