"""Running a view: per-document stages stream, ordering stages work on id lists.

Stages that look at one document at a time (match, filter_labels, ...) are
applied lazily to documents streamed from a source. Stages that need the
whole sequence (sort_by, take, limit, skip, ordered select) never hold
documents: they reduce the sequence to a list of ids, in order, after which
the pending per-document stages are applied again to documents fetched by id.
Memory stays bounded by ids and sort keys, and ``view.first()`` after a sort
reads one document, not all.

The source is the dataset, or, after a derivation stage (``to_patches``,
``to_frames``, ``to_clips``), a :class:`DerivedSource` that expands the
documents of the view before it through the :class:`~labelloop.core.derived.Derivation`
(see ``core/derived.py``).

On a dataset source, the longest run of leading stages that have an SQL form
(:meth:`Stage.sql_step`) is first handed to the store (``Store.view_ids``),
which answers with the selected ids in view order from one query, decoding no
document; those stages then only shape the documents read by id (a
``filter_labels`` still hides labels). When the store cannot compile them it
says so and the stages run in Python, which stays the reference.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice
from typing import TYPE_CHECKING, Any, Protocol

from labelloop.core.derived import Derivation, last_derivation
from labelloop.core.fields import is_label_spec, list_attr
from labelloop.core.stages import Doc, Limit, Select, SortBy, Stage

if TYPE_CHECKING:
    from labelloop.core.collection import SampleCollection
    from labelloop.core.dataset import Dataset


class DocSource(Protocol):
    """Where a view's documents come from."""

    #: What stages see as their dataset (its schema, media type, name).
    schema: Any

    def docs(self, ids: list[str] | None, frames: bool) -> Iterator[dict[str, Any]]:
        """Every document (``ids=None``), or those with these ids in that order."""

    def ids(self, limit: int | None = None) -> list[str]:
        """Ids of the documents, in order (the first ``limit``)."""


class DatasetSource:
    """The samples of a dataset, read from the store."""

    def __init__(self, dataset: Dataset) -> None:
        self.schema = dataset

    def docs(self, ids: list[str] | None, frames: bool) -> Iterator[dict[str, Any]]:
        return self.schema._iter_base_docs(ids=ids, frames=frames)

    def ids(self, limit: int | None = None) -> list[str]:
        return self.schema._store.sample_ids(self.schema._id, limit=limit)


def source_of(dataset: Dataset, stages: list[Stage]) -> tuple[DocSource, list[Stage]]:
    """The source of a view's documents and the stages left to apply to them."""
    cut = last_derivation(stages)
    if cut is None:
        return DatasetSource(dataset), list(stages)
    return DerivedSource(dataset, stages[:cut], stages[cut]), stages[cut + 1 :]


#: Derived documents are fetched by id this many at a time.
FETCH_BATCH = 200


class DerivedSource:
    """The documents of a derived view: the parent view's documents, expanded."""

    def __init__(self, dataset: Dataset, parent_stages: list[Stage], stage: Stage) -> None:
        assert isinstance(stage, Derivation)
        self.dataset = dataset
        self.parent, self.parent_stages = source_of(dataset, parent_stages)
        self.stage = stage
        self.schema = stage.view_schema(self.parent.schema)
        self._parents: dict[str, str] = {}  # derived id -> parent id (filled by ids())

    def _parent_docs(self, ids: list[str] | None, frames: bool = False) -> Iterator[Doc]:
        frames = frames or self.stage.parent_frames
        if ids is None:
            return run(self.parent, self.parent_stages, frames)
        return fetch(self.parent, self.parent_stages, ids, frames)

    def docs(self, ids: list[str] | None, frames: bool) -> Iterator[Doc]:
        """Every derived document, or those with ``ids`` in that order."""
        if ids is None:
            for parent in self._parent_docs(None, frames):
                yield from self.stage.expand(parent, self.parent.schema, frames)
            return
        if any(i not in self._parents for i in ids):
            self.ids()
        for offset in range(0, len(ids), FETCH_BATCH):
            chunk = ids[offset : offset + FETCH_BATCH]
            wanted = set(chunk)
            parents = list(dict.fromkeys(self._parents[i] for i in chunk if i in self._parents))
            found: dict[str, Doc] = {}
            for parent in self._parent_docs(parents, frames):
                for doc in self.stage.expand(parent, self.parent.schema, frames):
                    if doc["id"] in wanted:
                        found[doc["id"]] = doc
            for derived_id in chunk:
                if derived_id in found:
                    yield found.pop(derived_id)

    def ids(self, limit: int | None = None) -> list[str]:
        """Ids of the derived documents in order (remembering their parents)."""
        out = []
        for parent in self._parent_docs(None):
            for doc in self.stage.expand(parent, self.parent.schema, False):
                self._parents[doc["id"]] = parent["id"]
                out.append(doc["id"])
                if limit is not None and len(out) >= limit:
                    return out
        return out


