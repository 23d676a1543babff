"""Media headers: image size from Pillow (header only), video stream info from PyAV."""

from __future__ import annotations

import mimetypes
import os
from fractions import Fraction
from typing import Any


def _mime(path: str, default: str) -> str:
    return mimetypes.guess_type(path)[0] or default


#: EXIF orientations (tag 0x0112) that turn the stored image by 90 or 270 degrees.
_TRANSPOSING_ORIENTATIONS = {5, 6, 7, 8}


def image_metadata(path: str) -> dict[str, Any]:
    """``size_bytes, mime_type, width, height, num_channels`` of an image file.

    Width and height are those of the upright image, as viewers and CVAT show it: an EXIF
    orientation that turns the picture by a quarter swaps them, so relative labels and the
    pixel sizes CVAT reports agree.
    """
    from PIL import Image

    with Image.open(path) as img:  # reads the header only; pixels stay on disk
        width, height = img.size
        channels = len(img.getbands())
        mime = Image.MIME.get(img.format or "", None)
        if img.getexif().get(0x0112) in _TRANSPOSING_ORIENTATIONS:
            width, height = height, width
    return {
        "size_bytes": os.path.getsize(path),
        "mime_type": mime or _mime(path, "image/unknown"),
        "width": width,
        "height": height,
        "num_channels": channels,
    }


def video_metadata(path: str) -> dict[str, Any]:
    """``size_bytes, mime_type, frame_width, frame_height, frame_rate, total_frame_count,
    duration, encoding_str`` of a video file (counting packets when the header has no count)."""
    import av

    with av.open(path) as container:
        stream = container.streams.video[0]
        rate = stream.average_rate or stream.guessed_rate or Fraction(0)
        count = stream.frames
        duration = None
        if stream.duration is not None and stream.time_base is not None:
            duration = float(stream.duration * stream.time_base)
        elif container.duration is not None:
            duration = container.duration / 1_000_000
        if not count:
            count = sum(1 for p in container.demux(stream) if p.size)
        width, height = stream.codec_context.width, stream.codec_context.height
        codec = stream.codec_context.name
    if duration is None and rate:
        duration = count / float(rate)
    return {
        "size_bytes": os.path.getsize(path),
        "mime_type": _mime(path, "video/unknown"),
        "frame_width": width,
        "frame_height": height,
        "frame_rate": float(rate),
        "total_frame_count": int(count),
        "duration": duration,
        "encoding_str": codec,
    }


def file_size(path: str) -> int:
    """Size of a file in bytes (0 when it is missing)."""
    try:
        return os.path.getsize(path)
    except OSError:
        return 0
