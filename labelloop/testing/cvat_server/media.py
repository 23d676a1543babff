"""Reading uploaded media: image sizes, video frame counts, frames and chunks.

Creation stays cheap: image sizes come from file headers (Pillow does not
decode pixels to report a size) and a video's frame count from its container
or, when the container does not say, from demuxing packets without decoding.
Frames and chunks are decoded only when a client asks for them.
"""

from __future__ import annotations

import io
import threading
import zipfile
from collections import OrderedDict
from pathlib import Path

import av
from PIL import Image, ImageOps

IMAGE_EXTENSIONS = {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".gif", ".jfif"}
VIDEO_EXTENSIONS = {".mp4", ".avi", ".mov", ".mkv", ".webm", ".mpg", ".mpeg", ".m4v", ".ts"}
_IMAGE_TYPES = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".jfif": "image/jpeg",
    ".png": "image/png",
    ".bmp": "image/bmp",
    ".webp": "image/webp",
    ".gif": "image/gif",
    ".tif": "image/tiff",
    ".tiff": "image/tiff",
}


class MediaError(ValueError):
    """A file that cannot be read as the media it claims to be."""


def media_kind(name: str) -> str | None:
    """``"image"``, ``"video"`` or None, judged by the file extension."""
    ext = Path(name).suffix.lower()
    if ext in IMAGE_EXTENSIONS:
        return "image"
    if ext in VIDEO_EXTENSIONS:
        return "video"
    return None


_ORIENTATION_TAG = 0x0112


def image_size(path: Path) -> tuple[int, int]:
    """Width and height as displayed: EXIF orientations 5-8 swap them, as CVAT reports."""
    try:
        with Image.open(path) as image:
            width, height = image.size
            if image.getexif().get(_ORIENTATION_TAG, 1) > 4:
                return height, width
            return width, height
    except Exception as exc:  # Pillow raises several unrelated types
        raise MediaError(f"Cannot read image '{path.name}': {exc}") from exc


def open_upright(path: Path) -> Image.Image:
    """A loaded image with its EXIF orientation applied (what compressed frames show)."""
    with Image.open(path) as image:
        return ImageOps.exif_transpose(image)


def image_mime(name: str) -> str:
    return _IMAGE_TYPES.get(Path(name).suffix.lower(), "application/octet-stream")


class VideoIndex:
    """Presentation timestamps of every frame of one video, from its packets."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            with av.open(str(path)) as container:
                stream = container.streams.video[0]
                self.width = stream.codec_context.width
                self.height = stream.codec_context.height
                pts = [
                    packet.pts
                    for packet in container.demux(stream)
                    if packet.size and packet.pts is not None
                ]
        except (av.error.FFmpegError, IndexError) as exc:
            raise MediaError(f"Cannot read video '{path.name}': {exc}") from exc
        self.pts = sorted(pts)

    @property
    def frame_count(self) -> int:
        return len(self.pts)

    def frames(self, indices: list[int]) -> list[Image.Image]:
        """Decode the frames at the given (ascending) indices."""
        wanted = {self.pts[i]: i for i in indices}
        out: dict[int, Image.Image] = {}
        with av.open(str(self.path)) as container:
            stream = container.streams.video[0]
            container.seek(self.pts[indices[0]], stream=stream, backward=True, any_frame=False)
            last = self.pts[indices[-1]]
            for frame in container.decode(stream):
                if frame.pts in wanted:
                    out[wanted[frame.pts]] = frame.to_image()
                if frame.pts is not None and frame.pts >= last:
                    break
        missing = [i for i in indices if i not in out]
        if missing:
            raise MediaError(f"Cannot decode frame {missing[0]} of '{self.path.name}'")
        return [out[i] for i in indices]


_INDEX_CACHE: OrderedDict[Path, VideoIndex] = OrderedDict()
_INDEX_LOCK = threading.Lock()


def video_index(path: Path) -> VideoIndex:
    """A cached :class:`VideoIndex` (few videos are hot at a time)."""
    with _INDEX_LOCK:
        if path in _INDEX_CACHE:
            _INDEX_CACHE.move_to_end(path)
            return _INDEX_CACHE[path]
    index = VideoIndex(path)
    with _INDEX_LOCK:
        _INDEX_CACHE[path] = index
        while len(_INDEX_CACHE) > 8:
            _INDEX_CACHE.popitem(last=False)
    return index


def encode_image(image: Image.Image, fmt: str, quality: int) -> bytes:
    buffer = io.BytesIO()
    if fmt == "JPEG":
        image.convert("RGB").save(buffer, "JPEG", quality=quality)
    else:
        image.save(buffer, fmt)
    return buffer.getvalue()


def zip_chunk(items: list[tuple[str, bytes]]) -> bytes:
    """An ``imageset`` chunk: a zip of frame files named by position."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for name, data in items:
            archive.writestr(name, data)
    return buffer.getvalue()


def video_chunk(images: list[Image.Image], quality: int) -> bytes:
    """A ``video`` chunk: the frames encoded as a small H.264 MP4."""
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=25)
        width, height = images[0].size
        stream.width, stream.height = width - width % 2, height - height % 2
        stream.pix_fmt = "yuv420p"
        crf = max(0, min(51, round(51 - quality / 2)))
        stream.options = {"crf": str(crf), "preset": "ultrafast"}
        for image in images:
            frame = av.VideoFrame.from_image(image.convert("RGB"))
            for packet in stream.encode(frame.reformat(stream.width, stream.height)):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return buffer.getvalue()


def thumbnail(image: Image.Image) -> bytes:
    copy = image.convert("RGB")
    copy.thumbnail((256, 256))
    return encode_image(copy, "JPEG", 85)
