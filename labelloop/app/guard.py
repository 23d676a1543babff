"""Which files the App may serve: only the media of the dataset being shown.

Requests name media by absolute path (readable URLs, like the reference App),
so every path is checked here before a byte is read: relative paths, ``..``
components and NUL bytes are refused outright, and what remains must be,
after normalisation, exactly the path of one of the dataset's media files.
Paths are compared as given (not symlink-resolved): a link the dataset lists
is served, any other name for a file (a link, a bind mount) is refused, and
building the allow-list costs no file-system calls (100,000 paths in
milliseconds).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterable

logger = logging.getLogger(__name__)


class PathRefused(Exception):
    """A requested path is not one the App serves; ``status`` is the HTTP code to answer."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class MediaGuard:
    """Allow-list of the dataset's media files, reloaded when the dataset may have changed.

    ``list_paths`` returns every media path of the dataset; it is called on
    first use, after :meth:`invalidate` (``session.refresh()``), and on a miss
    when ``fingerprint`` (the sample count) differs from its value at the
    last load, so samples added after launch are served without a reload per
    refused request.
    """

    def __init__(
        self, list_paths: Callable[[], Iterable[str]], fingerprint: Callable[[], object]
    ) -> None:
        self._list_paths = list_paths
        self._fingerprint = fingerprint
        self._allowed: frozenset[str] | None = None
        self._loaded_with: object = None
        self._lock = threading.Lock()

    def invalidate(self) -> None:
        """Forget the allow-list (the dataset or its samples changed)."""
        with self._lock:
            self._allowed = None

    def resolve(self, requested: str) -> str:
        """The normalised path to serve for ``requested``, or :class:`PathRefused`."""
        if not requested or "\0" in requested:
            raise PathRefused("empty or malformed path", 400)
        if not os.path.isabs(requested):
            raise PathRefused("media paths must be absolute", 400)
        parts = requested.replace("\\", "/").split("/")
        if ".." in parts:
            raise PathRefused("'..' is not allowed in media paths", 400)
        path = os.path.normpath(requested)
        if path in self._allowed_paths(recheck=False) or path in self._allowed_paths(recheck=True):
            return path
        logger.info("refused request for a path outside the dataset")
        raise PathRefused("not a media file of this dataset", 403)

    def _allowed_paths(self, recheck: bool) -> frozenset[str]:
        with self._lock:
            stamp = self._fingerprint() if recheck or self._allowed is None else self._loaded_with
            if self._allowed is None or stamp != self._loaded_with:
                self._allowed = frozenset(
                    os.path.normpath(p) for p in self._list_paths() if isinstance(p, str) and p
                )
                self._loaded_with = stamp
            return self._allowed
