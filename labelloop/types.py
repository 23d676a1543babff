"""Dataset types for ``Dataset.from_dir(dataset_type=...)`` and ``export(dataset_type=...)``.

``labelloop.types.<Name>`` is any type registered with
:func:`labelloop.formats.register_dataset_type` (built-in: ``ImageDirectory``,
``VideoDirectory``, ``COCODetectionDataset``; other packages add theirs).
"""

from __future__ import annotations

from typing import Any

from labelloop.formats import (
    COCODetectionDataset,
    DatasetType,
    ImageDirectory,
    VideoDirectory,
    dataset_types,
)

__all__ = ["COCODetectionDataset", "DatasetType", "ImageDirectory", "VideoDirectory"]


def __getattr__(name: str) -> Any:
    types = dataset_types()
    if name in types:
        return types[name]
    raise AttributeError(
        f"labelloop.types has no dataset type {name!r}; registered: {', '.join(sorted(types))}"
    )


def __dir__() -> list[str]:
    return sorted(set(__all__) | set(dataset_types()))
