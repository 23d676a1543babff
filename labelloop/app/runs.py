"""The annotation runs panel's API: list runs, live task/job status, load (dry run, then
merge) and send the current view for a new run.

Credentials come only from the annotation config or the environment
(``LABELLOOP_<BACKEND>_PASSWORD``, ``..._TOKEN``, ...), read at each request so
variables set after ``import labelloop`` count (they win over the config, as
the environment does over the config file); the server never
prompts (it runs in a background thread) and never receives secrets from the
page. State-changing routes are POST with a JSON body from the App's own
origin, so another web site cannot trigger them from the user's browser.
"""

from __future__ import annotations

import logging
import os
from typing import Any
from urllib.parse import urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from labelloop.annotation.config import (
    ENV_PREFIXES,
    annotation_config,
    env_names,
    env_params,
    resolve_credentials,
)
from labelloop.app import filters as flt
from labelloop.app.serialize import jsonable
from labelloop.app.state import AppState

logger = logging.getLogger(__name__)

_SECRETS = ("password", "token", "access_token", "api_key", "headers")
_UNEXPECTED_MODES = ("ignore", "keep")
_NEW_RUN_OPTIONS = ("label_type", "classes", "url", "task_size", "segment_size", "task_assignee")


def routes(state: AppState) -> list[Route]:
    """The runs panel's routes, bound to ``state``."""

    def list_runs(request: Request) -> JSONResponse:
        dataset = _dataset(state)
        out = []
        for key in dataset.list_annotation_runs():
            info = dataset.get_annotation_info(key)
            config = info.config or {}
            schema = config.get("label_schema") or {}
            out.append(
                {
                    "key": key,
                    "backend": info.method,
                    "timestamp": info.timestamp.isoformat(),
                    "url": _public_url(config.get("url")),
                    "fields": {
                        name: {"type": spec.get("type"), "classes": jsonable(spec.get("classes"))}
                        for name, spec in schema.items()
                    },
                }
            )
        return JSONResponse({"runs": out}, headers={"Cache-Control": "no-store"})

    async def status(request: Request) -> JSONResponse:
        dataset = _dataset(state)
        key = request.path_params["key"]
        creds = _credentials(dataset.get_annotation_info(key).method)

        def work() -> Any:
            with dataset.load_annotation_results(key, cache=False, **creds) as results:
                return results.get_status()  # the context closes the server connection

        return JSONResponse({"key": key, "status": jsonable(await _in_thread(work))})

    async def load(request: Request) -> JSONResponse:
        body = await _json_body(request)
        dry_run = body.get("dry_run", True)
        if not isinstance(dry_run, bool):
            raise ValueError("dry_run must be true or false")
        key = request.path_params["key"]
        merge = _merge_options(body)

        def work() -> dict[str, Any]:
            dataset = _dataset(state)
            creds = _credentials(dataset.get_annotation_info(key).method)
            report = dataset.load_annotations(key, dry_run=dry_run, **merge, **creds)
            if not dry_run:
                state.bump()  # labels changed: pages reload
            return report.to_dict()

        return JSONResponse(await _in_thread(work))

    async def new_run(request: Request) -> JSONResponse:
        body = await _json_body(request)
        key = body.get("anno_key")
        field = body.get("label_field")
        if not isinstance(key, str) or not key:
            raise ValueError("anno_key is required")
        if not isinstance(field, str) or not field:
            raise ValueError("label_field is required")
        options = {k: body[k] for k in _NEW_RUN_OPTIONS if body.get(k) not in (None, "", [])}
        unknown = set(body) - {"anno_key", "label_field", "filters", *_NEW_RUN_OPTIONS}
        if unknown:
            raise ValueError(f"unknown fields {sorted(unknown)} for a new run")
        filters = body.get("filters") or {}
        if not isinstance(filters, dict):
            raise ValueError("filters must be an object")

        def work() -> dict[str, Any]:
            view = state.filtered(filters)
            backend = _default_backend()
            settings = {**_env_settings(backend), **options, **_credentials(backend)}
            with view.annotate(key, label_field=field, backend=backend, **settings) as run:
                task_ids = jsonable(getattr(run, "task_ids", []))
            state.bump()
            return {"key": key, "task_ids": task_ids}

        return JSONResponse(await _in_thread(work))

    return [
        Route("/api/runs", list_runs, methods=["GET"]),
        Route("/api/runs", new_run, methods=["POST"]),
        Route("/api/runs/{key}/status", status, methods=["GET"]),
        Route("/api/runs/{key}/load", load, methods=["POST"]),
    ]


