"""What a running App shows: the dataset, the view, a version counter and caches.

Every change of what is shown bumps ``version``; the page polls it and
reloads. Caches (sidebar description, ordered sample ids per filter) are
keyed by version, so they never outlive the view they describe.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Any

from labelloop.app import filters as flt
from labelloop.app.guard import MediaGuard
from labelloop.app.schema import statistics, summary
from labelloop.app.thumbnails import ThumbnailCache

#: Filtered id lists kept at once (one per recently used filter combination).
_ID_CACHE_SIZE = 8
#: Seconds without a poll after which an open page counts as closed.
PAGE_GONE_AFTER_S = 3.0


class AppState:
    """The dataset/view shown by one session, shared by the server threads."""

    def __init__(self, dataset_or_view: Any = None, view: Any = None) -> None:
        self._lock = threading.RLock()
        self.version = 0
        self.dataset: Any = None
        self.view: Any = None
        self._stats_cache: tuple[int, dict[str, Any]] | None = None
        self._ids: OrderedDict[tuple[int, str], list[str]] = OrderedDict()
        self._last_poll: float | None = None
        self.guard = MediaGuard(self._media_paths, self._sample_count)
        self.thumbnails = ThumbnailCache()
        self.set(dataset_or_view, view)

    # -- what is shown ----------------------------------------------------

    def set(self, dataset_or_view: Any, view: Any = None) -> None:
        """Show ``view`` (its dataset follows), or a dataset/view, or nothing."""
        target = view if view is not None else dataset_or_view
        if target is not None and not hasattr(target, "_dataset"):
            raise TypeError(f"The App shows a Dataset or DatasetView, not {type(target).__name__}")
        with self._lock:
            if target is None:
                self.dataset, self.view = None, None
            elif target.dataset is target:
                self.dataset, self.view = target, None
            else:
                self.dataset, self.view = target.dataset, target
            self.bump()

    @property
    def collection(self) -> Any:
        """The view if one is set, else the dataset (``None`` when nothing is shown)."""
        return self.view if self.view is not None else self.dataset

    def bump(self) -> None:
        """Tell pages to reload; drop every cache."""
        with self._lock:
            self.version += 1
            self._stats_cache = None
            self._ids.clear()
        self.guard.invalidate()

    # -- page liveness (Session.wait) -------------------------------------

    def touch(self) -> None:
        """Record a poll from an open page."""
        self._last_poll = time.monotonic()

    def page_seen_within(self, seconds: float = PAGE_GONE_AFTER_S) -> bool | None:
        """``None`` before any page polled, else whether one polled in the last ``seconds``."""
        if self._last_poll is None:
            return None
        return time.monotonic() - self._last_poll < seconds

    # -- cached queries ---------------------------------------------------

    def describe(self) -> dict[str, Any]:
        """Names and kinds of the current collection's fields, and its sample count."""
        collection = self.collection
        if collection is None:
            return {"name": None, "media_type": None, "count": 0, "version": self.version,
                    "view": None, "label_fields": [], "numeric_fields": [],
                    "evaluations": [], "runs_enabled": False}  # fmt: skip
        version = self.version
        _, ids = self.sample_ids({})  # cached: the first grid page reuses it
        return summary(collection, version, len(ids))

    def statistics(self) -> dict[str, Any]:
        """Classes, bounds and tags of the current collection (cached per version)."""
        with self._lock:
            version, collection = self.version, self.collection
            cached = self._stats_cache
        if cached and cached[0] == version:
            return cached[1]
        if collection is None:
            stats: dict[str, Any] = {"label_fields": {}, "numeric_fields": {}, "tags": {}}
        else:
            stats = statistics(collection)
        with self._lock:
            if self.version == version:
                self._stats_cache = (version, stats)
        return stats

    def filtered(self, filters: dict[str, Any]) -> Any:
        """The current collection with the sidebar's filters applied."""
        collection = self.collection
        if collection is None:
            raise LookupError("No dataset is shown; set session.dataset or session.view")
        return flt.apply(collection, filters)

    def sample_ids(self, filters: dict[str, Any]) -> tuple[Any, list[str]]:
        """``(filtered view, its sample ids in order)``; ids cached per version and filters."""
        view = self.filtered(filters)
        key = (self.version, flt.canonical(filters))
        with self._lock:
            ids = self._ids.get(key)
            if ids is not None:
                self._ids.move_to_end(key)
                return view, ids
        ids = view.values("id")
        with self._lock:
            if key[0] == self.version:
                self._ids[key] = ids
                while len(self._ids) > _ID_CACHE_SIZE:
                    self._ids.popitem(last=False)
        return view, ids

    def _sample_count(self) -> int:
        dataset = self.dataset
        return 0 if dataset is None else dataset.count()

    def _media_paths(self) -> list[str]:
        dataset, view = self.dataset, self.view
        paths = [] if dataset is None else dataset.values("filepath")
        if view is not None and view._is_derived:  # a frames view shows its frame images
            paths += view.values("filepath")
        return paths
