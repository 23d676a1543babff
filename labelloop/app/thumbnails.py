"""Grid thumbnails: made once per media file with Pillow (or PyAV for videos), cached on disk.

The cache key is the file's real path, size and modification time plus the
thumbnail height, so an edited file gets a fresh thumbnail and an unchanged
one is never decoded twice, across sessions and processes.

Images are shown as CVAT decodes them: with their EXIF orientation applied
(a phone photo stored sideways with orientation 6 is shown upright, its width
and height swapped). Labels are relative to that upright image, and the
thumbnails are made from it; the full-size file is served as stored and the
browser applies the same orientation when it decodes it.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from pathlib import Path

from PIL import Image, ImageOps

logger = logging.getLogger(__name__)

VIDEO_EXTENSIONS = frozenset({".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg"})


def default_cache_dir() -> Path:
    """``<LABELLOOP_HOME or ~/.labelloop>/app/thumbnails``."""
    home = os.environ.get("LABELLOOP_HOME") or os.path.join(Path.home(), ".labelloop")
    return Path(home) / "app" / "thumbnails"


class ThumbnailCache:
    """JPEG thumbnails of at most ``height`` pixels high, stored under ``root``."""

    def __init__(self, root: Path | None = None, height: int = 256) -> None:
        if height < 16:
            raise ValueError(f"height must be at least 16 pixels, got {height}")
        self.root = Path(root) if root is not None else default_cache_dir()
        self.height = height

    def path_for(self, media_path: str) -> Path:
        """Where the thumbnail of ``media_path`` lives (whether or not it exists yet)."""
        real = os.path.realpath(media_path)
        st = os.stat(real)
        # "upright": thumbnails cached before EXIF orientation was applied are not reused
        key = f"{real}\0{st.st_size}\0{st.st_mtime_ns}\0{self.height}\0upright".encode()
        digest = hashlib.sha1(key).hexdigest()
        return self.root / digest[:2] / f"{digest}.jpg"

    def get(self, media_path: str) -> Path:
        """The cached thumbnail of ``media_path``, generated on first request."""
        target = self.path_for(media_path)
        if target.exists():
            return target
        image = _first_frame(media_path)
        image.thumbnail((self.height * 4, self.height))
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                image.convert("RGB").save(f, "JPEG", quality=85)
            os.replace(tmp, target)  # atomic: concurrent requests never see half a file
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        logger.debug("thumbnail of %s written to %s", media_path, target)
        return target


def is_video_path(path: str) -> bool:
    """Whether ``path`` has a video file extension."""
    return Path(path).suffix.lower() in VIDEO_EXTENSIONS


def _first_frame(media_path: str) -> Image.Image:
    if is_video_path(media_path):
        import av

        with av.open(media_path) as container:
            for frame in container.decode(video=0):
                return frame.to_image()
        raise ValueError(f"Video {media_path!r} has no frames to make a thumbnail from")
    with Image.open(media_path) as img:
        return ImageOps.exif_transpose(img)  # a new, loaded image: upright as CVAT shows it
