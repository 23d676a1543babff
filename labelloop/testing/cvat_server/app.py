"""The Starlette application: configuration, state, routes and middleware."""

from __future__ import annotations

import logging
import re
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from labelloop.testing.cvat_server import (
    auth,
    routes_auth,
    routes_data,
    routes_jobs,
    routes_orgs,
    routes_projects,
    routes_tasks,
)
from labelloop.testing.cvat_server.access import resolve_org
from labelloop.testing.cvat_server.faults import BodyTooLarge, FaultError, FaultMiddleware, Faults
from labelloop.testing.cvat_server.state import ServerConfig, ServerState
from labelloop.testing.cvat_server.store import Store
from labelloop.testing.cvat_server.web import (
    ApiError,
    Ctx,
    forbidden,
    json_response,
    page_not_found,
)

logger = logging.getLogger(__name__)


def open_state(config: ServerConfig) -> ServerState:
    """Open (or create) the database and make sure the administrator exists."""
    config.data_dir.mkdir(parents=True, exist_ok=True)
    store = Store(config.data_dir / "cvat.sqlite3")
    row = store.one("SELECT id FROM users WHERE username = ?", (config.username,))
    if row is None:
        admin_id = auth.create_user(store, config.username, config.password, group="admin")
        logger.info("created administrator %r", config.username)
    else:
        # the configured credentials always work, also on a data directory reused
        # with another password
        admin_id = row["id"]
        store.update(
            "users",
            admin_id,
            {"password_hash": auth.hash_password(config.password), "grp": "admin"},
        )
    # a restart with a lost worker leaves half-processed tasks: report them failed
    store.execute(
        "UPDATE requests SET status = 'failed', message = 'The server restarted while processing' "
        "WHERE status IN ('queued', 'started')"
    )
    store.execute(
        "UPDATE tasks SET data_state = 'failed' WHERE data_state IN ('queued', 'started')"
    )
    store.execute("UPDATE tasks SET data_state = 'none' WHERE data_state = 'uploading'")
    return ServerState(config, store, Faults(config.max_body_size), admin_id)


Handler = Callable[[Ctx], Awaitable[Response]]


def endpoint(
    handler: Handler, *, anonymous: bool = False, credentials: bool = True
) -> Callable[[Request], Awaitable[Response]]:
    """Wrap a handler: authenticate, resolve the organization, render API errors.

    ``credentials=False`` ignores whatever credentials come along (CVAT's login
    and registration views check no session CSRF token and no other login).
    """

    async def run(request: Request) -> Response:
        state: ServerState = request.app.state.server
        try:
            user = auth.authenticate(request, state.store)[0] if credentials else None
            ctx = Ctx(request, state, user, path_params=dict(request.path_params))
            if not anonymous:
                ctx.require_user()
            resolve_org(ctx)
            return await handler(ctx)
        except BodyTooLarge:
            limit = state.faults.max_body_size
            return json_response({"detail": f"Request body is larger than {limit} bytes."}, 413)
        except ApiError as exc:
            response = exc.response()
            if exc.status == 401:
                response.headers["WWW-Authenticate"] = 'Token realm="api"'
            return response

    return run


def _admin_only(handler: Handler) -> Handler:
    async def run(ctx: Ctx) -> Response:
        if not ctx.require_user().is_admin:
            raise forbidden()
        return await handler(ctx)

    return run


# ------------------------------------------------------------------ test control
async def control_faults(ctx: Ctx) -> Response:
    faults = ctx.state.faults
    if ctx.request.method == "POST":
        data = await ctx.json()
        try:
            rules = faults.add(data.get("faults", data) if isinstance(data, dict) else data)
        except (FaultError, TypeError) as exc:
            raise ApiError(400, {"faults": [str(exc)]}) from None
        return json_response([rule.to_dict() for rule in rules], 201)
    if ctx.request.method == "DELETE":
        faults.clear()
        return Response(status_code=204)
    return json_response(
        {"faults": [rule.to_dict() for rule in faults.rules], "max_body_size": faults.max_body_size}
    )


async def control_fault_detail(ctx: Ctx) -> Response:
    if not ctx.state.faults.remove(ctx.int_param("id")):
        raise ApiError(404, "No such fault rule.")
    return Response(status_code=204)