def _merge_options(body: dict[str, Any]) -> dict[str, Any]:
    """``unexpected`` and ``dest_field`` of a load request, checked before anything is read.

    Only the modes that need no terminal or caller: ``ignore`` (the default) and
    ``keep`` (fields named after the labels' types).
    """
    unknown = set(body) - {"dry_run", "unexpected", "dest_field", "filters"}
    if unknown:
        raise ValueError(f"unknown fields {sorted(unknown)} for a load")
    unexpected = body.get("unexpected", "ignore")
    if unexpected not in _UNEXPECTED_MODES:
        raise ValueError(f"unexpected must be one of {list(_UNEXPECTED_MODES)}, got {unexpected!r}")
    dest = body.get("dest_field")
    if dest in (None, "", {}):
        dest = None
    elif isinstance(dest, dict):
        if not all(isinstance(k, str) and isinstance(v, str) and k and v for k, v in dest.items()):
            raise ValueError("dest_field must map run field names to new field names")
    elif not isinstance(dest, str):
        raise ValueError(f"dest_field must be a field name or an object, got {dest!r}")
    return {"unexpected": unexpected, "dest_field": dest}


def _dataset(state: AppState) -> Any:
    if state.dataset is None:
        raise LookupError("No dataset is shown")
    return state.dataset


def _default_backend() -> str:
    """The default backend as configured now (``LABELLOOP_ANNOTATION_DEFAULT_BACKEND`` first)."""
    for prefix in ENV_PREFIXES:
        if os.environ.get(f"{prefix}_ANNOTATION_DEFAULT_BACKEND"):
            return os.environ[f"{prefix}_ANNOTATION_DEFAULT_BACKEND"]
    return annotation_config.default_backend


def _env_settings(backend: str) -> dict[str, Any]:
    """Non-secret ``LABELLOOP_<BACKEND>_*`` settings as the environment holds them now.

    The config read its environment at import; a variable set since (e.g.
    ``LABELLOOP_CVAT_URL``) must win over the value the config then held. Only
    parameters the config holds are returned: others already reach the backend.
    """
    held = annotation_config.backends.get(backend, {})
    secret = ("config_cls", "username", "email", *_SECRETS)
    return {k: v for k, v in env_params(backend).items() if k in held and k not in secret}


def _credentials(backend: str) -> dict[str, Any]:
    """Configured credentials of ``backend``, the environment's as of now first (never
    prompted for; ``ValueError`` when none)."""
    names = ("username", "email", *_SECRETS)
    now = {k: v for k, v in env_params(backend).items() if k in names}
    found = resolve_credentials(backend, names, now, None, required=())
    found = {k: v for k, v in found.items() if v is not None}
    if not any(found.get(name) for name in _SECRETS):
        raise ValueError(
            f"The App needs {backend!r} credentials from the environment or annotation config; "
            f"set {env_names(backend, ['username', 'password'])} (or "
            f"{env_names(backend, ['token'])}) before launching it"
        )
    return found


def _public_url(url: Any) -> str | None:
    """``url`` without any ``user:password@`` part."""
    if not isinstance(url, str) or not url:
        return None
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


async def _json_body(request: Request) -> dict[str, Any]:
    """The request's JSON object, only from the App's own page (no cross-site posts)."""
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise PermissionError("send a JSON body (Content-Type: application/json)")
    origin = request.headers.get("origin")
    if origin is not None:
        own = f"{request.url.scheme}://{request.headers.get('host', '')}"
        if origin != own:
            raise PermissionError("cross-origin requests are refused")
    try:
        body = await request.json()
    except ValueError:
        raise ValueError("the body must be JSON") from None
    if not isinstance(body, dict):
        raise ValueError("the body must be a JSON object")
    if "filters" in body and body["filters"] is not None:
        flt.parse_object(body["filters"])
    return body


class BackendFailed(Exception):
    """The annotation backend failed (unreachable server, refused request): HTTP 502."""


async def _in_thread(func: Any) -> Any:
    """Run a blocking backend call off the event loop; backend failures become 502s."""
    try:
        return await run_in_threadpool(func)
    except (ValueError, LookupError, PermissionError, TypeError):
        raise
    except Exception as exc:
        logger.warning("annotation backend call failed: %s", exc)
        raise BackendFailed(str(exc)) from exc
