"""Running a view: per-document stages stream, ordering stages work on id lists.

Stages that look at one document at a time (match, filter_labels, ...) are
applied lazily to documents streamed from the store. Stages that need the
whole sequence (sort_by, take, limit, skip, ordered select) never hold
documents: they reduce the sequence to a list of sample ids, in order, after
which the pending per-document stages are applied again to documents fetched
by id. Memory stays bounded by ids and sort keys, and ``view.first()`` after
a sort reads one document, not all.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice
from typing import TYPE_CHECKING, Any

from labelloop.core.stages import Limit, Select, SortBy, Stage

if TYPE_CHECKING:
    from labelloop.core.collection import SampleCollection


def iter_docs(collection: SampleCollection, frames: bool = False) -> Iterator[dict[str, Any]]:
    """The documents of a collection, in view order."""
    dataset = collection._dataset
    dataset._sync_schema()
    stages = collection._stages
    frames = frames or any(s.frames_needed for s in stages)
    ids: list[str] | None = None  # None: every sample, in dataset order
    pending: list[Stage] = []  # per-document stages not yet folded into `ids`

    def stream(with_frames: bool) -> Iterator[dict[str, Any]]:
        docs: Any = dataset._iter_base_docs(ids=ids, frames=with_frames)
        for stage in pending:
            docs = stage.apply(docs, dataset)
        return iter(docs)

    def surviving(limit: int | None = None) -> list[str]:
        docs = stream(any(s.frames_needed for s in pending))
        return [d["id"] for d in islice(docs, limit)]

    for stage in stages:
        if isinstance(stage, Select) and not pending:
            # a selection on known ids: no need to read any document
            base = ids if ids is not None else dataset._store.sample_ids(dataset._id)
            ids = stage.pick(base)
        elif stage.per_doc:
            pending.append(stage)
        elif isinstance(stage, SortBy):
            with_frames = stage.frames_needed or any(s.frames_needed for s in pending)
            ids = stage.order(stream(with_frames))
            pending = [s for s in pending if not s.drops_only]  # folded into ids
        elif isinstance(stage, Limit) and pending:
            ids = surviving(stage.limit)  # stops reading after `limit` matches
            pending = [s for s in pending if not s.drops_only]  # folded into ids
        elif isinstance(stage, Limit) and ids is None:
            ids = dataset._store.sample_ids(dataset._id, limit=stage.limit)
        else:
            if pending:
                ids = surviving()
                pending = [s for s in pending if not s.drops_only]  # folded into ids
            elif ids is None:
                ids = dataset._store.sample_ids(dataset._id)
            ids = stage.pick(ids)
    return stream(frames)
