"""Media upload to a CVAT task, the way CVAT's own SDK sends it, then waiting for processing.

Files are streamed from disk, never held in memory as a whole task: small
files travel in multipart groups under ``max_request_size`` (``Upload-Multiple``),
files larger than that go through TUS in chunks; the exchange is framed by
``Upload-Start`` / ``Upload-Finish``, the latter carrying the task's data
options and the file order. The server then processes the media in the
background; :func:`wait_for_request` polls its status API with a deadline and
reports the server's own error message.
"""

from __future__ import annotations

import base64
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from labelloop.cvat.client import CVATClient
from labelloop.cvat.errors import (
    CVATBadRequest,
    CVATCancelled,
    CVATError,
    CVATRequestFailed,
    CVATTimeoutError,
    CVATUploadError,
)

logger = logging.getLogger(__name__)

MAX_REQUEST_SIZE = 100 * 2**20
#: Files per multipart request; bounds the file handles open at once.
MAX_GROUP_FILES = 100
TUS_CHUNK_SIZE = 10 * 2**20
_TUS_MAX_ERRORS = 3
_TUS_MIN_CHUNK = 64 * 2**10


@dataclass(frozen=True)
class DataOptions:
    """Task data options sent with ``Upload-Finish``."""

    image_quality: int = 75
    use_cache: bool = True
    use_zip_chunks: bool = True
    chunk_size: int | None = None
    start_frame: int | None = None
    stop_frame: int | None = None
    frame_step: int | None = None

    def __post_init__(self) -> None:
        if not 1 <= int(self.image_quality) <= 100:
            raise ValueError(f"image_quality must be in [1, 100], got {self.image_quality}")
        if self.chunk_size is not None and int(self.chunk_size) < 1:
            raise ValueError(f"chunk_size must be a positive int, got {self.chunk_size}")
        if self.frame_step is not None and int(self.frame_step) < 1:
            raise ValueError(f"frame_step must be >= 1, got {self.frame_step}")
        for name in ("start_frame", "stop_frame"):
            value = getattr(self, name)
            if value is not None and int(value) < 0:
                raise ValueError(f"{name} must be >= 0, got {value}")

    def fields(self) -> dict[str, Any]:
        """The options as CVAT's ``DataRequest`` JSON fields (ints and booleans, not text)."""
        out: dict[str, Any] = {
            "image_quality": int(self.image_quality),
            "use_cache": bool(self.use_cache),
            "use_zip_chunks": bool(self.use_zip_chunks),
        }
        if self.chunk_size:
            out["chunk_size"] = int(self.chunk_size)
        if self.start_frame is not None:
            out["start_frame"] = int(self.start_frame)
        if self.stop_frame is not None:
            out["stop_frame"] = int(self.stop_frame)
        if self.frame_step is not None:
            out["frame_filter"] = f"step={int(self.frame_step)}"
        return out


def unique_names(paths: Sequence[str | os.PathLike[str]]) -> list[str]:
    """Basenames of ``paths``, made unique by suffixing ``-<n>`` before the extension.

    The first occurrence keeps its name, so single uploads look exactly like
    the files on disk; later duplicates become ``name-1.jpg``, ``name-2.jpg``...
    """
    taken: set[str] = set()
    out: list[str] = []
    for path in paths:
        name = os.path.basename(os.fspath(path))
        candidate, n = name, 0
        stem, ext = os.path.splitext(name)
        while candidate in taken:
            n += 1
            candidate = f"{stem}-{n}{ext}"
        taken.add(candidate)
        out.append(candidate)
    return out


@dataclass(frozen=True)
class UploadPlan:
    """How files travel: multipart groups (by index) and files sent alone through TUS."""

    groups: list[list[int]]
    tus: list[int]
    total_bytes: int


