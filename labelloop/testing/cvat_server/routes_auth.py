"""Endpoints for the server itself, auth, users, access tokens and organizations."""

from __future__ import annotations

import secrets
from typing import Any

from starlette.responses import Response

from labelloop.testing.cvat_server import auth, registration, render
from labelloop.testing.cvat_server.store import now
from labelloop.testing.cvat_server.web import (
    ApiError,
    Ctx,
    as_bool,
    field_error,
    forbidden,
    json_response,
    not_found,
    paginate,
    text,
)


async def about(ctx: Ctx) -> Response:
    return json_response(
        {
            "name": "Computer Vision Annotation Tool",
            "description": "labelloop's local CVAT-compatible server (for tests and offline use)",
            "version": ctx.state.config.version,
            "logo_url": ctx.url("/static/logo.svg"),
            "subtitle": "local test server",
        }
    )


async def login(ctx: Ctx) -> Response:
    data = await ctx.json_object()
    password = data.get("password")
    username = data.get("username") or data.get("email")
    if not password or not username:
        raise ApiError(400, ['Must include either "username" or "email" and "password".'])
    user = auth.user_by_credentials(ctx.store, str(username), str(password))
    if user is None:
        raise ApiError(400, {"non_field_errors": ["Unable to log in with provided credentials."]})
    ctx.store.update("users", user.id, {"last_login": now()})
    key = auth.login_token(ctx.store, user.id)
    session, csrf = auth.new_session(ctx.store, user.id)
    response = json_response({"key": key})
    response.set_cookie("sessionid", session, httponly=True, samesite="lax")
    response.set_cookie("csrftoken", csrf, samesite="lax")
    return response


async def logout(ctx: Ctx) -> Response:
    """Ends the session and, as dj-rest-auth does, deletes the user's REST token: every
    other client holding that token (another process of the same user) is logged out too."""
    if ctx.user is not None:
        ctx.store.execute("DELETE FROM tokens WHERE user_id = ?", (ctx.user.id,))
    session = ctx.request.cookies.get("sessionid")
    if session:
        ctx.store.execute("DELETE FROM sessions WHERE key = ?", (session,))
    response = json_response({"detail": "Successfully logged out."})
    response.delete_cookie("sessionid")
    response.delete_cookie("csrftoken")
    return response


async def register(ctx: Ctx) -> Response:
    """A new user, validated as CVAT 2.73 does (:mod:`registration`), logged in at once:
    the answer carries its token and sets the session cookies."""
    user = registration.validate(ctx.store, await ctx.json_object())
    user_id = auth.create_user(
        ctx.store,
        user["username"],
        user["password"],
        email=user["email"],
        first_name=user["first_name"],
        last_name=user["last_name"],
    )
    ctx.store.update("users", user_id, {"last_login": now()})
    key = auth.login_token(ctx.store, user_id)
    session, csrf = auth.new_session(ctx.store, user_id)
    row = ctx.store.one("SELECT * FROM users WHERE id = ?", (user_id,))
    response = json_response(
        {
            "username": row["username"],
            "email": row["email"],
            "first_name": row["first_name"],
            "last_name": row["last_name"],
            "email_verification_required": False,
            "key": key,
        },
        201,
    )
    response.set_cookie("sessionid", session, httponly=True, samesite="lax")
    response.set_cookie("csrftoken", csrf, samesite="lax")
    return response


def _users_query(ctx: Ctx) -> list[Any]:
    rows = ctx.store.all("SELECT * FROM users ORDER BY id DESC")
    query = ctx.query
    search = query.get("search")
    if search:
        needle = search.lower()
        rows = [
            r
            for r in rows
            if any(
                needle in str(r[k]).lower()
                for k in ("username", "first_name", "last_name", "email")
            )
        ]
    for key in ("username", "first_name", "last_name", "email"):
        if query.get(key) is not None:
            rows = [r for r in rows if r[key] == query[key]]
    if query.get("id"):
        rows = [r for r in rows if str(r["id"]) == query["id"]]
    if query.get("is_active") is not None:
        active = as_bool(query["is_active"], "is_active")
        rows = [r for r in rows if bool(r["is_active"]) == active]
    if ctx.org_id is not None:
        members = {
            m["user_id"]
            for m in ctx.store.all(
                "SELECT user_id FROM memberships WHERE org_id = ?", (ctx.org_id,)
            )
        }
        rows = [r for r in rows if r["id"] in members]
    return rows


async def list_users(ctx: Ctx) -> Response:
    return paginate(ctx, _users_query(ctx), lambda row: render.full_user(ctx, row))


