"""Task data: uploads (one request, Upload-Start/-Multiple/-Finish, TUS), meta, frames, chunks.

Upload protocol as CVAT serves it: ``Upload-Start`` opens an upload,
``Upload-Multiple`` posts groups of ``client_files[i]``, large files go
through TUS (``POST .../data/`` then ``PATCH``/``HEAD`` on the returned
``Location``), and ``Upload-Finish`` (or a single plain multipart POST)
carries the parameters and queues processing, answering 202 with an
``rq_id``.
"""

from __future__ import annotations

import base64
import json
import secrets
from pathlib import Path
from typing import Any

from starlette.datastructures import UploadFile
from starlette.responses import Response

from labelloop.testing.cvat_server import access, media, processing
from labelloop.testing.cvat_server.store import dumps, now
from labelloop.testing.cvat_server.web import (
    ApiError,
    BareError,
    Ctx,
    PageError,
    as_bool,
    as_int,
    field_error,
    json_response,
    not_found,
    page_not_found,
    server_error,
)

_UNSUPPORTED_SOURCES = ("server_files", "remote_files", "cloud_storage_id", "job_file_mapping")


def _safe_name(filename: str) -> str:
    name = Path(filename.replace("\\", "/")).name
    if not name or name in (".", ".."):
        raise field_error("client_files", f"Invalid file name '{filename}'.")
    return name


async def _save_upload(upload: UploadFile, target: Path) -> None:
    with open(target, "wb") as out:
        while chunk := await upload.read(1 << 20):
            out.write(chunk)


async def _read_form(ctx: Ctx) -> tuple[dict[str, list[Any]], list[str]]:
    """Parse a multipart or JSON body into fields and saved client files (in order).

    CVAT's upload endpoints parse JSON and multipart only (``JSONParser`` +
    ``MultiPartParser``): any other non-empty body, form-encoded included, is a 415.
    """
    content_type = ctx.request.headers.get("content-type", "")
    media_type = content_type.split(";")[0].strip().lower()
    fields: dict[str, list[Any]] = {}
    saved: list[str] = []
    if media_type not in ("multipart/form-data", "application/json") and await ctx.request.body():
        raise ApiError(415, f'Unsupported media type "{content_type}" in request.')
    if media_type == "multipart/form-data":
        form = await ctx.request.form(max_files=1_000_000, max_fields=1_000_000)
        raw_dir = ctx.state.task_dir(ctx.int_param("id")) / "raw"
        raw_dir.mkdir(parents=True, exist_ok=True)
        files = []
        for key, value in form.multi_items():
            if isinstance(value, UploadFile):
                files.append((key, value))
            else:
                fields.setdefault(key, []).append(value)
        files.sort(key=lambda item: _file_index(item[0]))
        for _key, upload in files:
            name = _safe_name(upload.filename or "")
            await _save_upload(upload, raw_dir / name)
            saved.append(name)
        await form.close()
    else:
        body = await ctx.json()
        if not isinstance(body, dict):
            raise field_error("non_field_errors", "Invalid data. Expected a dictionary.")
        fields = {k: v if isinstance(v, list) else [v] for k, v in body.items()}
    return fields, saved


def _file_index(key: str) -> int:
    if key.startswith("client_files[") and key.endswith("]"):
        try:
            return int(key[13:-1])
        except ValueError:
            pass
    return 0


