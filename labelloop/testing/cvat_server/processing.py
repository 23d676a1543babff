"""Turning uploaded files into a task's frames, segments and jobs, in the background.

Mirrors CVAT's task creation: files are sorted (``sorting_method``), the
frame range is cut by ``start_frame``/``stop_frame``/``frame_filter``,
segments of ``segment_size`` frames with ``overlap`` become one annotation
job each, and progress is visible through ``/api/requests``.
"""

from __future__ import annotations

import logging
import random
import re
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from labelloop.testing.cvat_server import media
from labelloop.testing.cvat_server.store import dumps, now

if TYPE_CHECKING:
    from labelloop.testing.cvat_server.state import ServerState

logger = logging.getLogger(__name__)

SORTING_METHODS = ("lexicographical", "natural", "predefined", "random")


class ProcessingError(Exception):
    """Task data that cannot become frames; the message is shown to the client."""


# CVAT's worker reports the DataSerializer check it runs late, in these words
_NO_QUALITY = (
    "rest_framework.exceptions.ValidationError: [ErrorDetail(string=\"The 'image_quality' "
    "parameter is required for image- and video-based tasks\", code='invalid')]"
)


def request_id(task_id: int) -> str:
    return f"action=create&target=task&target_id={task_id}"


def parse_frame_step(frame_filter: str) -> int:
    if not frame_filter:
        return 1
    match = re.fullmatch(r"step\s*=\s*(\d+)", frame_filter.strip())
    if not match or int(match.group(1)) < 1:
        raise ValueError("Invalid frame filter expression")
    return int(match.group(1))


def _natural_key(name: str) -> list[Any]:
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", name)]


def order_files(names: list[str], method: str, predefined: list[str] | None) -> list[str]:
    if method == "lexicographical":
        return sorted(names)
    if method == "natural":
        return sorted(names, key=_natural_key)
    if method == "random":
        shuffled = list(names)
        random.shuffle(shuffled)
        return shuffled
    if predefined:
        position = {name: i for i, name in enumerate(predefined)}
        return sorted(names, key=lambda n: position.get(n, len(position)))
    return list(names)


