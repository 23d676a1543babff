"""Dataset types for ``Dataset.from_dir()`` / ``export()`` and their registry.

Importing this package registers the built-in types (image and video
directories, COCO detection) and the ``from_dir``/``export`` implementations
that the core's collections call.
"""

from labelloop.formats import io as _io  # noqa: F401  (registers from_dir/export)
from labelloop.formats.coco import COCODetectionDataset
from labelloop.formats.media_dirs import ImageDirectory, VideoDirectory
from labelloop.formats.registry import (
    DatasetType,
    ImportedSample,
    dataset_types,
    register_dataset_type,
    resolve_dataset_type,
)

__all__ = [
    "COCODetectionDataset",
    "DatasetType",
    "ImageDirectory",
    "ImportedSample",
    "VideoDirectory",
    "dataset_types",
    "register_dataset_type",
    "resolve_dataset_type",
]