def _params(ctx: Ctx, task: Any, fields: dict[str, list[Any]]) -> dict[str, Any]:
    """Validate DataRequest fields (DRF's messages); unsupported sources are refused."""

    def one(name: str, default: Any = None) -> Any:
        values = fields.get(name)
        return values[-1] if values else default

    for name in _UNSUPPORTED_SOURCES:
        if fields.get(name) and fields[name] != [[]] and fields[name] != [None]:
            raise field_error(name, "This server accepts only client_files uploads.")
    params: dict[str, Any] = {
        # optional in the request, as in CVAT, whose processing then fails without it
        "image_quality": (
            None
            if one("image_quality") is None
            else as_int(one("image_quality"), "image_quality", 1, 100)
        ),
        "use_zip_chunks": as_bool(one("use_zip_chunks", False), "use_zip_chunks"),
        "use_cache": as_bool(one("use_cache", False), "use_cache"),
        "sorting_method": str(one("sorting_method", "lexicographical")),
        "frame_filter": str(one("frame_filter", "") or ""),
        "start_frame": as_int(one("start_frame", 0), "start_frame", 0),
    }
    if params["sorting_method"] not in processing.SORTING_METHODS:
        raise field_error("sorting_method", f'"{params["sorting_method"]}" is not a valid choice.')
    try:
        processing.parse_frame_step(params["frame_filter"])
    except ValueError:
        raise field_error("frame_filter", "Invalid frame filter expression") from None
    if one("stop_frame") not in (None, ""):
        params["stop_frame"] = as_int(one("stop_frame"), "stop_frame", 0)
        if params["stop_frame"] < params["start_frame"]:
            raise ApiError(
                400, {"non_field_errors": ["Stop frame must be more or equal start frame"]}
            )
    if one("chunk_size") not in (None, ""):
        params["chunk_size"] = as_int(one("chunk_size"), "chunk_size", 0)
        if params["chunk_size"] == 0:
            raise field_error("chunk_size", "Chunk size must be a positive integer")
    order = fields.get("upload_file_order")
    if order:
        flat = [item for value in order for item in (value if isinstance(value, list) else [value])]
        params["upload_file_order"] = [_safe_name(str(name)) for name in flat]
    return params


def _check_no_data(task: Any) -> None:
    if task["data_state"] not in ("none", "uploading"):
        raise ApiError(400, ["Adding more data is not supported"])


def _queue(ctx: Ctx, task: Any, files: list[str], params: dict[str, Any]) -> Response:
    rq = processing.request_id(task["id"])
    ctx.store.execute("DELETE FROM requests WHERE id = ?", (rq,))
    ctx.store.insert(
        "requests",
        {
            "id": rq,
            "task_id": task["id"],
            "owner_id": ctx.require_user().id,
            "status": "queued",
            "created_date": now(),
            "op_type": "create:task",
            "target": "task",
            "org_id": task["org_id"],
        },
    )
    changes = {"data_state": "queued"}
    if params["image_quality"] is not None:
        changes["image_quality"] = params["image_quality"]
    ctx.store.update("tasks", task["id"], changes)
    ctx.state.uploads.pop(task["id"], None)
    processing.start(ctx.state, task["id"], files, params)
    return json_response({"rq_id": rq}, 202)


async def upload(ctx: Ctx) -> Response:
    """``POST /api/tasks/{id}/data``: every variant of CVAT's upload protocol."""
    task = access.get_task(ctx, ctx.int_param("id"), edit=True)
    headers = ctx.request.headers
    _check_no_data(task)
    finish = "upload-finish" in headers
    if not finish and "upload-start" in headers:
        ctx.state.uploads[task["id"]] = []
        ctx.store.update("tasks", task["id"], {"data_state": "uploading"})
        return Response(status_code=202)
    if not finish and "upload-length" in headers:
        return await _tus_create(ctx, task)
    if not finish and "upload-multiple" in headers:
        if task["id"] not in ctx.state.uploads:
            raise ApiError(400, ["Upload-Multiple without Upload-Start"])
        _fields, saved = await _read_form(ctx)
        ctx.state.uploads[task["id"]].extend(saved)
        return Response(status_code=200)
    fields, saved = await _read_form(ctx)
    files = ctx.state.uploads.get(task["id"], []) + saved
    files += [name for name in ctx.state.tus_done.pop(task["id"], []) if name not in files]
    params = _params(ctx, task, fields)
    params.setdefault("upload_file_order", files)
    return _queue(ctx, task, list(dict.fromkeys(files)), params)


async def _tus_create(ctx: Ctx, task: Any) -> Response:
    headers = ctx.request.headers
    length = as_int(headers.get("upload-length", ""), "Upload-Length", 0)
    meta = {}
    for item in headers.get("upload-metadata", "").split(","):
        key, _, value = item.strip().partition(" ")
        if key:
            meta[key] = base64.b64decode(value).decode() if value else ""
    name = _safe_name(meta.get("filename", ""))
    file_id = secrets.token_hex(8)
    raw_dir = ctx.state.task_dir(task["id"]) / "raw"
    raw_dir.mkdir(parents=True, exist_ok=True)
    if (raw_dir / name).exists():
        return Response(
            "File with same name already exists",
            status_code=409,
            headers={"Tus-Resumable": "1.0.0"},
        )
    (raw_dir / name).write_bytes(b"")
    ctx.state.tus[file_id] = {"task": task["id"], "name": name, "length": length, "offset": 0}
    location = ctx.url(f"/api/tasks/{task['id']}/data/{file_id}")
    return Response(
        status_code=201,
        headers={"Location": location, "Upload-Filename": name, "Tus-Resumable": "1.0.0"},
    )