async def control_settings(ctx: Ctx) -> Response:
    data = await ctx.json_object()
    if "max_body_size" in data:
        size = data["max_body_size"]
        if size is not None and (not isinstance(size, int) or size < 0):
            raise ApiError(400, {"max_body_size": ["Expected a non-negative integer or null."]})
        ctx.state.faults.max_body_size = size
    if "version" in data:
        ctx.state.config.version = str(data["version"])
    return json_response(
        {"max_body_size": ctx.state.faults.max_body_size, "version": ctx.state.config.version}
    )


async def control_users(ctx: Ctx) -> Response:
    data = await ctx.json_object()
    user_id = auth.create_user(
        ctx.store,
        str(data.get("username") or ""),
        str(data.get("password") or ""),
        group=str(data.get("group") or "user"),
        email=str(data.get("email") or ""),
        first_name=str(data.get("first_name") or ""),
        last_name=str(data.get("last_name") or ""),
    )
    key = auth.login_token(ctx.store, user_id)
    return json_response({"id": user_id, "username": data["username"], "token": key}, 201)


async def control_memberships(ctx: Ctx) -> Response:
    data = await ctx.json_object()
    org = ctx.store.one("SELECT id FROM organizations WHERE slug = ?", (data.get("org"),))
    user = ctx.store.one("SELECT id FROM users WHERE username = ?", (data.get("username"),))
    role = data.get("role", "worker")
    if org is None or user is None or role not in ("owner", "maintainer", "supervisor", "worker"):
        raise ApiError(400, ["Expected an existing 'org' slug, 'username' and a valid 'role'."])
    from labelloop.testing.cvat_server.store import now

    ctx.store.execute(
        "INSERT OR REPLACE INTO memberships (org_id, user_id, role, joined_date) VALUES (?, ?, ?, ?)",
        (org["id"], user["id"], role, now()),
    )
    return json_response({"org": data["org"], "username": data["username"], "role": role}, 201)


async def control_reset(ctx: Ctx) -> Response:
    state = ctx.state
    state.store.wipe(state.admin_id)
    state.faults.clear()
    state.faults.max_body_size = state.config.max_body_size
    state.uploads.clear()
    state.tus.clear()
    state.tus_done.clear()
    shutil.rmtree(state.config.data_dir / "tasks", ignore_errors=True)
    return Response(status_code=204)


def _routes() -> list[Route]:
    r = routes_auth
    o = routes_orgs
    p = routes_projects
    t = routes_tasks
    d = routes_data
    j = routes_jobs
    table: list[tuple[str, Handler, list[str]]] = [
        ("/api/auth/logout", r.logout, ["POST"]),
        ("/api/users", r.list_users, ["GET"]),
        ("/api/users/self", r.user_self, ["GET"]),
        ("/api/users/{id:int}", r.user_detail, ["GET", "PATCH", "DELETE"]),
        ("/api/auth/access_tokens", r.access_tokens, ["GET", "POST"]),
        ("/api/auth/access_tokens/{id:int}", r.access_token_detail, ["GET", "PATCH", "DELETE"]),
        ("/api/organizations", o.organizations, ["GET", "POST"]),
        ("/api/organizations/{id:int}", o.organization_detail, ["GET", "PATCH", "DELETE"]),
        ("/api/memberships", o.memberships, ["GET"]),
        ("/api/memberships/{id:int}", o.membership_detail, ["GET", "PATCH", "DELETE"]),
        ("/api/invitations", o.invitations, ["GET", "POST"]),
        ("/api/invitations/{key:str}/accept", o.accept_invitation, ["POST"]),
        ("/api/projects", p.projects, ["GET", "POST"]),
        ("/api/projects/{id:int}", p.project_detail, ["GET", "PATCH", "DELETE"]),
        ("/api/projects/{id:int}/preview", d.preview, ["GET"]),
        ("/api/labels", p.labels, ["GET"]),
        ("/api/labels/{id:int}", p.label_detail, ["GET", "PATCH", "DELETE"]),
        ("/api/tasks", t.tasks, ["GET", "POST"]),
        ("/api/tasks/{id:int}", t.task_detail, ["GET", "PATCH", "DELETE"]),
        ("/api/tasks/{id:int}/status", t.task_status, ["GET"]),
        ("/api/tasks/{id:int}/data", d.task_data, ["GET"]),
        ("/api/tasks/{id:int}/data", d.upload, ["POST"]),
        ("/api/tasks/{id:int}/data/meta", d.task_meta, ["GET", "PATCH"]),
        ("/api/tasks/{id:int}/data/{file_id:str}", d.tus_chunk, ["PATCH", "HEAD"]),
        ("/api/tasks/{id:int}/preview", d.preview, ["GET"]),
        ("/api/tasks/{id:int}/annotations", j.annotations, ["GET", "PUT", "PATCH", "DELETE"]),
        ("/api/jobs", j.jobs, ["GET", "POST"]),
        ("/api/jobs/{id:int}", j.job_detail, ["GET", "PATCH", "DELETE"]),
        ("/api/jobs/{id:int}/annotations", j.annotations, ["GET", "PUT", "PATCH", "DELETE"]),
        ("/api/jobs/{id:int}/data", d.job_data, ["GET"]),
        ("/api/jobs/{id:int}/data/meta", d.job_meta, ["GET"]),
        ("/api/jobs/{id:int}/preview", d.preview, ["GET"]),
        ("/api/requests", t.requests, ["GET"]),
        ("/api/requests/{id:str}", t.request_detail, ["GET"]),
        ("/_test/faults", _admin_only(control_faults), ["GET", "POST", "DELETE"]),
        ("/_test/faults/{id:int}", _admin_only(control_fault_detail), ["DELETE"]),
        ("/_test/settings", _admin_only(control_settings), ["PUT"]),
        ("/_test/users", _admin_only(control_users), ["POST"]),
        ("/_test/memberships", _admin_only(control_memberships), ["POST"]),
        ("/_test/reset", _admin_only(control_reset), ["POST"]),
    ]
    routes = [
        Route(
            "/api/auth/login",
            endpoint(r.login, anonymous=True, credentials=False),
            methods=["POST"],
        ),
        Route(
            "/api/auth/register",
            endpoint(r.register, anonymous=True, credentials=False),
            methods=["POST"],
        ),
        Route("/api/server/about", endpoint(r.about, anonymous=True), methods=["GET"]),
    ]
    by_path: dict[str, dict[str, Handler]] = {}
    for path, handler, methods in table:
        for method in methods:
            by_path.setdefault(path, {})[method] = handler
    for path, handlers in by_path.items():
        routes.append(Route(path, endpoint(_dispatch(handlers)), methods=list(handlers)))
    return routes