def plan_upload(
    sizes: Sequence[int],
    max_request_size: int = MAX_REQUEST_SIZE,
    max_files: int = MAX_GROUP_FILES,
) -> UploadPlan:
    """Group small files under ``max_request_size`` (at most ``max_files`` per group);
    larger ones go through TUS.

    Groups keep the original order so the server receives files in sample order.
    """
    if max_request_size < 1 or max_files < 1:
        raise ValueError(
            f"max_request_size and max_files must be positive, got {max_request_size}, {max_files}"
        )
    groups: list[list[int]] = []
    tus: list[int] = []
    current: list[int] = []
    current_size = 0
    for i, size in enumerate(sizes):
        if size > max_request_size:
            tus.append(i)
            continue
        if current and (current_size + size > max_request_size or len(current) >= max_files):
            groups.append(current)
            current, current_size = [], 0
        current.append(i)
        current_size += size
    if current:
        groups.append(current)
    return UploadPlan(groups=groups, tus=tus, total_bytes=sum(sizes))


def upload_media(
    client: CVATClient,
    task_id: int,
    paths: Sequence[str | os.PathLike[str]],
    options: DataOptions | None = None,
    *,
    names: Sequence[str] | None = None,
    max_request_size: int = MAX_REQUEST_SIZE,
    progress: Callable[[int], None] | None = None,
) -> str | None:
    """Send ``paths`` to the task's ``/data`` endpoint; return the server's request id.

    ``names`` are the file names the server sees (default: unique basenames);
    the files keep the order of ``paths`` in the task. ``progress`` is called
    with the number of bytes sent after each request. Returns ``None`` for
    servers that predate background request ids.
    """
    if not paths:
        raise ValueError("paths is empty: a CVAT task needs at least one media file")
    options = options or DataOptions()
    names = list(names) if names is not None else unique_names(paths)
    if len(names) != len(paths) or len(set(names)) != len(names):
        raise ValueError("names must be unique and as many as paths")
    missing = [os.fspath(p) for p in paths if not os.path.isfile(p)]
    if missing:
        raise ValueError(
            f"{len(missing)} media file(s) do not exist, e.g. {missing[0]!r}; "
            "check the samples' media field"
        )
    sizes = [os.path.getsize(p) for p in paths]
    plan = plan_upload(sizes, max_request_size)
    url = f"/api/tasks/{int(task_id)}/data/"
    logger.debug(
        "Uploading %d files (%d bytes) to task %s in %d group(s) and %d TUS upload(s)",
        len(paths),
        plan.total_bytes,
        task_id,
        len(plan.groups),
        len(plan.tus),
    )
    client.request("POST", url, headers={"Upload-Start": "true"}, idempotent=True)
    pending = list(plan.groups)
    tus = list(plan.tus)
    while pending:
        group = pending.pop(0)
        try:
            client.request(
                "POST",
                url,
                headers={"Upload-Multiple": "true"},
                data={"image_quality": str(int(options.image_quality))},
                files=_group_opener([(names[i], paths[i]) for i in group]),
                idempotent=True,  # re-sending a file overwrites the same upload slot
            )
        except CVATBadRequest as err:
            if err.status != 413:
                raise
            # the server's body limit is lower than ours: halve the group, or send one
            # file alone through TUS in chunks
            logger.info("Request of %d file(s) too large for the server; splitting", len(group))
            if len(group) == 1:
                tus.append(group[0])
            else:
                half = len(group) // 2
                pending[:0] = [group[:half], group[half:]]
            continue
        if progress:
            progress(sum(sizes[i] for i in group))
    for i in tus:
        _upload_tus(client, url, Path(paths[i]), names[i])
        if progress:
            progress(sizes[i])
    fields: dict[str, Any] = dict(options.fields())
    if client.features.predefined_sorting:
        fields["sorting_method"] = "predefined"
        fields["upload_file_order"] = list(names)
    # CVAT parses this body as JSON or multipart only: a form-encoded one gets 415
    response = client.request(
        "POST", url, headers={"Upload-Finish": "true"}, json=fields, expected=(200, 201, 202)
    )
    body = response.json() if response.content else {}
    rq_id = body.get("rq_id") if isinstance(body, dict) else None
    return str(rq_id) if rq_id else None


def _group_opener(items: Iterable[tuple[str, Any]]) -> Callable[[], dict[str, Any]]:
    items = list(items)

    def open_group() -> dict[str, Any]:
        return {
            f"client_files[{k}]": (name, open(path, "rb"))  # noqa: SIM115 - closed by the client
            for k, (name, path) in enumerate(items)
        }

    return open_group