async def tus_chunk(ctx: Ctx) -> Response:
    """``PATCH``/``HEAD`` on a TUS upload: append bytes at ``Upload-Offset`` / report it."""
    task = access.get_task(ctx, ctx.int_param("id"), edit=True)
    upload_state = ctx.state.tus.get(ctx.path_params["file_id"])
    if upload_state is None or upload_state["task"] != task["id"]:
        raise page_not_found()
    common = {"Tus-Resumable": "1.0.0", "Upload-Length": str(upload_state["length"])}
    if ctx.request.method == "HEAD":
        return Response(
            status_code=200, headers={**common, "Upload-Offset": str(upload_state["offset"])}
        )
    offset = as_int(ctx.request.headers.get("upload-offset", ""), "Upload-Offset", 0)
    if offset != upload_state["offset"]:
        return Response(
            status_code=409, headers={**common, "Upload-Offset": str(upload_state["offset"])}
        )
    body = await ctx.request.body()
    if offset + len(body) > upload_state["length"]:
        raise ApiError(413, "The upload is longer than its declared Upload-Length.")
    path = ctx.state.task_dir(task["id"]) / "raw" / upload_state["name"]
    with open(path, "r+b") as out:
        out.seek(offset)
        out.write(body)
    upload_state["offset"] = offset + len(body)
    if upload_state["offset"] == upload_state["length"]:
        ctx.state.tus_done.setdefault(task["id"], []).append(upload_state["name"])
        ctx.state.tus.pop(ctx.path_params["file_id"], None)
    return Response(
        status_code=204, headers={**common, "Upload-Offset": str(upload_state["offset"])}
    )


# ------------------------------------------------------------------ meta
def _info(task: Any) -> dict[str, Any]:
    if task["data_state"] != "finished" or not task["media"]:
        raise ApiError(400, ["The task has no data yet"])
    return json.loads(task["media"])


def _meta(task: Any, lo: int, hi: int) -> dict[str, Any]:
    info = _info(task)
    if info["kind"] == "video":
        frames = [
            {
                "width": info["width"],
                "height": info["height"],
                "name": info["video"],
                "related_files": 0,
                "has_related_context": False,
            }
        ]
    else:
        frames = []
        for frame in range(lo, hi + 1):
            index = processing.source_frame(info, frame)
            width, height = info["sizes"][index]
            frames.append(
                {
                    "width": width,
                    "height": height,
                    "name": info["files"][index],
                    "related_files": 0,
                    "has_related_context": False,
                }
            )
    return {
        "chunks_updated_date": info["chunks_updated_date"],
        "chunk_size": info["chunk_size"],
        "size": hi - lo + 1,
        "image_quality": task["image_quality"],
        "start_frame": processing.source_frame(info, lo),
        "stop_frame": processing.source_frame(info, hi),
        "frame_filter": info["frame_filter"],
        "frames": frames,
        "deleted_frames": sorted(f for f in info["deleted_frames"] if lo <= f <= hi),
        "included_frames": None,
        "storage": "local",
        "cloud_storage_id": None,
        "chapters": None,
    }


async def task_meta(ctx: Ctx) -> Response:
    method = ctx.request.method
    task = access.get_task(ctx, ctx.int_param("id"), edit=method != "GET")
    if method == "PATCH":
        info = _info(task)
        data = await ctx.json_object()
        deleted = _deleted_frames(data.get("deleted_frames", info["deleted_frames"]), task["size"])
        info["deleted_frames"] = deleted
        ctx.store.update("tasks", task["id"], {"media": dumps(info), "updated_date": now()})
        task = ctx.store.one("SELECT * FROM tasks WHERE id = ?", (task["id"],))
        # CVAT answers a PATCH with the frames in the order given; a GET sorts them
        return json_response({**_meta(task, 0, task["size"] - 1), "deleted_frames": deleted})
    return json_response(_meta(task, 0, task["size"] - 1))