def segments(
    size: int, segment_size: int, overlap: int | None, mode: str
) -> tuple[list[tuple[int, int]], int, int]:
    """Segment ranges as CVAT computes them; returns (ranges, segment_size, overlap)."""
    if segment_size == 0 or segment_size > size:
        segment_size = size
    if overlap is None:
        overlap = 5 if size > segment_size and mode == "interpolation" else 0
    overlap = min(overlap, segment_size // 2)
    step = max(segment_size - overlap, 1)
    ranges = [
        (start, min(start + segment_size - 1, size - 1))
        for start in range(0, max(size - overlap, 1), step)
    ]
    return ranges, segment_size, overlap


def process(state: ServerState, task_id: int, files: list[str], params: dict[str, Any]) -> None:
    """Build the task's frames and jobs; record success or failure on the request."""
    store = state.store
    rq = request_id(task_id)
    store.update("requests", rq, {"status": "started", "started_date": now(), "progress": 0.0})
    store.update("tasks", task_id, {"data_state": "started"})
    try:
        time.sleep(state.faults.processing_delay(task_id))
        forced = state.faults.processing_failure(task_id)
        if forced is not None:
            raise ProcessingError(forced)
        _build(state, task_id, files, params)
    except (ProcessingError, media.MediaError, ValueError) as exc:
        logger.info("task %s data processing failed: %s", task_id, exc)
        store.update("tasks", task_id, {"data_state": "failed"})
        store.update(
            "requests", rq, {"status": "failed", "message": str(exc), "finished_date": now()}
        )
        return
    except Exception as exc:  # keep the server up; report like CVAT's worker does
        logger.exception("task %s data processing crashed", task_id)
        store.update("tasks", task_id, {"data_state": "failed"})
        store.update(
            "requests",
            rq,
            {"status": "failed", "message": f"{type(exc).__name__}: {exc}", "finished_date": now()},
        )
        return
    store.update("requests", rq, {"status": "finished", "progress": 1.0, "finished_date": now()})


def _build(state: ServerState, task_id: int, files: list[str], params: dict[str, Any]) -> None:
    store = state.store
    raw_dir = state.task_dir(task_id) / "raw"
    kinds = {name: media.media_kind(name) for name in files}
    unknown = [name for name, kind in kinds.items() if kind is None]
    if not files:
        raise ProcessingError("No media data found")
    if unknown:
        raise ProcessingError(f"File '{unknown[0]}' is not a supported image or video")
    if params.get("image_quality") is None:
        raise ProcessingError(_NO_QUALITY)
    videos = [name for name, kind in kinds.items() if kind == "video"]
    if videos and len(files) > 1:
        raise ProcessingError("Only one video file can be uploaded to a task")
    step = parse_frame_step(params.get("frame_filter", ""))
    start = int(params.get("start_frame", 0))
    info: dict[str, Any] = {
        "image_quality": params["image_quality"],
        "use_zip_chunks": params["use_zip_chunks"],
        "use_cache": params["use_cache"],
        "sorting_method": params["sorting_method"],
        "deleted_frames": [],
        "chunks_updated_date": now(),
    }
    rq = request_id(task_id)
    if videos:
        index = media.video_index(raw_dir / videos[0])
        total = index.frame_count
        if total == 0:
            raise ProcessingError(f"Video '{videos[0]}' has no frames")
        info.update(kind="video", video=videos[0], width=index.width, height=index.height)
        mode = "interpolation"
    else:
        ordered = order_files(files, params["sorting_method"], params.get("upload_file_order"))
        sizes = []
        for i, name in enumerate(ordered):
            sizes.append(media.image_size(raw_dir / name))
            if i % 200 == 199:
                store.update("requests", rq, {"progress": round(i / len(ordered) * 0.9, 3)})
        total = len(ordered)
        info.update(kind="image", files=ordered, sizes=sizes)
        mode = "annotation"
    stop = params.get("stop_frame")
    stop = total - 1 if stop is None else min(int(stop), total - 1)
    if start > stop:
        raise ProcessingError(f"start_frame {start} is beyond the last frame {stop}")
    frames = list(range(start, stop + 1, step))
    size = len(frames)
    stop = frames[-1]
    chunk_size = params.get("chunk_size")
    if not chunk_size:
        if mode == "annotation":
            width, height = info["sizes"][frames[0]]
            chunk_size = max(2, min(72, 36 * 1920 * 1080 // max(width * height, 1)))
        else:
            chunk_size = 36
    info.update(
        start_frame=start,
        stop_frame=stop,
        frame_filter=params.get("frame_filter", ""),
        step=step,
        chunk_size=int(chunk_size),
        total=total,
    )
    task = store.one("SELECT * FROM tasks WHERE id = ?", (task_id,))
    if task is None:
        raise ProcessingError("The task was deleted while its data was processed")
    ranges, segment_size, overlap = segments(size, task["segment_size"], task["overlap"], mode)
    stamp = now()
    with store.tx() as conn:
        updated = conn.execute(
            "UPDATE tasks SET size = ?, mode = ?, media = ?, segment_size = ?, overlap = ?, "
            "data_state = 'finished', updated_date = ? WHERE id = ?",
            (size, mode, dumps(info), segment_size, overlap, stamp, task_id),
        ).rowcount
        if not updated:
            raise ProcessingError("The task was deleted while its data was processed")
        conn.executemany(
            "INSERT INTO jobs (task_id, start_frame, stop_frame, stage, state, status, "
            "created_date, updated_date) VALUES (?, ?, ?, 'annotation', 'new', 'annotation', ?, ?)",
            [(task_id, lo, hi, stamp, stamp) for lo, hi in ranges],
        )


def start(state: ServerState, task_id: int, files: list[str], params: dict[str, Any]) -> None:
    """Queue processing on a worker thread, as CVAT's RQ worker would."""
    thread = threading.Thread(
        target=process, args=(state, task_id, files, params), name=f"task-{task_id}", daemon=True
    )
    thread.start()


def source_frame(info: dict[str, Any], frame: int) -> int:
    """Index in the uploaded media of a task frame."""
    return info["start_frame"] + frame * info["step"]


def frame_file(info: dict[str, Any], raw_dir: Path, frame: int) -> Path:
    return raw_dir / info["files"][source_frame(info, frame)]
