"""The App's HTTP server: the page, its JSON API, thumbnails and media.

Routes (all GET):

* ``/``: the page (server-rendered shell; data comes from the API);
* ``/api/version``: ``{"version"}``, polled by the page to follow the session;
* ``/api/dataset``: fields and sample count (cheap); ``/api/dataset/stats``: classes,
  confidence, attributes, numeric bounds and tags for the filters (a pass over the view);
* ``/api/samples?offset&limit&filters``: one grid page;
* ``/api/samples/{id}?filters``: one sample in full; ``/api/samples/{id}/frames?start&stop``;
* ``/api/mask?sample&field[&frame]``: a semantic mask painted in class colours (PNG);
* ``/media?filepath`` (HTTP range requests) and ``/thumb?filepath``: only files of the dataset;
* ``/api/runs...``: the annotation runs panel (see :mod:`labelloop.app.runs`).
"""

from __future__ import annotations

import html
import logging
from pathlib import Path
from string import Template
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from labelloop.app import filters as flt
from labelloop.app import runs, samples
from labelloop.app.guard import PathRefused
from labelloop.app.serialize import jsonable, semantic_mask_png
from labelloop.app.state import AppState

logger = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).parent / "static"
_NO_STORE = {"Cache-Control": "no-store"}


def create_app(state: AppState, allowed_hosts: list[str] | None = None) -> Starlette:
    """The Starlette application serving ``state``.

    ``allowed_hosts`` limits the ``Host`` header (defeats DNS rebinding onto a
    loopback server); ``None`` accepts any host.
    """
    page = Template((STATIC_DIR / "index.html").read_text(encoding="utf-8"))

    def index(request: Request) -> HTMLResponse:
        shown = state.collection
        title = html.escape(shown.dataset.name if shown is not None else "no dataset")
        return HTMLResponse(page.substitute(title=title), headers=_NO_STORE)

    def version(request: Request) -> JSONResponse:
        state.touch()
        return JSONResponse({"version": state.version}, headers=_NO_STORE)

    def dataset(request: Request) -> JSONResponse:
        return _json(state.describe())

    def dataset_stats(request: Request) -> JSONResponse:
        return _json(state.statistics())

    def sample_page(request: Request) -> JSONResponse:
        q = request.query_params
        filters = flt.parse(q.get("filters"))
        offset = _int(q.get("offset", "0"), "offset")
        limit = _int(q.get("limit", "60"), "limit")
        return _json(samples.page(state, filters, offset, limit))

    def sample_detail(request: Request) -> JSONResponse:
        filters = flt.parse(request.query_params.get("filters"))
        return _json(samples.sample_detail(state, filters, request.path_params["sample_id"]))

    def sample_frames(request: Request) -> JSONResponse:
        q = request.query_params
        filters = flt.parse(q.get("filters"))
        start = _int(q.get("start", "1"), "start")
        stop = _int(q.get("stop", str(start + 299)), "stop")
        sid = request.path_params["sample_id"]
        return _json(samples.frames(state, filters, sid, start, stop))

    def mask(request: Request) -> Response:
        q = request.query_params
        field = q.get("field", "")
        dataset = state.dataset
        if dataset is None:
            raise LookupError("No dataset is shown")
        sample = dataset[q.get("sample", "")]
        if field.startswith("frames."):
            number = _int(q.get("frame", ""), "frame")
            if number not in sample.frames:
                raise KeyError(f"sample has no frame {number}")
            name = field[len("frames.") :]
            label = sample.frames[number][name] if sample.frames[number].has_field(name) else None
        else:
            name = field
            label = sample[field] if sample.has_field(field) else None
        array = label.get_mask() if label is not None and hasattr(label, "get_mask") else None
        if array is None:
            raise KeyError(f"field {field!r} holds no segmentation mask for this sample")
        targets = dataset.get_mask_targets(name) or {}
        return Response(semantic_mask_png(array, targets), media_type="image/png")

    def media(request: Request) -> Response:
        path = state.guard.resolve(request.query_params.get("filepath", ""))
        return FileResponse(path, headers={"Cache-Control": "private, max-age=3600"})

    def thumb(request: Request) -> Response:
        path = state.guard.resolve(request.query_params.get("filepath", ""))
        return FileResponse(
            state.thumbnails.get(path),
            media_type="image/jpeg",
            headers={"Cache-Control": "private, max-age=3600"},
        )

    routes = [
        Route("/", index),
        Route("/api/version", version),
        Route("/api/dataset", dataset),
        Route("/api/dataset/stats", dataset_stats),
        Route("/api/samples", sample_page),
        Route("/api/samples/{sample_id}", sample_detail),
        Route("/api/samples/{sample_id}/frames", sample_frames),
        Route("/api/mask", mask),
        Route("/media", media),
        Route("/thumb", thumb),
        *runs.routes(state),
        Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
    ]
    handlers = {
        PathRefused: lambda r, e: _error(str(e), e.status),
        flt.FilterError: lambda r, e: _error(str(e), 400),
        ValueError: lambda r, e: _error(str(e), 400),
        KeyError: lambda r, e: _error(str(e.args[0]) if e.args else "not found", 404),
        LookupError: lambda r, e: _error(str(e), 404),
        FileNotFoundError: lambda r, e: _error("media file is missing on disk", 404),
        PermissionError: lambda r, e: _error(str(e), 403),
        runs.BackendFailed: lambda r, e: _error(str(e), 502),
    }
    middleware = []
    if allowed_hosts is not None:
        middleware.append(Middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts))
    return Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers=handlers,  # type: ignore[arg-type]
    )


def _json(data: Any) -> JSONResponse:
    # jsonable: numpy scalars become numbers, NaN/inf (e.g. bounds of a float field) null
    return JSONResponse(jsonable(data), headers=_NO_STORE)


def _error(message: str, status: int) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=_NO_STORE)


def _int(text: str, name: str) -> int:
    try:
        return int(text)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be an integer, got {text!r}") from None