def _deleted_frames(value: Any, size: int) -> list[int]:
    """``deleted_frames`` checked as CVAT 2.73's ``DataMetaWriteSerializer``."""
    if not isinstance(value, list):
        raise field_error(
            "deleted_frames", f'Expected a list of items but got type "{type(value).__name__}".'
        )
    errors = {
        str(i): ["A valid integer is required."]
        if not isinstance(f, int) or isinstance(f, bool)
        else ["Ensure this value is greater than or equal to 0."]
        for i, f in enumerate(value)
        if not isinstance(f, int) or isinstance(f, bool) or f < 0
    }
    if errors:
        raise ApiError(400, {"deleted_frames": errors})
    if len(set(value)) != len(value):
        raise field_error("deleted_frames", "Deleted frames cannot repeat")
    unknown = [str(f) for f in sorted(set(value).difference(range(size)))]
    if unknown:
        shown = ", ".join(unknown[:10])
        more = f" (and {len(unknown) - 10} more)" if len(unknown) > 10 else ""
        raise field_error("deleted_frames", f"Unknown frames {shown}{more} requested for removal")
    return value


async def job_meta(ctx: Ctx) -> Response:
    job, task = access.get_job(ctx, ctx.int_param("id"))
    return json_response(_meta(task, job["start_frame"], job["stop_frame"]))


# ------------------------------------------------------------------ frames and chunks
def _images(
    ctx: Ctx, task: Any, info: dict[str, Any], frames: list[int]
) -> list[media.Image.Image]:
    raw_dir = ctx.state.task_dir(task["id"]) / "raw"
    if info["kind"] == "video":
        index = media.video_index(raw_dir / info["video"])
        return index.frames([processing.source_frame(info, f) for f in frames])
    return [media.open_upright(processing.frame_file(info, raw_dir, frame)) for frame in frames]


def _frame(ctx: Ctx, task: Any, info: dict[str, Any], frame: int, quality: str) -> Response:
    raw_dir = ctx.state.task_dir(task["id"]) / "raw"
    if info["kind"] == "image" and quality == "original":
        path = processing.frame_file(info, raw_dir, frame)
        return Response(path.read_bytes(), media_type=media.image_mime(path.name))
    image = _images(ctx, task, info, [frame])[0]
    if quality == "original":
        return Response(media.encode_image(image, "PNG", 100), media_type="image/png")
    return Response(
        media.encode_image(image, "JPEG", task["image_quality"]), media_type="image/jpeg"
    )


def _chunk(
    ctx: Ctx, task: Any, info: dict[str, Any], frames: list[int], quality: str, key: str
) -> Response:
    video = info["kind"] == "video"
    as_video = video and (quality == "original" or not info["use_zip_chunks"])
    cache = (
        ctx.state.task_dir(task["id"]) / "cache" / f"{key}-{quality}.{'mp4' if as_video else 'zip'}"
    )
    media_type = "video/mp4" if as_video else "application/zip"
    if cache.exists():
        return Response(cache.read_bytes(), media_type=media_type)
    raw_dir = ctx.state.task_dir(task["id"]) / "raw"
    if as_video:
        level = 100 if quality == "original" else task["image_quality"]
        data = media.video_chunk(_images(ctx, task, info, frames), level)
    elif not video and quality == "original":
        items = []
        for i, frame in enumerate(frames):
            path = processing.frame_file(info, raw_dir, frame)
            items.append((f"{i:06d}{path.suffix.lower()}", path.read_bytes()))
        data = media.zip_chunk(items)
    else:
        images = _images(ctx, task, info, frames)
        data = media.zip_chunk(
            [
                (f"{i:06d}.jpeg", media.encode_image(image, "JPEG", task["image_quality"]))
                for i, image in enumerate(images)
            ]
        )
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_bytes(data)
    return Response(data, media_type=media_type)


