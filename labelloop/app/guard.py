"""Which files the App may serve: only the media of the dataset being shown.

Requests name media by absolute path (readable URLs, like the reference App),
so every path is checked here before a byte is read: relative paths, ``..``
components and NUL bytes are refused outright, and what remains must resolve
(symlinks followed) to the real path of one of the dataset's media files.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterable

logger = logging.getLogger(__name__)


class PathRefused(Exception):
    """A requested path is not one the App serves; ``status`` is the HTTP code to answer."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class MediaGuard:
    """Allow-list of the dataset's media files, reloaded lazily when the dataset may have grown.

    ``list_paths`` returns every media path of the dataset; it is called on
    first use, after :meth:`invalidate`, and at most every ``min_reload_s``
    seconds when an unknown path is requested (a sample added after launch).
    """

    def __init__(self, list_paths: Callable[[], Iterable[str]], min_reload_s: float = 2.0) -> None:
        self._list_paths = list_paths
        self._min_reload_s = min_reload_s
        self._allowed: frozenset[str] | None = None
        self._loaded_at = 0.0
        self._lock = threading.Lock()

    def invalidate(self) -> None:
        """Forget the allow-list (the dataset or its samples changed)."""
        with self._lock:
            self._allowed = None

    def resolve(self, requested: str) -> str:
        """The real path to serve for ``requested``, or :class:`PathRefused`."""
        if not requested or "\0" in requested:
            raise PathRefused("empty or malformed path", 400)
        if not os.path.isabs(requested):
            raise PathRefused("media paths must be absolute", 400)
        parts = requested.replace("\\", "/").split("/")
        if ".." in parts:
            raise PathRefused("'..' is not allowed in media paths", 400)
        real = os.path.realpath(requested)
        if real in self._allowed_paths(reload_if_older=False):
            return real
        if real in self._allowed_paths(reload_if_older=True):
            return real
        logger.info("refused request for a path outside the dataset")
        raise PathRefused("not a media file of this dataset", 403)

    def _allowed_paths(self, reload_if_older: bool) -> frozenset[str]:
        with self._lock:
            stale = reload_if_older and time.monotonic() - self._loaded_at > self._min_reload_s
            if self._allowed is None or stale:
                self._allowed = frozenset(
                    os.path.realpath(p) for p in self._list_paths() if isinstance(p, str) and p
                )
                self._loaded_at = time.monotonic()
            return self._allowed
