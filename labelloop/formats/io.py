"""``Dataset.from_dir()`` and ``collection.export()``: the glue to dataset types.

Both are registered with the core's extension registry. Everything a type
will read is parsed and every option checked before the dataset is created
or a file is written, so a bad argument leaves no half-made dataset behind.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import numpy as np

from labelloop.core.extensions import implements
from labelloop.core.sample import Frame, Sample
from labelloop.formats.registry import ImportedSample, resolve_dataset_type

logger = logging.getLogger(__name__)


def select_samples(
    items: list[Any], max_samples: int | None = None, shuffle: bool = False, seed: int | None = None
) -> list[Any]:
    """``items`` optionally shuffled (seeded) and cut to ``max_samples``."""
    if max_samples is not None and (not isinstance(max_samples, int) or max_samples < 0):
        raise ValueError(f"max_samples must be a non-negative integer, got {max_samples!r}")
    if shuffle:
        order = np.random.default_rng(seed).permutation(len(items))
        items = [items[i] for i in order]
    return items if max_samples is None else items[:max_samples]


def to_sample(item: ImportedSample, tags: list[str] | None = None) -> Sample:
    """A new :class:`Sample` (with frames for videos) from an imported record."""
    fields = dict(item.fields)
    all_tags = list(fields.pop("tags", None) or []) + [t for t in tags or [] if t]
    sample = Sample(item.filepath, tags=all_tags, **fields)
    for number, frame_fields in (item.frames or {}).items():
        sample.frames[number] = Frame(**frame_fields)
    return sample


@implements("from_dir")
def from_dir(
    dataset_cls: Any,
    dataset_dir: str | os.PathLike[str] | None = None,
    dataset_type: Any = None,
    name: str | None = None,
    persistent: bool = False,
    tags: str | list[str] | None = None,
    max_samples: int | None = None,
    shuffle: bool = False,
    seed: int | None = None,
    **options: Any,
) -> Any:
    """Create a dataset from a directory in the layout of ``dataset_type``."""
    dtype = resolve_dataset_type(dataset_type)
    dtype.check_options("read", options)
    if dataset_dir is None and not options.get("labels_path"):
        raise ValueError("from_dir needs dataset_dir (or labels_path/data_path for this type)")
    root = Path(dataset_dir) if dataset_dir is not None else None
    items = select_samples(list(dtype.read(root, **options)), max_samples, shuffle, seed)
    missing = [item.filepath for item in items if not os.path.exists(item.filepath)]
    if missing:
        logger.warning(
            "%d of %d media files do not exist, e.g. %s", len(missing), len(items), missing[0]
        )
    tag_list = [tags] if isinstance(tags, str) else list(tags or [])
    samples = [to_sample(item, tag_list) for item in items]
    dataset = dataset_cls(name, persistent=persistent)
    dataset.add_samples(samples)
    classes = dtype.dataset_properties().get("classes")
    if classes:
        dataset.classes = {**dataset.classes, **classes}
    logger.info("Imported %d samples into dataset %r", len(samples), dataset.name)
    return dataset


@implements("export")
def export(
    collection: Any,
    export_dir: str | os.PathLike[str] | None = None,
    dataset_type: Any = None,
    label_field: str | None = None,
    **options: Any,
) -> None:
    """Write ``collection`` to ``export_dir`` in the layout of ``dataset_type``."""
    dtype = resolve_dataset_type(dataset_type)
    dtype.check_options("write", options)
    if export_dir is None:
        raise ValueError("export needs export_dir, the folder to write into")
    if collection.media_type not in (None, dtype.media_type):
        raise ValueError(
            f"{type(dtype).__name__} holds {dtype.media_type}s but this collection holds "
            f"{collection.media_type}s; choose a {collection.media_type} dataset_type"
        )
    if label_field is not None and not collection.has_sample_field(label_field):
        raise ValueError(f"label_field {label_field!r} is not a field of this collection")
    out = Path(export_dir)
    out.mkdir(parents=True, exist_ok=True)
    dtype.write(collection, out, label_field, **options)