async def user_self(ctx: Ctx) -> Response:
    row = ctx.store.one("SELECT * FROM users WHERE id = ?", (ctx.require_user().id,))
    return json_response(render.full_user(ctx, row))


async def user_detail(ctx: Ctx) -> Response:
    user_id = ctx.int_param("id")
    row = ctx.store.one("SELECT * FROM users WHERE id = ?", (user_id,))
    if row is None:
        raise not_found()
    me = ctx.require_user()
    method = ctx.request.method
    if method == "GET":
        return json_response(render.full_user(ctx, row))
    if not me.is_admin and me.id != user_id:
        raise forbidden()
    if method == "DELETE":
        if not me.is_admin:
            raise forbidden()
        ctx.store.execute("DELETE FROM users WHERE id = ?", (user_id,))
        ctx.store.execute("DELETE FROM tokens WHERE user_id = ?", (user_id,))
        ctx.store.execute("DELETE FROM sessions WHERE user_id = ?", (user_id,))
        return Response(status_code=204)
    data = await ctx.json_object()
    changes = {k: text(data[k], k) for k in ("first_name", "last_name", "email") if k in data}
    if "is_active" in data and me.is_admin:
        changes["is_active"] = int(as_bool(data["is_active"], "is_active"))
    if "groups" in data and me.is_admin:
        groups = data["groups"]
        if not isinstance(groups, list) or not groups or groups[0] not in auth.GROUPS:
            raise field_error("groups", f"Expected a list with one of {list(auth.GROUPS)}.")
        changes["grp"] = groups[0]
    ctx.store.update("users", user_id, changes)
    row = ctx.store.one("SELECT * FROM users WHERE id = ?", (user_id,))
    return json_response(render.full_user(ctx, row))


# ------------------------------------------------------------------ access tokens
def _render_token(ctx: Ctx, row: Any, value: str | None = None) -> dict[str, Any]:
    out = {
        "id": row["id"],
        "name": row["name"],
        "created_date": row["created_date"],
        "updated_date": row["updated_date"],
        "expiry_date": row["expiry_date"],
        "last_used_date": row["last_used_date"],
        "read_only": bool(row["read_only"]),
        "owner": render.basic_user(ctx, row["user_id"]),
    }
    if value is not None:
        out["value"] = value
    return out


async def access_tokens(ctx: Ctx) -> Response:
    user = ctx.require_user()
    if ctx.request.method == "GET":
        rows = ctx.store.all(
            "SELECT * FROM access_tokens WHERE user_id = ? ORDER BY id DESC", (user.id,)
        )
        return paginate(ctx, rows, lambda row: _render_token(ctx, row))
    data = await ctx.json_object()
    name = text(data.get("name") or "", "name")
    if not name:
        raise field_error("name", "This field is required.")
    value = secrets.token_urlsafe(32)
    stamp = now()
    token_id = ctx.store.insert(
        "access_tokens",
        {
            "user_id": user.id,
            "name": name[:50],
            "digest": auth.token_digest(value),
            "read_only": int(as_bool(data.get("read_only", False), "read_only")),
            "created_date": stamp,
            "updated_date": stamp,
            "expiry_date": data.get("expiry_date"),
        },
    )
    row = ctx.store.one("SELECT * FROM access_tokens WHERE id = ?", (token_id,))
    return json_response(_render_token(ctx, row, value), 201)


async def access_token_detail(ctx: Ctx) -> Response:
    user = ctx.require_user()
    token_id = ctx.int_param("id")
    row = ctx.store.one(
        "SELECT * FROM access_tokens WHERE id = ? AND user_id = ?", (token_id, user.id)
    )
    if row is None:
        raise not_found()
    if ctx.request.method == "DELETE":
        ctx.store.execute("DELETE FROM access_tokens WHERE id = ?", (token_id,))
        return Response(status_code=204)
    if ctx.request.method == "PATCH":
        data = await ctx.json_object()
        changes: dict[str, Any] = {"updated_date": now()}
        if "name" in data:
            changes["name"] = text(data["name"], "name")[:50]
        if "read_only" in data:
            changes["read_only"] = int(as_bool(data["read_only"], "read_only"))
        if "expiry_date" in data:
            changes["expiry_date"] = data["expiry_date"]
        ctx.store.update("access_tokens", token_id, changes)
        row = ctx.store.one("SELECT * FROM access_tokens WHERE id = ?", (token_id,))
    return json_response(_render_token(ctx, row))
