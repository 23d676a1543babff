"""Label tags in bulk: tag_labels, untag_labels, count_label_tags.

Only the labels the collection shows are touched (a filtered view's hidden
labels keep their tags), and only those whose tags change are written: their
``tags`` attribute in place (``Store.update_label_values``), no sample saved, no
other attribute or label rewritten, in one transaction.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from labelloop.core.expressions import ViewField as F
from labelloop.core.fields import is_label_spec, list_attr

if TYPE_CHECKING:
    from labelloop.core.collection import SampleCollection
    from labelloop.core.dataset import Dataset

_FRAMES = "frames."


def label_paths(collection: SampleCollection, label_fields: Any = None) -> list[str]:
    """Paths of the labels of ``label_fields`` (default: every label field, frames too), e.g.
    ``ground_truth.detections``, ``frames.boxes.detections``, ``scene``."""
    schema = collection.schema_source
    known = {
        **{n: s for n, s in schema.sample_schema.items() if is_label_spec(s)},
        **{_FRAMES + n: s for n, s in schema.frame_schema.items() if is_label_spec(s)},
    }
    if label_fields is None:
        names = list(known)
    else:
        names = [label_fields] if isinstance(label_fields, str) else list(label_fields)
    paths = []
    for name in names:
        if name not in known:
            raise ValueError(
                f"{name!r} is not a label field of this collection; label fields: "
                f"{', '.join(sorted(known)) or 'none'}"
            )
        items = list_attr(known[name])
        paths.append(f"{name}.{items}" if items else name)
    return paths


def _pairs(ids: Any, tags: Any) -> Iterator[tuple[str, list[str]]]:
    """``(label id, its tags)`` of nested per-sample (per-frame) values of equal shape."""
    if isinstance(ids, list):
        others = tags if isinstance(tags, list) and len(tags) == len(ids) else [None] * len(ids)
        for inner_ids, inner_tags in zip(ids, others):
            yield from _pairs(inner_ids, inner_tags)
    elif isinstance(ids, str):
        yield ids, list(tags or [])


def edit_label_tags(collection: SampleCollection, tags: Any, label_fields: Any, add: bool) -> None:
    """Add (or remove) ``tags`` on the labels of the collection's ``label_fields``."""
    tags = [tags] if isinstance(tags, str) else list(tags)
    if not all(isinstance(t, str) for t in tags):
        raise ValueError(f"Label tags are strings, got {tags!r:.80}")
    dataset = collection._dataset
    with dataset.transaction():
        for path in label_paths(collection, label_fields):
            # removing: only the shown labels having one of the tags can change
            shown = collection if add else _having(collection, path, tags)
            ids, current = shown.values(f"{path}.id"), shown.values(f"{path}.tags")
            rows: list[tuple[str, list[str]]] = []
            for label_id, before in _pairs(ids, current):
                if add:
                    after = before + [t for t in tags if t not in before]
                else:
                    after = [t for t in before if t not in tags]
                if after != before:
                    rows.append((label_id, after))
            dataset._store.update_label_values(
                dataset._id, ["tags"], ((i, (t,)) for i, t in rows), *_level_of(dataset, path)
            )


def _field_of(path: str) -> str:
    """The label field of a label path (``frames.boxes`` of ``frames.boxes.detections``)."""
    parts = path.split(".")
    return ".".join(parts[:2]) if path.startswith(_FRAMES) else parts[0]


def _level_of(dataset: Dataset, path: str) -> tuple[str, bool]:
    """``(field, frame level)`` in the dataset of a label path: label ids are unique per
    field (a frames view shows frame fields as sample fields)."""
    field = _field_of(path).removeprefix(_FRAMES)
    return source_level(dataset, field, path.startswith(_FRAMES))


def _having(collection: SampleCollection, path: str, tags: list[str]) -> SampleCollection:
    """The collection showing only the labels of ``path`` that have one of ``tags``, which
    the store selects (on 100k samples x 10 labels, untagging read 2M values before)."""
    return collection.filter_labels(_field_of(path), F("tags").contains(tags))


def shown_label_ids(
    collection: SampleCollection, label_fields: Any = None, tags: Any = None
) -> dict[tuple[str, bool], list[str]]:
    """Ids of the labels the collection shows in ``label_fields`` (only those having any of
    ``tags``, when given), per ``(field, frame level)`` of the dataset; read from the
    store's values, no sample decoded."""
    wanted = set([tags] if isinstance(tags, str) else tags or [])
    dataset = collection.dataset
    out: dict[tuple[str, bool], list[str]] = {}
    for path in label_paths(collection, label_fields):
        shown = _having(collection, path, sorted(wanted)) if wanted else collection
        ids = shown.values(f"{path}.id")
        found = _pairs(ids, shown.values(f"{path}.tags") if wanted else None)
        chosen = out.setdefault(_level_of(dataset, path), [])
        chosen += [i for i, t in found if not wanted or wanted.intersection(t)]
    return out


def source_level(dataset: Dataset, field: str, frames: bool) -> tuple[str, bool]:
    """``(field, frame level)`` in the dataset of a label field of it or of a derived view
    (a frames view shows frame fields as sample fields): label ids are unique per field."""
    schema = dataset.frame_schema if frames else dataset.sample_schema
    if field not in (schema or {}):
        frames = not frames
    return field, frames


def count_label_tags(collection: SampleCollection, label_fields: Any = None) -> dict[str, int]:
    """``{tag: number of labels having it}`` over the collection's ``label_fields``: the
    tags of each label path counted as values (grouped by the store when it can)."""
    counts: Counter = Counter()
    for path in label_paths(collection, label_fields):
        counts.update(
            {t: n for t, n in collection.count_values(f"{path}.tags").items() if t is not None}
        )
    return dict(counts)
