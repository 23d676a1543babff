"""Media for ``import_annotations``: matching CVAT file names to local files, downloading.

CVAT names a task's frames by the uploaded file name, which may carry folders
(``a/img.jpg``). A name is matched to the local file whose path ends with it;
a bare basename found in several folders is *ambiguous* and is reported, never
guessed. Missing media can be downloaded in parallel: image frames one request
each, videos as their original-quality chunks decoded and re-encoded into one
MP4 with PyAV (CVAT offers no download of the original video file; image-set
chunks, zips of frames, are read too).
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from fractions import Fraction
from io import BytesIO
from typing import Any

import av
from PIL import Image

from labelloop.progress import bar

logger = logging.getLogger(__name__)

FOUND, MISSING, AMBIGUOUS = "found", "missing", "ambiguous"
#: largest inflated size of one frame in an image-set chunk (a 16k x 16k RGBA frame is 1 GiB)
MAX_CHUNK_MEMBER_BYTES = 2**30


def _norm(name: str) -> str:
    return str(name).replace("\\", "/").lstrip("./").strip("/")


class MediaIndex:
    """Local media by CVAT file name: exact keys first, then a unique path-suffix match."""

    def __init__(self, entries: Iterable[tuple[str, str]]) -> None:
        self._exact: dict[str, str] = {}
        self._by_base: dict[str, list[tuple[str, str]]] = {}
        for key, path in entries:
            key = _norm(key)
            self._exact.setdefault(key, path)
            self._by_base.setdefault(os.path.basename(key), []).append((key, path))

    @classmethod
    def from_data_path(cls, data_path: Any, collection_paths: Iterable[str]) -> MediaIndex:
        """The index ``data_path`` describes (``None``: the collection's own files)."""
        if data_path is None:
            return cls((p, p) for p in collection_paths)
        if isinstance(data_path, Mapping):
            return cls((str(k), os.path.abspath(str(v))) for k, v in data_path.items())
        if str(data_path).endswith(".json"):
            with open(data_path, encoding="utf-8") as handle:
                manifest = json.load(handle)
            if not isinstance(manifest, dict):
                raise ValueError(
                    f"data_path={data_path!r} must hold a JSON object {{cvat name: local path}}"
                )
            base = os.path.dirname(os.path.abspath(data_path))
            return cls((str(k), os.path.join(base, str(v))) for k, v in manifest.items())
        root = os.path.abspath(str(data_path))
        entries = []
        for folder, _dirs, names in os.walk(root):
            for name in names:
                path = os.path.join(folder, name)
                entries.append((os.path.relpath(path, root), path))
        return cls(entries)

    def resolve(self, name: str) -> tuple[str, str | list[str] | None]:
        """``(FOUND, path)``, ``(AMBIGUOUS, [paths])`` or ``(MISSING, None)`` for ``name``."""
        name = _norm(name)
        if name in self._exact:
            return FOUND, self._exact[name]
        candidates = [
            path
            for key, path in self._by_base.get(os.path.basename(name), ())
            if key == name or key.endswith("/" + name)
        ]
        if len(candidates) == 1:
            return FOUND, candidates[0]
        if candidates:
            return AMBIGUOUS, sorted(candidates)
        return MISSING, None


def download_target(data_path: str, name: str) -> str:
    """Where a downloaded file named ``name`` goes: under ``data_path``, never outside it."""
    parts = [p for p in _norm(name).split("/") if p not in ("", ".", "..")]
    if not parts:
        raise ValueError(f"CVAT file name {name!r} has no usable file name")
    return os.path.join(os.path.abspath(data_path), *parts)


@dataclass(frozen=True)
class MediaDownload:
    """One file to fetch: an image frame (``frame``) or a whole video task (``frame=None``)."""

    task_id: int
    frame: int | None
    target: str
    chunks: int = 0


def download_all(
    api: Any, downloads: list[MediaDownload], num_workers: int | None, progress: bool = True
) -> dict[MediaDownload, str]:
    """Fetch every download in a pool of ``num_workers`` threads; failures map to a message."""
    failures: dict[MediaDownload, str] = {}
    if not downloads:
        return failures
    workers = num_workers or min(8, len(downloads))

    def fetch(item: MediaDownload) -> None:
        try:
            if item.frame is None:
                _download_video(api, item)
            else:
                _download_frame(api, item)
        except Exception as err:  # reported per file; one bad frame must not stop the rest
            failures[item] = f"{type(err).__name__}: {err}"

    with ThreadPoolExecutor(max_workers=workers) as pool:
        with bar(total=len(downloads), desc="Downloading media", show=progress) as shown:
            for _ in pool.map(fetch, downloads):
                shown.update()
    return failures


def _write_atomically(target: str, write: Any) -> None:
    os.makedirs(os.path.dirname(target), exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=os.path.dirname(target), suffix=".part")
    os.close(handle)
    try:
        write(tmp)
        os.replace(tmp, target)
    except BaseException:
        os.unlink(tmp)
        raise


def _download_frame(api: Any, item: MediaDownload) -> None:
    content = api.get(api.task_data_download_url(item.task_id, int(item.frame))).content

    def write(path: str) -> None:
        with open(path, "wb") as handle:
            handle.write(content)

    _write_atomically(item.target, write)


def _download_video(api: Any, item: MediaDownload) -> None:
    """Decode the task's original-quality chunks in order and encode them as one MP4."""
    chunks = [
        api.get(api.task_data_download_url(item.task_id, n, data_type="chunk")).content
        for n in range(item.chunks)
    ]

    def write(path: str) -> None:
        with av.open(path, "w", format="mp4") as out:
            stream = None
            for data in chunks:
                for frame, rate in _chunk_frames(data):
                    if stream is None:
                        stream = out.add_stream("libx264", rate=rate or Fraction(25))
                        stream.width = frame.width - frame.width % 2
                        stream.height = frame.height - frame.height % 2
                        stream.pix_fmt = "yuv420p"
                        stream.options = {"crf": "17"}
                    image = frame.reformat(
                        width=stream.width, height=stream.height, format="yuv420p"
                    )
                    image.pts = None
                    out.mux(stream.encode(image))
            if stream is None:
                raise ValueError(f"task {item.task_id} returned no video frames")
            out.mux(stream.encode(None))

    _write_atomically(item.target, write)


def _chunk_frames(data: bytes) -> Iterator[tuple[av.VideoFrame, Fraction | None]]:
    """Frames of one chunk: a video chunk decoded, or an image-set (zip) chunk in name order."""
    if data[:2] == b"PK":
        with zipfile.ZipFile(BytesIO(data)) as archive:
            members = sorted(archive.infolist(), key=lambda info: info.filename)
            for info in members:
                # zipfile never inflates past the declared size: checking it stops zip bombs
                if info.file_size > MAX_CHUNK_MEMBER_BYTES:
                    raise ValueError(
                        f"Chunk member {info.filename!r} would inflate to {info.file_size} bytes "
                        f"(limit {MAX_CHUNK_MEMBER_BYTES}); refusing a possible zip bomb"
                    )
            for info in members:
                with Image.open(BytesIO(archive.read(info))) as image:
                    yield av.VideoFrame.from_image(image.convert("RGB")), None
        return
    with av.open(BytesIO(data)) as source:
        video = source.streams.video[0]
        for frame in source.decode(video):
            yield frame, video.average_rate
