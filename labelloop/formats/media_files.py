"""Finding media files in directories and copying them out on export."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp"})
VIDEO_EXTENSIONS = frozenset({".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v"})
#: Accepted values of the ``export_media`` option.
EXPORT_MEDIA_MODES = (True, False, "copy", "symlink")


def list_media(directory: Path, extensions: frozenset[str], recursive: bool = True) -> list[Path]:
    """Media files under ``directory`` with one of ``extensions``, sorted by path."""
    if not directory.is_dir():
        raise ValueError(f"dataset_dir {os.fspath(directory)!r} is not a directory")
    pattern = "**/*" if recursive else "*"
    return sorted(
        p
        for p in directory.glob(pattern)
        if p.is_file() and p.suffix.lower() in extensions and not p.name.startswith(".")
    )


def check_export_media(export_media: object) -> None:
    """Raise ``ValueError`` unless ``export_media`` is a supported mode."""
    if (
        export_media not in EXPORT_MEDIA_MODES
        or isinstance(export_media, int)
        and not isinstance(export_media, bool)
    ):
        raise ValueError(f"export_media must be one of {EXPORT_MEDIA_MODES}, got {export_media!r}")


class MediaExporter:
    """Copies (or links) media into one folder under unique file names."""

    def __init__(self, data_dir: Path, export_media: bool | str = True) -> None:
        check_export_media(export_media)
        self.data_dir = data_dir
        self.mode = export_media
        self._used: set[str] = set()
        self._by_source: dict[str, str] = {}

    def add(self, filepath: str) -> str:
        """Export one file; return its new path (or the source path when not exporting)."""
        if not self.mode:
            return filepath
        if filepath in self._by_source:
            return self._by_source[filepath]
        stem, ext = os.path.splitext(os.path.basename(filepath))
        name, k = stem + ext, 1
        while name.lower() in self._used:
            name, k = f"{stem}-{k}{ext}", k + 1
        self._used.add(name.lower())
        self.data_dir.mkdir(parents=True, exist_ok=True)
        out = self.data_dir / name
        if self.mode == "symlink":
            out.unlink(missing_ok=True)
            out.symlink_to(os.path.abspath(filepath))
        else:
            shutil.copy2(filepath, out)
        self._by_source[filepath] = os.fspath(out)
        return os.fspath(out)