def _upload_tus(client: CVATClient, url: str, path: Path, name: str) -> None:
    """Send one large file through TUS, resuming from the server's offset after errors.

    Chunks shrink (down to 64 KiB) while the server answers 413, so servers with
    a small request-body limit still receive big files.
    """
    length = path.stat().st_size
    metadata = f"filename {base64.b64encode(name.encode()).decode()}"
    tus = {"Tus-Resumable": "1.0.0"}
    created = client.request(
        "POST",
        url,
        headers={**tus, "Upload-Length": str(length), "Upload-Metadata": metadata},
        expected=(201,),
    )
    location = created.headers.get("Location")
    if not location:
        raise CVATUploadError(f"The server sent no Location for the TUS upload of {name!r}")
    file_url = client.absolute_path(location)
    offset, errors, chunk_size = 0, 0, TUS_CHUNK_SIZE
    with open(path, "rb") as handle:
        while offset < length:
            handle.seek(offset)
            chunk = handle.read(chunk_size)
            try:
                response = client.request(
                    "PATCH",
                    file_url,
                    content=chunk,
                    headers={
                        **tus,
                        "Upload-Offset": str(offset),
                        "Content-Type": "application/offset+octet-stream",
                    },
                    expected=(200, 204),
                )
                new_offset = int(response.headers.get("Upload-Offset", -1))
                if new_offset < offset + len(chunk):
                    raise CVATUploadError(
                        f"TUS upload of {name!r}: the server reported offset {new_offset} "
                        f"after a chunk ending at {offset + len(chunk)}"
                    )
            except CVATError as err:
                if err.status == 413 and chunk_size > _TUS_MIN_CHUNK:
                    chunk_size = max(chunk_size // 2, _TUS_MIN_CHUNK)
                    continue
                if isinstance(err, CVATUploadError) or (
                    err.status is not None and err.status < 500 and err.status != 409
                ):
                    raise
                errors += 1
                logger.warning("TUS chunk of %r failed (%s); resuming", name, err)
                if errors >= _TUS_MAX_ERRORS:
                    raise CVATUploadError(
                        f"TUS upload of {name!r} failed {errors} times; last error: {err}"
                    ) from err
                head = client.request("HEAD", file_url, headers=tus)
                new_offset = int(head.headers.get("Upload-Offset", offset))
            if not 0 <= new_offset <= length:
                raise CVATUploadError(f"TUS upload of {name!r}: invalid offset {new_offset}")
            offset = new_offset


def wait_for_request(
    client: CVATClient,
    rq_id: str | None,
    *,
    task_id: int | None = None,
    timeout: float = 600.0,
    poll_interval: float = 0.1,
    max_interval: float = 1.0,
    cancel: threading.Event | None = None,
) -> dict[str, Any]:
    """Poll a background request until it finishes; raise with the server's message if not.

    Uses ``/api/requests/<rq_id>``; servers without request ids are polled at
    the deprecated ``/api/tasks/<id>/status``. Polling starts fast and slows
    down geometrically up to ``max_interval``; after ``timeout`` seconds a
    :class:`CVATTimeoutError` is raised instead of waiting forever, and as soon
    as ``cancel`` is set a :class:`CVATCancelled`.
    """
    if rq_id is None and task_id is None:
        raise ValueError("wait_for_request needs rq_id or task_id")
    deadline = time.monotonic() + timeout
    interval = poll_interval
    path = f"/api/requests/{rq_id}" if rq_id else f"/api/tasks/{int(task_id)}/status"
    while True:
        status = client.get_json(path)
        state = str(status.get("status") or status.get("state") or "").lower()
        if state == "finished":
            return status
        if state == "failed":
            message = status.get("message") or "no message from the server"
            what = f"task {task_id}" if task_id is not None else f"request {rq_id}"
            raise CVATRequestFailed(
                f"The server failed to process the media of {what}: {message}",
                server_message=str(message),
                path=path,
            )
        if time.monotonic() + interval > deadline:
            raise CVATTimeoutError(
                f"The server did not finish processing {path} within {timeout:.0f}s "
                f"(last status {state!r}); raise the timeout or check the server's workers",
                path=path,
            )
        if cancel is None:
            time.sleep(interval)
        elif cancel.wait(interval):
            raise CVATCancelled(f"Stopped waiting for {path}: the run was abandoned", path=path)
        interval = min(interval * 1.5, max_interval)
