"""Bulk edits of a collection's samples: set_values, tags, metadata.

Each runs in one transaction per call, so a failure midway leaves the
dataset unchanged.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from labelloop.core.fields import SAMPLE_BUILTINS, check_value, is_label_spec, list_attr
from labelloop.core.labels import Label
from labelloop.core.metadata import ImageMetadata, Metadata, VideoMetadata
from labelloop.media import metadata as media

if TYPE_CHECKING:
    from labelloop.core.collection import SampleCollection
    from labelloop.core.dataset import Dataset

logger = logging.getLogger(__name__)


def _set_path(obj: Any, parts: list[str], value: Any, path: str) -> None:
    """Assign ``value`` at ``parts`` below ``obj``, zipping lists with lists."""
    head, rest = parts[0], parts[1:]
    if not rest:
        obj[head] = value
        return
    child = obj[head]
    if child is None:
        if value is None or value == []:
            return
        raise ValueError(f"Cannot set '{path}': '{head}' is None on a sample")
    if isinstance(child, list):
        if not isinstance(value, list) or len(value) != len(child):
            raise ValueError(
                f"Cannot set '{path}': expected a list of {len(child)} values for '{head}', "
                f"got {value!r:.80}"
            )
        for item, item_value in zip(child, value):
            _set_path(item, rest, item_value, path)
        return
    _set_path(child, rest, value, path)


def set_values(collection: SampleCollection, path: str, values: list[Any]) -> None:
    """Set ``path`` on each sample of ``collection`` from a list aligned with the view.

    A plain sample field rewrites only the samples' documents, a label attribute
    only the labels it names (one ``UPDATE`` per row, no sample or other label
    rewritten); anything else (whole labels, frames) goes through the samples.
    """
    values = list(values)
    dataset = collection._dataset
    with dataset.transaction():
        ids = collection.values("id")
        if len(values) != len(ids):
            raise ValueError(
                f"set_values('{path}') got {len(values)} values for {len(ids)} samples; pass "
                "one value per sample in view order"
            )
        plain = in_place(collection)
        if plain and _set_sample_field(collection, path, ids, values):
            return
        if plain and _set_label_attribute(collection, path, values):
            return
        for sample, value in zip(collection.iter_samples(), values):
            if path.startswith("frames."):
                parts = path[len("frames.") :].split(".")
                numbers = sample.frames.keys()
                if isinstance(value, dict):
                    pairs = value.items()
                else:
                    value = list(value or [])
                    if len(value) != len(numbers):
                        raise ValueError(
                            f"Cannot set '{path}': sample {sample.id} has {len(numbers)} frames "
                            f"but {len(value)} values were given"
                        )
                    pairs = zip(numbers, value)
                for number, frame_value in pairs:
                    _set_path(sample.frames[number], parts, frame_value, path)
            else:
                _set_path(sample, path.split("."), value, path)
            sample.save()


def in_place(collection: SampleCollection) -> bool:
    """Whether edits of ``collection`` may be written in place, as the rows it shows: its
    stages only select samples or filter labels (not derived views, mapped labels or
    computed fields: their samples save their own way)."""
    return all(stage.sql_step() is not None for stage in collection.stages)


def _set_sample_field(
    collection: SampleCollection, path: str, ids: list[str], values: list[Any]
) -> bool:
    """Write a plain (non-label, non-builtin) sample field into the sample documents only."""
    spec = collection._dataset.sample_schema.get(path)
    if "." in path or path in SAMPLE_BUILTINS or is_label_spec(spec):
        return False
    if any(isinstance(v, (Label, Metadata)) for v in values):
        return False
    set_sample_fields(collection, ids, {path: values})
    return True


def set_sample_fields(
    collection: SampleCollection, ids: list[str], columns: dict[str, list[Any]]
) -> None:
    """Set plain sample fields (``{name: values aligned with ids}``) of samples ``ids`` in
    their documents only (one read and one write per batch), declaring new fields."""
    dataset = collection._dataset
    with dataset.transaction():
        for path, values in columns.items():
            for value in values:
                value = list(value) if isinstance(value, tuple) else value
                new_spec = check_value(path, dataset.sample_schema.get(path), value)
                if new_spec is not None:
                    dataset._declare_field(path, new_spec)
        rows_of = {sample_id: i for i, sample_id in enumerate(ids)}
        store = dataset._store
        for batch in store.iter_samples(dataset._id, list(rows_of)):
            rows = []
            for sample_id, doc in batch:
                i = rows_of[sample_id]
                for path, values in columns.items():
                    value = values[i]
                    doc[path] = list(value) if isinstance(value, tuple) else value
                rows.append((sample_id, doc))
            store.update_samples(dataset._id, rows)


def _set_label_attribute(collection: SampleCollection, path: str, values: list[Any]) -> bool:
    """Write one attribute of the view's labels (``predictions.detections.eval``) in place."""
    dataset = collection._dataset
    field, _, rest = path.partition(".")
    spec = dataset.sample_schema.get(field)
    if not is_label_spec(spec) or not rest:
        return False
    items = list_attr(spec)
    if items:
        if not rest.startswith(items + ".") or "." in rest[len(items) + 1 :]:
            return False
        attr = rest[len(items) + 1 :]
    else:
        attr = rest
    if "." in attr or attr in ("id", "_cls") or any(_has_label(v) for v in values):
        return False
    id_path = f"{field}.{items}.id" if items else f"{field}.id"
    rows: list[tuple[str, Any]] = []
    for label_ids, value in zip(collection.values(id_path), values):
        if label_ids is None:
            if value is None or (items and value == []):
                continue
            raise ValueError(f"Cannot set '{path}': '{field}' is None on a sample")
        if not items:
            rows.append((label_ids, value))
            continue
        if not isinstance(value, list) or len(value) != len(label_ids):
            raise ValueError(
                f"Cannot set '{path}': expected a list of {len(label_ids)} values for "
                f"'{items}', got {value!r:.80}"
            )
        rows.extend(zip(label_ids, value))
    dataset._store.update_label_values(dataset._id, [attr], ((i, (v,)) for i, v in rows), field)
    return True


