"""Every media file of a run read on disk before anything is created on the server.

CVAT refuses a file it cannot decode only after the task exists and the
upload was processed, with its own path for the file and no sample id. So the
upload first reads the header of every file it will send (in parallel, with a
progress bar on large runs) and refuses the run with one error naming each bad
sample and path. The headers also fill the ``metadata`` of uploaded samples
that have none yet, as users read ``metadata.width``/``frame_width`` afterwards
to convert boxes.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from labelloop.core.metadata import ImageMetadata, VideoMetadata
from labelloop.media.metadata import image_metadata, video_metadata
from labelloop.progress import bar

logger = logging.getLogger(__name__)

#: Runs with at least this many files show a progress bar while headers are read.
PROGRESS_MIN_FILES = 200
_SHOWN_PROBLEMS = 10


def media_path(sample: Any, media_field: str) -> str:
    """The existing media file ``media_field`` of ``sample`` names (else a clear error)."""
    path = sample.get_field(media_field) if sample.has_field(media_field) else None
    if not isinstance(path, str) or not path:
        raise ValueError(
            f"Sample {sample.id} has no media path in field {media_field!r}; set "
            "media_field to the field holding the files to upload"
        )
    return path


def _workers() -> int:
    return min(16, 4 * (os.cpu_count() or 1))


def _read(path: str, media_type: str) -> dict[str, Any] | str:
    """The file's header as metadata, or why it cannot be uploaded."""
    if not os.path.isfile(path):
        return "the file does not exist"
    try:
        if media_type == "video":
            header = video_metadata(path)
            if not header.get("total_frame_count"):
                return "the video has no frames"
            return header
        return image_metadata(path)
    except Exception as err:  # any decoder failure means CVAT would refuse it too
        kind = "a video" if media_type == "video" else "an image"
        return f"not {kind} that can be read ({type(err).__name__}: {err})"


def read_headers(
    items: Sequence[tuple[str, str]], media_type: str, media_field: str = "filepath"
) -> dict[str, dict[str, Any]]:
    """``{sample_id: header}`` for ``(sample_id, path)`` items; a ``ValueError`` naming
    every sample whose file is missing or unreadable, before any request is made."""
    pool = ThreadPoolExecutor(max_workers=_workers())
    try:
        found = pool.map(lambda item: _read(item[1], media_type), items)
        headers = list(
            bar(
                found,
                total=len(items),
                desc="Checking media",
                unit="file",
                show=len(items) >= PROGRESS_MIN_FILES,
            )
        )
    finally:  # on Ctrl-C, files not read yet are not waited for
        pool.shutdown(wait=True, cancel_futures=True)
    problems = [
        (sample_id, path, header)
        for (sample_id, path), header in zip(items, headers)
        if isinstance(header, str)
    ]
    if problems:
        lines = [f"  sample {s}: {p!r}: {why}" for s, p, why in problems[:_SHOWN_PROBLEMS]]
        if len(problems) > _SHOWN_PROBLEMS:
            lines.append(f"  ... and {len(problems) - _SHOWN_PROBLEMS} more")
        raise ValueError(
            f"{len(problems)} of {len(items)} media files (field {media_field!r}) cannot be "
            "uploaded; nothing was created on the server:\n"
            + "\n".join(lines)
            + "\nFix or replace these files, or leave their samples out of the run "
            "(e.g. dataset.exclude([...]))"
        )
    return {sample_id: header for (sample_id, _), header in zip(items, headers)}  # type: ignore[misc]


def fill_metadata(samples: Any, rows: Sequence[Any], media_type: str, media_field: str) -> None:
    """Store the metadata of uploaded samples that had none (``rows`` carry ``sample_id``,
    ``header`` and ``needs_metadata``).

    With ``media_field="filepath"`` the headers read by the check are used;
    alternate media are other files, so the samples' own files are read then.
    """
    # one row per sample (clips of one video share it)
    missing = list({row.sample_id: row for row in rows if row.needs_metadata}.values())
    if not missing:
        return
    ids = [row.sample_id for row in missing]
    dataset = samples.dataset
    if media_field != "filepath":
        dataset.select(ids).compute_metadata()
        return
    cls = VideoMetadata if media_type == "video" else ImageMetadata
    dataset.select(ids, ordered=True).set_values("metadata", [cls(**row.header) for row in missing])
    logger.debug("Computed the metadata of %d uploaded samples", len(missing))