def _sql_steps(
    dataset: Dataset, stages: list[Stage]
) -> tuple[list[dict[str, Any]], dict[str, str | None]]:
    """The leading stages' SQL steps, and the label fields (``frames.x`` for frame-level
    ones) with their list attributes, as the store's view queries take them."""
    steps = []
    for stage in stages:
        step = stage.sql_step()
        if step is None:
            break
        steps.append(step)
    fields = {
        name: list_attr(spec) for name, spec in dataset.sample_schema.items() if is_label_spec(spec)
    }
    fields.update(
        (f"frames.{name}", list_attr(spec))
        for name, spec in dataset.frame_schema.items()
        if is_label_spec(spec)
    )
    return steps, fields


def _compiled(dataset: Dataset, stages: list[Stage]) -> tuple[list[str], int] | None:
    """``(ids, n)``: the sample ids the first ``n`` stages select, from the store's SQL."""
    steps, fields = _sql_steps(dataset, stages)
    if not steps:
        return None
    ids = dataset._store.view_ids(dataset._id, steps, fields)
    return None if ids is None else (ids, len(steps))


def _whole_sql(collection: SampleCollection) -> list[Stage] | None:
    """The view's stages when every one is on the dataset itself and may compile to SQL."""
    source, stages = source_of(collection._dataset, collection.stages)
    if not stages or not isinstance(source, DatasetSource):
        return None
    return stages


def view_ids(collection: SampleCollection) -> list[str] | None:
    """The sample ids of a view in order when the store selects them all in SQL, else ``None``."""
    stages = _whole_sql(collection)
    if stages is None:
        return None
    compiled = _compiled(collection._dataset, stages)
    if compiled is None or compiled[1] < len(stages):
        return None
    return compiled[0]


def view_count(collection: SampleCollection) -> int | None:
    """How many samples a view has when the store counts them all in SQL, else ``None``."""
    stages = _whole_sql(collection)
    if stages is None:
        return None
    dataset = collection._dataset
    steps, fields = _sql_steps(dataset, stages)
    if len(steps) < len(stages):
        return None
    return dataset._store.count_view(dataset._id, steps, fields)


def iter_docs(collection: SampleCollection, frames: bool = False) -> Iterator[dict[str, Any]]:
    """The documents of a collection, in view order."""
    dataset = collection._dataset
    dataset._sync_schema()
    source, stages = source_of(dataset, collection.stages)
    compiled = _compiled(dataset, stages) if isinstance(source, DatasetSource) else None
    if compiled is None:
        return run(source, stages, frames)
    ids, done = compiled
    # the selection is done; what these stages do to documents (hide labels) is not
    shaping = [s for s in stages[:done] if s.per_doc and not s.drops_only]
    return run(source, stages[done:], frames, ids, shaping)


def fetch(
    source: DocSource, stages: list[Stage], ids: list[str], frames: bool
) -> Iterator[dict[str, Any]]:
    """Documents of ids known to be in the view, with its per-document stages applied."""
    per_doc = [s for s in stages if s.per_doc]
    docs: Any = source.docs(ids, frames or any(s.frames_needed for s in per_doc))
    for stage in per_doc:
        docs = stage.apply(docs, source.schema)
    return iter(docs)


def run(
    source: DocSource,
    stages: list[Stage],
    frames: bool = False,
    ids: list[str] | None = None,
    pending: list[Stage] | None = None,
) -> Iterator[dict[str, Any]]:
    """The documents of ``source`` through ``stages``, in view order.

    ``ids`` (default: every document, in source order) and ``pending`` (per-document
    stages still to apply to them) say where earlier stages left the view.
    """
    pending = list(pending or [])
    frames = frames or any(s.frames_needed for s in [*pending, *stages])

    def stream(with_frames: bool) -> Iterator[dict[str, Any]]:
        docs: Any = source.docs(ids, with_frames)
        for stage in pending:
            docs = stage.apply(docs, source.schema)
        return iter(docs)

    def surviving(limit: int | None = None) -> list[str]:
        docs = stream(any(s.frames_needed for s in pending))
        return [d["id"] for d in islice(docs, limit)]

    for stage in stages:
        if isinstance(stage, Select) and not pending:
            # a selection on known ids: no need to read any document
            ids = stage.pick(ids if ids is not None else source.ids())
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
            ids = source.ids(limit=stage.limit)
        else:
            if pending:
                ids = surviving()
                pending = [s for s in pending if not s.drops_only]  # folded into ids
            elif ids is None:
                ids = source.ids()
            ids = stage.pick(ids)
    return stream(frames)
