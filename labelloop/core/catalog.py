"""The datasets of the database: list, check, load and delete them by name."""

from __future__ import annotations

import logging

from labelloop.core import lifecycle
from labelloop.core.dataset import Dataset
from labelloop.store.config import get_store

logger = logging.getLogger(__name__)


def list_datasets() -> list[str]:
    """Names of all datasets, sorted."""
    lifecycle.cleanup_stale()
    return get_store().list_datasets()


def dataset_exists(name: str) -> bool:
    """Whether a dataset called ``name`` exists."""
    return get_store().get_dataset(name) is not None


def load_dataset(name: str) -> Dataset:
    """The dataset called ``name`` (the same object if already loaded in this process)."""
    record = get_store().get_dataset(name)
    if record is None:
        raise ValueError(f"No dataset named {name!r}; existing ones: {list_datasets()}")
    existing = Dataset.loaded(record.id)
    if existing is not None:
        existing.reload()
        return existing
    return Dataset(_id=record.id)


def delete_dataset(name: str, verbose: bool = False) -> None:
    """Delete the dataset called ``name``."""
    record = get_store().get_dataset(name)
    if record is None:
        raise ValueError(f"No dataset named {name!r}")
    Dataset.remove(record.id)
    if verbose:
        logger.info("Deleted dataset '%s'", name)


def delete_non_persistent_datasets(verbose: bool = False) -> None:
    """Delete non-persistent datasets that no live process uses."""
    lifecycle.cleanup_stale(verbose=verbose, force=True)
