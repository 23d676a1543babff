"""Plain directories of images or videos, without labels."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from labelloop.formats.media_files import (
    IMAGE_EXTENSIONS,
    VIDEO_EXTENSIONS,
    MediaExporter,
    list_media,
)
from labelloop.formats.registry import DatasetType, ImportedSample, register_dataset_type


class _MediaDirectory(DatasetType):
    extensions: frozenset[str] = frozenset()

    def read(self, dataset_dir: Path, recursive: bool = True) -> Iterator[ImportedSample]:
        """One sample per media file under ``dataset_dir`` (sub-folders too by default)."""
        for path in list_media(dataset_dir, self.extensions, recursive):
            yield ImportedSample(os.fspath(path.resolve()))

    def write(
        self,
        samples: Iterable[Any],
        export_dir: Path,
        label_field: str | None = None,
        export_media: bool | str = True,
    ) -> None:
        """Copy (``export_media=True``) or link (``"symlink"``) the media into ``export_dir``."""
        if label_field is not None:
            raise ValueError(
                f"{type(self).__name__} holds media only; leave label_field unset "
                f"(got {label_field!r}) or choose a labelled dataset_type"
            )
        if not export_media:
            raise ValueError(f"{type(self).__name__} export needs export_media=True or 'symlink'")
        exporter = MediaExporter(export_dir, export_media)
        for sample in samples:
            exporter.add(sample.filepath)


@register_dataset_type
class ImageDirectory(_MediaDirectory):
    """A folder (tree) of image files."""

    media_type = "image"
    extensions = IMAGE_EXTENSIONS


@register_dataset_type
class VideoDirectory(_MediaDirectory):
    """A folder (tree) of video files."""

    media_type = "video"
    extensions = VIDEO_EXTENSIONS
