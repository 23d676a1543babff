"""The dataset zoo: ready-made datasets by name (``import labelloop.zoo as foz``).

``quickstart`` and ``quickstart-video`` are generated locally and never touch
the network; ``coco-2017`` downloads from cocodataset.org. Media is kept in
the zoo directory (``LABELLOOP_ZOO_DIR``, default ``<labelloop home>/zoo``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import labelloop.zoo.coco2017  # noqa: F401  (registers the COCO-2017 source)
from labelloop.zoo.media_cache import zoo_dir
from labelloop.zoo.sources import LoadRequest, ZooSource, get_source, register_source, source_names

logger = logging.getLogger(__name__)

__all__ = [
    "LoadRequest",
    "ZooSource",
    "get_zoo_dataset",
    "list_zoo_datasets",
    "load_zoo_dataset",
    "register_source",
    "zoo_dir",
]


def list_zoo_datasets() -> list[str]:
    """Names of the available zoo datasets."""
    return source_names()


def get_zoo_dataset(name: str) -> ZooSource:
    """The zoo entry ``name`` (its splits, label types, description)."""
    return get_source(name)


def load_zoo_dataset(
    name: str,
    split: str | None = None,
    splits: Sequence[str] | None = None,
    label_types: str | Sequence[str] | None = None,
    dataset_name: str | None = None,
    max_samples: int | None = None,
    shuffle: bool = False,
    seed: int | None = None,
    drop_existing_dataset: bool = False,
    persistent: bool = False,
) -> Any:
    """Load zoo dataset ``name`` as a :class:`labelloop.Dataset`.

    Without ``dataset_name`` the dataset is called ``<name>[-<splits>][-<max_samples>]``
    (plus ``-shuffled[-<seed>]`` when shuffled); if a dataset of that name exists
    it is returned as is unless ``drop_existing_dataset=True`` (use ``.clone()``
    for a private copy to edit).
    """
    import labelloop as ll
    from labelloop.formats.io import to_sample

    source = get_source(name)
    chosen = _splits(source, split, splits)
    if isinstance(label_types, str):
        label_types = [label_types]
    if label_types is not None:
        bad = [t for t in label_types if t not in source.label_types]
        if bad or not label_types:
            raise ValueError(
                f"label_types {label_types!r} not available for {name!r}; "
                f"supported: {list(source.label_types) or 'none (omit label_types)'}"
            )
    if max_samples is not None and (not isinstance(max_samples, int) or max_samples < 0):
        raise ValueError(f"max_samples must be a non-negative integer, got {max_samples!r}")
    if dataset_name is None:
        dataset_name = _default_name(
            name, chosen if splits or split else [], max_samples, shuffle, seed
        )
    if ll.dataset_exists(dataset_name):
        if not drop_existing_dataset:
            logger.info("Loading existing dataset %r", dataset_name)
            return ll.load_dataset(dataset_name)
        ll.delete_dataset(dataset_name)
    root = zoo_dir() / name
    items = []
    for s in chosen or [None]:
        loaded = source.load(root, LoadRequest(s, label_types, max_samples, shuffle, seed))
        if s is not None and len(chosen) > 1:
            for item in loaded:
                item.fields["tags"] = [*item.fields.get("tags", []), s]
        items.extend(loaded)
    dataset = ll.Dataset(dataset_name, persistent=persistent)
    dataset.add_samples([to_sample(item) for item in items])
    logger.info("Loaded %d samples of zoo dataset %r as %r", len(items), name, dataset_name)
    return dataset


def _splits(source: ZooSource, split: str | None, splits: Sequence[str] | None) -> list[str]:
    if split is not None and splits is not None:
        raise ValueError("Pass either split or splits, not both")
    wanted = [split] if split is not None else list(splits or [])
    if not source.splits:
        if wanted:
            raise ValueError(f"Zoo dataset {source.name!r} has no splits; omit split/splits")
        return []
    bad = [s for s in wanted if s not in source.splits]
    if bad:
        raise ValueError(f"Unknown split(s) {bad} of {source.name!r}; available: {source.splits}")
    return wanted or list(source.splits)


def _default_name(
    name: str, splits: Sequence[str], max_samples: int | None, shuffle: bool, seed: int | None
) -> str:
    parts = [name, *splits]
    if max_samples is not None:
        parts.append(str(max_samples))
    if shuffle:
        parts.append("shuffled" if seed is None else f"shuffled-{seed}")
    return "-".join(parts)