def _has_label(value: Any) -> bool:
    if isinstance(value, list):
        return any(_has_label(v) for v in value)
    return isinstance(value, (Label, Metadata))


def edit_tags(collection: SampleCollection, tags: list[str], add: bool) -> None:
    """Add or remove sample tags."""
    dataset = collection._dataset
    with dataset.transaction():
        for sample in collection.iter_samples():
            current = list(sample.tags or [])
            if add:
                current += [t for t in tags if t not in current]
            else:
                current = [t for t in current if t not in tags]
            sample.tags = current
            sample.save()


def compute_metadata(collection: SampleCollection, overwrite: bool = False) -> None:
    """Fill ``metadata`` from the media files' headers (missing files are logged)."""
    dataset = collection._dataset
    with dataset.transaction():
        for sample in collection.select_fields().iter_samples():
            if sample.metadata is not None and not overwrite:
                continue
            try:
                if sample.media_type == "video":
                    sample.metadata = VideoMetadata(**media.video_metadata(sample.filepath))
                else:
                    sample.metadata = ImageMetadata(**media.image_metadata(sample.filepath))
            except (OSError, ValueError) as err:
                logger.warning("Cannot read metadata of %s: %s", sample.filepath, err)
                continue
            sample.save()


def media_stats(dataset: Dataset) -> int:
    """Total bytes of the dataset's media files (from metadata, else the file system)."""
    total = 0
    for filepath, meta in zip(dataset.values("filepath"), dataset.values("metadata")):
        size = None if meta is None else meta.get("size_bytes")
        total += size if size is not None else media.file_size(filepath)
    return total


def human_size(num: float) -> str:
    """Bytes as a short human string (``3.4KB``)."""
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(num) < 1024 or unit == "TB":
            return f"{num:.1f}{unit}" if unit != "B" else f"{int(num)}B"
        num /= 1024
    return f"{num}B"