def _data_query(ctx: Ctx, *, job: bool = False) -> tuple[str, str, int | None, int | None]:
    """``type``, ``quality``, ``number`` and ``index`` checked in CVAT's order and words."""
    query = ctx.query
    kind, quality = query.get("type"), query.get("quality", "compressed")
    number, index = query.get("number"), query.get("index") if job else None
    if kind not in ("frame", "chunk", "preview", "context_image"):
        raise ApiError(400, ["Data type not specified or has wrong value"])
    if kind == "chunk" and job:
        if number is None and index is None:
            raise ApiError(400, ["Number or Index is not specified"])
        if number is not None and index is not None:
            raise ApiError(400, ["Number and Index cannot be used together"])
    elif kind in ("chunk", "frame") and number is None:
        raise ApiError(400, ["Number is not specified"])
    if kind != "context_image" and quality not in ("original", "compressed"):
        raise ApiError(400, ["Wrong quality value"])
    return kind, quality, _number(number), _number(index)


def _number(raw: str | None) -> int | None:
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError:
        raise server_error() from None  # CVAT calls int() on it unchecked


def _range_error(what: str, number: int, lo: int, hi: int) -> ApiError:
    return BareError(
        400, f"Invalid {what} '{number}'. The {what} number should be in the [{lo}, {hi}] range"
    )


async def task_data(ctx: Ctx) -> Response:
    task = access.get_task(ctx, ctx.int_param("id"))
    kind, quality, number, _index = _data_query(ctx)
    if task["data_state"] == "none":
        raise BareError(404, "Task has no media")
    info = _info(task)
    size = task["size"]
    if kind == "preview":
        return Response(media.thumbnail(_images(ctx, task, info, [0])[0]), media_type="image/jpeg")
    if kind == "context_image":
        raise not_found()
    assert number is not None
    if kind == "frame":
        if not 0 <= number < size:
            raise _range_error("frame", number, 0, size - 1)
        return _frame(ctx, task, info, number, quality)
    chunks = -(-size // info["chunk_size"])
    if not 0 <= number < chunks:
        raise _range_error("chunk", number, 0, chunks - 1)
    first = number * info["chunk_size"]
    frames = list(range(first, min(first + info["chunk_size"], size)))
    return _chunk(ctx, task, info, frames, quality, f"task-{number}")


async def job_data(ctx: Ctx) -> Response:
    job, task = access.get_job(ctx, ctx.int_param("id"))
    kind, quality, number, index = _data_query(ctx, job=True)
    info = _info(task)
    lo, hi = job["start_frame"], job["stop_frame"]
    if kind == "preview":
        return Response(media.thumbnail(_images(ctx, task, info, [lo])[0]), media_type="image/jpeg")
    if kind == "context_image":
        raise not_found()
    if kind == "frame":
        assert number is not None
        if not lo <= number <= hi:
            raise _range_error("frame", number, lo, hi)
        return _frame(ctx, task, info, number, quality)
    index = index if index is not None else number
    assert index is not None
    chunks = -(-(hi - lo + 1) // info["chunk_size"])
    if not 0 <= index < chunks:
        raise _range_error("chunk", index, 0, chunks - 1)
    first = lo + index * info["chunk_size"]
    frames = list(range(first, min(first + info["chunk_size"], hi + 1)))
    return _chunk(ctx, task, info, frames, quality, f"job-{job['id']}-{index}")


async def preview(ctx: Ctx) -> Response:
    """``/api/{tasks,jobs,projects}/{id}/preview``: a thumbnail of the first frame."""
    path = ctx.request.url.path
    if path.startswith("/api/jobs/"):
        job, task = access.get_job(ctx, ctx.int_param("id"))
        first = job["start_frame"]
    elif path.startswith("/api/projects/"):
        project = access.get_project(ctx, ctx.int_param("id"))
        # as CVAT: the project's newest task, with media or not
        task = ctx.store.one(
            "SELECT * FROM tasks WHERE project_id = ? ORDER BY id DESC", (project["id"],)
        )
        if task is None:
            raise PageError(404, "Project image preview not found")
        first = 0
    else:
        task = access.get_task(ctx, ctx.int_param("id"))
        first = 0
    if task["data_state"] != "finished":
        raise BareError(404, "Task has no media")
    image = _images(ctx, task, json.loads(task["media"]), [first])[0]
    return Response(media.thumbnail(image), media_type="image/jpeg")
