"""values / count / distinct / count_values / bounds / sum / mean / std / histogram_values.

Simple cases (a whole dataset, a dataset filtered only by compilable
``filter_labels`` on the field being read, ids and plain fields of a view the
store selects in SQL) are answered by the store with one query; everything else walks the view's documents once, so the cost is
always linear in the data read.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import TYPE_CHECKING, Any

import numpy as np

from labelloop.collector import collector_paused
from labelloop.core.derived import fast_count
from labelloop.core.docs import doc_to_value
from labelloop.core.expressions import get_path
from labelloop.core.fields import is_label_spec, list_attr
from labelloop.core.label_stages import FilterLabels
from labelloop.core.planner import iter_docs, view_count, view_ids

if TYPE_CHECKING:
    from labelloop.core.collection import SampleCollection


class _Target:
    """A parsed field path: which field, which label attribute, frame level or not."""

    def __init__(self, collection: SampleCollection, path: str) -> None:
        dataset = collection.schema_source
        self.path = path
        self.is_frame = path == "frames" or path.startswith("frames.")
        rest = path[len("frames.") :] if path.startswith("frames.") else path
        head, _, tail = rest.partition(".")
        self.field = head
        schema = dataset.frame_schema if self.is_frame else dataset.sample_schema
        self.spec = schema.get(head)
        self.list_attr = list_attr(self.spec) if is_label_spec(self.spec) else None
        self.attr: str | None = None  # label attribute read, when that's all the path does
        self.items = False  # reading list items (vs single labels / containers)
        if is_label_spec(self.spec):
            parts = tail.split(".") if tail else []
            if self.list_attr and parts[:1] == [self.list_attr]:
                self.items = True
                parts = parts[1:]
            if len(parts) == 1 and (self.items or not self.list_attr):
                self.attr = parts[0]
            elif not parts and self.items:
                self.attr = ""  # the items themselves (only counted)
            elif not parts and not self.list_attr:
                self.attr = ""  # a single label, counted


def _fast_filters(collection: SampleCollection, target: _Target) -> tuple[Any, bool] | None:
    """``(where, only_matches)`` when every stage is a compilable filter on the target field."""
    stages = collection.stages
    store = collection._dataset._store
    wheres = []
    only_matches = False
    for stage in stages:
        if not isinstance(stage, FilterLabels):
            return None
        stage_frame = stage.field.startswith("frames.")
        stage_field = stage.field[len("frames.") :] if stage_frame else stage.field
        if stage_field != target.field or stage_frame != target.is_frame:
            return None
        if not target.items or not store.can_compile(stage.filter):
            return None
        wheres.append(stage.filter)
        only_matches = only_matches or stage.only_matches
    if target.is_frame and wheres:
        return None
    where = None
    if len(wheres) == 1:
        where = wheres[0]
    elif wheres:
        where = {"$op": "and", "args": wheres}
    return where, only_matches


def _store_values(collection: SampleCollection, target: _Target) -> list[Any] | None:
    """Per-sample values answered by the store, or ``None`` when not possible."""
    dataset = collection._dataset
    store = dataset._store
    if target.is_frame and target.attr and not collection.stages:
        return _store_frame_values(collection, target)
    if target.is_frame or target.attr is None or target.attr == "":
        if target.is_frame or target.spec is None:
            return None
        ids = view_ids(collection) if collection.stages else None
        if collection.stages and ids is None:
            return None
        if target.path == "id":
            return dataset._store.sample_ids(dataset._id) if ids is None else ids
        if not is_label_spec(target.spec) and "." not in target.path:
            return [v for _, v in store.sample_values(dataset._id, target.path, ids)]
        return None
    fast = _fast_filters(collection, target)
    if fast is None:
        return None
    where, only_matches = fast
    if target.items:  # one list per sample, built by the database
        with collector_paused():
            lists = store.label_lists(dataset._id, target.field, target.attr, where)
            found = list(map(lists.get, store.sample_ids(dataset._id)))
        return [values for values in found if values] if only_matches else found
    grouped: dict[str, list[Any]] = {}
    for sample_id, _, value in store.label_values(
        dataset._id, target.field, False, target.items, target.attr, where
    ):
        grouped.setdefault(sample_id, []).append(value)
    return [grouped[i][0] if i in grouped else None for i in store.sample_ids(dataset._id)]


def _store_frame_values(collection: SampleCollection, target: _Target) -> list[Any]:
    """Per-sample lists (one entry per frame) of a frame label attribute, from the store."""
    dataset = collection._dataset
    store = dataset._store
    grouped: dict[tuple[str, int], list[Any]] = {}
    for sample_id, number, value in store.label_values(
        dataset._id, target.field, True, target.items, target.attr or ""
    ):
        grouped.setdefault((sample_id, number), []).append(value)
    present = {
        (sid, number)
        for sid, number, _ in store.label_values(dataset._id, target.field, True, False, "id")
    }
    index = store.frame_index(dataset._id)
    out = []
    for sample_id in store.sample_ids(dataset._id):
        per_frame = []
        for number in index.get(sample_id, []):
            key = (sample_id, number)
            if target.items:
                per_frame.append(grouped.get(key, []) if key in present else None)
            else:
                per_frame.append(grouped[key][0] if key in grouped else None)
        out.append(per_frame)
    return out


def _flatten(value: Any, out: list[Any]) -> None:
    if isinstance(value, list):
        for item in value:
            _flatten(item, out)
    elif value is not None:
        out.append(value)


def values(collection: SampleCollection, path: str, unwind: bool = False) -> list[Any]:
    """Values of ``path`` per sample (nested lists for list paths), from one snapshot."""
    with collection._dataset._store.snapshot():
        collection._dataset._sync_schema()
        return _values(collection, path, unwind)


def _values(
    collection: SampleCollection, path: str, unwind: bool, objects: bool = True
) -> list[Any]:
    target = _Target(collection, path)
    result = _store_values(collection, target)
    if result is None:
        frames = target.is_frame
        result = [get_path(doc, path) for doc in iter_docs(collection, frames=frames)]
    labels = is_label_spec(target.spec) and target.attr in (None, "")
    if objects and (labels or (target.spec or {}).get("kind") == "metadata"):
        result = _as_objects(result)
    if unwind:
        flat: list[Any] = []
        _flatten(result, flat)
        return flat
    return result


def _as_objects(value: Any) -> Any:
    """Label/metadata dicts (anywhere in nested lists) as Label/Metadata objects."""
    if isinstance(value, list):
        return [_as_objects(v) for v in value]
    if isinstance(value, dict) and "_cls" in value:
        return doc_to_value(value)
    return value


def count(collection: SampleCollection, path: str | None = None) -> int:
    """Number of samples, or of non-``None`` values of ``path`` (lists unwound)."""
    with collection._dataset._store.snapshot():
        collection._dataset._sync_schema()
        return _count(collection, path)


def _count(collection: SampleCollection, path: str | None) -> int:
    dataset = collection._dataset
    if path is None:
        if not collection.stages:
            return dataset._store.count_samples(dataset._id)
        counted = view_count(collection)
        if counted is not None:
            return counted
        derived = fast_count(collection)
        if derived is not None:
            return derived
        return sum(1 for _ in iter_docs(collection))
    if path == "frames":
        if not collection.stages:
            return dataset._store.count_frames(dataset._id)
        return sum(len(d.get("frames") or []) for d in iter_docs(collection, frames=True))
    target = _Target(collection, path)
    if target.attr == "" and not target.is_frame:
        fast = _fast_filters(collection, target)
        if fast is not None:
            return dataset._store.count_labels(
                dataset._id, target.field, False, target.items, fast[0]
            )
    target_values = _store_values(collection, target)
    if target_values is not None:
        return _count_leaves(target_values)
    docs = iter_docs(collection, frames=target.is_frame)
    return sum(_count_leaves(get_path(doc, path)) for doc in docs)  # streamed, nothing kept


def _count_leaves(value: Any) -> int:
    """Number of non-``None`` leaves of nested lists."""
    if isinstance(value, list):
        return sum(_count_leaves(v) for v in value)
    return value is not None


def _store_counts(collection: SampleCollection, path: str) -> Counter | None:
    """``Counter`` of the unwound values of a label attribute, grouped by the store.

    ``None`` when the path is not a plain label attribute read through
    compilable filters, when a value is an object (the Python pass raises the
    same error it always did), or when equal values of different types meet
    (``1``, ``1.0``, ``True``: the walk's first occurrence names the key).
    """
    target = _Target(collection, path)
    fast = _attr_filters(collection, target)
    if fast is None:
        return None
    dataset = collection._dataset
    counts: Counter = Counter()
    kinds: dict[Any, type] = {}  # equal values of other types (1, 1.0, True): which key wins
    for value, n in dataset._store.label_value_counts(
        dataset._id, target.field, target.is_frame, target.items, target.attr or "", fast[0]
    ):
        if isinstance(value, dict):
            return None
        leaves: list[Any] = []
        _flatten(value, leaves)
        for leaf in leaves:
            if isinstance(leaf, dict) or kinds.setdefault(leaf, type(leaf)) is not type(leaf):
                return None  # the walk decides (its first occurrence names the key)
            counts[leaf] += n
    return counts


def _attr_filters(collection: SampleCollection, target: _Target) -> tuple[Any] | None:
    """``(store filter,)`` when the store can aggregate the target's label attribute."""
    if not target.attr or target.attr == "id":
        return None
    fast = _fast_filters(collection, target)
    return None if fast is None else (fast[0],)


def _store_args(collection: SampleCollection, path: str) -> tuple | None:
    """``(dataset_id, field, frames, items, attr, where)`` for the store's label-attribute
    aggregates, when it can answer for ``path`` on this collection."""
    target = _Target(collection, path)
    fast = _attr_filters(collection, target)
    if fast is None:
        return None
    dataset_id = collection._dataset._id
    return dataset_id, target.field, target.is_frame, target.items, target.attr or "", fast[0]


def distinct(collection: SampleCollection, path: str) -> list[Any]:
    """Sorted distinct non-``None`` values of ``path``."""
    with collection._dataset._store.snapshot():
        collection._dataset._sync_schema()
        counts = _store_counts(collection, path)
        raw = counts if counts is not None else _values(collection, path, True)
    found = set()
    for value in raw:
        found.add(tuple(value) if isinstance(value, list) else value)
    return sorted(found, key=lambda v: (str(type(v)), v))


def count_values(collection: SampleCollection, path: str) -> dict[Any, int]:
    """``{value: occurrences}`` of the values of ``path``."""
    with collection._dataset._store.snapshot():
        collection._dataset._sync_schema()
        counts = _store_counts(collection, path)
        if counts is None:
            counts = Counter(_values(collection, path, True))
    return dict(counts)


def bounds(collection: SampleCollection, path: str) -> tuple[Any, Any]:
    """``(min, max)`` of the values of ``path`` (``(None, None)`` when there are none)."""
    with collection._dataset._store.snapshot():
        collection._dataset._sync_schema()
        args = _store_args(collection, path)
        ranges = None if args is None else collection._dataset._store.label_bounds(*args)
        if ranges is not None:
            found = [v for pair in ranges for v in pair]
        else:
            found = [v for v in _values(collection, path, True) if not isinstance(v, bool)]
    if not found:
        return None, None
    return min(found), max(found)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _sums(collection: SampleCollection, path: str) -> tuple[int, Any, Any]:
    """``(count, sum, sum of squares)`` of the numbers of ``path`` (booleans left out)."""
    with collection._dataset._store.snapshot():
        collection._dataset._sync_schema()
        args = _store_args(collection, path)
        if args is not None:
            sums = collection._dataset._store.label_sums(*args)
            if sums is not None:
                return sums
        numbers = [v for v in _values(collection, path, True) if _is_number(v)]
    return len(numbers), sum(numbers), sum(v * v for v in numbers)


def sum_of(collection: SampleCollection, path: str) -> Any:
    """Sum of the numbers of ``path`` (lists unwound; ``0`` when there are none)."""
    return _sums(collection, path)[1]


def mean(collection: SampleCollection, path: str) -> float | None:
    """Mean of the numbers of ``path`` (``None`` when there are none)."""
    count_, total, _ = _sums(collection, path)
    return total / count_ if count_ else None


def std(collection: SampleCollection, path: str, sample: bool = False) -> float | None:
    """Standard deviation of the numbers of ``path`` (population, or ``sample=True``)."""
    count_, total, squares = _sums(collection, path)
    if count_ - (1 if sample else 0) <= 0:
        return None
    spread = squares - total * total / count_
    return math.sqrt(max(spread, 0) / (count_ - (1 if sample else 0)))


def histogram_values(
    collection: SampleCollection,
    path: str,
    bins: int = 10,
    range: tuple[float, float] | None = None,
) -> tuple[list[int], list[float], int]:
    """``(counts, edges, other)``: ``bins`` equal bins over ``range`` (default: the bounds);
    ``other`` counts the numbers outside it. Label attributes stream from the store."""
    if not isinstance(bins, int) or bins < 1:
        raise ValueError(f"bins must be a positive integer, not {bins!r}")
    with collection._dataset._store.snapshot():
        collection._dataset._sync_schema()
        counted = _store_histogram(collection, path, bins, range)
        if counted is not None:
            return counted
        flat = _values(collection, path, True)
    numbers = np.array([v for v in flat if _is_number(v)], dtype=float)
    if range is None:
        range = (float(numbers.min()), float(numbers.max())) if numbers.size else (0.0, 1.0)
    low, high = range
    counts, edges = np.histogram(numbers, bins=bins, range=(low, high))
    inside = int(counts.sum())
    return [int(c) for c in counts], [float(e) for e in edges], int(numbers.size) - inside


def _store_histogram(
    collection: SampleCollection, path: str, bins: int, range: tuple[float, float] | None
) -> tuple[list[int], list[float], int] | None:
    """:func:`histogram_values` counted by the store in one pass (range: the numbers'
    bounds), or ``None`` when it cannot (lists or objects among the values)."""
    args = _store_args(collection, path)
    if args is None:
        return None
    store = collection._dataset._store
    if range is None:
        ranges = store.label_bounds(*args)
        if ranges is None:
            return None
        numbers = [pair for pair in ranges if not isinstance(pair[0], str)]
        range = (float(numbers[0][0]), float(numbers[0][1])) if numbers else (0.0, 1.0)
    edges = np.histogram_bin_edges(np.empty(0), bins=bins, range=range)
    counted = store.label_histogram(*args[:5], list(edges), args[5])
    if counted is None:
        return None
    counts, total = counted
    return counts, [float(e) for e in edges], total - sum(counts)