def _dispatch(handlers: dict[str, Handler]) -> Handler:
    async def run(ctx: Ctx) -> Response:
        return await handlers[ctx.request.method](ctx)

    return run


_OPTIONAL_SLASH = re.compile(r"/api/(tasks|jobs)/\d+/(data|annotations)/")


class _StripSlash:
    """CVAT's ``data`` and ``annotations`` actions accept a trailing slash (``data/?$``);
    every other route has none, and a slash there is an unknown URL (404)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and _OPTIONAL_SLASH.fullmatch(scope["path"]):
            scope = dict(scope)
            scope["path"] = scope["path"].rstrip("/")
            scope["raw_path"] = scope["path"].encode()
        await self.app(scope, receive, send)


# A route CVAT has, whose id is not a number: its view answers DRF's JSON 404. Any other
# unknown URL is Django's HTML "Not Found" page.
_DETAIL_ROUTE = re.compile(r"/api/\w+/[^/.]+(/(data|data/meta|annotations|preview|status))?")


async def _method_not_allowed(request: Request, exc: Exception) -> Response:
    status = getattr(exc, "status_code", 500)
    if status == 405:
        return json_response({"detail": f'Method "{request.method}" not allowed.'}, 405)
    if status == 404:
        if _DETAIL_ROUTE.fullmatch(request.url.path):
            return json_response({"detail": "Not found."}, 404)
        return page_not_found().response()
    return json_response({"detail": str(getattr(exc, "detail", exc))}, status)


def create_app(config: ServerConfig, on_shutdown: Callable[[], None] | None = None) -> Any:
    """The ASGI application for one data directory.

    ``on_shutdown`` runs when the server stops gracefully (before uvicorn
    re-raises a caught SIGTERM), after the database is closed.
    """
    state = open_state(config)

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        state.store.close()
        if on_shutdown is not None:
            on_shutdown()

    app = Starlette(
        routes=_routes(),
        exception_handlers={404: _method_not_allowed, 405: _method_not_allowed},
        lifespan=lifespan,
    )
    app.router.redirect_slashes = False  # CVAT redirects no slashed URL: they are 404s
    app.state.server = state
    return _StripSlash(FaultMiddleware(app, state.faults))
